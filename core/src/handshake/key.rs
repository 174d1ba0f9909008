//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2).

use alloc::string::String;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::rng::Rng;

/// The GUID that RFC 6455 appends to the key before hashing it.
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Length of a valid `Sec-WebSocket-Key`: 16 bytes in padded base64.
pub const KEY_LEN: usize = 24;

/// Decoding accepts only padded base64 but tolerates non-zero trailing bits: RFC 6455
/// asks only that the key decode to 16 bytes.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// A fresh `Sec-WebSocket-Key`: 16 bytes from `rng`, base64-encoded (24 characters).
///
/// The key must be unpredictable (RFC 6455 §4.1), so `rng` should be a CSPRNG.
pub fn generate_key(rng: &mut dyn Rng) -> String {
    let mut nonce = [0u8; 16];
    rng.fill_bytes(&mut nonce);
    STANDARD.encode(nonce)
}

/// The `Sec-WebSocket-Accept` value for `key`: base64(SHA-1(key ++ GUID)).
///
/// `key` is used exactly as given (trim surrounding whitespace before calling).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(WEBSOCKET_GUID.as_bytes());
    STANDARD.encode(sha.finalize())
}

/// Whether `key` is a valid `Sec-WebSocket-Key`: padded base64 that decodes to exactly
/// 16 bytes.
pub fn is_valid_key(key: &[u8]) -> bool {
    if key.len() != KEY_LEN {
        return false;
    }
    let mut out = [0u8; 18];
    matches!(LENIENT.decode_slice(key, &mut out), Ok(16))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::DeterministicRng;

    #[test]
    fn rfc6455_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn generated_keys_are_valid_and_differ() {
        let mut rng = DeterministicRng::new(7);
        let a = generate_key(&mut rng);
        let b = generate_key(&mut rng);
        assert_eq!(a.len(), KEY_LEN);
        assert!(is_valid_key(a.as_bytes()));
        assert!(is_valid_key(b.as_bytes()));
        assert_ne!(a, b);
    }

    #[test]
    fn key_validation() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        // Non-zero trailing bits still decode to 16 bytes.
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZR=="));
        assert!(!is_valid_key(b""));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ")); // unpadded
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=")); // short padding
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ===")); // too long
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ-=")); // bad alphabet
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQo=")); // 17 bytes
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQAA")); // 18 bytes
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25j ZQ="));
        assert!(!is_valid_key(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff=="));
    }
}
