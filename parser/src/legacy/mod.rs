//! Legacy traces (Go 1.5 – 1.21): raw records, and the file-level checks of Go's reader.

mod census;
mod raw;

pub use census::{Census, TypeStats};
pub use raw::{Chunk, RawEvents, RawParser, RawReader, READ_CHUNK};
