//! libFuzzer entry point of the `inflate_limit` target; the body is `websock_fuzz::inflate_limit`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::inflate_limit::run(data));
