//! Target `deflate_negotiation`: permessage-deflate parameter negotiation (RFC 7692
//! §7.1) on arbitrary `Sec-WebSocket-Extensions` values and arbitrary configurations.
//!
//! * `parse_extensions` never panics, its output is no larger than its input, and it
//!   is compositional: `h, h, ..., h` (up to 16 copies) parses to the offers of `h`
//!   repeated, so its work is linear; whatever parses formats and parses back to the
//!   same offers.
//! * `server_negotiate` never panics; when it accepts, the agreed windows are 8..=15,
//!   the response element formats and parses back to itself, carries only the four
//!   parameters RFC 7692 defines (each once, the flags without a value, the windows
//!   8..=15, `client_max_window_bits` only if offered), the accepted offer is the first
//!   one the server accepts on its own, and, when that offer is one a client could have
//!   made (it has `client_max_window_bits`), the client configured as that offer says
//!   accepts the response with the very same parameters.
//! * The same, from the other end: the offer `client_offer` makes for the client's
//!   configuration is always accepted by an enabled server, and the response passes
//!   `client_accept_response` with the server's parameters.
//! * `client_accept_response` on the arbitrary value taken as a response never panics,
//!   finds no element exactly when there is no `permessage-deflate`, and any parameters
//!   it accepts have windows 8..=15 and honour the client's configuration.

use arbitrary::Unstructured;
use websock_core::deflate::{
    client_accept_response, client_offer, server_negotiate, DeflateConfig, DeflateParams,
    EXTENSION_NAME, MAX_WINDOW_BITS, MIN_WINDOW_BITS,
};
use websock_core::handshake::{format_extensions, parse_extensions, ExtensionOffer};

/// The structured input, as bytes:
///
/// ```text
/// server:[flags bits bits] client:[flags bits bits] repeat:u8 header*
/// ```
///
/// A configuration's `flags`: bit 0 disables it, bit 1 `server_no_context_takeover`,
/// bit 2 `client_no_context_takeover`, bits 4..8 the level; then
/// `server_max_window_bits` and `client_max_window_bits` as they are (any `u8`: the
/// configuration clamps them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The server's configuration bytes.
    pub server: [u8; 3],
    /// The client's configuration bytes.
    pub client: [u8; 3],
    /// How many copies of the header the repetition check joins (modulo 16, plus 1).
    pub repeat: u8,
    /// The header value.
    pub header: Vec<u8>,
}

impl Input {
    /// Decodes the format above (every input decodes; missing fields read as zeros).
    pub fn decode(u: &mut Unstructured<'_>) -> Input {
        let mut byte = || u.arbitrary::<u8>().unwrap_or(0);
        let server = [byte(), byte(), byte()];
        let client = [byte(), byte(), byte()];
        let repeat = byte();
        Input {
            server,
            client,
            repeat,
            header: u.bytes(u.len()).unwrap_or_default().to_vec(),
        }
    }

    /// Encodes so that [`decode`](Self::decode) gives `self` back.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.server);
        out.extend_from_slice(&self.client);
        out.push(self.repeat);
        out.extend_from_slice(&self.header);
    }
}

/// The configuration three bytes describe (see [`Input`]).
pub fn config(bytes: [u8; 3]) -> DeflateConfig {
    let [flags, server_bits, client_bits] = bytes;
    DeflateConfig {
        enabled: flags & 1 == 0,
        server_no_context_takeover: flags & 2 != 0,
        client_no_context_takeover: flags & 4 != 0,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
        level: u32::from(flags >> 4),
        min_message_size: 0,
    }
}

/// The target's entry point.
pub fn run(data: &[u8]) {
    let input = Input::decode(&mut Unstructured::new(data));
    check(&input);
}

/// Checks one input.
pub fn check(input: &Input) {
    let server = config(input.server);
    let client = config(input.client);
    check_own_offer(&server, &client);
    let Ok(offers) = parse_extensions(&input.header) else {
        return;
    };
    check_parsed(&input.header, &offers, usize::from(input.repeat % 16) + 1);
    check_server(&server, &offers);
    check_client(&client, &offers);
}

/// `cfg`'s window sizes, clamped as the configuration documents.
fn bits(b: u8) -> u8 {
    b.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}

fn assert_windows(p: &DeflateParams, what: &str) {
    for b in [p.server_max_window_bits, p.client_max_window_bits] {
        assert!(
            (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&b),
            "{what}: window bits {b} in {p:?}"
        );
    }
}

/// The parser's output is bounded by its input, repetition is linear, and the
/// offers round-trip through `format_extensions`.
fn check_parsed(header: &[u8], offers: &[ExtensionOffer], repeat: usize) {
    let size: usize = offers
        .iter()
        .map(|o| {
            o.name.len()
                + o.params
                    .iter()
                    .map(|(n, v)| n.len() + v.as_ref().map_or(0, String::len))
                    .sum::<usize>()
        })
        .sum();
    assert!(size <= header.len(), "output larger than the input");
    assert!(offers.len() <= header.len(), "more offers than bytes");
    for o in offers {
        assert!(!o.name.is_empty(), "empty extension name");
        assert!(o.params.iter().all(|(n, _)| !n.is_empty()), "empty name");
    }

    let text = format_extensions(offers);
    assert_eq!(
        parse_extensions(text.as_bytes()).as_deref(),
        Ok(offers),
        "formatted as {text:?}"
    );

    let mut joined = header.to_vec();
    for _ in 1..repeat {
        joined.push(b',');
        joined.extend_from_slice(header);
    }
    let again = parse_extensions(&joined).expect("a list of valid lists is valid");
    assert_eq!(
        again.len(),
        offers.len() * repeat,
        "repeated {repeat} times"
    );
    for chunk in again.chunks(offers.len().max(1)) {
        assert_eq!(chunk, offers, "repeated {repeat} times");
    }
}

/// Checks a response element the server produced: syntax and RFC 7692's parameters.
/// `client_max_window_bits_offered`: the accepted offer had that parameter.
fn check_response_element(element: &ExtensionOffer, client_max_window_bits_offered: bool) {
    assert_eq!(element.name, EXTENSION_NAME);
    let text = element.to_string();
    assert_eq!(
        parse_extensions(text.as_bytes()).as_deref(),
        Ok(core::slice::from_ref(element)),
        "the response element {text:?} does not parse back"
    );
    let mut seen = Vec::new();
    for (name, value) in &element.params {
        assert!(!seen.contains(name), "{name} twice in {text:?}");
        seen.push(name.clone());
        match name.as_str() {
            "server_no_context_takeover" | "client_no_context_takeover" => {
                assert_eq!(value, &None, "{text:?}");
            }
            "server_max_window_bits" | "client_max_window_bits" => {
                let v = value
                    .as_deref()
                    .unwrap_or_else(|| panic!("no value: {text:?}"));
                let b: u8 = v.parse().unwrap_or_else(|_| panic!("bad value: {text:?}"));
                assert_eq!(v, b.to_string(), "not canonical: {text:?}");
                assert!((MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&b), "{text:?}");
                if name == "client_max_window_bits" {
                    assert!(client_max_window_bits_offered, "not offered: {text:?}");
                }
            }
            _ => panic!("parameter {name} is not RFC 7692's: {text:?}"),
        }
    }
}

/// A client configuration that offers what `offer` offers, if `offer` is a
/// syntactically valid permessage-deflate offer with `client_max_window_bits` (as every
/// offer of `client_offer` has).
fn client_for(offer: &ExtensionOffer) -> Option<DeflateConfig> {
    let window = |name: &str| -> Option<Option<u8>> {
        match offer.param(name)? {
            None => Some(None),
            Some(v) => Some(Some(v.parse().ok()?)),
        }
    };
    let client_bits = window("client_max_window_bits")?;
    let server_bits = match offer.param("server_max_window_bits") {
        None => MAX_WINDOW_BITS,
        Some(_) => window("server_max_window_bits")??,
    };
    Some(DeflateConfig {
        server_no_context_takeover: offer.param("server_no_context_takeover").is_some(),
        client_no_context_takeover: offer.param("client_no_context_takeover").is_some(),
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits.unwrap_or(MAX_WINDOW_BITS),
        ..DeflateConfig::default()
    })
}

fn check_server(cfg: &DeflateConfig, offers: &[ExtensionOffer]) {
    let result = server_negotiate(cfg, offers);
    // The first offer the server accepts on its own is the one it accepts in the list.
    let first = offers
        .iter()
        .find_map(|o| server_negotiate(cfg, core::slice::from_ref(o)).map(|r| (o, r)));
    assert_eq!(
        result.as_ref(),
        first.as_ref().map(|(_, r)| r),
        "not the first acceptable offer"
    );
    let Some((offer, (params, element))) = first else {
        return;
    };
    assert!(cfg.enabled, "accepted while disabled");
    assert_eq!(offer.name, EXTENSION_NAME);
    assert_windows(&params, "server");
    // The server's own configuration holds.
    assert!(params.server_max_window_bits <= bits(cfg.server_max_window_bits));
    assert!(params.client_max_window_bits <= bits(cfg.client_max_window_bits));
    assert!(params.server_no_context_takeover >= cfg.server_no_context_takeover);
    assert!(params.client_no_context_takeover >= cfg.client_no_context_takeover);
    let offered_cmwb = offer.param("client_max_window_bits").is_some();
    check_response_element(&element, offered_cmwb);
    if let Some(client) = client_for(offer) {
        assert_eq!(
            client_accept_response(&client, core::slice::from_ref(&element)),
            Ok(Some(params)),
            "offer {offer}, response {element}"
        );
    }
}

/// The client's own offer: always accepted by an enabled server, whose response the
/// client accepts with the same parameters.
fn check_own_offer(server: &DeflateConfig, client: &DeflateConfig) {
    let offer = client_offer(client);
    let text = offer.to_string();
    assert_eq!(
        parse_extensions(text.as_bytes()).as_deref(),
        Ok(core::slice::from_ref(&offer)),
        "the offer {text:?} does not parse back"
    );
    let result = server_negotiate(server, core::slice::from_ref(&offer));
    let Some((params, element)) = result else {
        assert!(!server.enabled, "an enabled server declined {text:?}");
        return;
    };
    assert_windows(&params, "server");
    check_response_element(&element, true);
    if client.enabled {
        assert_eq!(
            client_accept_response(client, core::slice::from_ref(&element)),
            Ok(Some(params)),
            "offer {text}, response {element}"
        );
    }
}

/// `client_accept_response` on arbitrary offers taken as the response.
fn check_client(cfg: &DeflateConfig, response: &[ExtensionOffer]) {
    let result = client_accept_response(cfg, response);
    let ours = response.iter().filter(|o| o.name == EXTENSION_NAME).count();
    match result {
        Ok(None) => assert_eq!(ours, 0),
        Ok(Some(p)) => {
            assert_eq!(ours, 1);
            assert!(cfg.enabled);
            assert_windows(&p, "client");
            assert!(p.server_max_window_bits <= bits(cfg.server_max_window_bits));
            assert!(p.client_max_window_bits <= bits(cfg.client_max_window_bits));
            assert!(p.server_no_context_takeover >= cfg.server_no_context_takeover);
            assert!(p.client_no_context_takeover >= cfg.client_no_context_takeover);
        }
        Err(_) => assert!(ours > 0, "an error without our extension"),
    }
}
