//! libFuzzer entry point of the `server_connection` target; the body is `websock_fuzz::server_connection`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::server_connection::run(data));
