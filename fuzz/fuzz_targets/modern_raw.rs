//! Modern traces (Go 1.22+): the three reader shapes agree (chunk sizes chosen by the fuzzer),
//! what reads is rewritten byte for byte and round-trips through the text form.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    // The first bytes choose the chunk sizes, the rest is the trace.
    let (sizes, data) = input.split_at(input.len().min(4));
    let chunks: Vec<usize> = sizes.iter().map(|&b| usize::from(b)).collect();
    gotrace::selfcheck::modern_raw(data, &chunks);
});
