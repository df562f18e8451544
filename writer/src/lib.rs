//! # gotrace-writer
//!
//! Writers of Go execution traces:
//!
//! - [`RawWriter`] re-encodes raw records field by field: for any file the reader accepts,
//!   reading and writing gives back the same bytes;
//! - [`Encoder`] encodes one record of a Go 1.19 or 1.21 trace exactly as the Go runtime does,
//!   from a typed [`Event`];
//! - [`Tracer`] is the runtime's concurrent tracer: producer threads write through P handles
//!   ([`Proc`]) into buffers of their own without locking, a consumer thread drains full
//!   buffers to any `io::Write`, and a small state model (goroutine handles such as
//!   [`Runnable`] and [`Waiting`]) keeps sequence numbers and states consistent, so that what
//!   it writes is a trace Go's tools accept;
//! - [`synth`] generates a realistic synthetic workload through the tracer;
//! - [`modern`] holds the same for modern traces (Go 1.23 – 1.27, formats 23 and 26).
//!
//! The cargo feature `arbitrary` (off by default) implements `arbitrary::Arbitrary` for
//! [`Event`], [`StackFrame`], [`BlockReason`] and [`GcWorker`], for fuzzing.
//!
//! ```
//! use gotrace_writer::{BlockReason, Frame, StackId, Tracer, TracerOptions};
//! let tracer = Tracer::new(Vec::new(), TracerOptions::default())?;
//! let f = tracer.stack(&[Frame { pc: 0x401000, func: "main.main", file: "main.go", line: 5 }])?;
//! let mut p = tracer.proc(0)?;
//! p.proc_start(1, 0)?;
//! let g = p.go_create(2, f, StackId::NONE)?;
//! p.go_start(3, g).map_err(|r| r.error)?;
//! let g = p.go_block(4, BlockReason::Sync, f)?;
//! let g = p.go_unblock(5, g, f);
//! drop(p);
//! assert_eq!(tracer.stats().events(), 5);
//! let trace = tracer.finish()?;
//! assert!(trace.len() > 16);
//! # drop(g);
//! # Ok::<(), gotrace_writer::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encoder;
mod error;
pub mod modern;
mod raw;
pub mod synth;
mod tracer;

pub use encoder::{Encoder, Event, StackFrame, MAX_EVENT_LEN};
pub use error::{Error, Refused, StateError};
pub use raw::RawWriter;
pub use tracer::lockorder::holding_pool_lock;
pub use tracer::{
    BlockReason, EventKind, Frame, GcCycle, GcWorker, GoId, InSyscall, Proc, Region, Runnable, StackId,
    Stats, StringId, Stw, Task, TaskId, Tracer, TracerOptions, Waiting, BUFFER_SIZE,
};
