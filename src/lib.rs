//! # gotrace
//!
//! Go execution traces (the files `runtime/trace`, `go test -trace` and `/debug/pprof/trace`
//! produce) for Rust: this facade re-exports the library crates.
//!
//! - [`format`]: versions, headers, event tables, varints, raw records, errors;
//! - [`parser`]: reading raw records (from a slice, a `Read`, or pushed chunks);
//! - [`writer`]: writing records back.
//!
//! The README's example runs as a doctest of this crate:
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use gotrace_format as format;
pub use gotrace_parser as parser;
pub use gotrace_writer as writer;

pub mod selfcheck;
