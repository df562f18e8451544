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
    /// A well-formed header of a version no Go release wrote, or one gotrace does not read.
    #[error("unsupported trace file version {}.{}", number / 1000, number % 1000)]
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
    /// The underlying reader failed.
    #[error("I/O error: {kind}")]
    Io {
        /// What the reader reported.
        kind: std::io::ErrorKind,
    },
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
            | TimeOrder => Category::Inconsistent,
            Io { .. } => Category::Io,
            _ => Category::Malformed,
        }
    }
}
