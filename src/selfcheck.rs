//! Consistency checks that must hold for any input whatsoever: the bodies of the fuzz targets
//! (`fuzz/`), which `cargo test` also runs over the committed seeds and the corpus.
//!
//! Each check panics when the property fails; on any input it must not panic otherwise.
//!
//! ```
//! let trace = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/go-testdata/http_1_19_good"))?;
//! gotrace::selfcheck::raw_incremental(&trace, &[1, 7, 4096]);
//! gotrace::selfcheck::roundtrip_raw(&trace);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read};

use gotrace_format::{Error, Version};
use gotrace_parser::legacy::{Census, Chunk, RawEvents, RawParser, RawReader};
use gotrace_parser::Options;
use gotrace_writer::RawWriter;

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

/// Reads `data` with the slice reader.
#[must_use]
pub fn read_slice(data: &[u8], options: Options) -> Outcome {
    let mut out = Outcome { version: None, records: Vec::new(), error: None };
    match RawEvents::with_options(data, options) {
        Err(e) => out.error = Some(e),
        Ok(events) => {
            out.version = Some(events.version());
            for ev in events {
                match ev {
                    Ok(ev) => out.records.push((ev.offset(), ev.bytes().to_vec())),
                    Err(e) => out.error = Some(e),
                }
            }
        }
    }
    out
}

/// A reader that hands out `data` in pieces whose sizes cycle through `chunks` (0 is read as 1).
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

    fn next_size(&mut self) -> usize {
        let size = self.chunks.get(self.turn % self.chunks.len().max(1)).copied().unwrap_or(usize::MAX);
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

/// Reads `data` with the streaming reader, fed in pieces of the `chunks` sizes.
#[must_use]
pub fn read_stream(data: &[u8], chunks: &[usize], options: Options) -> Outcome {
    let mut out = Outcome { version: None, records: Vec::new(), error: None };
    let mut reader = match RawReader::with_options(Trickle::new(data, chunks), options) {
        Ok(r) => r,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    out.version = Some(reader.version());
    loop {
        match reader.next_event() {
            Ok(Some(ev)) => out.records.push((ev.offset(), ev.bytes().to_vec())),
            Ok(None) => break,
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

/// Reads `data` with the push parser, giving it pieces of the `chunks` sizes as it asks for more.
#[must_use]
pub fn read_push(data: &[u8], chunks: &[usize], options: Options) -> Outcome {
    let mut out = Outcome { version: None, records: Vec::new(), error: None };
    let mut parser = RawParser::with_options(options);
    let mut feed = Trickle::new(data, chunks);
    let mut pending: Vec<u8> = Vec::new();
    let mut start = 0;
    let mut eof = false;
    loop {
        match parser.parse(&pending[start..], eof) {
            Ok(Chunk::NeedMoreData(_)) => {
                assert!(!eof, "NeedMoreData at the end of the input");
                let size = feed.next_size().min(feed.data.len());
                pending.drain(..start);
                start = 0;
                pending.extend_from_slice(&feed.data[..size]);
                feed.data = &feed.data[size..];
                eof = feed.data.is_empty();
            }
            Ok(Chunk::Header { consumed, version }) => {
                out.version = Some(version);
                start += consumed;
            }
            Ok(Chunk::Event { consumed, event }) => {
                out.records.push((event.offset(), event.bytes().to_vec()));
                start += consumed;
            }
            Ok(Chunk::End) => break,
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

/// Any bytes through the slice reader: every field of every record can be looked at, and the
/// records tile the file from the header on.
pub fn raw_slice(data: &[u8]) {
    for strict in [false, true] {
        let options = Options::default().strict(strict);
        let Ok(events) = RawEvents::with_options(data, options) else { continue };
        let mut census = Census::with_options(events.version(), options);
        let mut next = gotrace_format::HEADER_LEN as u64;
        let mut census_failed = false;
        for ev in events {
            let Ok(ev) = ev else { break };
            assert_eq!(ev.offset(), next, "records tile the file");
            next += ev.encoded_len() as u64;
            assert_eq!(ev.values().count(), ev.value_count() as usize);
            let _ = (ev.name(), ev.length(), ev.text().map(|t| t.is_complete()));
            if !census_failed {
                census_failed = census.add(&ev).is_err();
            }
        }
        if !census_failed {
            let _ = census.finish(next);
        }
    }
}

/// The streaming and push readers, fed in pieces of the `chunks` sizes, give exactly the slice
/// reader's records and error (same offset, same kind), strict or not.
pub fn raw_incremental(data: &[u8], chunks: &[usize]) {
    for strict in [false, true] {
        let options = Options::default().strict(strict);
        let slice = read_slice(data, options);
        assert_eq!(read_stream(data, chunks, options), slice, "streaming reader, chunks {chunks:?}");
        assert_eq!(read_push(data, chunks, options), slice, "push parser, chunks {chunks:?}");
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
