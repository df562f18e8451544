//! The text form of modern traces both ways: Go's own text test traces
//! (`corpus/go-testdata/tests/*.test`) read and convert to binary and back to the same text,
//! and every recorded modern trace goes binary → text → binary with the same records (only the
//! runtime's padded batch sizes become minimal) and text → binary → text unchanged.

mod modern_common;

use gotrace::format::modern::ErrorKind as Modern;
use gotrace::format::modern::{EmptyData, EventType, RawEvent, TextLines, FRAME_FIELDS};
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
    let line = |empty| {
        let mut lines = TextLines::new(Version::Go1_23, empty);
        lines.push(&ev);
        String::from_utf8(lines.as_bytes().to_vec()).unwrap()
    };
    let ours = line(EmptyData::Write);
    assert_eq!(ours, "String id=7\n\tdata=\"\"\n");
    assert_eq!(line(EmptyData::Omit), "String id=7\n");
    let text = format!("Trace Go1.23\nEventBatch gen=1 m=0 time=0 size=3\nStrings\n{ours}");
    let mut r = TextReader::new(text.as_bytes()).unwrap();
    r.next_event().unwrap();
    r.next_event().unwrap();
    let back = r.next_event().unwrap().unwrap();
    assert_eq!((back.arg(0), back.data()), (Some(7), Some(&b""[..])));
}

/// The line of `ev` as its accessors give it: the name, every argument by its name, a stack's
/// frames four values to a tab-indented line, the data quoted on a tab-indented line (left out
/// when empty and `empty` says so); in `dump --raw`'s layout (`raw`) the offset first and all
/// on one line, empty data included.
fn line_of(ev: &RawEvent<'_>, empty: EmptyData, raw: bool) -> String {
    let mut want = if raw { format!("{} ", ev.offset()) } else { String::new() };
    want.push_str(ev.name());
    let names = ev.event_type().arg_names().len();
    for (i, value) in ev.args().enumerate() {
        if i < names || raw {
            want.push_str(&format!(" {}={value}", ev.arg_name(i)));
        } else {
            let sep = if (i - names) % 4 == 0 { "\n\t" } else { " " };
            want.push_str(&format!("{sep}{}={value}", FRAME_FIELDS[(i - names) % 4]));
        }
    }
    if let Some(data) = ev.data() {
        if raw || !data.is_empty() || empty == EmptyData::Write {
            want.push_str(if raw { " data=" } else { "\n\tdata=" });
            gotrace::format::quote::quote_to(&mut want, data);
        }
    }
    want.push('\n');
    want
}

/// [`TextLines`] writes each record as [`line_of`] says, in both empty-data modes and in
/// `dump --raw`'s layout, on every record of the corpus, of Go's test traces (whose text it also
/// gives back byte for byte: `go_test_traces_read_and_convert_both_ways`), and of a trace of
/// extreme values, the text taken a few lines at a time.
#[test]
fn text_lines_write_what_the_accessors_say() {
    let mut traces: Vec<(String, Vec<u8>)> = modern_corpus().iter().map(|p| (name(p), read(p))).collect();
    traces.extend(go_test_traces().into_iter().map(|(name, _, text)| (name, from_text(&text))));
    // Extreme values: 10-byte varints (u64::MAX), every digit count, empty and odd data.
    let mut extreme = b"go 1.26 trace\0\0\0".to_vec();
    let mut body = Vec::new();
    let mut buf = Vec::new();
    let mut record = |t: EventType, values: &[u64], data: Option<&[u8]>| {
        let values = values.iter().map(|&v| gotrace::format::varint::Varint::new(v));
        let data = data.map(|d| (gotrace::format::varint::Varint::new(d.len() as u64), d));
        body.extend_from_slice(RawEvent::encode(0, Version::Go1_26, t, None, values, data, &mut buf).bytes());
    };
    record(EventType::STRINGS, &[], None);
    record(EventType::STRING, &[1], Some(b""));
    record(EventType::STRING, &[u64::MAX], Some(b"a\"\\\n\xff\xe2\x80\xae z"));
    record(EventType::STACKS, &[], None);
    record(EventType::STACK, &[3, 2, u64::MAX, 0, 9, 10, 99, 100, 12_345_678_901, 1 << 40], None);
    for digits in 0..20u32 {
        let v = 10u64.pow(digits);
        record(EventType::USER_TASK_BEGIN, &[v - 1, v, v + 1, u64::MAX - v, v.wrapping_mul(7)], None);
    }
    let header = [0u64, 1, u64::MAX, 5, body.len() as u64].map(gotrace::format::varint::Varint::new);
    RawEvent::encode(
        0,
        Version::Go1_26,
        EventType::EVENT_BATCH,
        None,
        header[1..].iter().copied(),
        None,
        &mut buf,
    );
    extreme.extend_from_slice(&buf);
    extreme.extend_from_slice(&body);
    assert_eq!(RawEvents::new(&extreme).unwrap().filter(Result::is_ok).count(), 26);
    traces.push(("extreme".into(), extreme));
    for (name, data) in &traces {
        let version = RawEvents::new(data).unwrap().version();
        for (empty, raw) in [(EmptyData::Write, false), (EmptyData::Omit, false), (EmptyData::Write, true)] {
            let mut lines = if raw { TextLines::raw(version) } else { TextLines::new(version, empty) };
            let (mut want, mut got) = (String::new(), Vec::new());
            for ev in RawEvents::new(data).unwrap().map_while(Result::ok) {
                want.push_str(&line_of(&ev, empty, raw));
                lines.push(&ev);
                if lines.len() > 100 {
                    got.extend_from_slice(lines.as_bytes());
                    lines.clear();
                }
            }
            got.extend_from_slice(lines.as_bytes());
            assert_eq!(String::from_utf8(got).unwrap(), want, "{name} {empty:?} raw={raw}");
        }
    }
}
