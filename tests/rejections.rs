//! Hand-built files Go's reader rejects (the cases and Go's reasons are in
//! `common::rejections`): every reader shape gives the same error kind at the same offset.

mod common;

use common::{assert_reads_as, rejections, visit, Stage, SHAPES};
use gotrace::format::legacy::RawEvent;
use gotrace::format::{Category, Error, ErrorKind};
use gotrace::parser::legacy::{Census, RawEvents, RawReader};
use gotrace::parser::Options;

/// The census verdict over the records `shape` reads: the first error of `add`, else `finish`.
fn census_in(shape: common::Shape, data: &[u8]) -> Result<(), Error> {
    let mut census: Option<Census> = None;
    let mut first = None;
    let (version, error) = visit(shape, data, Options::default(), |e| {
        let c = census.get_or_insert_with(|| Census::new(e.version()));
        if first.is_none() {
            first = c.add(e).err();
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    if let Some(e) = first {
        return Err(e);
    }
    census.unwrap_or_else(|| Census::new(version.unwrap())).finish(data.len() as u64)
}

#[test]
fn every_case_is_rejected_in_every_shape() {
    let cases = rejections();
    assert!(cases.len() >= 25);
    for case in &cases {
        let label = format!("{} ({})", case.name, case.why);
        match case.stage {
            Stage::Raw => {
                // The records before the bad one, as the slice reader gives them.
                let mut before: Vec<RawEvent<'_>> = Vec::new();
                let mut error = None;
                match RawEvents::new(&case.data) {
                    Err(e) => error = Some(e),
                    Ok(events) => {
                        for e in events {
                            match e {
                                Ok(e) => before.push(e),
                                Err(e) => error = Some(e),
                            }
                        }
                    }
                }
                assert_eq!(error, Some(case.want), "{label}");
                for shape in SHAPES {
                    assert_reads_as(shape, &case.data, Options::default(), &before, Some(case.want), &label);
                    assert_reads_as(
                        shape,
                        &case.data,
                        Options::default().strict(true),
                        &before,
                        Some(case.want),
                        &label,
                    );
                }
            }
            Stage::Census => {
                // Well-formed records: every shape reads them, the census rejects them.
                for shape in SHAPES {
                    assert_eq!(census_in(shape, &case.data), Err(case.want), "{label} {shape:?}");
                }
                assert_eq!(
                    common::census(&case.data, Options::default()).map(|_| ()),
                    Err(case.want),
                    "{label}"
                );
            }
        }
    }
}

#[test]
fn messages_follow_go_wording() {
    let message = |name: &str| rejections().into_iter().find(|c| c.name == name).unwrap().want.message();
    // Go reads the header with io.ReadFull: EOF when nothing was read, ErrUnexpectedEOF
    // ("unexpected EOF") after a partial read (checked with Go 1.19's `go tool trace -d`).
    assert_eq!(message("empty file"), "failed to read header: read 0, err EOF");
    assert_eq!(message("10-byte file"), "failed to read header: read 10, err unexpected EOF");
    assert_eq!(message("bad magic"), "not a trace file");
    assert_eq!(message("go 1.20 trace"), "unsupported trace file version 1.20 (update Go toolchain) 1020");
    assert_eq!(message("event type 50"), "unknown event type 50");
    assert_eq!(message("GoStart with count code 0"), "GoStart has wrong number of arguments: want 3, got 1");
    assert_eq!(message("values overrun the length prefix"), "event has wrong length: want 4, got 5");
    assert_eq!(message("stack of 1001 frames"), "EvStack has bad number of frames: 1001");
    assert_eq!(message("string length 0"), "string has invalid length 0");
    assert_eq!(message("duplicate string id"), "string has duplicate id 1");
    assert_eq!(message("frequency 0"), "time stamps out of order");
    assert_eq!(message("STW kind 2 in a 1.10 file"), "unknown STW kind 2");
    assert_eq!(message("only a batch and a frequency"), "trace is empty");
    assert_eq!(message("no frequency"), "no EvFrequency event");
}

#[test]
fn categories() {
    for case in rejections() {
        let want = match case.want.kind() {
            ErrorKind::HeaderTruncated { .. } => Category::Truncated,
            ErrorKind::UnsupportedVersion { .. } => Category::Unsupported,
            ErrorKind::StringDuplicate { .. }
            | ErrorKind::TraceEmpty
            | ErrorKind::NoFrequency
            | ErrorKind::TimeOrder => Category::Inconsistent,
            _ => Category::Malformed,
        };
        assert_eq!(case.want.kind().category(), want, "{}", case.name);
    }
}

#[test]
fn odd_but_valid_files_are_accepted() {
    for (name, data) in common::acceptances() {
        for shape in SHAPES {
            assert_eq!(census_in(shape, &data), Ok(()), "{name} {shape:?}");
        }
    }
}

/// A reader that fails after `ok` bytes.
struct Failing<'a> {
    data: &'a [u8],
    ok: usize,
}

impl std::io::Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.ok == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "gone"));
        }
        let n = buf.len().min(self.ok).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.ok -= n;
        Ok(n)
    }
}

/// A reader that is interrupted before every read.
struct Interrupting<'a> {
    data: &'a [u8],
    flip: bool,
}

impl std::io::Read for Interrupting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.flip = !self.flip;
        if self.flip {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(5).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn io_errors_are_reported_at_the_position_reached() {
    let data = common::testdata("http_1_19_good");
    for ok in [1, 10, 16, 100, 8206, 20_000] {
        let mut r = match RawReader::new(Failing { data: &data, ok }) {
            Ok(r) => r,
            Err(e) => {
                assert!(ok < 16, "header read fails only before 16 bytes");
                assert_eq!(
                    e,
                    Error::new(ok as u64, ErrorKind::Io { kind: std::io::ErrorKind::ConnectionReset })
                );
                continue;
            }
        };
        let e = loop {
            match r.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("the reader failed before the end"),
                Err(e) => break e,
            }
        };
        assert_eq!(e.kind(), ErrorKind::Io { kind: std::io::ErrorKind::ConnectionReset });
        assert_eq!(e.kind().category(), Category::Io);
        assert_eq!(e.offset(), ok as u64, "failing after {ok} bytes");
    }
    // Interrupted reads are retried: the whole file reads cleanly.
    let mut r = RawReader::new(Interrupting { data: &data, flip: false }).unwrap();
    let mut n = 0;
    while r.next_event().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, RawEvents::new(&data).unwrap().count());
}
