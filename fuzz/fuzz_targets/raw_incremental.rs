//! The streaming and push readers, fed in fuzzer-chosen chunk sizes, agree with the slice reader.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    // The first bytes choose the chunk sizes, the rest is the trace.
    let (sizes, data) = input.split_at(input.len().min(4));
    let chunks: Vec<usize> = sizes.iter().map(|&b| usize::from(b)).collect();
    gotrace::selfcheck::raw_incremental(data, &chunks);
});
