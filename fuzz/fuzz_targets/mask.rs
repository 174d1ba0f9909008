//! libFuzzer entry point of the `mask` target; the body is `websock_fuzz::mask`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| websock_fuzz::mask::run(data));
