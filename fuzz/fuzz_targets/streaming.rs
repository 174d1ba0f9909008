//! libFuzzer entry point of the `streaming` target; the body is `websock_fuzz::streaming`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::streaming::run(data));
