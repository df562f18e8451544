//! The modern state model's handles: goroutines and Ps as owned values whose type is their
//! state, each carrying what the runtime keeps for tracing — its sequence number in the current
//! generation and the generation of its last status event — and the tick of its last event, so
//! that an event on another thread is never stamped before the event it follows.

use crate::GoId;

/// What the tracer knows of a goroutine.
#[derive(Debug)]
pub(crate) struct GoState {
    pub(crate) id: u64,
    /// Sequenced events in `status_gen` (the next `GoStart`/`GoUnblock` writes `seq + 1`).
    pub(crate) seq: u64,
    /// Generation of its last status (creation counts): before its first event of a later
    /// generation, a `GoStatus` is written.
    pub(crate) status_gen: u64,
    /// Tick of its last event.
    pub(crate) tick: u64,
    /// In a mark assist.
    pub(crate) assisting: bool,
    /// Open regions, innermost last: (task, name).
    pub(crate) regions: Vec<(u64, u64)>,
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
    /// A goroutine that may run: created, yielded, preempted, unblocked or back from a
    /// syscall. [`Thread::go_start`](crate::modern::Thread::go_start) runs it.
    Runnable
}

handle! {
    /// A blocked or sleeping goroutine. [`Thread::go_unblock`](crate::modern::Thread::go_unblock)
    /// (on any thread) makes it runnable.
    Waiting
}

/// What the tracer knows of a P.
#[derive(Debug)]
pub(crate) struct PState {
    pub(crate) id: u32,
    pub(crate) seq: u64,
    pub(crate) status_gen: u64,
    pub(crate) tick: u64,
    pub(crate) sweeping: bool,
}

/// An idle P, ready for [`Thread::proc_start`](crate::modern::Thread::proc_start); get one from
/// [`Tracer::proc`](crate::modern::Tracer::proc) or from a stop or a steal.
#[derive(Debug)]
#[must_use = "a P handle dropped leaves the P idle for good"]
pub struct Proc(pub(crate) PState);

impl Proc {
    /// The P's id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.0.id
    }
}

/// A P left behind by a thread whose goroutine is in a syscall
/// ([`Thread::go_syscall_release`](crate::modern::Thread::go_syscall_release)): its thread takes
/// it back ([`Thread::go_syscall_retake`](crate::modern::Thread::go_syscall_retake)), or any
/// thread steals it ([`Thread::proc_steal`](crate::modern::Thread::proc_steal)).
#[derive(Debug)]
#[must_use = "a P handle dropped leaves the P in a syscall for good"]
pub struct SyscallProc {
    pub(crate) p: PState,
    /// The thread in the syscall.
    pub(crate) m: u64,
}

impl SyscallProc {
    /// The P's id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.p.id
    }

    /// The thread whose goroutine is in the syscall.
    #[must_use]
    pub fn thread(&self) -> u64 {
        self.m
    }
}
