//! `gotrace stats`: version, and per event type the count and the bytes occupied.

use std::io::Write;
use std::path::Path;

use gotrace_format::HEADER_LEN;
use gotrace_parser::legacy::Census;
use gotrace_parser::Options;

use crate::{open, with_stdout, Failure};

pub fn run(path: &Path, json: bool) -> Result<(), Failure> {
    if crate::modern_raw::is_modern(path)? {
        return crate::modern_raw::stats(path, json);
    }
    let mut reader = open(path, Options::default())?;
    let mut census = Census::new(reader.version());
    while let Some(event) = reader.next_event()? {
        census.add(&event)?;
    }
    let file_bytes = reader.offset();
    with_stdout(|out| {
        let r =
            if json { write_json(out, &census, file_bytes) } else { write_text(out, &census, file_bytes) };
        r.map_err(|e| Failure::Io(format!("stdout: {e}")))
    })
}

fn write_text(out: &mut dyn Write, census: &Census, file_bytes: u64) -> std::io::Result<()> {
    let version = census.version();
    writeln!(out, "version: {version}")?;
    writeln!(out, "file bytes: {file_bytes} (header {HEADER_LEN})")?;
    writeln!(out, "{:<20} {:>12} {:>14} {:>7}", "type", "count", "bytes", "bytes%")?;
    let total = census.total();
    let pct = |b: u64| if total.bytes == 0 { 0.0 } else { 100.0 * b as f64 / total.bytes as f64 };
    for (t, s) in census.present() {
        writeln!(out, "{:<20} {:>12} {:>14} {:>6.2}%", t.name(version), s.count, s.bytes, pct(s.bytes))?;
    }
    writeln!(out, "{:<20} {:>12} {:>14} {:>6.2}%", "total", total.count, total.bytes, pct(total.bytes))
}

fn write_json(out: &mut dyn Write, census: &Census, file_bytes: u64) -> std::io::Result<()> {
    let version = census.version();
    write!(
        out,
        "{{\"version\":\"{version}\",\"file_bytes\":{file_bytes},\"header_bytes\":{HEADER_LEN},\"types\":["
    )?;
    for (i, (t, s)) in census.present().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        write!(
            out,
            "{sep}{{\"code\":{},\"name\":\"{}\",\"count\":{},\"bytes\":{}}}",
            t.code(),
            t.name(version),
            s.count,
            s.bytes
        )?;
    }
    let total = census.total();
    writeln!(out, "],\"total\":{{\"count\":{},\"bytes\":{}}}}}", total.count, total.bytes)
}
