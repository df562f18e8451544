//! # gotrace-parser
//!
//! Readers of Go execution traces. The raw layer reads records in file order, in three shapes
//! that give identical results:
//!
//! - [`legacy::RawEvents`]: zero-copy over a `&[u8]` (a file read whole or memory-mapped);
//! - [`legacy::RawReader`]: streaming over any `std::io::Read`, memory bounded by the largest
//!   record rather than the file;
//! - [`legacy::RawParser`]: incremental, fed chunks as they arrive.
//!
//! Bad input never panics: every problem is an [`Error`](gotrace_format::Error) with the byte
//! offset of the record at fault.
//!
//! ```
//! use gotrace_parser::legacy::RawEvents;
//! let trace = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
//! let count = RawEvents::new(&trace)?.count();
//! assert!(count > 1000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
// No unsafe code, but the unit tests' counting allocator (crate::hash's tests).
#![cfg_attr(not(test), forbid(unsafe_code))]
#![cfg_attr(test, deny(unsafe_code))]
#![warn(missing_docs)]

pub mod convert;
mod go_float;
mod hash;
mod leak;
pub mod legacy;
pub mod modern;

mod options;
pub mod steps;

pub use options::{Limits, Options};
