//! The workload itself, written once for both tracers: a scheduler loop per producer thread
//! over the operations of [`Producer`], which the legacy P handle and the modern thread handle
//! implement (`synth::legacy` and `modern::synth`). What their models do differently — how a
//! producer gets and gives up a P, what a blocking syscall leaves behind, coroutine switches —
//! is in the trait's scheduling hooks; everything else (what goroutines do, how they block and
//! wake, GC cycles, annotations, samples) is here.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use gotrace_format::legacy::StwReason;

use super::rng::Rng;
use super::stacks::Stacks;
use crate::{
    BlockReason, Error, GcCycle, GcWorker, Region, Runnable, StackId, StringId, Stw, Task, TaskId, Waiting,
};

/// A goroutine of the workload: its handle and the task it is in.
#[derive(Debug)]
pub(crate) struct G<H> {
    pub(crate) h: H,
    pub(crate) task: Option<Task>,
}

/// What the producers share, under one lock (never held while writing events).
#[derive(Debug)]
pub(crate) struct Queues<X> {
    /// The global run queue.
    pub(crate) runq: VecDeque<G<Runnable>>,
    /// Blocked on channels, mutexes, condition variables, `select`, other.
    pub(crate) parked: Vec<G<Waiting>>,
    /// Sleeping until a tick.
    pub(crate) sleeping: Vec<(u64, G<Waiting>)>,
    /// Waiting on the network.
    pub(crate) netwait: Vec<G<Waiting>>,
    /// The running GC cycle.
    pub(crate) gc: Option<GcCycle>,
    /// What the tracer's own model shares ([`Producer::Shared`]).
    pub(crate) own: X,
}

impl<X: Default> Default for Queues<X> {
    fn default() -> Queues<X> {
        Queues {
            runq: VecDeque::new(),
            parked: Vec::new(),
            sleeping: Vec::new(),
            netwait: Vec::new(),
            gc: None,
            own: X::default(),
        }
    }
}

/// The string ids of user annotations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Names {
    pub(crate) tasks: [StringId; 3],
    pub(crate) regions: [StringId; 4],
    pub(crate) keys: [StringId; 3],
}

impl Names {
    /// The names, interned by `string`.
    pub(crate) fn new(mut string: impl FnMut(&str) -> StringId) -> Names {
        Names {
            tasks: ["request", "batch", "cleanup"].map(&mut string),
            regions: ["decode", "lookup", "render", "flush"].map(&mut string),
            keys: ["path", "status", "retry"].map(&mut string),
        }
    }
}

/// What the producers share.
#[derive(Debug)]
pub(crate) struct World<'s, X> {
    queues: Mutex<Queues<X>>,
    pub(crate) live: AtomicU64,
    target: u64,
    /// Events written by all producers, counted per scheduling round.
    written: AtomicU64,
    budget: u64,
    gc_running: AtomicBool,
    /// GC cycles completed (each P sweeps after one).
    gc_epoch: AtomicU64,
    stacks: &'s Stacks,
    names: Names,
}

impl<'s, X> World<'s, X> {
    /// The world after the trace's start: `queues` hold the first goroutines, `live` are
    /// alive, about `target` should be; `budget` events are to be written.
    pub(crate) fn new(
        queues: Queues<X>,
        live: u64,
        target: u64,
        budget: u64,
        stacks: &'s Stacks,
        names: Names,
    ) -> World<'s, X> {
        World {
            queues: Mutex::new(queues),
            live: AtomicU64::new(live),
            target,
            written: AtomicU64::new(0),
            budget,
            gc_running: AtomicBool::new(false),
            gc_epoch: AtomicU64::new(0),
            stacks,
            names,
        }
    }

    pub(crate) fn queues(&self) -> MutexGuard<'_, Queues<X>> {
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The operations of a tracer's producer handle that the workload calls, and the hooks where
/// the two tracers' scheduling models differ. Operations that need a running goroutine are
/// only called with one running.
pub(crate) trait Producer: Sized {
    /// What the producers of this model share besides the common queues.
    type Shared: Default + Send;

    /// Which producer this is (producer 0 drives the GC).
    fn index(&self) -> u32;
    /// The tick of its last event.
    fn last_tick(&self) -> u64;
    /// Events it has written.
    fn events(&self) -> u64;

    /// A new goroutine (`start`: its start function), created at `stack`.
    fn go_create(&mut self, ts: u64, start: StackId, stack: StackId) -> Result<Runnable, Error>;
    /// Runs `g`.
    fn go_start(&mut self, ts: u64, g: Runnable) -> Result<(), Error>;
    /// Runs GC mark worker `g`.
    fn go_start_label(&mut self, ts: u64, g: Runnable, worker: GcWorker) -> Result<(), Error>;
    /// The running goroutine blocks.
    fn go_block(&mut self, ts: u64, reason: BlockReason, stack: StackId) -> Result<Waiting, Error>;
    /// The running goroutine sleeps.
    fn go_sleep(&mut self, ts: u64, stack: StackId) -> Result<Waiting, Error>;
    /// The running goroutine yields.
    fn go_sched(&mut self, ts: u64, stack: StackId) -> Result<Runnable, Error>;
    /// The running goroutine is preempted.
    fn go_preempt(&mut self, ts: u64, stack: StackId) -> Result<Runnable, Error>;
    /// The running goroutine ends.
    fn go_end(&mut self, ts: u64) -> Result<(), Error>;
    /// Makes `g` runnable.
    fn go_unblock(&mut self, ts: u64, g: Waiting, stack: StackId) -> Runnable;
    /// The network poller of a thread without a P makes `g` runnable.
    fn poller_unblock(&mut self, ts: u64, g: Waiting) -> Runnable;

    /// The P starts sweeping.
    fn gc_sweep_begin(&mut self, ts: u64, stack: StackId) -> Result<(), Error>;
    /// The P stops sweeping.
    fn gc_sweep_end(&mut self, ts: u64, swept: u64, reclaimed: u64) -> Result<(), Error>;
    /// The running goroutine starts a mark assist.
    fn gc_mark_assist_begin(&mut self, ts: u64, stack: StackId) -> Result<(), Error>;
    /// The mark assist ends.
    fn gc_mark_assist_end(&mut self, ts: u64) -> Result<(), Error>;
    /// A GC cycle begins.
    fn gc_begin(&mut self, ts: u64, stack: StackId) -> Result<GcCycle, Error>;
    /// The GC cycle ends.
    fn gc_end(&mut self, ts: u64, cycle: GcCycle) -> Result<(), Error>;
    /// The world stops.
    fn stw_begin(&mut self, ts: u64, reason: StwReason, stack: StackId) -> Result<Stw, Error>;
    /// The world restarts.
    fn stw_end(&mut self, ts: u64, stw: Stw) -> Result<(), Error>;
    /// Live heap bytes.
    fn heap_alloc(&mut self, ts: u64, bytes: u64) -> Result<(), Error>;
    /// The heap goal.
    fn heap_goal(&mut self, ts: u64, bytes: u64) -> Result<(), Error>;

    /// A user task begins.
    fn task_begin(&mut self, ts: u64, parent: TaskId, name: StringId, stack: StackId) -> Result<Task, Error>;
    /// The task ends.
    fn task_end(&mut self, ts: u64, task: Task, stack: StackId) -> Result<(), Error>;
    /// The running goroutine opens a region.
    fn region_begin(&mut self, ts: u64, task: TaskId, name: StringId, at: StackId) -> Result<Region, Error>;
    /// The running goroutine closes its innermost region.
    fn region_end(&mut self, ts: u64, region: Region, stack: StackId) -> Result<(), Error>;
    /// A user log message.
    fn log(&mut self, ts: u64, task: TaskId, key: StringId, text: &str, at: StackId) -> Result<(), Error>;
    /// A CPU profile sample of what runs here now.
    fn cpu_sample(&mut self, ts: u64, stack: StackId);

    /// Before the first round.
    fn begin(s: &mut Sched<'_, Self>) -> Result<(), Error>;
    /// At the start of each round: true if the producer holds a P and schedules goroutines
    /// this round (else the hook did what a producer without a P does).
    fn schedule(s: &mut Sched<'_, Self>) -> Result<bool, Error>;
    /// The scheduler's look at blocking syscalls, between goroutines.
    fn syscalls(s: &mut Sched<'_, Self>, now: u64) -> Result<(), Error>;
    /// Nothing to run: the P stops for a while.
    fn idle(s: &mut Sched<'_, Self>) -> Result<(), Error>;
    /// The running goroutine makes a syscall that returns at once.
    fn syscall(s: &mut Sched<'_, Self>, stack: StackId) -> Result<(), Error>;
    /// The running goroutine makes a syscall that blocks (its P is handed off), at `ts`.
    fn block_in_syscall(s: &mut Sched<'_, Self>, ts: u64, task: Option<Task>) -> Result<(), Error>;
    /// A coroutine switch of the running goroutine, where the format has one.
    fn switch(s: &mut Sched<'_, Self>, task: &mut Option<Task>) -> Result<(), Error>;
    /// After the last round.
    fn finish(s: &mut Sched<'_, Self>) -> Result<(), Error>;
}

/// The [`Producer`] operations whose names and signatures are the same on both tracers'
/// handles, forwarded to the handle in field `$h` (a refusal becomes its error).
macro_rules! same_operations {
    ($h:ident) => {
        fn last_tick(&self) -> u64 {
            self.$h.last_tick()
        }

        fn events(&self) -> u64 {
            self.$h.events()
        }

        fn go_create(&mut self, ts: u64, start: StackId, stack: StackId) -> Result<Runnable, Error> {
            Ok(self.$h.go_create(ts, start, stack)?)
        }

        fn go_start(&mut self, ts: u64, g: Runnable) -> Result<(), Error> {
            self.$h.go_start(ts, g).map_err(|r| r.error.into())
        }

        fn go_start_label(&mut self, ts: u64, g: Runnable, worker: GcWorker) -> Result<(), Error> {
            self.$h.go_start_label(ts, g, worker).map_err(|r| r.error.into())
        }

        fn go_block(&mut self, ts: u64, reason: BlockReason, stack: StackId) -> Result<Waiting, Error> {
            Ok(self.$h.go_block(ts, reason, stack)?)
        }

        fn go_sleep(&mut self, ts: u64, stack: StackId) -> Result<Waiting, Error> {
            Ok(self.$h.go_sleep(ts, stack)?)
        }

        fn go_sched(&mut self, ts: u64, stack: StackId) -> Result<Runnable, Error> {
            Ok(self.$h.go_sched(ts, stack)?)
        }

        fn go_preempt(&mut self, ts: u64, stack: StackId) -> Result<Runnable, Error> {
            Ok(self.$h.go_preempt(ts, stack)?)
        }

        fn go_unblock(&mut self, ts: u64, g: Waiting, stack: StackId) -> Runnable {
            self.$h.go_unblock(ts, g, stack)
        }

        fn region_end(&mut self, ts: u64, region: Region, stack: StackId) -> Result<(), Error> {
            self.$h.region_end(ts, region, stack).map_err(|r| r.error.into())
        }
    };
}
pub(crate) use same_operations;

/// Runs one scheduler loop per producer, each on a thread of its own, from tick `start`, each
/// producer with its GC mark worker; returns the first error.
pub(crate) fn drive<P: Producer + Send>(
    world: &World<'_, P::Shared>,
    producers: Vec<(P, Option<Waiting>)>,
    seed: u64,
    start: u64,
) -> Result<(), Error> {
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = producers
            .into_iter()
            .enumerate()
            .map(|(i, (p, worker))| {
                let seed = seed.wrapping_mul(0x100_0000_01b3).wrapping_add(i as u64 + 1);
                s.spawn(move || {
                    let mut sched = Sched {
                        p,
                        world,
                        rng: Rng::new(seed),
                        now: start,
                        runq: Vec::new(),
                        worker,
                        gc_seen: 0,
                        counted: 0,
                        gc_ended: 0,
                    };
                    sched.run()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    results.into_iter().collect()
}

/// One producer's scheduler loop.
pub(crate) struct Sched<'w, P: Producer> {
    pub(crate) p: P,
    pub(crate) world: &'w World<'w, P::Shared>,
    pub(crate) rng: Rng,
    pub(crate) now: u64,
    /// This producer's own run queue.
    pub(crate) runq: Vec<G<Runnable>>,
    /// Its GC mark worker, while parked.
    worker: Option<Waiting>,
    gc_seen: u64,
    /// Events of this producer already added to the world's count.
    counted: u64,
    /// GC cycles this producer ended (producer 0 drives them).
    gc_ended: u64,
}

impl<P: Producer> Sched<'_, P> {
    /// Advances the clock by a few ticks (at least past the producer's last event).
    pub(crate) fn tick(&mut self, k: u32) -> u64 {
        self.now = self.now.max(self.p.last_tick()) + self.rng.ticks(k);
        self.now
    }

    pub(crate) fn stack(&mut self, pick: fn(&Stacks) -> &Vec<StackId>) -> StackId {
        let stacks = pick(self.world.stacks);
        self.rng.pick(stacks)
    }

    /// Adds this producer's new events to the world's count; true while under budget, and for
    /// producer 0 until it ended a GC cycle, up to twice the budget (the others may take the
    /// budget first when the threads run at uneven paces; the trace then still holds a whole
    /// cycle, its STWs too).
    fn more(&mut self) -> bool {
        let events = self.p.events();
        let delta = events - self.counted;
        self.counted = events;
        let written = self.world.written.fetch_add(delta, Ordering::Relaxed) + delta;
        let budget = self.world.budget;
        written < budget || (self.p.index() == 0 && self.gc_ended == 0 && written < budget.saturating_mul(2))
    }

    fn run(&mut self) -> Result<(), Error> {
        P::begin(self)?;
        while self.more() {
            if P::schedule(self)? {
                self.housekeeping()?;
                match self.next_runnable()? {
                    Some(g) => self.run_goroutine(g)?,
                    None => P::idle(self)?,
                }
            }
        }
        P::finish(self)?;
        // Hand what this producer still holds to the others' queues.
        let mut q = self.world.queues();
        q.runq.extend(self.runq.drain(..));
        Ok(())
    }

    /// What a P's scheduler does between goroutines: sweeps, the GC mark worker, timers,
    /// blocking syscalls, the network poller.
    fn housekeeping(&mut self) -> Result<(), Error> {
        let now = self.tick(6);
        // Sweep after each GC cycle, and now and then.
        let epoch = self.world.gc_epoch.load(Ordering::Relaxed);
        if epoch != self.gc_seen || self.rng.chance(10) {
            self.gc_seen = epoch;
            let t = self.tick(6);
            self.p.gc_sweep_begin(t, StackId::NONE)?;
            let t = self.tick(8);
            let swept = 8192 * (1 + self.rng.below(64));
            self.p.gc_sweep_end(t, swept, swept / (1 + self.rng.below(4)))?;
        }
        if self.world.gc_running.load(Ordering::Relaxed) && self.rng.chance(20) {
            if let Some(w) = self.worker.take() {
                let t = self.tick(4);
                let w = self.p.go_unblock(t, w, StackId::NONE);
                let mode = self.rng.pick(&[GcWorker::Dedicated, GcWorker::Fractional, GcWorker::Idle]);
                let t = self.tick(4);
                self.p.go_start_label(t, w, mode)?;
                let t = self.tick(12);
                let heap = self.heap();
                self.p.heap_alloc(t, heap)?;
                let t = self.tick(10);
                self.worker = Some(self.p.go_block(t, BlockReason::Other, StackId::NONE)?);
            }
        }
        // Timers.
        let woken = take_due(&mut self.world.queues().sleeping, now, &mut self.rng);
        if let Some((_, g)) = woken {
            let t = self.tick(4);
            let h = self.p.go_unblock(t, g.h, StackId::NONE);
            self.runq.push(G { h, task: g.task });
        }
        P::syscalls(self, now)?;
        // The network poller: from this P's scheduler, or from a thread without a P.
        if self.rng.chance(6) {
            let ready = self.world.queues().netwait.pop();
            if let Some(g) = ready {
                let t = self.tick(4);
                if self.rng.chance(30) {
                    let h = self.p.poller_unblock(t, g.h);
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

    /// GC cycles, begun and ended by running goroutines of producer 0.
    fn drive_gc(&mut self) -> Result<(), Error> {
        if self.p.index() != 0 {
            return Ok(());
        }
        let running = self.world.queues().gc.take();
        match running {
            None if self.rng.chance(2) => {
                let t = self.tick(4);
                let stack = self.stack(|s| &s.gc);
                let cycle = self.p.gc_begin(t, stack)?;
                let t = self.tick(4);
                let stw = self.p.stw_begin(t, StwReason::GcSweepTermination, stack)?;
                let t = self.tick(8);
                self.p.stw_end(t, stw)?;
                let t = self.tick(4);
                let heap = self.heap();
                self.p.heap_alloc(t, heap)?;
                self.world.queues().gc = Some(cycle);
                self.world.gc_running.store(true, Ordering::Relaxed);
            }
            Some(cycle) if self.rng.chance(5) => {
                let t = self.tick(4);
                let stack = self.stack(|s| &s.gc);
                let stw = self.p.stw_begin(t, StwReason::GcMarkTermination, stack)?;
                let t = self.tick(8);
                self.p.stw_end(t, stw)?;
                self.end_gc(cycle)?;
                self.gc_ended += 1;
            }
            other => self.world.queues().gc = other,
        }
        Ok(())
    }

    /// Ends the GC cycle: `GCEnd`, the heap goal, a new epoch of sweeps.
    pub(crate) fn end_gc(&mut self, cycle: GcCycle) -> Result<(), Error> {
        self.world.gc_running.store(false, Ordering::Relaxed);
        let t = self.tick(4);
        self.p.gc_end(t, cycle)?;
        let t = self.tick(4);
        let goal = self.heap() * 2;
        self.p.heap_goal(t, goal)?;
        self.world.gc_epoch.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The next goroutine to run: this P's queue, the global queue, a new goroutine, or a
    /// parked one woken by the scheduler. Out of local work, the P stops now and then first
    /// (`None`: the runtime's idle Ps).
    fn next_runnable(&mut self) -> Result<Option<G<Runnable>>, Error> {
        if let Some(g) = self.runq.pop() {
            return Ok(Some(g));
        }
        if self.rng.chance(40) {
            return Ok(None);
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

    pub(crate) fn run_goroutine(&mut self, g: G<Runnable>) -> Result<(), Error> {
        let t = self.tick(6);
        self.p.go_start(t, g.h)?;
        let mut task = g.task;
        for _ in 0..1 + self.rng.below(4) {
            self.action(&mut task)?;
        }
        self.leave(task)
    }

    /// The goroutine back from a blocking syscall with a P goes on and leaves as usual.
    pub(crate) fn resume(&mut self, task: Option<Task>) -> Result<(), Error> {
        let mut task = task;
        self.action(&mut task)?;
        self.leave(task)
    }

    /// Something a running goroutine does that does not take it off its P.
    fn action(&mut self, task: &mut Option<Task>) -> Result<(), Error> {
        match self.rng.below(100) {
            0..=27 => {
                let t = self.tick(8);
                let heap = self.heap();
                self.p.heap_alloc(t, heap)?;
            }
            28..=41 if self.world.live.load(Ordering::Relaxed) < self.world.target => {
                let creator = self.stack(|s| &s.create);
                let g = self.create(creator)?;
                self.runq.push(g);
            }
            42..=65 => {
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
            66..=77 => {
                let stack = self.stack(|s| &s.syscall);
                P::syscall(self, stack)?;
            }
            78 | 79 => self.annotate(task)?,
            80..=82 => self.drive_gc()?,
            83..=85 if self.world.gc_running.load(Ordering::Relaxed) => {
                let t = self.tick(4);
                let stack = self.stack(|s| &s.gc);
                self.p.gc_mark_assist_begin(t, stack)?;
                let t = self.tick(8);
                self.p.gc_mark_assist_end(t)?;
            }
            86 => P::switch(self, task)?,
            97 | 98 if self.rng.chance(20) => {
                let t = self.tick(6);
                let stack = self.stack(|s| &s.user);
                self.p.cpu_sample(t, stack);
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
                let created = self.p.task_begin(t, TaskId::BACKGROUND, name, stack)?;
                let id = created.id();
                *task = Some(created);
                id
            }
        };
        let t = self.tick(4);
        let outer = self.p.region_begin(t, id, self.rng.pick(&names.regions), stack)?;
        if self.rng.chance(40) {
            let t = self.tick(6);
            let inner = self.p.region_begin(t, id, self.rng.pick(&names.regions), stack)?;
            let t = self.tick(6);
            let message =
                ["GET /index.html", "200", "retrying after timeout", "ok"][self.rng.below(4) as usize];
            self.p.log(t, id, self.rng.pick(&names.keys), message, stack)?;
            let t = self.tick(6);
            self.p.region_end(t, inner, stack)?;
        }
        let t = self.tick(8);
        self.p.region_end(t, outer, stack)?;
        if self.rng.chance(30) {
            if let Some(done) = task.take() {
                let t = self.tick(4);
                self.p.task_end(t, done, stack)?;
            }
        }
        Ok(())
    }

    /// How the running goroutine leaves its P.
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
            69..=72 => P::block_in_syscall(self, t, task)?,
            73..=76 => {
                let stack = self.stack(|s| &s.net);
                let h = self.p.go_block(t, BlockReason::Net, stack)?;
                self.world.queues().netwait.push(G { h, task });
            }
            _ if self.world.live.load(Ordering::Relaxed) > 1 => {
                if let Some(done) = task.take() {
                    let stack = self.stack(|s| &s.user);
                    self.p.task_end(t, done, stack)?;
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
