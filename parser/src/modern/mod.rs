//! Modern traces (Go 1.22 – 1.27): raw records in file order, and their text form.
//!
//! The raw readers check what a record's bytes can say on their own: batch headers (the body's
//! size at most 64 KiB, every batch complete), the events of each body (type known to the
//! version, its values inside the body, no value beyond 64 bits), and `EndOfGeneration` bytes
//! in version 26. Generations, tables and ordering come with the structure and ordered layers.

mod raw;
mod text;

pub use raw::{Chunk, RawEvents, RawParser, RawReader, READ_CHUNK};
pub use text::{ArgFault, TextError, TextErrorKind, TextReader, MAX_LINE};
