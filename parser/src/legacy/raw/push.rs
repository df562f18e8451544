//! The incremental (push) reader: feed bytes as they arrive, get records or "need more".

use gotrace_format::legacy::RawEvent;
use gotrace_format::{parse_header, Error, ErrorKind, Version, HEADER_LEN};

use super::grammar::{self, Ctx, Fast, Shape, Step};
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

/// An incremental reader of legacy traces: the caller owns the bytes and feeds them in pieces,
/// as they come from a socket or a ring buffer; the parser keeps only its position.
///
/// Each call looks at the start of `data`: it returns an item and how many bytes it consumed,
/// or [`Chunk::NeedMoreData`]. "Need more" is only said when `eof` is false; at the real end the
/// same shortage is a truncation error.
///
/// ```
/// use gotrace_parser::legacy::{Chunk, RawParser};
/// let trace = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
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

    /// A parser expecting the file header.
    #[must_use]
    pub fn with_options(options: Options) -> RawParser {
        RawParser { state: State::Header, offset: 0, options, fast: None }
    }

    /// A parser past the header of a `version` trace, at record boundary `offset`: for reading
    /// again part of a file read once.
    pub(crate) fn resume(version: Version, offset: u64, options: Options) -> RawParser {
        RawParser {
            state: State::Records(version),
            offset,
            options,
            fast: Some(Box::new(Fast::new(version))),
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
            if let Some(shape) = grammar::inline_record(data, fast) {
                self.offset += u64::from(shape.consumed);
                return Ok(Parsed::Record(shape, version));
            }
        }
        self.step_general(data, eof)
    }

    /// [`RawParser::step`] without the hot path, for a reader that took it itself and now
    /// tells where it stands.
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
                if !version.is_legacy() {
                    return Err(Error::new(0, ErrorKind::UnsupportedVersion { number: version.number() }));
                }
                self.state = State::Records(version);
                let fast = Fast::new(version);
                self.fast = Some(Box::new(fast));
                self.offset += HEADER_LEN as u64;
                Ok(Parsed::Header(version, fast))
            }
            State::Records(version) => {
                if data.is_empty() {
                    if eof {
                        self.state = State::Done;
                        return Ok(Parsed::End);
                    }
                    return Ok(Parsed::NeedMore(1));
                }
                let ctx =
                    Ctx { version, strict: self.options.is_strict(), eof, limits: self.options.get_limits() };
                match grammar::record(data, ctx) {
                    Ok(Step::Record(shape)) => {
                        self.offset += u64::from(shape.consumed);
                        Ok(Parsed::Record(shape, version))
                    }
                    Ok(Step::NeedMore(n)) => Ok(Parsed::NeedMore(n)),
                    Err(kind) => Err(Error::new(self.offset, kind)),
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
    Header(Version, Fast),
    Record(Shape, Version),
    End,
}
