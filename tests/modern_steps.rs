//! The modern ordered reader's work, counted in steps (`gotrace_parser::steps`: each event
//! offered to the ordering), never timed: on every modern corpus trace and every file of
//! corpus/damaged-modern and corpus/altered-modern, a few steps per input byte. An event the
//! ordering refuses is offered again once a state it waits for has changed (Go offers it again
//! after any other thread's event is taken; the events taken are the same).

mod common;
mod modern_common;

use gotrace::parser::modern::Reader;
use gotrace::parser::steps;

/// Steps of reading `data` to its end or its first error, per input byte.
fn steps_per_byte(data: &[u8]) -> f64 {
    let _ = steps::take();
    if let Ok(mut reader) = Reader::new(data) {
        while let Ok(Some(_)) = reader.next_event() {}
    }
    steps::take() as f64 / data.len() as f64
}

#[test]
fn a_few_steps_per_byte_on_every_modern_file() {
    let mut files = modern_common::modern_corpus();
    files.extend(common::damaged_modern().into_iter().map(|v| v.path));
    files.extend(common::altered_modern().into_iter().map(|v| v.path));
    let mut worst = (0.0, String::new());
    for path in &files {
        let s = steps_per_byte(&common::read(path));
        if s > worst.0 {
            worst = (s, common::name(path));
        }
    }
    println!("{} files, at most {:.3} steps per byte ({})", files.len(), worst.0, worst.1);
    // An event takes at least 2 bytes, and is offered about once.
    assert!(worst.0 <= 1.0, "{}: {} steps per byte", worst.1, worst.0);
    assert!(worst.0 > 0.0);
}

/// The length of `v` as a varint.
fn varint_len(mut v: u64) -> u64 {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// A Go 1.22 trace whose `threads` threads each start P 0 (then stop it) with P sequence numbers
/// 1, 2, … — thread `k` with number `k` — and whose times run the other way: thread `threads`
/// comes first. Each start can go only after the stop of the thread before it in the chain, so
/// at every step the frontier's head waits and nearly every other thread is offered its event
/// in turn, as Go's reader offers them. (Checked by hand: for 100 threads, Go 1.27's
/// `go tool trace -d=parsed` prints the very lines `gotrace dump` prints, 203 events.)
fn proc_start_chain(threads: u64) -> Vec<u8> {
    use std::fmt::Write;
    let late = 10 * threads;
    let mut text =
        String::from("Trace Go1.22\nEventBatch gen=1 m=0 time=0 size=4\nProcStatus dt=1 p=0 pstatus=2\n");
    for k in 1..=threads {
        let size = 3 + varint_len(k) + 1 + varint_len(late);
        let time = threads - k + 10;
        let _ = write!(
            text,
            "EventBatch gen=1 m={k} time={time} size={size}\nProcStart dt=1 p=0 p_seq={k}\nProcStop dt={late}\n"
        );
    }
    let m = u64::MAX;
    let _ = write!(
        text,
        "EventBatch gen=1 m={m} time=0 size=5\nFrequency freq=15625000\n\
         EventBatch gen=1 m={m} time=0 size=1\nStacks\nEventBatch gen=1 m={m} time=0 size=1\nStrings\n"
    );
    let mut reader = gotrace::parser::modern::TextReader::new(text.as_bytes()).expect("text header");
    let mut bytes = reader.version().header().to_vec();
    while let Some(event) = reader.next_event().expect("text record") {
        bytes.extend_from_slice(event.bytes());
    }
    bytes
}

/// The worst case of the retry rule: a chain of threads each waiting on the next. Go's reader
/// offers every waiting thread's event again at each step, about N² offers for N threads here;
/// this one parks a refused event until a state it waits for changes (the P's sequence number
/// reaching the one it follows, its thread's context), so each event is offered a few times and
/// the same events come out in the same order. What stays quadratic is cheap: the stable sort of
/// the frontier that Go does at every step whose head waits (its order decides ties), and the
/// pass over it that skips the parked threads.
#[test]
fn a_chain_of_waiting_threads_costs_a_few_offers_per_event() {
    for threads in [100u64, 400] {
        let data = proc_start_chain(threads);
        let _ = steps::take();
        let mut reader = Reader::new(&data[..]).expect("header");
        let mut events = 0u64;
        while reader.next_event().expect("the chain is a valid trace").is_some() {
            events += 1;
        }
        let offers = steps::take();
        println!("{threads} threads, {} bytes: {events} events, {offers} offers", data.len());
        // Two Syncs, the status, a start and a stop per thread.
        assert_eq!(events, 3 + 2 * threads);
        // Go's rule would offer N² + N + 1 events here.
        assert!(offers <= 4 * events, "{offers} offers");
    }
}
