//! The ordered commands on modern traces (Go 1.22 – 1.27): `dump` (and `dump --parsed`) prints
//! what Go 1.27's `go tool trace -d=parsed` prints, `validate` gives its reader's verdict,
//! `stats --ordered` figures of the ordered events.

use std::io::Write;

use gotrace_parser::modern::{EventKind, Reader, Resource, StackText};

use crate::stats::IdSet;
use crate::trace_file::{Stream, TraceFile};
use crate::{with_stdout, Failure};

/// Bytes formatted before they are written.
const FLUSH_AT: usize = 1 << 16;

fn open(trace: &TraceFile) -> Result<Reader<Stream<'_>>, Failure> {
    Ok(Reader::new(trace.open()?)?)
}

/// `dump`: every event as Go's `Event.String` prints it, one per line, streamed; on a bad
/// trace the events before the error, then the error (as Go prints them).
pub fn dump(trace: &TraceFile) -> Result<(), Failure> {
    let mut reader = open(trace)?;
    print(|stacks, buf| {
        let Some(event) = reader.next_event()? else { return Ok(false) };
        event.write_go_with(reader.tables(), stacks, buf);
        Ok(true)
    })
}

/// Prints the events `next` writes (one a call, `false` at the end) a line each, streamed;
/// on an error, the events before it, then the error.
pub fn print(
    mut next: impl FnMut(&mut StackText, &mut Vec<u8>) -> Result<bool, gotrace_format::Error>,
) -> Result<(), Failure> {
    with_stdout(|out| {
        let mut buf = Vec::with_capacity(2 * FLUSH_AT);
        let mut stacks = StackText::default();
        let stdout_failure = |e: std::io::Error| Failure::Io(format!("stdout: {e}"));
        let result = loop {
            match next(&mut stacks, &mut buf) {
                Ok(true) => {
                    buf.push(b'\n');
                    if buf.len() >= FLUSH_AT {
                        out.write_all(&buf).map_err(stdout_failure)?;
                        buf.clear();
                    }
                }
                Ok(false) => break Ok(()),
                Err(e) => break Err(Failure::from(e)),
            }
        };
        out.write_all(&buf).map_err(stdout_failure)?;
        result
    })
}

/// `validate`: reads and orders every event; a regular file on a machine of two cores or
/// more in two halves at once (the second from the file opened again).
pub fn validate(trace: &TraceFile) -> Result<(), Failure> {
    let mut reader = open(trace)?;
    if crate::dump::cores() > 1 && !trace.reads_once() {
        reader.read_to_end_split(trace.open_seekable()?)?;
    } else {
        reader.read_to_end()?;
    }
    Ok(())
}

/// Figures of the ordered events of a modern trace.
struct Ordered {
    version: gotrace_format::Version,
    file_bytes: u64,
    events: u64,
    goroutines: u64,
    procs: u64,
    duration_ns: i64,
    kinds: [u64; EventKind::ALL.len()],
}

/// `stats --ordered`: one read of the ordered events, a generation at a time (as `validate`),
/// counting them by kind, the goroutines and Ps they run on or change the state of, and the
/// time from the first to the last.
pub fn stats(trace: &TraceFile, json: bool) -> Result<(), Failure> {
    // Before the read: the length of an input that reads once is that of its bytes read whole.
    let file_bytes = trace.len()?;
    let mut reader = open(trace)?;
    let (mut goroutines, mut procs) = (IdSet::default(), IdSet::default());
    let mut kinds = [0u64; EventKind::ALL.len()];
    let (mut events, mut first, mut last) = (0, None, 0);
    while let Some(ev) = reader.next_event()? {
        events += 1;
        kinds[ev.kind() as usize] += 1;
        first.get_or_insert(ev.time());
        last = ev.time();
        let transition =
            (ev.kind() == EventKind::StateTransition).then(|| ev.state_transition(reader.tables()));
        let (g, p) = match transition.flatten().map(|t| t.resource) {
            Some(Resource::Goroutine(g)) => (Some(g), None),
            Some(Resource::Proc(p)) => (None, Some(p)),
            _ => (None, None),
        };
        for g in [ev.goroutine(), g].into_iter().flatten().filter(|&g| g >= 0) {
            goroutines.insert(g as u64);
        }
        for p in [ev.proc(), p].into_iter().flatten().filter(|&p| p >= 0) {
            procs.insert(p as u64);
        }
    }
    let stats = Ordered {
        version: reader.version(),
        file_bytes,
        events,
        goroutines: goroutines.count(),
        procs: procs.count(),
        duration_ns: last - first.unwrap_or(last),
        kinds,
    };
    with_stdout(|out| {
        let r = if json { write_json(out, &stats) } else { write_text(out, &stats) };
        r.map_err(|e| Failure::Io(format!("stdout: {e}")))
    })
}

/// The kinds present, with their counts.
fn kinds(stats: &Ordered) -> impl Iterator<Item = (&'static str, u64)> + '_ {
    EventKind::ALL.iter().map(|&k| (k.name(), stats.kinds[k as usize])).filter(|&(_, n)| n > 0)
}

fn write_text(out: &mut dyn Write, s: &Ordered) -> std::io::Result<()> {
    writeln!(out, "version: {}", s.version)?;
    writeln!(out, "file bytes: {}", s.file_bytes)?;
    writeln!(out, "events: {}", s.events)?;
    writeln!(out, "goroutines: {}", s.goroutines)?;
    writeln!(out, "procs: {}", s.procs)?;
    writeln!(out, "duration: {} ns", s.duration_ns)?;
    writeln!(out, "{:<20} {:>12}", "kind", "count")?;
    for (name, n) in kinds(s) {
        writeln!(out, "{name:<20} {n:>12}")?;
    }
    Ok(())
}

fn write_json(out: &mut dyn Write, s: &Ordered) -> std::io::Result<()> {
    write!(
        out,
        "{{\"version\":\"{}\",\"file_bytes\":{},\"events\":{},\"goroutines\":{},\"procs\":{},\
         \"duration_ns\":{},\"kinds\":[",
        s.version, s.file_bytes, s.events, s.goroutines, s.procs, s.duration_ns
    )?;
    for (i, (name, n)) in kinds(s).enumerate() {
        let sep = if i == 0 { "" } else { "," };
        write!(out, "{sep}{{\"name\":\"{name}\",\"count\":{n}}}")?;
    }
    writeln!(out, "]}}")
}
