//! # gotrace
//!
//! Go execution traces (the files `runtime/trace`, `go test -trace` and `/debug/pprof/trace`
//! produce) for Rust: this facade re-exports the library crates.
//!
//! - [`format`]: versions, headers, event tables, varints, raw records, errors;
//! - [`parser`]: reading raw records (from a slice, a `Read`, or pushed chunks);
//! - [`writer`]: writing records back.
//!
//! ```
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/go-testdata/http_1_19_good"))?;
//! let mut events = gotrace::parser::legacy::RawEvents::new(&bytes)?;
//! let first = events.next().unwrap()?;
//! assert_eq!(first.name(), "Batch");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use gotrace_format as format;
pub use gotrace_parser as parser;
pub use gotrace_writer as writer;
