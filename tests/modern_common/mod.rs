//! Helpers shared by the modern-trace tests (`tests/modern_*.rs`): the modern corpus, Go's text
//! test traces, and the Go toolchains.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use gotrace::format::modern::EventType;
use gotrace::parser::modern::RawEvents;

/// Fewest recorded modern traces the corpus must hold (12 programs × Go 1.22, 1.23, 1.24, 1.26,
/// 1.27).
pub const MIN_MODERN: usize = 60;

/// Fewest text test traces of Go's (`go122-*`, `go123-sync`, `go125-sync`).
pub const MIN_GO_TESTS: usize = 22;

/// The directories of the recorded modern traces, each with the format version its Go writes.
pub const RECORDED: [(&str, &str); 5] =
    [("go1.22", "1.22"), ("go1.23", "1.23"), ("go1.24", "1.23"), ("go1.26", "1.26"), ("go1.27", "1.26")];

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn sorted_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.expect("read a corpus entry").path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.is_file() && p.to_string_lossy().ends_with(suffix));
    out.sort();
    out
}

/// Every recorded modern trace (`corpus/recorded/go1.{22,23,24,26,27}/*.trace`). Panics when
/// fewer than [`MIN_MODERN`] are found (a broken checkout must not pass).
pub fn modern_corpus() -> Vec<PathBuf> {
    let all: Vec<PathBuf> = RECORDED
        .iter()
        .flat_map(|(dir, _)| sorted_files(&corpus_dir().join("recorded").join(dir), ".trace"))
        .collect();
    assert!(all.len() >= MIN_MODERN, "{} modern traces, expected at least {MIN_MODERN}", all.len());
    all
}

/// The hand-written traces (`corpus/hand-modern/NAME.txt`, each with its binary `NAME.trace`).
pub fn hand_modern() -> Vec<PathBuf> {
    let all = sorted_files(&corpus_dir().join("hand-modern"), ".txt");
    assert!(all.len() >= 2, "{} hand-written traces, expected at least 2", all.len());
    all
}

/// Go's text test traces (`corpus/go-testdata/tests/*.test`).
pub fn go_tests() -> Vec<PathBuf> {
    let all = sorted_files(&corpus_dir().join("go-testdata").join("tests"), ".test");
    assert!(all.len() >= MIN_GO_TESTS, "{} Go test traces, expected at least {MIN_GO_TESTS}", all.len());
    all
}

/// The two files of a Go test (a txtar archive): the `expect` text and the `trace` text.
pub fn txtar(content: &str) -> (String, String) {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in content.split_inclusive('\n') {
        let bare = line.trim_end_matches('\n');
        if let Some(name) = bare.strip_prefix("-- ").and_then(|r| r.strip_suffix(" --")) {
            files.push((name.to_string(), String::new()));
        } else if let Some((_, body)) = files.last_mut() {
            body.push_str(line);
        }
    }
    let get = |n: &str| files.iter().find(|(name, _)| name == n).map(|(_, b)| b.clone());
    (get("expect").expect("an expect file"), get("trace").expect("a trace file"))
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `go1.23/annotations.trace` for a corpus path.
pub fn name(path: &Path) -> String {
    let file = path.file_name().unwrap().to_string_lossy();
    match path.parent().and_then(|p| p.file_name()) {
        Some(dir) => format!("{}/{file}", dir.to_string_lossy()),
        None => file.into_owned(),
    }
}

/// The timed events of a trace, in file order, by our raw reader: name and arguments after the
/// timestamp delta (batch headers, table records and clock snapshots left out).
pub fn timed_events(trace: &[u8]) -> Vec<String> {
    RawEvents::new(trace)
        .unwrap()
        .map(|r| r.unwrap())
        .filter(|r| r.event_type().is_timed() && r.event_type() != EventType::CLOCK_SNAPSHOT)
        .map(|r| {
            let args: Vec<String> = r.args().skip(1).map(|a| a.to_string()).collect();
            format!("{} {}", r.name(), args.join(" "))
        })
        .collect()
}
