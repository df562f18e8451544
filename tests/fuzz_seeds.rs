//! The fuzz targets' bodies (`gotrace::selfcheck`) over every legacy corpus trace, small cuts of
//! them, and the crashers the fuzzers found (`fuzz/regressions/TARGET/*`), so that stable
//! `cargo test` keeps every property the fuzzers check.

use std::path::{Path, PathBuf};

use gotrace::selfcheck;

mod common;
use common::legacy_corpus as corpus;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn regressions(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    files(&dir).iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn raw_slice_on_corpus_and_regressions() {
    for path in corpus() {
        let data = std::fs::read(&path).unwrap();
        selfcheck::raw_slice(&data);
        // A cut every 97 bytes of the first 4 KiB: damaged inputs too.
        for cut in (0..data.len().min(4096)).step_by(97) {
            selfcheck::raw_slice(&data[..cut]);
        }
    }
    for data in regressions("raw_slice") {
        selfcheck::raw_slice(&data);
    }
}

#[test]
fn raw_incremental_on_corpus_and_regressions() {
    for path in corpus() {
        let data = std::fs::read(&path).unwrap();
        for chunks in [&[1usize][..], &[7], &[3, 250, 1, 64]] {
            selfcheck::raw_incremental(&data, chunks);
        }
    }
    for input in regressions("raw_incremental") {
        let (sizes, data) = input.split_at(input.len().min(4));
        let chunks: Vec<usize> = sizes.iter().map(|&b| usize::from(b)).collect();
        selfcheck::raw_incremental(data, &chunks);
    }
}

fn damaged() -> Vec<PathBuf> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut all = files(&corpus.join("damaged"));
    all.extend(files(&corpus.join("altered")));
    all.retain(|p| p.extension().is_none());
    all
}

#[test]
fn legacy_parse_on_corpus_damaged_and_regressions() {
    for path in corpus().into_iter().chain(damaged()) {
        let data = std::fs::read(&path).unwrap();
        selfcheck::legacy_parse(&data, &[4096]);
    }
    for input in regressions("legacy_parse") {
        let (size, data) = input.split_at(input.len().min(1));
        let chunks: Vec<usize> = size.iter().map(|&b| usize::from(b)).collect();
        selfcheck::legacy_parse(data, &chunks);
    }
}

/// The whole traces and the damaged files are tests/convert_bounded.rs's; here, cuts of the
/// smaller traces (a conversion that ends in an error partway) and the regressions.
#[test]
fn legacy_convert_on_cuts_and_regressions() {
    for path in corpus() {
        let data = std::fs::read(&path).unwrap();
        if data.len() > 64 * 1024 {
            continue;
        }
        for k in 1..16 {
            selfcheck::legacy_convert(&data[..data.len() * k / 16]);
        }
    }
    for data in regressions("legacy_convert") {
        selfcheck::legacy_convert(&data);
    }
}

#[test]
fn roundtrip_raw_on_corpus_and_regressions() {
    for path in corpus() {
        selfcheck::roundtrip_raw(&std::fs::read(&path).unwrap());
    }
    for data in regressions("roundtrip_raw") {
        selfcheck::roundtrip_raw(&data);
    }
}
