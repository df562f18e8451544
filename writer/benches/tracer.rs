//! Throughput of the tracer's fast path: `cargo bench -p gotrace-writer --bench tracer`.
//!
//! One producer thread, then two at once, write goroutine events through the state model
//! into memory (a `Vec<u8>` sink); each figure is the median of several runs. Also: synth's
//! rate with 8 producer threads. Std only, no harness: the figures are printed.

use std::time::{Duration, Instant};

use gotrace_format::Version;
use gotrace_writer::synth::{self, SynthOptions};
use gotrace_writer::{BlockReason, Frame, Proc, StackId, Tracer, TracerOptions};

const EVENTS_PER_PRODUCER: u64 = 10_000_000;
const RUNS: usize = 7;

/// Ten events: create, start, heap, syscall, block, unblock, start, yield, start, end.
#[inline(never)]
fn cycles(p: &mut Proc<'_>, start: StackId, site: StackId, n: u64) {
    let mut ts = p.last_tick() + 1;
    for _ in 0..n {
        let g = p.go_create(ts, start, site).unwrap();
        p.go_start(ts + 1, g).unwrap();
        p.heap_alloc(ts + 2, ts);
        p.go_syscall(ts + 3, site).unwrap();
        let g = p.go_block(ts + 4, BlockReason::Recv, site).unwrap();
        let g = p.go_unblock(ts + 5, g, site);
        p.go_start(ts + 6, g).unwrap();
        let g = p.go_sched(ts + 7, site).unwrap();
        p.go_start(ts + 8, g).unwrap();
        p.go_end(ts + 9).unwrap();
        ts += 10;
    }
}

/// `producers` threads write `EVENTS_PER_PRODUCER` events each; returns the wall time until the
/// last one is done, a producer's time on a CPU (mean), and the trace's size.
fn run(producers: u32) -> (Duration, Duration, usize) {
    let sink = Vec::with_capacity(64 << 20);
    let tracer = Tracer::new(sink, TracerOptions::new(Version::Go1_19).procs(producers)).unwrap();
    let start = tracer.stack(&[Frame { pc: 1, func: "main.worker", file: "main.go", line: 3 }]).unwrap();
    let site = tracer.stack(&[Frame { pc: 2, func: "main.worker", file: "main.go", line: 9 }]).unwrap();
    let mut procs: Vec<Proc<'_>> = (0..producers).map(|i| tracer.proc(i).unwrap()).collect();
    for p in &mut procs {
        p.proc_start(1, 0).unwrap();
    }
    let t0 = Instant::now();
    let cpu: Vec<u64> = std::thread::scope(|s| {
        let threads: Vec<_> = procs
            .into_iter()
            .map(|mut p| {
                s.spawn(move || {
                    let c0 = on_cpu_ns();
                    cycles(&mut p, start, site, EVENTS_PER_PRODUCER / 10);
                    on_cpu_ns() - c0
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let elapsed = t0.elapsed();
    let trace = tracer.finish().unwrap();
    (elapsed, Duration::from_nanos(cpu.iter().sum::<u64>() / cpu.len() as u64), trace.len())
}

/// Nanoseconds this thread has spent on a CPU (Linux's schedstat; 0 elsewhere): unlike wall
/// time, it does not count the time other processes of a busy machine take.
fn on_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    for producers in [1u32, 2] {
        let events = EVENTS_PER_PRODUCER * u64::from(producers);
        let (mut rates, mut cpu_ns) = (Vec::new(), Vec::new());
        let mut bytes = 0;
        for _ in 0..RUNS {
            let (wall, cpu, len) = run(producers);
            rates.push(events as f64 / wall.as_secs_f64());
            cpu_ns.push(cpu.as_nanos() as f64 / EVENTS_PER_PRODUCER as f64);
            bytes = len;
        }
        let rate = median(rates.clone());
        println!(
            "{producers} producer(s): wall: median {:.1} M events/s, {:.2} ns/event per producer (runs {:?} M/s); \
             on-CPU: median {:.2} ns/event per producer ({:.1} M events/s each); {:.2} bytes/event",
            rate / 1e6,
            1e9 / (rate / f64::from(producers)),
            rates.iter().map(|r| (r / 1e5).round() / 10.0).collect::<Vec<_>>(),
            median(cpu_ns.clone()),
            1e3 / median(cpu_ns),
            bytes as f64 / events as f64
        );
    }
    let mut rates = Vec::new();
    for seed in 0..5 {
        let options =
            SynthOptions { procs: 8, goroutines: 300, events: 1_000_000, version: Version::Go1_19, seed };
        let t0 = Instant::now();
        let (_, stats) = synth::run(Vec::with_capacity(8 << 20), &options).unwrap();
        rates.push(stats.events() as f64 / t0.elapsed().as_secs_f64());
    }
    println!("synth, 8 producer threads, 1 M events: median {:.1} M events/s", median(rates) / 1e6);
}
