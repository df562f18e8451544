//! The body of the `modern_raw` fuzz target (`gotrace::selfcheck::modern_raw`) over cuts of every
//! modern corpus trace and bytes flipped in them (the whole traces go through the same checks in
//! `modern_raw.rs` and `modern_text.rs`), and over the crashers the fuzzer found
//! (`fuzz/regressions/modern_raw/*`), so that stable `cargo test` keeps every property it checks;
//! likewise the body of `modern_parse` (`gotrace::selfcheck::modern_parse`) over the corpus, Go's
//! text test traces (good and bad), cuts and flipped bytes, and its regressions.

mod modern_common;

use std::path::Path;

use gotrace::selfcheck;
use modern_common::{go_tests, modern_corpus, read, txtar};

#[test]
fn modern_raw_on_corpus_cuts_and_flips() {
    for path in modern_corpus() {
        let data = read(&path);
        // A cut every 97 bytes of the first 4 KiB, and a flipped byte every 211 in it.
        for cut in (0..data.len().min(4096)).step_by(97) {
            selfcheck::modern_raw(&data[..cut], &[7]);
        }
        let mut flipped = data[..data.len().min(4096)].to_vec();
        for at in (16..flipped.len()).step_by(211) {
            let was = flipped[at];
            flipped[at] ^= 0x55;
            selfcheck::modern_raw(&flipped, &[64]);
            flipped[at] = was;
        }
    }
}

#[test]
fn modern_raw_on_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/modern_raw");
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for entry in entries {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        let (sizes, data) = input.split_at(input.len().min(4));
        let chunks: Vec<usize> = sizes.iter().map(|&b| usize::from(b)).collect();
        selfcheck::modern_raw(data, &chunks);
    }
}

#[test]
fn modern_parse_on_corpus_go_tests_cuts_and_flips() {
    for path in modern_corpus() {
        let data = read(&path);
        let events = selfcheck::modern_parse(&data, &[4093]).expect("a corpus trace reads");
        assert!(events > 100, "{}: {events} events", path.display());
        // Cuts inside the first generation, and a flipped byte every 509 of the first 16 KiB.
        for cut in (0..data.len().min(16384)).step_by(331) {
            let _ = selfcheck::modern_parse(&data[..cut], &[61]);
        }
        let mut flipped = data[..data.len().min(16384)].to_vec();
        for at in (16..flipped.len()).step_by(509) {
            let was = flipped[at];
            flipped[at] ^= 0x55;
            let _ = selfcheck::modern_parse(&flipped, &[257]);
            flipped[at] = was;
        }
    }
    // Go's test traces, those Go accepts and those it rejects, streamed a byte at a time.
    for path in go_tests() {
        let (expect, text) = txtar(&String::from_utf8(read(&path)).expect("a text test"));
        let verdict = selfcheck::modern_parse(&selfcheck::from_text(&text), &[1]);
        assert_eq!(verdict.is_ok(), expect.starts_with("SUCCESS"), "{}: {verdict:?}", path.display());
    }
}

#[test]
fn modern_parse_on_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/modern_parse");
    let entries: Vec<_> = std::fs::read_dir(&dir).expect("the modern_parse regressions").collect();
    assert!(!entries.is_empty(), "no regression in {}", dir.display());
    for entry in entries {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        let (size, data) = input.split_at(input.len().min(1));
        let chunks: Vec<usize> = size.iter().map(|&b| usize::from(b)).collect();
        let _ = selfcheck::modern_parse(data, &chunks);
    }
}
