//! The writers' state model: handles for goroutines, GC cycles, stops, tasks and regions,
//! shared by the legacy and the modern tracer.
//!
//! A goroutine's state is a type: [`Runnable`], [`Waiting`] and [`InSyscall`] are owned
//! handles that the [`Proc`](crate::Proc) and [`Thread`](crate::modern::Thread) operations
//! consume and return, and a running goroutine is held by the P or thread that runs it. Each
//! handle carries what the runtime keeps in its `g` for tracing — the sequence number, the P of
//! the goroutine's last sequenced event (legacy: to choose the `Local` event variants as the
//! runtime does), the generation its sequence counts in (modern) — and the tick of its last event,
//! so that an event on another P is never stamped before the event it follows (a Lamport
//! clock): whatever clocks the caller gives, the merged order Go computes is consistent.

/// A goroutine id (ids are handed out by the tracer, from 1; 0 is "no goroutine").
///
/// ```
/// # use gotrace_writer::{Frame, Tracer, TracerOptions};
/// # let tracer = Tracer::new(Vec::new(), TracerOptions::default())?;
/// # let start = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }])?;
/// let mut p = tracer.proc(0)?;
/// let g = p.go_create(10, start, gotrace_writer::StackId::NONE)?;
/// assert_eq!(g.id().get(), 1);
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GoId(pub(crate) u64);

impl GoId {
    /// The id as written in the trace.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// "No P yet": the goroutine's last sequenced event is on no P's buffer.
pub(crate) const NO_LAST_P: i64 = i64::MIN;

/// What the tracer knows of a goroutine.
#[derive(Debug)]
pub(crate) struct GoState {
    pub(crate) id: u64,
    /// Sequenced events so far (modern: in `seq_gen`); the next `GoStart`/`GoUnblock`/
    /// `GoSysExit` writes `seq + 1`.
    pub(crate) seq: u64,
    /// Legacy: P of its last sequenced event ([`NO_LAST_P`] in modern traces).
    pub(crate) last_p: i64,
    /// Modern: the generation `seq` counts in (it starts again from 0 in each generation, after
    /// the goroutine's status; 0 in legacy traces).
    pub(crate) seq_gen: u64,
    /// Tick of its last event.
    pub(crate) tick: u64,
    /// In a mark assist.
    pub(crate) assisting: bool,
    /// Open regions, innermost last: (task, name).
    pub(crate) regions: Vec<(u64, u64)>,
    /// Modern: its slot in the tracer's goroutine book (0 in legacy traces).
    pub(crate) slot: u64,
}

impl GoState {
    /// A goroutine just created, at `tick`: legacy, on P `last_p`; modern, with its status
    /// counting its sequence in generation `seq_gen`.
    pub(crate) fn new(id: u64, last_p: i64, seq_gen: u64, tick: u64) -> GoState {
        GoState { id, seq: 0, last_p, seq_gen, tick, assisting: false, regions: Vec::new(), slot: 0 }
    }
}

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        #[must_use = "a goroutine handle dropped leaves the goroutine in its state for good"]
        pub struct $name(pub(crate) GoState);

        impl $name {
            /// The goroutine's id.
            #[must_use]
            pub fn id(&self) -> GoId {
                GoId(self.0.id)
            }
        }
    };
}

handle! {
    /// A goroutine that may run: created, preempted, yielded, unblocked or back from a
    /// syscall. [`Proc::go_start`](crate::Proc::go_start) (legacy) or
    /// [`Thread::go_start`](crate::modern::Thread::go_start) (modern) runs it.
    Runnable
}

handle! {
    /// A blocked or sleeping goroutine. [`Proc::go_unblock`](crate::Proc::go_unblock) or
    /// [`Thread::go_unblock`](crate::modern::Thread::go_unblock) (on any thread) makes it
    /// runnable.
    Waiting
}

handle! {
    /// A goroutine blocked in a syscall (its P was handed off).
    /// [`Proc::go_sys_exit`](crate::Proc::go_sys_exit) brings it back.
    InSyscall
}

/// Why a goroutine blocks; each reason is its own event type.
///
/// ```
/// use gotrace_writer::BlockReason;
/// assert_eq!(BlockReason::Recv.event_type().name_1_19(), "GoBlockRecv");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum BlockReason {
    /// Other (`GoBlock`): `select {}` with no cases, `sync.WaitGroup`…
    Other,
    /// Channel send.
    Send,
    /// Channel receive.
    Recv,
    /// `select`.
    Select,
    /// `sync.Mutex` / `RWMutex`.
    Sync,
    /// `sync.Cond`.
    Cond,
    /// Network poller.
    Net,
    /// GC assist.
    Gc,
}

impl BlockReason {
    /// The event type written for this reason.
    #[must_use]
    pub fn event_type(self) -> gotrace_format::legacy::EventType {
        use gotrace_format::legacy::EventType as T;
        match self {
            BlockReason::Other => T::GO_BLOCK,
            BlockReason::Send => T::GO_BLOCK_SEND,
            BlockReason::Recv => T::GO_BLOCK_RECV,
            BlockReason::Select => T::GO_BLOCK_SELECT,
            BlockReason::Sync => T::GO_BLOCK_SYNC,
            BlockReason::Cond => T::GO_BLOCK_COND,
            BlockReason::Net => T::GO_BLOCK_NET,
            BlockReason::Gc => T::GO_BLOCK_GC,
        }
    }
}

/// The mode of a GC mark worker, written as the label of its `GoStartLabel`.
///
/// ```
/// assert_eq!(gotrace_writer::GcWorker::Dedicated.label(), "GC (dedicated)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum GcWorker {
    /// A dedicated worker.
    Dedicated,
    /// A fractional worker.
    Fractional,
    /// An idle-time worker.
    Idle,
}

impl GcWorker {
    /// The runtime's label.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            GcWorker::Dedicated => "GC (dedicated)",
            GcWorker::Fractional => "GC (fractional)",
            GcWorker::Idle => "GC (idle)",
        }
    }
}

/// A running GC cycle, from [`Proc::gc_start`](crate::Proc::gc_start) to
/// [`Proc::gc_done`](crate::Proc::gc_done). At most one exists at a time.
#[derive(Debug)]
#[must_use = "a GC cycle dropped never ends"]
pub struct GcCycle {
    pub(crate) seq: u64,
    pub(crate) tick: u64,
}

impl GcCycle {
    /// The cycle's sequence number (0 for the trace's first).
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// A stopped world, from [`Proc::stw_start`](crate::Proc::stw_start) to
/// [`Proc::stw_done`](crate::Proc::stw_done). At most one exists at a time.
#[derive(Debug)]
#[must_use = "a stop dropped never ends"]
pub struct Stw {
    pub(crate) tick: u64,
}

/// A task id; [`TaskId::BACKGROUND`] (0) is no task.
///
/// ```
/// assert_eq!(gotrace_writer::TaskId::BACKGROUND.get(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl TaskId {
    /// The background task.
    pub const BACKGROUND: TaskId = TaskId(0);

    /// The id as written in the trace.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// An open user task (`trace.NewTask`), ended by [`Proc::task_end`](crate::Proc::task_end).
#[derive(Debug)]
#[must_use = "a task dropped never ends"]
pub struct Task {
    pub(crate) id: u64,
    pub(crate) tick: u64,
}

impl Task {
    /// The task's id, for child tasks, regions and logs.
    #[must_use]
    pub fn id(&self) -> TaskId {
        TaskId(self.id)
    }
}

/// An open user region of a goroutine, ended by
/// [`Proc::region_end`](crate::Proc::region_end) on the goroutine that opened it, innermost
/// first.
#[derive(Debug)]
#[must_use = "a region dropped never ends"]
pub struct Region {
    pub(crate) g: u64,
    pub(crate) task: u64,
    pub(crate) name: u64,
    pub(crate) depth: usize,
}
