//! The P handle: a producer's own buffer, written without locking, and the goroutine-level
//! operations of the state model.

use gotrace_format::legacy::{EventType, StwReason};

use super::buffer::Buffer;
use super::lockorder::{self, Rank};
use super::state::{
    BlockReason, GcCycle, GcWorker, GoState, InSyscall, Region, Runnable, Stw, Task, TaskId, Waiting,
    NO_LAST_P,
};
use super::tables::{clip, StackId, StringId};
use super::Shared;
use crate::encoder::{
    max_stack_len, max_string_len, put_batch, put_event, put_stack, put_string, put_text, Event, StackFrame,
    Wire, MAX_EVENT_LEN, MESSAGE_OVERHEAD,
};
use crate::{Error, Refused, StateError};

/// Number of event type codes.
pub(crate) const TYPES: usize = EventType::COUNT as usize;

/// What a P keeps between its holders: its buffer, clock, counts and scheduling state.
#[derive(Debug)]
pub(crate) struct ProcState {
    /// P id in batch headers (−1: no P).
    pub(crate) id: i64,
    pub(crate) buf: Buffer,
    /// Tick of the last event written (each buffer's ticks strictly increase).
    pub(crate) last: u64,
    /// Events written, by type code.
    pub(crate) counts: [u64; TYPES],
    pub(crate) started: bool,
    pub(crate) sweeping: bool,
    pub(crate) running: Option<GoState>,
}

impl ProcState {
    pub(crate) fn new(id: i64) -> ProcState {
        ProcState {
            id,
            buf: Buffer::placeholder(),
            last: 0,
            counts: [0; TYPES],
            started: false,
            sweeping: false,
            running: None,
        }
    }

    /// Makes room for `need` bytes: hands the current buffer to the pool and starts the new one
    /// with a batch header at `batch_ticks`.
    #[cold]
    #[inline(never)]
    pub(crate) fn refill(&mut self, shared: &Shared, need: usize, batch_ticks: u64) {
        let old = std::mem::take(&mut self.buf);
        self.buf = shared.pool.exchange(old);
        let id = self.id;
        self.buf.put(|dst| put_batch(dst, id, batch_ticks));
        debug_assert!(self.buf.room() >= need);
    }

    /// The tick an event asked for at `ts` gets: strictly after the previous one.
    #[inline(always)]
    pub(crate) fn tick_for(&self, ts: u64) -> u64 {
        if ts > self.last {
            ts
        } else {
            self.last + 1
        }
    }

    /// Writes one event at `ts` (moved after the previous event if not already) and returns
    /// its tick. The fast path: a room check, the encoding, no lock, no allocation.
    #[inline(always)]
    pub(crate) fn write(&mut self, shared: &Shared, ts: u64, wire: &Wire, message: Option<&[u8]>) -> u64 {
        // An event write may flush, i.e. take the pool lock: assert that it may, every time.
        lockorder::may_acquire(Rank::Pool);
        let tick = self.tick_for(ts);
        let message = message.map(clip);
        let need = MAX_EVENT_LEN + message.map_or(0, |m| MESSAGE_OVERHEAD + m.len());
        if self.buf.room() < need {
            self.refill(shared, need, tick - 1);
            self.last = tick - 1;
        }
        let dt = tick - self.last;
        let n = put_event(self.buf.spare(), dt, wire);
        self.buf.advance(n);
        if let Some(m) = message {
            let n = put_text(self.buf.spare(), m);
            self.buf.advance(n);
        }
        self.last = tick;
        self.counts[usize::from(wire.event_type.code())] += 1;
        tick
    }

    /// Writes an untimestamped record of at most `max` bytes (strings, stacks, frequency).
    pub(crate) fn write_record(&mut self, shared: &Shared, max: usize, put: impl FnOnce(&mut [u8]) -> usize) {
        lockorder::may_acquire(Rank::Pool);
        if self.buf.room() < max {
            // The batch starts at the last tick; the next event's delta counts from there.
            let ticks = self.last.max(1);
            self.refill(shared, max, ticks);
            self.last = ticks;
        }
        self.buf.put(put);
    }

    /// Writes a string record.
    pub(crate) fn write_string(&mut self, shared: &Shared, id: StringId, text: &str) {
        let text = clip(text.as_bytes());
        self.write_record(shared, max_string_len(text.len()), |dst| put_string(dst, id.0, text));
    }

    /// Writes a stack record.
    pub(crate) fn write_stack(&mut self, shared: &Shared, id: u64, frames: &[StackFrame]) {
        let version = shared.version;
        self.write_record(shared, max_stack_len(frames.len()), |dst| put_stack(dst, version, id, frames));
    }
}

/// Which P a handle stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A real P, returned to its slot when dropped.
    P(u32),
    /// The no-P buffer, lent by [`Tracer::with_no_p`](crate::Tracer::with_no_p).
    NoP,
}

/// A P handle: the right to write one P's events, into a 64 KiB buffer of its own, without
/// locking. Get one from [`Tracer::proc`](crate::Tracer::proc) and move it to the thread that
/// produces that P's events; dropping it keeps the P's buffer and state for its next holder.
///
/// Every event method takes the time `ts` in ticks (see
/// [`TracerOptions::frequency`](crate::TracerOptions::frequency)). A time not after the P's
/// previous event becomes that event's tick + 1, and an event that follows another event of the
/// same goroutine, GC cycle, stop or task is never stamped before it, so the trace stays
/// consistent whatever the clocks say.
///
/// The goroutine operations follow the runtime: `go_create` hands out a [`Runnable`] handle,
/// `go_start` runs it on this P, `go_block`/`go_sleep` give back a [`Waiting`] one that
/// `go_unblock` (on any P) makes runnable again, and so on. Sequence numbers and the `Local`
/// variants are chosen as the runtime chooses them. Operations that would make the trace
/// inconsistent are refused with a [`StateError`] before anything is written.
///
/// ```
/// use gotrace_writer::{BlockReason, Frame, StackId, Tracer, TracerOptions};
/// let tracer = Tracer::new(Vec::new(), TracerOptions::default().procs(2))?;
/// let start = tracer.stack(&[Frame { pc: 0x401000, func: "main.worker", file: "main.go", line: 10 }])?;
/// let recv = tracer.stack(&[Frame { pc: 0x401080, func: "main.worker", file: "main.go", line: 14 }])?;
/// let mut p0 = tracer.proc(0)?;
/// let mut p1 = tracer.proc(1)?;
/// p0.proc_start(100, 1)?;
/// p1.proc_start(100, 2)?;
/// let g = p0.go_create(110, start, StackId::NONE)?;
/// p0.go_start(120, g).map_err(|r| r.error)?;               // GoStartLocal: created on P 0
/// let g = p0.go_block(130, BlockReason::Recv, recv)?;        // GoBlockRecv
/// let g = p1.go_unblock(140, g, StackId::NONE);              // GoUnblock g=1 seq=2 on P 1
/// p1.go_start(150, g).map_err(|r| r.error)?;                 // GoStartLocal on P 1
/// p1.go_end(160)?;
/// p1.proc_stop(170)?;
/// p0.proc_stop(180)?;
/// drop((p0, p1));
/// let trace = tracer.finish()?;
/// assert_eq!(&trace[..16], b"go 1.19 trace\0\0\0");
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Debug)]
pub struct Proc<'t> {
    shared: &'t Shared,
    st: ProcState,
    kind: Kind,
}

impl<'t> Proc<'t> {
    pub(crate) fn new(shared: &'t Shared, st: ProcState, p: u32) -> Proc<'t> {
        Proc { shared, st, kind: Kind::P(p) }
    }

    pub(crate) fn no_p(shared: &'t Shared, st: ProcState) -> Proc<'t> {
        Proc { shared, st, kind: Kind::NoP }
    }

    /// Gives the state back (the no-P buffer's lender keeps it).
    pub(crate) fn into_state(mut self) -> ProcState {
        std::mem::replace(&mut self.st, ProcState::new(-1))
    }

    /// The P's id; `None` for the no-P buffer.
    #[must_use]
    pub fn id(&self) -> Option<u32> {
        match self.kind {
            Kind::P(p) => Some(p),
            Kind::NoP => None,
        }
    }

    /// The tick of the P's last event (0 before any).
    #[must_use]
    pub fn last_tick(&self) -> u64 {
        self.st.last
    }

    /// Events this P has written (by all its holders).
    #[must_use]
    pub fn events(&self) -> u64 {
        self.st.counts.iter().sum()
    }

    /// The goroutine running on this P.
    #[must_use]
    pub fn running(&self) -> Option<super::GoId> {
        self.st.running.as_ref().map(|g| super::GoId(g.id))
    }

    #[inline(always)]
    fn put(&mut self, ts: u64, ev: Event<'_>) -> u64 {
        match Wire::of(&ev, self.shared.version) {
            Ok(wire) => self.st.write(self.shared, ts, &wire, ev.message()),
            // Only STW reasons can fail, and `stw_start` checks them first.
            Err(_) => self.st.last,
        }
    }

    /// Writes `event` as is, bypassing the state model: the caller answers for the trace's
    /// consistency (sequence numbers, states, ids). Returns the tick written.
    /// Errors: [`Error::StwReason`].
    ///
    /// ```
    /// # use gotrace_writer::{Event, Tracer, TracerOptions};
    /// # let tracer = Tracer::new(Vec::new(), TracerOptions::default())?;
    /// let mut p = tracer.proc(0)?;
    /// assert_eq!(p.emit(50, &Event::HeapAlloc { mem: 4096 })?, 50);
    /// assert_eq!(p.emit(40, &Event::HeapAlloc { mem: 8192 })?, 51); // never before the last
    /// # Ok::<(), gotrace_writer::Error>(())
    /// ```
    pub fn emit(&mut self, ts: u64, event: &Event<'_>) -> Result<u64, Error> {
        let wire = Wire::of(event, self.shared.version)?;
        Ok(self.st.write(self.shared, ts, &wire, event.message()))
    }

    /// The id of `text`, interned; its string record is written into this P's buffer the first
    /// time (the table's lock is released before). Texts over 65 472 bytes are cut, as the
    /// runtime cuts them to its buffer.
    pub fn string(&mut self, text: &str) -> StringId {
        let (id, new) = self.shared.strings.intern(text);
        if new {
            self.st.write_string(self.shared, id, text);
        }
        id
    }

    fn running_mut(&mut self) -> Result<&mut GoState, StateError> {
        self.st.running.as_mut().ok_or(StateError::NoRunningGoroutine)
    }

    fn id_for_seq(&self) -> i64 {
        match self.kind {
            Kind::P(p) => i64::from(p),
            Kind::NoP => NO_LAST_P,
        }
    }

    // ---- Ps ----------------------------------------------------------------------------

    /// The P starts running on thread (M) `thread`: `ProcStart`.
    pub fn proc_start(&mut self, ts: u64, thread: u64) -> Result<(), StateError> {
        if self.kind == Kind::NoP {
            return Err(StateError::NoP);
        }
        if self.st.started {
            return Err(StateError::ProcStarted);
        }
        self.put(ts, Event::ProcStart { thread });
        self.st.started = true;
        Ok(())
    }

    /// The P stops: `ProcStop`. Refused while a goroutine runs on it.
    pub fn proc_stop(&mut self, ts: u64) -> Result<(), StateError> {
        if self.kind == Kind::NoP {
            return Err(StateError::NoP);
        }
        if !self.st.started {
            return Err(StateError::ProcNotStarted);
        }
        if let Some(g) = &self.st.running {
            return Err(StateError::GoroutineRunning { g: g.id });
        }
        self.put(ts, Event::ProcStop);
        self.st.started = false;
        Ok(())
    }

    /// `GOMAXPROCS` is set to `procs`: `Gomaxprocs` (the runtime writes one when tracing
    /// starts; Go's utilisation analysis wants it before any GC event).
    pub fn gomaxprocs(&mut self, ts: u64, procs: u32, stack: StackId) {
        self.put(ts, Event::Gomaxprocs { procs: u64::from(procs), stack: stack.0 });
    }

    // ---- goroutines ----------------------------------------------------------------------

    fn new_goroutine(&mut self, ts: u64, start: StackId, stack: StackId) -> Result<GoState, StateError> {
        if start == StackId::NONE {
            return Err(StateError::NoStartStack);
        }
        let g = self.shared.new_goroutine_id();
        let tick = self.put(ts, Event::GoCreate { g, start_stack: start.0, stack: stack.0 });
        Ok(GoState::new(g, self.id_for_seq(), 0, tick))
    }

    /// A new goroutine, whose start function is the one frame of `start` (required: Go's tools
    /// name goroutines by it), created by the running goroutine (or by the scheduler if none) at
    /// `stack`: `GoCreate`.
    pub fn go_create(&mut self, ts: u64, start: StackId, stack: StackId) -> Result<Runnable, StateError> {
        self.new_goroutine(ts, start, stack).map(Runnable)
    }

    /// A goroutine that was already blocked when tracing started: `GoCreate` then `GoWaiting`,
    /// as the runtime writes its snapshot of existing goroutines.
    pub fn go_create_waiting(
        &mut self,
        ts: u64,
        start: StackId,
        stack: StackId,
    ) -> Result<Waiting, StateError> {
        let mut g = self.new_goroutine(ts, start, stack)?;
        g.seq += 1;
        g.tick = self.put(g.tick, Event::GoWaiting { g: g.id });
        Ok(Waiting(g))
    }

    /// A goroutine that was already in a syscall when tracing started: `GoCreate` then
    /// `GoInSyscall`.
    pub fn go_create_in_syscall(
        &mut self,
        ts: u64,
        start: StackId,
        stack: StackId,
    ) -> Result<InSyscall, StateError> {
        let mut g = self.new_goroutine(ts, start, stack)?;
        g.seq += 1;
        g.tick = self.put(g.tick, Event::GoInSyscall { g: g.id });
        Ok(InSyscall(g))
    }

    fn can_start(&self) -> Result<(), StateError> {
        if !self.st.started {
            return Err(StateError::ProcNotStarted);
        }
        if let Some(r) = &self.st.running {
            return Err(StateError::GoroutineRunning { g: r.id });
        }
        Ok(())
    }

    /// Runs `g` on this P: `GoStartLocal` when its previous sequenced event is in this P's
    /// buffer, else `GoStart` with its sequence number. Refused (the handle given back) unless
    /// the P is started and idle.
    pub fn go_start(&mut self, ts: u64, g: Runnable) -> Result<(), Refused<Runnable>> {
        if let Err(error) = self.can_start() {
            return Err(Refused { error, handle: g });
        }
        let mut g = g.0;
        g.seq += 1;
        let p = self.id_for_seq();
        let ev = if g.last_p == p {
            Event::GoStartLocal { g: g.id }
        } else {
            g.last_p = p;
            Event::GoStart { g: g.id, seq: g.seq }
        };
        g.tick = self.put(ts.max(g.tick), ev);
        self.st.running = Some(g);
        Ok(())
    }

    /// Runs GC mark worker `g` on this P: `GoStartLabel` with the worker's label.
    pub fn go_start_label(
        &mut self,
        ts: u64,
        g: Runnable,
        worker: GcWorker,
    ) -> Result<(), Refused<Runnable>> {
        if let Err(error) = self.can_start() {
            return Err(Refused { error, handle: g });
        }
        let label = self.string(worker.label());
        let mut g = g.0;
        g.seq += 1;
        g.last_p = self.id_for_seq();
        g.tick = self.put(ts.max(g.tick), Event::GoStartLabel { g: g.id, seq: g.seq, label: label.0 });
        self.st.running = Some(g);
        Ok(())
    }

    /// Takes the running goroutine off the P with `ev`.
    fn stop_running(&mut self, ts: u64, ev: Event<'_>) -> Result<GoState, StateError> {
        let mut g = self.st.running.take().ok_or(StateError::NoRunningGoroutine)?;
        g.tick = self.put(ts, ev);
        Ok(g)
    }

    /// The running goroutine ends: `GoEnd`.
    pub fn go_end(&mut self, ts: u64) -> Result<(), StateError> {
        self.stop_running(ts, Event::GoEnd).map(drop)
    }

    /// The running goroutine stops forever (`select {}`): `GoStop`.
    pub fn go_stop(&mut self, ts: u64, stack: StackId) -> Result<(), StateError> {
        self.stop_running(ts, Event::GoStop { stack: stack.0 }).map(drop)
    }

    /// The running goroutine yields (`runtime.Gosched`): `GoSched`.
    pub fn go_sched(&mut self, ts: u64, stack: StackId) -> Result<Runnable, StateError> {
        self.stop_running(ts, Event::GoSched { stack: stack.0 }).map(Runnable)
    }

    /// The running goroutine is preempted: `GoPreempt`.
    pub fn go_preempt(&mut self, ts: u64, stack: StackId) -> Result<Runnable, StateError> {
        self.stop_running(ts, Event::GoPreempt { stack: stack.0 }).map(Runnable)
    }

    /// The running goroutine sleeps (`time.Sleep`): `GoSleep`.
    pub fn go_sleep(&mut self, ts: u64, stack: StackId) -> Result<Waiting, StateError> {
        self.stop_running(ts, Event::GoSleep { stack: stack.0 }).map(Waiting)
    }

    /// The running goroutine blocks for `reason`: `GoBlock`, `GoBlockSend`, … `GoBlockGC`.
    pub fn go_block(&mut self, ts: u64, reason: BlockReason, stack: StackId) -> Result<Waiting, StateError> {
        let stack = stack.0;
        let ev = match reason {
            BlockReason::Other => Event::GoBlock { stack },
            BlockReason::Send => Event::GoBlockSend { stack },
            BlockReason::Recv => Event::GoBlockRecv { stack },
            BlockReason::Select => Event::GoBlockSelect { stack },
            BlockReason::Sync => Event::GoBlockSync { stack },
            BlockReason::Cond => Event::GoBlockCond { stack },
            BlockReason::Net => Event::GoBlockNet { stack },
            BlockReason::Gc => Event::GoBlockGc { stack },
        };
        self.stop_running(ts, ev).map(Waiting)
    }

    /// Makes `g` runnable, by the running goroutine (or the scheduler if none) at `stack`:
    /// `GoUnblockLocal` when `g`'s previous sequenced event is in this P's buffer, else
    /// `GoUnblock` with its sequence number. Never before `g` blocked.
    pub fn go_unblock(&mut self, ts: u64, g: Waiting, stack: StackId) -> Runnable {
        let mut g = g.0;
        g.seq += 1;
        let p = self.id_for_seq();
        let ev = if g.last_p == p && p != NO_LAST_P {
            Event::GoUnblockLocal { g: g.id, stack: stack.0 }
        } else {
            g.last_p = p;
            Event::GoUnblock { g: g.id, seq: g.seq, stack: stack.0 }
        };
        g.tick = self.put(ts.max(g.tick), ev);
        Runnable(g)
    }

    /// The running goroutine enters a syscall: `GoSysCall`. If the syscall blocks, follow with
    /// [`go_sys_block`](Proc::go_sys_block); else the goroutine just goes on.
    pub fn go_syscall(&mut self, ts: u64, stack: StackId) -> Result<(), StateError> {
        let tick = self.st.tick_for(ts);
        self.running_mut()?.tick = tick;
        self.put(tick, Event::GoSysCall { stack: stack.0 });
        Ok(())
    }

    /// The running goroutine's syscall blocks and the P is handed off: `GoSysBlock`.
    pub fn go_sys_block(&mut self, ts: u64) -> Result<InSyscall, StateError> {
        self.stop_running(ts, Event::GoSysBlock).map(InSyscall)
    }

    /// `g` returns from its syscall and is runnable: `GoSysExit`, written on the P it will run
    /// on (the runtime writes it right before the goroutine's `GoStart`). `real_ticks` is when
    /// the syscall really returned (0: unknown); it is kept between the block and this event.
    pub fn go_sys_exit(&mut self, ts: u64, g: InSyscall, real_ticks: u64) -> Runnable {
        let mut g = g.0;
        let tick = self.st.tick_for(ts.max(g.tick));
        let real_ticks = if real_ticks == 0 { 0 } else { real_ticks.clamp(g.tick.max(1), tick) };
        g.seq += 1;
        g.last_p = self.id_for_seq();
        g.tick = self.put(tick, Event::GoSysExit { g: g.id, seq: g.seq, real_ticks });
        Runnable(g)
    }

    // ---- GC ----------------------------------------------------------------------------

    /// A GC cycle starts: `GCStart` with the next GC sequence number. Refused while another
    /// cycle runs.
    pub fn gc_start(&mut self, ts: u64, stack: StackId) -> Result<GcCycle, StateError> {
        let (seq, floor) = self.shared.world_begin_gc()?;
        let tick = self.put(ts.max(floor), Event::GcStart { seq, stack: stack.0 });
        Ok(GcCycle { seq, tick })
    }

    /// The GC cycle ends: `GCDone`.
    pub fn gc_done(&mut self, ts: u64, cycle: GcCycle) {
        // A tick after the start: at the same tick on another P it could be ordered first.
        let tick = self.put(ts.max(cycle.tick + 1), Event::GcDone);
        self.shared.world_end_gc(tick);
    }

    /// The world stops for `reason`: `GCSTWStart` (`STWStart` in 1.21). Refused while it is
    /// stopped, and for reasons the version cannot express (Go 1.19: only the two GC stops).
    pub fn stw_start(&mut self, ts: u64, reason: StwReason) -> Result<Stw, Error> {
        let version = self.shared.version;
        if reason.code(version).is_none() {
            return Err(Error::StwReason { reason, version });
        }
        let floor = self.shared.world_begin_stw()?;
        let tick = self.put(ts.max(floor), Event::StwStart { reason });
        Ok(Stw { tick })
    }

    /// The world restarts: `GCSTWDone` (`STWDone`).
    pub fn stw_done(&mut self, ts: u64, stw: Stw) {
        let tick = self.put(ts.max(stw.tick + 1), Event::StwDone);
        self.shared.world_end_stw(tick);
    }

    /// The P starts sweeping: `GCSweepStart`.
    pub fn gc_sweep_start(&mut self, ts: u64, stack: StackId) -> Result<(), StateError> {
        if self.st.sweeping {
            return Err(StateError::SweepRunning);
        }
        self.put(ts, Event::GcSweepStart { stack: stack.0 });
        self.st.sweeping = true;
        Ok(())
    }

    /// The P stops sweeping, having swept and reclaimed those bytes: `GCSweepDone`.
    pub fn gc_sweep_done(&mut self, ts: u64, swept: u64, reclaimed: u64) -> Result<(), StateError> {
        if !self.st.sweeping {
            return Err(StateError::NoSweep);
        }
        self.put(ts, Event::GcSweepDone { swept, reclaimed });
        self.st.sweeping = false;
        Ok(())
    }

    /// The running goroutine starts a mark assist: `GCMarkAssistStart`.
    pub fn gc_mark_assist_start(&mut self, ts: u64, stack: StackId) -> Result<(), StateError> {
        let tick = self.st.tick_for(ts);
        let g = self.running_mut()?;
        if g.assisting {
            return Err(StateError::MarkAssistRunning);
        }
        g.assisting = true;
        g.tick = tick;
        self.put(tick, Event::GcMarkAssistStart { stack: stack.0 });
        Ok(())
    }

    /// The running goroutine's mark assist ends: `GCMarkAssistDone`.
    pub fn gc_mark_assist_done(&mut self, ts: u64) -> Result<(), StateError> {
        let tick = self.st.tick_for(ts);
        let g = self.running_mut()?;
        if !g.assisting {
            return Err(StateError::NoMarkAssist);
        }
        g.assisting = false;
        g.tick = tick;
        self.put(tick, Event::GcMarkAssistDone);
        Ok(())
    }

    /// Live heap bytes: `HeapAlloc`.
    pub fn heap_alloc(&mut self, ts: u64, bytes: u64) {
        self.put(ts, Event::HeapAlloc { mem: bytes });
    }

    /// The next GC goal: `HeapGoal`.
    pub fn heap_goal(&mut self, ts: u64, bytes: u64) {
        self.put(ts, Event::HeapGoal { mem: bytes });
    }

    // ---- user annotations ----------------------------------------------------------------

    /// A new task of type `name`, child of `parent`: `UserTaskCreate`.
    pub fn task_create(&mut self, ts: u64, parent: TaskId, name: StringId, stack: StackId) -> Task {
        let task = self.shared.new_task_id();
        let tick =
            self.put(ts, Event::UserTaskCreate { task, parent: parent.0, name: name.0, stack: stack.0 });
        Task { id: task, tick }
    }

    /// The task ends: `UserTaskEnd`.
    pub fn task_end(&mut self, ts: u64, task: Task, stack: StackId) {
        self.put(ts.max(task.tick), Event::UserTaskEnd { task: task.id, stack: stack.0 });
    }

    /// The running goroutine opens a region of type `name` in `task`: `UserRegion` mode 0.
    pub fn region_start(
        &mut self,
        ts: u64,
        task: TaskId,
        name: StringId,
        stack: StackId,
    ) -> Result<Region, StateError> {
        let g = self.running_mut()?;
        g.regions.push((task.0, name.0));
        let region = Region { g: g.id, task: task.0, name: name.0, depth: g.regions.len() };
        let tick = self.put(ts, Event::UserRegion { task: task.0, mode: 0, name: name.0, stack: stack.0 });
        self.running_mut()?.tick = tick;
        Ok(region)
    }

    /// The running goroutine closes `region`, which must be its innermost open region:
    /// `UserRegion` mode 1.
    pub fn region_end(&mut self, ts: u64, region: Region, stack: StackId) -> Result<(), Refused<Region>> {
        let innermost = match self.st.running.as_mut() {
            None => Err(StateError::NoRunningGoroutine),
            Some(g) if g.id == region.g && g.regions.len() == region.depth => Ok(g),
            Some(_) => Err(StateError::RegionNotInnermost),
        };
        let g = match innermost {
            Ok(g) => g,
            Err(error) => return Err(Refused { error, handle: region }),
        };
        g.regions.pop();
        let tick =
            self.put(ts, Event::UserRegion { task: region.task, mode: 1, name: region.name, stack: stack.0 });
        if let Some(g) = self.st.running.as_mut() {
            g.tick = tick;
        }
        Ok(())
    }

    /// A log message in `task` under the category `key`: `UserLog`. Messages over 65 472
    /// bytes are cut, as the runtime cuts them to its buffer.
    pub fn log(&mut self, ts: u64, task: TaskId, key: StringId, message: &str, stack: StackId) {
        self.put(
            ts,
            Event::UserLog { task: task.0, key: key.0, stack: stack.0, message: message.as_bytes() },
        );
    }
}

impl Drop for Proc<'_> {
    fn drop(&mut self) {
        if let Kind::P(p) = self.kind {
            let st = std::mem::replace(&mut self.st, ProcState::new(-1));
            self.shared.return_proc(p, st);
        }
    }
}
