//! The error type shared by every layer: what went wrong, and the byte offset where.

use crate::legacy::EventType;

/// An error found in a trace, with the byte offset of the record at fault.
///
/// Errors about the whole file (an empty trace, a missing frequency record) carry the file's
/// length as their offset. `Display` gives the message followed by the offset; [`Error::message`]
/// gives the message alone.
///
/// ```
/// use gotrace_format::{Error, ErrorKind, Category};
/// let e = Error::new(42, ErrorKind::UnknownEventType { code: 63 });
/// assert_eq!(e.offset(), 42);
/// assert_eq!(e.kind().category(), Category::Malformed);
/// assert_eq!(e.to_string(), "unknown event type 63 (at offset 42)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    offset: u64,
    kind: ErrorKind,
}

impl Error {
    /// An error of `kind` at byte `offset`.
    #[cold]
    #[must_use]
    pub const fn new(offset: u64, kind: ErrorKind) -> Error {
        Error { offset, kind }
    }

    /// Byte offset of the record at fault (the file's length for whole-file errors).
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// What went wrong.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the offset, in Go's wording where Go has one.
    #[must_use]
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at offset {})", self.kind, self.offset)
    }
}

impl std::error::Error for Error {}

/// The broad class of an [`ErrorKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The input ended inside a record: more bytes would be needed (a cut file).
    Truncated,
    /// Bytes that no writer produces: bad header, bad varint, bad type, bad length.
    Malformed,
    /// Well-formed records that contradict each other (ordering, states, duplicate ids).
    Inconsistent,
    /// A well-formed header of a version gotrace does not read.
    Unsupported,
    /// A configured limit was reached.
    LimitExceeded,
    /// The underlying reader failed.
    Io,
}

/// What went wrong. Messages follow the wording of Go's parser where it has one (offsets are
/// kept apart, in [`Error`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file is shorter than the 16-byte header.
    #[error("failed to read header: read {read}, err {}", if *read == 0 { "EOF" } else { "unexpected EOF" })]
    HeaderTruncated {
        /// Bytes present.
        read: u8,
    },
    /// The first 16 bytes are not a trace header.
    #[error("not a trace file")]
    BadHeader,
    /// A well-formed header of a version no Go release wrote, or one gotrace does not read. In
    /// the words of the Go that reads its neighbours: Go 1.19's up to 1.21, Go 1.27's beyond.
    #[error("{}", unsupported_version(*number))]
    UnsupportedVersion {
        /// `1000 * major + minor` as the header says.
        number: u32,
    },
    /// The input ends inside a record.
    #[error("trace ends inside {}", match event { Some(t) => t.name_1_19(), None => "a record" })]
    Truncated {
        /// The record's type, when its first byte was read.
        event: Option<EventType>,
    },
    /// A type byte names no event type of this version.
    #[error("unknown event type {code}")]
    UnknownEventType {
        /// The low 6 bits of the type byte.
        code: u8,
    },
    /// A varint of 10 bytes whose last byte still has its continuation bit set.
    #[error("bad value")]
    BadVarint,
    /// A 10-byte varint with bits beyond 64 (Go drops them; rejected in strict mode).
    #[error("value does not fit in 64 bits")]
    VarintOverflow,
    /// A length-prefixed record whose values do not end exactly at its length.
    #[error("event has wrong length: want {want}, got {got}")]
    WrongLength {
        /// The length prefix.
        want: u64,
        /// Bytes the values occupy.
        got: u64,
    },
    /// A length prefix larger than any valid record of that type can be.
    #[error("{} length {len} exceeds the largest valid length {max}", event.name_1_19())]
    LengthTooLarge {
        /// The record's type.
        event: EventType,
        /// The length prefix.
        len: u64,
        /// The largest length a valid record of this type has.
        max: u64,
    },
    /// An event with a value count its type does not have in this version.
    #[error("{} has wrong number of arguments: want {want}, got {got}", event.name_1_19())]
    WrongArgCount {
        /// The record's type.
        event: EventType,
        /// Values the type has in this version.
        want: u32,
        /// Values present.
        got: u32,
    },
    /// A stack record with fewer than 2 values.
    #[error("EvStack has wrong number of arguments: want at least 2, got {got}")]
    StackTooShort {
        /// Values present.
        got: u32,
    },
    /// A stack record claiming more than 1000 frames.
    #[error("EvStack has bad number of frames: {frames}")]
    StackTooDeep {
        /// The claimed frame count.
        frames: u64,
    },
    /// A stack record whose value count does not match its frame count.
    #[error("EvStack has wrong number of arguments: want {want}, got {got}")]
    StackWrongArgCount {
        /// Values its frame count implies.
        want: u64,
        /// Values present.
        got: u32,
    },
    /// A stack record with id 0 (Go ignores it; rejected in strict mode).
    #[error("stack has invalid id 0")]
    StackIdZero,
    /// A stack record with no frames (Go ignores it; rejected in strict mode).
    #[error("stack has no frames")]
    StackEmpty,
    /// A stack record whose id was already defined (Go keeps the last; rejected in strict mode).
    #[error("stack has duplicate id {id}")]
    StackDuplicate {
        /// The id.
        id: u64,
    },
    /// A reference to a string id that no record defines (Go reads it as ""; rejected in strict
    /// mode).
    #[error("string {id} is not defined")]
    StringUndefined {
        /// The id.
        id: u64,
    },
    /// A reference to a stack id that no record defines (Go reads it as no stack; rejected in
    /// strict mode).
    #[error("stack {id} is not defined")]
    StackUndefined {
        /// The id.
        id: u64,
    },
    /// An event before the first batch record (Go reads it as P 0's; rejected in strict mode).
    #[error("event outside any batch")]
    EventOutsideBatch,
    /// A string record with id 0.
    #[error("string has invalid id 0")]
    StringIdZero,
    /// A string record whose id was already defined.
    #[error("string has duplicate id {id}")]
    StringDuplicate {
        /// The id.
        id: u64,
    },
    /// A string record of length 0.
    #[error("string has invalid length 0")]
    StringEmpty,
    /// A string record longer than 1 000 000 bytes.
    #[error("string has too large length {len}")]
    StringTooLong {
        /// The claimed length.
        len: u64,
    },
    /// A `UserLog` message that is cut, unterminated or too long (Go ignores this; strict mode
    /// does not).
    #[error("UserLog message is damaged")]
    MessageDamaged,
    /// The trace holds no events.
    #[error("trace is empty")]
    TraceEmpty,
    /// The trace has no `Frequency` record.
    #[error("no EvFrequency event")]
    NoFrequency,
    /// Timestamps contradict the order of events (also: a frequency ≤ 0, as in Go).
    #[error("time stamps out of order")]
    TimeOrder,
    /// A Go 1.10 – 1.19 STW event of a kind other than 0 and 1.
    #[error("unknown STW kind {kind}")]
    UnknownStwKind {
        /// The kind.
        kind: u64,
    },
    /// The causal merge of a Go 1.7+ trace found no event that may come next.
    #[error("no consistent ordering of events possible")]
    NoConsistentOrdering,
    /// A `GoSysExit` with a real time stamp, and no earlier `GoSysBlock` or `GoInSyscall` of
    /// its goroutine (or one at tick 0).
    #[error("stray syscall exit")]
    StraySyscallExit,
    /// Two batches offered events for one goroutine that cannot both happen (Go panics).
    #[error("event sequences are broken")]
    SequencesBroken,
    /// An event contradicts the state of its goroutine or P (Go's `postProcessTrace`); `offset`
    /// and `time` (nanoseconds since the first event) are part of Go's message.
    #[error("{violation} (offset {offset}, time {time})")]
    Invalid {
        /// What is wrong.
        violation: Violation,
        /// Byte offset of the event.
        offset: u64,
        /// The event's time in nanoseconds.
        time: i64,
    },
    /// A second `UserTaskCreate` for a task id still open. The texts are the two events as
    /// `go tool trace -d` prints them, already quoted as Go's `%q`.
    #[error("task id conflicts (id:{id}), {event} vs {previous}")]
    TaskConflict {
        /// The task id.
        id: u64,
        /// The new event, quoted.
        event: &'static str,
        /// The event that opened the task, quoted.
        previous: &'static str,
    },
    /// A region end that does not match the innermost open region of its goroutine. The texts
    /// are the two events, quoted as Go's `%q`.
    #[error("misuse of region in goroutine {g}: span end {end} when the inner-most active span start event is {start}")]
    RegionMisuse {
        /// The goroutine.
        g: u64,
        /// The region end, quoted.
        end: &'static str,
        /// The innermost open region's start, quoted.
        start: &'static str,
    },
    /// A `UserRegion` whose mode is neither 0 (start) nor 1 (end); the text is the event, quoted.
    #[error("invalid user region mode: {event}")]
    InvalidRegionMode {
        /// The event, quoted.
        event: &'static str,
    },
    /// A value beyond what gotrace's compact event representation holds, or beyond a limit of
    /// the caller's [`Limits`](../gotrace_parser/struct.Limits.html) (Go has no such limits).
    #[error("{what} {value} exceeds the limit {max}")]
    LimitExceeded {
        /// What.
        what: Limit,
        /// The value met.
        value: u64,
        /// The largest value accepted.
        max: u64,
    },
    /// A value or length not in its shortest encoding where the runtime writes the shortest
    /// (every varint but Go 1.21's padded stack lengths and the modern batch sizes; Go reads
    /// it; rejected in strict mode).
    #[error("value not minimally encoded")]
    NonMinimalVarint,
    /// An event of a Go 1.11+ trace (or a timed event of a modern one) whose timestamp delta
    /// is 0 (the runtime makes it 1; Go reads it; rejected in strict mode).
    #[error("timestamp delta 0")]
    ZeroTimeDelta,
    /// A frequency below one tick per microsecond (no runtime's clock is that coarse; Go
    /// reads it; rejected in strict mode).
    #[error("frequency {freq} below 1000000 ticks per second")]
    FrequencyTooLow {
        /// Ticks per second.
        freq: u64,
    },
    /// A batch or CPU sample of a P at or beyond the largest GOMAXPROCS the trace records (Go
    /// reads it; rejected in strict mode).
    #[error("p {p} beyond GOMAXPROCS {procs}")]
    ProcBeyondGomaxprocs {
        /// The P.
        p: u64,
        /// The largest GOMAXPROCS of the trace.
        procs: u64,
    },
    /// Unequal numbers of starts and ends of GC cycles, stop-the-worlds or sweeps, which never
    /// span the start or the end of a trace (Go reads it; rejected in strict mode).
    #[error("{starts} {} but {ends} {}", start.name_1_19(), end.name_1_19())]
    Unbalanced {
        /// The start event's type.
        start: EventType,
        /// The end event's type.
        end: EventType,
        /// Starts in the trace.
        starts: u64,
        /// Ends in the trace.
        ends: u64,
    },
    /// The underlying reader failed.
    #[error("I/O error: {kind}")]
    Io {
        /// What the reader reported.
        kind: std::io::ErrorKind,
    },
    /// An error of a modern trace (Go 1.22 and later).
    #[error("{0}")]
    Modern(crate::modern::ErrorKind),
    /// A legacy event the conversion to the modern event model has no counterpart for (a
    /// `FutileWakeup` in a Go 1.11+ trace, which no such runtime writes; Go 1.27's words).
    #[error("unexpected event type {code}")]
    NotConvertible {
        /// The legacy type code.
        code: u8,
    },
    /// String ids so large that the conversion to the modern event model finds no ids for
    /// its own strings (Go 1.27's words).
    #[error("trace contains too many strings")]
    TooManyStrings,
    /// A converted event names a stack or string that no record defines: Go 1.27 panics with
    /// these words when it prints the event; the conversion stops there.
    #[error("expected id {id} in {table} table")]
    ConvertedUndefined {
        /// Go's name of the table: `trace.stack` or `string`.
        table: &'static str,
        /// The id.
        id: u64,
    },
}

/// The state violations Go's `postProcessTrace` reports, with its wording; `go tool trace`
/// appends the event's offset and time (see [`ErrorKind::Invalid`]).
///
/// ```
/// use gotrace_format::{legacy::EventType, ErrorKind, Violation};
/// let kind = ErrorKind::Invalid {
///     violation: Violation::GNotRunning { g: 7, event: EventType::GO_END },
///     offset: 120,
///     time: 3500,
/// };
/// assert_eq!(kind.to_string(), "g 7 is not running while GoEnd (offset 120, time 3500)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The goroutine of a goroutine event is not running.
    #[error("g {g} is not running while {}", event.name_1_19())]
    GNotRunning {
        /// The goroutine.
        g: u64,
        /// The event's type.
        event: EventType,
    },
    /// The P of a goroutine event runs another goroutine.
    #[error("p {p} is not running g {g} while {}", event.name_1_19())]
    PNotRunningG {
        /// The P.
        p: i64,
        /// The goroutine.
        g: u64,
        /// The event's type.
        event: EventType,
    },
    /// A goroutine event on goroutine 0.
    #[error("g 0 did {}", event.name_1_19())]
    GZero {
        /// The event's type.
        event: EventType,
    },
    /// `ProcStart` on a running P.
    #[error("p {p} is running before start")]
    PRunningBeforeStart {
        /// The P.
        p: i64,
    },
    /// `ProcStop` on a stopped P.
    #[error("p {p} is not running before stop")]
    PNotRunningBeforeStop {
        /// The P.
        p: i64,
    },
    /// `ProcStop` on a P that runs a goroutine.
    #[error("p {p} is running a goroutine {g} during stop")]
    PRunningGDuringStop {
        /// The P.
        p: i64,
        /// The goroutine it runs.
        g: u64,
    },
    /// `GCStart` while a GC is open.
    #[error("previous GC is not ended before a new one")]
    GcNotEnded,
    /// `GCDone` with no GC open.
    #[error("bogus GC end")]
    BogusGcEnd,
    /// An STW start while one is open.
    #[error("previous STW is not ended before a new one")]
    StwNotEnded,
    /// An STW end with none open.
    #[error("bogus STW end")]
    BogusStwEnd,
    /// `GCSweepStart` while the P sweeps.
    #[error("previous sweeping is not ended before a new one")]
    SweepNotEnded,
    /// `GCMarkAssistStart` while the goroutine assists.
    #[error("previous mark assist is not ended before a new one")]
    MarkAssistNotEnded,
    /// `GCSweepDone` with no sweep open on the P.
    #[error("bogus sweeping end")]
    BogusSweepEnd,
    /// `GoWaiting` for a goroutine that is not runnable.
    #[error("g {g} is not runnable before EvGoWaiting")]
    NotRunnableBeforeWaiting {
        /// The goroutine.
        g: u64,
    },
    /// `GoInSyscall` for a goroutine that is not runnable.
    #[error("g {g} is not runnable before EvGoInSyscall")]
    NotRunnableBeforeInSyscall {
        /// The goroutine.
        g: u64,
    },
    /// `GoCreate` of a goroutine already seen.
    #[error("g {g} already exists")]
    GAlreadyExists {
        /// The new goroutine.
        g: u64,
    },
    /// `GoStart` of a goroutine that is not runnable.
    #[error("g {g} is not runnable before start")]
    NotRunnableBeforeStart {
        /// The goroutine.
        g: u64,
    },
    /// `GoStart` on a P that runs another goroutine.
    #[error("p {p} is already running g {running} while start g {g}")]
    PAlreadyRunning {
        /// The P.
        p: i64,
        /// The goroutine it runs.
        running: u64,
        /// The goroutine starting.
        g: u64,
    },
    /// `GoUnblock` by a goroutine that is not running.
    #[error("g {g} is not running while unpark")]
    NotRunningWhileUnpark {
        /// The unblocking goroutine.
        g: u64,
    },
    /// `GoUnblock` on a P that does not run the unblocking goroutine.
    #[error("p {p} is not running g {g} while unpark")]
    PNotRunningGWhileUnpark {
        /// The P.
        p: i64,
        /// The unblocking goroutine.
        g: u64,
    },
    /// `GoUnblock` of a goroutine that is not waiting.
    #[error("g {g} is not waiting before unpark")]
    NotWaitingBeforeUnpark {
        /// The unblocked goroutine.
        g: u64,
    },
    /// `GoSysExit` of a goroutine that is not waiting.
    #[error("g {g} is not waiting during syscall exit")]
    NotWaitingDuringSyscallExit {
        /// The goroutine.
        g: u64,
    },
}

/// What an [`ErrorKind::LimitExceeded`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// The number of events of a trace.
    Events,
    /// A byte offset in the file.
    Offset,
    /// A P id (batch headers).
    ProcId,
    /// Bytes of a string record or a `UserLog` message (a limit a caller set below Go's).
    StringLen,
    /// Frames of a stack record (a caller's limit, below Go's).
    StackFrames,
    /// The number of batch records of a trace.
    Batches,
    /// Bytes the ordered parser holds for the events, strings, messages and stacks read.
    BytesHeld,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::Events => "event count",
            Limit::Offset => "file offset",
            Limit::ProcId => "P id",
            Limit::StringLen => "string length",
            Limit::StackFrames => "stack depth",
            Limit::Batches => "batch count",
            Limit::BytesHeld => "bytes held",
        })
    }
}

impl ErrorKind {
    /// The broad class of this error.
    #[must_use]
    pub const fn category(&self) -> Category {
        use ErrorKind::*;
        match self {
            HeaderTruncated { .. } | Truncated { .. } => Category::Truncated,
            UnsupportedVersion { .. } => Category::Unsupported,
            StringDuplicate { .. }
            | StackDuplicate { .. }
            | EventOutsideBatch
            | TraceEmpty
            | NoFrequency
            | TimeOrder
            | NoConsistentOrdering
            | StraySyscallExit
            | SequencesBroken
            | Invalid { .. }
            | TaskConflict { .. }
            | RegionMisuse { .. }
            | InvalidRegionMode { .. }
            | ZeroTimeDelta
            | FrequencyTooLow { .. }
            | ProcBeyondGomaxprocs { .. }
            | Unbalanced { .. }
            | ConvertedUndefined { .. }
            | TooManyStrings => Category::Inconsistent,
            NotConvertible { .. } => Category::Unsupported,
            LimitExceeded { .. } => Category::LimitExceeded,
            Io { .. } => Category::Io,
            Modern(kind) => kind.category(),
            _ => Category::Malformed,
        }
    }
}

/// Go's message for a header of a version it does not read: Go 1.19's parser for numbers up to
/// 1.21 (the legacy layout), Go 1.27's reader beyond.
fn unsupported_version(number: u32) -> String {
    let (major, minor) = (number / 1000, number % 1000);
    if number <= 1021 {
        format!("unsupported trace file version {major}.{minor} (update Go toolchain) {number}")
    } else {
        format!("unknown or unsupported trace version go {major}.{minor}")
    }
}
