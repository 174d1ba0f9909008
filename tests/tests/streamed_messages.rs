//! Streamed messages (`send_stream` into `recv_stream`, mixed with whole messages), one
//! suite for the three runtimes: each test runs the same body with `websock-tokio`,
//! `websock-smol` and `websock-std` as client and server (through
//! `websock_tests::facade`: std's `Read` / `Write`, the async handles' `AsyncRead` /
//! `AsyncWrite`, blocked on).
//!
//! Gigabytes in bounded memory, deflate bombs and invalid UTF-8 far into a stream are
//! in `streaming.rs`.

use std::io::{ErrorKind, Read, Write};

use websock_core::{Message, MessageKind};
use websock_tests::facade::{connect, each_runtime, serve_one, Conn, Options};
use websock_tests::Runtime;

fn must_connect(rt: Runtime, url: &str) -> Box<dyn Conn> {
    connect(rt, url, &Options::new()).unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"))
}

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
    each_runtime("10 MiB streamed", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
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
        });
        let mut ws = must_connect(rt, &url);
        let binary = big_binary();
        let mut writer = ws.send_stream(MessageKind::Binary, None, false);
        for piece in binary.chunks(7777) {
            writer.write_all(piece).unwrap();
        }
        writer.finish().unwrap();
        let text = big_text();
        let mut writer = ws.send_stream(MessageKind::Text, Some(10_001), false);
        for piece in text.as_bytes().chunks(4099) {
            writer.write_all(piece).unwrap();
        }
        writer.flush().unwrap();
        writer.finish().unwrap();
        ws.close(Some(1000), "").unwrap();
        let (got_binary, got_text, chunks) = server.join().unwrap();
        assert!(got_binary == binary, "{rt}: binary differs");
        assert!(got_text == text, "{rt}: text differs");
        assert!(chunks > 1, "{rt}: the text arrived in {chunks} chunk(s)");
    });
}

#[test]
fn recv_and_recv_stream_mix_on_one_connection() {
    each_runtime("recv and recv_stream", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
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
            drop(reader);
            seen.push(all.into_bytes());
            assert!(ws.recv_stream().is_none());
            seen
        });
        let mut ws = must_connect(rt, &url);
        ws.send(Message::text("whole one")).unwrap();
        let streamed: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
        let mut writer = ws.send_stream(MessageKind::Binary, Some(4096), false);
        writer.write_all(&streamed).unwrap();
        writer.finish().unwrap();
        let mut writer = ws.send_stream(MessageKind::Binary, Some(1000), false);
        writer.write_all(&[7; 500_000]).unwrap();
        writer.finish().unwrap();
        ws.send(Message::binary(vec![1, 2, 3])).unwrap();
        let mut writer = ws.send_stream(MessageKind::Text, None, true);
        writer.write_all("end \u{1f600}".as_bytes()).unwrap();
        writer.finish().unwrap();
        ws.close(Some(1000), "").unwrap();
        let seen = server.join().unwrap();
        assert_eq!(seen[0], b"whole one", "{rt}");
        assert!(seen[1] == streamed, "{rt}");
        assert_eq!(seen[2], [1, 2, 3], "{rt}");
        assert_eq!(seen[3], "end \u{1f600}".as_bytes(), "{rt}");
    });
}

#[test]
fn invalid_utf8_in_a_text_writer_is_invalid_data() {
    each_runtime("invalid UTF-8 written", |rt| {
        let (url, server) = serve_one(rt, |mut ws| ws.recv().unwrap().unwrap());
        let mut ws = must_connect(rt, &url);
        let mut writer = ws.send_stream(MessageKind::Text, None, false);
        writer.write_all(b"ok \xff\xfe").unwrap();
        let e = writer.flush().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData, "{rt}: {e:?}");
        drop(writer); // nothing of it went out: the connection goes on
        ws.send(Message::text("still open")).unwrap();
        assert_eq!(server.join().unwrap(), Message::text("still open"), "{rt}");
    });
}

#[test]
fn a_dropped_writer_cuts_the_message_short() {
    each_runtime("dropped writer", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
            let mut reader = ws.recv_stream().unwrap().unwrap();
            let mut got = Vec::new();
            let e = reader.read_to_end(&mut got).unwrap_err();
            drop(reader);
            while ws.recv().is_some() {}
            (got, e.kind(), ws.close_event().map(|c| c.code))
        });
        let mut ws = must_connect(rt, &url);
        let mut writer = ws.send_stream(MessageKind::Binary, None, false);
        writer.write_all(b"partial").unwrap();
        writer.flush().unwrap();
        drop(writer);
        while ws.recv().is_some() {}
        let (got, kind, code) = server.join().unwrap();
        assert_eq!(got, b"partial", "{rt}");
        assert_eq!(kind, ErrorKind::UnexpectedEof, "{rt}");
        assert_eq!(code, Some(1011), "{rt}");
    });
}
