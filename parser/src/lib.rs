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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod legacy;

/// How strictly to read.
///
/// ```
/// let options = gotrace_parser::Options::default().strict(true);
/// assert!(options.is_strict());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    strict: bool,
}

impl Options {
    /// In strict mode the reader also rejects the damage Go's reader tolerates: varints with
    /// bits beyond 64, and damaged `UserLog` messages. By default the verdict follows Go's.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Options {
        self.strict = strict;
        self
    }

    /// True in strict mode.
    #[must_use]
    pub fn is_strict(&self) -> bool {
        self.strict
    }
}
