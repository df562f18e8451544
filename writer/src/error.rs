//! The writer's errors.

use std::fmt;
use std::io;

use gotrace_format::legacy::StwReason;
use gotrace_format::Version;

/// Why the encoder or the tracer refused to write, or why writing failed.
///
/// ```
/// use gotrace_writer::{Encoder, Error};
/// let err = Encoder::new(gotrace_format::Version::Go1_11).unwrap_err();
/// assert!(matches!(err, Error::UnsupportedVersion(_)));
/// assert_eq!(err.to_string(), "the writer writes Go 1.19 and Go 1.21 traces, not 1.11");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The writer writes Go 1.19 and 1.21 traces only.
    UnsupportedVersion(Version),
    /// A stop-the-world reason the version cannot express (1.19 knows only the two GC stops).
    StwReason {
        /// The reason.
        reason: StwReason,
        /// The trace's version.
        version: Version,
    },
    /// A string record with id 0 (the empty string's id, never written).
    StringIdZero,
    /// A string record without bytes.
    StringEmpty,
    /// A string over Go's limit of 1 000 000 bytes.
    StringTooLong {
        /// Its length.
        len: usize,
    },
    /// A stack record with id 0 (which means "no stack").
    StackIdZero,
    /// A stack without frames.
    StackEmpty,
    /// A stack over Go's limit of 1000 frames.
    StackTooDeep {
        /// Its frame count.
        frames: usize,
    },
    /// A P id beyond the tracer's `procs`.
    ProcOutOfRange {
        /// The id asked for.
        p: u32,
        /// The tracer's P count.
        procs: u32,
    },
    /// A P whose handle is already held by someone.
    ProcTaken {
        /// The id.
        p: u32,
    },
    /// The event does not fit the state of its P, goroutine or GC (see [`StateError`]).
    State(StateError),
    /// A thread id beyond the modern tracer's `threads`.
    ThreadOutOfRange {
        /// The id asked for.
        m: u32,
        /// The tracer's thread count.
        threads: u32,
    },
    /// A thread whose handle is already held by someone.
    ThreadTaken {
        /// The id.
        m: u32,
    },
    /// The modern writer writes format versions 23 and 26 only.
    UnsupportedModernVersion(Version),
    /// A record the trace's version does not have (`EndOfGeneration` in a 23 trace).
    NotInVersion {
        /// Go's name of the record.
        name: &'static str,
        /// The trace's version.
        version: Version,
    },
    /// A string or a stack over a limit of Go's modern reader.
    OverLimit {
        /// What: "string" (bytes) or "stack" (frames).
        what: &'static str,
        /// Its size.
        len: usize,
        /// Go's limit.
        max: u64,
    },
    /// The sink failed (the first error it returned; later buffers were dropped).
    Io(io::Error),
    /// The sink panicked.
    SinkPanicked,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnsupportedVersion(v) => {
                write!(f, "the writer writes Go 1.19 and Go 1.21 traces, not {v}")
            }
            Error::StwReason { reason, version } => {
                write!(f, "a Go {version} trace cannot express the stop-the-world reason {reason:?}")
            }
            Error::StringIdZero => f.write_str("string id 0 is the empty string and is never written"),
            Error::StringEmpty => f.write_str("string record without bytes"),
            Error::StringTooLong { len } => write!(f, "string of {len} bytes exceeds Go's limit of 1000000"),
            Error::StackIdZero => f.write_str("stack id 0 means no stack and is never written"),
            Error::StackEmpty => f.write_str("stack without frames"),
            Error::StackTooDeep { frames } => {
                write!(f, "stack of {frames} frames exceeds Go's limit of 1000")
            }
            Error::ProcOutOfRange { p, procs } => write!(f, "P {p} out of range: the tracer has {procs} Ps"),
            Error::ProcTaken { p } => write!(f, "P {p} is already held"),
            Error::State(e) => e.fmt(f),
            Error::ThreadOutOfRange { m, threads } => {
                write!(f, "thread {m} out of range: the tracer has {threads} threads")
            }
            Error::ThreadTaken { m } => write!(f, "thread {m} is already held"),
            Error::UnsupportedModernVersion(v) => {
                write!(f, "the modern writer writes Go 1.23 and Go 1.26 traces, not {v}")
            }
            Error::NotInVersion { name, version } => write!(f, "a Go {version} trace has no {name} record"),
            Error::OverLimit { what, len, max } => write!(f, "{what} of {len} exceeds Go's limit of {max}"),
            Error::Io(e) => write!(f, "writing the trace failed: {e}"),
            Error::SinkPanicked => f.write_str("writing the trace failed: the sink panicked"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::State(e) => Some(e),
            _ => None,
        }
    }
}

impl From<StateError> for Error {
    fn from(e: StateError) -> Error {
        Error::State(e)
    }
}

/// An event that would make the trace inconsistent, refused by the tracer's state model
/// before anything was written.
///
/// ```
/// use gotrace_writer::StateError;
/// assert_eq!(StateError::NoRunningGoroutine.to_string(), "the P runs no goroutine");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StateError {
    /// The event needs a goroutine running on the P.
    NoRunningGoroutine,
    /// The P already runs goroutine `g`.
    GoroutineRunning {
        /// The goroutine it runs.
        g: u64,
    },
    /// The P has not started (`proc_start`), or it is the no-P buffer.
    ProcNotStarted,
    /// The P is already started.
    ProcStarted,
    /// The no-P buffer cannot start or stop.
    NoP,
    /// A GC cycle is already running.
    GcRunning,
    /// The world is already stopped.
    StwRunning,
    /// The P is already sweeping.
    SweepRunning,
    /// The P is not sweeping.
    NoSweep,
    /// The goroutine already assists the GC.
    MarkAssistRunning,
    /// The goroutine does not assist the GC.
    NoMarkAssist,
    /// A region end that is not the innermost open region of the running goroutine.
    RegionNotInnermost,
    /// A goroutine must name its start function: `GoCreate` needs a start stack.
    NoStartStack,
    /// The modern tracer keeps at most 2^26 goroutines alive at once (the generation pass
    /// writes the status of each one).
    TooManyGoroutines,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::NoRunningGoroutine => f.write_str("the P runs no goroutine"),
            StateError::GoroutineRunning { g } => write!(f, "the P already runs goroutine {g}"),
            StateError::ProcNotStarted => f.write_str("the P is not started"),
            StateError::ProcStarted => f.write_str("the P is already started"),
            StateError::NoP => f.write_str("the no-P buffer cannot start or stop"),
            StateError::GcRunning => f.write_str("a GC cycle is already running"),
            StateError::StwRunning => f.write_str("the world is already stopped"),
            StateError::SweepRunning => f.write_str("the P is already sweeping"),
            StateError::NoSweep => f.write_str("the P is not sweeping"),
            StateError::MarkAssistRunning => f.write_str("the goroutine already assists the GC"),
            StateError::NoMarkAssist => f.write_str("the goroutine does not assist the GC"),
            StateError::RegionNotInnermost => {
                f.write_str("a region end must match the innermost open region of its goroutine")
            }
            StateError::NoStartStack => f.write_str("a goroutine needs a start stack naming its function"),
            StateError::TooManyGoroutines => {
                f.write_str("more goroutines alive than the modern tracer keeps")
            }
        }
    }
}

impl std::error::Error for StateError {}

/// An operation refused by the state model, with the handle it was given back, so that the
/// goroutine (or region) is not lost.
///
/// ```
/// use gotrace_writer::{Refused, StateError};
/// let r = Refused { error: StateError::ProcNotStarted, handle: 7u32 };
/// assert_eq!(r.to_string(), "the P is not started");
/// ```
#[derive(Debug)]
pub struct Refused<T> {
    /// Why.
    pub error: StateError,
    /// The handle, unchanged.
    pub handle: T,
}

impl<T> fmt::Display for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<T: fmt::Debug> std::error::Error for Refused<T> {}
