//! Arbitrary records through the Encoder and arbitrary calls of the Tracer, read back by the raw
//! reader and the ordered parser as what was written.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gotrace::selfcheck::write_read(data);
});
