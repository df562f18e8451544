//! A synthetic workload written through the [`Tracer`] (and, by
//! [`modern::synth`](crate::modern::synth), through the modern one: the workload is one, over
//! the operations both tracers' handles implement): goroutines created and scheduled across Ps, blocking on channels, mutexes, condition variables, `select`, the network,
//! syscalls and sleeps, GC cycles with stop-the-world phases, mark workers, assists and sweeps,
//! heap figures, user tasks, regions and logs, CPU samples, and stacks of several depths. One
//! producer thread per P runs at once; they share run queues and wait lists the way Ps share
//! goroutines, so goroutines move between Ps and wake each other across Ps.
//!
//! The seed fixes each P's choices; which P takes a shared goroutine first depends on thread
//! scheduling, so two runs with the same seed give traces of the same shape, not the same
//! bytes. Every trace is one Go accepts (the tracer's state model sees to it).
//!
//! ```
//! use gotrace_writer::synth::{run, SynthOptions};
//! let options = SynthOptions { procs: 2, goroutines: 20, events: 5_000, ..SynthOptions::default() };
//! let (trace, stats) = run(Vec::new(), &options)?;
//! assert!(stats.events() >= 5_000);
//! assert_eq!(&trace[..16], b"go 1.19 trace\0\0\0");
//! # Ok::<(), gotrace_writer::Error>(())
//! ```

mod legacy;
mod rng;
mod stacks;
pub(crate) mod workload;

use std::io::Write;

use gotrace_format::Version;

pub(crate) use self::rng::Rng;
pub(crate) use self::stacks::Stacks;
use self::workload::{drive, Names, Queues, World, G};
use crate::{Error, StackId, Stats, Tracer, TracerOptions};

/// What to generate.
///
/// ```
/// let o = gotrace_writer::synth::SynthOptions::default();
/// assert_eq!((o.procs, o.version, o.seed), (4, gotrace_format::Version::Go1_19, 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthOptions {
    /// Ps, and producer threads (at least 1).
    pub procs: u32,
    /// Goroutines alive at once, about (at least 1).
    pub goroutines: u32,
    /// Events to write, at least (the count written is a little over).
    pub events: u64,
    /// Go 1.19 or 1.21.
    pub version: Version,
    /// Seed of the random choices.
    pub seed: u64,
}

impl Default for SynthOptions {
    fn default() -> SynthOptions {
        SynthOptions { procs: 4, goroutines: 100, events: 100_000, version: Version::Go1_19, seed: 1 }
    }
}

/// Ticks per second of synthetic traces (a 1 GHz clock divided by 64, as on amd64).
pub const FREQUENCY: u64 = 15_625_000;

/// Generates the workload into `out` and returns the sink and the tracer's figures: one
/// producer thread per P. Errors: the tracer's (a failing sink, an unsupported version).
pub fn run<W: Write + Send + 'static>(out: W, options: &SynthOptions) -> Result<(W, Stats), Error> {
    let procs = options.procs.max(1);
    let tracer = Tracer::new(out, TracerOptions::new(options.version).procs(procs).frequency(FREQUENCY))?;
    let mut rng = Rng::new(options.seed);
    let stacks = Stacks::new(|frames| tracer.stack(frames), &mut rng)?;

    // Trace start, on P 0: the runtime's snapshot of existing goroutines, then GOMAXPROCS.
    let mut p0 = tracer.proc(0)?;
    let mut now = 1_000_000;
    p0.proc_start(now, 0)?;
    let names = Names::new(|n| p0.string(n));
    let mut queues: Queues<legacy::Shared> = Queues::default();
    let mut workers = Vec::new();
    for _ in 0..procs {
        now += 1;
        workers.push(Some(p0.go_create_waiting(now, stacks.worker, StackId::NONE)?));
    }
    let initial = u64::from(options.goroutines.max(1)).div_ceil(2);
    for i in 0..initial {
        now += 1;
        let start = rng.pick(&stacks.starts);
        match i % 8 {
            0 => queues.own.syscalls.push((
                now + 50_000,
                G { h: p0.go_create_in_syscall(now, start, StackId::NONE)?, task: None },
            )),
            1..=3 => {
                queues.parked.push(G { h: p0.go_create_waiting(now, start, StackId::NONE)?, task: None })
            }
            _ => queues.runq.push_back(G { h: p0.go_create(now, start, StackId::NONE)?, task: None }),
        }
    }
    now += 1;
    p0.gomaxprocs(now, procs, rng.pick(&stacks.user));
    let start = p0.last_tick() + 1;
    drop(p0);

    let target = u64::from(options.goroutines.max(1));
    let world = World::new(queues, initial, target, options.events, &stacks, names);
    let producers = workers
        .into_iter()
        .enumerate()
        .map(|(i, worker)| Ok((legacy::P::new(&tracer, i as u32)?, worker)))
        .collect::<Result<Vec<_>, Error>>()?;
    drive(&world, producers, options.seed, start)?;
    let stats = tracer.stats();
    Ok((tracer.finish()?, stats))
}
