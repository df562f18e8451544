//! The thread handle: an M's own buffer, written without locking, the generation switch, and
//! the operations of the state model.

use std::sync::atomic::Ordering;

use gotrace_format::legacy::StwReason;
use gotrace_format::modern::EventType;
use gotrace_format::Version;

use super::batch::BatchBuffer;
use super::book::Place;
use super::state::{PState, Proc, SyscallProc};
use super::tables::{head, UsedIds};
use super::{block_index, return_thread, Shared};
use crate::modern::encoder::{
    max_string_len, put_event, put_string, Event, GoStatus, ProcStatus, Wire, MAX_EVENT_LEN, NO_THREAD,
};
use crate::tracer::lockorder::{self, Rank};
use crate::tracer::state::{GoState, Runnable, Waiting, NO_LAST_P};
use crate::{
    BlockReason, GcCycle, GcWorker, GoId, Refused, Region, StackId, StateError, StringId, Stw, Task, TaskId,
};

/// Number of event type codes (0 – 136).
pub(crate) const TYPES: usize = 137;

/// What a thread keeps between its holders: its buffer, clock, counts, P and goroutine.
#[derive(Debug)]
pub(crate) struct MState {
    pub(crate) m: u64,
    pub(crate) batch: BatchBuffer,
    /// The generation its buffer belongs to.
    pub(crate) gen: u64,
    /// The advance epoch it has acknowledged.
    pub(crate) epoch: u64,
    /// Tick of the last event.
    pub(crate) last: u64,
    pub(crate) counts: [u64; TYPES],
    /// Events in `gen` not yet reported to the barrier.
    pub(crate) gen_events: u64,
    /// Statuses of its P and goroutine are due before the next event.
    pub(crate) prelude: bool,
    /// Stacks and strings its events in `gen` use.
    pub(crate) used: UsedIds,
    p: Option<PState>,
    g: Option<GoState>,
    /// The goroutine is in a syscall.
    syscall: bool,
    /// This thread stopped the world: it acknowledges a new generation only once it restarts
    /// it, so that no stop spans a generation boundary (the others wait meanwhile).
    stw: bool,
    /// The P it left in a blocking syscall (it answers for its status until it is stolen).
    released: Option<u32>,
    /// The generation it knows to have a `ProcsChange` (see [`MState::procs_state`]).
    procs_gen: u64,
    /// The generation it knows to state the running GC cycle, if any (see
    /// [`MState::gc_state`]).
    gc_gen: u64,
    /// Slots of the goroutine book freed by goroutines that ended on this thread, for the next
    /// ones it creates.
    free_slots: Vec<u64>,
}

/// Which of a thread's statuses [`MState::own_statuses`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    /// Before its first event of a generation (the runtime's event writer): its P's and its
    /// goroutine's.
    Start,
    /// At the generation's end (its safe point): its P's, and its goroutine's if that has its
    /// P (a goroutine in a syscall without one is the goroutine pass's, as the runtime's).
    End,
    /// Its P's only: the runtime's pass over the Ps at a Go 1.23 generation's start.
    Procs,
}

impl MState {
    pub(crate) fn new(m: u64) -> MState {
        MState {
            m,
            batch: BatchBuffer::default(),
            gen: 1,
            epoch: 0,
            last: 0,
            counts: [0; TYPES],
            gen_events: 0,
            prelude: false,
            used: UsedIds::new(),
            p: None,
            g: None,
            syscall: false,
            stw: false,
            released: None,
            procs_gen: 0,
            gc_gen: 0,
            free_slots: Vec::new(),
        }
    }

    /// Before an operation: acknowledges a pending advance, and writes the statuses a new
    /// generation needs. One relaxed load when nothing is due.
    #[inline(always)]
    fn enter(&mut self, shared: &Shared) {
        if self.epoch != shared.epoch.load(Ordering::Relaxed) || self.prelude {
            self.switch(shared);
        }
    }

    #[cold]
    #[inline(never)]
    fn switch(&mut self, shared: &Shared) {
        if self.epoch != shared.epoch.load(Ordering::Acquire) && !self.stw {
            shared.acknowledge(self);
        }
        if std::mem::take(&mut self.prelude) {
            self.own_statuses(shared, Pass::Start);
        }
    }

    /// Writes the statuses this thread answers for that its generation lacks: its P's (or,
    /// until it is stolen, the P it left in a syscall: `Syscall`), and its goroutine's
    /// (`Running`, `Syscall` on this thread), as `pass` says.
    pub(crate) fn own_statuses(&mut self, shared: &Shared, pass: Pass) {
        let (m, ts) = (self.m, self.last + 1);
        let mut with_p = false;
        if let Some(mut p) = self.p.take() {
            let status = if self.syscall { ProcStatus::Syscall } else { ProcStatus::Running };
            self.proc_status(shared, ts, &mut p, status);
            self.p = Some(p);
            with_p = true;
        } else if let Some(id) = self.released {
            if shared.proc_book.place(id) == Place::Released(m) {
                if shared.proc_book.acquire(id, self.gen) {
                    self.put(
                        shared,
                        ts,
                        &Event::ProcStatus { p: u64::from(id), status: ProcStatus::Syscall },
                    );
                }
                with_p = true;
            }
        }
        let go = match pass {
            Pass::Start => true,
            Pass::End => with_p,
            Pass::Procs => false,
        };
        if let Some(mut g) = if go { self.g.take() } else { None } {
            let status = if self.syscall { GoStatus::Syscall } else { GoStatus::Running };
            self.go_status(shared, ts, &mut g, status, m);
            self.g = Some(g);
        }
        if pass != Pass::Procs && self.g.is_some() && self.p.is_some() && !self.syscall {
            if pass == Pass::Start && self.procs_gen != self.gen {
                self.procs_state(shared);
            }
            if self.gc_gen != self.gen {
                self.gc_state(shared);
            }
        }
    }

    /// `GCActive` (by a running goroutine), if a GC cycle runs that this generation does not
    /// know of yet: a GC cycle that runs on into a generation is stated in it by the first
    /// goroutine to run there (at the thread's first event, an operation of its running
    /// goroutine, a goroutine's start, or, failing those, the generation's end), as the runtime's
    /// advancing goroutine states it at each generation's start, so that the generation reads
    /// without the ones before it. Once per thread and generation: a cycle that begins later in
    /// the generation is stated there by its `GCBegin`.
    #[cold]
    #[inline(never)]
    fn gc_state(&mut self, shared: &Shared) {
        self.gc_gen = self.gen;
        let seq = {
            let mut w = shared.world.lock();
            let due = w.gc_running && w.gc_active_gen != self.gen;
            if due {
                w.gc_seq += 1;
                w.gc_active_gen = self.gen;
            }
            due.then_some(w.gc_seq)
        };
        if let Some(seq) = seq {
            self.put(shared, self.last, &Event::GcActive { seq });
        }
    }

    /// `ProcsChange` with the current GOMAXPROCS, before the first event by a running goroutine
    /// of a generation that has none yet: the runtime states GOMAXPROCS at the trace's start and
    /// in every generation (by the advancing goroutine, after the sync batch).
    #[cold]
    #[inline(never)]
    fn procs_state(&mut self, shared: &Shared) {
        self.procs_gen = self.gen;
        let procs = {
            let mut w = shared.world.lock();
            let due = w.procs_gen < self.gen;
            w.procs_gen = w.procs_gen.max(self.gen);
            due.then_some(w.procs)
        };
        if let Some(procs) = procs {
            self.put(shared, self.last, &Event::ProcsChange { procs, stack: 0 });
        }
    }

    /// Writes one event at `ts` (moved after the previous event if not already) and returns
    /// its tick. The fast path: a room check, the encoding, no lock, no allocation.
    #[inline(always)]
    fn put(&mut self, shared: &Shared, ts: u64, event: &Event) -> u64 {
        // An event write may flush, i.e. take the pool lock: assert that it may, every time.
        lockorder::may_acquire(Rank::Pool);
        let wire = Wire::of(event);
        let tick = if ts > self.last { ts } else { self.last + 1 };
        if let Some(flushed) = self.batch.room(&shared.pool, MAX_EVENT_LEN, self.gen, self.m, tick - 1, None)
        {
            if flushed > 0 {
                shared.note_buffer(self.last, flushed);
            }
            self.last = tick - 1;
        }
        let dt = tick - self.last;
        self.batch.buf.put(|dst| put_event(dst, dt, &wire));
        self.used.mark(event.refs());
        self.last = tick;
        self.counts[usize::from(wire.event_type.code())] += 1;
        self.gen_events += 1;
        tick
    }

    /// A goroutine touched first in this generation gets its status (on thread `m`, or
    /// [`NO_THREAD`]), then `GCMarkAssistActive` if it assists the GC; its sequence starts
    /// again in each generation.
    fn go_status(&mut self, shared: &Shared, ts: u64, g: &mut GoState, status: GoStatus, m: u64) {
        if shared.go_book.acquire(g.slot, self.gen) {
            self.put(shared, ts, &Event::GoStatus { g: g.id, m, status });
            if g.assisting {
                self.put(shared, ts, &Event::GcMarkAssistActive { g: g.id });
            }
        }
        if g.seq_gen != self.gen {
            (g.seq, g.seq_gen) = (0, self.gen);
        }
    }

    /// A P touched first in this generation gets its status, then `GCSweepActive` if it
    /// sweeps; its sequence starts again in each generation.
    fn proc_status(&mut self, shared: &Shared, ts: u64, p: &mut PState, status: ProcStatus) {
        if shared.proc_book.acquire(p.id, self.gen) {
            self.put(shared, ts, &Event::ProcStatus { p: u64::from(p.id), status });
            if p.sweeping {
                self.put(shared, ts, &Event::GcSweepActive { p: u64::from(p.id) });
            }
        }
        if p.seq_gen != self.gen {
            (p.seq, p.seq_gen) = (0, self.gen);
        }
    }

    /// Goroutine `g` is now `status`, waiting at `stack`.
    #[inline]
    fn book_go(&self, shared: &Shared, g: &GoState, status: GoStatus, stack: u64) {
        let m = if matches!(status, GoStatus::Running | GoStatus::Syscall) { self.m } else { NO_THREAD };
        shared.go_book.set(g.slot, Some(status), m, stack, g.assisting);
    }

    /// Goroutine `g` ended: its slot is free for this thread's next goroutine.
    #[inline]
    fn book_end(&mut self, shared: &Shared, g: &GoState) {
        shared.go_book.set(g.slot, None, NO_THREAD, 0, false);
        self.free_slots.push(g.slot);
    }

    /// A new goroutine `id`, `status` on thread `m` at `stack`, known in this generation since
    /// `tick`: its state, in a slot of the book (one this thread freed, else a fresh one).
    fn book_new(
        &mut self,
        shared: &Shared,
        id: u64,
        (status, m, stack): (GoStatus, u64, u64),
        tick: u64,
    ) -> Result<GoState, StateError> {
        let slot = self.free_slots.pop().unwrap_or_else(|| shared.go_book.fresh_slot());
        if !shared.go_book.create(slot, id, self.gen, status, m, stack) {
            return Err(StateError::TooManyGoroutines);
        }
        let mut g = GoState::new(id, NO_LAST_P, self.gen, tick);
        g.slot = slot;
        Ok(g)
    }

    /// Goroutine `g` is now `status`, where it keeps its stack.
    #[inline]
    fn book_go_status(&self, shared: &Shared, g: &GoState, status: GoStatus) {
        let m = if matches!(status, GoStatus::Running | GoStatus::Syscall) { self.m } else { NO_THREAD };
        shared.go_book.set_status(g.slot, status, m, g.assisting);
    }

    /// The P this thread left in a syscall, if not stolen, is abandoned: its goroutine left the
    /// syscall without it.
    fn abandon_released(&mut self, shared: &Shared) {
        if let Some(id) = self.released.take() {
            if shared.proc_book.place(id) == Place::Released(self.m) {
                shared.proc_book.set_place(id, Place::Abandoned);
            }
        }
    }
}

/// A thread (M) handle: the right to write one thread's events, into a 64 KiB buffer of its
/// own, without locking. Get one from [`Tracer::thread`](crate::modern::Tracer::thread) and move
/// it to the producer thread; dropping it keeps the thread's buffer and state for its next
/// holder.
///
/// A thread may hold a P ([`proc_start`](Thread::proc_start)) and run one goroutine on it. The
/// operations follow the runtime and Go's reader: what needs a P or a running goroutine is
/// refused with a [`StateError`] without one, before anything is written. Every `ts` is in
/// clock units; a time not after the thread's previous event becomes that event's tick + 1, and
/// an event that follows another of the same goroutine, P, GC cycle, stop or task is never
/// stamped before it.
///
/// While a new generation is pending, the handle's next operation waits until every other
/// handle in use has switched too: a handle held idle must call [`safe_point`](Thread::safe_point)
/// now and then, or be dropped.
///
/// ```
/// use gotrace_writer::modern::{Tracer, TracerOptions};
/// use gotrace_writer::{BlockReason, Frame, StackId};
/// let tracer = Tracer::new(Vec::new(), TracerOptions::new(gotrace_format::Version::Go1_23).threads(2).procs(2))?;
/// let start = tracer.stack(&[Frame { pc: 0x401000, func: "main.worker", file: "main.go", line: 10 }]);
/// let (mut m0, mut m1) = (tracer.thread(0)?, tracer.thread(1)?);
/// m0.proc_start(100, tracer.proc(0)?).map_err(|r| r.error)?;
/// m1.proc_start(100, tracer.proc(1)?).map_err(|r| r.error)?;
/// let g = m0.go_create(110, start, StackId::NONE)?;
/// m0.go_start(120, g).map_err(|r| r.error)?;
/// let g = m0.go_block(130, BlockReason::Recv, StackId::NONE)?;
/// let g = m1.go_unblock(140, g, StackId::NONE);
/// m1.go_start(150, g).map_err(|r| r.error)?;
/// m1.go_destroy(160)?;
/// drop((m0, m1));
/// let trace = tracer.finish()?;
/// assert_eq!(&trace[..16], b"go 1.23 trace\0\0\0");
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Debug)]
pub struct Thread<'t> {
    shared: &'t Shared,
    st: Option<MState>,
}

macro_rules! st {
    ($self:ident) => {
        $self.st.as_mut().expect("a thread handle holds its state until dropped")
    };
}

impl<'t> Thread<'t> {
    pub(crate) fn new(shared: &'t Shared, st: MState) -> Thread<'t> {
        Thread { shared, st: Some(st) }
    }

    /// Acknowledges a pending generation switch (and writes what it needs): for a handle held
    /// by a thread that writes nothing for a while.
    pub fn safe_point(&mut self) {
        let shared = self.shared;
        st!(self).enter(shared);
    }

    /// The thread's id (its M id in the trace).
    #[must_use]
    pub fn id(&self) -> u64 {
        self.st.as_ref().map_or(0, |s| s.m)
    }

    /// The tick of the thread's last event (0 before any).
    #[must_use]
    pub fn last_tick(&self) -> u64 {
        self.st.as_ref().map_or(0, |s| s.last)
    }

    /// Events this thread has written (by all its holders).
    #[must_use]
    pub fn events(&self) -> u64 {
        self.st.as_ref().map_or(0, |s| s.counts.iter().sum())
    }

    /// The P this thread holds.
    #[must_use]
    pub fn proc_id(&self) -> Option<u32> {
        self.st.as_ref().and_then(|s| s.p.as_ref().map(|p| p.id))
    }

    /// The goroutine this thread runs (or that is in a syscall on it).
    #[must_use]
    pub fn running(&self) -> Option<GoId> {
        self.st.as_ref().and_then(|s| s.g.as_ref().map(|g| GoId(g.id)))
    }

    /// The generation this thread writes in.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.st.as_ref().map_or(0, |s| s.gen)
    }

    /// Writes `event` as is, bypassing the state model: the caller answers for the trace's
    /// consistency. Returns the tick written.
    ///
    /// ```
    /// # use gotrace_writer::modern::{Event, Tracer, TracerOptions};
    /// # let tracer = Tracer::new(Vec::new(), TracerOptions::new(gotrace_format::Version::Go1_23))?;
    /// let mut m = tracer.thread(0)?;
    /// assert_eq!(m.emit(50, &Event::HeapAlloc { bytes: 4096 }), 50);
    /// assert_eq!(m.emit(40, &Event::HeapAlloc { bytes: 8192 }), 51); // never before the last
    /// # Ok::<(), gotrace_writer::Error>(())
    /// ```
    pub fn emit(&mut self, ts: u64, event: &Event) -> u64 {
        let shared = self.shared;
        let st = st!(self);
        st.enter(shared);
        st.put(shared, ts, event)
    }

    /// The id of `text`, interned (see [`Tracer::string`](crate::modern::Tracer::string)).
    pub fn string(&mut self, text: &str) -> StringId {
        self.shared.strings.intern(text)
    }

    /// Enters the operation and checks that the thread holds a P.
    fn with_p(&mut self) -> Result<&mut MState, StateError> {
        let shared = self.shared;
        let st = st!(self);
        st.enter(shared);
        if st.p.is_none() {
            return Err(StateError::ProcNotStarted);
        }
        Ok(st)
    }

    /// Enters the operation and checks that the thread runs a goroutine (on a P, not in a
    /// syscall): Go's "user goroutine requirements".
    fn with_g(&mut self) -> Result<&mut MState, StateError> {
        let shared = self.shared;
        let st = self.with_p()?;
        if st.g.is_none() || st.syscall {
            return Err(StateError::NoRunningGoroutine);
        }
        if st.procs_gen != st.gen {
            st.procs_state(shared);
        }
        if st.gc_gen != st.gen {
            st.gc_state(shared);
        }
        Ok(st)
    }

    // ---- Ps ----------------------------------------------------------------------------

    /// The thread takes idle P `p`: `ProcStart` (after its `ProcStatus`, Idle, the first time
    /// in a generation). Refused while it holds a P.
    pub fn proc_start(&mut self, ts: u64, p: Proc) -> Result<(), Refused<Proc>> {
        let shared = self.shared;
        let st = st!(self);
        st.enter(shared);
        if st.p.is_some() {
            return Err(Refused { error: StateError::ProcStarted, handle: p });
        }
        let mut p = p.0;
        let ts = ts.max(p.tick);
        st.proc_status(shared, ts, &mut p, ProcStatus::Idle);
        p.seq += 1;
        p.tick = st.put(shared, ts, &Event::ProcStart { p: u64::from(p.id), p_seq: p.seq });
        shared.proc_book.set_place(p.id, Place::Thread);
        st.p = Some(p);
        Ok(())
    }

    /// The thread gives up its P, which becomes idle: `ProcStop`. Refused while a goroutine
    /// runs on it.
    pub fn proc_stop(&mut self, ts: u64) -> Result<Proc, StateError> {
        let shared = self.shared;
        let st = self.with_p()?;
        if let Some(g) = &st.g {
            return Err(StateError::GoroutineRunning { g: g.id });
        }
        let tick = st.put(shared, ts, &Event::ProcStop);
        let mut p = st.p.take().ok_or(StateError::ProcNotStarted)?;
        p.tick = tick;
        shared.proc_book.set_place(p.id, Place::Idle);
        Ok(Proc(p))
    }

    /// GOMAXPROCS is `procs`: `ProcsChange` (by a running goroutine). The tracer also states
    /// the current value once in every generation, before its first event by a running
    /// goroutine, as the runtime does.
    pub fn procs_change(&mut self, ts: u64, procs: u32, stack: StackId) -> Result<(), StateError> {
        let shared = self.shared;
        let st = self.with_g()?;
        shared.world.lock().procs = u64::from(procs);
        st.put(shared, ts, &Event::ProcsChange { procs: u64::from(procs), stack: stack.0 });
        Ok(())
    }

    // ---- goroutines ----------------------------------------------------------------------

    fn new_goroutine(
        &mut self,
        ts: u64,
        start: StackId,
        stack: StackId,
        blocked: bool,
    ) -> Result<GoState, StateError> {
        if start == StackId::NONE {
            return Err(StateError::NoStartStack);
        }
        let shared = self.shared;
        let st = self.with_p()?;
        let g = shared.new_goroutine_id();
        let status = if blocked { GoStatus::Waiting } else { GoStatus::Runnable };
        // Booked before the event (no event for a goroutine the book cannot hold), its tick
        // set after.
        let mut state = st.book_new(shared, g, (status, NO_THREAD, start.0), 0)?;
        let (start_stack, stack) = (start.0, stack.0);
        let ev = if blocked {
            Event::GoCreateBlocked { g, start_stack, stack }
        } else {
            Event::GoCreate { g, start_stack, stack }
        };
        state.tick = st.put(shared, ts, &ev);
        Ok(state)
    }

    /// A new goroutine, whose start function is the one frame of `start` (required), created by
    /// the running goroutine (or the scheduler) at `stack`: `GoCreate`. Needs a P.
    pub fn go_create(&mut self, ts: u64, start: StackId, stack: StackId) -> Result<Runnable, StateError> {
        self.new_goroutine(ts, start, stack, false).map(Runnable)
    }

    /// A new goroutine that starts blocked (a coroutine of `iter.Pull`): `GoCreateBlocked`.
    pub fn go_create_blocked(
        &mut self,
        ts: u64,
        start: StackId,
        stack: StackId,
    ) -> Result<Waiting, StateError> {
        self.new_goroutine(ts, start, stack, true).map(Waiting)
    }

    fn start(&mut self, ts: u64, g: Runnable) -> Result<u64, Refused<Runnable>> {
        let shared = self.shared;
        let st = st!(self);
        st.enter(shared);
        let error = match (&st.p, &st.g) {
            (None, _) => Some(StateError::ProcNotStarted),
            (Some(_), Some(r)) => Some(StateError::GoroutineRunning { g: r.id }),
            _ => None,
        };
        if let Some(error) = error {
            return Err(Refused { error, handle: g });
        }
        let mut g = g.0;
        let ts = ts.max(g.tick);
        st.go_status(shared, ts, &mut g, GoStatus::Runnable, NO_THREAD);
        g.seq += 1;
        g.tick = st.put(shared, ts, &Event::GoStart { g: g.id, g_seq: g.seq });
        st.book_go_status(shared, &g, GoStatus::Running);
        let tick = g.tick;
        st.g = Some(g);
        if st.gc_gen != st.gen {
            st.gc_state(shared);
        }
        Ok(tick)
    }

    /// Runs `g` on this thread's P: `GoStart` (after its `GoStatus`, Runnable, the first time in
    /// a generation). Refused (the handle given back) without a P or while a goroutine runs.
    pub fn go_start(&mut self, ts: u64, g: Runnable) -> Result<(), Refused<Runnable>> {
        self.start(ts, g).map(drop)
    }

    /// Runs GC mark worker `g`: `GoStart`, then `GoLabel` with the worker's label.
    pub fn go_start_label(
        &mut self,
        ts: u64,
        g: Runnable,
        worker: GcWorker,
    ) -> Result<(), Refused<Runnable>> {
        let tick = self.start(ts, g)?;
        let shared = self.shared;
        let label = shared.reasons.workers[worker as usize].0;
        st!(self).put(shared, tick, &Event::GoLabel { label });
        Ok(())
    }

    /// Takes the running goroutine off the thread with `ev`: it is `then` (`None`: it ended),
    /// at `stack`.
    fn stop_running(&mut self, ts: u64, ev: &Event, then: Option<GoStatus>) -> Result<GoState, StateError> {
        let shared = self.shared;
        let st = self.with_g()?;
        let tick = st.put(shared, ts, ev);
        let mut g = st.g.take().ok_or(StateError::NoRunningGoroutine)?;
        g.tick = tick;
        match then {
            Some(status) => st.book_go(shared, &g, status, ev.refs().0[0]),
            None => st.book_end(shared, &g),
        }
        Ok(g)
    }

    /// The running goroutine ends: `GoDestroy`.
    pub fn go_destroy(&mut self, ts: u64) -> Result<(), StateError> {
        self.stop_running(ts, &Event::GoDestroy, None).map(drop)
    }

    /// The running goroutine yields (`runtime.Gosched`): `GoStop` "runtime.Gosched".
    pub fn go_sched(&mut self, ts: u64, stack: StackId) -> Result<Runnable, StateError> {
        let reason = self.shared.reasons.gosched.0;
        self.stop_running(ts, &Event::GoStop { reason, stack: stack.0 }, Some(GoStatus::Runnable))
            .map(Runnable)
    }

    /// The running goroutine is preempted: `GoStop` "preempted".
    pub fn go_preempt(&mut self, ts: u64, stack: StackId) -> Result<Runnable, StateError> {
        let reason = self.shared.reasons.preempted.0;
        self.stop_running(ts, &Event::GoStop { reason, stack: stack.0 }, Some(GoStatus::Runnable))
            .map(Runnable)
    }

    /// The running goroutine blocks for `reason`: `GoBlock` with the runtime's reason string
    /// ("chan send", "chan receive", "select", "sync", "sync.(*Cond).Wait", "network",
    /// "GC mark assist wait for work", "unspecified").
    pub fn go_block(&mut self, ts: u64, reason: BlockReason, stack: StackId) -> Result<Waiting, StateError> {
        let reason = self.shared.reasons.block[block_index(Some(reason))].0;
        self.stop_running(ts, &Event::GoBlock { reason, stack: stack.0 }, Some(GoStatus::Waiting))
            .map(Waiting)
    }

    /// The running goroutine sleeps (`time.Sleep`): `GoBlock` "sleep".
    pub fn go_sleep(&mut self, ts: u64, stack: StackId) -> Result<Waiting, StateError> {
        let reason = self.shared.reasons.block[block_index(None)].0;
        self.stop_running(ts, &Event::GoBlock { reason, stack: stack.0 }, Some(GoStatus::Waiting))
            .map(Waiting)
    }

    /// Makes `g` runnable, from any thread, with or without a P: `GoUnblock` (after its
    /// `GoStatus`, Waiting, the first time in a generation). Never before `g` blocked.
    pub fn go_unblock(&mut self, ts: u64, g: Waiting, stack: StackId) -> Runnable {
        let shared = self.shared;
        let st = st!(self);
        st.enter(shared);
        let mut g = g.0;
        let ts = ts.max(g.tick);
        st.go_status(shared, ts, &mut g, GoStatus::Waiting, NO_THREAD);
        g.seq += 1;
        g.tick = st.put(shared, ts, &Event::GoUnblock { g: g.id, g_seq: g.seq, stack: stack.0 });
        st.book_go_status(shared, &g, GoStatus::Runnable);
        Runnable(g)
    }

    /// The running goroutine blocks and `g` runs in its place at once (a coroutine switch):
    /// `GoSwitch`. Returns the goroutine that blocked.
    pub fn go_switch(&mut self, ts: u64, g: Waiting) -> Result<Waiting, Refused<Waiting>> {
        let shared = self.shared;
        let st = match self.with_g() {
            Ok(st) => st,
            Err(error) => return Err(Refused { error, handle: g }),
        };
        let Some(mut prev) = st.g.take() else {
            return Err(Refused { error: StateError::NoRunningGoroutine, handle: g });
        };
        let mut next = g.0;
        let ts = ts.max(next.tick);
        st.go_status(shared, ts, &mut next, GoStatus::Waiting, NO_THREAD);
        next.seq += 1;
        let tick = st.put(shared, ts, &Event::GoSwitch { g: next.id, g_seq: next.seq });
        (next.tick, prev.tick) = (tick, tick);
        st.book_go(shared, &prev, GoStatus::Waiting, 0);
        st.book_go_status(shared, &next, GoStatus::Running);
        st.g = Some(next);
        Ok(Waiting(prev))
    }

    /// The running goroutine ends and `g` runs in its place at once: `GoSwitchDestroy`.
    pub fn go_switch_destroy(&mut self, ts: u64, g: Waiting) -> Result<(), Refused<Waiting>> {
        let shared = self.shared;
        let st = match self.with_g() {
            Ok(st) => st,
            Err(error) => return Err(Refused { error, handle: g }),
        };
        let mut next = g.0;
        let ts = ts.max(next.tick);
        st.go_status(shared, ts, &mut next, GoStatus::Waiting, NO_THREAD);
        next.seq += 1;
        next.tick = st.put(shared, ts, &Event::GoSwitchDestroy { g: next.id, g_seq: next.seq });
        if let Some(prev) = st.g.take() {
            st.book_end(shared, &prev);
        }
        st.book_go_status(shared, &next, GoStatus::Running);
        st.g = Some(next);
        Ok(())
    }

    /// The running goroutine enters a syscall, and its P with it: `GoSyscallBegin` with the P's
    /// next sequence number. Then [`go_syscall_end`](Thread::go_syscall_end) (a fast return),
    /// or [`go_syscall_release`](Thread::go_syscall_release) (it blocks, the P can be stolen).
    pub fn go_syscall_begin(&mut self, ts: u64, stack: StackId) -> Result<(), StateError> {
        let shared = self.shared;
        let st = self.with_g()?;
        let Some(mut p) = st.p.take() else { return Err(StateError::ProcNotStarted) };
        p.seq += 1;
        let tick = st.put(shared, ts, &Event::GoSyscallBegin { p_seq: p.seq, stack: stack.0 });
        p.tick = tick;
        st.p = Some(p);
        st.syscall = true;
        if let Some(g) = &st.g {
            st.book_go(shared, g, GoStatus::Syscall, stack.0);
        }
        Ok(())
    }

    fn in_syscall(&mut self) -> Result<&mut MState, StateError> {
        let shared = self.shared;
        let st = st!(self);
        st.enter(shared);
        if st.g.is_none() || !st.syscall {
            return Err(StateError::NoRunningGoroutine);
        }
        Ok(st)
    }

    /// Ends the syscall of the thread's goroutine with `ev`, the thread holding its P
    /// (`with_p`) or not (else refused).
    fn leave_syscall(&mut self, ts: u64, ev: &Event, with_p: bool) -> Result<&mut MState, StateError> {
        let shared = self.shared;
        let st = self.in_syscall()?;
        match (st.p.is_some(), with_p) {
            (false, true) => return Err(StateError::ProcNotStarted),
            (true, false) => return Err(StateError::ProcStarted),
            _ => {}
        }
        st.put(shared, ts, ev);
        st.syscall = false;
        Ok(st)
    }

    /// The syscall returns and the goroutine keeps its P: `GoSyscallEnd`.
    pub fn go_syscall_end(&mut self, ts: u64) -> Result<(), StateError> {
        let shared = self.shared;
        let st = self.leave_syscall(ts, &Event::GoSyscallEnd, true)?;
        if let Some(g) = &st.g {
            st.book_go_status(shared, g, GoStatus::Running);
        }
        Ok(())
    }

    /// The goroutine's syscall blocks: its P, still in the syscall, is handed out for another
    /// thread to steal, or for this one to take back. Nothing is written.
    pub fn go_syscall_release(&mut self) -> Result<SyscallProc, StateError> {
        let shared = self.shared;
        let st = self.in_syscall()?;
        let p = st.p.take().ok_or(StateError::ProcNotStarted)?;
        shared.proc_book.set_place(p.id, Place::Released(st.m));
        st.released = Some(p.id);
        Ok(SyscallProc { p, m: st.m })
    }

    /// The syscall returns and this thread takes its P back before anyone stole it
    /// (`ProcStatus` Syscall first if the generation changed meanwhile): `GoSyscallEnd`.
    /// Refused for another thread's P, or while holding a P.
    pub fn go_syscall_retake(&mut self, ts: u64, p: SyscallProc) -> Result<(), Refused<SyscallProc>> {
        let shared = self.shared;
        let st = match self.in_syscall() {
            Ok(st) if st.p.is_none() && p.m == st.m => st,
            Ok(_) => return Err(Refused { error: StateError::ProcStarted, handle: p }),
            Err(error) => return Err(Refused { error, handle: p }),
        };
        let mut pst = p.p;
        let ts = ts.max(pst.tick);
        st.proc_status(shared, ts, &mut pst, ProcStatus::Syscall);
        pst.tick = st.put(shared, ts, &Event::GoSyscallEnd);
        shared.proc_book.set_place(pst.id, Place::Thread);
        st.released = None;
        st.p = Some(pst);
        st.syscall = false;
        if let Some(g) = &st.g {
            st.book_go_status(shared, g, GoStatus::Running);
        }
        Ok(())
    }

    /// This thread takes P `p` from the thread in a syscall (`ProcStatus` SyscallAbandoned
    /// first if the P has no status in this generation, as the runtime's stealer writes it):
    /// `ProcSteal`. The P comes back idle. Any thread may steal, with or without a P of its own.
    pub fn proc_steal(&mut self, ts: u64, p: SyscallProc) -> Proc {
        let shared = self.shared;
        let st = st!(self);
        st.enter(shared);
        let (mut pst, m) = (p.p, p.m);
        let ts = ts.max(pst.tick);
        st.proc_status(shared, ts, &mut pst, ProcStatus::SyscallAbandoned);
        pst.seq += 1;
        pst.tick = st.put(shared, ts, &Event::ProcSteal { p: u64::from(pst.id), p_seq: pst.seq, m });
        shared.proc_book.set_place(pst.id, Place::Idle);
        Proc(pst)
    }

    /// The syscall returns after the P was stolen (call it once the steal is written): the
    /// goroutine is runnable, `GoSyscallEndBlocked`.
    pub fn go_syscall_end_blocked(&mut self, ts: u64) -> Result<Runnable, StateError> {
        let shared = self.shared;
        let st = self.in_syscall()?;
        let tick = st.put(shared, ts, &Event::GoSyscallEndBlocked);
        st.syscall = false;
        st.abandon_released(shared);
        let mut g = st.g.take().ok_or(StateError::NoRunningGoroutine)?;
        g.tick = tick;
        st.book_go_status(shared, &g, GoStatus::Runnable);
        Ok(Runnable(g))
    }

    /// A thread the runtime did not create (a C thread calling into Go: a cgo callback) gets a
    /// new goroutine, which starts in a syscall on it: `GoCreateSyscall`. Refused while the
    /// thread holds a P or has a goroutine. Then
    /// [`go_syscall_end_blocked`](Thread::go_syscall_end_blocked) makes it runnable (to run on a
    /// P), or [`go_destroy_syscall`](Thread::go_destroy_syscall) ends it.
    ///
    /// ```
    /// # use gotrace_writer::modern::{Tracer, TracerOptions};
    /// # use gotrace_format::Version;
    /// let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_23))?;
    /// let mut m = tracer.thread(0)?;
    /// let g = m.go_create_syscall(10)?; // C calls Go
    /// assert_eq!(m.running(), Some(g));
    /// let g = m.go_syscall_end_blocked(11)?; // the callback waits for a P
    /// m.proc_start(12, tracer.proc(0)?).map_err(|r| r.error)?;
    /// m.go_start(13, g).map_err(|r| r.error)?;
    /// # Ok::<(), gotrace_writer::Error>(())
    /// ```
    pub fn go_create_syscall(&mut self, ts: u64) -> Result<GoId, StateError> {
        let shared = self.shared;
        let st = st!(self);
        st.enter(shared);
        if st.p.is_some() {
            return Err(StateError::ProcStarted);
        }
        if let Some(g) = &st.g {
            return Err(StateError::GoroutineRunning { g: g.id });
        }
        let g = shared.new_goroutine_id();
        let mut state = st.book_new(shared, g, (GoStatus::Syscall, st.m, 0), 0)?;
        state.tick = st.put(shared, ts, &Event::GoCreateSyscall { g });
        st.g = Some(state);
        st.syscall = true;
        Ok(GoId(g))
    }

    /// The goroutine in a syscall on this thread goes away as the thread returns to C (the end
    /// of a cgo callback, or the C thread exits): `GoDestroySyscall`. Refused while the thread
    /// holds a P ([`go_syscall_release`](Thread::go_syscall_release) it first: Go's reader then
    /// takes the P for abandoned, and only a [`proc_steal`](Thread::proc_steal) brings it back).
    ///
    /// ```
    /// # use gotrace_writer::modern::{Tracer, TracerOptions};
    /// # use gotrace_format::Version;
    /// # let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_23))?;
    /// let mut m = tracer.thread(0)?;
    /// m.go_create_syscall(10)?;
    /// m.go_destroy_syscall(11)?;
    /// assert_eq!(m.running(), None);
    /// # Ok::<(), gotrace_writer::Error>(())
    /// ```
    pub fn go_destroy_syscall(&mut self, ts: u64) -> Result<(), StateError> {
        let shared = self.shared;
        let st = self.leave_syscall(ts, &Event::GoDestroySyscall, false)?;
        st.abandon_released(shared);
        if let Some(g) = st.g.take() {
            st.book_end(shared, &g);
        }
        Ok(())
    }

    // ---- GC ----------------------------------------------------------------------------

    /// A GC mark phase begins: `GCBegin` with the next GC sequence number (by a running
    /// goroutine). Refused while another runs.
    pub fn gc_begin(&mut self, ts: u64, stack: StackId) -> Result<GcCycle, StateError> {
        let shared = self.shared;
        let st = self.with_g()?;
        let (seq, floor) = {
            let mut w = shared.world.lock();
            if w.gc_running {
                return Err(StateError::GcRunning);
            }
            w.gc_running = true;
            w.gc_seq += 1;
            w.gc_active_gen = st.gen;
            (w.gc_seq, w.gc_floor)
        };
        let tick = st.put(shared, ts.max(floor), &Event::GcBegin { seq, stack: stack.0 });
        Ok(GcCycle { seq, tick })
    }

    /// The GC mark phase ends: `GCEnd` (by a running goroutine; the cycle handed back if
    /// refused).
    pub fn gc_end(&mut self, ts: u64, cycle: GcCycle) -> Result<(), Refused<GcCycle>> {
        let shared = self.shared;
        let st = match self.with_g() {
            Ok(st) => st,
            Err(error) => return Err(Refused { error, handle: cycle }),
        };
        let seq = {
            let mut w = shared.world.lock();
            w.gc_seq += 1;
            w.gc_seq
        };
        let tick = st.put(shared, ts.max(cycle.tick), &Event::GcEnd { seq });
        let mut w = shared.world.lock();
        w.gc_running = false;
        w.gc_floor = tick;
        Ok(())
    }

    /// The world stops for `reason`: `STWBegin` with Go's kind string (by a running goroutine,
    /// which must also end it, on this thread). Refused while it is stopped. Until
    /// [`stw_end`](Thread::stw_end), this thread does not switch generations, so a stop never
    /// spans a generation boundary (as in the runtime).
    pub fn stw_begin(&mut self, ts: u64, reason: StwReason, stack: StackId) -> Result<Stw, StateError> {
        let shared = self.shared;
        let kind = shared.strings.intern(reason.name(Version::Go1_21)).0;
        let st = self.with_g()?;
        let floor = {
            let mut w = shared.world.lock();
            if w.stw_running {
                return Err(StateError::StwRunning);
            }
            w.stw_running = true;
            w.stw_floor
        };
        let tick = st.put(shared, ts.max(floor), &Event::StwBegin { kind, stack: stack.0 });
        st.stw = true;
        Ok(Stw { tick })
    }

    /// The world restarts: `STWEnd`.
    pub fn stw_end(&mut self, ts: u64, stw: Stw) -> Result<(), Refused<Stw>> {
        let shared = self.shared;
        let st = match self.with_g() {
            Ok(st) => st,
            Err(error) => return Err(Refused { error, handle: stw }),
        };
        let tick = st.put(shared, ts.max(stw.tick), &Event::StwEnd);
        st.stw = false;
        let mut w = shared.world.lock();
        w.stw_running = false;
        w.stw_floor = tick;
        Ok(())
    }

    /// The P starts sweeping: `GCSweepBegin`.
    pub fn gc_sweep_begin(&mut self, ts: u64, stack: StackId) -> Result<(), StateError> {
        let shared = self.shared;
        let st = self.with_p()?;
        if st.p.as_ref().is_some_and(|p| p.sweeping) {
            return Err(StateError::SweepRunning);
        }
        st.put(shared, ts, &Event::GcSweepBegin { stack: stack.0 });
        if let Some(p) = st.p.as_mut() {
            p.sweeping = true;
        }
        Ok(())
    }

    /// The P stops sweeping, having swept and reclaimed those bytes: `GCSweepEnd`.
    pub fn gc_sweep_end(&mut self, ts: u64, swept: u64, reclaimed: u64) -> Result<(), StateError> {
        let shared = self.shared;
        let st = self.with_p()?;
        if !st.p.as_ref().is_some_and(|p| p.sweeping) {
            return Err(StateError::NoSweep);
        }
        st.put(shared, ts, &Event::GcSweepEnd { swept, reclaimed });
        if let Some(p) = st.p.as_mut() {
            p.sweeping = false;
        }
        Ok(())
    }

    /// The running goroutine starts a mark assist: `GCMarkAssistBegin`.
    pub fn gc_mark_assist_begin(&mut self, ts: u64, stack: StackId) -> Result<(), StateError> {
        self.mark_assist(ts, true, &Event::GcMarkAssistBegin { stack: stack.0 })
    }

    /// The running goroutine's mark assist ends: `GCMarkAssistEnd`.
    pub fn gc_mark_assist_end(&mut self, ts: u64) -> Result<(), StateError> {
        self.mark_assist(ts, false, &Event::GcMarkAssistEnd)
    }

    fn mark_assist(&mut self, ts: u64, begin: bool, ev: &Event) -> Result<(), StateError> {
        let shared = self.shared;
        let st = self.with_g()?;
        match st.g.as_ref().map(|g| g.assisting) {
            Some(true) if begin => return Err(StateError::MarkAssistRunning),
            Some(false) if !begin => return Err(StateError::NoMarkAssist),
            _ => {}
        }
        let tick = st.put(shared, ts, ev);
        if let Some(g) = st.g.as_mut() {
            (g.assisting, g.tick) = (begin, tick);
        }
        Ok(())
    }

    /// Live heap bytes: `HeapAlloc` (needs a P).
    pub fn heap_alloc(&mut self, ts: u64, bytes: u64) -> Result<(), StateError> {
        let shared = self.shared;
        self.with_p()?.put(shared, ts, &Event::HeapAlloc { bytes });
        Ok(())
    }

    /// The heap goal: `HeapGoal` (needs a P).
    pub fn heap_goal(&mut self, ts: u64, bytes: u64) -> Result<(), StateError> {
        let shared = self.shared;
        self.with_p()?.put(shared, ts, &Event::HeapGoal { bytes });
        Ok(())
    }

    // ---- user annotations ----------------------------------------------------------------

    /// A new task of type `name`, child of `parent`: `UserTaskBegin` (by a running goroutine).
    pub fn task_begin(
        &mut self,
        ts: u64,
        parent: TaskId,
        name: StringId,
        stack: StackId,
    ) -> Result<Task, StateError> {
        let shared = self.shared;
        let st = self.with_g()?;
        let task = shared.new_task_id();
        let tick = st.put(
            shared,
            ts,
            &Event::UserTaskBegin { task, parent: parent.0, name: name.0, stack: stack.0 },
        );
        Ok(Task { id: task, tick })
    }

    /// The task ends: `UserTaskEnd` (by a running goroutine; the task handed back if refused).
    pub fn task_end(&mut self, ts: u64, task: Task, stack: StackId) -> Result<(), Refused<Task>> {
        let shared = self.shared;
        match self.with_g() {
            Ok(st) => {
                st.put(shared, ts.max(task.tick), &Event::UserTaskEnd { task: task.id, stack: stack.0 });
                Ok(())
            }
            Err(error) => Err(Refused { error, handle: task }),
        }
    }

    /// The running goroutine opens a region of type `name` in `task`: `UserRegionBegin`.
    pub fn region_begin(
        &mut self,
        ts: u64,
        task: TaskId,
        name: StringId,
        stack: StackId,
    ) -> Result<Region, StateError> {
        let shared = self.shared;
        let st = self.with_g()?;
        let tick = st.put(shared, ts, &Event::UserRegionBegin { task: task.0, name: name.0, stack: stack.0 });
        let g = st.g.as_mut().ok_or(StateError::NoRunningGoroutine)?;
        g.regions.push((task.0, name.0));
        g.tick = tick;
        Ok(Region { g: g.id, task: task.0, name: name.0, depth: g.regions.len() })
    }

    /// The running goroutine closes `region`, its innermost open one: `UserRegionEnd`.
    pub fn region_end(&mut self, ts: u64, region: Region, stack: StackId) -> Result<(), Refused<Region>> {
        let shared = self.shared;
        let st = match self.with_g() {
            Ok(st) => st,
            Err(error) => return Err(Refused { error, handle: region }),
        };
        match st.g.as_mut() {
            Some(g) if g.id == region.g && g.regions.len() == region.depth => {
                g.regions.pop();
            }
            _ => return Err(Refused { error: StateError::RegionNotInnermost, handle: region }),
        }
        let ev = Event::UserRegionEnd { task: region.task, name: region.name, stack: stack.0 };
        let tick = st.put(shared, ts, &ev);
        if let Some(g) = st.g.as_mut() {
            g.tick = tick;
        }
        Ok(())
    }

    /// A log message in `task` under the category `key`: the message (its first 1024 bytes)
    /// under a fresh string id in this generation's table, as the runtime writes it, then
    /// `UserLog` (by a running goroutine).
    pub fn log(
        &mut self,
        ts: u64,
        task: TaskId,
        key: StringId,
        message: &str,
        stack: StackId,
    ) -> Result<(), StateError> {
        let shared = self.shared;
        let st = self.with_g()?;
        let text = head(message).as_bytes();
        let value = if text.is_empty() { 0 } else { shared.strings.fresh() };
        if value != 0 {
            let mut shelf = shared.logs.lock();
            let gen = shelf.gen;
            debug_assert_eq!(gen, st.gen);
            let code = Some(EventType::STRINGS.code());
            shelf.batch.room(&shared.pool, max_string_len(text.len()), gen, NO_THREAD, st.last.max(1), code);
            shelf.batch.buf.put(|dst| put_string(dst, value, text));
        }
        st.put(shared, ts, &Event::UserLog { task: task.0, key: key.0, value, stack: stack.0 });
        Ok(())
    }
}

impl Drop for Thread<'_> {
    fn drop(&mut self) {
        if let Some(st) = self.st.take() {
            return_thread(self.shared, st);
        }
    }
}
