//! Any bytes through the slice reader (and the census): no panic, records tile the file.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| gotrace::selfcheck::raw_slice(data));
