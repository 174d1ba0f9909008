//! `binaryType`: how received binary messages are exposed to the script.

/// The value of the browser's `WebSocket.binaryType` attribute.
///
/// The engine delivers binary payloads as bytes either way; runtimes use this to decide
/// which shape to hand to the application (a `Blob`-like object or an `ArrayBuffer`-like one).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryType {
    /// `"blob"`: the default.
    #[default]
    Blob,
    /// `"arraybuffer"`.
    ArrayBuffer,
}

impl BinaryType {
    /// The attribute's string value: `"blob"` or `"arraybuffer"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BinaryType::Blob => "blob",
            BinaryType::ArrayBuffer => "arraybuffer",
        }
    }

    /// Parses an assigned value. Exact, case-sensitive match (a WebIDL enum): `"blob"` or
    /// `"arraybuffer"`; anything else is `None`.
    ///
    /// The browser silently ignores an invalid assignment to `binaryType`: it neither throws
    /// nor changes the attribute. A setter built on this function must therefore keep the
    /// old value when it returns `None`:
    ///
    /// ```
    /// # use websock_core::dom::BinaryType;
    /// let mut binary_type = BinaryType::default();
    /// if let Some(v) = BinaryType::parse("ArrayBuffer") {
    ///     binary_type = v; // not reached: the match is case-sensitive
    /// }
    /// assert_eq!(binary_type, BinaryType::Blob);
    /// ```
    pub fn parse(value: &str) -> Option<BinaryType> {
        match value {
            "blob" => Some(BinaryType::Blob),
            "arraybuffer" => Some(BinaryType::ArrayBuffer),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BinaryType;

    #[test]
    fn default_is_blob() {
        assert_eq!(BinaryType::default(), BinaryType::Blob);
        assert_eq!(BinaryType::default().as_str(), "blob");
    }

    #[test]
    fn as_str_gives_attribute_values() {
        assert_eq!(BinaryType::Blob.as_str(), "blob");
        assert_eq!(BinaryType::ArrayBuffer.as_str(), "arraybuffer");
    }

    #[test]
    fn parse_accepts_exact_values_and_round_trips() {
        for t in [BinaryType::Blob, BinaryType::ArrayBuffer] {
            assert_eq!(BinaryType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn parse_rejects_invalid_values() {
        for s in [
            "",
            "Blob",
            "ArrayBuffer",
            "arraybuffer ",
            " blob",
            "buffer",
            "text",
        ] {
            assert_eq!(BinaryType::parse(s), None, "{s:?}");
        }
    }
}
