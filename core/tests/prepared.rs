//! `PreparedMessage`: a message encoded once and sent on many connections. A server's
//! connection writes exactly what `send` of the same message writes, sharing the one
//! encoded frame; a client's masks it, a compressing one compresses it; it is refused
//! where `send` is refused.

mod common;

use common::*;
use websock_core::dom::ReadyState;
use websock_core::handshake::ClientRequest;
use websock_core::{
    Bytes, Config, Connection, Limits, Message, MessageKind, PreparedMessage, SendError,
};

/// An open pair with these configurations, its events and wire taken.
fn opened(client: Config, server: Config) -> Pair {
    let mut p = Pair::new(ClientRequest::new("h", "/"), client, server, usize::MAX);
    p.pump();
    assert_eq!(p.server.ready_state(), ReadyState::Open);
    p.take_client_events();
    p.take_server_events();
    p.client_wire.clear();
    p.server_wire.clear();
    p
}

/// Text and binary messages of lengths around each header size and the send queue's
/// copy/share threshold.
fn samples() -> Vec<Message> {
    let mut out = Vec::new();
    for len in [
        0usize, 1, 125, 126, 255, 256, 1024, 4096, 65_535, 65_536, 100_000,
    ] {
        out.push(Message::binary(random_bytes(len, len as u64)));
        out.push(Message::text("é".repeat(len / 2)));
    }
    out
}

#[test]
fn a_server_writes_what_send_writes_and_the_client_receives_it() {
    let mut sent = opened(plain(1), plain(2));
    let mut prepared = opened(plain(1), plain(2));
    for message in samples() {
        sent.server.send(message.clone()).unwrap();
        let p = PreparedMessage::new(message.clone());
        assert_eq!(p.to_message(), message);
        prepared.server.send_prepared(&p).unwrap();
        // Counted toward bufferedAmount as `send` counts it, until written.
        assert_eq!(
            prepared.server.buffered_amount(),
            sent.server.buffered_amount()
        );
        sent.pump();
        prepared.pump();
        assert_eq!(
            prepared.server_wire,
            sent.server_wire,
            "{} bytes",
            message.len()
        );
        assert_eq!(prepared.server.buffered_amount(), 0);
        assert_eq!(messages(&prepared.take_client_events()), vec![message]);
        sent.server_wire.clear();
        prepared.server_wire.clear();
    }
}

#[test]
fn many_connections_share_one_frame_and_small_frames_are_copied() {
    let mut servers: Vec<Pair> = (0..3).map(|i| opened(plain(i), plain(i + 10))).collect();
    let large = PreparedMessage::new(Message::binary(vec![5u8; 1024]));
    let small = PreparedMessage::new(Message::text("hello"));
    for p in &mut servers {
        p.server.send_prepared(&small).unwrap();
        p.server.send_prepared(&large).unwrap();
        let mut segments = Vec::new();
        let total = p.server.poll_transmit_owned(&mut segments);
        assert_eq!(total, small.frame().len() + large.frame().len());
        // The small frame was copied into the queue's own block; the large one is the
        // prepared message's own memory, not a copy.
        assert_eq!(segments.len(), 2, "{segments:?}");
        assert_eq!(&segments[0][..], small.frame());
        assert_ne!(segments[0].as_ptr(), small.frame().as_ptr());
        assert_eq!(segments[1].as_ptr(), large.frame().as_ptr());
        assert_eq!(segments[1].len(), large.frame().len());
        p.server.advance_transmit(total);
        assert_eq!(p.server.send_queue_len(), 0);
    }
}

#[test]
fn a_client_masks_a_prepared_message_with_its_own_key() {
    let mut p = opened(plain(1), plain(2));
    let prepared = PreparedMessage::new(Message::binary(vec![9u8; 300]));
    p.client.send_prepared(&prepared).unwrap();
    p.client.send_prepared(&prepared).unwrap();
    p.pump();
    let frames = decode_frames(&p.client_wire);
    assert_eq!(frames.len(), 2);
    assert!(frames
        .iter()
        .all(|f| f.masked && f.payload == vec![9u8; 300]));
    // Two masking keys, not one frame written twice.
    assert_ne!(
        p.client_wire[..p.client_wire.len() / 2],
        p.client_wire[p.client_wire.len() / 2..]
    );
    assert_eq!(
        messages(&p.take_server_events()),
        vec![prepared.to_message(), prepared.to_message()]
    );
}

#[cfg(feature = "deflate")]
#[test]
fn with_deflate_agreed_a_long_message_is_compressed_and_a_short_one_shared() {
    let mut p = opened(config(1), config(2));
    assert_eq!(p.server.extensions(), "permessage-deflate");
    let long = PreparedMessage::new(Message::text("all work and no play ".repeat(50)));
    let short = PreparedMessage::new(Message::text("hi"));
    p.server.send_prepared(&long).unwrap();
    p.pump();
    // RSV1: compressed, and far shorter than the payload.
    assert_eq!(p.server_wire[0], 0x80 | 0x40 | 0x1);
    assert!(
        p.server_wire.len() < long.len() / 4,
        "{}",
        p.server_wire.len()
    );
    p.server_wire.clear();
    p.server.send_prepared(&short).unwrap();
    p.pump();
    assert_eq!(p.server_wire, short.frame());
    assert_eq!(
        messages(&p.take_client_events()),
        vec![long.to_message(), short.to_message()]
    );
}

#[test]
fn refused_where_send_is_refused() {
    let prepared = PreparedMessage::new(Message::binary(vec![1u8; 600]));

    // Before the handshake.
    let mut server = Connection::server(plain(1), std::time::Duration::ZERO);
    assert_eq!(server.send_prepared(&prepared), Err(SendError::Connecting));

    // Inside a fragmented message.
    let mut p = opened(plain(1), plain(2));
    p.server
        .send_fragment(MessageKind::Binary, Bytes::from_static(b"a"), false)
        .unwrap();
    assert_eq!(
        p.server.send_prepared(&prepared),
        Err(SendError::FragmentOrder)
    );

    // Over the send queue's limit: nothing queued.
    let mut small_queue = plain(2);
    small_queue.limits = Limits {
        max_send_queue: 1000,
        ..Limits::default()
    };
    let mut p = opened(plain(1), small_queue);
    p.server.send_prepared(&prepared).unwrap();
    let queued = p.server.send_queue_len();
    assert_eq!(p.server.send_prepared(&prepared), Err(SendError::Full));
    assert_eq!(p.server.send_queue_len(), queued);

    // After close: dropped and counted, as the browser counts it.
    let mut p = opened(plain(1), plain(2));
    p.server.close(p.now, Some(1000), "").unwrap();
    assert_eq!(p.server.send_prepared(&prepared), Err(SendError::Closed));
}
