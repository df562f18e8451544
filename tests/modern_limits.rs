//! Caller limits on the modern ordered reader (`modern::Reader::with_limits`): the first record
//! over a limit is a `LimitExceeded` error at its offset; within the limits the read is the
//! default one. Offsets and sizes come from the raw reader over the same file.

mod modern_common;

use gotrace::format::modern::EventType;
use gotrace::format::{Category, Error, ErrorKind, Limit};
use gotrace::parser::modern::{RawEvents, Reader};
use gotrace::parser::Limits;
use modern_common::{corpus_dir, modern_corpus, name, read};

fn trace() -> Vec<u8> {
    read(&corpus_dir().join("recorded/go1.23/timers.trace"))
}

/// Events the ordered reader gives within `limits`, or its error.
fn ordered(data: &[u8], limits: Limits) -> Result<usize, Error> {
    let mut reader = Reader::with_limits(data, limits)?;
    let mut n = 0;
    while reader.next_event()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// (offset, record) of every raw record of the file.
fn records(data: &[u8]) -> Vec<(u64, EventType, Option<usize>, Option<u64>)> {
    RawEvents::new(data)
        .unwrap()
        .map(Result::unwrap)
        .map(|e| (e.offset(), e.event_type(), e.data().map(<[u8]>::len), e.arg(1)))
        .collect()
}

fn expect(data: &[u8], limits: Limits, offset: u64, what: Limit, value: u64, max: u64) {
    let e = ordered(data, limits).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded { what, value, max });
    assert_eq!(e.kind().category(), Category::LimitExceeded);
    assert_eq!(e.offset(), offset);
}

#[test]
fn string_length_limit() {
    let data = trace();
    let (offset, len) = records(&data)
        .into_iter()
        .find_map(|(o, t, len, _)| (t == EventType::STRING && len? > 20).then(|| (o, len.unwrap() as u64)))
        .unwrap();
    expect(&data, Limits::default().max_string_len(20), offset, Limit::StringLen, len, 20);
}

#[test]
fn stack_depth_limit() {
    let data = trace();
    // A stack's second value is its frame count.
    let (offset, frames) = records(&data)
        .into_iter()
        .find_map(|(o, t, _, n)| (t == EventType::STACK && n? > 2).then(|| (o, n.unwrap())))
        .unwrap();
    expect(&data, Limits::default().max_stack_frames(2), offset, Limit::StackFrames, frames, 2);
}

#[test]
fn batch_count_limit() {
    let data = trace();
    let batches: Vec<u64> =
        records(&data).into_iter().filter(|r| r.1 == EventType::EVENT_BATCH).map(|r| r.0).collect();
    assert!(batches.len() > 4);
    expect(&data, Limits::default().max_batches(3), batches[3], Limit::Batches, 4, 3);
    assert!(ordered(&data, Limits::default().max_batches(batches.len() as u64)).is_ok());
}

#[test]
fn bytes_held_limit() {
    let data = trace();
    let batches: Vec<u64> =
        records(&data).into_iter().filter(|r| r.1 == EventType::EVENT_BATCH).map(|r| r.0).collect();
    // 4 KiB: the file's batches together are more than that (a hand check of `dump --raw`:
    // timers.trace's largest batch holds 4566 bytes).
    let e = ordered(&data, Limits::default().max_bytes_held(4096)).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::LimitExceeded { what: Limit::BytesHeld, value, max: 4096 } if value > 4096),
        "{e}"
    );
    assert!(batches.contains(&e.offset()), "{e}: not at a batch");
    // Bytes held stay within a few times the file (one generation here) and it reads whole.
    let whole = ordered(&data, Limits::default()).unwrap();
    assert_eq!(ordered(&data, Limits::default().max_bytes_held(4 * data.len() as u64)).unwrap(), whole);
}

#[test]
fn default_limits_read_every_modern_corpus_trace() {
    for path in modern_corpus() {
        let data = read(&path);
        let a = ordered(&data, Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", name(&path)));
        let b = Reader::new(&data[..]).map(|mut r| std::iter::from_fn(|| r.next_event().unwrap()).count());
        assert_eq!(Some(a), b.ok(), "{}", name(&path));
    }
}
