//! permessage-deflate negotiation (RFC 7692 §5, §7.1): the client's offer, the server's
//! choice among offers, the client's check of the response, and the agreed parameters.
//!
//! The four parameters, as RFC 7692 §7.1 defines them:
//!
//! | parameter | in an offer | in a response |
//! |---|---|---|
//! | `server_no_context_takeover` | client asks the server to reset its compressor after each message | server will (it may add this unasked) |
//! | `client_no_context_takeover` | client hints it will reset | server requires the client to reset (it may add this unasked) |
//! | `server_max_window_bits=N` | client asks the server to use at most 2^N bytes of window | server's window (≤ the asked value; it may add this unasked) |
//! | `client_max_window_bits[=N]` | client supports a limit in the response (`=N`: hints it uses at most N) | the client's window (≤ any offered N); only if offered |
//!
//! Window sizes are `8..=15`, decimal, without leading zeroes, as a token or a quoted
//! string (`"10"`; the header parser unquotes). A parameter without a value must not
//! have one. Unknown or repeated parameters, bad values: the server declines that offer
//! (and tries the next), the client fails the connection.
//!
//! # Window bits 8
//!
//! zlib-style deflaters (zlib, zlib-rs) cannot compress with a 256-byte raw window: a
//! request for 8 uses 9. That is still correct for a peer that inflates with 256 bytes,
//! because such a deflater never emits a distance beyond its window size minus 262
//! (`MAX_DIST`): 512 - 262 = 250 < 256. So websock accepts 8 (as zlib and Node's `ws`
//! do), answers `=8`, and compresses with 9; the tests decode the output with an
//! independent decoder and check that no distance exceeds 256. For inflating, a window
//! at least as large as the peer's is always safe; zlib-rs in fact always keeps 32 KiB
//! (whatever window bits it is given), so a peer that uses more window than agreed is
//! tolerated rather than failed.

use alloc::string::ToString;

use super::error::DeflateNegotiationError;
use crate::handshake::ExtensionOffer;
use crate::role::Role;

/// The extension's registered name.
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The smallest window size a peer may negotiate (2^8 = 256 bytes).
pub const MIN_WINDOW_BITS: u8 = 8;

/// The largest (and default) window size (2^15 = 32 KiB).
pub const MAX_WINDOW_BITS: u8 = 15;

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// How this endpoint negotiates and uses permessage-deflate.
///
/// Each field reads as "what this endpoint wants"; what that means in the handshake
/// depends on the role (see each field). Values out of range are clamped (window bits to
/// 8..=15, level to 0..=9); they are configuration, never a reason to panic.
///
/// # Memory
///
/// Measured with a counting allocator (zlib-rs 0.6, level-independent):
///
/// | context | window bits 9 | 12 | 15 |
/// |---|---|---|---|
/// | compression: `4 * 2^w` (window, chains) + 128 KiB hash table + 112 KiB buffers | 245 KiB | 259 KiB | 371 KiB |
/// | inflate: zlib-rs always keeps a 32 KiB window | 46 KiB | 46 KiB | 46 KiB |
///
/// So a connection with context takeover in both directions holds ~417 KiB once it has
/// sent and received a compressed message, for the rest of its life; smaller windows
/// save at most a third of the compressor's share. Contexts are created when first
/// used, and a side without context takeover drops its context after every message: with
/// both `server_no_context_takeover` and `client_no_context_takeover` an idle
/// connection holds no compression memory, at the price of one allocation per message
/// and a worse ratio for repetitive traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateConfig {
    /// Offer (client) or accept (server) permessage-deflate at all. Default true.
    pub enabled: bool,
    /// Client: ask the server to reset its compressor after every message (the offer
    /// includes `server_no_context_takeover`; a response without it fails).
    /// Server: always reset our compressor, and say so in the response.
    /// Either way, the receiving side can then drop its inflate context between
    /// messages. Default false.
    pub server_no_context_takeover: bool,
    /// Client: reset our compressor after every message (and hint it in the offer).
    /// Server: require the client to reset (the response includes
    /// `client_no_context_takeover`), so our inflate context can be dropped between
    /// messages. Default false.
    pub client_no_context_takeover: bool,
    /// The server's compression window, as log2 of its size (8..=15). Client: below 15,
    /// the offer asks for at most this (`server_max_window_bits=N`). Server: our
    /// compressor uses at most this (and less if the client asks). Default 15.
    pub server_max_window_bits: u8,
    /// The client's compression window (8..=15). Client: our compressor uses at most
    /// this (the offer says `client_max_window_bits=N` below 15, and always offers the
    /// parameter so the server may ask for less). Server: below 15, limit the client's
    /// window; offers that do not allow it (no `client_max_window_bits`) are declined.
    /// Default 15.
    pub client_max_window_bits: u8,
    /// Compression level, 0 (store only) to 9 (smallest). Default 6, zlib's default and
    /// what Node's `ws` and Python's `websockets` use. With zlib-rs, level 1 compresses
    /// text ~10x faster (~500 vs ~50 MB/s) to a ~2.3x larger output, and grows
    /// incompressible data by ~5% (fixed Huffman codes), where 6 stays within 0.2%.
    pub level: u32,
    /// Messages shorter than this are sent uncompressed (RSV1 clear). Default 32: below
    /// that, deflate saves at most a few bytes (a fresh context codes each literal in 8-9
    /// bits plus ~2 bytes of block overhead, and the frame header already costs 2-14
    /// bytes), while the per-message cost of a sync flush is paid in full. Set 0 to
    /// compress everything (useful with context takeover and tiny, repetitive messages).
    pub min_message_size: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            enabled: true,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
            level: 6,
            min_message_size: 32,
        }
    }
}

impl DeflateConfig {
    /// A configuration that neither offers nor accepts permessage-deflate.
    pub fn disabled() -> Self {
        DeflateConfig {
            enabled: false,
            ..Self::default()
        }
    }

    /// `server_max_window_bits` clamped to 8..=15.
    fn server_bits(&self) -> u8 {
        clamp_bits(self.server_max_window_bits)
    }

    /// `client_max_window_bits` clamped to 8..=15.
    fn client_bits(&self) -> u8 {
        clamp_bits(self.client_max_window_bits)
    }

    /// `level` clamped to 0..=9.
    pub(crate) fn clamped_level(&self) -> u32 {
        self.level.min(9)
    }
}

fn clamp_bits(bits: u8) -> u8 {
    bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}

/// The parameters in force on a connection, as agreed in the handshake.
///
/// For the local side they may be tightened by the local configuration (a smaller
/// window, no context takeover), which is always allowed: the peer's inflater cannot
/// tell. Windows are 8..=15 as negotiated; the codec turns 8 into 9 where zlib needs it
/// (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// The server resets its compressor (and the client may reset its inflater) after
    /// every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor (and the server may reset its inflater) after
    /// every message.
    pub client_no_context_takeover: bool,
    /// log2 of the server's compression window (8..=15).
    pub server_max_window_bits: u8,
    /// log2 of the client's compression window (8..=15).
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// What a bare `permessage-deflate` agrees on: context takeover, 32 KiB windows.
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

impl DeflateParams {
    /// The window bits `role` compresses with (its own side's parameter).
    pub fn compress_window(&self, role: Role) -> u8 {
        match role {
            Role::Client => self.client_max_window_bits,
            Role::Server => self.server_max_window_bits,
        }
    }

    /// The window bits `role` must inflate with (the peer's side's parameter).
    pub fn decompress_window(&self, role: Role) -> u8 {
        match role {
            Role::Client => self.server_max_window_bits,
            Role::Server => self.client_max_window_bits,
        }
    }

    /// Whether `role` resets its compressor after each message.
    pub fn reset_compressor(&self, role: Role) -> bool {
        match role {
            Role::Client => self.client_no_context_takeover,
            Role::Server => self.server_no_context_takeover,
        }
    }

    /// Whether `role` may reset its inflater after each message (the peer resets its
    /// compressor).
    pub fn reset_decompressor(&self, role: Role) -> bool {
        match role {
            Role::Client => self.server_no_context_takeover,
            Role::Server => self.client_no_context_takeover,
        }
    }
}

/// The parameters of one permessage-deflate element, syntax checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Element {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (only valid in an offer).
    client_max_window_bits: Option<Option<u8>>,
}

impl Element {
    /// Checks every parameter of `ext` (whose name is permessage-deflate). In a
    /// response, `client_max_window_bits` needs a value.
    fn parse(ext: &ExtensionOffer, response: bool) -> Result<Element, DeflateNegotiationError> {
        use DeflateNegotiationError::{DuplicateParameter, InvalidValue, UnknownParameter};
        let mut e = Element::default();
        let mut seen = [false; 4];
        for (name, value) in &ext.params {
            let (slot, canonical) = if name.eq_ignore_ascii_case(SERVER_NO_CONTEXT_TAKEOVER) {
                (0, SERVER_NO_CONTEXT_TAKEOVER)
            } else if name.eq_ignore_ascii_case(CLIENT_NO_CONTEXT_TAKEOVER) {
                (1, CLIENT_NO_CONTEXT_TAKEOVER)
            } else if name.eq_ignore_ascii_case(SERVER_MAX_WINDOW_BITS) {
                (2, SERVER_MAX_WINDOW_BITS)
            } else if name.eq_ignore_ascii_case(CLIENT_MAX_WINDOW_BITS) {
                (3, CLIENT_MAX_WINDOW_BITS)
            } else {
                return Err(UnknownParameter(name.clone()));
            };
            if core::mem::replace(&mut seen[slot], true) {
                return Err(DuplicateParameter(canonical));
            }
            let value = value.as_deref();
            match slot {
                0 | 1 => {
                    if value.is_some() {
                        return Err(InvalidValue(canonical));
                    }
                    if slot == 0 {
                        e.server_no_context_takeover = true;
                    } else {
                        e.client_no_context_takeover = true;
                    }
                }
                2 => {
                    let bits = value.and_then(parse_bits).ok_or(InvalidValue(canonical))?;
                    e.server_max_window_bits = Some(bits);
                }
                _ => {
                    let bits = match value {
                        None if response => return Err(InvalidValue(canonical)),
                        None => None,
                        Some(v) => Some(parse_bits(v).ok_or(InvalidValue(canonical))?),
                    };
                    e.client_max_window_bits = Some(bits);
                }
            }
        }
        Ok(e)
    }

    /// The element as header parameters, in a fixed order.
    fn to_extension(self) -> ExtensionOffer {
        let mut ext = ExtensionOffer::new(EXTENSION_NAME);
        if self.server_no_context_takeover {
            ext = ext.with_param(SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if self.client_no_context_takeover {
            ext = ext.with_param(CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(bits) = self.server_max_window_bits {
            ext = ext.with_param(SERVER_MAX_WINDOW_BITS, Some(&bits.to_string()));
        }
        if let Some(bits) = self.client_max_window_bits {
            let text = bits.map(|b| b.to_string());
            ext = ext.with_param(CLIENT_MAX_WINDOW_BITS, text.as_deref());
        }
        ext
    }
}

/// `8`..=`15`, decimal, no sign, no leading zero, no whitespace.
fn parse_bits(v: &str) -> Option<u8> {
    let b = v.as_bytes();
    let n: u8 = match *b {
        [d @ b'8'..=b'9'] => d - b'0',
        [b'1', d @ b'0'..=b'5'] => 10 + (d - b'0'),
        _ => return None,
    };
    Some(n)
}

/// What a client configured with `cfg` offers.
fn offer_element(cfg: &DeflateConfig) -> Element {
    let server_bits = cfg.server_bits();
    let client_bits = cfg.client_bits();
    Element {
        server_no_context_takeover: cfg.server_no_context_takeover,
        client_no_context_takeover: cfg.client_no_context_takeover,
        server_max_window_bits: (server_bits < MAX_WINDOW_BITS).then_some(server_bits),
        client_max_window_bits: Some((client_bits < MAX_WINDOW_BITS).then_some(client_bits)),
    }
}

/// Client: the `Sec-WebSocket-Extensions` element to offer, e.g.
/// `permessage-deflate; client_max_window_bits`.
///
/// It always carries `client_max_window_bits` (so the server may limit our window),
/// with our limit as its value when below 15; `server_max_window_bits=N` when
/// [`DeflateConfig::server_max_window_bits`] is below 15; and the two
/// `*_no_context_takeover` flags when configured. Only one offer is made: a server that
/// cannot meet it declines and the connection goes on uncompressed.
///
/// Call only when [`DeflateConfig::enabled`]; format with
/// [`format_extensions`](crate::handshake::format_extensions) or `to_string()` into
/// [`ClientRequest::extensions`](crate::handshake::ClientRequest::extensions).
pub fn client_offer(cfg: &DeflateConfig) -> ExtensionOffer {
    offer_element(cfg).to_extension()
}

/// Client: check the extensions the server accepted (`Negotiated::extensions`, in the
/// server's order) against the offer [`client_offer`] made from the same `cfg`.
///
/// `Ok(None)`: the server did not accept permessage-deflate. `Ok(Some(params))`: it is
/// in force with `params` (our side tightened by `cfg`).
///
/// # Errors
///
/// The handshake must fail (convert with `HandshakeError::from`): more than one
/// permessage-deflate element, one when disabled, an unknown or repeated parameter, a
/// malformed or out-of-range value (`7`, `16`, `abc`, `08`, a missing value), a
/// `client_max_window_bits` that was not offered, a window larger than offered, or a
/// requested `server_no_context_takeover` / `server_max_window_bits` left out.
pub fn client_accept_response(
    cfg: &DeflateConfig,
    response_offers: &[ExtensionOffer],
) -> Result<Option<DeflateParams>, DeflateNegotiationError> {
    let mut found = None;
    for ext in response_offers.iter().filter(|e| e.name == EXTENSION_NAME) {
        if found.replace(ext).is_some() {
            return Err(DeflateNegotiationError::MultipleResponses);
        }
    }
    let Some(ext) = found else {
        return Ok(None);
    };
    if !cfg.enabled {
        return Err(DeflateNegotiationError::NotOffered);
    }
    check_response(&offer_element(cfg), cfg, ext).map(Some)
}

/// The client's check of one response element against what it `offered`.
fn check_response(
    offered: &Element,
    cfg: &DeflateConfig,
    ext: &ExtensionOffer,
) -> Result<DeflateParams, DeflateNegotiationError> {
    use DeflateNegotiationError::{MissingParameter, UnexpectedParameter, WindowTooLarge};
    let got = Element::parse(ext, true)?;
    if offered.server_no_context_takeover && !got.server_no_context_takeover {
        return Err(MissingParameter(SERVER_NO_CONTEXT_TAKEOVER));
    }
    let server_bits = match (offered.server_max_window_bits, got.server_max_window_bits) {
        (Some(_), None) => return Err(MissingParameter(SERVER_MAX_WINDOW_BITS)),
        (Some(asked), Some(b)) if b > asked => return Err(WindowTooLarge(SERVER_MAX_WINDOW_BITS)),
        (_, Some(b)) => b,
        (None, None) => MAX_WINDOW_BITS,
    };
    let client_bits = match (offered.client_max_window_bits, got.client_max_window_bits) {
        (None, Some(_)) => return Err(UnexpectedParameter(CLIENT_MAX_WINDOW_BITS)),
        (Some(Some(hint)), Some(Some(b))) if b > hint => {
            return Err(WindowTooLarge(CLIENT_MAX_WINDOW_BITS))
        }
        (_, Some(Some(b))) => b,
        // A response without a value was refused by `Element::parse`.
        (_, Some(None)) | (_, None) => MAX_WINDOW_BITS,
    };
    Ok(DeflateParams {
        server_no_context_takeover: got.server_no_context_takeover,
        client_no_context_takeover: got.client_no_context_takeover
            || cfg.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits.min(cfg.client_bits()),
    })
}

/// Server: choose among the client's offers (all of `Request::extensions()`, in the
/// client's order of preference; elements of other extensions are ignored).
///
/// Each permessage-deflate offer is tried in turn; one that is malformed (unknown or
/// repeated parameter, bad value) or that `cfg` cannot satisfy (`client_max_window_bits`
/// below 15 configured but not offered) is declined. The first acceptable one wins:
/// returns the agreed parameters and the element to send back in
/// `Sec-WebSocket-Extensions`. `None` if disabled or nothing was acceptable.
///
/// The response says `server_no_context_takeover` if asked or configured,
/// `client_no_context_takeover` if offered (so our inflater may drop its context) or
/// configured, `server_max_window_bits=N` if asked (N = the smaller of the asked and
/// configured sizes; 8 is accepted, see the [module docs](self)) or configured below
/// 15, and `client_max_window_bits=N` only if offered and N (the smaller of the offered
/// and configured values) is below 15.
pub fn server_negotiate(
    cfg: &DeflateConfig,
    offers: &[ExtensionOffer],
) -> Option<(DeflateParams, ExtensionOffer)> {
    if !cfg.enabled {
        return None;
    }
    offers
        .iter()
        .filter(|e| e.name == EXTENSION_NAME)
        .filter_map(|e| Element::parse(e, false).ok())
        .find_map(|offer| accept_offer(cfg, &offer))
}

fn accept_offer(cfg: &DeflateConfig, offer: &Element) -> Option<(DeflateParams, ExtensionOffer)> {
    let server_limit = cfg.server_bits();
    let server_bits = offer
        .server_max_window_bits
        .map_or(server_limit, |asked| asked.min(server_limit));
    let client_limit = cfg.client_bits();
    let client_bits = match offer.client_max_window_bits {
        None if client_limit < MAX_WINDOW_BITS => return None,
        None => MAX_WINDOW_BITS,
        Some(hint) => hint.unwrap_or(MAX_WINDOW_BITS).min(client_limit),
    };
    let params = DeflateParams {
        server_no_context_takeover: offer.server_no_context_takeover
            || cfg.server_no_context_takeover,
        client_no_context_takeover: offer.client_no_context_takeover
            || cfg.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    };
    let response = Element {
        server_no_context_takeover: params.server_no_context_takeover,
        client_no_context_takeover: params.client_no_context_takeover,
        server_max_window_bits: (offer.server_max_window_bits.is_some()
            || server_bits < MAX_WINDOW_BITS)
            .then_some(server_bits),
        client_max_window_bits: (client_bits < MAX_WINDOW_BITS).then_some(Some(client_bits)),
    };
    Some((params, response.to_extension()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::parse_extensions;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn parse(s: &str) -> Vec<ExtensionOffer> {
        parse_extensions(s.as_bytes()).unwrap()
    }

    fn cfg() -> DeflateConfig {
        DeflateConfig::default()
    }

    fn params(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: sbits,
            client_max_window_bits: cbits,
        }
    }

    /// The server's answer to `offers` as (params, response text).
    fn negotiate(cfg: &DeflateConfig, offers: &str) -> Option<(DeflateParams, String)> {
        server_negotiate(cfg, &parse(offers)).map(|(p, r)| (p, r.to_string()))
    }

    fn respond(
        cfg: &DeflateConfig,
        response: &str,
    ) -> Result<Option<DeflateParams>, DeflateNegotiationError> {
        client_accept_response(cfg, &parse(response))
    }

    #[test]
    fn bits_values() {
        for (text, want) in [
            ("8", Some(8)),
            ("9", Some(9)),
            ("10", Some(10)),
            ("15", Some(15)),
            ("7", None),
            ("16", None),
            ("0", None),
            ("08", None),
            ("010", None),
            ("1", None),
            ("", None),
            ("abc", None),
            ("+9", None),
            ("-9", None),
            (" 9", None),
            ("9 ", None),
            ("255", None),
            ("264", None),
            ("١٠", None),
        ] {
            assert_eq!(parse_bits(text), want, "{text:?}");
        }
    }

    #[test]
    fn client_offers() {
        assert_eq!(
            client_offer(&cfg()).to_string(),
            "permessage-deflate; client_max_window_bits"
        );
        let all = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 10,
            client_max_window_bits: 12,
            ..cfg()
        };
        assert_eq!(
            client_offer(&all).to_string(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=12"
        );
        // Out-of-range configuration is clamped.
        let wild = DeflateConfig {
            server_max_window_bits: 3,
            client_max_window_bits: 200,
            ..cfg()
        };
        assert_eq!(
            client_offer(&wild).to_string(),
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits"
        );
        // Every offer we make is one we would accept ourselves.
        for c in [cfg(), all, wild] {
            assert!(server_negotiate(&cfg(), &[client_offer(&c)]).is_some());
        }
    }

    #[test]
    fn server_accepts_valid_offers() {
        let d = cfg();
        let cases: &[(&str, DeflateParams, &str)] = &[
            (
                "permessage-deflate",
                params(false, false, 15, 15),
                "permessage-deflate",
            ),
            (
                "permessage-deflate; client_max_window_bits",
                params(false, false, 15, 15),
                "permessage-deflate",
            ),
            (
                "permessage-deflate; client_max_window_bits=10",
                params(false, false, 15, 10),
                "permessage-deflate; client_max_window_bits=10",
            ),
            (
                "permessage-deflate; client_max_window_bits=\"10\"",
                params(false, false, 15, 10),
                "permessage-deflate; client_max_window_bits=10",
            ),
            (
                "permessage-deflate; server_max_window_bits=10",
                params(false, false, 10, 15),
                "permessage-deflate; server_max_window_bits=10",
            ),
            (
                "permessage-deflate; server_max_window_bits=\"9\"",
                params(false, false, 9, 15),
                "permessage-deflate; server_max_window_bits=9",
            ),
            (
                "permessage-deflate; server_max_window_bits=8",
                params(false, false, 8, 15),
                "permessage-deflate; server_max_window_bits=8",
            ),
            (
                "permessage-deflate; server_max_window_bits=15",
                params(false, false, 15, 15),
                "permessage-deflate; server_max_window_bits=15",
            ),
            (
                "permessage-deflate; server_no_context_takeover",
                params(true, false, 15, 15),
                "permessage-deflate; server_no_context_takeover",
            ),
            (
                "permessage-deflate; client_no_context_takeover",
                params(false, true, 15, 15),
                "permessage-deflate; client_no_context_takeover",
            ),
            (
                "permessage-deflate; Server_No_Context_Takeover; CLIENT_MAX_WINDOW_BITS=9",
                params(true, false, 15, 9),
                "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
            ),
            (
                // Autobahn 13.x style.
                "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
                 server_no_context_takeover; server_max_window_bits=12",
                params(true, true, 12, 15),
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
                 server_max_window_bits=12",
            ),
        ];
        for (offer, want, response) in cases {
            let (got, text) = negotiate(&d, offer).unwrap_or_else(|| panic!("{offer}"));
            assert_eq!(got, *want, "{offer}");
            assert_eq!(text, *response, "{offer}");
            // Our client side accepts what our server side answers, with the same
            // result, whenever the offer is one a client config could make.
            let client_cfg = DeflateConfig {
                server_no_context_takeover: want.server_no_context_takeover,
                ..cfg()
            };
            if offer.contains("client_max_window_bits") && !offer.contains("_bits=") {
                assert_eq!(respond(&client_cfg, &text).unwrap(), Some(*want), "{offer}");
            }
        }
    }

    #[test]
    fn server_declines_malformed_offers() {
        for offer in [
            "permessage-deflate; foo",
            "permessage-deflate; foo=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_no_context_takeover; CLIENT_NO_CONTEXT_TAKEOVER",
            "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover=true",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=abc",
            "permessage-deflate; server_max_window_bits=08",
            "permessage-deflate; server_max_window_bits=\"016\"",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=0",
            "permessage-deflate; client_max_window_bits=\"abc\"",
            "x-other; server_max_window_bits=10",
            "Permessage-Deflate",
            "",
        ] {
            assert_eq!(negotiate(&cfg(), offer), None, "{offer}");
        }
    }

    #[test]
    fn server_walks_offers_in_order() {
        // The first acceptable offer wins; malformed ones before it are skipped.
        let (p, r) = negotiate(
            &cfg(),
            "x-foo, permessage-deflate; server_max_window_bits=16, \
             permessage-deflate; server_max_window_bits=10; client_max_window_bits, \
             permessage-deflate",
        )
        .unwrap();
        assert_eq!(p, params(false, false, 10, 15));
        assert_eq!(r, "permessage-deflate; server_max_window_bits=10");
        // RFC 7692 §7.1.3's fallback offer, against a server that must limit the
        // client's window: the first offer allows it.
        let limit = DeflateConfig {
            client_max_window_bits: 11,
            ..cfg()
        };
        let (p, r) = negotiate(
            &limit,
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10, \
             permessage-deflate; client_max_window_bits",
        )
        .unwrap();
        assert_eq!(p, params(false, false, 10, 11));
        assert_eq!(
            r,
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=11"
        );
        // An offer without client_max_window_bits cannot be limited: declined; the next
        // one can.
        let (p, _) = negotiate(
            &limit,
            "permessage-deflate, permessage-deflate; client_max_window_bits=9",
        )
        .unwrap();
        assert_eq!(p, params(false, false, 15, 9));
        assert_eq!(negotiate(&limit, "permessage-deflate"), None);
        // Disabled: nothing.
        assert_eq!(
            negotiate(&DeflateConfig::disabled(), "permessage-deflate"),
            None
        );
    }

    #[test]
    fn server_configuration_shapes_the_response() {
        let strict = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 11,
            client_max_window_bits: 12,
            ..cfg()
        };
        let (p, r) = negotiate(&strict, "permessage-deflate; client_max_window_bits").unwrap();
        assert_eq!(p, params(true, true, 11, 12));
        assert_eq!(
            r,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=11; client_max_window_bits=12"
        );
        // The client asks for less than we would use: it gets it; more: it gets ours.
        let (p, r) = negotiate(
            &strict,
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=10",
        )
        .unwrap();
        assert_eq!(p, params(true, true, 9, 10));
        assert!(r.ends_with("server_max_window_bits=9; client_max_window_bits=10"));
        let (p, _) = negotiate(
            &strict,
            "permessage-deflate; server_max_window_bits=14; client_max_window_bits=14",
        )
        .unwrap();
        assert_eq!(p, params(true, true, 11, 12));
        // A server window below 15 is announced even when not asked about.
        let small = DeflateConfig {
            server_max_window_bits: 10,
            ..cfg()
        };
        let (_, r) = negotiate(&small, "permessage-deflate").unwrap();
        assert_eq!(r, "permessage-deflate; server_max_window_bits=10");
    }

    #[test]
    fn client_accepts_valid_responses() {
        let d = cfg();
        let cases: &[(&str, DeflateParams)] = &[
            ("permessage-deflate", params(false, false, 15, 15)),
            (
                "permessage-deflate; server_no_context_takeover",
                params(true, false, 15, 15),
            ),
            (
                "permessage-deflate; client_no_context_takeover",
                params(false, true, 15, 15),
            ),
            (
                "permessage-deflate; server_max_window_bits=8",
                params(false, false, 8, 15),
            ),
            (
                "permessage-deflate; server_max_window_bits=\"12\"",
                params(false, false, 12, 15),
            ),
            (
                "permessage-deflate; client_max_window_bits=8",
                params(false, false, 15, 8),
            ),
            (
                "permessage-deflate; client_max_window_bits=\"15\"",
                params(false, false, 15, 15),
            ),
            (
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
                 server_max_window_bits=9; client_max_window_bits=10",
                params(true, true, 9, 10),
            ),
            // Other extensions are not ours to judge.
            (
                "x-foo; bar, permessage-deflate",
                params(false, false, 15, 15),
            ),
        ];
        for (response, want) in cases {
            assert_eq!(respond(&d, response), Ok(Some(*want)), "{response}");
        }
        assert_eq!(respond(&d, ""), Ok(None));
        assert_eq!(respond(&d, "x-foo"), Ok(None));
    }

    #[test]
    fn client_tightens_its_own_side() {
        let c = DeflateConfig {
            client_no_context_takeover: true,
            client_max_window_bits: 11,
            ..cfg()
        };
        assert_eq!(
            respond(&c, "permessage-deflate"),
            Ok(Some(params(false, true, 15, 11)))
        );
        assert_eq!(
            respond(&c, "permessage-deflate; client_max_window_bits=9"),
            Ok(Some(params(false, true, 15, 9)))
        );
    }

    #[test]
    fn client_rejects_bad_responses() {
        use DeflateNegotiationError::*;
        let d = cfg();
        let cases: &[(&str, DeflateNegotiationError)] = &[
            ("permessage-deflate; foo", UnknownParameter("foo".into())),
            (
                "permessage-deflate; server_max_window_bits=10; x=1",
                UnknownParameter("x".into()),
            ),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                DuplicateParameter(SERVER_NO_CONTEXT_TAKEOVER),
            ),
            (
                "permessage-deflate; client_max_window_bits=9; client_max_window_bits=9",
                DuplicateParameter(CLIENT_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; server_max_window_bits=9; Server_Max_Window_Bits=9",
                DuplicateParameter(SERVER_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; server_max_window_bits",
                InvalidValue(SERVER_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; server_max_window_bits=7",
                InvalidValue(SERVER_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; server_max_window_bits=16",
                InvalidValue(SERVER_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; server_max_window_bits=abc",
                InvalidValue(SERVER_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; server_max_window_bits=\"09\"",
                InvalidValue(SERVER_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; client_max_window_bits",
                InvalidValue(CLIENT_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; client_max_window_bits=16",
                InvalidValue(CLIENT_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; client_max_window_bits=7",
                InvalidValue(CLIENT_MAX_WINDOW_BITS),
            ),
            (
                "permessage-deflate; client_no_context_takeover=1",
                InvalidValue(CLIENT_NO_CONTEXT_TAKEOVER),
            ),
            (
                "permessage-deflate; server_no_context_takeover=\"x\"",
                InvalidValue(SERVER_NO_CONTEXT_TAKEOVER),
            ),
            ("permessage-deflate, permessage-deflate", MultipleResponses),
            (
                "permessage-deflate; server_max_window_bits=9, x-foo, permessage-deflate",
                MultipleResponses,
            ),
        ];
        for (response, want) in cases {
            assert_eq!(respond(&d, response), Err(want.clone()), "{response}");
        }
        assert_eq!(
            respond(&DeflateConfig::disabled(), "permessage-deflate"),
            Err(NotOffered)
        );
    }

    #[test]
    fn client_holds_the_server_to_its_offer() {
        use DeflateNegotiationError::*;
        let asked = DeflateConfig {
            server_no_context_takeover: true,
            server_max_window_bits: 10,
            client_max_window_bits: 12,
            ..cfg()
        };
        assert_eq!(
            respond(
                &asked,
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"
            ),
            Ok(Some(params(true, false, 10, 12)))
        );
        assert_eq!(
            respond(
                &asked,
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; \
                 client_max_window_bits=11"
            ),
            Ok(Some(params(true, false, 9, 11)))
        );
        assert_eq!(
            respond(&asked, "permessage-deflate; server_max_window_bits=10"),
            Err(MissingParameter(SERVER_NO_CONTEXT_TAKEOVER))
        );
        assert_eq!(
            respond(&asked, "permessage-deflate; server_no_context_takeover"),
            Err(MissingParameter(SERVER_MAX_WINDOW_BITS))
        );
        assert_eq!(
            respond(
                &asked,
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=11"
            ),
            Err(WindowTooLarge(SERVER_MAX_WINDOW_BITS))
        );
        assert_eq!(
            respond(
                &asked,
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
                 client_max_window_bits=13"
            ),
            Err(WindowTooLarge(CLIENT_MAX_WINDOW_BITS))
        );
        // An offer without client_max_window_bits (ours always has it; this checks the
        // rule itself).
        let offered = Element::default();
        let resp = parse("permessage-deflate; client_max_window_bits=10").remove(0);
        assert_eq!(
            check_response(&offered, &cfg(), &resp),
            Err(UnexpectedParameter(CLIENT_MAX_WINDOW_BITS))
        );
        let resp = parse("permessage-deflate; server_max_window_bits=10").remove(0);
        assert_eq!(
            check_response(&offered, &cfg(), &resp),
            Ok(params(false, false, 10, 15))
        );
    }

    #[test]
    fn role_helpers() {
        let p = params(true, false, 9, 12);
        assert_eq!(p.compress_window(Role::Server), 9);
        assert_eq!(p.compress_window(Role::Client), 12);
        assert_eq!(p.decompress_window(Role::Server), 12);
        assert_eq!(p.decompress_window(Role::Client), 9);
        assert!(p.reset_compressor(Role::Server));
        assert!(!p.reset_compressor(Role::Client));
        assert!(!p.reset_decompressor(Role::Server));
        assert!(p.reset_decompressor(Role::Client));
        assert_eq!(DeflateParams::default(), params(false, false, 15, 15));
    }

    #[test]
    fn every_short_offer_is_handled() {
        // Every combination of up to three parameters from a set of names and values:
        // the server never panics, and whatever it answers our client accepts with the
        // same parameters (when the offer had client_max_window_bits, as ours do).
        let names = [
            SERVER_NO_CONTEXT_TAKEOVER,
            CLIENT_NO_CONTEXT_TAKEOVER,
            SERVER_MAX_WINDOW_BITS,
            CLIENT_MAX_WINDOW_BITS,
            "x",
        ];
        let values = [
            None,
            Some("7"),
            Some("8"),
            Some("12"),
            Some("15"),
            Some("16"),
        ];
        let atoms: Vec<(&str, Option<&str>)> = names
            .iter()
            .flat_map(|n| values.iter().map(move |v| (*n, *v)))
            .collect();
        let mut accepted = 0;
        let n = atoms.len();
        for code in 0..(n + 1) * (n + 1) * (n + 1) {
            let mut offer = ExtensionOffer::new(EXTENSION_NAME);
            let mut c = code;
            for _ in 0..3 {
                let pick = c % (n + 1);
                c /= n + 1;
                if pick > 0 {
                    let (name, value) = atoms[pick - 1];
                    offer = offer.with_param(name, value);
                }
            }
            for server_cfg in [
                cfg(),
                DeflateConfig {
                    client_max_window_bits: 9,
                    server_max_window_bits: 8,
                    server_no_context_takeover: true,
                    ..cfg()
                },
            ] {
                let Some((p, response)) = server_negotiate(&server_cfg, &[offer.clone()]) else {
                    continue;
                };
                accepted += 1;
                let o = Element::parse(&offer, false).unwrap();
                if o.client_max_window_bits.is_some() {
                    let client_cfg = DeflateConfig {
                        server_no_context_takeover: o.server_no_context_takeover,
                        client_no_context_takeover: o.client_no_context_takeover,
                        server_max_window_bits: o.server_max_window_bits.unwrap_or(15),
                        client_max_window_bits: o.client_max_window_bits.flatten().unwrap_or(15),
                        ..cfg()
                    };
                    assert_eq!(
                        client_accept_response(&client_cfg, &[response]),
                        Ok(Some(p)),
                        "{offer}"
                    );
                }
            }
        }
        assert!(accepted > 100);
    }
}
