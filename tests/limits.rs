//! Caller limits below Go's: the first record over a limit is a `LimitExceeded` error at its
//! offset, in every reader shape; within the limits the read is unchanged.

use std::path::Path;

use gotrace::format::legacy::EventType;
use gotrace::format::{Category, ErrorKind, Limit};
use gotrace::parser::legacy::RawEvents;
use gotrace::parser::{Limits, Options};
use gotrace::selfcheck::{read, Feed};

fn trace() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/go-testdata/user_task_region_1_19_good"))
        .unwrap()
}

/// Offset and size of the first record of `t` whose size (text bytes or frames) is over `max`.
fn first_over(data: &[u8], t: EventType, max: u64) -> (u64, u64) {
    RawEvents::new(data)
        .unwrap()
        .map(Result::unwrap)
        .filter(|e| e.event_type() == t)
        .map(|e| match t {
            EventType::STACK => (e.offset(), e.value(1).unwrap()),
            _ => (e.offset(), e.text().unwrap().bytes().len() as u64),
        })
        .find(|&(_, n)| n > max)
        .expect("a record over the limit")
}

fn check(limits: Limits, want_offset: u64, what: Limit, value: u64, max: u64) {
    let data = trace();
    let options = Options::default().limits(limits);
    for feed in [Feed::Slice, Feed::Stream(&[1]), Feed::Stream(&[7]), Feed::Push(&[3])] {
        let out = read(&data, feed, options);
        let e = out.error.unwrap_or_else(|| panic!("{feed:?}: no error"));
        assert_eq!(e.offset(), want_offset, "{feed:?}");
        assert_eq!(e.kind(), ErrorKind::LimitExceeded { what, value, max }, "{feed:?}");
        assert_eq!(e.kind().category(), Category::LimitExceeded);
        assert_eq!(out.records.last().map(|(o, b)| o + b.len() as u64), Some(want_offset));
    }
}

#[test]
fn string_length_limit() {
    let (offset, len) = first_over(&trace(), EventType::STRING, 5);
    check(Limits::default().max_string_len(5), offset, Limit::StringLen, len, 5);
}

#[test]
fn stack_depth_limit() {
    let (offset, frames) = first_over(&trace(), EventType::STACK, 1);
    check(Limits::default().max_stack_frames(1), offset, Limit::StackFrames, frames, 1);
}

#[test]
fn limits_cannot_exceed_go_and_default_to_go() {
    let limits = Limits::default().max_string_len(u64::MAX).max_stack_frames(u64::MAX);
    assert_eq!(limits, Limits::default());
    let data = trace();
    let plain = read(&data, Feed::Slice, Options::default());
    assert!(plain.error.is_none());
    assert_eq!(read(&data, Feed::Slice, Options::default().limits(limits)), plain);
}
