//! The streaming reader over `std::io::Read`, with bounded memory.

use std::io::{self, Read};

use gotrace_format::legacy::RawEvent;
use gotrace_format::{Error, ErrorKind, Version};

use super::grammar::{self, Fast, Shape};
use super::push::{Parsed, RawParser};
use crate::Options;

/// Bytes asked of the underlying reader at a time.
pub const READ_CHUNK: usize = 64 * 1024;

/// What [`RawReader::next_in_block`] found.
pub(crate) enum InBlock {
    /// A record, and the position of its first byte in the buffer.
    Record(Shape, usize),
    /// The buffer holds no further whole record.
    Full,
    /// The clean end of the trace.
    End,
}

/// A reader of legacy raw records from any [`Read`], holding in memory only the record being
/// returned and the bytes read ahead of it.
///
/// Memory contract: the buffer never exceeds the largest record of the file plus
/// [`READ_CHUNK`] bytes (the readers cap record sizes: 1 000 000 bytes of string text, 40 020
/// bytes of stack values), whatever the file's size. [`RawReader::peak_buffer_len`] reports it.
///
/// `next_event` is a lending iterator: the event borrows the reader until the next call.
///
/// ```
/// use gotrace_parser::legacy::RawReader;
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
/// let mut reader = RawReader::new(std::io::BufReader::new(file))?;
/// let mut count = 0;
/// while let Some(event) = reader.next_event()? {
///     assert!(event.offset() >= 16);
///     count += 1;
/// }
/// assert!(count > 1000);
/// assert!(reader.peak_buffer_len() <= 2 * gotrace_parser::legacy::READ_CHUNK);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RawReader<R> {
    reader: R,
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`.
    pos: usize,
    /// End of valid bytes in `buf`.
    end: usize,
    eof: bool,
    /// File offset of `buf[pos]`.
    offset: u64,
    parser: RawParser,
    fast: Fast,
    version: Version,
    peak: usize,
}

impl<R: Read> RawReader<R> {
    /// Reads the header from `reader`, with default options.
    pub fn new(reader: R) -> Result<RawReader<R>, Error> {
        RawReader::with_options(reader, Options::default())
    }

    /// Reads the header from `reader`.
    pub fn with_options(reader: R, options: Options) -> Result<RawReader<R>, Error> {
        let mut r = RawReader {
            reader,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            eof: false,
            offset: 0,
            parser: RawParser::with_options(options),
            fast: grammar::Fast::new(Version::Go1_5),
            version: Version::Go1_5,
            peak: 0,
        };
        loop {
            match r.parser.step(&r.buf[r.pos..r.end], r.eof)? {
                Parsed::NeedMore(n) => r.fill(n)?,
                Parsed::Header(version, fast) => {
                    r.version = version;
                    r.fast = fast;
                    r.pos += gotrace_format::HEADER_LEN;
                    r.offset = r.parser.offset();
                    return Ok(r);
                }
                other => unreachable!("a header or an error comes first, got {other:?}"),
            }
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
        self.offset
    }

    /// The largest the internal buffer has been, in bytes.
    #[must_use]
    pub fn peak_buffer_len(&self) -> usize {
        self.peak
    }

    /// The next record, or `None` at the clean end of the trace.
    #[inline(always)]
    pub fn next_event(&mut self) -> Result<Option<RawEvent<'_>>, Error> {
        match self.next_record::<false>()? {
            InBlock::Record(shape, start) => {
                let offset = self.offset - u64::from(shape.consumed);
                Ok(Some(shape.event(&self.buf[start..self.end], offset, self.version)))
            }
            InBlock::End => Ok(None),
            InBlock::Full => unreachable!("only a reader that holds its records fills up"),
        }
    }

    /// The next record for a reader that hands its records over in blocks: its shape and its
    /// first byte's position in the buffer, which keeps every record returned since the last
    /// [`RawReader::take_block`]; [`InBlock::Full`] when the next record needs more bytes
    /// than the buffer holds (take the block, then ask again). The same records, offsets and
    /// errors as [`RawReader::next_event`].
    #[inline(always)]
    pub(crate) fn next_in_block(&mut self) -> Result<InBlock, Error> {
        self.next_record::<true>()
    }

    /// The next record and its position in the buffer. With `HOLD`, the records returned stay
    /// where they are ([`InBlock::Full`] instead of moving them to read more); without, the
    /// bytes before the next record may be dropped to make room.
    #[inline(always)]
    fn next_record<const HOLD: bool>(&mut self) -> Result<InBlock, Error> {
        let start = self.pos;
        if let Some(shape) = grammar::inline_record(&self.buf[start..self.end], &self.fast) {
            self.offset += u64::from(shape.consumed);
            self.pos += shape.consumed as usize;
            return Ok(InBlock::Record(shape, start));
        }
        self.next_general::<HOLD>()
    }

    #[inline(never)]
    fn next_general<const HOLD: bool>(&mut self) -> Result<InBlock, Error> {
        loop {
            match self.parser.step_general_at(self.offset, &self.buf[self.pos..self.end], self.eof)? {
                // Reading more would move the records returned out of their places.
                Parsed::NeedMore(_) if HOLD && self.pos > 0 => return Ok(InBlock::Full),
                Parsed::NeedMore(n) => self.fill(n)?,
                Parsed::Record(shape, version) => {
                    debug_assert_eq!(version, self.version);
                    let start = self.pos;
                    self.pos += shape.consumed as usize;
                    self.offset += u64::from(shape.consumed);
                    return Ok(InBlock::Record(shape, start));
                }
                Parsed::End => return Ok(InBlock::End),
                Parsed::Header(..) => unreachable!("the header was read by new()"),
            }
        }
    }

    /// The bytes buffered, from the first of the records [`RawReader::next_in_block`] returned
    /// since the last [`RawReader::take_block`].
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.buf[..self.end]
    }

    /// The bytes of the records [`RawReader::next_in_block`] returned since the last call (at
    /// the positions it gave) and the file offset of the first; `fresh` (emptied, its
    /// allocation reused) takes their place, holding the bytes not yet consumed.
    pub(crate) fn take_block(&mut self, mut fresh: Vec<u8>) -> (Vec<u8>, u64) {
        // Its length kept: `fill` reads into it without clearing it first.
        let left = self.end - self.pos;
        if fresh.len() < left {
            fresh.resize(left, 0);
        }
        fresh[..left].copy_from_slice(&self.buf[self.pos..self.end]);
        let mut block = std::mem::replace(&mut self.buf, fresh);
        block.truncate(self.pos);
        let base = self.offset - self.pos as u64;
        self.end -= self.pos;
        self.pos = 0;
        (block, base)
    }

    /// Reads until `need` unconsumed bytes are buffered or the input ends. The buffer grows by at
    /// most one chunk beyond the bytes actually read, so a length prefix alone never makes it
    /// large.
    fn fill(&mut self, need: usize) -> Result<(), Error> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        while self.end < need && !self.eof {
            if self.buf.len() - self.end < READ_CHUNK / 2 {
                // Exactly one more chunk: `resize` alone could double the capacity.
                self.buf.reserve_exact(self.end + READ_CHUNK - self.buf.len());
                self.buf.resize(self.end + READ_CHUNK, 0);
                self.peak = self.peak.max(self.buf.len());
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let offset = self.offset + (self.end - self.pos) as u64;
                    return Err(Error::new(offset, ErrorKind::Io { kind: e.kind() }));
                }
            }
        }
        Ok(())
    }
}
