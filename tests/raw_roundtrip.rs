//! Every legacy corpus trace read by every reader shape gives the same events, and writing
//! those events back gives the file byte for byte; an edited value changes exactly that value.

mod common;

use common::{legacy_corpus, name, read, read_slice, read_with, Ev, Outcome, Shape};
use gotrace::format::legacy::{EventType, RawEvent};
use gotrace::format::varint::{encoded_len, Values};
use gotrace::parser::legacy::{Census, RawEvents};
use gotrace::parser::Options;
use gotrace::writer::RawWriter;

/// Reads `data` with the slice reader and writes every event back.
fn rewrite(data: &[u8]) -> Vec<u8> {
    let events = RawEvents::new(data).expect("header");
    let mut w = RawWriter::new(Vec::new(), events.version()).unwrap();
    for ev in events {
        w.write(&ev.expect("corpus trace reads cleanly")).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn corpus_lists_every_legacy_trace() {
    let all = legacy_corpus();
    assert!(all.len() >= common::MIN_GO_TESTDATA);
    assert!(all.iter().any(|p| name(p) == "stress_1_5_unordered"));
    assert!(!all.iter().any(|p| name(p) == "LICENSE"));
}

#[test]
fn writer_reproduces_every_file_byte_for_byte() {
    for path in legacy_corpus() {
        let data = read(&path);
        let out = rewrite(&data);
        if out != data {
            let at = out.iter().zip(&data).position(|(a, b)| a != b).unwrap_or(out.len().min(data.len()));
            panic!("{}: rewrite differs at byte {at} (lengths {} vs {})", name(&path), out.len(), data.len());
        }
    }
}

#[test]
fn slice_reader_covers_every_byte() {
    for path in legacy_corpus() {
        let data = read(&path);
        let label = name(&path);
        let reference: Vec<RawEvent<'_>> =
            RawEvents::new(&data).unwrap().map(|e| e.unwrap_or_else(|e| panic!("{label}: {e}"))).collect();
        // Records tile the file from the header to the last byte; texts are whole.
        let mut at = 16u64;
        for e in &reference {
            assert_eq!(e.offset(), at, "{label}: records must tile the file");
            if let Some(t) = e.text() {
                assert!(t.is_complete(), "{label}: damaged text at {}", e.offset());
            }
            at += e.encoded_len() as u64;
        }
        assert_eq!(at, data.len() as u64, "{label}");
        assert_eq!(reference[0].event_type(), EventType::BATCH, "{label}: first record");
        // Strict mode reads Go's own output the same way.
        common::assert_reads_as(
            Shape::Slice,
            &data,
            Options::default().strict(true),
            &reference,
            None,
            &label,
        );
    }
}

/// Reads every corpus trace with the given shapes and compares with the slice reader: same
/// records (offset, type byte, length, values, text) and the same per-type counts.
fn shapes_agree(shapes: &[Shape]) {
    for path in legacy_corpus() {
        let data = read(&path);
        let label = name(&path);
        let reference: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
        let version = reference[0].version();
        let mut census = Census::new(version);
        for ev in &reference {
            census.add(ev).unwrap();
        }
        census.finish(data.len() as u64).unwrap_or_else(|e| panic!("{label}: census: {e}"));
        for &shape in shapes {
            common::assert_reads_as(shape, &data, Options::default(), &reference, None, &label);
            let mut counts = Census::new(version);
            let (v, _) = common::visit(shape, &data, Options::default(), |e| counts.add(e).unwrap());
            assert_eq!(v, Some(version), "{label} {shape:?}");
            for t in EventType::all(version) {
                assert_eq!(counts.stats(t), census.stats(t), "{label} {shape:?}: counts of {t:?}");
            }
            assert_eq!(counts.total(), census.total(), "{label} {shape:?}");
        }
        assert_eq!(census.total().count, reference.len() as u64, "{label}");
        assert_eq!(census.total().bytes + 16, data.len() as u64, "{label}");
    }
}

#[test]
fn stream_reader_agrees_with_slice_reader() {
    shapes_agree(&[Shape::Stream, Shape::StreamBy(7), Shape::StreamBy(1)]);
}

#[test]
fn push_parser_agrees_with_slice_reader() {
    shapes_agree(&[Shape::PushBy(4096), Shape::PushBy(7), Shape::PushBy(1)]);
}

/// Encoded width of value `index` of `ev`.
fn value_width(ev: &RawEvent<'_>, index: usize) -> u8 {
    let mut it = Values::new(ev.value_bytes());
    (0..index).for_each(|_| {
        it.next_varint().unwrap();
    });
    it.next_varint().unwrap().width()
}

/// Writes `data` with value `index` of the record at `offset` set to `value`, reads the result
/// back and checks that only that value changed and that later offsets moved by the change of
/// width (`expect_shift`).
fn check_edit(label: &str, data: &[u8], offset: u64, index: usize, value: u64, expect_shift: i64) {
    let original: Vec<RawEvent<'_>> = RawEvents::new(data).unwrap().map(Result::unwrap).collect();
    let version = original[0].version();
    let pos = original.iter().position(|e| e.offset() == offset).expect("a record at the offset");
    let target = original[pos];
    let old_width = value_width(&target, index);
    let old_value = target.value(index).unwrap();
    let mut scratch = Vec::new();
    let edited = target.with_value(index, value, &mut scratch).expect("index exists");

    // The edited record itself.
    let shift = edited.encoded_len() as i64 - target.encoded_len() as i64;
    assert_eq!(shift, expect_shift, "{label}: width change");
    let want_width = old_width.max(encoded_len(value) as u8);
    assert_eq!(value_width(&edited, index), want_width, "{label}: edited value width");
    assert_eq!(i64::from(want_width) - i64::from(old_width), shift, "{label}");

    let mut w = RawWriter::new(Vec::new(), version).unwrap();
    for (i, ev) in original.iter().enumerate() {
        w.write(if i == pos { &edited } else { ev }).unwrap();
    }
    let out = w.finish().unwrap();
    assert_eq!(out.len() as i64, data.len() as i64 + shift, "{label}: file length");

    let back: Outcome = read_slice(&out, Options::default()).ok(label);
    assert_eq!(back.events.len(), original.len(), "{label}: event count");
    for (i, (got, orig)) in back.events.iter().zip(&original).enumerate() {
        let mut want = Ev::of(orig);
        if i > pos {
            want.offset = (want.offset as i64 + shift) as u64;
        }
        if i == pos {
            assert_eq!(got.values[index], value, "{label}: the edited value");
            assert_ne!(value, old_value, "{label}: the edit must change the value");
            want.values[index] = value;
            want.value_bytes = got.value_bytes.clone();
            want.encoded_len = (want.encoded_len as i64 + shift) as usize;
            if let Some((len, width)) = want.length {
                // The length prefix follows the values, in its original width when it fits.
                let new_len = (len as i64 + shift) as u64;
                want.length = Some((new_len, width.max(encoded_len(new_len) as u8)));
            }
        }
        assert_eq!(*got, want, "{label}: record {i}");
    }
    // And the three shapes agree on the edited file too.
    for shape in [Shape::StreamBy(7), Shape::PushBy(7)] {
        assert_eq!(read_with(shape, &out, Options::default()), back, "{label} {shape:?}");
    }
}

/// A value of `width` bytes different from `not`.
fn value_of_width(width: u8, not: u64) -> u64 {
    let lo = if width == 1 { 0 } else { 1u64 << (7 * (u32::from(width) - 1)) };
    if lo != not {
        lo
    } else {
        lo + 1
    }
}

#[test]
fn edit_go_start_keeps_offsets_when_width_is_kept() {
    // http_1_19_good offset 28: GoStart [dt=667, g=19, seq=1] (spec 2.7).
    let data = common::testdata("http_1_19_good");
    check_edit("GoStart g 19->20", &data, 28, 1, 20, 0);
    check_edit("GoStart g 19->2^20", &data, 28, 1, 1 << 20, 2);
    check_edit("GoStart dt 667->700", &data, 28, 0, 700, 0);
    check_edit("GoStart dt 667->2^14", &data, 28, 0, 1 << 14, 1);
}

#[test]
fn edit_length_prefixed_event_updates_its_length() {
    // http_1_19_good offset 1772: GoCreate, L=4, [dt=7, g=1, newstack=2, stack=1].
    let data = common::testdata("http_1_19_good");
    check_edit("GoCreate g 1->9", &data, 1772, 1, 9, 0);
    check_edit("GoCreate g 1->300", &data, 1772, 1, 300, 1);
    check_edit("GoCreate stk 1->2^35", &data, 1772, 3, 1 << 35, 5);
}

#[test]
fn edit_keeps_padded_widths() {
    // http_1_19_good offset 8206: Batch with p = -1 as a 10-byte varint. A small value keeps
    // the 10-byte encoding, so nothing moves.
    let data = common::testdata("http_1_19_good");
    check_edit("Batch p -1 -> 3", &data, 8206, 0, 3, 0);
    // Go 1.21 pads every Stack length to 10 bytes: an edit that widens a value keeps that
    // padding and moves later records by the value's growth only.
    let data = common::testdata("http_1_21_good");
    let stack = RawEvents::new(&data)
        .unwrap()
        .map(Result::unwrap)
        .find(|e| e.event_type() == EventType::STACK && e.value_count() >= 6)
        .expect("a 1.21 stack with a frame");
    assert_eq!(stack.length().unwrap().width(), 10, "1.21 stack lengths are padded");
    let line = stack.value(5).unwrap();
    let w = encoded_len(line) as u8;
    check_edit("1.21 Stack line wider", &data, stack.offset(), 5, value_of_width(w + 1, line), 1);
    check_edit("1.21 Stack line same width", &data, stack.offset(), 5, value_of_width(w, line), 0);
}

#[test]
fn edit_out_of_range_is_refused() {
    let data = common::testdata("http_1_19_good");
    let ev = RawEvents::new(&data).unwrap().next().unwrap().unwrap();
    let mut scratch = Vec::new();
    assert!(ev.with_value(ev.value_count() as usize, 1, &mut scratch).is_none());
}

#[test]
fn edit_first_multi_value_event_of_every_version() {
    // The smallest go-testdata trace of each version (the large ones add time, not coverage).
    let mut smallest: std::collections::BTreeMap<String, std::path::PathBuf> = Default::default();
    for path in common::go_testdata() {
        let version = RawEvents::new(&read(&path)).unwrap().version().to_string();
        let len = std::fs::metadata(&path).unwrap().len();
        match smallest.get(&version) {
            Some(p) if std::fs::metadata(p).unwrap().len() <= len => {}
            _ => {
                smallest.insert(version, path);
            }
        }
    }
    // No Go 1.8 trace is among Go's canned files: 1.5, 1.7, 1.9, 1.10, 1.11, 1.19, 1.21.
    assert_eq!(smallest.len(), 7, "go-testdata covers 7 legacy versions");
    for path in smallest.into_values() {
        let data = read(&path);
        let events: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
        let target = events
            .iter()
            .find(|e| e.event_type() == EventType::GO_START)
            .or_else(|| events.iter().find(|e| e.value_count() >= 2 && e.event_type() != EventType::STACK))
            .unwrap_or_else(|| panic!("{}: no event with 2 values", name(&path)));
        // The last value: g/seq for GoStart; never a 1.5 delta.
        let index = target.value_count() as usize - 1;
        let old = target.value(index).unwrap();
        let w = encoded_len(old) as u8;
        let label = format!("{} @{}", name(&path), target.offset());
        check_edit(&format!("{label} same width"), &data, target.offset(), index, value_of_width(w, old), 0);
        if w < 10 {
            let wider = value_of_width(w + 1, old);
            check_edit(&format!("{label} wider"), &data, target.offset(), index, wider, 1);
        }
    }
}
