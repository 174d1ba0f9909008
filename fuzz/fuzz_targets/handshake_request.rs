//! libFuzzer entry point of the `handshake_request` target; the body is `websock_fuzz::handshake_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::handshake_request::run(data));
