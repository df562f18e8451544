//! The encoder: one record → bytes, exactly as the Go 1.19 / 1.21 runtime encodes it.
//!
//! An event record is the type byte (type code in the low 6 bits, count code
//! `min(3, values − 1)` in the high 2), then — for 4 values or more — a one-byte length of the
//! values, then the values as minimal LEB128 varints: the timestamp delta first, the arguments,
//! the stack id last for the types that have one. `UserLog` is followed by its message (length
//! and bytes). Batch, frequency, string and stack records have their own shapes
//! ([`Encoder::batch`], [`Encoder::frequency`], [`Encoder::string`], [`Encoder::stack`]).

use gotrace_format::legacy::{EventType, StwReason, MAX_STACK_FRAMES, MAX_STRING_LEN};
use gotrace_format::varint::{self, Varint, MAX_LEN};
use gotrace_format::Version;

use crate::Error;

/// Largest encoding of an event without its `UserLog` message: type byte, length byte, five
/// varints of at most 10 bytes (`CPUSample` has five values).
pub const MAX_EVENT_LEN: usize = 2 + 5 * MAX_LEN;

/// Bytes a `UserLog` message adds besides its text (its length varint).
pub(crate) const MESSAGE_OVERHEAD: usize = MAX_LEN;

/// One event of the Go 1.19 / 1.21 trace format, with its arguments as they go on the wire (the
/// timestamp delta is given apart, to [`Encoder::event`]).
///
/// There is one variant per event type; ids of strings and stacks are the wire ids (0 = none),
/// goroutine and task ids the runtime's. `p` of a CPU sample is the P id, −1 when the sample hit
/// a thread without a P.
///
/// ```
/// use gotrace_writer::{Encoder, Event};
/// use gotrace_format::{legacy::EventType, Version};
/// let ev = Event::GoCreate { g: 1, start_stack: 2, stack: 1 };
/// assert_eq!(ev.event_type(), EventType::GO_CREATE);
/// let mut out = Vec::new();
/// Encoder::new(Version::Go1_19)?.event(&mut out, 7, &ev)?;
/// // From Go's http_1_19_good: count code 3, length 4, values [dt=7, g=1, newstk=2, stk=1].
/// assert_eq!(out, [0xcd, 0x04, 0x07, 0x01, 0x02, 0x01]);
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum Event<'a> {
    /// `GOMAXPROCS` is (re)set to `procs`.
    Gomaxprocs {
        /// The new value.
        procs: u64,
        /// Stack id.
        stack: u64,
    },
    /// A P starts running on thread (M) `thread`.
    ProcStart {
        /// The runtime's M id.
        thread: u64,
    },
    /// A P stops.
    ProcStop,
    /// A GC cycle starts; `seq` counts cycles from 0 in each trace.
    GcStart {
        /// GC sequence number.
        seq: u64,
        /// Stack id.
        stack: u64,
    },
    /// The GC cycle ends.
    GcDone,
    /// The world stops (`GCSTWStart`; `STWStart` in Go 1.21).
    StwStart {
        /// Why (numbered per version).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arbitrary_reason))]
        reason: StwReason,
    },
    /// The world restarts.
    StwDone,
    /// The P starts sweeping.
    GcSweepStart {
        /// Stack id.
        stack: u64,
    },
    /// The P stops sweeping.
    GcSweepDone {
        /// Bytes swept.
        swept: u64,
        /// Bytes reclaimed.
        reclaimed: u64,
    },
    /// Goroutine `g` is created.
    GoCreate {
        /// The new goroutine.
        g: u64,
        /// Stack id of a one-frame stack naming its start function.
        start_stack: u64,
        /// Stack id of the creator.
        stack: u64,
    },
    /// Goroutine `g` starts running on this P.
    GoStart {
        /// The goroutine.
        g: u64,
        /// Its sequence number.
        seq: u64,
    },
    /// The running goroutine ends.
    GoEnd,
    /// The running goroutine stops forever.
    GoStop {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine yields (`runtime.Gosched`).
    GoSched {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine is preempted.
    GoPreempt {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine sleeps.
    GoSleep {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine blocks (other reasons).
    GoBlock {
        /// Stack id.
        stack: u64,
    },
    /// Goroutine `g` is made runnable.
    GoUnblock {
        /// The goroutine.
        g: u64,
        /// Its sequence number.
        seq: u64,
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine blocks on a channel send.
    GoBlockSend {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine blocks on a channel receive.
    GoBlockRecv {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine blocks in `select`.
    GoBlockSelect {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine blocks on a `sync` mutex.
    GoBlockSync {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine blocks on a condition variable.
    GoBlockCond {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine blocks on the network.
    GoBlockNet {
        /// Stack id.
        stack: u64,
    },
    /// The running goroutine enters a syscall.
    GoSysCall {
        /// Stack id.
        stack: u64,
    },
    /// Goroutine `g` returns from a blocking syscall.
    GoSysExit {
        /// The goroutine.
        g: u64,
        /// Its sequence number.
        seq: u64,
        /// Absolute tick when the syscall really returned (0: unknown).
        real_ticks: u64,
    },
    /// The syscall of the running goroutine blocks; the P is handed off.
    GoSysBlock,
    /// Goroutine `g` was blocked when tracing started.
    GoWaiting {
        /// The goroutine.
        g: u64,
    },
    /// Goroutine `g` was in a syscall when tracing started.
    GoInSyscall {
        /// The goroutine.
        g: u64,
    },
    /// Live heap size.
    HeapAlloc {
        /// Bytes.
        mem: u64,
    },
    /// Next GC goal.
    HeapGoal {
        /// Bytes.
        mem: u64,
    },
    /// The previous wakeup of the running goroutine was futile (not emitted by Go 1.21).
    FutileWakeup,
    /// `GoStart` of a goroutine whose previous event is in this P's buffer (no sequence
    /// number).
    GoStartLocal {
        /// The goroutine.
        g: u64,
    },
    /// `GoUnblock` of a goroutine whose previous event is in this P's buffer.
    GoUnblockLocal {
        /// The goroutine.
        g: u64,
        /// Stack id.
        stack: u64,
    },
    /// `GoSysExit` of a goroutine whose previous event is in this P's buffer. No runtime emits
    /// it, and Go's reader cannot validate it (spec §4.3): it exists for completeness.
    GoSysExitLocal {
        /// The goroutine.
        g: u64,
        /// Absolute tick of the real return.
        real_ticks: u64,
    },
    /// A GC mark worker starts (`label`: string id of "GC (dedicated)", …).
    GoStartLabel {
        /// The goroutine.
        g: u64,
        /// Its sequence number.
        seq: u64,
        /// String id of the label.
        label: u64,
    },
    /// The running goroutine blocks on GC assist.
    GoBlockGc {
        /// Stack id.
        stack: u64,
    },
    /// A mark assist starts.
    GcMarkAssistStart {
        /// Stack id.
        stack: u64,
    },
    /// The mark assist ends.
    GcMarkAssistDone,
    /// `trace.NewTask`.
    UserTaskCreate {
        /// Task id.
        task: u64,
        /// Parent task id (0: none).
        parent: u64,
        /// String id of the task type.
        name: u64,
        /// Stack id.
        stack: u64,
    },
    /// A task ends.
    UserTaskEnd {
        /// Task id.
        task: u64,
        /// Stack id.
        stack: u64,
    },
    /// A region starts (`mode` 0) or ends (`mode` 1).
    UserRegion {
        /// Task id.
        task: u64,
        /// 0 start, 1 end.
        mode: u64,
        /// String id of the region type.
        name: u64,
        /// Stack id.
        stack: u64,
    },
    /// `trace.Log`: a key and a message.
    UserLog {
        /// Task id.
        task: u64,
        /// String id of the category.
        key: u64,
        /// Stack id.
        stack: u64,
        /// The message (written after the values; longer ones are cut like the runtime cuts
        /// them, to fit a buffer).
        message: &'a [u8],
    },
    /// A CPU profile sample.
    CpuSample {
        /// Absolute tick of the sample.
        real_ticks: u64,
        /// P id, −1 for none.
        p: i64,
        /// Goroutine id (0: none).
        g: u64,
        /// Stack id.
        stack: u64,
    },
}

/// Any stop-the-world reason (those of Go 1.21, which numbers them all).
#[cfg(feature = "arbitrary")]
fn arbitrary_reason(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<StwReason> {
    let code = u.int_in_range(0..=16u64)?;
    Ok(StwReason::from_code(code, Version::Go1_21).unwrap_or(StwReason::Unknown))
}

/// The wire form of an event's arguments (without the timestamp delta), `T` the event types of
/// a layout (legacy here, modern in `modern::encoder`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct WireArgs<T> {
    pub(crate) event_type: T,
    /// Arguments used (a word, not a byte: the fast path reads it on its own).
    pub(crate) len: usize,
    pub(crate) args: [u64; 4],
}

impl<T: Copy> WireArgs<T> {
    #[inline(always)]
    pub(crate) const fn new<const N: usize>(t: T, a: [u64; N]) -> WireArgs<T> {
        let mut args = [0; 4];
        let mut i = 0;
        while i < N {
            args[i] = a[i];
            i += 1;
        }
        WireArgs { event_type: t, len: N, args }
    }
}

/// The wire form of a legacy event's arguments.
pub(crate) type Wire = WireArgs<EventType>;

impl Event<'_> {
    /// The event's type.
    #[must_use]
    pub fn event_type(&self) -> EventType {
        // Every variant encodes in Go 1.21 but for STW reasons it cannot name.
        Wire::of(self, Version::Go1_21).map_or(EventType::STW_START, |w| w.event_type)
    }

    /// The message of a `UserLog` event.
    #[must_use]
    #[inline]
    pub(crate) fn message(&self) -> Option<&[u8]> {
        match self {
            Event::UserLog { message, .. } => Some(message),
            _ => None,
        }
    }
}

impl Wire {
    /// The type and arguments of `ev` in `version`; fails only for an STW reason the version
    /// cannot express.
    #[inline(always)]
    pub(crate) fn of(ev: &Event<'_>, version: Version) -> Result<Wire, Error> {
        use EventType as T;
        Ok(match *ev {
            Event::Gomaxprocs { procs, stack } => Wire::new(T::GOMAXPROCS, [procs, stack]),
            Event::ProcStart { thread } => Wire::new(T::PROC_START, [thread]),
            Event::ProcStop => Wire::new(T::PROC_STOP, []),
            Event::GcStart { seq, stack } => Wire::new(T::GC_START, [seq, stack]),
            Event::GcDone => Wire::new(T::GC_DONE, []),
            Event::StwStart { reason } => match reason.code(version) {
                Some(kind) => Wire::new(T::STW_START, [kind]),
                None => return Err(Error::StwReason { reason, version }),
            },
            Event::StwDone => Wire::new(T::STW_DONE, []),
            Event::GcSweepStart { stack } => Wire::new(T::GC_SWEEP_START, [stack]),
            Event::GcSweepDone { swept, reclaimed } => Wire::new(T::GC_SWEEP_DONE, [swept, reclaimed]),
            Event::GoCreate { g, start_stack, stack } => Wire::new(T::GO_CREATE, [g, start_stack, stack]),
            Event::GoStart { g, seq } => Wire::new(T::GO_START, [g, seq]),
            Event::GoEnd => Wire::new(T::GO_END, []),
            Event::GoStop { stack } => Wire::new(T::GO_STOP, [stack]),
            Event::GoSched { stack } => Wire::new(T::GO_SCHED, [stack]),
            Event::GoPreempt { stack } => Wire::new(T::GO_PREEMPT, [stack]),
            Event::GoSleep { stack } => Wire::new(T::GO_SLEEP, [stack]),
            Event::GoBlock { stack } => Wire::new(T::GO_BLOCK, [stack]),
            Event::GoUnblock { g, seq, stack } => Wire::new(T::GO_UNBLOCK, [g, seq, stack]),
            Event::GoBlockSend { stack } => Wire::new(T::GO_BLOCK_SEND, [stack]),
            Event::GoBlockRecv { stack } => Wire::new(T::GO_BLOCK_RECV, [stack]),
            Event::GoBlockSelect { stack } => Wire::new(T::GO_BLOCK_SELECT, [stack]),
            Event::GoBlockSync { stack } => Wire::new(T::GO_BLOCK_SYNC, [stack]),
            Event::GoBlockCond { stack } => Wire::new(T::GO_BLOCK_COND, [stack]),
            Event::GoBlockNet { stack } => Wire::new(T::GO_BLOCK_NET, [stack]),
            Event::GoSysCall { stack } => Wire::new(T::GO_SYS_CALL, [stack]),
            Event::GoSysExit { g, seq, real_ticks } => Wire::new(T::GO_SYS_EXIT, [g, seq, real_ticks]),
            Event::GoSysBlock => Wire::new(T::GO_SYS_BLOCK, []),
            Event::GoWaiting { g } => Wire::new(T::GO_WAITING, [g]),
            Event::GoInSyscall { g } => Wire::new(T::GO_IN_SYSCALL, [g]),
            Event::HeapAlloc { mem } => Wire::new(T::HEAP_ALLOC, [mem]),
            Event::HeapGoal { mem } => Wire::new(T::HEAP_GOAL, [mem]),
            Event::FutileWakeup => Wire::new(T::FUTILE_WAKEUP, []),
            Event::GoStartLocal { g } => Wire::new(T::GO_START_LOCAL, [g]),
            Event::GoUnblockLocal { g, stack } => Wire::new(T::GO_UNBLOCK_LOCAL, [g, stack]),
            Event::GoSysExitLocal { g, real_ticks } => Wire::new(T::GO_SYS_EXIT_LOCAL, [g, real_ticks]),
            Event::GoStartLabel { g, seq, label } => Wire::new(T::GO_START_LABEL, [g, seq, label]),
            Event::GoBlockGc { stack } => Wire::new(T::GO_BLOCK_GC, [stack]),
            Event::GcMarkAssistStart { stack } => Wire::new(T::GC_MARK_ASSIST_START, [stack]),
            Event::GcMarkAssistDone => Wire::new(T::GC_MARK_ASSIST_DONE, []),
            Event::UserTaskCreate { task, parent, name, stack } => {
                Wire::new(T::USER_TASK_CREATE, [task, parent, name, stack])
            }
            Event::UserTaskEnd { task, stack } => Wire::new(T::USER_TASK_END, [task, stack]),
            Event::UserRegion { task, mode, name, stack } => {
                Wire::new(T::USER_REGION, [task, mode, name, stack])
            }
            Event::UserLog { task, key, stack, .. } => Wire::new(T::USER_LOG, [task, key, stack]),
            Event::CpuSample { real_ticks, p, g, stack } => {
                Wire::new(T::CPU_SAMPLE, [real_ticks, p as u64, g, stack])
            }
        })
    }
}

/// Encodes an event record (type byte, length for ≥ 4 values, `dt`, the arguments) at the start
/// of `dst`, which holds at least [`MAX_EVENT_LEN`] bytes; returns the bytes written. A `UserLog`
/// message is written by [`put_text`] right after.
#[inline(always)]
pub(crate) fn put_event(dst: &mut [u8], dt: u64, wire: &Wire) -> usize {
    let n = wire.len;
    let args = &wire.args[..n];
    if n < 3 {
        // 1 to 3 values: inline, count code = values − 1.
        dst[0] = wire.event_type.code() | ((n as u8) << 6);
        let mut pos = varint::put(dst, 1, dt);
        for &a in args {
            pos = varint::put(dst, pos, a);
        }
        pos
    } else {
        // 4 or more values: count code 3 and a one-byte length (the values take at most 50
        // bytes, so the length is a minimal one-byte varint, as the runtime writes it).
        dst[0] = wire.event_type.code() | 0xc0;
        let mut pos = varint::put(dst, 2, dt);
        for &a in args {
            pos = varint::put(dst, pos, a);
        }
        dst[1] = (pos - 2) as u8;
        pos
    }
}

/// Writes a text (varint length, then the bytes) at the start of `dst`; returns the bytes
/// written. `dst` must hold `MAX_LEN + text.len()` bytes.
#[inline]
pub(crate) fn put_text(dst: &mut [u8], text: &[u8]) -> usize {
    let pos = varint::put(dst, 0, text.len() as u64);
    dst[pos..pos + text.len()].copy_from_slice(text);
    pos + text.len()
}

/// One frame of a stack record, with the string ids of its function and file names.
///
/// ```
/// let f = gotrace_writer::StackFrame { pc: 0x4010a3, func: 5, file: 6, line: 677 };
/// assert_eq!(f.line, 677);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct StackFrame {
    /// Program counter (the call instruction's address, or a function's entry).
    pub pc: u64,
    /// String id of the function name.
    pub func: u64,
    /// String id of the file name.
    pub file: u64,
    /// Line number.
    pub line: u64,
}

/// Bytes a stack record of `frames` frames may take at most.
pub(crate) const fn max_stack_len(frames: usize) -> usize {
    1 + MAX_LEN + (2 + 4 * frames) * MAX_LEN
}

/// Bytes a string record of `len` bytes may take at most.
pub(crate) const fn max_string_len(len: usize) -> usize {
    1 + 2 * MAX_LEN + len
}

/// Encodes a stack record at the start of `dst` (which holds [`max_stack_len`] bytes); Go
/// 1.21 pads the length to 10 bytes, as its runtime does.
pub(crate) fn put_stack(dst: &mut [u8], version: Version, id: u64, frames: &[StackFrame]) -> usize {
    dst[0] = EventType::STACK.code() | 0xc0;
    // Values first, after room for the widest length; then the length, moved into place.
    let body = 1 + MAX_LEN;
    let mut pos = varint::put(dst, body, id);
    pos = varint::put(dst, pos, frames.len() as u64);
    for f in frames {
        for v in [f.pc, f.func, f.file, f.line] {
            pos = varint::put(dst, pos, v);
        }
    }
    let len = (pos - body) as u64;
    let width = if version >= Version::Go1_21 { MAX_LEN as u8 } else { varint::encoded_len(len) as u8 };
    let mut prefix = Vec::with_capacity(MAX_LEN);
    Varint::padded(len, width).encode(&mut prefix);
    let start = 1 + prefix.len();
    dst.copy_within(body..pos, start);
    dst[1..start].copy_from_slice(&prefix);
    start + (pos - body)
}

/// Encodes a string record (`0x25`, id, length, bytes) at the start of `dst`.
pub(crate) fn put_string(dst: &mut [u8], id: u64, text: &[u8]) -> usize {
    dst[0] = EventType::STRING.code();
    let pos = varint::put(dst, 1, id);
    pos + put_text(&mut dst[pos..], text)
}

/// Encodes a batch header `[p, ticks]` at the start of `dst` (P −1 as a 10-byte varint).
#[inline]
pub(crate) fn put_batch(dst: &mut [u8], p: i64, ticks: u64) -> usize {
    dst[0] = EventType::BATCH.code() | 0x40;
    let pos = varint::put(dst, 1, p as u64);
    varint::put(dst, pos, ticks)
}

/// Encodes a frequency record `[freq]` at the start of `dst`.
pub(crate) fn put_frequency(dst: &mut [u8], freq: u64) -> usize {
    dst[0] = EventType::FREQUENCY.code();
    varint::put(dst, 1, freq)
}

/// Encodes records of a Go 1.19 or Go 1.21 trace into a `Vec<u8>`, byte for byte as the Go
/// runtime of that version writes them.
///
/// The encoder is stateless: the caller gives each event's timestamp delta (from the previous
/// event of the batch, or from the batch's ticks for the first), and writes batch headers,
/// strings, stacks and the frequency where the format wants them. [`Tracer`](crate::Tracer)
/// does all of that.
///
/// ```
/// use gotrace_writer::{Encoder, Event, StackFrame};
/// use gotrace_format::Version;
/// let enc = Encoder::new(Version::Go1_19)?;
/// let mut out = Version::Go1_19.header().to_vec();
/// enc.batch(&mut out, 0, 70420241533343);
/// enc.event(&mut out, 5, &Event::ProcStart { thread: 4 })?;
/// enc.event(&mut out, 667, &Event::GoStart { g: 19, seq: 1 })?;
/// enc.string(&mut out, 5, b"main.main")?;
/// enc.stack(&mut out, 84, &[StackFrame { pc: 4340178259, func: 5, file: 5, line: 677 }])?;
/// enc.frequency(&mut out, 62499627);
/// // The first records of Go's http_1_19_good, byte for byte.
/// assert_eq!(&out[16..31], [0x41, 0x00, 0x9f, 0x93, 0xed, 0xeb, 0xbf, 0x81, 0x10,
///                           0x45, 0x05, 0x04, 0x8e, 0x9b, 0x05]);
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoder {
    version: Version,
}

/// Runs `put` on `out`'s spare room of `max` bytes and keeps what it wrote.
pub(crate) fn append(out: &mut Vec<u8>, max: usize, put: impl FnOnce(&mut [u8]) -> usize) {
    let start = out.len();
    out.resize(start + max, 0);
    let n = put(&mut out[start..]);
    out.truncate(start + n);
}

impl Encoder {
    /// An encoder for `version`: Go 1.19 or Go 1.21 (others are
    /// [`Error::UnsupportedVersion`]).
    pub fn new(version: Version) -> Result<Encoder, Error> {
        match version {
            Version::Go1_19 | Version::Go1_21 => Ok(Encoder { version }),
            _ => Err(Error::UnsupportedVersion(version)),
        }
    }

    /// The version encoded.
    #[must_use]
    pub const fn version(&self) -> Version {
        self.version
    }

    /// Appends an event whose timestamp is `dt` ticks after the previous event of its batch.
    /// Errors: [`Error::StwReason`] for a stop-the-world reason the version cannot express.
    pub fn event(&self, out: &mut Vec<u8>, dt: u64, event: &Event<'_>) -> Result<(), Error> {
        let wire = Wire::of(event, self.version)?;
        append(out, MAX_EVENT_LEN, |dst| put_event(dst, dt, &wire));
        if let Some(message) = event.message() {
            append(out, MESSAGE_OVERHEAD + message.len(), |dst| put_text(dst, message));
        }
        Ok(())
    }

    /// Appends a batch header: the events that follow, up to the next batch header, were
    /// written by P `p` (−1: no P), starting at absolute tick `ticks`.
    pub fn batch(&self, out: &mut Vec<u8>, p: i64, ticks: u64) {
        append(out, 1 + 2 * MAX_LEN, |dst| put_batch(dst, p, ticks));
    }

    /// Appends the frequency record: ticks per second.
    pub fn frequency(&self, out: &mut Vec<u8>, ticks_per_second: u64) {
        append(out, 1 + MAX_LEN, |dst| put_frequency(dst, ticks_per_second));
    }

    /// Appends a string record. Errors: [`Error::StringIdZero`], [`Error::StringEmpty`] (the
    /// empty string is id 0 and never written), [`Error::StringTooLong`] (over Go's limit of
    /// 1 000 000 bytes).
    pub fn string(&self, out: &mut Vec<u8>, id: u64, text: &[u8]) -> Result<(), Error> {
        check_string(id, text)?;
        append(out, max_string_len(text.len()), |dst| put_string(dst, id, text));
        Ok(())
    }

    /// Appends a stack record (frames innermost first). Errors: [`Error::StackIdZero`],
    /// [`Error::StackEmpty`], [`Error::StackTooDeep`] (over Go's 1000 frames).
    pub fn stack(&self, out: &mut Vec<u8>, id: u64, frames: &[StackFrame]) -> Result<(), Error> {
        check_stack(id, frames.len())?;
        append(out, max_stack_len(frames.len()), |dst| put_stack(dst, self.version, id, frames));
        Ok(())
    }

    /// Appends a `TimerGoroutine` record (declares `g` a timer goroutine). The grammar of
    /// 1.19 and 1.21 has it, but only runtimes up to Go 1.13 wrote it.
    pub fn timer_goroutine(&self, out: &mut Vec<u8>, g: u64) {
        append(out, 1 + MAX_LEN, |dst| {
            dst[0] = EventType::TIMER_GOROUTINE.code();
            varint::put(dst, 1, g)
        });
    }
}

pub(crate) fn check_string(id: u64, text: &[u8]) -> Result<(), Error> {
    if id == 0 {
        Err(Error::StringIdZero)
    } else if text.is_empty() {
        Err(Error::StringEmpty)
    } else if text.len() as u64 > MAX_STRING_LEN {
        Err(Error::StringTooLong { len: text.len() })
    } else {
        Ok(())
    }
}

pub(crate) fn check_stack(id: u64, frames: usize) -> Result<(), Error> {
    if id == 0 {
        Err(Error::StackIdZero)
    } else if frames == 0 {
        Err(Error::StackEmpty)
    } else if frames as u64 > MAX_STACK_FRAMES {
        Err(Error::StackTooDeep { frames })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One event of every variant, with distinct argument values.
    pub(crate) fn every_event() -> Vec<Event<'static>> {
        vec![
            Event::Gomaxprocs { procs: 8, stack: 3 },
            Event::ProcStart { thread: 4 },
            Event::ProcStop,
            Event::GcStart { seq: 0, stack: 2 },
            Event::GcDone,
            Event::StwStart { reason: StwReason::GcSweepTermination },
            Event::StwDone,
            Event::GcSweepStart { stack: 5 },
            Event::GcSweepDone { swept: 8192, reclaimed: 4096 },
            Event::GoCreate { g: 7, start_stack: 9, stack: 1 },
            Event::GoStart { g: 7, seq: 1 },
            Event::GoEnd,
            Event::GoStop { stack: 1 },
            Event::GoSched { stack: 1 },
            Event::GoPreempt { stack: 1 },
            Event::GoSleep { stack: 1 },
            Event::GoBlock { stack: 1 },
            Event::GoUnblock { g: 7, seq: 2, stack: 1 },
            Event::GoBlockSend { stack: 1 },
            Event::GoBlockRecv { stack: 1 },
            Event::GoBlockSelect { stack: 1 },
            Event::GoBlockSync { stack: 1 },
            Event::GoBlockCond { stack: 1 },
            Event::GoBlockNet { stack: 1 },
            Event::GoSysCall { stack: 1 },
            Event::GoSysExit { g: 7, seq: 3, real_ticks: 1 << 40 },
            Event::GoSysBlock,
            Event::GoWaiting { g: 7 },
            Event::GoInSyscall { g: 7 },
            Event::HeapAlloc { mem: 1 << 20 },
            Event::HeapGoal { mem: 1 << 22 },
            Event::FutileWakeup,
            Event::GoStartLocal { g: 7 },
            Event::GoUnblockLocal { g: 7, stack: 1 },
            Event::GoSysExitLocal { g: 7, real_ticks: 5 },
            Event::GoStartLabel { g: 7, seq: 4, label: 2 },
            Event::GoBlockGc { stack: 1 },
            Event::GcMarkAssistStart { stack: 1 },
            Event::GcMarkAssistDone,
            Event::UserTaskCreate { task: 1, parent: 0, name: 3, stack: 1 },
            Event::UserTaskEnd { task: 1, stack: 1 },
            Event::UserRegion { task: 1, mode: 1, name: 3, stack: 1 },
            Event::UserLog { task: 1, key: 3, stack: 1, message: b"hello" },
            Event::CpuSample { real_ticks: 1 << 40, p: -1, g: 7, stack: 1 },
        ]
    }

    #[test]
    fn every_event_type_of_the_versions_has_a_variant_with_go_s_value_count() {
        for version in [Version::Go1_19, Version::Go1_21] {
            let mut seen = std::collections::BTreeSet::new();
            for ev in every_event() {
                let wire = Wire::of(&ev, version).unwrap();
                let t = ev.event_type();
                assert_eq!(t, wire.event_type);
                assert_eq!(Some(wire.len as u32 + 1), t.value_count(version), "{t:?}");
                seen.insert(t.code());
            }
            let timestamped: Vec<u8> =
                EventType::all(version).filter(|t| t.has_timestamp()).map(EventType::code).collect();
            assert_eq!(seen.into_iter().collect::<Vec<_>>(), timestamped);
        }
    }

    #[test]
    fn records_are_encoded_as_the_runtime_does() {
        let enc = Encoder::new(Version::Go1_19).unwrap();
        let mut out = Vec::new();
        // http_1_19_good at offset 8206: batch of P −1.
        enc.batch(&mut out, -1, 70420241783617);
        assert_eq!(
            out,
            [
                0x41, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xc1, 0xb6, 0xfc, 0xeb,
                0xbf, 0x81, 0x10
            ]
        );
        out.clear();
        enc.event(&mut out, 18, &Event::GoUnblock { g: 4, seq: 6, stack: 0 }).unwrap();
        assert_eq!(out, [0xd5, 0x04, 0x12, 0x04, 0x06, 0x00]);
        out.clear();
        enc.frequency(&mut out, 62499627);
        assert_eq!(out, [0x02, 0xab, 0xd6, 0xe6, 0x1d]);
        out.clear();
        enc.stack(&mut out, 84, &[StackFrame { pc: 4340178259, func: 5, file: 6, line: 677 }]).unwrap();
        assert_eq!(out, [0xc3, 0x0b, 0x54, 0x01, 0xd3, 0xba, 0xc7, 0x95, 0x10, 0x05, 0x06, 0xa5, 0x05]);
        out.clear();
        enc.event(&mut out, 3, &Event::UserLog { task: 1, key: 8, stack: 2, message: b"ab" }).unwrap();
        assert_eq!(out, [0xf0, 0x04, 0x03, 0x01, 0x08, 0x02, 0x02, b'a', b'b']);

        // Go 1.21: the stack length is padded to 10 bytes; STW reasons renumbered.
        let enc = Encoder::new(Version::Go1_21).unwrap();
        out.clear();
        enc.stack(&mut out, 84, &[StackFrame { pc: 4340178259, func: 5, file: 6, line: 677 }]).unwrap();
        assert_eq!(&out[..11], [0xc3, 0x8b, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
        assert_eq!(&out[11..], [0x54, 0x01, 0xd3, 0xba, 0xc7, 0x95, 0x10, 0x05, 0x06, 0xa5, 0x05]);
        out.clear();
        enc.event(&mut out, 1, &Event::StwStart { reason: StwReason::ReadMemStats }).unwrap();
        assert_eq!(out, [0x49, 0x01, 0x07]);
        let err = Encoder::new(Version::Go1_19)
            .unwrap()
            .event(&mut out, 1, &Event::StwStart { reason: StwReason::ReadMemStats })
            .unwrap_err();
        assert!(matches!(err, Error::StwReason { .. }));
    }

    #[test]
    fn invalid_records_are_refused() {
        let enc = Encoder::new(Version::Go1_21).unwrap();
        let mut out = Vec::new();
        assert!(matches!(enc.string(&mut out, 0, b"x"), Err(Error::StringIdZero)));
        assert!(matches!(enc.string(&mut out, 1, b""), Err(Error::StringEmpty)));
        assert!(matches!(enc.stack(&mut out, 1, &[]), Err(Error::StackEmpty)));
        assert!(out.is_empty());
        assert!(matches!(Encoder::new(Version::Go1_11), Err(Error::UnsupportedVersion(_))));
    }
}
