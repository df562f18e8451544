//! The modern state model's P handles (the goroutine handles are the legacy tracer's): Ps as
//! owned values whose type is their state, each carrying what the runtime keeps for tracing —
//! its sequence number and the generation it counts in (the generation of each P's last status
//! is in the tracer's [`ProcBook`](super::book::ProcBook)) —
//! and the tick of its last event, so that an event on another thread is never stamped before
//! the event it follows.

/// What the tracer knows of a P.
#[derive(Debug)]
pub(crate) struct PState {
    pub(crate) id: u32,
    pub(crate) seq: u64,
    /// The generation `seq` counts in.
    pub(crate) seq_gen: u64,
    pub(crate) tick: u64,
    pub(crate) sweeping: bool,
}

/// An idle P, ready for [`Thread::proc_start`](crate::modern::Thread::proc_start); get one from
/// [`Tracer::proc`](crate::modern::Tracer::proc) or from a stop or a steal.
///
/// ```
/// # use gotrace_writer::modern::{Tracer, TracerOptions};
/// let tracer = Tracer::new(Vec::new(), TracerOptions::new(gotrace_format::Version::Go1_23).procs(2))?;
/// let p = tracer.proc(1)?;
/// assert_eq!(p.id(), 1);
/// let mut m = tracer.thread(0)?;
/// m.proc_start(10, p).map_err(|r| r.error)?; // ProcStatus Idle, then ProcStart
/// let p = m.proc_stop(20)?;
/// assert_eq!((p.id(), m.proc_id()), (1, None));
/// # drop(p);
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
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
///
/// ```
/// # use gotrace_writer::modern::{Tracer, TracerOptions};
/// # use gotrace_writer::{Frame, StackId};
/// let tracer = Tracer::new(Vec::new(), TracerOptions::new(gotrace_format::Version::Go1_23).threads(2))?;
/// let f = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }]);
/// let (mut m0, mut m1) = (tracer.thread(0)?, tracer.thread(1)?);
/// m0.proc_start(10, tracer.proc(0)?).map_err(|r| r.error)?;
/// let g = m0.go_create(11, f, StackId::NONE)?;
/// m0.go_start(12, g).map_err(|r| r.error)?;
/// m0.go_syscall_begin(13, f)?;
/// let p = m0.go_syscall_release()?; // the syscall blocks
/// assert_eq!((p.id(), p.thread()), (0, 0));
/// let p = m1.proc_steal(14, p); // sysmon retakes the P: ProcSteal p=0 m=0
/// m1.proc_start(15, p).map_err(|r| r.error)?;
/// let g = m0.go_syscall_end_blocked(16)?; // back without a P
/// # drop(g);
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
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
