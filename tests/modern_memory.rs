//! The modern readers' memory does not grow with the file nor with what a size field claims: a
//! multi-megabyte trace streams through a buffer of about two batches, and a batch claiming 2^40
//! bytes is refused without allocating them.

mod common;
mod modern_common;

use common::alloc_track;
use gotrace::format::{varint, Version};
use gotrace::parser::modern::{Chunk, RawEvents, RawParser, RawReader, READ_CHUNK};
use gotrace::selfcheck::Trickle;
use modern_common::{corpus_dir, read};

#[global_allocator]
static ALLOC: alloc_track::Tracking = alloc_track::Tracking;

/// Largest allocation a reader may make: its buffer (a batch of 64 KiB plus header, plus one read
/// chunk) and small change.
const BOUND: usize = 64 * 1024 + 2 * READ_CHUNK;

#[test]
fn huge_sizes_allocate_nothing_of_their_size() {
    for size in [65537, 1 << 40, u64::MAX] {
        let mut data = Version::Go1_26.header().to_vec();
        data.extend([1, 1, 1, 5]);
        varint::write(&mut data, size);
        data.extend([13, 1, 0, 1]);
        let (err, largest) =
            alloc_track::measure(|| RawEvents::new(&data).unwrap().last().unwrap().unwrap_err());
        assert_eq!(err.offset(), 16);
        assert!(largest < 1024, "slice reader allocated {largest} bytes");
        let (err2, largest) = alloc_track::measure(|| {
            let mut r = RawReader::new(Trickle::new(&data, &[3])).unwrap();
            r.next_event().map(|_| ()).unwrap_err()
        });
        assert_eq!(err2, err);
        assert!(largest <= BOUND, "streaming reader allocated {largest} bytes");
        // An experimental batch at the limit whose body is missing: the push parser asks for the
        // record, no more than a batch.
        let mut exp = Version::Go1_26.header().to_vec();
        exp.extend([49, 1, 1, 1, 5]);
        varint::write(&mut exp, 65536);
        let mut p = RawParser::new();
        assert!(matches!(p.parse(&exp, false).unwrap(), Chunk::Header { .. }));
        match p.parse(&exp[16..], false).unwrap() {
            Chunk::NeedMoreData(n) => assert!(n <= 65536, "asks for {n}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn streaming_memory_is_bounded_by_a_batch() {
    // gcpressure of Go 1.27 (the largest modern corpus trace) 40 times over: ~9 MB. The raw layer
    // does not compare generations, so the copies read cleanly.
    let one = read(&corpus_dir().join("recorded/go1.27/gcpressure.trace"));
    let mut data = one[..16].to_vec();
    for _ in 0..40 {
        data.extend_from_slice(&one[16..]);
    }
    assert!(data.len() > 8_000_000);
    let expected = RawEvents::new(&data).unwrap().count();
    for chunks in [&[][..], &[4096], &[65536 * 3 + 1]] {
        let ((count, peak), largest) = alloc_track::measure(|| {
            let mut r = RawReader::new(Trickle::new(&data, chunks)).unwrap();
            let mut n = 0;
            while r.next_event().unwrap().is_some() {
                n += 1;
            }
            (n, r.peak_buffer_len())
        });
        assert_eq!(count, expected);
        assert!(peak <= BOUND, "peak buffer {peak} with chunks {chunks:?}");
        assert!(largest <= BOUND, "largest allocation {largest} with chunks {chunks:?}");
    }
}
