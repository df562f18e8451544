//! The raw commands on modern traces (Go 1.22 – 1.27): `dump --raw`, `dump --wire`, `stats`,
//! `rewrite` and `validate` choose these when the header names a modern version.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use gotrace_format::modern::{self, EmptyData, EventType, RawEvent, TextLines};
use gotrace_format::{parse_header, Error, ErrorKind, HEADER_LEN};
use gotrace_parser::modern::{RawReader, Strict};
use gotrace_writer::RawWriter;

use crate::trace_file::{Stream, TraceFile};
use crate::{io_failure, with_stdout, Failure};

/// Opens `trace` for a streaming modern raw read.
pub fn open(trace: &TraceFile) -> Result<RawReader<Stream<'_>>, Failure> {
    Ok(RawReader::new(trace.open()?)?)
}

/// `validate --strict`'s own pass over the records of a trace Go reads: what no runtime
/// writes ([`Strict`]).
pub fn strict(trace: &TraceFile) -> Result<(), Failure> {
    let mut reader = open(trace)?;
    let mut strict = Strict::new();
    while let Some(event) = reader.next_event()? {
        strict.check(&event)?;
    }
    Ok(())
}

/// Bytes formatted before they are written.
const FLUSH_AT: usize = 1 << 16;

pub fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::Io(format!("stdout: {e}"))
}

/// Writes the line of every record of `reader` to `out` through `lines`, a buffer at a time;
/// stops at the reader's first error or the first record `admit` refuses, after the lines
/// before it.
pub fn write_lines(
    out: &mut dyn Write,
    reader: &mut RawReader<Stream<'_>>,
    mut lines: TextLines,
    mut admit: impl FnMut(&RawEvent<'_>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let result = loop {
        match reader.next_event() {
            Ok(Some(event)) => match admit(&event) {
                Ok(()) => lines.push(&event),
                Err(e) => break Err(e),
            },
            Ok(None) => break Ok(()),
            Err(e) => break Err(Failure::from(e)),
        }
        if lines.len() >= FLUSH_AT {
            out.write_all(lines.as_bytes()).map_err(stdout_failure)?;
            lines.clear();
        }
    };
    out.write_all(lines.as_bytes()).map_err(stdout_failure)?;
    result
}

/// `dump --raw`: `OFFSET Name arg=value ...` per record, a stack's frames on the same line, a
/// record's data as `data="..."` ([`TextLines::raw`]).
pub fn dump_raw(trace: &TraceFile) -> Result<(), Failure> {
    let mut reader = open(trace)?;
    let lines = TextLines::raw(reader.version());
    with_stdout(|out| write_lines(out, &mut reader, lines, |_| Ok(())))
}

/// `dump --wire`: what Go 1.27's `go tool trace -d=wire` prints — every record in the text form
/// of Go's raw package, without the header line, and a data line only for non-empty data. Like
/// Go, it stops at an event its version's table in Go 1.27 lacks (the experimental events of a
/// 23 or 25 trace) and, for a legacy trace, at the first byte.
pub fn dump_wire(trace: &TraceFile) -> Result<(), Failure> {
    if !trace.is_modern()? {
        return legacy_wire(trace);
    }
    let mut reader = open(trace)?;
    let version = reader.version();
    let mut in_table = [false; 256];
    for t in EventType::all(version).filter(|t| t.in_go_wire_table(version)) {
        in_table[usize::from(t.code())] = true;
    }
    let lines = TextLines::new(version, EmptyData::Omit);
    with_stdout(|out| {
        write_lines(out, &mut reader, lines, |event| {
            if in_table[usize::from(event.code())] {
                return Ok(());
            }
            let kind = modern::ErrorKind::InvalidEventType { code: event.code() };
            Err(Failure::Trace(Error::new(event.offset(), ErrorKind::Modern(kind))))
        })
    })
}

/// Go's raw reader on a legacy trace: its table for the version is empty, so the first byte
/// after the header is an invalid event type. A short or bad header is the usual error.
fn legacy_wire(trace: &TraceFile) -> Result<(), Failure> {
    let mut head = Vec::with_capacity(HEADER_LEN + 1);
    trace.open()?.take(HEADER_LEN as u64 + 1).read_to_end(&mut head).map_err(trace.failure())?;
    let Some(header) = head.first_chunk::<HEADER_LEN>() else {
        let read = head.len() as u8;
        return Err(Failure::Trace(Error::new(u64::from(read), ErrorKind::HeaderTruncated { read })));
    };
    parse_header(header)?;
    match head.get(HEADER_LEN) {
        None => Ok(()),
        Some(&code) => {
            let kind = modern::ErrorKind::InvalidEventType { code };
            Err(Failure::Trace(Error::new(HEADER_LEN as u64, ErrorKind::Modern(kind))))
        }
    }
}

/// `stats`: one streaming pass, per type the count and the bytes the records occupy.
pub fn stats(trace: &TraceFile, json: bool) -> Result<(), Failure> {
    let mut reader = open(trace)?;
    let version = reader.version();
    let mut per_type = [(0u64, 0u64); 256];
    while let Some(event) = reader.next_event()? {
        let s = &mut per_type[usize::from(event.code())];
        s.0 += 1;
        s.1 += event.encoded_len() as u64;
    }
    let file_bytes = reader.offset();
    let present: Vec<(EventType, u64, u64)> = EventType::all(version)
        .map(|t| (t, per_type[usize::from(t.code())]))
        .filter(|(_, (count, _))| *count > 0)
        .map(|(t, (count, bytes))| (t, count, bytes))
        .collect();
    let total = present.iter().fold((0, 0), |(c, b), (_, count, bytes)| (c + count, b + bytes));
    with_stdout(|out| {
        let r = if json {
            write_json(out, version, file_bytes, &present, total)
        } else {
            write_table(out, version, file_bytes, &present, total)
        };
        r.map_err(stdout_failure)
    })
}

fn write_table(
    out: &mut dyn Write,
    version: gotrace_format::Version,
    file_bytes: u64,
    present: &[(EventType, u64, u64)],
    total: (u64, u64),
) -> std::io::Result<()> {
    writeln!(out, "version: {version}")?;
    writeln!(out, "file bytes: {file_bytes} (header {HEADER_LEN})")?;
    writeln!(out, "{:<20} {:>12} {:>14} {:>7}", "type", "count", "bytes", "bytes%")?;
    let pct = |b: u64| if total.1 == 0 { 0.0 } else { 100.0 * b as f64 / total.1 as f64 };
    for (t, count, bytes) in present {
        writeln!(out, "{:<20} {:>12} {:>14} {:>6.2}%", t.name(), count, bytes, pct(*bytes))?;
    }
    writeln!(out, "{:<20} {:>12} {:>14} {:>6.2}%", "total", total.0, total.1, pct(total.1))
}

fn write_json(
    out: &mut dyn Write,
    version: gotrace_format::Version,
    file_bytes: u64,
    present: &[(EventType, u64, u64)],
    total: (u64, u64),
) -> std::io::Result<()> {
    write!(
        out,
        "{{\"version\":\"{version}\",\"file_bytes\":{file_bytes},\"header_bytes\":{HEADER_LEN},\"types\":["
    )?;
    for (i, (t, count, bytes)) in present.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        write!(
            out,
            "{sep}{{\"code\":{},\"name\":\"{}\",\"count\":{count},\"bytes\":{bytes}}}",
            t.code(),
            t.name()
        )?;
    }
    writeln!(out, "],\"total\":{{\"count\":{},\"bytes\":{}}}}}", total.0, total.1)
}

/// `rewrite`: every record written back field by field; OUT equals IN byte for byte.
pub fn rewrite(input: &TraceFile, output: &Path) -> Result<(), Failure> {
    let mut reader = open(input)?;
    let out = File::create(output).map_err(io_failure(output))?;
    let mut writer = RawWriter::new(out, reader.version()).map_err(io_failure(output))?;
    while let Some(event) = reader.next_event()? {
        writer.write(&event).map_err(io_failure(output))?;
    }
    writer.finish().map_err(io_failure(output))?;
    Ok(())
}
