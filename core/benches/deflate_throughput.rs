//! The cost of permessage-deflate: client-to-server throughput through a pair of
//! in-memory connections, with and without compression, for a text-heavy payload
//! (JSON-like chat messages) and for incompressible bytes.
//!
//! Run: `cargo bench -p websock-core --bench deflate_throughput`
//! (plain `harness = false` timing; numbers go in the closing notes / docs).

use std::time::{Duration, Instant};

use websock_core::deflate::DeflateConfig;
use websock_core::handshake::ClientRequest;
use websock_core::rng::{DeterministicRng, Rng};
use websock_core::{Config, Connection, Event, Message};

fn config(seed: u64, deflate: DeflateConfig) -> Config {
    let mut c = Config {
        rng: Some(Box::new(DeterministicRng::new(seed))),
        deflate,
        ..Config::default()
    };
    c.limits.max_message_size = 256 << 20;
    c.limits.max_frame_size = 256 << 20;
    c
}

fn transmit(conn: &mut Connection, out: &mut Vec<u8>) {
    loop {
        let mut slices: [&[u8]; 32] = [&[]; 32];
        let n = conn.poll_transmit(&mut slices);
        let before = out.len();
        for s in &slices[..n] {
            out.extend_from_slice(s);
        }
        let wrote = out.len() - before;
        if wrote == 0 {
            return;
        }
        conn.advance_transmit(wrote);
    }
}

fn open_pair(deflate: DeflateConfig) -> (Connection, Connection) {
    let now = Duration::ZERO;
    let mut client =
        Connection::client(ClientRequest::new("h", "/"), config(1, deflate), now).unwrap();
    let mut server = Connection::server(config(2, deflate), now);
    let mut wire = Vec::new();
    transmit(&mut client, &mut wire);
    server.handle_input(now, &wire);
    while let Some(ev) = server.poll_event() {
        if let Event::Request(_) = ev {
            server.accept(None, &[]).unwrap();
        }
    }
    wire.clear();
    transmit(&mut server, &mut wire);
    client.handle_input(now, &wire);
    while client.poll_event().is_some() {}
    (client, server)
}

/// Sends `messages` client → server; returns (seconds, wire bytes).
fn run(deflate: DeflateConfig, messages: &[Message]) -> (f64, usize) {
    let (mut client, mut server) = open_pair(deflate);
    let mut wire = Vec::with_capacity(1 << 20);
    let mut wire_total = 0;
    let mut received = 0;
    let start = Instant::now();
    for m in messages {
        client.send(m.clone()).unwrap();
        wire.clear();
        transmit(&mut client, &mut wire);
        wire_total += wire.len();
        server.handle_input(Duration::ZERO, &wire);
        while let Some(ev) = server.poll_event() {
            if let Event::Message(m) = ev {
                received += m.len();
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(received, messages.iter().map(Message::len).sum::<usize>());
    (secs, wire_total)
}

fn chat_text(len: usize, seed: u64) -> String {
    let words = [
        "hello",
        "world",
        "websocket",
        "message",
        "user",
        "typing",
        "online",
        "room",
        "the",
        "a",
        "ok",
        "thanks",
    ];
    let mut rng = DeterministicRng::new(seed);
    let mut s = String::with_capacity(len + 100);
    let mut i = 0u32;
    while s.len() < len {
        let mut b = [0u8; 4];
        rng.fill_bytes(&mut b);
        let w = words[b[0] as usize % words.len()];
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"text\":\"{w} {w}s\"}},",
            b[1] % 50
        ));
        i += 1;
    }
    s.truncate(len);
    s
}

fn main() {
    let payload_size = 16 << 10;
    let count = 2000;
    let text: Vec<Message> = (0..count)
        .map(|i| Message::text(chat_text(payload_size, i).as_str()))
        .collect();
    let random: Vec<Message> = (0..count / 4)
        .map(|i| {
            let mut v = vec![0u8; payload_size];
            DeterministicRng::new(2 * i + 1001).fill_bytes(&mut v);
            Message::binary(v)
        })
        .collect();
    let configs = [
        ("off", DeflateConfig::disabled()),
        (
            "deflate level 1",
            DeflateConfig {
                level: 1,
                ..DeflateConfig::default()
            },
        ),
        ("deflate level 6 (default)", DeflateConfig::default()),
        (
            "deflate level 6, no context takeover",
            DeflateConfig {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                ..DeflateConfig::default()
            },
        ),
    ];
    println!("{count} messages of {} KiB, client -> server, in memory (compress + mask + parse + inflate)", payload_size >> 10);
    println!(
        "{:<40} {:>12} {:>12} {:>10}",
        "payload / permessage-deflate", "MB/s", "msgs/s", "wire/raw"
    );
    for (name, payload) in [("chat JSON text", &text), ("random bytes", &random)] {
        for (label, cfg) in configs {
            let raw: usize = payload.iter().map(Message::len).sum();
            // One warm-up pass, then the measured one.
            run(cfg, &payload[..payload.len() / 10]);
            let (secs, wire) = run(cfg, payload);
            println!(
                "{:<40} {:>12.1} {:>12.0} {:>10.3}",
                format!("{name}, {label}"),
                raw as f64 / secs / 1e6,
                payload.len() as f64 / secs,
                wire as f64 / raw as f64
            );
        }
    }
}
