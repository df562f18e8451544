//! A synthetic workload written through the [`Tracer`]: goroutines created and scheduled
//! across Ps, blocking on channels, mutexes, condition variables, `select`, the network,
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

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use gotrace_format::legacy::StwReason;
use gotrace_format::Version;

use crate::{
    BlockReason, Error, Frame, GcCycle, GcWorker, InSyscall, Proc, Runnable, StackId, Stats, StringId, Task,
    TaskId, Tracer, TracerOptions, Waiting,
};

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

/// A small, fast pseudo-random generator (SplitMix64): the workload needs variety, not
/// cryptographic quality.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A duration in ticks, mostly short, sometimes long (roughly log-uniform in 1..2^k).
    pub(crate) fn ticks(&mut self, k: u32) -> u64 {
        let bits = self.below(u64::from(k)) as u32 + 1;
        1 + self.below(1 << bits)
    }
}

/// The stacks of the workload, by what the goroutine is doing.
#[derive(Debug)]
pub(crate) struct Stacks {
    /// One-frame stacks of start functions.
    pub(crate) starts: Vec<StackId>,
    /// Where goroutines are created.
    pub(crate) create: Vec<StackId>,
    pub(crate) send: Vec<StackId>,
    pub(crate) recv: Vec<StackId>,
    pub(crate) select: Vec<StackId>,
    pub(crate) sync: Vec<StackId>,
    pub(crate) cond: Vec<StackId>,
    pub(crate) other: Vec<StackId>,
    pub(crate) net: Vec<StackId>,
    pub(crate) sleep: Vec<StackId>,
    pub(crate) syscall: Vec<StackId>,
    pub(crate) sched: Vec<StackId>,
    pub(crate) gc: Vec<StackId>,
    pub(crate) user: Vec<StackId>,
    pub(crate) worker: StackId,
}

const USER_FUNCS: [&str; 12] = [
    "main.main",
    "main.(*server).handle",
    "main.(*server).serve",
    "main.worker",
    "main.producer",
    "main.consumer",
    "main.process",
    "main.(*cache).get",
    "main.(*cache).fill",
    "encoding/json.Marshal",
    "net/http.(*conn).serve",
    "net/http.HandlerFunc.ServeHTTP",
];

const START_FUNCS: [&str; 6] = [
    "main.worker",
    "main.producer",
    "main.consumer",
    "main.(*server).serve",
    "net/http.(*conn).serve",
    "main.main.func1",
];

fn file_of(func: &str) -> &'static str {
    match func.split('.').next().unwrap_or("") {
        "runtime" => "/usr/lib/go/src/runtime/proc.go",
        "sync" => "/usr/lib/go/src/sync/mutex.go",
        "net/http" => "/usr/lib/go/src/net/http/server.go",
        "encoding/json" => "/usr/lib/go/src/encoding/json/encode.go",
        "internal/poll" => "/usr/lib/go/src/internal/poll/fd_unix.go",
        "syscall" => "/usr/lib/go/src/syscall/syscall_linux.go",
        "time" => "/usr/lib/go/src/time/sleep.go",
        "os" => "/usr/lib/go/src/os/file.go",
        _ => "/app/main.go",
    }
}

/// A pseudo program counter for a function and line.
fn pc(func: &str, line: u64) -> u64 {
    let h =
        func.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    0x40_0000 + (h % 0x40_0000) + line * 4
}

impl Stacks {
    /// The workload's stacks, interned by `stack`.
    pub(crate) fn new(
        mut stack: impl FnMut(&[Frame<'_>]) -> Result<StackId, Error>,
        rng: &mut Rng,
    ) -> Result<Stacks, Error> {
        let mut make = |leaf: &[&str], n: usize| -> Result<Vec<StackId>, Error> {
            (0..n)
                .map(|_| {
                    // Runtime frames at the leaf, then 1 to 10 user frames.
                    let depth = 1 + rng.below(10) as usize;
                    let mut names: Vec<&str> = leaf.to_vec();
                    names.extend((0..depth).map(|_| rng.pick(&USER_FUNCS)));
                    let frames: Vec<Frame<'_>> = names
                        .iter()
                        .map(|&func| {
                            let line = 10 + rng.below(400);
                            Frame { pc: pc(func, line), func, file: file_of(func), line }
                        })
                        .collect();
                    stack(&frames)
                })
                .collect()
        };
        let stacks = Stacks {
            starts: Vec::new(),
            create: make(&[], 12)?,
            send: make(&["runtime.chansend1"], 8)?,
            recv: make(&["runtime.chanrecv1"], 8)?,
            select: make(&["runtime.selectgo"], 6)?,
            sync: make(&["sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock"], 6)?,
            cond: make(&["sync.(*Cond).Wait"], 4)?,
            other: make(&["sync.(*WaitGroup).Wait"], 4)?,
            net: make(
                &["internal/poll.(*pollDesc).wait", "internal/poll.(*FD).Read", "net.(*conn).Read"],
                6,
            )?,
            sleep: make(&["time.Sleep"], 6)?,
            syscall: make(&["syscall.Syscall", "syscall.read", "os.(*File).Read"], 8)?,
            sched: make(&["runtime.Gosched"], 6)?,
            gc: make(&["runtime.gcAssistAlloc", "runtime.mallocgc"], 6)?,
            user: make(&[], 16)?,
            worker: stack(&[Frame {
                pc: pc("runtime.gcBgMarkWorker", 1),
                func: "runtime.gcBgMarkWorker",
                file: file_of("runtime.gcBgMarkWorker"),
                line: 1200,
            }])?,
        };
        let starts = START_FUNCS
            .iter()
            .map(|&func| stack(&[Frame { pc: pc(func, 0), func, file: file_of(func), line: 1 }]))
            .collect::<Result<_, _>>()?;
        Ok(Stacks { starts, ..stacks })
    }
}

/// A goroutine of the workload: its handle and what it is in the middle of.
#[derive(Debug)]
struct G<H> {
    h: H,
    task: Option<Task>,
}

/// What the Ps share, under one lock (never held while writing events).
#[derive(Debug, Default)]
struct Queues {
    runq: VecDeque<G<Runnable>>,
    /// Blocked on channels, mutexes, condition variables, `select`, other.
    parked: Vec<G<Waiting>>,
    /// Sleeping until a tick.
    sleeping: Vec<(u64, G<Waiting>)>,
    /// In blocking syscalls until a tick.
    syscalls: Vec<(u64, G<InSyscall>)>,
    /// Waiting on the network.
    netwait: Vec<G<Waiting>>,
}

#[derive(Debug)]
struct World<'s> {
    queues: Mutex<Queues>,
    live: AtomicU64,
    target: u64,
    gc_running: AtomicBool,
    /// GC cycles completed (each P sweeps after one).
    gc_epoch: AtomicU64,
    stacks: &'s Stacks,
    names: Names,
}

#[derive(Debug, Clone, Copy)]
struct Names {
    tasks: [StringId; 3],
    regions: [StringId; 4],
    keys: [StringId; 3],
}

impl World<'_> {
    fn queues(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Generates the workload into `out` and returns the sink and the tracer's figures.
/// Errors: the tracer's (a failing sink, an unsupported version).
pub fn run<W: Write + Send + 'static>(out: W, options: &SynthOptions) -> Result<(W, Stats), Error> {
    let procs = options.procs.max(1);
    let tracer = Tracer::new(out, TracerOptions::new(options.version).procs(procs).frequency(FREQUENCY))?;
    let mut rng = Rng::new(options.seed);
    let stacks = Stacks::new(|frames| tracer.stack(frames), &mut rng)?;

    // Trace start, on P 0: the runtime's snapshot of existing goroutines, then GOMAXPROCS.
    let mut p0 = tracer.proc(0)?;
    let mut now = 1_000_000;
    p0.proc_start(now, 0)?;
    let names = Names {
        tasks: ["request", "batch", "cleanup"].map(|n| p0.string(n)),
        regions: ["decode", "lookup", "render", "flush"].map(|n| p0.string(n)),
        keys: ["path", "status", "retry"].map(|n| p0.string(n)),
    };
    let mut queues = Queues::default();
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
            0 => queues.syscalls.push((
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

    let world = World {
        queues: Mutex::new(queues),
        live: AtomicU64::new(initial),
        target: u64::from(options.goroutines.max(1)),
        gc_running: AtomicBool::new(false),
        gc_epoch: AtomicU64::new(0),
        stacks: &stacks,
        names,
    };
    let budget = options.events.div_ceil(u64::from(procs));
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = workers
            .into_iter()
            .enumerate()
            .map(|(i, worker)| {
                let proc = tracer.proc(i as u32);
                let (world, tracer) = (&world, &tracer);
                let seed = options.seed.wrapping_mul(0x100_0000_01b3).wrapping_add(i as u64 + 1);
                s.spawn(move || {
                    let mut sched = Sched {
                        p: proc?,
                        tracer,
                        world,
                        rng: Rng::new(seed),
                        now: start,
                        runq: Vec::new(),
                        worker,
                        gc: None,
                        gc_seen: 0,
                        thread: i as u64,
                    };
                    sched.run(budget)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    results.into_iter().collect::<Result<(), Error>>()?;
    let stats = tracer.stats();
    Ok((tracer.finish()?, stats))
}

/// One P's scheduler loop.
struct Sched<'t, 'w, W: Write + Send + 'static> {
    p: Proc<'t>,
    tracer: &'t Tracer<W>,
    world: &'w World<'w>,
    rng: Rng,
    now: u64,
    /// This P's own run queue.
    runq: Vec<G<Runnable>>,
    /// This P's GC mark worker, while parked.
    worker: Option<Waiting>,
    /// The GC cycle this P runs (P 0 only).
    gc: Option<GcCycle>,
    gc_seen: u64,
    thread: u64,
}

impl<W: Write + Send + 'static> Sched<'_, '_, W> {
    /// Advances the clock by a few ticks (at least past the P's last event).
    fn tick(&mut self, k: u32) -> u64 {
        self.now = self.now.max(self.p.last_tick()) + self.rng.ticks(k);
        self.now
    }

    fn stack(&mut self, pick: fn(&Stacks) -> &Vec<StackId>) -> StackId {
        let stacks = pick(self.world.stacks);
        self.rng.pick(stacks)
    }

    fn run(&mut self, budget: u64) -> Result<(), Error> {
        if self.p.id() != Some(0) {
            let t = self.tick(6);
            self.p.proc_start(t, self.thread)?;
        }
        while self.p.events() < budget {
            self.housekeeping()?;
            match self.next_runnable()? {
                Some(g) => self.run_goroutine(g)?,
                None => self.idle()?,
            }
        }
        if let Some(gc) = self.gc.take() {
            let t = self.tick(8);
            self.p.gc_done(t, gc);
        }
        // Hand what this P still holds to the others' queues.
        let mut q = self.world.queues();
        q.runq.extend(self.runq.drain(..));
        Ok(())
    }

    /// What a P's scheduler does between goroutines: timers, finished syscalls, the network
    /// poller, the GC.
    fn housekeeping(&mut self) -> Result<(), Error> {
        let now = self.tick(6);
        // GC cycles, driven by P 0.
        if self.p.id() == Some(0) {
            self.drive_gc()?;
        }
        // Sweep after each GC cycle, and now and then.
        let epoch = self.world.gc_epoch.load(Ordering::Relaxed);
        if epoch != self.gc_seen || self.rng.chance(10) {
            self.gc_seen = epoch;
            let t = self.tick(6);
            self.p.gc_sweep_start(t, StackId::NONE)?;
            let t = self.tick(8);
            let swept = 8192 * (1 + self.rng.below(64));
            self.p.gc_sweep_done(t, swept, swept / (1 + self.rng.below(4)))?;
        }
        // The GC mark worker of this P.
        if self.world.gc_running.load(Ordering::Relaxed) && self.rng.chance(20) {
            if let Some(w) = self.worker.take() {
                let t = self.tick(4);
                let w = self.p.go_unblock(t, w, StackId::NONE);
                let mode = self.rng.pick(&[GcWorker::Dedicated, GcWorker::Fractional, GcWorker::Idle]);
                let t = self.tick(4);
                self.p.go_start_label(t, w, mode).map_err(|r| r.error)?;
                let t = self.tick(12);
                let heap = self.heap();
                self.p.heap_alloc(t, heap);
                let t = self.tick(10);
                self.worker = Some(self.p.go_block(t, BlockReason::Other, StackId::NONE)?);
            }
        }
        // Timers and finished syscalls.
        let (woken, back) = {
            let mut q = self.world.queues();
            let woken = take_due(&mut q.sleeping, now, &mut self.rng);
            let back = take_due(&mut q.syscalls, now, &mut self.rng);
            (woken, back)
        };
        if let Some((_, g)) = woken {
            let t = self.tick(4);
            let h = self.p.go_unblock(t, g.h, StackId::NONE);
            self.runq.push(G { h, task: g.task });
        }
        if let Some((real, g)) = back {
            // The goroutine's thread got this P back: GoSysExit, then it runs right away.
            let t = self.tick(4);
            let h = self.p.go_sys_exit(t, g.h, real);
            self.run_goroutine(G { h, task: g.task })?;
        }
        // The network poller: from this P's scheduler, or from a thread without a P.
        if self.rng.chance(6) {
            let ready = self.world.queues().netwait.pop();
            if let Some(g) = ready {
                let t = self.tick(4);
                if self.rng.chance(30) {
                    let h = self.tracer.with_no_p(|np| np.go_unblock(t, g.h, StackId::NONE));
                    self.world.queues().runq.push_back(G { h, task: g.task });
                } else {
                    let h = self.p.go_unblock(t, g.h, StackId::NONE);
                    self.runq.push(G { h, task: g.task });
                }
            }
        }
        Ok(())
    }

    fn heap(&mut self) -> u64 {
        (4 << 20) + self.rng.below(60 << 20)
    }

    fn drive_gc(&mut self) -> Result<(), Error> {
        match self.gc.take() {
            None if self.rng.chance(1) => {
                let t = self.tick(4);
                let stack = self.stack(|s| &s.gc);
                let cycle = self.p.gc_start(t, stack)?;
                let t = self.tick(4);
                let stw = self.p.stw_start(t, StwReason::GcSweepTermination)?;
                let t = self.tick(8);
                self.p.stw_done(t, stw);
                let t = self.tick(4);
                let heap = self.heap();
                self.p.heap_alloc(t, heap);
                self.gc = Some(cycle);
                self.world.gc_running.store(true, Ordering::Relaxed);
            }
            Some(cycle) if self.rng.chance(3) => {
                self.world.gc_running.store(false, Ordering::Relaxed);
                let t = self.tick(4);
                let stw = self.p.stw_start(t, StwReason::GcMarkTermination)?;
                let t = self.tick(8);
                self.p.stw_done(t, stw);
                let t = self.tick(4);
                self.p.gc_done(t, cycle);
                let t = self.tick(4);
                let goal = self.heap() * 2;
                self.p.heap_goal(t, goal);
                self.world.gc_epoch.fetch_add(1, Ordering::Relaxed);
            }
            other => self.gc = other,
        }
        Ok(())
    }

    /// The next goroutine to run: this P's queue, the global queue, a new goroutine, or a
    /// parked one woken by the scheduler.
    fn next_runnable(&mut self) -> Result<Option<G<Runnable>>, Error> {
        if let Some(g) = self.runq.pop() {
            return Ok(Some(g));
        }
        if self.rng.chance(40) {
            // Out of local work: the P stops until it finds some (the runtime's idle Ps).
            self.idle()?;
        }
        let (from_global, parked) = {
            let mut q = self.world.queues();
            let g = q.runq.pop_front();
            let parked = if g.is_none() && !q.parked.is_empty() && self.rng.chance(50) {
                let i = self.rng.below(q.parked.len() as u64) as usize;
                Some(q.parked.swap_remove(i))
            } else {
                None
            };
            (g, parked)
        };
        if from_global.is_some() {
            return Ok(from_global);
        }
        if let Some(g) = parked {
            let t = self.tick(4);
            let h = self.p.go_unblock(t, g.h, StackId::NONE);
            return Ok(Some(G { h, task: g.task }));
        }
        if self.world.live.load(Ordering::Relaxed) < self.world.target {
            return Ok(Some(self.create(StackId::NONE)?));
        }
        Ok(None)
    }

    fn create(&mut self, creator: StackId) -> Result<G<Runnable>, Error> {
        let t = self.tick(6);
        let start = self.stack(|s| &s.starts);
        let h = self.p.go_create(t, start, creator)?;
        self.world.live.fetch_add(1, Ordering::Relaxed);
        Ok(G { h, task: None })
    }

    /// Nothing to run: the P stops for a while.
    fn idle(&mut self) -> Result<(), Error> {
        let t = self.tick(8);
        self.p.proc_stop(t)?;
        let t = self.tick(14);
        self.p.proc_start(t, self.thread)?;
        Ok(())
    }

    fn run_goroutine(&mut self, g: G<Runnable>) -> Result<(), Error> {
        let t = self.tick(6);
        self.p.go_start(t, g.h).map_err(|r| r.error)?;
        let mut task = g.task;
        for _ in 0..1 + self.rng.below(4) {
            self.action(&mut task)?;
        }
        self.leave(task)
    }

    /// Something a running goroutine does that does not stop it.
    fn action(&mut self, task: &mut Option<Task>) -> Result<(), Error> {
        let roll = self.rng.below(100);
        match roll {
            0..=29 => {
                let t = self.tick(8);
                let heap = self.heap();
                self.p.heap_alloc(t, heap);
            }
            30..=44 if self.world.live.load(Ordering::Relaxed) < self.world.target => {
                let creator = self.stack(|s| &s.create);
                let g = self.create(creator)?;
                self.runq.push(g);
            }
            45..=69 => {
                // A channel operation or unlock that wakes a parked goroutine.
                let g = {
                    let mut q = self.world.queues();
                    if q.parked.is_empty() {
                        None
                    } else {
                        let i = self.rng.below(q.parked.len() as u64) as usize;
                        Some(q.parked.swap_remove(i))
                    }
                };
                if let Some(g) = g {
                    let t = self.tick(6);
                    let stack = self.stack(|s| &s.send);
                    let h = self.p.go_unblock(t, g.h, stack);
                    self.runq.push(G { h, task: g.task });
                }
            }
            70..=81 => {
                let t = self.tick(6);
                let stack = self.stack(|s| &s.syscall);
                self.p.go_syscall(t, stack)?;
            }
            82 | 83 => self.annotate(task)?,
            85..=87 if self.world.gc_running.load(Ordering::Relaxed) => {
                let t = self.tick(4);
                let stack = self.stack(|s| &s.gc);
                self.p.gc_mark_assist_start(t, stack)?;
                let t = self.tick(8);
                self.p.gc_mark_assist_done(t)?;
            }
            97 | 98 if self.rng.chance(10) => {
                let t = self.tick(6);
                let stack = self.stack(|s| &s.user);
                let g = self.p.running();
                self.tracer.cpu_sample(t, self.p.id(), g, stack);
            }
            _ => {}
        }
        Ok(())
    }

    /// User annotations: tasks, regions (nested), logs.
    fn annotate(&mut self, task: &mut Option<Task>) -> Result<(), Error> {
        let names = self.world.names;
        let stack = self.stack(|s| &s.user);
        let id = match task {
            Some(t) => t.id(),
            None => {
                let t = self.tick(4);
                let name = self.rng.pick(&names.tasks);
                let created = self.p.task_create(t, TaskId::BACKGROUND, name, stack);
                let id = created.id();
                *task = Some(created);
                id
            }
        };
        let t = self.tick(4);
        let outer = self.p.region_start(t, id, self.rng.pick(&names.regions), stack)?;
        if self.rng.chance(40) {
            let t = self.tick(6);
            let inner = self.p.region_start(t, id, self.rng.pick(&names.regions), stack)?;
            let t = self.tick(6);
            let message =
                ["GET /index.html", "200", "retrying after timeout", "ok"][self.rng.below(4) as usize];
            self.p.log(t, id, self.rng.pick(&names.keys), message, stack);
            let t = self.tick(6);
            self.p.region_end(t, inner, stack).map_err(|r| r.error)?;
        }
        let t = self.tick(8);
        self.p.region_end(t, outer, stack).map_err(|r| r.error)?;
        if self.rng.chance(30) {
            if let Some(done) = task.take() {
                let t = self.tick(4);
                self.p.task_end(t, done, stack);
            }
        }
        Ok(())
    }

    /// How the running goroutine leaves the P.
    fn leave(&mut self, mut task: Option<Task>) -> Result<(), Error> {
        let roll = self.rng.below(100);
        let t = self.tick(10);
        let gc = self.world.gc_running.load(Ordering::Relaxed);
        match roll {
            0..=37 => {
                // Yielded goroutines go to the global queue now and then, and so to other Ps.
                let stack = self.stack(|s| &s.sched);
                let h = self.p.go_sched(t, stack)?;
                if self.rng.chance(25) {
                    self.world.queues().runq.push_back(G { h, task });
                } else {
                    self.runq.insert(0, G { h, task });
                }
            }
            38..=40 => {
                let stack = self.stack(|s| &s.user);
                let h = self.p.go_preempt(t, stack)?;
                self.world.queues().runq.push_back(G { h, task });
            }
            41..=62 => {
                let (reason, stack) = match self.rng.below(12) {
                    0..=3 => (BlockReason::Send, self.stack(|s| &s.send)),
                    4..=7 => (BlockReason::Recv, self.stack(|s| &s.recv)),
                    8 => (BlockReason::Select, self.stack(|s| &s.select)),
                    9 => (BlockReason::Sync, self.stack(|s| &s.sync)),
                    10 => (BlockReason::Cond, self.stack(|s| &s.cond)),
                    _ if gc => (BlockReason::Gc, self.stack(|s| &s.gc)),
                    _ => (BlockReason::Other, self.stack(|s| &s.other)),
                };
                let h = self.p.go_block(t, reason, stack)?;
                self.world.queues().parked.push(G { h, task });
            }
            63..=68 => {
                let stack = self.stack(|s| &s.sleep);
                let h = self.p.go_sleep(t, stack)?;
                let wake = t + self.rng.ticks(16);
                self.world.queues().sleeping.push((wake, G { h, task }));
            }
            69..=71 => {
                let stack = self.stack(|s| &s.syscall);
                self.p.go_syscall(t, stack)?;
                let t = self.tick(6);
                let h = self.p.go_sys_block(t)?;
                let done = t + self.rng.ticks(16);
                self.world.queues().syscalls.push((done, G { h, task }));
            }
            72..=75 => {
                let stack = self.stack(|s| &s.net);
                let h = self.p.go_block(t, BlockReason::Net, stack)?;
                self.world.queues().netwait.push(G { h, task });
            }
            _ if self.world.live.load(Ordering::Relaxed) > 1 => {
                if let Some(done) = task.take() {
                    let stack = self.stack(|s| &s.user);
                    self.p.task_end(t, done, stack);
                }
                let t = self.tick(4);
                self.p.go_end(t)?;
                self.world.live.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {
                let stack = self.stack(|s| &s.sched);
                let h = self.p.go_sched(t, stack)?;
                self.runq.push(G { h, task });
            }
        }
        Ok(())
    }
}

/// Takes one entry whose tick is due (or, now and then, the earliest one: time moves on).
pub(crate) fn take_due<T>(list: &mut Vec<(u64, T)>, now: u64, rng: &mut Rng) -> Option<(u64, T)> {
    if list.is_empty() {
        return None;
    }
    let i = if rng.chance(10) {
        (0..list.len()).min_by_key(|&i| list[i].0)?
    } else {
        list.iter().position(|(due, _)| *due <= now)?
    };
    Some(list.swap_remove(i))
}
