//! What can be wrong in a modern trace (Go 1.22 – 1.27), in the wording of Go 1.27's reader
//! where it has one. These are carried by [`crate::ErrorKind::Modern`], inside an
//! [`Error`](crate::Error) with the byte offset of the record at fault.

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
            _ => Category::Malformed,
        }
    }
}
