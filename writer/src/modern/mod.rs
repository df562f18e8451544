//! The writer of modern traces (Go 1.23 – 1.27: format versions 23 and 26), mirroring the
//! legacy one: [`Encoder`] encodes records as the runtime does, [`Tracer`] is the runtime's
//! concurrent, generational tracer (thread handles with buffers of their own, the leaf-locked
//! buffer pool, generations with their own tables), and [`synth`] writes the synthetic workload
//! through it.
//!
//! ```
//! use gotrace_writer::modern::{Tracer, TracerOptions};
//! use gotrace_writer::{BlockReason, Frame, StackId};
//! use gotrace_format::Version;
//! let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_23))?;
//! let f = tracer.stack(&[Frame { pc: 0x401000, func: "main.main", file: "main.go", line: 5 }]);
//! let mut m = tracer.thread(0)?;
//! m.proc_start(1, tracer.proc(0)?).map_err(|r| r.error)?;
//! let g = m.go_create(2, f, StackId::NONE)?;
//! m.go_start(3, g).map_err(|r| r.error)?;
//! let g = m.go_block(4, BlockReason::Sync, f)?;
//! let g = m.go_unblock(5, g, f);
//! tracer.advance(); // the next event is in generation 2
//! m.go_start(6, g).map_err(|r| r.error)?;
//! assert_eq!(m.generation(), 2);
//! drop(m);
//! let trace = tracer.finish()?;
//! assert_eq!(&trace[..16], b"go 1.23 trace\0\0\0");
//! # Ok::<(), gotrace_writer::Error>(())
//! ```

mod encoder;
pub mod synth;
mod tracer;

pub use crate::TracerOptions;
pub use encoder::{
    ClockSnapshot, CpuSample, Encoder, Event, GoStatus, OpenBatch, ProcStatus, MAX_BATCH_HEADER_LEN,
    MAX_EVENT_LEN, NO_THREAD,
};
pub use tracer::{Proc, Runnable, Stats, SyscallProc, Thread, Tracer, Waiting};
