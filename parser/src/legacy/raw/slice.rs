//! The zero-copy reader over a byte slice.

use gotrace_format::legacy::RawEvent;
use gotrace_format::{Error, Version};

use super::grammar::{self, Fast};
use super::push::{Parsed, RawParser};
use crate::Options;

/// The records of a legacy trace held in memory (read whole, or memory-mapped), in file order.
/// Each event borrows the slice; nothing is copied or allocated.
///
/// The iterator yields `Err` once, at the first bad record, and then ends.
///
/// ```
/// use gotrace_parser::legacy::RawEvents;
/// let trace = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
/// let events = RawEvents::new(&trace)?;
/// assert_eq!(events.version().to_string(), "1.19");
/// let mut batches = 0;
/// for event in events {
///     if event?.name() == "Batch" {
///         batches += 1;
///     }
/// }
/// assert!(batches > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct RawEvents<'a> {
    /// The bytes not read yet.
    rest: &'a [u8],
    /// File offset of `rest[0]`.
    offset: u64,
    parser: RawParser,
    fast: Fast,
    version: Version,
    /// Set at the end or after the error: the iterator then ends.
    done: bool,
}

impl<'a> RawEvents<'a> {
    /// Reads the header of `data`, with default options.
    pub fn new(data: &'a [u8]) -> Result<RawEvents<'a>, Error> {
        RawEvents::with_options(data, Options::default())
    }

    /// Reads the header of `data`.
    pub fn with_options(data: &'a [u8], options: Options) -> Result<RawEvents<'a>, Error> {
        let mut parser = RawParser::with_options(options);
        match parser.step(data, true)? {
            Parsed::Header(version, fast) => {
                let offset = parser.offset();
                let rest = &data[offset as usize..];
                Ok(RawEvents { rest, offset, parser, fast, version, done: false })
            }
            other => unreachable!("a header or an error comes first, got {other:?}"),
        }
    }

    /// The records of `data`, the bytes of a `version` trace from the record boundary at file
    /// offset `offset` on (the part of a file read again, such as a batch).
    pub(crate) fn resume(data: &'a [u8], offset: u64, version: Version, options: Options) -> RawEvents<'a> {
        let parser = RawParser::resume(version, offset, options);
        RawEvents { rest: data, offset, parser, fast: Fast::new(version), version, done: false }
    }

    /// The trace's version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// Byte offset of the next record.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl<'a> Iterator for RawEvents<'a> {
    type Item = Result<RawEvent<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest;
        if let Some(shape) = grammar::inline_record(rest, &self.fast) {
            let (event, after) = shape.split(rest, self.offset, self.version);
            self.rest = after;
            self.offset += u64::from(shape.consumed);
            return Some(Ok(event));
        }
        self.next_general()
    }
}

impl<'a> RawEvents<'a> {
    #[inline(never)]
    fn next_general(&mut self) -> Option<Result<RawEvent<'a>, Error>> {
        if self.done {
            return None;
        }
        let rest = self.rest;
        let offset = self.offset;
        match self.parser.step_general_at(offset, rest, true) {
            Ok(Parsed::Record(shape, version)) => {
                let (event, after) = shape.split(rest, offset, version);
                self.rest = after;
                self.offset += u64::from(shape.consumed);
                Some(Ok(event))
            }
            Ok(_) => {
                self.done = true;
                None
            }
            Err(e) => {
                // Report once, then end; the hot path sees nothing left to read.
                self.done = true;
                self.rest = &rest[rest.len()..];
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for RawEvents<'_> {}
