//! The modern tracer's memory behaviour, seen by the counting global allocator of `counting/` (as
//! `writer_alloc.rs`): no allocation per event on the producer path, generation switches
//! included, and none under the pool lock (debug builds).
//!
//! The tests of this file run one at a time (they read process-wide counters).

mod counting;

use std::io::{self, Write};

use counting::{serial, thread_allocs, under_pool_lock};

use gotrace::format::Version;
use gotrace::writer::modern::synth::{self, SynthOptions};
use gotrace::writer::modern::{Thread, Tracer, TracerOptions};
use gotrace::writer::{BlockReason, Error, Frame, TaskId};

#[global_allocator]
static A: counting::Counting = counting::Counting;

/// One producer writing 1 M events through the state model, with a new generation about
/// every 256 KiB (the producer closes each one itself: it is the only thread): after a
/// warm-up, the allocations on its thread are buffers only (at most the cap).
#[test]
fn producer_path_allocates_nothing_per_event() {
    let _serial = serial();
    let options = TracerOptions::new(Version::Go1_26).generation_bytes(Some(256 << 10));
    let tracer = Tracer::new(io::sink(), options).unwrap();
    let start = tracer.stack(&[Frame { pc: 1, func: "main.worker", file: "main.go", line: 3 }]);
    let site = tracer.stack(&[Frame { pc: 2, func: "main.worker", file: "main.go", line: 9 }]);
    let name = tracer.string("request");
    let mut m = tracer.thread(0).unwrap();
    m.proc_start(1, tracer.proc(0).unwrap()).unwrap();
    let mut ts = 10;
    let mut cycle = |m: &mut Thread<'_>| {
        ts += 20;
        let g = m.go_create(ts, start, site).unwrap();
        m.go_start(ts + 1, g).unwrap();
        m.heap_alloc(ts + 2, 1 << 20).unwrap();
        m.go_syscall_begin(ts + 3, site).unwrap();
        m.go_syscall_end(ts + 4).unwrap();
        let task = m.task_begin(ts + 5, TaskId::BACKGROUND, name, site).unwrap();
        m.log(ts + 6, task.id(), name, "a message", site).unwrap();
        m.task_end(ts + 7, task, site).unwrap();
        let g = m.go_block(ts + 8, BlockReason::Sync, site).unwrap();
        let g = m.go_unblock(ts + 9, g, site);
        m.go_start(ts + 10, g).unwrap();
        m.go_destroy(ts + 11).unwrap();
    };
    for _ in 0..50_000 {
        cycle(&mut m);
    }
    let before = thread_allocs();
    let events_before = m.events();
    let gens_before = m.generation();
    for _ in 0..85_000 {
        cycle(&mut m);
    }
    let allocs = thread_allocs() - before;
    let events = m.events() - events_before;
    let gens = m.generation() - gens_before;
    assert!(events >= 1_000_000, "{events}");
    assert!(gens >= 10, "{gens} generations");
    drop(m);
    let stats = tracer.stats();
    println!(
        "producer path: {allocs} allocations for {events} events and {gens} generations; {} buffers at most",
        stats.peak_buffers
    );
    assert!(allocs <= stats.buffer_limit as u64, "{allocs} allocations: more than buffers");
    tracer.finish().unwrap();
}

/// Nothing allocates while the pool lock is held: whole synth runs (5 producer threads,
/// generations, GC, logs, steals, CPU samples) of both versions, and with a failing sink.
#[cfg(debug_assertions)]
#[test]
fn nothing_allocates_under_the_pool_lock() {
    let _serial = serial();
    for version in [Version::Go1_23, Version::Go1_26] {
        let (data, _) = synth::run(Vec::new(), &synth_options(version)).unwrap();
        assert!(data.len() > 100_000);
        let _ = synth::run(FailAfter(100_000), &synth_options(version));
    }
    assert_eq!(under_pool_lock(), 0, "allocations under the pool lock");
}

/// A sink that fails part way: the error comes back, nothing hangs.
#[test]
fn a_failing_sink_returns_its_error() {
    let _serial = serial();
    for version in [Version::Go1_23, Version::Go1_26] {
        let failed = synth::run(FailAfter(100_000), &synth_options(version));
        assert!(matches!(failed, Err(Error::Io(_))), "{failed:?}");
    }
}

fn synth_options(version: Version) -> SynthOptions {
    SynthOptions {
        procs: 4,
        goroutines: 64,
        events: 200_000,
        version,
        seed: 9,
        generation_bytes: Some(200_000),
    }
}

/// A sink that fails once it has taken `n` more bytes.
#[derive(Debug)]
struct FailAfter(usize);

impl Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() > self.0 {
            return Err(io::Error::other("no space left"));
        }
        self.0 -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
