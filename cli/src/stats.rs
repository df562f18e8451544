//! `gotrace stats`: version, and per event type the count and the bytes occupied; with
//! `--ordered`, figures of the ordered events (the bounded-memory reader; modern traces:
//! [`modern_order::stats`](crate::modern_order::stats)).

use std::collections::HashSet;
use std::io::Write;

use gotrace_format::legacy::EventType;
use gotrace_format::HEADER_LEN;
use gotrace_parser::legacy::{Census, TIMER_P};
use gotrace_parser::Options;

use crate::trace_file::TraceFile;
use crate::{open, with_stdout, Failure};

pub fn run(trace: &TraceFile, json: bool) -> Result<(), Failure> {
    if trace.is_modern()? {
        return crate::modern_raw::stats(trace, json);
    }
    let mut reader = open(trace, Options::default())?;
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

/// What `stats --ordered` reports: figures of the ordered, validated events, read by the
/// bounded-memory reader.
struct Ordered {
    version: gotrace_format::Version,
    file_bytes: u64,
    file_events: usize,
    events: u64,
    goroutines: u64,
    procs: u64,
    duration_ns: i64,
    frequency: u64,
    peak_bytes: usize,
    /// Per type code, the events of the ordered stream.
    types: [u64; 64],
}

/// Goroutine ids below this are counted in a bitmap; larger ones in a set.
const DENSE_IDS: u64 = 1 << 24;

/// Distinct ids: a bitmap for the dense ids the runtime hands out, a set for the rest.
#[derive(Default)]
pub struct IdSet {
    bits: Vec<u64>,
    far: HashSet<u64>,
    count: u64,
}

impl IdSet {
    /// Ids inserted, each once.
    pub fn count(&self) -> u64 {
        self.count
    }

    #[inline]
    pub fn insert(&mut self, id: u64) {
        if id < DENSE_IDS {
            let word = (id / 64) as usize;
            if word >= self.bits.len() {
                self.bits.resize(word + 1, 0);
            }
            let bit = 1u64 << (id % 64);
            self.count += u64::from(self.bits[word] & bit == 0);
            self.bits[word] |= bit;
        } else if self.far.insert(id) {
            self.count += 1;
        }
    }
}

/// `stats --ordered`: one bounded-memory ordered read.
pub fn ordered(trace: &TraceFile, json: bool) -> Result<(), Failure> {
    if trace.is_modern()? {
        return crate::modern_order::stats(trace, json);
    }
    let stats = std::thread::scope(|scope| -> Result<Ordered, Failure> {
        let mut reader = trace.ordered_reader(scope)?;
        let mut goroutines = IdSet::default();
        let mut procs = IdSet::default();
        let mut types = [0u64; 64];
        let mut events = 0;
        let mut last_ts = 0;
        for ev in reader.by_ref() {
            let ev = ev?;
            events += 1;
            last_ts = ev.ts();
            types[usize::from(ev.event_type().code())] += 1;
            if ev.g() != 0 {
                goroutines.insert(ev.g());
            }
            if ev.event_type() == EventType::GO_CREATE {
                goroutines.insert(ev.args()[0]);
            }
            if (0..TIMER_P).contains(&ev.p()) {
                procs.insert(ev.p() as u64);
            }
        }
        Ok(Ordered {
            version: reader.version(),
            file_bytes: trace.len()?,
            file_events: reader.total_events(),
            events,
            goroutines: goroutines.count(),
            procs: procs.count(),
            duration_ns: last_ts,
            frequency: reader.frequency(),
            peak_bytes: reader.peak_bytes(),
            types,
        })
    })?;
    with_stdout(|out| {
        let r = if json { write_ordered_json(out, &stats) } else { write_ordered_text(out, &stats) };
        r.map_err(|e| Failure::Io(format!("stdout: {e}")))
    })
}

fn ordered_types(stats: &Ordered) -> impl Iterator<Item = (&'static str, u64)> + '_ {
    EventType::all(stats.version)
        .map(|t| (t.name(stats.version), stats.types[usize::from(t.code())]))
        .filter(|&(_, n)| n > 0)
}

fn write_ordered_text(out: &mut dyn Write, s: &Ordered) -> std::io::Result<()> {
    writeln!(out, "version: {}", s.version)?;
    writeln!(out, "file bytes: {}", s.file_bytes)?;
    writeln!(out, "events: {} (in the file: {})", s.events, s.file_events)?;
    writeln!(out, "goroutines: {}", s.goroutines)?;
    writeln!(out, "procs: {}", s.procs)?;
    writeln!(out, "duration: {} ns", s.duration_ns)?;
    writeln!(out, "frequency: {} ticks/s", s.frequency)?;
    writeln!(out, "peak bytes held: {}", s.peak_bytes)?;
    writeln!(out, "{:<20} {:>12}", "type", "count")?;
    for (name, n) in ordered_types(s) {
        writeln!(out, "{name:<20} {n:>12}")?;
    }
    Ok(())
}

fn write_ordered_json(out: &mut dyn Write, s: &Ordered) -> std::io::Result<()> {
    write!(
        out,
        "{{\"version\":\"{}\",\"file_bytes\":{},\"file_events\":{},\"events\":{},\"goroutines\":{},\
         \"procs\":{},\"duration_ns\":{},\"frequency\":{},\"peak_bytes\":{},\"types\":[",
        s.version,
        s.file_bytes,
        s.file_events,
        s.events,
        s.goroutines,
        s.procs,
        s.duration_ns,
        s.frequency,
        s.peak_bytes
    )?;
    for (i, (name, n)) in ordered_types(s).enumerate() {
        let sep = if i == 0 { "" } else { "," };
        write!(out, "{sep}{{\"name\":\"{name}\",\"count\":{n}}}")?;
    }
    writeln!(out, "]}}")
}
