//! Replays every checked-in input of every target through its body on stable Rust:
//! `corpus/<target>/*` (the minimized libFuzzer corpus), `regressions/<target>/*`
//! (inputs that once failed), and the hand-written seeds. Also runs each target on a
//! few hundred pseudo-random inputs.

use std::fs;
use std::path::Path;

use websock_fuzz::{seeds, target};

fn replay(name: &str) {
    let run = target(name).expect("known target");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let dir = root.join(dir).join(name);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.expect("dir entry").path()).collect();
        files.sort();
        for file in files {
            let data = fs::read(&file).expect("read input");
            eprintln!("replaying {}", file.display());
            run(&data);
            count += 1;
        }
    }
    for (seed, data) in seeds::seeds(name) {
        eprintln!("replaying seed {seed}");
        run(&data);
        count += 1;
    }
    // Pseudo-random inputs (xorshift), a cheap smoke test of the decoding paths.
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ name.len() as u64;
    for i in 0..300 {
        let len = (i * 7) % 600;
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        eprintln!("replaying random input {i}: {data:?}");
        run(&data);
    }
    assert!(count > 0, "no inputs for {name}");
}

#[test]
fn frame_header() {
    replay("frame_header");
}

#[test]
fn handshake_request() {
    replay("handshake_request");
}

#[test]
fn handshake_response() {
    replay("handshake_response");
}

#[test]
fn utf8() {
    replay("utf8");
}

#[test]
fn mask() {
    replay("mask");
}

#[test]
fn server_connection() {
    replay("server_connection");
}

#[test]
fn client_connection() {
    replay("client_connection");
}

#[test]
fn pair() {
    replay("pair");
}

#[test]
fn deflate_negotiation() {
    replay("deflate_negotiation");
}

#[test]
fn inflate_limit() {
    replay("inflate_limit");
}

#[test]
fn streaming() {
    replay("streaming");
}

#[test]
fn every_target_has_a_test_and_a_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("manifest");
    let this = fs::read_to_string(root.join("tests/replay.rs")).expect("this file");
    for (name, _) in websock_fuzz::TARGETS {
        assert!(
            root.join(format!("fuzz_targets/{name}.rs")).exists(),
            "{name}"
        );
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{name}");
        assert!(this.contains(&format!("fn {name}()")), "{name}");
    }
}
