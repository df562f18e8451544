//! Hostile layouts (many tiny batches, many Ps, long runs of events that wait until the end of
//! the file, many lists waiting on one goroutine) through the ordered parser: the work stays
//! linear in the input (counted in steps, `gotrace_parser::steps`, never timed), no single
//! allocation and no peak of memory held exceeds a small multiple of the bytes read, and the
//! caps of `Limits` on events, batches and bytes held stop a read at the record over them.

mod common;

use common::{alloc_track, TraceBuilder};
use gotrace::format::legacy::EventType;
use gotrace::format::{Error, ErrorKind, Limit, Version};
use gotrace::parser::legacy::Trace;
use gotrace::parser::{steps, Limits, Options};

#[global_allocator]
static ALLOC: alloc_track::Tracking = alloc_track::Tracking;

const T: EventType = EventType::PROC_START;

/// `n` batches alternating between Ps 0 and 1, one `HeapAlloc` each.
fn tiny_batches(n: u64) -> Vec<u8> {
    let mut b = TraceBuilder::new(Version::Go1_19);
    for i in 0..n {
        b.batch(i % 2, 1000 + i);
        b.event(EventType::HEAP_ALLOC, &[1, i]);
    }
    b.frequency(15_625_000);
    b.build()
}

/// `n` Ps, each a batch with a `ProcStart` and a `ProcStop`.
fn many_ps(n: u64) -> Vec<u8> {
    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    b.event(EventType::GOMAXPROCS, &[1, n, 0]);
    for p in 0..n {
        b.batch(p, 1000 + p);
        b.event(T, &[1, p]);
        b.event(EventType::PROC_STOP, &[1]);
    }
    b.frequency(15_625_000);
    b.build()
}

/// P 0 creates `n` goroutines while the heads of `n` other Ps wait for goroutines that never
/// become runnable: nothing can be ordered after P 0's events, which Go finds at the end.
fn waiting_until_the_end(n: u64) -> Vec<u8> {
    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    b.event(T, &[1, 1]);
    for g in 0..n {
        b.event(EventType::GO_CREATE, &[1, 1_000_000 + g, 0, 0]);
    }
    for p in 1..=n {
        b.batch(p, 1000);
        b.event(EventType::GO_START, &[1, 500_000 + p, 2]);
    }
    b.frequency(15_625_000);
    b.build()
}

/// The heads of `n` Ps wait for goroutine 1 at sequence numbers it never reaches, while P 0
/// runs it `n` times (each run changes its state: every change looks for the waiting lists).
fn many_wait_on_one(n: u64) -> Vec<u8> {
    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    b.event(T, &[1, 1]);
    b.event(EventType::GO_CREATE, &[1, 1, 0, 0]);
    for _ in 0..n {
        b.event(EventType::GO_START_LOCAL, &[1, 1]);
        b.event(EventType::GO_SCHED, &[1, 0]);
    }
    for p in 1..=n {
        b.batch(p, 1000);
        b.event(EventType::GO_START, &[1, 1, 1_000_000 + p]);
    }
    b.frequency(15_625_000);
    b.build()
}

type Layout = (&'static str, fn(u64) -> Vec<u8>);

const LAYOUTS: [Layout; 4] = [
    ("tiny batches", tiny_batches),
    ("many Ps", many_ps),
    ("waiting until the end", waiting_until_the_end),
    ("many waiting on one goroutine", many_wait_on_one),
];

/// Steps of the ordered parse of `data`, per input byte.
fn steps_per_byte(data: &[u8]) -> f64 {
    let _ = steps::take();
    let _ = Trace::from_slice(data);
    steps::take() as f64 / data.len() as f64
}

#[test]
fn work_is_linear_in_the_input() {
    for (name, make) in LAYOUTS {
        let small = make(1 << 11);
        let large = make(1 << 14);
        let (s, l) = (steps_per_byte(&small), steps_per_byte(&large));
        println!("{name}: {s:.3} steps per byte at {} bytes, {l:.3} at {}", small.len(), large.len());
        // A handful of steps per record, records of at least 2 bytes; and no growth with the
        // size: a quadratic path would take 8 times as many steps per byte at 8 times the size.
        assert!(l <= 4.0, "{name}: {l} steps per byte");
        assert!(l <= 1.25 * s, "{name}: {s} steps per byte, then {l} at 8 times the size");
    }
}

#[test]
fn memory_stays_within_a_multiple_of_the_input() {
    for (name, make) in LAYOUTS {
        for n in [1 << 10, 1 << 14] {
            let data = make(n);
            alloc_track::reset();
            let _ = Trace::from_slice(&data);
            let (largest, peak) = (alloc_track::largest(), alloc_track::peak());
            let len = data.len();
            println!("{name}, {len} bytes: largest allocation {largest}, peak held {peak}");
            // 56 bytes per event of at least 2 bytes, once in its list and once in the merged
            // output, vectors at most twice their length; and a chunk of 4096 events.
            assert!(largest <= 64 * len + (1 << 20), "{name}: allocation of {largest} for {len} bytes");
            assert!(peak <= 128 * len + (4 << 20), "{name}: {peak} bytes held for {len} bytes");
        }
    }
}

/// The first record of `data` at which a read under `limits` stops, and the error.
fn stopped(data: &[u8], limits: Limits) -> Error {
    let options = Options::default().limits(limits);
    let whole = Trace::from_slice_with(data, options).expect_err("over the limit");
    let streamed = Trace::parse_with(data, options).expect_err("over the limit");
    assert_eq!(whole, streamed);
    whole
}

#[test]
fn caps_on_events_batches_and_bytes_held() {
    let data = tiny_batches(100);
    assert!(Trace::from_slice(&data).is_ok());
    // Record offsets: header 16, then per batch a 4-byte batch record (p, ticks ≥ 1000: 2
    // bytes) and a 3-byte HeapAlloc; see `tiny_batches`.
    let offsets: Vec<(u64, EventType)> = gotrace::parser::legacy::RawEvents::new(&data)
        .unwrap()
        .map(Result::unwrap)
        .map(|e| (e.offset(), e.event_type()))
        .collect();
    let nth = |t: EventType, n: usize| offsets.iter().filter(|(_, u)| *u == t).nth(n).unwrap().0;

    let e = stopped(&data, Limits::default().max_events(10));
    assert_eq!(e.kind(), ErrorKind::LimitExceeded { what: Limit::Events, value: 11, max: 10 });
    assert_eq!(e.offset(), nth(EventType::HEAP_ALLOC, 10));

    let e = stopped(&data, Limits::default().max_batches(7));
    assert_eq!(e.kind(), ErrorKind::LimitExceeded { what: Limit::Batches, value: 8, max: 7 });
    assert_eq!(e.offset(), nth(EventType::BATCH, 7));

    // 56 bytes per event: the 20th event is over 1100 bytes.
    let e = stopped(&data, Limits::default().max_bytes_held(1100));
    assert_eq!(e.kind(), ErrorKind::LimitExceeded { what: Limit::BytesHeld, value: 20 * 56, max: 1100 });
    assert_eq!(e.offset(), nth(EventType::HEAP_ALLOC, 19));

    // At the limits exactly, the read is the same as without.
    let exact = Limits::default().max_events(100).max_batches(100).max_bytes_held(100 * 56);
    let within = Trace::from_slice_with(&data, Options::default().limits(exact)).unwrap();
    assert_eq!(within.len(), Trace::from_slice(&data).unwrap().len());
}
