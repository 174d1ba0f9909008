//! permessage-deflate (RFC 7692) through whole connections.
#![cfg(feature = "deflate")]

mod common;

use std::time::Duration;

use common::*;
use websock_core::deflate::DeflateConfig;
use websock_core::handshake::ClientRequest;
use websock_core::{
    Bytes, Config, Connection, Error, Event, Message, MessageKind, ProtocolError, Role,
};

fn with_deflate(seed: u64, deflate: DeflateConfig) -> Config {
    Config {
        deflate,
        ..config(seed)
    }
}

fn opened(client: DeflateConfig, server: DeflateConfig, chunk: usize) -> Pair {
    let mut p = Pair::new(
        ClientRequest::new("h", "/"),
        with_deflate(1, client),
        with_deflate(2, server),
        chunk,
    );
    p.pump();
    p.take_client_events();
    p.take_server_events();
    p
}

fn text(len: usize) -> String {
    "the quick brown fox jumps over the lazy dog; "
        .chars()
        .cycle()
        .take(len)
        .collect()
}

#[test]
fn negotiated_by_default_and_reported_as_extensions() {
    let p = opened(
        DeflateConfig::default(),
        DeflateConfig::default(),
        usize::MAX,
    );
    assert_eq!(p.client.extensions(), "permessage-deflate");
    assert_eq!(p.server.extensions(), "permessage-deflate");
    assert!(String::from_utf8_lossy(&p.client_wire)
        .contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"));
}

#[test]
fn off_on_either_side_means_no_compression() {
    for (c, s) in [
        (DeflateConfig::disabled(), DeflateConfig::default()),
        (DeflateConfig::default(), DeflateConfig::disabled()),
    ] {
        let mut p = opened(c, s, usize::MAX);
        assert_eq!(p.client.extensions(), "");
        assert_eq!(p.server.extensions(), "");
        p.client_wire.clear();
        p.client.send_text(&text(1000)).unwrap();
        p.pump();
        let frames = decode_frames(&p.client_wire);
        assert_eq!(frames[0].payload.len(), 1000);
        assert_eq!(
            messages(&p.take_server_events()),
            vec![Message::text(text(1000).as_str())]
        );
    }
}

#[test]
fn messages_round_trip_compressed_under_every_parameter_set() {
    let variants = [
        DeflateConfig::default(),
        DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..DeflateConfig::default()
        },
        DeflateConfig {
            server_max_window_bits: 9,
            client_max_window_bits: 10,
            ..DeflateConfig::default()
        },
        DeflateConfig {
            server_max_window_bits: 8,
            client_max_window_bits: 8,
            level: 1,
            ..DeflateConfig::default()
        },
    ];
    for cfg in variants {
        for chunk in [1usize, 7, usize::MAX] {
            let mut p = opened(cfg, cfg, chunk);
            let sizes: &[usize] = if chunk == 1 {
                &[0, 1, 31, 32, 200, 5000]
            } else {
                &[0, 1, 31, 32, 200, 70_000, 1 << 20]
            };
            let mut expected = Vec::new();
            for &n in sizes {
                p.client.send_text(&text(n)).unwrap();
                p.server.send_text(&text(n)).unwrap();
                p.client.send_binary(random_bytes(n, n as u64)).unwrap();
                p.server.send_binary(random_bytes(n, n as u64)).unwrap();
                expected.push(Message::text(text(n).as_str()));
                expected.push(Message::binary(random_bytes(n, n as u64)));
            }
            p.pump();
            assert!(
                messages(&p.take_server_events()) == expected,
                "{cfg:?} chunk {chunk}"
            );
            assert!(
                messages(&p.take_client_events()) == expected,
                "{cfg:?} chunk {chunk}"
            );
        }
    }
}

#[test]
fn rsv1_only_on_first_frame_and_text_shrinks() {
    let mut p = opened(
        DeflateConfig::default(),
        DeflateConfig::default(),
        usize::MAX,
    );
    p.server_wire.clear();
    p.server.send_text(&text(10_000)).unwrap();
    p.server
        .send_fragment(MessageKind::Text, Bytes::from(text(500)), false)
        .unwrap();
    p.server
        .send_fragment(MessageKind::Text, Bytes::from(text(500)), true)
        .unwrap();
    p.pump();
    // Decode raw headers: RSV1 is bit 0x40 of the first byte.
    let wire = p.server_wire.clone();
    let mut rsv1 = Vec::new();
    let mut rest = &wire[..];
    while !rest.is_empty() {
        let websock_core::frame::Status::Complete((h, n)) =
            websock_core::frame::FrameHeader::parse(rest).unwrap()
        else {
            panic!()
        };
        rsv1.push((h.opcode, h.rsv == 0b100, h.payload_len));
        rest = &rest[n + h.payload_len as usize..];
    }
    assert!(rsv1[0].1 && rsv1[0].2 < 200, "{rsv1:?}");
    assert!(rsv1[1].1 && !rsv1[2].1, "{rsv1:?}");
    assert_eq!(
        messages(&p.take_client_events()),
        vec![
            Message::text(text(10_000).as_str()),
            Message::text(text(500).repeat(2).as_str())
        ]
    );
}

#[test]
fn per_message_opt_out_and_minimum_size() {
    let mut p = opened(
        DeflateConfig::default(),
        DeflateConfig {
            min_message_size: 100,
            ..DeflateConfig::default()
        },
        usize::MAX,
    );
    p.server_wire.clear();
    p.server
        .send_with(Message::text(text(5000).as_str()), false)
        .unwrap();
    p.server.send_text(&text(99)).unwrap();
    p.pump();
    let frames = decode_frames(&p.server_wire);
    assert_eq!(frames[0].payload.len(), 5000, "opted out");
    assert_eq!(frames[1].payload.len(), 99, "below the minimum");
    assert_eq!(messages(&p.take_client_events()).len(), 2);
}

#[test]
fn context_takeover_makes_a_repeated_message_cheaper() {
    let mut p = opened(
        DeflateConfig::default(),
        DeflateConfig::default(),
        usize::MAX,
    );
    let msg = random_bytes(2000, 9);
    p.server_wire.clear();
    p.server.send_binary(msg.clone()).unwrap();
    p.pump();
    let first = p.server_wire.len();
    p.server_wire.clear();
    p.server.send_binary(msg).unwrap();
    p.pump();
    assert!(
        p.server_wire.len() < first / 10,
        "{} vs {first}",
        p.server_wire.len()
    );
}

fn open_deflate_server() -> Connection {
    // A server that negotiated permessage-deflate with a (simulated) client.
    let mut p = opened(
        DeflateConfig::default(),
        DeflateConfig::default(),
        usize::MAX,
    );
    assert_eq!(p.server.extensions(), "permessage-deflate");
    std::mem::replace(&mut p.server, Connection::server(config(3), Duration::ZERO))
}

#[test]
fn rsv1_on_continuation_or_control_is_1002() {
    let mut s = open_deflate_server();
    let mut first = client_frame(0x1, false, b"");
    first[0] |= 0x40;
    let mut cont = client_frame(0x0, true, b"x");
    cont[0] |= 0x40;
    first.extend(cont);
    s.handle_input(Duration::ZERO, &first);
    assert_eq!(close_code(&decode_frames(&drain(&mut s))), Some(1002));
    let mut s = open_deflate_server();
    let mut ping = client_frame(0x9, true, b"");
    ping[0] |= 0x40;
    s.handle_input(Duration::ZERO, &ping);
    assert_eq!(close_code(&decode_frames(&drain(&mut s))), Some(1002));
}

#[test]
fn decompression_bomb_closes_1009_without_holding_the_output() {
    let mut cfg = with_deflate(2, DeflateConfig::default());
    cfg.limits.max_message_size = 1 << 20;
    let mut p = Pair::new(
        ClientRequest::new("h", "/"),
        with_deflate(1, DeflateConfig::default()),
        cfg,
        usize::MAX,
    );
    p.pump();
    p.take_server_events();
    // 16 MiB of zeros compresses to a few KiB: small on the wire, huge inflated.
    p.client.send_binary(vec![0u8; 16 << 20]).unwrap();
    let wire = drain(&mut p.client);
    assert!(wire.len() < 64 << 10, "{}", wire.len());
    p.server.handle_input(p.now, &wire);
    let ev = events(&mut p.server);
    assert!(
        ev.iter().any(|e| matches!(
            e,
            Event::Error(Error::Protocol(ProtocolError::MessageTooLarge))
        )),
        "{ev:?}"
    );
    assert_eq!(
        close_code(&decode_frames(&drain(&mut p.server))),
        Some(1009)
    );
}

#[test]
fn corrupt_compressed_data_is_1007() {
    let mut s = open_deflate_server();
    let mut f = client_frame(0x2, true, &[0xff, 0xff, 0xff, 0xff, 0x00]);
    f[0] |= 0x40;
    s.handle_input(Duration::ZERO, &f);
    let ev = events(&mut s);
    assert!(
        ev.iter().any(|e| matches!(
            e,
            Event::Error(Error::Protocol(ProtocolError::InvalidCompressedData))
        )),
        "{ev:?}"
    );
    assert_eq!(close_code(&decode_frames(&drain(&mut s))), Some(1007));
}

#[test]
fn invalid_utf8_inside_compressed_text_is_1007() {
    let mut p = opened(
        DeflateConfig::default(),
        DeflateConfig::default(),
        usize::MAX,
    );
    // A binary message compressed by the client, relabelled as text: invalid UTF-8.
    p.client.send_binary(vec![0xff; 100]).unwrap();
    let mut wire = drain(&mut p.client);
    wire[0] = (wire[0] & 0xf0) | 0x1;
    p.server.handle_input(p.now, &wire);
    assert_eq!(
        close_code(&decode_frames(&drain(&mut p.server))),
        Some(1007)
    );
}

#[test]
fn a_bad_server_answer_fails_the_client_handshake() {
    let mut c =
        Connection::client(ClientRequest::new("h", "/"), config(1), Duration::ZERO).unwrap();
    let req = drain(&mut c);
    let text = String::from_utf8_lossy(&req).to_string();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap()
        .to_string();
    let accept = websock_core::handshake::accept_key(key.as_bytes());
    let resp = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16\r\n\r\n");
    c.handle_input(Duration::ZERO, resp.as_bytes());
    let ev = events(&mut c);
    assert!(
        matches!(ev[..], [Event::Error(Error::Handshake(_)), Event::Close(_)]),
        "{ev:?}"
    );
    let _ = Role::Client;
}
