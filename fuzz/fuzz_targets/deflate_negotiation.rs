//! libFuzzer entry point of the `deflate_negotiation` target; the body is `websock_fuzz::deflate_negotiation`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::deflate_negotiation::run(data));
