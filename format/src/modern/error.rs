//! What can be wrong in a modern trace (Go 1.22 – 1.27), in the wording of Go 1.27's reader
//! where it has one. These are carried by [`crate::ErrorKind::Modern`], inside an
//! [`Error`](crate::Error) with the byte offset of the record at fault.

use crate::modern::EventType;
use crate::Category;

/// A field of a batch header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BatchField {
    /// The experiment byte of an `ExperimentalBatch`.
    Experiment,
    /// The generation.
    Gen,
    /// The thread.
    M,
    /// The base timestamp.
    Time,
    /// The body's length.
    Size,
}

impl std::fmt::Display for BatchField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BatchField::Experiment => "experiment",
            BatchField::Gen => "gen",
            BatchField::M => "M ID",
            BatchField::Time => "timestamp",
            BatchField::Size => "size",
        })
    }
}

/// Why a varint could not be read, as Go's `encoding/binary` words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadFault {
    /// The input ended before the first byte.
    Eof,
    /// The input ended inside the value.
    UnexpectedEof,
    /// More than 64 bits: a 10th byte above 1, or 11 bytes or more.
    Overflow,
}

impl std::fmt::Display for ReadFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReadFault::Eof => "EOF",
            ReadFault::UnexpectedEof => "unexpected EOF",
            ReadFault::Overflow => "binary: varint overflows a 64-bit integer",
        })
    }
}

/// What is wrong with a modern trace.
///
/// ```
/// use gotrace_format::{modern, Category, Error, ErrorKind};
/// let e = Error::new(16, ErrorKind::Modern(modern::ErrorKind::BatchTooLarge { size: 1 << 40 }));
/// assert_eq!(e.message(), "invalid batch size 1099511627776, maximum is 65536");
/// assert_eq!(e.kind().category(), Category::Malformed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Where a batch must start, a byte that starts none (`EventBatch`, `ExperimentalBatch`
    /// from 23, the end-of-generation byte in 26).
    #[error("expected batch event, got event {code}")]
    ExpectedBatch {
        /// The byte.
        code: u8,
    },
    /// A batch header that cannot be read: cut by the end of the input, or a value beyond 64
    /// bits.
    #[error("error reading batch {field}: {fault}")]
    BadBatchHeader {
        /// The field at fault.
        field: BatchField,
        /// What went wrong.
        fault: ReadFault,
    },
    /// A batch longer than Go's largest (64 KiB).
    #[error("invalid batch size {size}, maximum is 65536")]
    BatchTooLarge {
        /// The size the header gives.
        size: u64,
    },
    /// The input ends inside a batch's body. The error's offset is the batch header's.
    #[error("failed to read full batch: read {read} but wanted {want}")]
    BatchTruncated {
        /// Bytes of the body present.
        read: u64,
        /// The size the header gives.
        want: u64,
    },
    /// Inside a batch, a byte that names no event type of the trace's version (Go's raw
    /// reader).
    #[error("invalid event type: {code}")]
    InvalidEventType {
        /// The byte.
        code: u8,
    },
    /// Inside a batch, the start of another batch or the end-of-generation byte.
    #[error("event type {code} inside a batch")]
    BatchInsideBatch {
        /// The byte.
        code: u8,
    },
    /// An event whose bytes run past the end of its batch.
    #[error("event type {code} runs past the end of its batch")]
    EventOverrunsBatch {
        /// The event's type byte.
        code: u8,
    },
    /// A value beyond 64 bits inside a batch (Go's `encoding/binary` wording).
    #[error("binary: varint overflows a 64-bit integer")]
    VarintOverflow,
    /// A Go 1.26 trace that ends inside a generation (no `EndOfGeneration` after its batches).
    #[error("incomplete generation found; trace likely truncated")]
    IncompleteGeneration,
    /// A batch size not in the runtime's padded 10-byte encoding (Go reads it; rejected in
    /// strict mode).
    #[error("batch size {size} encoded in {width} bytes, not the runtime's 10")]
    UnpaddedBatchSize {
        /// The size.
        size: u64,
        /// Bytes of its encoding.
        width: u8,
    },
    /// A generation that does not follow the one before it (the runtime numbers them one by
    /// one; Go reads a gap; rejected in strict mode).
    #[error("generation {gen} follows generation {prev}")]
    GenerationGap {
        /// The generation before.
        prev: u64,
        /// The generation of the batch at fault.
        gen: u64,
    },
    /// A batch stamped at tick 0, which no runtime's clock reads (Go reads it; rejected in
    /// strict mode).
    #[error("batch at tick 0")]
    BatchAtTickZero,
    /// A second CPU sample of one thread at one tick in a generation (the runtime writes each
    /// sample once; Go reads it; rejected in strict mode).
    #[error("CPU sample of thread {m} at tick {time} repeated")]
    RepeatedCpuSample {
        /// The thread.
        m: u64,
        /// The tick.
        time: u64,
    },
    /// A batch of generation 0.
    #[error("invalid generation number {gen}")]
    InvalidGeneration {
        /// The generation the batch gives.
        gen: u64,
    },
    /// A Go 1.26 batch of another generation before the current one's `EndOfGeneration`.
    #[error("broken trace: missing end-of-generation event, or generations are interleaved")]
    InterleavedGenerations,
    /// A batch whose generation is neither the current one nor the next (before Go 1.26).
    #[error("generations out of order")]
    GenerationsOutOfOrder,
    /// A generation without a frequency event.
    #[error("no frequency event found")]
    NoFrequency,
    /// A generation without a clock snapshot (Go 1.25+).
    #[error("no clock snapshot event found")]
    NoClockSnapshot,
    /// A second frequency event in a generation.
    #[error("found multiple frequency events")]
    MultipleFrequency,
    /// A second clock snapshot in a generation.
    #[error("found multiple clock snapshot events")]
    MultipleClockSnapshot,
    /// In a sync batch, an event that is neither a frequency nor a clock snapshot.
    #[error("expected frequency or clock snapshot event, got {code}")]
    ExpectedSyncEvent {
        /// The event's type byte.
        code: u8,
    },
    /// In a table batch, an event of another kind than the table's entries.
    #[error("expected {table} event, got {code}")]
    ExpectedTableEntry {
        /// The entries' kind: `string`, `stack` or `CPU sample`.
        table: &'static str,
        /// The event's type byte.
        code: u8,
    },
    /// A value of a table entry that cannot be read (Go's `encoding/binary` wording).
    #[error("{fault}")]
    TableValue {
        /// What went wrong.
        fault: ReadFault,
    },
    /// A string longer than Go's largest (1024 bytes).
    #[error("invalid string size {len}, maximum is 1024")]
    StringTooLong {
        /// The length the entry gives.
        len: u64,
    },
    /// A string entry cut by the end of its batch.
    #[error("failed to read full string: read {read} but wanted {want}")]
    StringTruncated {
        /// Bytes present.
        read: u64,
        /// The length the entry gives.
        want: u64,
    },
    /// A stack with more frames than Go's largest (128).
    #[error("invalid stack size {frames}, maximum is 128")]
    StackTooDeep {
        /// The frame count the entry gives.
        frames: u64,
    },
    /// A frame value of a stack entry that cannot be read.
    #[error("reading frame {frame}'s {field} for stack {stack}: {fault}")]
    FrameValue {
        /// The frame, from 1.
        frame: u64,
        /// `PC`, `funcID`, `fileID` or `line`.
        field: &'static str,
        /// The stack's id.
        stack: u64,
        /// What went wrong.
        fault: ReadFault,
    },
    /// Two strings or two stacks of a generation with the same id; the text is Go's
    /// (`multiple strings with the same ID: id=…, new=…, existing=…`).
    #[error("{text}")]
    DuplicateId {
        /// The message.
        text: &'static str,
    },
    /// A stack frame whose PC no frame of the generation defines.
    #[error("found unknown pc {pc:x} for stack {stack}")]
    UnknownPc {
        /// The PC.
        pc: u64,
        /// The stack's id.
        stack: u64,
    },
    /// A stack frame naming a string the generation does not define.
    #[error("found invalid {field} string ID {id} for stack {stack}")]
    FrameString {
        /// `func` or `file`.
        field: &'static str,
        /// The string id.
        id: u64,
        /// The stack's id.
        stack: u64,
    },
    /// In an event batch, a byte beyond Go's event table.
    #[error("found invalid event type: {code}")]
    CursorInvalidType {
        /// The byte.
        code: u8,
    },
    /// In an event batch, an event type without a timestamp.
    #[error("found event without a timestamp: type={code}")]
    CursorUntimed {
        /// The byte.
        code: u8,
    },
    /// In an event batch, a timestamp delta that cannot be read.
    #[error("found invalid uvarint for timestamp")]
    CursorTimestamp,
    /// In an event batch, an argument that cannot be read.
    #[error("found invalid uvarint")]
    CursorArgument,
    /// An event referencing a stack the generation does not define.
    #[error("found invalid stack ID {id} for event {event}")]
    UndefinedStack {
        /// The stack id.
        id: u64,
        /// The event's type.
        event: EventType,
    },
    /// An event referencing a string the generation does not define.
    #[error("found invalid string ID {id} for event {event}")]
    UndefinedString {
        /// The string id.
        id: u64,
        /// The event's type.
        event: EventType,
    },
    /// An ordering violation, in Go's wording.
    #[error("{0}")]
    Order(OrderFault),
}

impl ErrorKind {
    /// The broad class of this error.
    #[must_use]
    pub const fn category(&self) -> Category {
        match self {
            ErrorKind::BatchTruncated { .. } => Category::Truncated,
            ErrorKind::BadBatchHeader { fault: ReadFault::Eof | ReadFault::UnexpectedEof, .. } => {
                Category::Truncated
            }
            ErrorKind::IncompleteGeneration => Category::Truncated,
            ErrorKind::Order(_) | ErrorKind::DuplicateId { .. } | ErrorKind::UnknownPc { .. } => {
                Category::Inconsistent
            }
            ErrorKind::FrameString { .. }
            | ErrorKind::UndefinedStack { .. }
            | ErrorKind::UndefinedString { .. }
            | ErrorKind::InterleavedGenerations
            | ErrorKind::GenerationsOutOfOrder
            | ErrorKind::GenerationGap { .. }
            | ErrorKind::NoFrequency
            | ErrorKind::NoClockSnapshot => Category::Inconsistent,
            _ => Category::Malformed,
        }
    }
}

/// A goroutine status of the wire format, as Go's `tracev2.GoStatus` prints it.
#[must_use]
pub fn go_status_name(status: u64) -> &'static str {
    match status {
        1 => "Runnable",
        2 => "Running",
        3 => "Syscall",
        4 => "Waiting",
        _ => "Bad",
    }
}

/// A P status of the wire format, as Go's `tracev2.ProcStatus` prints it.
#[must_use]
pub fn proc_status_name(status: u64) -> &'static str {
    match status {
        1 => "Running",
        2 => "Idle",
        3 => "Syscall",
        4 => "SyscallAbandoned",
        _ => "Bad",
    }
}

/// A sequence number and its generation, printed as Go prints them (`5 (gen=2)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seq {
    /// The generation.
    pub gen: u64,
    /// The number within the generation.
    pub seq: u64,
}

impl std::fmt::Display for Seq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (gen={})", self.seq, self.gen)
    }
}

struct GoStatusName(u64);

impl std::fmt::Display for GoStatusName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(go_status_name(self.0))
    }
}

struct ProcStatusName(u64);

impl std::fmt::Display for ProcStatusName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(proc_status_name(self.0))
    }
}

/// What the ordering of a modern trace found wrong, in the wording of Go 1.27's reader. Ids
/// are signed where Go prints its "none" value, -1.
///
/// ```
/// use gotrace_format::modern::OrderFault;
/// let f = OrderFault::InconsistentGoStatus { g: 5, old: 2, new: 4 };
/// assert_eq!(f.to_string(), "inconsistent status for goroutine 5: old Running vs. new Waiting");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderFault {
    /// A type the ordering has no rule for.
    #[error("bad event type found while ordering: {code}")]
    BadEventType {
        /// The type byte.
        code: u8,
    },
    /// The event needs a thread.
    #[error("expected a thread but didn't have one")]
    ExpectedThread,
    /// The event needs a P.
    #[error("expected a proc but didn't have one")]
    ExpectedProc,
    /// The event must not have a P.
    #[error("expected no proc but had one")]
    ExpectedNoProc,
    /// The event needs a goroutine.
    #[error("expected a goroutine but didn't have one")]
    ExpectedGoroutine,
    /// The event must not have a goroutine.
    #[error("expected no goroutine but had one")]
    ExpectedNoGoroutine,
    /// A P status beyond the known ones.
    #[error("invalid status for proc {p}: {status}")]
    InvalidProcStatus {
        /// The P.
        p: u64,
        /// The status.
        status: u64,
    },
    /// A P status that contradicts the P's state.
    #[error("inconsistent status for proc {p}: old {} vs. new {}", ProcStatusName(*old), ProcStatusName(*new))]
    InconsistentProcStatus {
        /// The P.
        p: u64,
        /// The state known.
        old: u64,
        /// The status given.
        new: u64,
    },
    /// A P status saying a P is being stolen, no thread holding it.
    #[error("failed to find sched context for proc {p} that's about to be stolen")]
    NoStolenContext {
        /// The P.
        p: u64,
    },
    /// An event on a P never seen.
    #[error("event {event} for proc ({p}) that doesn't exist")]
    ProcMissing {
        /// The event's type.
        event: EventType,
        /// The P.
        p: i64,
    },
    /// `ProcStop` of a P that is neither running nor in a syscall.
    #[error("{event} event for proc that's not Running or Syscall")]
    ProcNotRunning {
        /// The event's type.
        event: EventType,
    },
    /// A thread stealing its own P finds another P.
    #[error("tried to self-steal proc {p} (thread {m}), but got proc {got} instead")]
    SelfSteal {
        /// The P.
        p: u64,
        /// The thread.
        m: u64,
        /// The thread's P.
        got: i64,
    },
    /// A steal from a thread never seen.
    #[error("stole proc from non-existent thread {m}")]
    StealUnknownThread {
        /// The thread.
        m: u64,
    },
    /// A steal from a thread that does not hold the P.
    #[error("tried to steal proc {p} from thread {m}, but got proc {got} instead")]
    StealWrongProc {
        /// The P.
        p: u64,
        /// The thread.
        m: u64,
        /// The thread's P.
        got: i64,
    },
    /// A goroutine status beyond the known ones.
    #[error("invalid status for goroutine {g}: {status}")]
    InvalidGoStatus {
        /// The goroutine.
        g: u64,
        /// The status.
        status: u64,
    },
    /// A goroutine status that contradicts the goroutine's state.
    #[error("inconsistent status for goroutine {g}: old {} vs. new {}", GoStatusName(*old), GoStatusName(*new))]
    InconsistentGoStatus {
        /// The goroutine.
        g: u64,
        /// The state known.
        old: u64,
        /// The status given.
        new: u64,
    },
    /// A status for a goroutine never seen, after the first generation.
    #[error("found goroutine status for new goroutine after the first generation: id={g} status={}", GoStatusName(*status))]
    NewGoroutineStatus {
        /// The goroutine.
        g: u64,
        /// The status.
        status: u64,
    },
    /// A goroutine in a syscall without a thread.
    #[error("found goroutine {g} in syscall without a thread")]
    SyscallWithoutThread {
        /// The goroutine.
        g: u64,
    },
    /// A syscalling goroutine's thread runs another goroutine.
    #[error("inconsistent thread for syscalling goroutine {g}: thread has goroutine {has}")]
    SyscallThread {
        /// The goroutine.
        g: u64,
        /// The thread's goroutine.
        has: i64,
    },
    /// An event for the running goroutine, which is not running.
    #[error("{event} event for goroutine that's not Running")]
    GoNotRunning {
        /// The event's type.
        event: EventType,
    },
    /// An event for a goroutine in a syscall, which is not.
    #[error("{event} event for goroutine that's not Syscall")]
    GoNotSyscall {
        /// The event's type.
        event: EventType,
    },
    /// A goroutine created twice.
    #[error("tried to create goroutine ({g}) that already exists")]
    GoExists {
        /// The goroutine.
        g: u64,
    },
    /// A goroutine created in a syscall twice.
    #[error("tried to create goroutine ({g}) in syscall that already exists")]
    GoExistsSyscall {
        /// The goroutine.
        g: u64,
    },
    /// An event for a goroutine never seen.
    #[error("event {event} for goroutine ({g}) that doesn't exist")]
    GoMissing {
        /// The event's type.
        event: EventType,
        /// The goroutine.
        g: i64,
    },
    /// A syscall event on a P never seen.
    #[error("uninitialized proc {p} found during {event}")]
    ProcUninitialized {
        /// The P.
        p: i64,
        /// The event's type.
        event: EventType,
    },
    /// A syscall's P sequence number out of step.
    #[error("failed to advance {event}: can't make sequence: {from} -> {to}")]
    SyscallSeq {
        /// The event's type.
        event: EventType,
        /// The P's sequence.
        from: Seq,
        /// The event's.
        to: Seq,
    },
    /// A syscall end on a P not in a syscall.
    #[error("expected proc {p} in state Syscall, but got {} instead", ProcStatusName(*got))]
    ProcNotSyscall {
        /// The P.
        p: i64,
        /// Its status.
        got: u64,
    },
    /// `GoDestroySyscall` on a P never seen.
    #[error("found invalid proc {p} during {event}")]
    ProcInvalid {
        /// The P.
        p: i64,
        /// The event's type.
        event: EventType,
    },
    /// `GoDestroySyscall` on a P not in a syscall.
    #[error("proc {p} in unexpected state {} during {event}", ProcStatusName(*status))]
    ProcUnexpected {
        /// The P.
        p: i64,
        /// Its status.
        status: u64,
        /// The event's type.
        event: EventType,
    },
    /// A task begun twice.
    #[error("task ID conflict: {id}")]
    TaskConflict {
        /// The task.
        id: u64,
    },
    /// A task or region naming a string the generation does not define.
    #[error("invalid string ID {id} for {} event", event.code())]
    NameUndefined {
        /// The string id.
        id: u64,
        /// The event's type.
        event: EventType,
    },
    /// A region event on a goroutine never seen.
    #[error("encountered Ev{event} without known state for current goroutine {g}")]
    RegionUnknownGoroutine {
        /// The event's type.
        event: EventType,
        /// The goroutine.
        g: i64,
    },
    /// A region end that is not the innermost region's; the text is Go's.
    #[error("{text}")]
    RegionMisuse {
        /// The message.
        text: &'static str,
    },
    /// `GCActive` after other GC events of the first generation.
    #[error("GCActive in the first generation isn't first GC event")]
    GcActiveNotFirst,
    /// `GCActive` with no GC running.
    #[error("encountered GCActive while GC was not in progress")]
    GcActiveNotRunning,
    /// `GCBegin` during a GC.
    #[error("encountered GCBegin while GC was already in progress")]
    GcBeginRunning,
    /// `GCEnd` with no GC running.
    #[error("encountered GCEnd when GC was not in progress")]
    GcEndNotRunning,
    /// `GCEnd` before anything is known of the GC.
    #[error("encountered GCEnd when GC was in an undetermined state")]
    GcEndUndetermined,
    /// `GCSweepActive` for a P never seen.
    #[error("encountered GCSweepActive for unknown proc {p}")]
    SweepUnknownProc {
        /// The P.
        p: u64,
    },
    /// A range event on a goroutine never seen.
    #[error("encountered event of type {} without known state for current goroutine {g}", event.code())]
    RangeUnknownGoroutine {
        /// The event's type.
        event: EventType,
        /// The goroutine.
        g: i64,
    },
    /// A range-active event for a goroutine never seen.
    #[error("uninitialized goroutine {g} found during {event}")]
    RangeUninitialized {
        /// The goroutine.
        g: u64,
        /// The event's type.
        event: EventType,
    },
    /// A range begun twice.
    #[error("discovered event already in-flight for when starting event {begin}")]
    RangeInFlight {
        /// The range's begin type.
        begin: EventType,
    },
    /// A range said active twice in the first generation.
    #[error("found named active range already in first gen: {{{} {desc}}}", begin.code())]
    RangeActiveTwice {
        /// The range's begin type.
        begin: EventType,
        /// Its description string (STW kind), 0 for none.
        desc: u64,
    },
    /// A range said active after the first generation, not in flight; the text is Go's.
    #[error("{text}")]
    RangeNotActive {
        /// The message.
        text: &'static str,
    },
    /// A range ended that is not in flight.
    #[error("tried to end event {begin}, but not in-flight")]
    RangeNotInFlight {
        /// The range's begin type.
        begin: EventType,
    },
    /// No thread's next event can come next. `state` is Go's dump of the reader's state: each
    /// thread's next event, then the goroutines, Ps and threads the ordering knows and the GC
    /// (Go lists goroutines, Ps and threads in its maps' random order; ours is by id).
    #[error("broken trace: failed to advance: frontier:\n[gen={gen}]\n\n{state}")]
    FailedToAdvance {
        /// The generation.
        gen: u64,
        /// The state, as Go prints it (cut after 4 KiB).
        state: &'static str,
    },
}
