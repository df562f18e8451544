//! # gotrace-format
//!
//! The data of the Go execution trace format, shared by the reader (`gotrace-parser`) and the
//! writer (`gotrace-writer`): versions and the file header, the event tables of each version,
//! LEB128 varints, raw records of the legacy (Go 1.5 – 1.21) and the modern (Go 1.22 – 1.27)
//! layouts, their text form, and the error type.
//!
//! ```
//! use gotrace_format::{parse_header, legacy::EventType, Version};
//! let version = parse_header(b"go 1.19 trace\0\0\0")?;
//! assert_eq!(version, Version::Go1_19);
//! assert_eq!(EventType::CPU_SAMPLE.name(version), "CPUSample");
//! # Ok::<(), gotrace_format::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod decimal;
mod error;
pub mod legacy;
pub mod modern;
pub mod quote;
mod record;
pub mod varint;
mod version;

pub use error::{Category, Error, ErrorKind, Limit, Violation};
pub use record::RawRecord;
pub use version::{parse_header, parse_header_number, Version, HEADER_LEN};
