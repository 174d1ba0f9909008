//! libFuzzer entry point of the `utf8` target; the body is `websock_fuzz::utf8`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::utf8::run(data));
