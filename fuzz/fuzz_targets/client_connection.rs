//! libFuzzer entry point of the `client_connection` target; the body is `websock_fuzz::client_connection`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::client_connection::run(data));
