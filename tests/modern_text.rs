//! The text form of modern traces both ways: Go's own text test traces
//! (`corpus/go-testdata/tests/*.test`) read and convert to binary and back to the same text,
//! and every recorded modern trace goes binary → text → binary with the same records (only the
//! runtime's padded batch sizes become minimal) and text → binary → text unchanged.

mod modern_common;

use gotrace::format::modern::ErrorKind as Modern;
use gotrace::format::modern::{write_text, EmptyData, EventType, RawEvent};
use gotrace::format::{ErrorKind, Version};
use gotrace::parser::modern::{RawEvents, TextReader};
use gotrace::selfcheck::{self, from_text, to_text};
use modern_common::{go_tests, modern_corpus, name, read, txtar};

/// Go's test traces, each with its expectation (`SUCCESS` or `FAILURE "regexp"`).
fn go_test_traces() -> Vec<(String, String, String)> {
    go_tests()
        .iter()
        .map(|p| {
            let content = String::from_utf8(read(p)).expect("test files are UTF-8");
            let (expect, trace) = txtar(&content);
            (name(p), expect.trim().to_string(), trace)
        })
        .collect()
}

#[test]
fn go_test_traces_read_and_convert_both_ways() {
    let tests = go_test_traces();
    let mut versions = Vec::new();
    for (name, expect, text) in &tests {
        assert!(expect == "SUCCESS" || expect.starts_with("FAILURE "), "{name}: {expect}");
        // Text → binary, as Go's harness does before reading.
        let binary = from_text(text);
        // The binary reads at the raw level, records tiling it, alike in every shape.
        selfcheck::modern_raw_incremental(&binary, &[1]);
        selfcheck::modern_roundtrip_raw(&binary);
        // Binary → text gives the file's text back, byte for byte.
        let (again, error) = to_text(&binary);
        assert_eq!(again, *text, "{name}");
        // One test ends in a batch header without its body (its expected failure comes before
        // Go's reader notices): the raw layer reports that truncation at the header.
        if let Some(e) = error {
            assert!(name.ends_with("go122-fail-first-gen-first.test"), "{name}: {e}");
            let last_header = binary.len() as u64 - 5; // EventBatch gen=2 m=0 time=0 size=50
            let kind = ErrorKind::Modern(Modern::BatchTruncated { read: 0, want: 50 });
            assert_eq!((e.offset(), e.kind()), (last_header, kind), "{name}");
        }
        versions.push(RawEvents::new(&binary).unwrap().version());
    }
    for v in [Version::Go1_22, Version::Go1_23, Version::Go1_25] {
        assert!(versions.contains(&v), "a Go test trace of {v}");
    }
}

#[test]
fn go_test_traces_hold_what_the_spec_says() {
    let tests = go_test_traces();
    let names: Vec<&str> = tests.iter().map(|(n, _, _)| n.as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with("go125-sync.test")));
    let failures: Vec<&str> =
        tests.iter().filter(|(_, e, _)| e.starts_with("FAILURE")).map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    // go125-sync: three sync batches with a frequency and a clock snapshot each.
    let (_, _, text) = tests.iter().find(|(n, _, _)| n.ends_with("go125-sync.test")).unwrap();
    let binary = from_text(text);
    let count =
        |t| RawEvents::new(&binary).unwrap().filter(|e| e.as_ref().unwrap().event_type() == t).count();
    assert_eq!(count(EventType::SYNC), 3);
    assert_eq!(count(EventType::CLOCK_SNAPSHOT), 3);
    assert_eq!(count(EventType::FREQUENCY), 3);
}

#[test]
fn corpus_round_trips_through_text() {
    for path in modern_corpus() {
        let data = read(&path);
        // Binary → text → binary: the same records, every varint minimal (selfcheck checks
        // record by record); text → binary → text: the same text.
        selfcheck::modern_roundtrip_text(&data);
        let (text, error) = to_text(&data);
        assert_eq!(error, None, "{}", name(&path));
        let binary = from_text(&text);
        assert_eq!(to_text(&binary), (text, None), "{}", name(&path));
        // The bytes differ exactly by the padding of the batch sizes.
        let mut padding = 0;
        for ev in RawEvents::new(&data).unwrap().map(Result::unwrap) {
            let extra = ev.encoded_len() - ev.minimal_len();
            assert!(extra == 0 || ev.event_type() == EventType::EVENT_BATCH, "{} {ev:?}", name(&path));
            padding += extra;
        }
        assert!(padding > 0);
        assert_eq!(data.len() - binary.len(), padding, "{}", name(&path));
    }
}

/// A `String` of no bytes (an empty log message) keeps a `data=""` line in gotrace's text form,
/// which Go's binary-to-text leaves out (and its text reader then cannot read back).
#[test]
fn empty_data_round_trips() {
    let mut buf = Vec::new();
    let values = [gotrace::format::varint::Varint::new(7)];
    let ev = RawEvent::encode(
        0,
        Version::Go1_23,
        EventType::STRING,
        None,
        values.into_iter(),
        Some((gotrace::format::varint::Varint::new(0), b"")),
        &mut buf,
    );
    let mut ours = String::new();
    write_text(&mut ours, &ev, EmptyData::Write);
    assert_eq!(ours, "String id=7\n\tdata=\"\"");
    let mut gos = String::new();
    write_text(&mut gos, &ev, EmptyData::Omit);
    assert_eq!(gos, "String id=7");
    let text = format!("Trace Go1.23\nEventBatch gen=1 m=0 time=0 size=3\nStrings\n{ours}\n");
    let mut r = TextReader::new(text.as_bytes()).unwrap();
    r.next_event().unwrap();
    r.next_event().unwrap();
    let back = r.next_event().unwrap().unwrap();
    assert_eq!((back.arg(0), back.data()), (Some(7), Some(&b""[..])));
}
