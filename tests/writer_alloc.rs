//! The tracer's memory behaviour, seen by a counting global allocator: no allocation per event
//! on the fast path, none under the pool lock (debug builds), a bounded number of buffers when
//! the sink is slower than the producers, and every buffer released after a sink failure.
//!
//! The tests of this file run one at a time (they read process-wide counters).

mod counting;

use std::io::{self, Write};
use std::time::Duration;

use counting::{live, peak, reset_peak, serial, thread_allocs, under_pool_lock};

use gotrace::format::Version;
use gotrace::writer::synth::{self, SynthOptions};
use gotrace::writer::{BlockReason, Error, Frame, StackId, Tracer, TracerOptions, BUFFER_SIZE};

#[global_allocator]
static A: counting::Counting = counting::Counting;

/// One producer writing 1 M events through the goroutine helpers: after a warm-up, the only
/// allocations on its thread are buffers (at most the cap, none once the pool is warm).
#[test]
fn fast_path_allocates_nothing_per_event() {
    let _serial = serial();
    let tracer = Tracer::new(io::sink(), TracerOptions::default()).unwrap();
    let start = tracer.stack(&[Frame { pc: 1, func: "main.worker", file: "main.go", line: 3 }]).unwrap();
    let site = tracer.stack(&[Frame { pc: 2, func: "main.worker", file: "main.go", line: 9 }]).unwrap();
    let mut p = tracer.proc(0).unwrap();
    let mut ts = 10;
    let mut cycle = |p: &mut gotrace::writer::Proc<'_>| {
        ts += 10;
        let g = p.go_create(ts, start, site).unwrap();
        p.go_start(ts + 1, g).unwrap();
        p.heap_alloc(ts + 2, 1 << 20);
        p.go_syscall(ts + 3, site).unwrap();
        let g = p.go_block(ts + 4, BlockReason::Sync, site).unwrap();
        let g = p.go_unblock(ts + 5, g, site);
        p.go_start(ts + 6, g).unwrap();
        let g = p.go_sched(ts + 7, site).unwrap();
        p.go_start(ts + 8, g).unwrap();
        p.go_end(ts + 9).unwrap();
    };
    p.proc_start(1, 0).unwrap();
    for _ in 0..50_000 {
        cycle(&mut p);
    }
    let before = thread_allocs();
    let events_before = p.events();
    for _ in 0..100_000 {
        cycle(&mut p);
    }
    let allocs = thread_allocs() - before;
    let events = p.events() - events_before;
    assert_eq!(events, 1_000_000);
    drop(p);
    let stats = tracer.stats();
    println!(
        "fast path: {allocs} allocations for {events} events ({:.2e} per event); {} buffers at most",
        allocs as f64 / events as f64,
        stats.peak_buffers
    );
    assert!(allocs <= stats.buffer_limit as u64, "{allocs} allocations: more than buffers");
    tracer.finish().unwrap();
}

/// Nothing allocates while the pool lock is held: a whole synth run (4 producer threads, GC,
/// strings, stacks, the no-P buffer, CPU samples, the footer) and a failing sink.
#[cfg(debug_assertions)]
#[test]
fn nothing_allocates_under_the_pool_lock() {
    let _serial = serial();
    let options =
        SynthOptions { procs: 4, goroutines: 64, events: 200_000, version: Version::Go1_21, seed: 9 };
    let (data, _) = synth::run(Vec::new(), &options).unwrap();
    assert!(data.len() > 100_000);
    let failed = synth::run(FailAfter(100_000), &options);
    assert!(matches!(failed, Err(Error::Io(_))));
    assert_eq!(under_pool_lock(), 0, "allocations under the pool lock");
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

/// A sink that takes 2 ms per write: far slower than the producers.
#[derive(Debug)]
struct Slow(u64);

impl Write for Slow {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        std::thread::sleep(Duration::from_millis(2));
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// 4 producers, each writing `events` events as fast as it can.
fn produce<W: Write + Send + 'static>(tracer: &Tracer<W>, events: u64) {
    let start = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }]).unwrap();
    std::thread::scope(|s| {
        for i in 0..4 {
            let mut p = tracer.proc(i).unwrap();
            s.spawn(move || {
                p.proc_start(1, 0).unwrap();
                for k in 0..events / 4 {
                    let g = p.go_create(10 + 4 * k, start, StackId::NONE).unwrap();
                    p.go_start(11 + 4 * k, g).unwrap();
                    p.heap_alloc(12 + 4 * k, k);
                    p.go_end(13 + 4 * k).unwrap();
                }
            });
        }
    });
}

/// A producer faster than the sink: buffers never exceed the documented cap (so memory stays
/// within cap × 64 KiB plus the tables), producers wait instead.
#[test]
fn slow_sink_keeps_memory_bounded() {
    let _serial = serial();
    let options = TracerOptions::default().procs(4).max_buffers(10);
    let limit = options.buffer_limit();
    assert_eq!(limit, 10);
    let base = reset_peak();
    let tracer = Tracer::new(Slow(0), options).unwrap();
    produce(&tracer, 400_000);
    let stats = tracer.stats();
    let peak = peak() - base;
    let sink = tracer.finish().unwrap();
    println!(
        "slow sink: {} bytes written, peak {} buffers of {limit}, {} waits, peak heap {} KiB",
        sink.0,
        stats.peak_buffers,
        stats.buffer_waits,
        peak / 1024
    );
    assert!(stats.peak_buffers <= limit);
    assert!(stats.buffer_waits > 0, "the producers should have waited for the sink");
    assert!(sink.0 > 20 * BUFFER_SIZE as u64, "the run should need many more buffers than the cap");
    assert!(peak <= limit * BUFFER_SIZE + (1 << 20), "peak heap {peak} bytes");
}

/// After a sink failure every buffer is released, and so is everything else of the tracer.
#[test]
fn buffers_are_released_after_a_sink_failure() {
    let _serial = serial();
    let base = live();
    let tracer = Tracer::new(FailAfter(300_000), TracerOptions::default().procs(4)).unwrap();
    produce(&tracer, 400_000);
    assert!(live() > base + 4 * BUFFER_SIZE);
    assert!(matches!(tracer.finish(), Err(Error::Io(_))));
    // The consumer thread's own bookkeeping may take a moment to go.
    std::thread::sleep(Duration::from_millis(50));
    let after = live();
    assert!(after < base + BUFFER_SIZE, "{} bytes still live after finish", after.saturating_sub(base));
}
