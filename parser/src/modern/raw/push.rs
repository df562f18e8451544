//! The incremental (push) reader: feed bytes as they arrive, get records or "need more".

use gotrace_format::modern::{ErrorKind as ModernKind, RawEvent};
use gotrace_format::{parse_header, Error, ErrorKind, Version, HEADER_LEN};

use super::grammar::{self, Ctx, Fast, Place, Shape, Step};
use crate::Options;

/// What [`RawParser::parse`] found at the start of the data it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Chunk<'a> {
    /// The data holds no complete item: call again with at least this many more bytes (or with
    /// `eof` set, if there are none).
    NeedMoreData(usize),
    /// The file header, `consumed` bytes long.
    Header {
        /// Bytes to drop from the front of the data.
        consumed: usize,
        /// The version it names.
        version: Version,
    },
    /// A record.
    Event {
        /// Bytes to drop from the front of the data.
        consumed: usize,
        /// The record, borrowing the data.
        event: RawEvent<'a>,
    },
    /// The end of the trace: `eof` was set and every byte was consumed.
    End,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Header,
    Records(Version),
    /// The error reported, repeated if asked again.
    Failed(Error),
    Done,
}

/// An incremental reader of modern traces: the caller owns the bytes and feeds them in pieces,
/// as they come from a socket or a flight-recorder buffer; the parser keeps only its position
/// and that of the current batch.
///
/// Each call looks at the start of `data`: it returns an item and how many bytes it consumed,
/// or [`Chunk::NeedMoreData`]. "Need more" is only said when `eof` is false; at the real end the
/// same shortage is a truncation error. It never asks for more than one record, and a record
/// is never larger than a batch (64 KiB) plus its header.
///
/// ```
/// use gotrace_parser::modern::{Chunk, RawParser};
/// let trace = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/recorded/go1.23/timers.trace"))?;
/// let mut parser = RawParser::new();
/// let (mut pending, mut fed, mut events) = (Vec::new(), 0, 0);
/// loop {
///     let eof = fed == trace.len();
///     match parser.parse(&pending, eof)? {
///         Chunk::NeedMoreData(_) => {
///             // Feed the next 100 bytes, as a network stream would.
///             let next = (fed + 100).min(trace.len());
///             pending.extend_from_slice(&trace[fed..next]);
///             fed = next;
///         }
///         Chunk::Header { consumed, .. } => { pending.drain(..consumed); }
///         Chunk::Event { consumed, .. } => { events += 1; pending.drain(..consumed); }
///         Chunk::End => break,
///     }
/// }
/// assert!(events > 1000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RawParser {
    state: State,
    offset: u64,
    /// Offset of the current batch's header.
    batch_start: u64,
    /// Offset where the current batch's body ends (`offset` itself at a batch boundary).
    batch_end: u64,
    /// The current batch's size.
    batch_size: u64,
    #[allow(dead_code)]
    options: Options,
    /// The hot path's table for the trace's version, once known.
    fast: Option<Box<Fast>>,
}

impl Default for RawParser {
    fn default() -> Self {
        RawParser::new()
    }
}

impl RawParser {
    /// A parser expecting the file header, with default options.
    #[must_use]
    pub fn new() -> RawParser {
        RawParser::with_options(Options::default())
    }

    /// A parser expecting the file header. No option changes what the raw layer accepts today.
    #[must_use]
    pub fn with_options(options: Options) -> RawParser {
        RawParser {
            state: State::Header,
            offset: 0,
            batch_start: 0,
            batch_end: 0,
            batch_size: 0,
            options,
            fast: None,
        }
    }

    /// The version, once the header was parsed.
    #[must_use]
    pub fn version(&self) -> Option<Version> {
        match self.state {
            State::Records(v) => Some(v),
            _ => None,
        }
    }

    /// File offset of the next byte to be given.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// File offset where the current batch's body ends; equal to [`RawParser::offset`] between
    /// batches.
    #[must_use]
    pub fn batch_end(&self) -> u64 {
        self.batch_end
    }

    /// Parses the item at the start of `data`; `eof` says that no byte follows `data`.
    pub fn parse<'a>(&mut self, data: &'a [u8], eof: bool) -> Result<Chunk<'a>, Error> {
        let offset = self.offset;
        Ok(match self.step(data, eof)? {
            Parsed::NeedMore(n) => Chunk::NeedMoreData(n - data.len()),
            Parsed::Header(version, _) => Chunk::Header { consumed: HEADER_LEN, version },
            Parsed::Record(shape, version) => {
                Chunk::Event { consumed: shape.consumed as usize, event: shape.event(data, offset, version) }
            }
            Parsed::End => Chunk::End,
        })
    }

    /// [`RawParser::parse`] without the borrow: the readers build events from the shape.
    #[inline]
    pub(crate) fn step(&mut self, data: &[u8], eof: bool) -> Result<Parsed, Error> {
        if let (State::Records(version), Some(fast)) = (self.state, self.fast.as_deref()) {
            if self.offset < self.batch_end {
                if let Some(shape) = grammar::inline_record(data, fast, self.batch_end - self.offset) {
                    self.offset += u64::from(shape.consumed);
                    return Ok(Parsed::Record(shape, version));
                }
            }
        }
        self.step_general(data, eof)
    }

    /// [`RawParser::step`] without the hot path, for a reader that took it itself and now
    /// tells where it stands (inside the same batch as the parser last saw).
    #[inline(never)]
    pub(crate) fn step_general_at(&mut self, offset: u64, data: &[u8], eof: bool) -> Result<Parsed, Error> {
        self.offset = offset;
        self.step_general(data, eof)
    }

    #[inline(never)]
    fn step_general(&mut self, data: &[u8], eof: bool) -> Result<Parsed, Error> {
        let result = self.step_inner(data, eof);
        if let Err(e) = result {
            self.state = State::Failed(e);
        }
        result
    }

    fn step_inner(&mut self, data: &[u8], eof: bool) -> Result<Parsed, Error> {
        match self.state {
            State::Failed(e) => Err(e),
            State::Done => Ok(Parsed::End),
            State::Header => {
                let Some(header) = data.first_chunk::<HEADER_LEN>() else {
                    if eof {
                        let read = data.len() as u8;
                        return Err(Error::new(data.len() as u64, ErrorKind::HeaderTruncated { read }));
                    }
                    return Ok(Parsed::NeedMore(HEADER_LEN));
                };
                let version = parse_header(header)?;
                if version.is_legacy() {
                    return Err(Error::new(0, ErrorKind::UnsupportedVersion { number: version.number() }));
                }
                self.state = State::Records(version);
                let fast = Box::new(Fast::new(version));
                self.fast = Some(fast.clone());
                self.offset += HEADER_LEN as u64;
                self.batch_end = self.offset;
                Ok(Parsed::Header(version, fast))
            }
            State::Records(version) => {
                let place = if self.offset < self.batch_end {
                    Place::Body { size: self.batch_size, left: self.batch_end - self.offset }
                } else {
                    if data.is_empty() && eof {
                        self.state = State::Done;
                        return Ok(Parsed::End);
                    }
                    Place::Boundary
                };
                match grammar::record(data, Ctx { version, place, eof }) {
                    Ok(Step::Record(shape)) => {
                        let start = self.offset;
                        self.offset += u64::from(shape.consumed);
                        if let Some(size) = shape.body {
                            self.batch_start = start;
                            self.batch_size = u64::from(size);
                            self.batch_end = self.offset + self.batch_size;
                        } else if matches!(place, Place::Boundary) {
                            self.batch_end = self.offset;
                        }
                        Ok(Parsed::Record(shape, version))
                    }
                    Ok(Step::NeedMore(n)) => Ok(Parsed::NeedMore(n)),
                    Err(kind) => {
                        let at = match (kind, place) {
                            (ModernKind::BatchTruncated { .. }, Place::Body { .. }) => self.batch_start,
                            _ => self.offset,
                        };
                        Err(Error::new(at, ErrorKind::Modern(kind)))
                    }
                }
            }
        }
    }
}

/// [`Chunk`] without borrows.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// At least this many bytes in total are needed.
    NeedMore(usize),
    /// The version and the hot path's table for it.
    Header(Version, Box<Fast>),
    Record(Shape, Version),
    End,
}
