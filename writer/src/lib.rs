//! # gotrace-writer
//!
//! Writers of Go execution traces. [`RawWriter`] re-encodes raw records field by field: for any
//! file the reader accepts, reading and writing gives back the same bytes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod raw;

pub use raw::RawWriter;
