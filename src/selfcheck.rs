//! Consistency checks that must hold for any input whatsoever: the bodies of the fuzz targets
//! (`fuzz/`), which `cargo test` also runs over the committed seeds and the corpus.
//!
//! Each check panics when the property fails; on any input it must not panic otherwise. The
//! `modern_*` checks are those of modern traces (Go 1.22 – 1.27).
//!
//! ```
//! let trace = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/go-testdata/http_1_19_good"))?;
//! gotrace::selfcheck::raw_incremental(&trace, &[1, 7, 4096]);
//! gotrace::selfcheck::roundtrip_raw(&trace);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read};

use gotrace_format::legacy::RawEvent;
use gotrace_format::{Error, Version};
use gotrace_parser::convert::{Converter, Source};
use gotrace_parser::legacy::{Census, Chunk, OrderedReader, RawEvents, RawParser, RawReader, Trace};
use gotrace_parser::modern::Event as ModernEvent;
use gotrace_parser::Options;
use gotrace_writer::RawWriter;

mod modern;
#[cfg(feature = "arbitrary")]
mod write_read;
pub use modern::{
    from_text, modern_parse, modern_raw, modern_raw_incremental, modern_raw_slice, modern_roundtrip_raw,
    modern_roundtrip_text, read_modern, to_text, visit_modern,
};
#[cfg(feature = "arbitrary")]
pub use write_read::{write_read, Written};

/// What a reader made of an input: the version, each record (offset and bytes), and how it
/// ended (`None` at the clean end, or the error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The version, when the header was read.
    pub version: Option<Version>,
    /// Each record's offset and bytes, in file order.
    pub records: Vec<(u64, Vec<u8>)>,
    /// The error that ended the read, if any.
    pub error: Option<Error>,
}

/// A reader that hands out `data` in pieces whose sizes cycle through `chunks` (0 is read as 1;
/// no chunks: everything at once).
#[derive(Debug)]
pub struct Trickle<'a> {
    data: &'a [u8],
    chunks: &'a [usize],
    turn: usize,
}

impl<'a> Trickle<'a> {
    /// `data`, read at most `chunks[i % chunks.len()]` bytes at a time.
    #[must_use]
    pub fn new(data: &'a [u8], chunks: &'a [usize]) -> Trickle<'a> {
        Trickle { data, chunks, turn: 0 }
    }

    /// The size of the next piece.
    pub fn next_size(&mut self) -> usize {
        let size = match self.chunks {
            [] => usize::MAX,
            c => c[self.turn % c.len()],
        };
        self.turn += 1;
        size.max(1)
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.next_size().min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// How a trace is fed to a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed<'c> {
    /// [`RawEvents`] over the whole slice.
    Slice,
    /// [`RawReader`] over a [`Trickle`] of these chunk sizes.
    Stream(&'c [usize]),
    /// [`RawParser`] given pieces of these sizes whenever it asks for more.
    Push(&'c [usize]),
}

/// Reads `data` as `feed` says, handing every record to `f`; returns the version (once the
/// header was read) and the error that ended the read, if any. Panics if a reader breaks its
/// contract: records that do not tile the input, an error not repeated when asked again, a
/// "need more" at the end of the input, a read that ends before the input does.
pub fn visit(
    data: &[u8],
    feed: Feed<'_>,
    options: Options,
    f: impl FnMut(&RawEvent<'_>),
) -> (Option<Version>, Option<Error>) {
    match feed {
        Feed::Slice => visit_slice(data, options, f),
        Feed::Stream(chunks) => visit_stream(Trickle::new(data, chunks), options, f),
        Feed::Push(chunks) => visit_push(data, chunks, options, f),
    }
}

/// Reads `data` as `feed` says into an [`Outcome`].
#[must_use]
pub fn read(data: &[u8], feed: Feed<'_>, options: Options) -> Outcome {
    let mut records = Vec::new();
    let (version, error) = visit(data, feed, options, |e| records.push((e.offset(), e.bytes().to_vec())));
    Outcome { version, records, error }
}

fn visit_slice(
    data: &[u8],
    options: Options,
    mut f: impl FnMut(&RawEvent<'_>),
) -> (Option<Version>, Option<Error>) {
    let mut it = match RawEvents::with_options(data, options) {
        Ok(ev) => ev,
        Err(e) => return (None, Some(e)),
    };
    let version = Some(it.version());
    let mut next = it.offset();
    for ev in it.by_ref() {
        match ev {
            Ok(ev) => {
                assert_eq!(ev.offset(), next, "records tile the input");
                next += ev.encoded_len() as u64;
                f(&ev);
            }
            Err(e) => {
                assert!(it.next().is_none(), "RawEvents ends after its error");
                return (version, Some(e));
            }
        }
    }
    assert_eq!(it.offset(), data.len() as u64, "RawEvents ended before the end");
    (version, None)
}

fn visit_stream<R: Read>(
    reader: R,
    options: Options,
    mut f: impl FnMut(&RawEvent<'_>),
) -> (Option<Version>, Option<Error>) {
    let mut r = match RawReader::with_options(reader, options) {
        Ok(r) => r,
        Err(e) => return (None, Some(e)),
    };
    let version = Some(r.version());
    loop {
        let before = r.offset();
        match r.next_event() {
            Ok(Some(ev)) => {
                assert_eq!(ev.offset(), before, "records tile the input");
                f(&ev);
            }
            Ok(None) => {
                assert!(matches!(r.next_event(), Ok(None)), "RawReader stays at its end");
                return (version, None);
            }
            Err(e) => {
                assert_eq!(r.next_event().err(), Some(e), "RawReader repeats its error");
                return (version, Some(e));
            }
        }
    }
}

fn visit_push(
    data: &[u8],
    chunks: &[usize],
    options: Options,
    mut f: impl FnMut(&RawEvent<'_>),
) -> (Option<Version>, Option<Error>) {
    let mut parser = RawParser::with_options(options);
    let mut feed = Trickle::new(data, chunks);
    let mut pending: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut version = None;
    loop {
        let eof = fed == data.len();
        let before = parser.offset();
        match parser.parse(&pending, eof) {
            Err(e) => {
                assert_eq!(parser.parse(&pending, eof).err(), Some(e), "RawParser repeats its error");
                return (version, Some(e));
            }
            Ok(Chunk::NeedMoreData(n)) => {
                assert!(!eof, "NeedMoreData at the end of the input");
                assert!(n > 0, "NeedMoreData(0)");
                let next = (fed + feed.next_size()).min(data.len());
                pending.extend_from_slice(&data[fed..next]);
                fed = next;
            }
            Ok(Chunk::Header { consumed, version: v }) => {
                assert_eq!(consumed, gotrace_format::HEADER_LEN);
                assert_eq!(parser.version(), Some(v));
                version = Some(v);
                pending.drain(..consumed);
            }
            Ok(Chunk::Event { consumed, event }) => {
                assert_eq!(event.offset(), before, "records tile the input");
                assert_eq!(consumed, event.encoded_len());
                f(&event);
                pending.drain(..consumed);
            }
            Ok(Chunk::End) => {
                assert!(eof && pending.is_empty(), "End before the end of the input");
                assert_eq!(parser.offset(), data.len() as u64);
                return (version, None);
            }
        }
    }
}

/// Any bytes through the slice reader and the census, strict or not: no panic, records tile
/// the file, every field of every record can be looked at.
pub fn raw_slice(data: &[u8]) {
    for strict in [false, true] {
        let options = Options::default().strict(strict);
        let mut census: Option<Census> = None;
        let mut census_ok = true;
        let mut end = gotrace_format::HEADER_LEN as u64;
        let (version, error) = visit(data, Feed::Slice, options, |ev| {
            assert_eq!(ev.values().count(), ev.value_count() as usize);
            let _ = (ev.name(), ev.length(), ev.text().map(|t| t.is_complete()));
            end = ev.offset() + ev.encoded_len() as u64;
            let census = census.get_or_insert_with(|| Census::with_options(ev.version(), options));
            census_ok = census_ok && census.add(ev).is_ok();
        });
        if let (Some(_), None, Some(census), true) = (version, error, census, census_ok) {
            let _ = census.finish(end);
        }
    }
}

/// The streaming and push readers, fed in pieces of the `chunks` sizes, give exactly the slice
/// reader's records and error (same offset, same kind), strict or not.
pub fn raw_incremental(data: &[u8], chunks: &[usize]) {
    for strict in [false, true] {
        let options = Options::default().strict(strict);
        let slice = read(data, Feed::Slice, options);
        assert_eq!(read(data, Feed::Stream(chunks), options), slice, "streaming reader, chunks {chunks:?}");
        assert_eq!(read(data, Feed::Push(chunks), options), slice, "push parser, chunks {chunks:?}");
    }
}

/// Any input the reader accepts is written back byte for byte by [`RawWriter`], and reads back
/// as the same records.
pub fn roundtrip_raw(data: &[u8]) {
    let Ok(events) = RawEvents::new(data) else { return };
    let version = events.version();
    let mut writer = RawWriter::new(Vec::new(), version).expect("writing to memory");
    for ev in events {
        let Ok(ev) = ev else { return };
        writer.write(&ev).expect("writing to memory");
    }
    let written = writer.finish().expect("writing to memory");
    assert!(written == data, "rewrite differs from the input");
}

/// Any bytes through the full ordered parser, strict or not: no panic; the streaming entry
/// point (fed in pieces of the `chunks` sizes), on one thread and on two, gives the in-memory
/// one's events, line for line, or its error; and so does the bounded-memory reader.
pub fn legacy_parse(data: &[u8], chunks: &[usize]) {
    for strict in [false, true] {
        let options = Options::default().strict(strict);
        let whole = Trace::from_slice_with(data, options).map(|t| dump(&t));
        let streamed = Trace::parse_with(Trickle::new(data, chunks), options).map(|t| dump(&t));
        let two = Trace::parse_with(Trickle::new(data, chunks), options.threads(2)).map(|t| dump(&t));
        let bounded = bounded_dump(data, options);
        for (how, other) in [("streamed", streamed), ("two-thread", two), ("bounded", bounded)] {
            match (&whole, other) {
                (Ok(a), Ok(b)) => assert!(*a == b, "{how} parse differs from the in-memory one"),
                (Err(a), Err(b)) => assert_eq!(*a, b, "{how} parse fails differently"),
                (a, b) => panic!("in memory: {:?}, {how}: {:?}", a.as_ref().err(), b.err()),
            }
        }
    }
}

/// Any bytes through the conversion of a legacy trace to the modern event model: no panic; the
/// conversion of the bounded-memory readers ([`Converter::from_readers`], what `gotrace dump
/// --parsed` runs on a pipe) gives the events of the conversion of the parsed trace
/// ([`Converter::new`]), each with the line Go prints for it, and ends in the same error (or none).
/// True when the input converted to the end.
///
/// ```
/// let trace = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/go-testdata/user_task_region_1_21_good"))?;
/// assert!(gotrace::selfcheck::legacy_convert(&trace));
/// assert!(!gotrace::selfcheck::legacy_convert(&trace[..trace.len() / 2]));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn legacy_convert(data: &[u8]) -> bool {
    let whole = match Trace::from_slice(data) {
        Ok(trace) => converted(Converter::new(&trace)),
        Err(e) => (Vec::new(), Some(e)),
    };
    let stream = || OrderedReader::new(io::Cursor::new(data));
    let readers = stream().and_then(|scan| Ok((scan, stream()?)));
    let bounded = match readers {
        Ok((scan, events)) => converted(Converter::from_readers(scan, events)),
        Err(e) => (Vec::new(), Some(e)),
    };
    let ((want, want_err), (got, got_err)) = (whole, bounded);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(g == w, "event {i}: {} / {}", String::from_utf8_lossy(&g.1), String::from_utf8_lossy(&w.1));
    }
    assert_eq!(got.len(), want.len(), "event count (errors {got_err:?} / {want_err:?})");
    assert_eq!(got_err, want_err, "error");
    got_err.is_none()
}

/// Every event a conversion gives, with its line as Go prints it, up to the error that ends it.
fn converted<S: Source>(
    converter: Result<Converter<S>, Error>,
) -> (Vec<(ModernEvent, Vec<u8>)>, Option<Error>) {
    let mut converter = match converter {
        Ok(c) => c,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut events = Vec::new();
    loop {
        match converter.next_event() {
            Ok(Some(event)) => {
                let mut line = Vec::new();
                event.write_go(converter.tables(), &mut line);
                events.push((event, line));
            }
            Ok(None) => return (events, None),
            Err(e) => return (events, Some(e)),
        }
    }
}

/// The events of the bounded-memory reader in `go tool trace -d` form, written once the stream
/// is done (stack ids resolve then).
fn bounded_dump(data: &[u8], options: Options) -> Result<Vec<u8>, Error> {
    let mut reader = OrderedReader::from_slice_with(data, options)?;
    let events = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    for event in &events {
        reader.write_line(&mut out, event);
        out.push(b'\n');
    }
    Ok(out)
}

/// The ordered events in `go tool trace -d` form.
fn dump(trace: &Trace) -> Vec<u8> {
    let mut out = Vec::new();
    for event in trace.events() {
        trace.write_line(&mut out, event);
        out.push(b'\n');
    }
    out
}
