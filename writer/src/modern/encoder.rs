//! The modern encoder: one record → bytes, exactly as the Go 1.23 – 1.27 runtime encodes it.
//!
//! A timed event is its type byte, then the timestamp delta and the arguments as minimal LEB128
//! varints (no length prefix). A batch header is `EventBatch`, then `gen`, `m` and `time`
//! minimal, and the body size as the runtime's 10-byte padded varint (it is known only at the
//! end, and patched in). Table batches start with their kind byte (`Strings`, `Stacks`,
//! `CPUSamples`, `Frequency` in 23, `Sync` in 26); version 26 ends each generation with the lone
//! byte `EndOfGeneration`.

use gotrace_format::modern::{EventType, MAX_STACK_FRAMES, MAX_STRING_LEN};
use gotrace_format::varint::{self, MAX_LEN};
use gotrace_format::Version;

use crate::encoder::{append, put_text};
use crate::{Error, StackFrame};

/// Largest encoding of a timed event: the type byte and five varints (`dt` and at most four
/// arguments).
pub const MAX_EVENT_LEN: usize = 1 + 5 * MAX_LEN;

/// Largest batch header: type byte, `gen`, `m`, `time`, the padded size.
pub const MAX_BATCH_HEADER_LEN: usize = 1 + 4 * MAX_LEN;

/// The `m` of a batch written by no thread (the runtime's global writers), and the "no thread"
/// of `GoStatus`; also the "no P" of a CPU sample.
pub const NO_THREAD: u64 = u64::MAX;

/// A goroutine's status as `GoStatus` writes it (wire values 1 – 4).
///
/// ```
/// assert_eq!(gotrace_writer::modern::GoStatus::Waiting as u64, 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GoStatus {
    /// Runnable, waiting for a P.
    Runnable = 1,
    /// Running on a thread.
    Running = 2,
    /// In a syscall.
    Syscall = 3,
    /// Blocked.
    Waiting = 4,
}

/// A P's status as `ProcStatus` writes it (wire values 1 – 4).
///
/// ```
/// assert_eq!(gotrace_writer::modern::ProcStatus::Idle as u64, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcStatus {
    /// Running on a thread.
    Running = 1,
    /// Idle.
    Idle = 2,
    /// Its thread is in a syscall.
    Syscall = 3,
    /// In a syscall on a thread the writer cannot name (written only before a `ProcSteal`).
    SyscallAbandoned = 4,
}

/// One timed event of the modern format (versions 23 and 26), with its arguments as they go on
/// the wire: ids of strings and stacks are the generation's wire ids (0 = none), goroutine, P,
/// thread and task ids the runtime's, [`NO_THREAD`] for "no thread". The timestamp delta is given
/// apart, to [`Encoder::event`].
///
/// ```
/// use gotrace_writer::modern::{Encoder, Event};
/// use gotrace_format::{modern::EventType, Version};
/// let ev = Event::GoStart { g: 19, g_seq: 1 };
/// assert_eq!(ev.event_type(), EventType::GO_START);
/// let mut out = Vec::new();
/// Encoder::new(Version::Go1_23)?.event(&mut out, 667, &ev);
/// assert_eq!(out, [0x10, 0x9b, 0x05, 0x13, 0x01]);
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)] // the fields are named as Go's `-d=wire` names them
pub enum Event {
    /// GOMAXPROCS is `procs`.
    ProcsChange { procs: u64, stack: u64 },
    /// The thread takes idle P `p`.
    ProcStart { p: u64, p_seq: u64 },
    /// The thread gives up its P.
    ProcStop,
    /// The thread takes P `p` from thread `m`, which is (or was) in a syscall.
    ProcSteal { p: u64, p_seq: u64, m: u64 },
    /// P `p`'s status, at its first use in a generation.
    ProcStatus { p: u64, status: ProcStatus },
    /// Goroutine `g` is created, runnable.
    GoCreate { g: u64, start_stack: u64, stack: u64 },
    /// Goroutine `g` appears in a syscall on this thread (a cgo callback).
    GoCreateSyscall { g: u64 },
    /// Goroutine `g` starts running.
    GoStart { g: u64, g_seq: u64 },
    /// The running goroutine ends.
    GoDestroy,
    /// The goroutine in a syscall on this thread ends.
    GoDestroySyscall,
    /// The running goroutine yields, runnable (reason: a string id).
    GoStop { reason: u64, stack: u64 },
    /// The running goroutine blocks (reason: a string id).
    GoBlock { reason: u64, stack: u64 },
    /// Goroutine `g` becomes runnable.
    GoUnblock { g: u64, g_seq: u64, stack: u64 },
    /// The running goroutine enters a syscall; `p_seq` is its P's next sequence number.
    GoSyscallBegin { p_seq: u64, stack: u64 },
    /// The syscall returns, the P kept.
    GoSyscallEnd,
    /// The syscall returns, the P lost.
    GoSyscallEndBlocked,
    /// Goroutine `g`'s status, at its first use in a generation; `m` the thread it runs or is
    /// in a syscall on, else [`NO_THREAD`].
    GoStatus { g: u64, m: u64, status: GoStatus },
    /// The world stops (kind: a string id).
    StwBegin { kind: u64, stack: u64 },
    /// The world restarts.
    StwEnd,
    /// A GC mark phase is in progress.
    GcActive { seq: u64 },
    /// A GC mark phase begins.
    GcBegin { seq: u64, stack: u64 },
    /// The GC mark phase ends.
    GcEnd { seq: u64 },
    /// P `p` is sweeping.
    GcSweepActive { p: u64 },
    /// The P starts sweeping.
    GcSweepBegin { stack: u64 },
    /// The P stops sweeping.
    GcSweepEnd { swept: u64, reclaimed: u64 },
    /// Goroutine `g` is in a mark assist.
    GcMarkAssistActive { g: u64 },
    /// The running goroutine starts a mark assist.
    GcMarkAssistBegin { stack: u64 },
    /// The mark assist ends.
    GcMarkAssistEnd,
    /// Live heap bytes.
    HeapAlloc { bytes: u64 },
    /// The heap goal.
    HeapGoal { bytes: u64 },
    /// A label for the running goroutine (a string id).
    GoLabel { label: u64 },
    /// `trace.NewTask`.
    UserTaskBegin { task: u64, parent: u64, name: u64, stack: u64 },
    /// `Task.End`.
    UserTaskEnd { task: u64, stack: u64 },
    /// A region begins.
    UserRegionBegin { task: u64, name: u64, stack: u64 },
    /// A region ends.
    UserRegionEnd { task: u64, name: u64, stack: u64 },
    /// `trace.Log`: key and value are string ids.
    UserLog { task: u64, key: u64, value: u64, stack: u64 },
    /// The running goroutine blocks and goroutine `g` runs in its place.
    GoSwitch { g: u64, g_seq: u64 },
    /// The running goroutine ends and goroutine `g` runs in its place.
    GoSwitchDestroy { g: u64, g_seq: u64 },
    /// Goroutine `g` is created, blocked.
    GoCreateBlocked { g: u64, start_stack: u64, stack: u64 },
    /// Goroutine `g`'s status with its stack.
    GoStatusStack { g: u64, m: u64, status: GoStatus, stack: u64 },
    /// AllocFree: a heap span exists.
    Span { id: u64, npages: u64, kindclass: u64 },
    /// AllocFree: a span is allocated.
    SpanAlloc { id: u64, npages: u64, kindclass: u64 },
    /// AllocFree: a span is freed.
    SpanFree { id: u64 },
    /// AllocFree: a heap object exists.
    HeapObject { id: u64, type_id: u64 },
    /// AllocFree: an object is allocated.
    HeapObjectAlloc { id: u64, type_id: u64 },
    /// AllocFree: an object is freed.
    HeapObjectFree { id: u64 },
    /// AllocFree: a goroutine stack exists.
    GoroutineStack { id: u64, order: u64 },
    /// AllocFree: a goroutine stack is allocated.
    GoroutineStackAlloc { id: u64, order: u64 },
    /// AllocFree: a goroutine stack is freed.
    GoroutineStackFree { id: u64 },
}

/// The wire form of a modern event's arguments (without the timestamp delta).
pub(crate) type Wire = crate::encoder::WireArgs<EventType>;

impl Wire {
    /// The type and arguments of `ev`.
    #[inline(always)]
    pub(crate) fn of(ev: &Event) -> Wire {
        use EventType as T;
        match *ev {
            Event::ProcsChange { procs, stack } => Wire::new(T::PROCS_CHANGE, [procs, stack]),
            Event::ProcStart { p, p_seq } => Wire::new(T::PROC_START, [p, p_seq]),
            Event::ProcStop => Wire::new(T::PROC_STOP, []),
            Event::ProcSteal { p, p_seq, m } => Wire::new(T::PROC_STEAL, [p, p_seq, m]),
            Event::ProcStatus { p, status } => Wire::new(T::PROC_STATUS, [p, status as u64]),
            Event::GoCreate { g, start_stack, stack } => Wire::new(T::GO_CREATE, [g, start_stack, stack]),
            Event::GoCreateSyscall { g } => Wire::new(T::GO_CREATE_SYSCALL, [g]),
            Event::GoStart { g, g_seq } => Wire::new(T::GO_START, [g, g_seq]),
            Event::GoDestroy => Wire::new(T::GO_DESTROY, []),
            Event::GoDestroySyscall => Wire::new(T::GO_DESTROY_SYSCALL, []),
            Event::GoStop { reason, stack } => Wire::new(T::GO_STOP, [reason, stack]),
            Event::GoBlock { reason, stack } => Wire::new(T::GO_BLOCK, [reason, stack]),
            Event::GoUnblock { g, g_seq, stack } => Wire::new(T::GO_UNBLOCK, [g, g_seq, stack]),
            Event::GoSyscallBegin { p_seq, stack } => Wire::new(T::GO_SYSCALL_BEGIN, [p_seq, stack]),
            Event::GoSyscallEnd => Wire::new(T::GO_SYSCALL_END, []),
            Event::GoSyscallEndBlocked => Wire::new(T::GO_SYSCALL_END_BLOCKED, []),
            Event::GoStatus { g, m, status } => Wire::new(T::GO_STATUS, [g, m, status as u64]),
            Event::StwBegin { kind, stack } => Wire::new(T::STW_BEGIN, [kind, stack]),
            Event::StwEnd => Wire::new(T::STW_END, []),
            Event::GcActive { seq } => Wire::new(T::GC_ACTIVE, [seq]),
            Event::GcBegin { seq, stack } => Wire::new(T::GC_BEGIN, [seq, stack]),
            Event::GcEnd { seq } => Wire::new(T::GC_END, [seq]),
            Event::GcSweepActive { p } => Wire::new(T::GC_SWEEP_ACTIVE, [p]),
            Event::GcSweepBegin { stack } => Wire::new(T::GC_SWEEP_BEGIN, [stack]),
            Event::GcSweepEnd { swept, reclaimed } => Wire::new(T::GC_SWEEP_END, [swept, reclaimed]),
            Event::GcMarkAssistActive { g } => Wire::new(T::GC_MARK_ASSIST_ACTIVE, [g]),
            Event::GcMarkAssistBegin { stack } => Wire::new(T::GC_MARK_ASSIST_BEGIN, [stack]),
            Event::GcMarkAssistEnd => Wire::new(T::GC_MARK_ASSIST_END, []),
            Event::HeapAlloc { bytes } => Wire::new(T::HEAP_ALLOC, [bytes]),
            Event::HeapGoal { bytes } => Wire::new(T::HEAP_GOAL, [bytes]),
            Event::GoLabel { label } => Wire::new(T::GO_LABEL, [label]),
            Event::UserTaskBegin { task, parent, name, stack } => {
                Wire::new(T::USER_TASK_BEGIN, [task, parent, name, stack])
            }
            Event::UserTaskEnd { task, stack } => Wire::new(T::USER_TASK_END, [task, stack]),
            Event::UserRegionBegin { task, name, stack } => {
                Wire::new(T::USER_REGION_BEGIN, [task, name, stack])
            }
            Event::UserRegionEnd { task, name, stack } => Wire::new(T::USER_REGION_END, [task, name, stack]),
            Event::UserLog { task, key, value, stack } => Wire::new(T::USER_LOG, [task, key, value, stack]),
            Event::GoSwitch { g, g_seq } => Wire::new(T::GO_SWITCH, [g, g_seq]),
            Event::GoSwitchDestroy { g, g_seq } => Wire::new(T::GO_SWITCH_DESTROY, [g, g_seq]),
            Event::GoCreateBlocked { g, start_stack, stack } => {
                Wire::new(T::GO_CREATE_BLOCKED, [g, start_stack, stack])
            }
            Event::GoStatusStack { g, m, status, stack } => {
                Wire::new(T::GO_STATUS_STACK, [g, m, status as u64, stack])
            }
            Event::Span { id, npages, kindclass } => Wire::new(T::SPAN, [id, npages, kindclass]),
            Event::SpanAlloc { id, npages, kindclass } => Wire::new(T::SPAN_ALLOC, [id, npages, kindclass]),
            Event::SpanFree { id } => Wire::new(T::SPAN_FREE, [id]),
            Event::HeapObject { id, type_id } => Wire::new(T::HEAP_OBJECT, [id, type_id]),
            Event::HeapObjectAlloc { id, type_id } => Wire::new(T::HEAP_OBJECT_ALLOC, [id, type_id]),
            Event::HeapObjectFree { id } => Wire::new(T::HEAP_OBJECT_FREE, [id]),
            Event::GoroutineStack { id, order } => Wire::new(T::GOROUTINE_STACK, [id, order]),
            Event::GoroutineStackAlloc { id, order } => Wire::new(T::GOROUTINE_STACK_ALLOC, [id, order]),
            Event::GoroutineStackFree { id } => Wire::new(T::GOROUTINE_STACK_FREE, [id]),
        }
    }
}

impl Event {
    /// The event's type.
    #[must_use]
    pub fn event_type(&self) -> EventType {
        Wire::of(self).event_type
    }

    /// The ids of the generation's tables the event refers to: its stacks (two at most) and
    /// its string (a reason, label, kind, name or log key); 0 for none. A log's value is a
    /// string of its own, written with the log, not in the table.
    #[inline(always)]
    pub(crate) fn refs(&self) -> ([u64; 2], u64) {
        use Event as E;
        match *self {
            E::ProcsChange { stack, .. }
            | E::GoUnblock { stack, .. }
            | E::GoSyscallBegin { stack, .. }
            | E::GcBegin { stack, .. }
            | E::GcSweepBegin { stack }
            | E::GcMarkAssistBegin { stack }
            | E::UserTaskEnd { stack, .. }
            | E::GoStatusStack { stack, .. } => ([stack, 0], 0),
            E::GoCreate { start_stack, stack, .. } | E::GoCreateBlocked { start_stack, stack, .. } => {
                ([start_stack, stack], 0)
            }
            E::GoStop { reason, stack } | E::GoBlock { reason, stack } => ([stack, 0], reason),
            E::StwBegin { kind, stack } => ([stack, 0], kind),
            E::GoLabel { label } => ([0, 0], label),
            E::UserTaskBegin { name, stack, .. }
            | E::UserRegionBegin { name, stack, .. }
            | E::UserRegionEnd { name, stack, .. } => ([stack, 0], name),
            E::UserLog { key, stack, .. } => ([stack, 0], key),
            _ => ([0, 0], 0),
        }
    }
}

/// Encodes a timed event (type byte, `dt`, the arguments) at the start of `dst`, which holds
/// at least [`MAX_EVENT_LEN`] bytes; returns the bytes written.
#[inline(always)]
pub(crate) fn put_event(dst: &mut [u8], dt: u64, wire: &Wire) -> usize {
    dst[0] = wire.event_type.code();
    let mut pos = varint::put(dst, 1, dt);
    for &a in &wire.args[..wire.len] {
        pos = varint::put(dst, pos, a);
    }
    pos
}

/// Writes `value` as a 10-byte varint at `pos` (the runtime's width for batch sizes); returns
/// the position after it.
pub(crate) fn put_padded(dst: &mut [u8], pos: usize, value: u64) -> usize {
    for i in 0..MAX_LEN - 1 {
        dst[pos + i] = (value >> (7 * i)) as u8 | 0x80;
    }
    dst[pos + MAX_LEN - 1] = (value >> 63) as u8;
    pos + MAX_LEN
}

/// Encodes a batch header `[gen, m, time]` and a zero size padded to 10 bytes at the start of
/// `dst`; returns the bytes written (the size is the last 10 of them, see [`patch_size`]).
pub(crate) fn put_batch_header(dst: &mut [u8], gen: u64, m: u64, time: u64) -> usize {
    dst[0] = EventType::EVENT_BATCH.code();
    let mut pos = varint::put(dst, 1, gen);
    pos = varint::put(dst, pos, m);
    pos = varint::put(dst, pos, time);
    put_padded(dst, pos, 0)
}

/// Writes the size of the batch whose header ended at `body` (its size varint is the 10 bytes
/// before) into `bytes`, whose end is the batch's end.
pub(crate) fn patch_size(bytes: &mut [u8], body: usize) {
    let size = (bytes.len() - body) as u64;
    put_padded(bytes, body - MAX_LEN, size);
}

/// Bytes a string record of `len` bytes may take at most.
pub(crate) const fn max_string_len(len: usize) -> usize {
    1 + 2 * MAX_LEN + len
}

/// Bytes a stack record of `frames` frames may take at most.
pub(crate) const fn max_stack_len(frames: usize) -> usize {
    1 + (2 + 4 * frames) * MAX_LEN
}

/// Encodes a `String` record (id, length, bytes) at the start of `dst`.
pub(crate) fn put_string(dst: &mut [u8], id: u64, text: &[u8]) -> usize {
    dst[0] = EventType::STRING.code();
    let pos = varint::put(dst, 1, id);
    pos + put_text(&mut dst[pos..], text)
}

/// Encodes a `Stack` record (id, frame count, then pc, func, file, line per frame).
pub(crate) fn put_stack(dst: &mut [u8], id: u64, frames: &[StackFrame]) -> usize {
    dst[0] = EventType::STACK.code();
    let mut pos = varint::put(dst, 1, id);
    pos = varint::put(dst, pos, frames.len() as u64);
    for f in frames {
        for v in [f.pc, f.func, f.file, f.line] {
            pos = varint::put(dst, pos, v);
        }
    }
    pos
}

/// Bytes of a `CPUSample` record at most.
pub(crate) const CPU_SAMPLE_LEN: usize = 1 + 5 * MAX_LEN;

/// Encodes a `CPUSample` record: absolute time, thread, P ([`NO_THREAD`]: none), goroutine (0:
/// none), stack.
pub(crate) fn put_cpu_sample(dst: &mut [u8], sample: &CpuSample) -> usize {
    dst[0] = EventType::CPU_SAMPLE.code();
    let mut pos = 1;
    for v in [sample.time, sample.m, sample.p, sample.g, sample.stack] {
        pos = varint::put(dst, pos, v);
    }
    pos
}

/// Bytes of a sync batch body at most: `Sync`, `Frequency freq`, `ClockSnapshot dt mono sec
/// nsec`.
pub(crate) const SYNC_BODY_LEN: usize = 1 + (1 + MAX_LEN) + (1 + 4 * MAX_LEN);

/// Encodes the body of a 23 frequency batch, `Frequency freq`.
pub(crate) fn put_frequency(dst: &mut [u8], freq: u64) -> usize {
    dst[0] = EventType::FREQUENCY.code();
    varint::put(dst, 1, freq)
}

/// Encodes the body of a 26 sync batch: `Sync`, `Frequency freq`, `ClockSnapshot`.
pub(crate) fn put_sync(dst: &mut [u8], freq: u64, clock: &ClockSnapshot) -> usize {
    dst[0] = EventType::SYNC.code();
    let mut pos = 1 + put_frequency(&mut dst[1..], freq);
    dst[pos] = EventType::CLOCK_SNAPSHOT.code();
    pos += 1;
    for v in [clock.dt, clock.mono, clock.sec, clock.nsec] {
        pos = varint::put(dst, pos, v);
    }
    pos
}

/// One CPU profile sample as a `CPUSample` record holds it.
///
/// ```
/// let s = gotrace_writer::modern::CpuSample { time: 5535190504, m: 10043, p: 1, g: 7, stack: 58 };
/// assert_eq!(s.g, 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CpuSample {
    /// Absolute time, in clock units.
    pub time: u64,
    /// Thread id.
    pub m: u64,
    /// P id, [`NO_THREAD`] (all ones) for none.
    pub p: u64,
    /// Goroutine id, 0 for none.
    pub g: u64,
    /// Stack id.
    pub stack: u64,
}

/// The clock snapshot of a 26 sync batch.
///
/// ```
/// let c = gotrace_writer::modern::ClockSnapshot { dt: 92, mono: 1587712589756, sec: 1795618405, nsec: 649270560 };
/// assert_eq!(c.dt, 92);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClockSnapshot {
    /// Clock units after the batch's time.
    pub dt: u64,
    /// The monotonic clock, in nanoseconds.
    pub mono: u64,
    /// Wall clock: Unix seconds.
    pub sec: u64,
    /// Wall clock: nanoseconds within the second.
    pub nsec: u64,
}

/// A batch being encoded by [`Encoder::begin_batch`], closed by [`Encoder::end_batch`].
///
/// ```
/// # use gotrace_writer::modern::{Encoder, Event};
/// let enc = Encoder::new(gotrace_format::Version::Go1_23)?;
/// let mut out = Vec::new();
/// let batch = enc.begin_batch(&mut out, 1, 7, 100);
/// enc.event(&mut out, 1, &Event::ProcStop);
/// enc.end_batch(&mut out, batch);
/// // EventBatch gen=1 m=7 time=100, size=2 in 10 bytes, then ProcStop dt=1.
/// assert_eq!(out, [0x01, 0x01, 0x07, 0x64, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b, 0x01]);
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a batch must be closed to get its size"]
pub struct OpenBatch {
    body: usize,
}

/// Encodes records of a Go 1.23 (format 23) or Go 1.26/1.27 (format 26) trace into a
/// `Vec<u8>`, byte for byte as the Go runtime writes them.
///
/// The encoder is stateless: the caller gives each event's timestamp delta (from the previous
/// event of the batch, or from the batch's time), opens and closes batches, and writes each
/// generation's tables. [`Tracer`](crate::modern::Tracer) does all of that.
///
/// ```
/// use gotrace_writer::modern::{ClockSnapshot, Encoder, NO_THREAD};
/// use gotrace_format::Version;
/// let enc = Encoder::new(Version::Go1_26)?;
/// let mut out = enc.header().to_vec();
/// let batch = enc.begin_batch(&mut out, 1, NO_THREAD, 24808009123);
/// enc.sync(&mut out, 15_625_000, &ClockSnapshot { dt: 92, mono: 1587712589756, sec: 1795618405, nsec: 649270560 });
/// enc.end_batch(&mut out, batch);
/// // The first batch of a Go 1.27 trace (spec §10.4), byte for byte.
/// assert_eq!(&out[16..], [
///     0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
///     0xa3, 0xdb, 0xb0, 0xb5, 0x5c, 0x98, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
///     0x32, 0x08, 0xa8, 0xd6, 0xb9, 0x07, 0x33, 0x5c, 0xbc, 0xff, 0xad, 0xd8, 0x9a, 0x2e,
///     0xe5, 0xec, 0x9b, 0xd8, 0x06, 0xa0, 0xaa, 0xcc, 0xb5, 0x02,
/// ]);
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoder {
    version: Version,
}

impl Encoder {
    /// An encoder for `version`: Go 1.23 or Go 1.26 (others are
    /// [`Error::UnsupportedModernVersion`]).
    pub fn new(version: Version) -> Result<Encoder, Error> {
        match version {
            Version::Go1_23 | Version::Go1_26 => Ok(Encoder { version }),
            _ => Err(Error::UnsupportedModernVersion(version)),
        }
    }

    /// The version encoded.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// The 16-byte file header.
    #[must_use]
    pub fn header(&self) -> [u8; 16] {
        self.version.header()
    }

    /// Starts a batch of generation `gen` by thread `m` ([`NO_THREAD`] for none) at `time`;
    /// its size is written by [`end_batch`](Encoder::end_batch).
    pub fn begin_batch(&self, out: &mut Vec<u8>, gen: u64, m: u64, time: u64) -> OpenBatch {
        append(out, MAX_BATCH_HEADER_LEN, |dst| put_batch_header(dst, gen, m, time));
        OpenBatch { body: out.len() }
    }

    /// Writes the size of `batch`: every byte appended to `out` since it began.
    pub fn end_batch(&self, out: &mut [u8], batch: OpenBatch) {
        patch_size(out, batch.body);
    }

    /// Encodes one timed event, `dt` clock units after the previous one of its batch.
    pub fn event(&self, out: &mut Vec<u8>, dt: u64, event: &Event) {
        append(out, MAX_EVENT_LEN, |dst| put_event(dst, dt, &Wire::of(event)));
    }

    /// The first byte of a string table batch, `Strings`.
    pub fn strings(&self, out: &mut Vec<u8>) {
        out.push(EventType::STRINGS.code());
    }

    /// A `String` record. Errors: [`Error::StringIdZero`], [`Error::OverLimit`] beyond Go's
    /// 1024 bytes.
    pub fn string(&self, out: &mut Vec<u8>, id: u64, text: &[u8]) -> Result<(), Error> {
        if id == 0 {
            return Err(Error::StringIdZero);
        }
        if text.len() as u64 > MAX_STRING_LEN {
            return Err(Error::OverLimit { what: "string", len: text.len(), max: MAX_STRING_LEN });
        }
        append(out, max_string_len(text.len()), |dst| put_string(dst, id, text));
        Ok(())
    }

    /// The first byte of a stack table batch, `Stacks`.
    pub fn stacks(&self, out: &mut Vec<u8>) {
        out.push(EventType::STACKS.code());
    }

    /// A `Stack` record, frames innermost first. Errors: [`Error::StackIdZero`],
    /// [`Error::OverLimit`] beyond Go's 128 frames.
    pub fn stack(&self, out: &mut Vec<u8>, id: u64, frames: &[StackFrame]) -> Result<(), Error> {
        if id == 0 {
            return Err(Error::StackIdZero);
        }
        if frames.len() as u64 > MAX_STACK_FRAMES {
            return Err(Error::OverLimit { what: "stack", len: frames.len(), max: MAX_STACK_FRAMES });
        }
        append(out, max_stack_len(frames.len()), |dst| put_stack(dst, id, frames));
        Ok(())
    }

    /// The first byte of a CPU sample batch, `CPUSamples`.
    pub fn cpu_samples(&self, out: &mut Vec<u8>) {
        out.push(EventType::CPU_SAMPLES.code());
    }

    /// A `CPUSample` record.
    pub fn cpu_sample(&self, out: &mut Vec<u8>, sample: &CpuSample) {
        append(out, CPU_SAMPLE_LEN, |dst| put_cpu_sample(dst, sample));
    }

    /// A frequency batch's body (23: `Frequency freq`; in 26 the frequency goes in the sync
    /// batch). Errors: [`Error::NotInVersion`] for 26.
    pub fn frequency(&self, out: &mut Vec<u8>, freq: u64) -> Result<(), Error> {
        if self.version >= Version::Go1_25 {
            return Err(Error::NotInVersion { name: "frequency batch", version: self.version });
        }
        append(out, 1 + MAX_LEN, |dst| put_frequency(dst, freq));
        Ok(())
    }

    /// A sync batch's body (26): `Sync`, `Frequency freq`, `ClockSnapshot`.
    pub fn sync(&self, out: &mut Vec<u8>, freq: u64, clock: &ClockSnapshot) {
        append(out, SYNC_BODY_LEN, |dst| put_sync(dst, freq, clock));
    }

    /// The lone byte after a generation (26). Errors: [`Error::NotInVersion`] for 23.
    pub fn end_of_generation(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.version < Version::Go1_26 {
            return Err(Error::NotInVersion { name: "EndOfGeneration", version: self.version });
        }
        out.push(EventType::END_OF_GENERATION.code());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_sizes_are_ten_bytes() {
        let mut out = Vec::new();
        let enc = Encoder::new(Version::Go1_23).unwrap();
        let b = enc.begin_batch(&mut out, 1, 9374, 5);
        out.extend_from_slice(&[0; 300]);
        enc.end_batch(&mut out, b);
        // 01 gen=1 m=9374 (2 bytes) time=5, then 300 = 0xac 0x82 padded.
        assert_eq!(&out[..6], [0x01, 0x01, 0x9e, 0x49, 0x05, 0xac]);
        assert_eq!(&out[6..15], [0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
        assert_eq!(out.len(), 15 + 300);
    }

    #[test]
    fn versions() {
        assert!(Encoder::new(Version::Go1_22).is_err());
        assert!(Encoder::new(Version::Go1_21).is_err());
        let e23 = Encoder::new(Version::Go1_23).unwrap();
        assert!(e23.end_of_generation(&mut Vec::new()).is_err());
        let e26 = Encoder::new(Version::Go1_26).unwrap();
        assert!(e26.frequency(&mut Vec::new(), 1).is_err());
    }
}
