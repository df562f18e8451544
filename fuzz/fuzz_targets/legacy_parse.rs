//! The full ordered parser on any input: no panic; the streaming and in-memory entry points agree.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    // The first byte chooses the streaming chunk size, the rest is the trace.
    let (size, data) = input.split_at(input.len().min(1));
    let chunks: Vec<usize> = size.iter().map(|&b| usize::from(b)).collect();
    gotrace::selfcheck::legacy_parse(data, &chunks);
});
