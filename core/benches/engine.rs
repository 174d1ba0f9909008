//! The engine's hot loops against their yardsticks: masking 16 KiB against a memcpy of
//! the same bytes, UTF-8 validation against simdutf8 (whole and in 1 KiB fragments),
//! and the per-message cost of a client/server pair exchanging 16-byte messages.
//!
//! Run: `cargo bench -p websock-core --bench engine` (plain `harness = false` timing;
//! each line prints the ratio the performance goals are stated in).

use std::hint::black_box;
use std::time::{Duration, Instant};

use websock_core::mask::apply_mask;
use websock_core::rng::DeterministicRng;
use websock_core::utf8::{validate, Utf8Validator};
use websock_core::{Config, Connection, Event, Message, Role};

/// The fastest time per call of each closure, measured in interleaved rounds (20 of
/// ~25 ms each) so that other work on the machine skews every candidate alike; the
/// minimum is the figure least disturbed by it.
fn fastest<const N: usize>(mut candidates: [&mut dyn FnMut(); N]) -> [Duration; N] {
    let mut best = [Duration::MAX; N];
    for _ in 0..20 {
        for (f, best) in candidates.iter_mut().zip(best.iter_mut()) {
            for _ in 0..50 {
                f();
            }
            let mut calls = 0u32;
            let started = Instant::now();
            while started.elapsed() < Duration::from_millis(25) {
                for _ in 0..50 {
                    f();
                }
                calls += 50;
            }
            *best = (*best).min(started.elapsed() / calls);
        }
    }
    best
}

/// GB/s for `bytes` processed in `per_call`.
fn gbps(bytes: usize, per_call: Duration) -> f64 {
    bytes as f64 / per_call.as_secs_f64() / 1e9
}

fn masking() {
    let src = vec![0x5au8; 16 << 10];
    let mut dst = vec![0u8; 16 << 10];
    let mut masked = dst.clone();
    let [copy, mask] = fastest([
        &mut || {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        },
        &mut || apply_mask(black_box(&mut masked), [1, 2, 3, 4], 0),
    ]);
    println!(
        "mask 16 KiB: {:.2} GB/s, memcpy {:.2} GB/s: {:.2}x memcpy",
        gbps(src.len(), mask),
        gbps(src.len(), copy),
        copy.as_secs_f64() / mask.as_secs_f64()
    );
}

fn utf8() {
    // Mostly ASCII with some 2-, 3- and 4-byte sequences, as chat text is.
    let text: String = "hello, world. ünïcödé ✓ 漢字 🦀 "
        .chars()
        .cycle()
        .take(16 << 10)
        .collect();
    let bytes = text.as_bytes();
    let [simd, whole, fragmented] = fastest([
        &mut || {
            black_box(simdutf8::basic::from_utf8(black_box(bytes)).is_ok());
        },
        &mut || {
            black_box(validate(black_box(bytes)).is_ok());
        },
        &mut || {
            let mut v = Utf8Validator::new();
            for chunk in black_box(bytes).chunks(1024) {
                black_box(v.feed(chunk).is_ok());
            }
            black_box(v.finish().is_ok());
        },
    ]);
    println!(
        "UTF-8 {} KiB: whole {:.2} GB/s ({:.2}x simdutf8), 1 KiB fragments {:.2} GB/s ({:.2}x), simdutf8 {:.2} GB/s",
        bytes.len() >> 10,
        gbps(bytes.len(), whole),
        simd.as_secs_f64() / whole.as_secs_f64(),
        gbps(bytes.len(), fragmented),
        simd.as_secs_f64() / fragmented.as_secs_f64(),
        gbps(bytes.len(), simd),
    );
}

fn pair() -> (Connection, Connection) {
    let config = |seed| Config {
        rng: Some(Box::new(DeterministicRng::new(seed))),
        deflate: websock_core::deflate::DeflateConfig::disabled(),
        ..Config::default()
    };
    let mut client = Connection::upgraded(Role::Client, None, config(1), Duration::ZERO);
    let mut server = Connection::upgraded(Role::Server, None, config(2), Duration::ZERO);
    client.poll_event();
    server.poll_event();
    (client, server)
}

fn transfer(from: &mut Connection, to: &mut Connection, scratch: &mut Vec<u8>) {
    scratch.clear();
    let mut slices = [&[][..]; 16];
    let n = from.poll_transmit(&mut slices);
    for s in &slices[..n] {
        scratch.extend_from_slice(s);
    }
    let len = scratch.len();
    from.advance_transmit(len);
    to.handle_input(Duration::ZERO, scratch);
}

fn per_message() {
    let (mut client, mut server) = pair();
    let mut scratch = Vec::with_capacity(4096);
    let [round_trip] = fastest([&mut || {
        client
            .send(Message::binary(&b"0123456789abcdef"[..]))
            .unwrap();
        transfer(&mut client, &mut server, &mut scratch);
        let Some(Event::Message(m)) = server.poll_event() else {
            panic!("no message")
        };
        server.send(m).unwrap();
        transfer(&mut server, &mut client, &mut scratch);
        black_box(client.poll_event());
    }]);
    println!(
        "16 B message through a connection pair: {:.0} ns per message (send, frame, mask, parse, unmask, event)",
        round_trip.as_nanos() as f64 / 2.0
    );
}

fn main() {
    masking();
    utf8();
    per_message();
}
