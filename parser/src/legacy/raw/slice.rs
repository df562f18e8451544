//! The zero-copy reader over a byte slice.

use gotrace_format::legacy::RawEvent;
use gotrace_format::{Error, Version};

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
    data: &'a [u8],
    pos: usize,
    parser: RawParser,
    version: Version,
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
            Parsed::Header(version) => {
                let pos = parser.offset() as usize;
                Ok(RawEvents { data, pos, parser, version, done: false })
            }
            other => unreachable!("a header or an error comes first, got {other:?}"),
        }
    }

    /// The trace's version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// Byte offset of the next record.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }
}

impl<'a> Iterator for RawEvents<'a> {
    type Item = Result<RawEvent<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = &self.data[self.pos..];
        let offset = self.pos as u64;
        match self.parser.step(rest, true) {
            Ok(Parsed::Record(shape, version)) => {
                self.pos += shape.consumed as usize;
                Some(Ok(shape.event(rest, offset, version)))
            }
            Ok(_) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl std::iter::FusedIterator for RawEvents<'_> {}
