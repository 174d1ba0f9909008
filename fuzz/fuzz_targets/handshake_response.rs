//! libFuzzer entry point of the `handshake_response` target; the body is `websock_fuzz::handshake_response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::handshake_response::run(data));
