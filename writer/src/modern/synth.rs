//! The synthetic workload of [`crate::synth`] (the same workload code), written as a modern
//! trace through the modern [`Tracer`]: goroutines created and scheduled across Ps, blocking
//! on channels, mutexes, condition variables, `select`, the network and sleeps, coroutine
//! switches, syscalls that return fast and syscalls that block and lose their P to a steal,
//! cgo callbacks on threads without a P (goroutines created in a syscall, and destroyed in
//! one), GC cycles with stop-the-world phases, mark workers, assists and sweeps, heap figures,
//! user tasks, regions and logs, CPU samples, and several generations.
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

use std::io::Write;

use gotrace_format::legacy::StwReason;
use gotrace_format::Version;

use super::{Proc, Stats, SyscallProc, Thread, Tracer, TracerOptions};
use crate::synth::workload::{drive, same_operations, Names, Producer, Queues, Sched, World, G};
use crate::synth::{Rng, Stacks, FREQUENCY};
use crate::{
    BlockReason, Error, GcCycle, GcWorker, Region, Runnable, StackId, StringId, Stw, Task, TaskId, Waiting,
};

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

/// Generates the workload into `out` and returns the sink and the tracer's figures: one
/// producer thread per M, one M more than Ps. Errors: the tracer's (a failing sink, an
/// unsupported version).
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
    let names = Names::new(|n| tracer.string(n));

    // Trace start, on thread 0 with P 0: the main goroutine sets GOMAXPROCS, creates the
    // workers and the first goroutines, and blocks.
    let mut queues: Queues<Shared> = Queues::default();
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
        queues.own.idle.push(m0.proc_stop(now + 1)?);
        now = m0.last_tick() + 1;
    }
    for p in 1..procs {
        queues.own.idle.push(tracer.proc(p)?);
    }

    let target = u64::from(options.goroutines.max(1));
    let world = World::new(queues, initial + 1, target, options.events, &stacks, names);
    let producers = workers
        .into_iter()
        .enumerate()
        .map(|(i, worker)| Ok((M { m: tracer.thread(i as u32)?, tracer: &tracer, syscall: None }, worker)))
        .collect::<Result<Vec<_>, Error>>()?;
    drive(&world, producers, options.seed, now)?;
    tracer.finish_with_stats()
}

/// What the modern producers share: idle Ps, and Ps left behind by threads in blocking
/// syscalls.
#[derive(Debug, Default)]
struct Shared {
    idle: Vec<Proc>,
    retake: Vec<SyscallProc>,
}

/// A goroutine in a blocking syscall on this thread: its task and when the syscall returns.
#[derive(Debug)]
struct Blocked {
    task: Option<Task>,
    until: u64,
}

/// A producer: a thread (M), which holds a P or not, and the tracer it writes to.
struct M<'t, W: Write + Send + 'static> {
    m: Thread<'t>,
    tracer: &'t Tracer<W>,
    syscall: Option<Blocked>,
}

impl<W: Write + Send + 'static> M<'_, W> {
    /// The thread sits in its goroutine's blocking syscall: when it returns, the thread takes
    /// its P back if nobody stole it, else the goroutine is runnable and the thread looks for a
    /// P. `now`: return at once.
    fn sit_in_syscall(s: &mut Sched<'_, Self>, now: bool) -> Result<(), Error> {
        let until = s.p.syscall.as_ref().map_or(0, |c| c.until);
        if !now && s.now < until && !s.rng.chance(5) {
            s.now += s.rng.ticks(8);
            s.p.m.safe_point();
            std::thread::yield_now();
            return Ok(());
        }
        let Some(call) = s.p.syscall.take() else { return Ok(()) };
        let me = s.p.m.id();
        let own = {
            let mut q = s.world.queues();
            let retake = &mut q.own.retake;
            retake.iter().position(|sp| sp.thread() == me).map(|i| retake.swap_remove(i))
        };
        let t = s.tick(6);
        match own {
            Some(sp) => {
                s.p.m.go_syscall_retake(t, sp).map_err(|r| r.error)?;
                s.resume(call.task)
            }
            None => {
                let h = s.p.m.go_syscall_end_blocked(t)?;
                s.world.queues().runq.push_back(G { h, task: call.task });
                Ok(())
            }
        }
    }

    /// A cgo callback on a thread without a P: C calls Go, and the callback's goroutine, born in
    /// a syscall, waits for a P (it is runnable) or returns to C at once.
    fn callback(s: &mut Sched<'_, Self>) -> Result<(), Error> {
        let t = s.tick(4);
        s.p.m.go_create_syscall(t)?;
        let t = s.tick(6);
        if s.rng.chance(50) {
            let h = s.p.m.go_syscall_end_blocked(t)?;
            s.world.live.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            s.world.queues().runq.push_back(G { h, task: None });
        } else {
            s.p.m.go_destroy_syscall(t)?;
        }
        Ok(())
    }

    /// A thread without a P: an idle P, else one left in a syscall (a steal), else wait.
    /// Now and then, a cgo callback first.
    fn find_proc(s: &mut Sched<'_, Self>) -> Result<(), Error> {
        if s.rng.chance(5) {
            return M::callback(s);
        }
        let (idle, stolen) = {
            let mut q = s.world.queues();
            let idle = q.own.idle.pop();
            let stolen = if idle.is_none() { q.own.retake.pop() } else { None };
            (idle, stolen)
        };
        let p = match (idle, stolen) {
            (Some(p), _) => p,
            (None, Some(sp)) => {
                let t = s.tick(4);
                s.p.m.proc_steal(t, sp)
            }
            (None, None) => {
                s.p.m.safe_point();
                std::thread::yield_now();
                return Ok(());
            }
        };
        let t = s.tick(6);
        s.p.m.proc_start(t, p).map_err(|r| r.error)?;
        Ok(())
    }
}

impl<W: Write + Send + 'static> Producer for M<'_, W> {
    type Shared = Shared;

    same_operations!(m);

    fn index(&self) -> u32 {
        self.m.id() as u32
    }

    fn go_end(&mut self, ts: u64) -> Result<(), Error> {
        Ok(self.m.go_destroy(ts)?)
    }

    /// This thread writes it: a modern `GoUnblock` needs no P.
    fn poller_unblock(&mut self, ts: u64, g: Waiting) -> Runnable {
        self.m.go_unblock(ts, g, StackId::NONE)
    }

    fn gc_sweep_begin(&mut self, ts: u64, stack: StackId) -> Result<(), Error> {
        Ok(self.m.gc_sweep_begin(ts, stack)?)
    }

    fn gc_sweep_end(&mut self, ts: u64, swept: u64, reclaimed: u64) -> Result<(), Error> {
        Ok(self.m.gc_sweep_end(ts, swept, reclaimed)?)
    }

    fn gc_mark_assist_begin(&mut self, ts: u64, stack: StackId) -> Result<(), Error> {
        Ok(self.m.gc_mark_assist_begin(ts, stack)?)
    }

    fn gc_mark_assist_end(&mut self, ts: u64) -> Result<(), Error> {
        Ok(self.m.gc_mark_assist_end(ts)?)
    }

    fn gc_begin(&mut self, ts: u64, stack: StackId) -> Result<GcCycle, Error> {
        Ok(self.m.gc_begin(ts, stack)?)
    }

    fn gc_end(&mut self, ts: u64, cycle: GcCycle) -> Result<(), Error> {
        self.m.gc_end(ts, cycle).map_err(|r| r.error.into())
    }

    fn stw_begin(&mut self, ts: u64, reason: StwReason, stack: StackId) -> Result<Stw, Error> {
        Ok(self.m.stw_begin(ts, reason, stack)?)
    }

    fn stw_end(&mut self, ts: u64, stw: Stw) -> Result<(), Error> {
        self.m.stw_end(ts, stw).map_err(|r| r.error.into())
    }

    fn heap_alloc(&mut self, ts: u64, bytes: u64) -> Result<(), Error> {
        Ok(self.m.heap_alloc(ts, bytes)?)
    }

    fn heap_goal(&mut self, ts: u64, bytes: u64) -> Result<(), Error> {
        Ok(self.m.heap_goal(ts, bytes)?)
    }

    fn task_begin(&mut self, ts: u64, parent: TaskId, name: StringId, stack: StackId) -> Result<Task, Error> {
        Ok(self.m.task_begin(ts, parent, name, stack)?)
    }

    fn task_end(&mut self, ts: u64, task: Task, stack: StackId) -> Result<(), Error> {
        self.m.task_end(ts, task, stack).map_err(|r| r.error.into())
    }

    fn region_begin(&mut self, ts: u64, task: TaskId, name: StringId, at: StackId) -> Result<Region, Error> {
        Ok(self.m.region_begin(ts, task, name, at)?)
    }

    fn log(&mut self, ts: u64, task: TaskId, key: StringId, text: &str, at: StackId) -> Result<(), Error> {
        Ok(self.m.log(ts, task, key, text, at)?)
    }

    fn cpu_sample(&mut self, ts: u64, stack: StackId) {
        self.tracer.cpu_sample(ts, self.m.id() as u32, self.m.proc_id(), self.m.running(), stack);
    }

    fn begin(_: &mut Sched<'_, Self>) -> Result<(), Error> {
        Ok(())
    }

    /// A thread in a syscall sits in it; one without a P looks for one.
    fn schedule(s: &mut Sched<'_, Self>) -> Result<bool, Error> {
        if s.p.syscall.is_some() {
            M::sit_in_syscall(s, false)?;
            Ok(false)
        } else if s.p.m.proc_id().is_none() {
            M::find_proc(s)?;
            Ok(false)
        } else {
            Ok(true)
        }
    }

    /// Sysmon: take a P from a thread in a syscall, for an idle thread to run.
    fn syscalls(s: &mut Sched<'_, Self>, _now: u64) -> Result<(), Error> {
        if s.rng.chance(20) {
            let me = s.p.m.id();
            let sp = {
                let mut q = s.world.queues();
                let retake = &mut q.own.retake;
                retake.iter().position(|sp| sp.thread() != me).map(|i| retake.swap_remove(i))
            };
            if let Some(sp) = sp {
                let t = s.tick(4);
                let p = s.p.m.proc_steal(t, sp);
                s.world.queues().own.idle.push(p);
            }
        }
        Ok(())
    }

    /// The P goes idle, and the thread looks for one again.
    fn idle(s: &mut Sched<'_, Self>) -> Result<(), Error> {
        let t = s.tick(8);
        let p = s.p.m.proc_stop(t)?;
        s.world.queues().own.idle.push(p);
        Ok(())
    }

    fn syscall(s: &mut Sched<'_, Self>, stack: StackId) -> Result<(), Error> {
        let t = s.tick(6);
        s.p.m.go_syscall_begin(t, stack)?;
        let t = s.tick(6);
        Ok(s.p.m.go_syscall_end(t)?)
    }

    /// The P is left for a steal, the thread sits in the syscall.
    fn block_in_syscall(s: &mut Sched<'_, Self>, ts: u64, task: Option<Task>) -> Result<(), Error> {
        let stack = s.stack(|s| &s.syscall);
        s.p.m.go_syscall_begin(ts, stack)?;
        let p = s.p.m.go_syscall_release()?;
        s.world.queues().own.retake.push(p);
        let until = ts + s.rng.ticks(14);
        s.p.syscall = Some(Blocked { task, until });
        Ok(())
    }

    /// A coroutine switch: a parked goroutine runs in this one's place (and now and then this
    /// one ends as the other runs: the coroutine's caller returns).
    fn switch(s: &mut Sched<'_, Self>, task: &mut Option<Task>) -> Result<(), Error> {
        let other = s.world.queues().parked.pop();
        if let Some(g) = other {
            let t = s.tick(6);
            let prev_task = std::mem::replace(task, g.task);
            if s.rng.chance(20) && s.world.live.load(std::sync::atomic::Ordering::Relaxed) > 1 {
                s.p.m.go_switch_destroy(t, g.h).map_err(|r| r.error)?;
                s.world.live.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            } else {
                let prev = s.p.m.go_switch(t, g.h).map_err(|r| r.error)?;
                s.world.queues().parked.push(G { h: prev, task: prev_task });
            }
        }
        Ok(())
    }

    /// A thread still in a syscall returns from it.
    fn finish(s: &mut Sched<'_, Self>) -> Result<(), Error> {
        if s.p.syscall.is_some() {
            M::sit_in_syscall(s, true)?;
        }
        Ok(())
    }
}
