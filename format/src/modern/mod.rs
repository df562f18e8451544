//! The modern layout (Go 1.22 – 1.27, format versions 22, 23, 25 and 26): event types, raw
//! records, their text form, and the errors of modern traces.
//!
//! A modern trace is the 16-byte header, then batches: `EventBatch` headers (`gen`, `m`,
//! `time`, `size`) each followed by `size` bytes of records, `ExperimentalBatch`es carrying
//! opaque bytes, and in version 26 a lone `EndOfGeneration` byte after every generation.

mod batch;
mod error;
mod event_type;
mod raw;
mod text;

pub use batch::BatchKind;
pub use error::{go_status_name, proc_status_name, BatchField, ErrorKind, OrderFault, ReadFault, Seq};
pub use event_type::{EventType, FRAME_FIELDS};
pub use raw::{Args, RawEvent};
pub use text::{text_header, EmptyData, TextLines};

/// Largest batch body Go's reader accepts (`MaxBatchSize`).
pub const MAX_BATCH_SIZE: u64 = 64 << 10;

/// Largest string Go's reader accepts (`MaxStringSize`).
pub const MAX_STRING_LEN: u64 = 1024;

/// Most frames in a stack Go's reader accepts (`MaxFramesPerStack`).
pub const MAX_STACK_FRAMES: u64 = 128;
