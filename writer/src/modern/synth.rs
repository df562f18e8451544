//! The synthetic workload of [`crate::synth`], written as a modern trace through the modern
//! [`Tracer`]: goroutines created and scheduled across Ps, blocking on channels, mutexes,
//! condition variables, `select`, the network and sleeps, coroutine switches, syscalls that
//! return fast and syscalls that block and lose their P to a steal, GC cycles with
//! stop-the-world phases, mark workers, assists and sweeps, heap figures, user tasks, regions
//! and logs, CPU samples, and several generations.
//!
//! One producer thread per M runs at once: there is one M more than Ps, so that a thread can
//! sit in a syscall while the others run every P. Ps move between threads (idle Ps are shared,
//! a P left in a syscall is taken back or stolen), goroutines move between Ps. The seed fixes
//! each thread's choices; thread scheduling decides the rest, so two runs give traces of the
//! same shape, not the same bytes.
//!
//! ```
//! use gotrace_writer::modern::synth::{run, SynthOptions};
//! let options = SynthOptions { procs: 2, goroutines: 20, events: 5_000, ..SynthOptions::default() };
//! let (trace, stats) = run(Vec::new(), &options)?;
//! assert!(stats.events() >= 5_000);
//! assert_eq!(&trace[..16], b"go 1.23 trace\0\0\0");
//! # Ok::<(), gotrace_writer::Error>(())
//! ```

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use gotrace_format::legacy::StwReason;
use gotrace_format::Version;

use super::{Proc, Runnable, Stats, SyscallProc, Thread, Tracer, TracerOptions, Waiting};
use crate::synth::{take_due, Rng, Stacks, FREQUENCY};
use crate::{BlockReason, Error, GcCycle, GcWorker, StackId, StringId, Task, TaskId};

/// What to generate.
///
/// ```
/// let o = gotrace_writer::modern::synth::SynthOptions::default();
/// assert_eq!((o.procs, o.version, o.seed), (4, gotrace_format::Version::Go1_23, 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthOptions {
    /// Ps (at least 1); the threads are one more.
    pub procs: u32,
    /// Goroutines alive at once, about (at least 1).
    pub goroutines: u32,
    /// Events to write, at least (the count written is a little over).
    pub events: u64,
    /// Go 1.23 or 1.26.
    pub version: Version,
    /// Seed of the random choices.
    pub seed: u64,
    /// A new generation about every this many bytes (`None`: one generation).
    pub generation_bytes: Option<u64>,
}

impl Default for SynthOptions {
    fn default() -> SynthOptions {
        SynthOptions {
            procs: 4,
            goroutines: 100,
            events: 100_000,
            version: Version::Go1_23,
            seed: 1,
            generation_bytes: Some(1 << 20),
        }
    }
}

/// A goroutine of the workload: its handle and the task it is in.
#[derive(Debug)]
struct G<H> {
    h: H,
    task: Option<Task>,
}

/// What the threads share, under one lock (never held while writing events).
#[derive(Debug, Default)]
struct Queues {
    runq: VecDeque<G<Runnable>>,
    parked: Vec<G<Waiting>>,
    sleeping: Vec<(u64, G<Waiting>)>,
    netwait: Vec<G<Waiting>>,
    idle: Vec<Proc>,
    /// Ps left behind by threads in blocking syscalls.
    retake: Vec<SyscallProc>,
    gc: Option<GcCycle>,
}

#[derive(Debug, Clone, Copy)]
struct Names {
    tasks: [StringId; 3],
    regions: [StringId; 4],
    keys: [StringId; 3],
}

#[derive(Debug)]
struct World<'s> {
    queues: Mutex<Queues>,
    live: AtomicU64,
    target: u64,
    /// Events written by all threads, counted per scheduling round.
    written: AtomicU64,
    budget: u64,
    gc_running: AtomicBool,
    gc_epoch: AtomicU64,
    stacks: &'s Stacks,
    names: Names,
}

impl World<'_> {
    fn queues(&self) -> MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Generates the workload into `out` and returns the sink and the tracer's figures.
/// Errors: the tracer's (a failing sink, an unsupported version).
pub fn run<W: Write + Send + 'static>(out: W, options: &SynthOptions) -> Result<(W, Stats), Error> {
    let procs = options.procs.max(1);
    let threads = procs + 1;
    let tracer = Tracer::new(
        out,
        TracerOptions::new(options.version)
            .threads(threads)
            .procs(procs)
            .frequency(FREQUENCY)
            .generation_bytes(options.generation_bytes),
    )?;
    let mut rng = Rng::new(options.seed);
    let stacks = Stacks::new(|frames| Ok(tracer.stack(frames)), &mut rng)?;
    let names = Names {
        tasks: ["request", "batch", "cleanup"].map(|n| tracer.string(n)),
        regions: ["decode", "lookup", "render", "flush"].map(|n| tracer.string(n)),
        keys: ["path", "status", "retry"].map(|n| tracer.string(n)),
    };

    // Trace start, on thread 0 with P 0: the main goroutine sets GOMAXPROCS, creates the
    // workers and the first goroutines, and blocks.
    let mut queues = Queues::default();
    let mut workers = Vec::new();
    let initial = u64::from(options.goroutines.max(1)).div_ceil(2);
    let mut now = 1_000_000;
    {
        let mut m0 = tracer.thread(0)?;
        m0.proc_start(now, tracer.proc(0)?).map_err(|r| r.error)?;
        let main = m0.go_create(now + 1, stacks.starts[0], StackId::NONE)?;
        m0.go_start(now + 2, main).map_err(|r| r.error)?;
        now += 3;
        m0.procs_change(now, procs, rng.pick(&stacks.user))?;
        for _ in 0..threads {
            now += 1;
            workers.push(Some(m0.go_create_blocked(now, stacks.worker, rng.pick(&stacks.create))?));
        }
        for i in 0..initial {
            now += 1;
            let start = rng.pick(&stacks.starts);
            let creator = rng.pick(&stacks.create);
            if i % 3 == 0 {
                queues.parked.push(G { h: m0.go_create_blocked(now, start, creator)?, task: None });
            } else {
                queues.runq.push_back(G { h: m0.go_create(now, start, creator)?, task: None });
            }
        }
        now += 1;
        let main = m0.go_block(now, BlockReason::Recv, rng.pick(&stacks.recv))?;
        queues.parked.push(G { h: main, task: None });
        queues.idle.push(m0.proc_stop(now + 1)?);
        now = m0.last_tick() + 1;
    }
    for p in 1..procs {
        queues.idle.push(tracer.proc(p)?);
    }

    let world = World {
        queues: Mutex::new(queues),
        live: AtomicU64::new(initial + 1),
        target: u64::from(options.goroutines.max(1)),
        written: AtomicU64::new(0),
        budget: options.events,
        gc_running: AtomicBool::new(false),
        gc_epoch: AtomicU64::new(0),
        stacks: &stacks,
        names,
    };
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = workers
            .into_iter()
            .enumerate()
            .map(|(i, worker)| {
                let m = tracer.thread(i as u32);
                let (world, tracer) = (&world, &tracer);
                let seed = options.seed.wrapping_mul(0x100_0000_01b3).wrapping_add(i as u64 + 1);
                s.spawn(move || {
                    let mut sched = Sched {
                        m: m?,
                        tracer,
                        world,
                        rng: Rng::new(seed),
                        now,
                        runq: Vec::new(),
                        worker,
                        gc_seen: 0,
                        syscall: None,
                        counted: 0,
                    };
                    sched.run()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    results.into_iter().collect::<Result<(), Error>>()?;
    let stats = tracer.stats();
    Ok((tracer.finish()?, stats))
}

/// A goroutine in a blocking syscall on this thread: its task and when the syscall returns.
#[derive(Debug)]
struct InSyscall {
    task: Option<Task>,
    until: u64,
}

/// One thread's scheduler loop.
struct Sched<'t, 'w, W: Write + Send + 'static> {
    m: Thread<'t>,
    tracer: &'t Tracer<W>,
    world: &'w World<'w>,
    rng: Rng,
    now: u64,
    runq: Vec<G<Runnable>>,
    worker: Option<Waiting>,
    gc_seen: u64,
    syscall: Option<InSyscall>,
    /// Events of this thread already added to the world's count.
    counted: u64,
}

impl<W: Write + Send + 'static> Sched<'_, '_, W> {
    fn tick(&mut self, k: u32) -> u64 {
        self.now = self.now.max(self.m.last_tick()) + self.rng.ticks(k);
        self.now
    }

    fn stack(&mut self, pick: fn(&Stacks) -> &Vec<StackId>) -> StackId {
        let stacks = pick(self.world.stacks);
        self.rng.pick(stacks)
    }

    /// Adds this thread's new events to the world's count; true while under budget.
    fn more(&mut self) -> bool {
        let events = self.m.events();
        let delta = events - self.counted;
        self.counted = events;
        self.world.written.fetch_add(delta, Ordering::Relaxed) + delta < self.world.budget
    }

    fn run(&mut self) -> Result<(), Error> {
        while self.more() {
            if self.syscall.is_some() {
                self.sit_in_syscall(false)?;
            } else if self.m.proc_id().is_some() {
                self.housekeeping()?;
                match self.next_runnable()? {
                    Some(g) => self.run_goroutine(g)?,
                    None => self.idle()?,
                }
            } else {
                self.find_proc()?;
            }
        }
        if self.syscall.is_some() {
            self.sit_in_syscall(true)?;
        }
        let mut q = self.world.queues();
        q.runq.extend(self.runq.drain(..));
        Ok(())
    }

    /// A thread without a P: an idle P, else one left in a syscall (a steal), else wait.
    fn find_proc(&mut self) -> Result<(), Error> {
        let (idle, stolen) = {
            let mut q = self.world.queues();
            let idle = q.idle.pop();
            let stolen = if idle.is_none() { q.retake.pop() } else { None };
            (idle, stolen)
        };
        let p = match (idle, stolen) {
            (Some(p), _) => p,
            (None, Some(sp)) => {
                let t = self.tick(4);
                self.m.proc_steal(t, sp)
            }
            (None, None) => {
                self.m.safe_point();
                std::thread::yield_now();
                return Ok(());
            }
        };
        let t = self.tick(6);
        self.m.proc_start(t, p).map_err(|r| r.error)?;
        Ok(())
    }

    /// A thread whose goroutine is in a blocking syscall: when it returns, the thread takes
    /// its P back if nobody stole it, else the goroutine is runnable and the thread looks for a
    /// P. `now`: return at once.
    fn sit_in_syscall(&mut self, now: bool) -> Result<(), Error> {
        let until = self.syscall.as_ref().map_or(0, |s| s.until);
        if !now && self.now < until && !self.rng.chance(5) {
            self.now += self.rng.ticks(8);
            self.m.safe_point();
            std::thread::yield_now();
            return Ok(());
        }
        let Some(call) = self.syscall.take() else { return Ok(()) };
        let me = self.m.id();
        let own = {
            let mut q = self.world.queues();
            q.retake.iter().position(|sp| sp.thread() == me).map(|i| q.retake.swap_remove(i))
        };
        let t = self.tick(6);
        match own {
            Some(sp) => {
                self.m.go_syscall_retake(t, sp).map_err(|r| r.error)?;
                self.after_syscall(call.task)
            }
            None => {
                let h = self.m.go_syscall_end_blocked(t)?;
                self.world.queues().runq.push_back(G { h, task: call.task });
                Ok(())
            }
        }
    }

    /// The goroutine back from a syscall with its P goes on and leaves as usual.
    fn after_syscall(&mut self, task: Option<Task>) -> Result<(), Error> {
        let mut task = task;
        self.action(&mut task)?;
        self.leave(task)
    }

    fn housekeeping(&mut self) -> Result<(), Error> {
        let now = self.tick(6);
        let epoch = self.world.gc_epoch.load(Ordering::Relaxed);
        if epoch != self.gc_seen || self.rng.chance(10) {
            self.gc_seen = epoch;
            let t = self.tick(6);
            self.m.gc_sweep_begin(t, StackId::NONE)?;
            let t = self.tick(8);
            let swept = 8192 * (1 + self.rng.below(64));
            self.m.gc_sweep_end(t, swept, swept / (1 + self.rng.below(4)))?;
        }
        if self.world.gc_running.load(Ordering::Relaxed) && self.rng.chance(20) {
            if let Some(w) = self.worker.take() {
                let t = self.tick(4);
                let w = self.m.go_unblock(t, w, StackId::NONE);
                let mode = self.rng.pick(&[GcWorker::Dedicated, GcWorker::Fractional, GcWorker::Idle]);
                let t = self.tick(4);
                self.m.go_start_label(t, w, mode).map_err(|r| r.error)?;
                let t = self.tick(12);
                let heap = self.heap();
                self.m.heap_alloc(t, heap)?;
                let t = self.tick(10);
                self.worker = Some(self.m.go_block(t, BlockReason::Other, StackId::NONE)?);
            }
        }
        // Timers.
        let woken = take_due(&mut self.world.queues().sleeping, now, &mut self.rng);
        if let Some((_, g)) = woken {
            let t = self.tick(4);
            let h = self.m.go_unblock(t, g.h, StackId::NONE);
            self.runq.push(G { h, task: g.task });
        }
        // The network poller.
        if self.rng.chance(6) {
            let ready = self.world.queues().netwait.pop();
            if let Some(g) = ready {
                let t = self.tick(4);
                let h = self.m.go_unblock(t, g.h, StackId::NONE);
                self.runq.push(G { h, task: g.task });
            }
        }
        // Sysmon: take a P from a thread in a syscall, for an idle thread to run.
        if self.rng.chance(20) {
            let me = self.m.id();
            let sp = {
                let mut q = self.world.queues();
                q.retake.iter().position(|sp| sp.thread() != me).map(|i| q.retake.swap_remove(i))
            };
            if let Some(sp) = sp {
                let t = self.tick(4);
                let p = self.m.proc_steal(t, sp);
                self.world.queues().idle.push(p);
            }
        }
        Ok(())
    }

    fn heap(&mut self) -> u64 {
        (4 << 20) + self.rng.below(60 << 20)
    }

    /// GC cycles, begun and ended by running goroutines of thread 0.
    fn drive_gc(&mut self) -> Result<(), Error> {
        if self.m.id() != 0 {
            return Ok(());
        }
        let running = self.world.queues().gc.take();
        match running {
            None if self.rng.chance(2) => {
                let t = self.tick(4);
                let stack = self.stack(|s| &s.gc);
                let cycle = self.m.gc_begin(t, stack)?;
                let t = self.tick(4);
                let stw = self.m.stw_begin(t, StwReason::GcSweepTermination, stack)?;
                let t = self.tick(8);
                self.m.stw_end(t, stw).map_err(|r| r.error)?;
                let t = self.tick(4);
                let heap = self.heap();
                self.m.heap_alloc(t, heap)?;
                self.world.queues().gc = Some(cycle);
                self.world.gc_running.store(true, Ordering::Relaxed);
            }
            Some(cycle) if self.rng.chance(5) => {
                self.world.gc_running.store(false, Ordering::Relaxed);
                let t = self.tick(4);
                let stack = self.stack(|s| &s.gc);
                let stw = self.m.stw_begin(t, StwReason::GcMarkTermination, stack)?;
                let t = self.tick(8);
                self.m.stw_end(t, stw).map_err(|r| r.error)?;
                let t = self.tick(4);
                self.m.gc_end(t, cycle).map_err(|r| r.error)?;
                let t = self.tick(4);
                let goal = self.heap() * 2;
                self.m.heap_goal(t, goal)?;
                self.world.gc_epoch.fetch_add(1, Ordering::Relaxed);
            }
            other => self.world.queues().gc = other,
        }
        Ok(())
    }

    fn next_runnable(&mut self) -> Result<Option<G<Runnable>>, Error> {
        if let Some(g) = self.runq.pop() {
            return Ok(Some(g));
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
            let h = self.m.go_unblock(t, g.h, StackId::NONE);
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
        let h = self.m.go_create(t, start, creator)?;
        self.world.live.fetch_add(1, Ordering::Relaxed);
        Ok(G { h, task: None })
    }

    /// Nothing to run: the P goes idle, and the thread looks for one again.
    fn idle(&mut self) -> Result<(), Error> {
        let t = self.tick(8);
        let p = self.m.proc_stop(t)?;
        self.world.queues().idle.push(p);
        Ok(())
    }

    fn run_goroutine(&mut self, g: G<Runnable>) -> Result<(), Error> {
        let t = self.tick(6);
        self.m.go_start(t, g.h).map_err(|r| r.error)?;
        let mut task = g.task;
        for _ in 0..1 + self.rng.below(4) {
            self.action(&mut task)?;
        }
        self.leave(task)
    }

    /// Something a running goroutine does that does not take it off its thread.
    fn action(&mut self, task: &mut Option<Task>) -> Result<(), Error> {
        match self.rng.below(100) {
            0..=27 => {
                let t = self.tick(8);
                let heap = self.heap();
                self.m.heap_alloc(t, heap)?;
            }
            28..=41 if self.world.live.load(Ordering::Relaxed) < self.world.target => {
                let creator = self.stack(|s| &s.create);
                let g = self.create(creator)?;
                self.runq.push(g);
            }
            42..=65 => {
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
                    let h = self.m.go_unblock(t, g.h, stack);
                    self.runq.push(G { h, task: g.task });
                }
            }
            66..=77 => {
                // A syscall that returns at once.
                let t = self.tick(6);
                let stack = self.stack(|s| &s.syscall);
                self.m.go_syscall_begin(t, stack)?;
                let t = self.tick(6);
                self.m.go_syscall_end(t)?;
            }
            78 | 79 => self.annotate(task)?,
            80..=82 => self.drive_gc()?,
            83..=85 if self.world.gc_running.load(Ordering::Relaxed) => {
                let t = self.tick(4);
                let stack = self.stack(|s| &s.gc);
                self.m.gc_mark_assist_begin(t, stack)?;
                let t = self.tick(8);
                self.m.gc_mark_assist_end(t)?;
            }
            86 => {
                // A coroutine switch: a parked goroutine runs in this one's place.
                let other = self.world.queues().parked.pop();
                if let Some(g) = other {
                    let t = self.tick(6);
                    let prev_task = std::mem::replace(task, g.task);
                    if self.rng.chance(20) && self.world.live.load(Ordering::Relaxed) > 1 {
                        // The coroutine's caller returns: it ends as the other runs.
                        self.m.go_switch_destroy(t, g.h).map_err(|r| r.error)?;
                        self.world.live.fetch_sub(1, Ordering::Relaxed);
                    } else {
                        let prev = self.m.go_switch(t, g.h).map_err(|r| r.error)?;
                        self.world.queues().parked.push(G { h: prev, task: prev_task });
                    }
                }
            }
            97 | 98 if self.rng.chance(20) => {
                let t = self.tick(6);
                let stack = self.stack(|s| &s.user);
                let g = self.m.running();
                self.tracer.cpu_sample(t, self.m.id() as u32, self.m.proc_id(), g, stack);
            }
            _ => {}
        }
        Ok(())
    }

    fn annotate(&mut self, task: &mut Option<Task>) -> Result<(), Error> {
        let names = self.world.names;
        let stack = self.stack(|s| &s.user);
        let id = match task {
            Some(t) => t.id(),
            None => {
                let t = self.tick(4);
                let name = self.rng.pick(&names.tasks);
                let created = self.m.task_begin(t, TaskId::BACKGROUND, name, stack)?;
                let id = created.id();
                *task = Some(created);
                id
            }
        };
        let t = self.tick(4);
        let outer = self.m.region_begin(t, id, self.rng.pick(&names.regions), stack)?;
        if self.rng.chance(40) {
            let t = self.tick(6);
            let inner = self.m.region_begin(t, id, self.rng.pick(&names.regions), stack)?;
            let t = self.tick(6);
            let message =
                ["GET /index.html", "200", "retrying after timeout", "ok"][self.rng.below(4) as usize];
            self.m.log(t, id, self.rng.pick(&names.keys), message, stack)?;
            let t = self.tick(6);
            self.m.region_end(t, inner, stack).map_err(|r| r.error)?;
        }
        let t = self.tick(8);
        self.m.region_end(t, outer, stack).map_err(|r| r.error)?;
        if self.rng.chance(30) {
            if let Some(done) = task.take() {
                let t = self.tick(4);
                self.m.task_end(t, done, stack).map_err(|r| r.error)?;
            }
        }
        Ok(())
    }

    /// How the running goroutine leaves its thread.
    fn leave(&mut self, mut task: Option<Task>) -> Result<(), Error> {
        let roll = self.rng.below(100);
        let t = self.tick(10);
        let gc = self.world.gc_running.load(Ordering::Relaxed);
        match roll {
            0..=37 => {
                let stack = self.stack(|s| &s.sched);
                let h = self.m.go_sched(t, stack)?;
                if self.rng.chance(25) {
                    self.world.queues().runq.push_back(G { h, task });
                } else {
                    self.runq.insert(0, G { h, task });
                }
            }
            38..=40 => {
                let stack = self.stack(|s| &s.user);
                let h = self.m.go_preempt(t, stack)?;
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
                let h = self.m.go_block(t, reason, stack)?;
                self.world.queues().parked.push(G { h, task });
            }
            63..=68 => {
                let stack = self.stack(|s| &s.sleep);
                let h = self.m.go_sleep(t, stack)?;
                let wake = t + self.rng.ticks(16);
                self.world.queues().sleeping.push((wake, G { h, task }));
            }
            69..=72 => {
                // A blocking syscall: the P is left for a steal, the thread sits in it.
                let stack = self.stack(|s| &s.syscall);
                self.m.go_syscall_begin(t, stack)?;
                let p = self.m.go_syscall_release()?;
                self.world.queues().retake.push(p);
                let until = t + self.rng.ticks(14);
                self.syscall = Some(InSyscall { task, until });
            }
            73..=76 => {
                let stack = self.stack(|s| &s.net);
                let h = self.m.go_block(t, BlockReason::Net, stack)?;
                self.world.queues().netwait.push(G { h, task });
            }
            _ if self.world.live.load(Ordering::Relaxed) > 1 => {
                if let Some(done) = task.take() {
                    let stack = self.stack(|s| &s.user);
                    self.m.task_end(t, done, stack).map_err(|r| r.error)?;
                }
                let t = self.tick(4);
                self.m.go_destroy(t)?;
                self.world.live.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {
                let stack = self.stack(|s| &s.sched);
                let h = self.m.go_sched(t, stack)?;
                self.runq.push(G { h, task });
            }
        }
        Ok(())
    }
}
