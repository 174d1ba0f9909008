//! Property tests: invariants that are cheaper to state as properties than to fuzz.
//!
//! Frame header round-trips, close-code classification and Close bodies, handshake
//! key/accept pairs, UTF-16 input with unpaired surrogates, and (as a quick companion to
//! the fuzz targets) masking in pieces and incremental UTF-8 under any chunking.

use proptest::prelude::*;

use websock_core::close::{
    encode_close_body, is_allowed_by_browser_api, is_valid_on_wire, parse_close_body,
    MAX_REASON_LEN,
};
use websock_core::dom::{
    close_frame_code, has_unpaired_surrogate, utf16_to_string_lossy, utf16_to_string_strict,
    validate_close_args, validate_close_args_utf16,
};
use websock_core::frame::{FrameHeader, OpCode, Status, MAX_HEADER_LEN};
use websock_core::handshake::{
    accept_key, encode_accept, generate_key, is_valid_key, validate_request, validate_response,
    ClientRequest, HeadReader,
};
use websock_core::mask::{apply_mask, apply_mask_reference};
use websock_core::rng::DeterministicRng;
use websock_core::utf8::Utf8Validator;
use websock_core::{ApiError, HandshakeError, ProtocolError};

const OPCODES: [OpCode; 6] = [
    OpCode::Continuation,
    OpCode::Text,
    OpCode::Binary,
    OpCode::Close,
    OpCode::Ping,
    OpCode::Pong,
];

/// Headers that obey the rules of the header alone: control frames are final and at
/// most 125 bytes; lengths below 2^63.
fn valid_header() -> impl Strategy<Value = FrameHeader> {
    let len = prop_oneof![0u64..=130, 60_000u64..=70_000, 0u64..(1 << 63)];
    (
        any::<bool>(),
        0u8..8,
        0usize..6,
        any::<Option<[u8; 4]>>(),
        len,
    )
        .prop_map(|(fin, rsv, op, mask, len)| {
            let opcode = OPCODES[op];
            let control = opcode.is_control();
            FrameHeader {
                fin: fin || control,
                rsv,
                opcode,
                mask,
                payload_len: if control { len % 126 } else { len },
            }
        })
}

proptest! {
    #[test]
    fn frame_header_round_trips(h in valid_header(), trailing in prop::collection::vec(any::<u8>(), 0..20)) {
        let mut buf = [0u8; MAX_HEADER_LEN];
        let n = h.encode(&mut buf);
        prop_assert_eq!(n, h.encoded_len());
        // The shortest length form is used.
        let len_bytes = match h.payload_len { 0..=125 => 0, 126..=0xFFFF => 2, _ => 8 };
        prop_assert_eq!(n, 2 + len_bytes + if h.mask.is_some() { 4 } else { 0 });
        prop_assert_eq!(FrameHeader::parse(&buf[..n]), Ok(Status::Complete((h, n))));
        for cut in 0..n {
            prop_assert_eq!(FrameHeader::parse(&buf[..cut]), Ok(Status::Partial));
        }
        let mut longer = buf[..n].to_vec();
        longer.extend_from_slice(&trailing);
        prop_assert_eq!(FrameHeader::parse(&longer), Ok(Status::Complete((h, n))));
    }

    #[test]
    fn any_parsed_header_re_encodes_to_itself(bytes in prop::collection::vec(any::<u8>(), 0..16)) {
        if let Ok(Status::Complete((h, n))) = FrameHeader::parse(&bytes) {
            prop_assert!(n <= bytes.len());
            prop_assert!(h.encoded_len() <= n);
            let mut buf = [0u8; MAX_HEADER_LEN];
            let m = h.encode(&mut buf);
            prop_assert_eq!(FrameHeader::parse(&buf[..m]), Ok(Status::Complete((h, m))));
        }
    }

    #[test]
    fn close_code_classification(code in any::<u16>()) {
        let on_wire = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
        prop_assert_eq!(is_valid_on_wire(code), on_wire);
        let by_api = code == 1000 || (3000..=4999).contains(&code);
        prop_assert_eq!(is_allowed_by_browser_api(code), by_api);
        // What a script may send is always valid on the wire.
        prop_assert!(!by_api || on_wire);
        // The browser's close(): InvalidAccessError for any other code.
        let checked = validate_close_args(Some(code), None);
        prop_assert_eq!(checked, if by_api { Ok(()) } else { Err(ApiError::InvalidAccess) });
        // A received Close frame with the code: accepted exactly when valid on the wire.
        let body = code.to_be_bytes();
        match parse_close_body(&body) {
            Ok(b) => prop_assert!(on_wire && b.code == Some(code) && b.reason.is_empty()),
            Err(e) => prop_assert!(!on_wire && e == ProtocolError::InvalidCloseCode),
        }
    }

    #[test]
    fn close_bodies_round_trip(code_index in any::<u16>(), reason in "\\PC{0,60}") {
        let valid: Vec<u16> = (1000..=1003).chain(1007..=1014).chain(3000..=4999).collect();
        let code = valid[usize::from(code_index) % valid.len()];
        let mut out = Vec::new();
        encode_close_body(Some(code), &reason, &mut out);
        let parsed = parse_close_body(&out);
        if reason.len() <= MAX_REASON_LEN {
            prop_assert_eq!(out.len(), 2 + reason.len());
            let b = parsed.unwrap();
            prop_assert_eq!((b.code, b.reason), (Some(code), reason.as_str()));
            prop_assert_eq!(b.reported_code(), code);
        }
        // The browser's rules on the reason's length.
        let api_code = if is_allowed_by_browser_api(code) { Some(code) } else { Some(1000) };
        let checked = validate_close_args(api_code, Some(&reason));
        prop_assert_eq!(checked.is_ok(), reason.len() <= MAX_REASON_LEN);
        prop_assert_eq!(close_frame_code(None, Some(&reason)), Some(1000));
        prop_assert_eq!(close_frame_code(Some(code), None), Some(code));
        prop_assert_eq!(close_frame_code(None, None), None);
    }

    #[test]
    fn close_body_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..130)) {
        match parse_close_body(&bytes) {
            Ok(b) => {
                prop_assert!(bytes.is_empty() || b.code.is_some_and(is_valid_on_wire));
                prop_assert_eq!(b.reason.len(), bytes.len().saturating_sub(2));
            }
            Err(e) => prop_assert!(matches!(
                e,
                ProtocolError::InvalidCloseBody | ProtocolError::InvalidCloseCode | ProtocolError::InvalidUtf8
            )),
        }
    }

    #[test]
    fn any_sixteen_bytes_make_a_valid_key(seed in any::<u64>()) {
        let mut rng = DeterministicRng::new(seed);
        let key = generate_key(&mut rng);
        prop_assert_eq!(key.len(), 24);
        prop_assert!(is_valid_key(key.as_bytes()));
        let accept = accept_key(key.as_bytes());
        // base64 of a 20-byte SHA-1 digest.
        prop_assert_eq!(accept.len(), 28);
        prop_assert!(accept.ends_with('='));
        prop_assert!(accept[..27].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
        // The key is hashed as given: surrounding whitespace changes the answer.
        prop_assert_ne!(accept_key(format!(" {key}").as_bytes()), accept);
    }

    #[test]
    fn handshake_key_accept_pairs(seed in any::<u64>(), other_seed in any::<u64>()) {
        let mut rng = DeterministicRng::new(seed);
        let key = generate_key(&mut rng);
        let creq = ClientRequest::new("example.com", "/chat");
        let mut wire = Vec::new();
        creq.encode(&key, &mut wire).unwrap();

        let mut server = HeadReader::new(4096, 32);
        prop_assert_eq!(server.feed(&wire), Ok(Some(&b""[..])));
        let req = server.parse_request().unwrap();
        prop_assert_eq!(req.key(), Some(key.as_bytes()));
        validate_request(&req).unwrap();
        let mut answer = Vec::new();
        encode_accept(&req, None, None, &[], &mut answer).unwrap();

        let mut client = HeadReader::new(4096, 32);
        prop_assert!(client.feed(&answer).unwrap().is_some());
        let resp = client.parse_response().unwrap();
        let accept = accept_key(key.as_bytes());
        prop_assert_eq!(resp.header("sec-websocket-accept"), Some(accept.as_bytes()));
        prop_assert!(validate_response(&resp, &key, &creq).is_ok());

        // The same answer does not fit another key.
        let other = generate_key(&mut DeterministicRng::new(other_seed));
        if other != key {
            prop_assert!(matches!(
                validate_response(&resp, &other, &creq),
                Err(HandshakeError::InvalidResponse(_))
            ));
        }
    }

    #[test]
    fn key_validation_is_exact(s in "[A-Za-z0-9+/]{21}[AQgw]==|[A-Za-z0-9+/=]{20,26}") {
        // Exactly the 24-character padded base64 encodings of 16 bytes are keys (with
        // any trailing bits in the last character).
        let bytes = s.as_bytes();
        let shape = bytes.len() == 24
            && bytes[..22].iter().all(|&b| b != b'=')
            && &bytes[22..] == b"==";
        prop_assert_eq!(is_valid_key(bytes), shape);
    }

    #[test]
    fn utf16_round_trips(s in "\\PC{0,40}") {
        let units: Vec<u16> = s.encode_utf16().collect();
        prop_assert!(!has_unpaired_surrogate(&units));
        prop_assert_eq!(utf16_to_string_strict(&units), Ok(s.clone()));
        prop_assert_eq!(utf16_to_string_lossy(&units), s);
    }

    #[test]
    fn unpaired_surrogates(units in prop::collection::vec(
        prop_oneof![any::<u16>(), 0xD800u16..=0xDFFF, Just(0xD83D), Just(0xDE00)], 0..40)
    ) {
        let strict = utf16_to_string_strict(&units);
        let unpaired = has_unpaired_surrogate(&units);
        prop_assert_eq!(strict.is_err(), unpaired);
        if let Err(e) = &strict {
            prop_assert_eq!(*e, ApiError::Syntax);
        }
        let lossy = utf16_to_string_lossy(&units);
        // Each unpaired surrogate becomes one U+FFFD; pairs stay pairs.
        prop_assert_eq!(lossy.encode_utf16().count(), units.len());
        let back: Vec<u16> = lossy.encode_utf16().collect();
        let mut i = 0;
        while i < units.len() {
            let u = units[i];
            let paired = (0xD800..0xDC00).contains(&u)
                && units.get(i + 1).is_some_and(|n| (0xDC00..0xE000).contains(n));
            if paired {
                prop_assert_eq!(&back[i..i + 2], &units[i..i + 2]);
                i += 2;
            } else {
                let expected = if (0xD800..0xE000).contains(&u) { 0xFFFD } else { u };
                prop_assert_eq!(back[i], expected);
                i += 1;
            }
        }
        match strict {
            Ok(s) => prop_assert_eq!(s, lossy),
            Err(_) => prop_assert!(lossy.contains(char::REPLACEMENT_CHARACTER)),
        }
        // The seeds' close(): a reason with an unpaired surrogate is a SyntaxError.
        let checked = validate_close_args_utf16(Some(1000), Some(&units));
        if unpaired {
            prop_assert_eq!(checked, Err(ApiError::Syntax));
        } else {
            let utf8_len = utf16_to_string_lossy(&units).len();
            prop_assert_eq!(checked.is_ok(), utf8_len <= MAX_REASON_LEN);
        }
    }

    #[test]
    fn masking_in_pieces_matches_the_reference(
        key in any::<[u8; 4]>(),
        offset in 0usize..1 << 40,
        data in prop::collection::vec(any::<u8>(), 0..200),
        cuts in prop::collection::vec(0usize..40, 0..10),
    ) {
        let mut expected = data.clone();
        apply_mask_reference(&mut expected, key, offset);
        let mut pieces = data.clone();
        let mut done = 0usize;
        for c in cuts.iter().copied().chain(core::iter::once(usize::MAX)) {
            let end = done.saturating_add(c).min(data.len());
            apply_mask(&mut pieces[done..end], key, offset + done);
            done = end;
        }
        prop_assert_eq!(pieces, expected);
    }

    #[test]
    fn utf8_validator_agrees_with_std(
        s in "\\PC{0,30}",
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        cuts in prop::collection::vec(0usize..8, 1..8),
    ) {
        let mut bytes = s.into_bytes();
        for (pos, b) in edits {
            if !bytes.is_empty() {
                let i = pos % bytes.len();
                bytes[i] = b;
            }
        }
        let expected = std::str::from_utf8(&bytes).is_ok();
        let mut v = Utf8Validator::new();
        let mut ok = true;
        let mut rest = &bytes[..];
        for c in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (a, b) = rest.split_at((*c).max(1).min(rest.len()));
            ok &= v.feed(a).is_ok();
            rest = b;
            if !ok {
                break;
            }
        }
        let ok = ok && v.finish().is_ok();
        prop_assert_eq!(ok, expected);
    }
}
