//! libFuzzer entry point of the `pair` target; the body is `websock_fuzz::pair`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::pair::run(data));
