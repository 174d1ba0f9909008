//! Streamed messages: `send_stream` into `recv_stream`, mixed with whole messages.

mod common;

use std::io::{ErrorKind, Read, Write};

use common::{server, within};
use websock_std::{connect, Decision, Message, MessageKind, ServerOptions};

/// 10 MiB of text whose code points (1 to 4 bytes) cross every fragment and write
/// boundary.
fn big_text() -> String {
    let mut s = String::new();
    while s.len() < 10 << 20 {
        s.push_str("a\u{e9}\u{20ac}\u{1f600}b");
    }
    s
}

fn big_binary() -> Vec<u8> {
    (0..10usize << 20).map(|i| (i % 251) as u8).collect()
}

#[test]
fn ten_mib_binary_and_text_stream_byte_exact() {
    within(120, || {
        let (addr, server) = server(
            ServerOptions::default(),
            |_| Decision::accept(),
            |mut ws| {
                // Binary through `Read`.
                let mut reader = ws.recv_stream().unwrap().unwrap();
                assert_eq!(reader.kind(), MessageKind::Binary);
                let mut binary = Vec::new();
                reader.read_to_end(&mut binary).unwrap();
                drop(reader);
                // Text chunk by chunk: each chunk is valid UTF-8 on its own.
                let mut reader = ws.recv_stream().unwrap().unwrap();
                assert_eq!(reader.kind(), MessageKind::Text);
                let (mut text, mut chunks) = (String::new(), 0);
                while let Some(chunk) = reader.chunk() {
                    text.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
                    chunks += 1;
                }
                assert!(reader.chunk().is_none());
                drop(reader);
                assert!(ws.recv().is_none());
                (binary, text, chunks)
            },
        );
        let mut ws = connect(&format!("ws://{addr}/")).unwrap();
        let binary = big_binary();
        let mut writer = ws.send_stream(MessageKind::Binary);
        for piece in binary.chunks(7777) {
            writer.write_all(piece).unwrap();
        }
        writer.finish().unwrap();
        let text = big_text();
        let mut writer = ws.send_stream(MessageKind::Text).fragment_size(10_001);
        for piece in text.as_bytes().chunks(4099) {
            writer.write_all(piece).unwrap();
        }
        writer.flush().unwrap();
        writer.finish().unwrap();
        ws.close(Some(1000), "").unwrap();
        let (got_binary, got_text, chunks) = server.join().unwrap().unwrap();
        assert!(got_binary == binary, "binary differs");
        assert!(got_text == text, "text differs");
        assert!(chunks > 1, "the text arrived in {chunks} chunk(s)");
    });
}

#[test]
fn recv_and_recv_stream_mix_on_one_connection() {
    within(30, || {
        let (addr, server) = server(
            ServerOptions::default(),
            |_| Decision::accept(),
            |mut ws| {
                let mut seen = Vec::new();
                // Whole, streamed, streamed (dropped after one chunk), whole, streamed.
                seen.push(ws.recv().unwrap().unwrap().into_bytes().to_vec());
                let mut all = Vec::new();
                ws.recv_stream()
                    .unwrap()
                    .unwrap()
                    .read_to_end(&mut all)
                    .unwrap();
                seen.push(all);
                let mut reader = ws.recv_stream().unwrap().unwrap();
                let first = reader.chunk().unwrap().unwrap();
                assert!(!first.is_empty());
                drop(reader); // the rest is discarded
                seen.push(ws.recv().unwrap().unwrap().into_bytes().to_vec());
                let mut reader = ws.recv_stream().unwrap().unwrap();
                let mut all = String::new();
                reader.read_to_string(&mut all).unwrap();
                assert_eq!(reader.read(&mut [0; 8]).unwrap(), 0);
                seen.push(all.into_bytes());
                assert!(ws.recv_stream().is_none());
                seen
            },
        );
        let mut ws = connect(&format!("ws://{addr}/")).unwrap();
        ws.send(Message::text("whole one")).unwrap();
        let streamed: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
        let mut writer = ws.send_stream(MessageKind::Binary).fragment_size(4096);
        writer.write_all(&streamed).unwrap();
        writer.finish().unwrap();
        let mut writer = ws.send_stream(MessageKind::Binary).fragment_size(1000);
        writer.write_all(&[7; 500_000]).unwrap();
        writer.finish().unwrap();
        ws.send(Message::binary(vec![1, 2, 3])).unwrap();
        let mut writer = ws.send_stream(MessageKind::Text).uncompressed();
        writer.write_all("end \u{1f600}".as_bytes()).unwrap();
        writer.finish().unwrap();
        ws.close(Some(1000), "").unwrap();
        let seen = server.join().unwrap().unwrap();
        assert_eq!(seen[0], b"whole one");
        assert!(seen[1] == streamed);
        assert_eq!(seen[2], [1, 2, 3]);
        assert_eq!(seen[3], "end \u{1f600}".as_bytes());
    });
}

#[test]
fn invalid_utf8_in_a_text_writer_is_invalid_data() {
    within(20, || {
        let (addr, server) = server(
            ServerOptions::default(),
            |_| Decision::accept(),
            |mut ws| ws.recv().unwrap().unwrap(),
        );
        let mut ws = connect(&format!("ws://{addr}/")).unwrap();
        let mut writer = ws.send_stream(MessageKind::Text);
        writer.write_all(b"ok \xff\xfe").unwrap();
        let e = writer.flush().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        drop(writer); // nothing of it went out: the connection goes on
        ws.send(Message::text("still open")).unwrap();
        assert_eq!(server.join().unwrap().unwrap(), Message::text("still open"));
    });
}

#[test]
fn a_dropped_writer_cuts_the_message_short() {
    within(20, || {
        let (addr, server) = server(
            ServerOptions::default(),
            |_| Decision::accept(),
            |mut ws| {
                let mut reader = ws.recv_stream().unwrap().unwrap();
                let mut got = Vec::new();
                let e = reader.read_to_end(&mut got).unwrap_err();
                drop(reader);
                while ws.recv().is_some() {}
                (got, e.kind(), ws.close_event().map(|c| c.code))
            },
        );
        let mut ws = connect(&format!("ws://{addr}/")).unwrap();
        let mut writer = ws.send_stream(MessageKind::Binary);
        writer.write_all(b"partial").unwrap();
        writer.flush().unwrap();
        drop(writer);
        while ws.recv().is_some() {}
        let (got, kind, code) = server.join().unwrap().unwrap();
        assert_eq!(got, b"partial");
        assert_eq!(kind, ErrorKind::UnexpectedEof);
        assert_eq!(code, Some(1011));
    });
}
