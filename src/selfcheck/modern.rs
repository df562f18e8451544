//! The checks of [`crate::selfcheck`] for modern traces (Go 1.22 – 1.27): the three raw reader
//! shapes agree, the raw writer gives the bytes back, the text form round-trips, and the ordered
//! reader gives the same events and errors over a stream as over a slice.

use std::io::Read;

use gotrace_format::modern::{text_header, EmptyData, RawEvent, TextLines};
use gotrace_format::varint::Varint;
use gotrace_format::{Error, Version};
use gotrace_parser::modern::{Chunk, RawEvents, RawParser, RawReader, Reader, StackText, TextReader};
use gotrace_parser::Options;
use gotrace_writer::RawWriter;

use super::{Feed, Outcome, Trickle};

/// Reads the modern trace `data` as `feed` says, handing every record to `f`; returns the
/// version (once the header was read) and the error that ended the read, if any. Panics if a
/// reader breaks its contract (see [`super::visit`]).
pub fn visit_modern(
    data: &[u8],
    feed: Feed<'_>,
    f: impl FnMut(&RawEvent<'_>),
) -> (Option<Version>, Option<Error>) {
    match feed {
        Feed::Slice => visit_slice(data, f),
        Feed::Stream(chunks) => visit_stream(Trickle::new(data, chunks), f),
        Feed::Push(chunks) => visit_push(data, chunks, f),
    }
}

/// Reads the modern trace `data` as `feed` says into an [`Outcome`].
#[must_use]
pub fn read_modern(data: &[u8], feed: Feed<'_>) -> Outcome {
    let mut records = Vec::new();
    let (version, error) = visit_modern(data, feed, |e| records.push((e.offset(), e.bytes().to_vec())));
    Outcome { version, records, error }
}

fn visit_slice(data: &[u8], mut f: impl FnMut(&RawEvent<'_>)) -> (Option<Version>, Option<Error>) {
    let mut it = match RawEvents::new(data) {
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

fn visit_stream<R: Read>(reader: R, mut f: impl FnMut(&RawEvent<'_>)) -> (Option<Version>, Option<Error>) {
    let mut r = match RawReader::with_options(reader, Options::default()) {
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
    mut f: impl FnMut(&RawEvent<'_>),
) -> (Option<Version>, Option<Error>) {
    let mut parser = RawParser::new();
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
                assert!(pending.len() + n <= 2 * 65536, "asks for more than a batch");
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

/// Any bytes through the modern slice reader: no panic, records tile the file, every field of
/// every record can be looked at and re-encodes to the record's bytes.
pub fn modern_raw_slice(data: &[u8]) {
    let mut scratch = Vec::new();
    visit_modern(data, Feed::Slice, |ev| {
        assert_eq!(ev.args().count(), ev.arg_count() as usize);
        let _ = (ev.name(), ev.data(), ev.frames().count(), ev.minimal_len());
        scratch.clear();
        ev.encode_to(&mut scratch);
        assert_eq!(scratch, ev.bytes(), "a record re-encodes to its bytes");
    });
}

/// The streaming and push readers, fed in pieces of the `chunks` sizes, give exactly the slice
/// reader's records and error (same offset, same kind).
pub fn modern_raw_incremental(data: &[u8], chunks: &[usize]) {
    let slice = read_modern(data, Feed::Slice);
    assert_eq!(read_modern(data, Feed::Stream(chunks)), slice, "streaming reader, chunks {chunks:?}");
    assert_eq!(read_modern(data, Feed::Push(chunks)), slice, "push parser, chunks {chunks:?}");
}

/// Any modern input the reader accepts is written back byte for byte by [`RawWriter`].
pub fn modern_roundtrip_raw(data: &[u8]) {
    let Ok(events) = RawEvents::new(data) else { return };
    let mut writer = RawWriter::new(Vec::new(), events.version()).expect("writing to memory");
    for ev in events {
        let Ok(ev) = ev else { return };
        writer.write(&ev).expect("writing to memory");
    }
    let written = writer.finish().expect("writing to memory");
    assert!(written == data, "rewrite differs from the input");
}

/// The text form of a modern trace: `Trace Go1.N`, then every record the reader read (a
/// `data=""` line for empty data, unlike Go), and the error that ended the read, if any (no
/// text at all when the header is bad).
#[must_use]
pub fn to_text(data: &[u8]) -> (String, Option<Error>) {
    let mut lines: Option<TextLines> = None;
    let (version, error) = visit_modern(data, Feed::Slice, |ev| {
        lines.get_or_insert_with(|| TextLines::new(ev.version(), EmptyData::Write)).push(ev);
    });
    let Some(version) = version else { return (String::new(), error) };
    let mut text = text_header(version);
    text.push('\n');
    if let Some(lines) = &lines {
        text.push_str(std::str::from_utf8(lines.as_bytes()).expect("the text form is UTF-8"));
    }
    (text, error)
}

/// The binary trace a text trace stands for, as Go's `raw.Writer` writes it; panics if the
/// text does not read.
#[must_use]
pub fn from_text(text: &str) -> Vec<u8> {
    let mut reader = TextReader::new(text.as_bytes()).expect("text header");
    let mut writer = RawWriter::new(Vec::new(), reader.version()).expect("writing to memory");
    while let Some(ev) = reader.next_event().expect("text reads") {
        writer.write(&ev).expect("writing to memory");
    }
    writer.finish().expect("writing to memory")
}

/// The text form round-trips on any modern input the reader accepts: binary → text → binary
/// gives every record back with its varints minimal (the only change Go's text form makes: the
/// runtime pads batch sizes), and when that binary reads (it may not when a batch held
/// non-minimal varints, its `size` being copied), its text is the same text.
pub fn modern_roundtrip_text(data: &[u8]) {
    let (text, None) = to_text(data) else { return };
    if text.is_empty() {
        return;
    }
    let binary = from_text(&text);
    let events: Vec<RawEvent<'_>> =
        RawEvents::new(data).expect("read above").map(|e| e.expect("read above")).collect();
    let mut at = gotrace_format::HEADER_LEN;
    let mut minimal = Vec::new();
    for ev in &events {
        let args = ev.varints().map(|v| Varint::new(v.value()));
        let data = ev.data().map(|d| (Varint::new(d.len() as u64), d));
        let re =
            RawEvent::encode(0, ev.version(), ev.event_type(), ev.experiment(), args, data, &mut minimal);
        let len = re.encoded_len();
        assert!(
            binary.get(at..at + len) == Some(re.bytes()),
            "record at {} through the text form",
            ev.offset()
        );
        at += len;
    }
    assert_eq!(at, binary.len(), "text gave more records than the binary");
    if let (again, None) = to_text(&binary) {
        assert!(again == text, "text -> binary -> text differs");
    }
}

/// Every modern check on one input (the `modern_raw` fuzz target): the slice reader's
/// contract, the streaming and push readers in pieces of the `chunks` sizes, the byte-exact
/// rewrite, and the text round trip.
pub fn modern_raw(data: &[u8], chunks: &[usize]) {
    modern_raw_slice(data);
    modern_raw_incremental(data, chunks);
    modern_roundtrip_raw(data);
    modern_roundtrip_text(data);
}

/// Any bytes through the ordered modern reader: no panic, and the reader over a stream fed in
/// pieces of the `chunks` sizes gives the events of the reader over the whole slice, line for
/// line in Go's `Event.String` form, and then the same error (offset and message) or none.
/// The split read (`Reader::read_to_end_split`) gives the same count or the same error.
/// Returns the number of events, or the error.
pub fn modern_parse(data: &[u8], chunks: &[usize]) -> Result<usize, Error> {
    let whole = parsed_lines(data);
    let streamed = parsed_lines(Trickle::new(data, chunks));
    assert!(whole.0 == streamed.0, "streamed events differ from the in-memory ones");
    assert_eq!(whole.2, streamed.2, "streamed read fails differently");
    let split = Reader::new(data).and_then(|mut r| r.read_to_end_split(std::io::Cursor::new(data)));
    let result = match whole.2 {
        Some(e) => Err(e),
        None => Ok(whole.1),
    };
    assert_eq!(split.map(|n| n as usize), result, "the split read differs from the ordinary one");
    result
}
/// The events of the ordered reader over `input`, as Go prints them, their number, and the
/// error that ended the read (none: the trace is good).
fn parsed_lines<R: Read>(input: R) -> (Vec<u8>, usize, Option<Error>) {
    let mut reader = match Reader::new(input) {
        Ok(reader) => reader,
        Err(e) => return (Vec::new(), 0, Some(e)),
    };
    let mut lines = Vec::new();
    let mut stacks = StackText::default();
    let mut events = 0;
    loop {
        match reader.next_event() {
            Ok(Some(event)) => {
                event.write_go_with(reader.tables(), &mut stacks, &mut lines);
                lines.push(b'\n');
                events += 1;
            }
            Ok(None) => return (lines, events, None),
            Err(e) => return (lines, events, Some(e)),
        }
    }
}
