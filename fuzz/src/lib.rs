//! Fuzz target bodies for `websock-core`.
//!
//! Every target is a module with one entry point, `run(data: &[u8])`, which decodes the
//! raw fuzzer input into a structured input (with [`arbitrary`]) and checks the code
//! under test against its invariants, panicking on any violation. The libFuzzer
//! binaries in `fuzz_targets/` are thin wrappers around these functions (built only
//! with the `libfuzzer` feature), and `cargo test` replays every file of
//! `corpus/<target>/` and `regressions/<target>/` through them on stable Rust.
//!
//! | target | checks |
//! |---|---|
//! | [`frame_header`] | `parse(encode(h)) == h`; `parse` agrees with an independent reference on any bytes |
//! | [`handshake_request`] | the server's head reader and request parser: framing agrees with a reference, limits hold, chunking does not matter, accepted requests round-trip through the client's checks |
//! | [`handshake_response`] | the client's head reader and response parser: as above, and a response is only accepted if it answers the request |
//! | [`utf8`] | the incremental validator agrees with `std::str::from_utf8` under any chunking and fails at the right chunk |
//! | [`mask`] | the masking fast path agrees with the byte-by-byte reference at every length, offset, alignment and split |
//! | [`server_connection`], [`client_connection`] | a whole connection fed arbitrary bytes, commands and timer firings: no panic, bounded memory, valid close codes, nothing after a Close, sends go out as commanded, chunking does not matter |
//! | [`pair`] | a client and a server wired together: every message arrives intact and in order, the close handshake completes |
//! | [`deflate_negotiation`] | permessage-deflate negotiation on arbitrary headers and configurations: parsing is linear and round-trips, accepted offers give RFC 7692 responses the client accepts with the same parameters |
//! | [`inflate_limit`] | the inflater on arbitrary compressed bytes and frames under a small limit: no panic, output and capacity bounded, errors final; a `Deflater`'s messages come back exactly or `TooLarge` |
//! | [`streaming`] | streaming receive against whole-message mode on the same bytes and chunking: the same messages, pings, pongs, failure, close and bytes written (streaming may only fail sooner inside a compressed frame); chunks non-empty, text chunks valid UTF-8 on their own |

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod client_connection;
pub mod conn;
pub mod deflate_negotiation;
pub mod frame_header;
pub mod handshake_request;
pub mod handshake_response;
pub mod head_model;
pub mod inflate_limit;
pub mod mask;
pub mod pair;
pub mod seeds;
pub mod server_connection;
pub mod streaming;
pub mod utf8;
mod util;

/// A target's entry point: checks one raw fuzzer input, panicking on a violation.
pub type TargetFn = fn(&[u8]);

/// Every target, by the name of its `fuzz_targets/<name>.rs` binary and corpus directory.
pub const TARGETS: &[(&str, TargetFn)] = &[
    ("frame_header", frame_header::run),
    ("handshake_request", handshake_request::run),
    ("handshake_response", handshake_response::run),
    ("utf8", utf8::run),
    ("mask", mask::run),
    ("server_connection", server_connection::run),
    ("client_connection", client_connection::run),
    ("pair", pair::run),
    ("deflate_negotiation", deflate_negotiation::run),
    ("inflate_limit", inflate_limit::run),
    ("streaming", streaming::run),
];

/// The entry point of the target called `name`.
pub fn target(name: &str) -> Option<TargetFn> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
