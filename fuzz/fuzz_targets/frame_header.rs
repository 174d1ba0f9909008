//! libFuzzer entry point of the `frame_header` target; the body is `websock_fuzz::frame_header`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::frame_header::run(data));
