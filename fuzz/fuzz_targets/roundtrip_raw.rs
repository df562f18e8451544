//! Any input the reader accepts is rewritten byte for byte.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| gotrace::selfcheck::roundtrip_raw(data));
