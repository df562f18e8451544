//! The split read of modern traces (`Reader::read_to_end_split`, what `gotrace validate` does
//! on two cores): the second half of the trace read on a second thread from a generation in the
//! middle, kept only when the first half's state at that generation shows it would have read
//! the same. Its result must be the ordinary read's on every input, wherever the split falls:
//! every modern corpus trace, every damaged and altered modern file, every Go test trace, with
//! the split at each of their generations in turn. And the check must let the second half's
//! count stand on real traces (or the split would only ever cost time).

mod common;
mod modern_common;

use std::io::Cursor;

use common::{altered_modern, damaged_modern};
use gotrace::format::Error;
use gotrace::parser::modern::{EventKind, Reader};
use gotrace::selfcheck::{from_text, to_text};
use modern_common::{go_tests, modern_corpus, name, read, txtar};

/// The ordinary read's result, as a comparable value.
fn outcome(r: Result<u64, Error>) -> Result<u64, (u64, String)> {
    r.map_err(|e| (e.offset(), e.to_string()))
}

/// The generations a read of `data` meets (one `Sync` before each, and one at the end).
fn generations(data: &[u8]) -> u64 {
    let Ok(mut reader) = Reader::new(data) else { return 0 };
    let mut syncs = 0;
    while let Ok(Some(ev)) = reader.next_event() {
        syncs += u64::from(ev.kind() == EventKind::Sync);
    }
    syncs
}

/// Splits `data` at each generation (and where the reader would): every result is the ordinary
/// read's. Returns the generations, and whether the second half was kept where the reader
/// splits by itself.
fn check(label: &str, data: &[u8]) -> (u64, bool) {
    let Ok(mut reader) = Reader::new(data) else { return (0, false) };
    let whole = outcome(reader.read_to_end());
    let gens = generations(data).saturating_sub(1);
    let mut chosen = false;
    for at in std::iter::once(None).chain((0..=gens + 1).map(Some)) {
        let mut reader = Reader::new(data).expect("the header read once");
        let (split, kept) = reader.read_to_end_split_at(Cursor::new(data), at);
        assert_eq!(outcome(split), whole, "{label}: split at {at:?} (second half kept: {kept})");
        chosen |= at.is_none() && kept;
    }
    (gens, chosen)
}

#[test]
fn the_split_read_is_the_ordinary_read_on_every_recorded_trace() {
    let mut long = Vec::new();
    for path in modern_corpus() {
        let (gens, kept) = check(&name(&path), &read(&path));
        if gens >= 3 {
            // Three generations or more: the reader splits, and on a trace a runtime wrote the
            // check lets the second half's count stand.
            assert!(kept, "{}: {gens} generations, the split's second half not kept", name(&path));
            long.push(name(&path));
        }
    }
    // corpus/programs/generations.go runs long enough for five generations, with every Go.
    assert!(long.len() >= 5, "traces of three generations or more: {long:?}");
}

#[test]
fn the_split_read_is_the_ordinary_read_on_damaged_and_altered_traces() {
    let mut files = 0;
    for row in damaged_modern().into_iter().chain(altered_modern()) {
        check(&row.name, &read(&row.path));
        files += 1;
    }
    assert!(files > 90, "{files} files");
}

#[test]
fn the_split_read_is_the_ordinary_read_on_go_test_traces() {
    let mut files = 0;
    for path in go_tests() {
        let content = String::from_utf8(read(&path)).unwrap();
        let (_, text) = txtar(&content);
        check(&name(&path), &from_text(&text));
        files += 1;
    }
    assert!(files > 20, "{files} files");
}

/// The ids of the string `text` in the last generation of a trace in text form.
fn last_string_id(text: &str, string: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let want = format!("\tdata={string:?}");
    let at = lines.iter().rposition(|l| *l == want).unwrap_or_else(|| panic!("no string {string:?}"));
    lines[at - 1].strip_prefix("String id=").expect("a String line before its data").to_string()
}

/// Replaces, in `text`, `from` by `to` in the last line that starts with `event` and holds
/// `from`.
fn alter_last(text: &str, event: &str, from: &str, to: &str) -> String {
    let line = text.lines().rfind(|l| l.starts_with(event) && l.contains(from)).expect(event);
    let at = text.rfind(line).unwrap();
    format!("{}{}{}", &text[..at], line.replace(from, to), &text[at + line.len()..])
}

/// Alters `corpus/recorded/VERSION/generations.trace` (in text form) with `alter`: the
/// ordinary read must fail with `expect` in the last generation, and so must the split read
/// wherever it splits, its second half never kept. The two messages the tests expect are those
/// Go 1.27 gives on the altered files (`go tool trace -d=parsed`, and its `trace.Reader`, on
/// both versions' files: checked by hand).
fn altered_fails_alike(alter: impl Fn(&str) -> String, expect: &str) {
    for version in ["go1.23", "go1.27"] {
        let path = modern_common::corpus_dir().join(format!("recorded/{version}/generations.trace"));
        let (text, error) = to_text(&read(&path));
        assert_eq!(error, None, "{version}");
        let data = from_text(&alter(&text));
        let whole = outcome(Reader::new(&data[..]).unwrap().read_to_end());
        let message = &whole.as_ref().expect_err(version).1;
        assert!(message.contains(expect), "{version}: {message}");
        let gens = generations(&data).saturating_sub(1);
        assert!(gens >= 4, "{version}: {gens} generations");
        for at in (2..gens).map(Some).chain([None]) {
            let (split, kept) =
                Reader::new(&data[..]).unwrap().read_to_end_split_at(Cursor::new(&data[..]), at);
            assert!(!kept, "{version}: split at {at:?} kept");
            assert_eq!(outcome(split), whole, "{version}: split at {at:?}");
        }
    }
}

/// A region open from the first generation to the last, whose end names another region: the
/// ordinary read fails ("misuse of region"), while a second half starting in between has never
/// seen the region begin and accepts the end. The check must see that the end does not close
/// the region the real state had open.
#[test]
fn a_region_end_that_does_not_match_a_region_begun_before_the_split_fails_alike() {
    altered_fails_alike(
        |text| {
            let whole = last_string_id(text, "whole run region");
            let other = last_string_id(text, "long region");
            // The last end of a region of that name is that of the region open for the whole run.
            let from = format!(" name_string={whole} ");
            alter_last(text, "UserRegionEnd ", &from, &format!(" name_string={other} "))
        },
        "misuse of region in goroutine 1",
    );
}

/// A task begun in the last generation with the id of the task open for the whole run (task
/// 1): the ordinary read fails ("task ID conflict"); a second half never saw task 1 begin. The
/// check must see that the real state knew the task the second half looked for and missed.
#[test]
fn a_task_begun_again_after_the_split_fails_alike() {
    altered_fails_alike(
        |text| {
            let line = text.lines().rfind(|l| l.starts_with("UserTaskBegin ")).unwrap();
            let task = line.split(' ').find(|f| f.starts_with("task=")).unwrap();
            alter_last(text, "UserTaskBegin ", &format!(" {task} "), " task=1 ")
        },
        "task ID conflict: 1",
    );
}

/// The ordering resolves the names of tasks and regions, so the reader's table check skips
/// them: an undefined name must still fail with Go's error, and an undefined stack of those
/// events too. The files are `generations.trace` of Go 1.23 and Go 1.27 with the last event of
/// a type given an id no table of its generation defines (127: the same varint length, so the
/// batch sizes of the text still hold). The messages are Go 1.27's: its `go tool trace
/// -d=parsed` and its `trace.Reader` print exactly these on the same altered files (checked by
/// hand).
#[test]
fn undefined_names_and_stacks_of_tasks_and_regions_fail_as_in_go() {
    let rows = [
        ("UserRegionBegin ", "name_string", "invalid string ID 127 for 42 event"),
        ("UserRegionEnd ", "name_string", "invalid string ID 127 for 43 event"),
        ("UserTaskBegin ", "name_string", "invalid string ID 127 for 40 event"),
        ("UserRegionBegin ", "stack", "found invalid stack ID 127 for event UserRegionBegin"),
        ("UserTaskBegin ", "stack", "found invalid stack ID 127 for event UserTaskBegin"),
    ];
    for version in ["go1.23", "go1.27"] {
        let path = modern_common::corpus_dir().join(format!("recorded/{version}/generations.trace"));
        let (text, error) = to_text(&read(&path));
        assert_eq!(error, None, "{version}");
        for (event, field, expect) in rows {
            let line = text.lines().rfind(|l| l.starts_with(event)).expect(event);
            let value = line.split(' ').find(|f| f.starts_with(&format!("{field}="))).expect(field);
            let data = from_text(&alter_last(&text, event, &format!(" {value}"), &format!(" {field}=127")));
            let whole = outcome(Reader::new(&data[..]).unwrap().read_to_end());
            let label = format!("{version}: {event}{field}");
            let message = &whole.as_ref().expect_err(&label).1;
            assert!(message.starts_with(&format!("{expect} (at offset ")), "{label}: {message}");
            check(&label, &data);
        }
    }
}

/// Like `read_to_end`, the split read counts the events not returned yet.
#[test]
fn a_split_read_after_some_events_counts_the_rest() {
    let data = read(&modern_common::corpus_dir().join("recorded/go1.23/generations.trace"));
    for taken in [1, 1000, 30_000] {
        let mut reader = Reader::new(&data[..]).unwrap();
        for _ in 0..taken {
            reader.next_event().unwrap().expect("an event");
        }
        let rest = reader.read_to_end().unwrap();
        let mut reader = Reader::new(&data[..]).unwrap();
        for _ in 0..taken {
            reader.next_event().unwrap().expect("an event");
        }
        let (split, _) = reader.read_to_end_split_at(Cursor::new(&data[..]), None);
        assert_eq!(split.unwrap(), rest, "after {taken} events");
    }
}
