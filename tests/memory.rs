//! The streaming reader's memory does not grow with the file: a multi-megabyte trace is read
//! with a buffer bounded by the largest record plus one read chunk.

mod common;

use std::io::Read;
use std::sync::OnceLock;

use common::alloc_track;
use gotrace::format::legacy::RawEvent;
use gotrace::parser::legacy::{RawEvents, RawReader, READ_CHUNK};
use gotrace::selfcheck::Trickle;

#[global_allocator]
static ALLOC: alloc_track::Tracking = alloc_track::Tracking;

const COPIES: usize = 26;

/// `stress_1_19_good`'s header followed by its body `COPIES` times (≥ 8 MB). The raw layer
/// does not check ordering or ids across records, so the result reads cleanly.
fn big() -> &'static (Vec<u8>, usize) {
    static BIG: OnceLock<(Vec<u8>, usize)> = OnceLock::new();
    BIG.get_or_init(|| {
        let one = common::testdata("stress_1_19_good");
        let body = &one[16..];
        let mut data = Vec::with_capacity(16 + body.len() * COPIES);
        data.extend_from_slice(&one[..16]);
        for _ in 0..COPIES {
            data.extend_from_slice(body);
        }
        assert!(data.len() >= 8_000_000, "{} bytes", data.len());
        (data, body.len())
    })
}

/// The records of one copy, and the largest of them.
fn one_copy() -> (Vec<RawEvent<'static>>, usize) {
    let (data, body_len) = big();
    let one = &data[..16 + body_len];
    let events: Vec<RawEvent<'static>> = RawEvents::new(one).unwrap().map(Result::unwrap).collect();
    let largest = events.iter().map(RawEvent::encoded_len).max().unwrap();
    (events, largest)
}

/// Streams the big trace from `reader`, checking every record against the same record of the
/// first copy; returns the record count, the peak buffer length and the largest allocation.
fn stream(reader: impl Read) -> (usize, usize, usize) {
    let (data, body_len) = big();
    let (reference, _) = one_copy();
    alloc_track::reset();
    let mut r = RawReader::new(reader).unwrap();
    let mut n = 0;
    while let Some(e) = r.next_event().unwrap() {
        let copy = n / reference.len();
        let want = &reference[n % reference.len()];
        assert_eq!(e.offset(), want.offset() + (copy * body_len) as u64, "record {n}");
        assert_eq!(
            (e.type_byte(), e.length(), e.value_bytes(), e.text()),
            (want.type_byte(), want.length(), want.value_bytes(), want.text()),
            "record {n}"
        );
        n += 1;
    }
    assert_eq!(r.offset(), data.len() as u64);
    (n, r.peak_buffer_len(), alloc_track::largest())
}

fn check_bounds(what: &str, count: usize, peak: usize, largest_alloc: usize) {
    let (data, _) = big();
    let (reference, largest_record) = one_copy();
    let slice_count = RawEvents::new(data).unwrap().count();
    assert_eq!(slice_count, reference.len() * COPIES);
    assert_eq!(count, slice_count, "{what}: record count");
    assert!(peak <= 2 * READ_CHUNK, "{what}: peak buffer {peak}");
    assert!(
        peak <= largest_record + READ_CHUNK,
        "{what}: peak buffer {peak}, largest record {largest_record}"
    );
    // No allocation in proportion to the 8 MB file.
    assert!(largest_alloc <= 2 * READ_CHUNK, "{what}: an allocation of {largest_alloc} bytes");
}

#[test]
fn stream_from_a_slice_reader() {
    let (data, _) = big();
    let (count, peak, largest) = stream(&data[..]);
    check_bounds("&[u8]", count, peak, largest);
}

#[test]
fn stream_seven_bytes_per_read() {
    let (data, _) = big();
    let (count, peak, largest) = stream(Trickle::new(&data[..], &[7]));
    check_bounds("7 bytes per read", count, peak, largest);
}

#[test]
fn stream_from_a_file() {
    let (data, _) = big();
    let dir = common::TempDir::new("memory");
    let path = dir.path().join("big.trace");
    std::fs::write(&path, data).unwrap();
    let (count, peak, largest) = stream(std::fs::File::open(&path).unwrap());
    check_bounds("file", count, peak, largest);
}
