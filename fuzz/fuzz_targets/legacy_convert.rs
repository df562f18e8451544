//! The legacy → modern conversion on any input: no panic; the bounded conversion gives the
//! parsed trace's events and error.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gotrace::selfcheck::legacy_convert(data);
});
