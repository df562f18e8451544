//! The ordered modern reader (Go 1.22+) on any input: no panic; over a stream fed in pieces it
//! gives the events and the error it gives over a slice.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    // The first byte chooses the streaming chunk size, the rest is the trace.
    let (size, data) = input.split_at(input.len().min(1));
    let chunks: Vec<usize> = size.iter().map(|&b| usize::from(b)).collect();
    let _ = gotrace::selfcheck::modern_parse(data, &chunks);
});
