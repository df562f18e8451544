//! `gotrace dump --raw`: one line per raw record.

use std::io::Write;

use gotrace_format::legacy::{EventType, RawEvent};
use gotrace_parser::Options;

use crate::quote::write_quoted;
use crate::trace_file::TraceFile;
use crate::{open, with_stdout, Failure};

pub fn run(trace: &TraceFile) -> Result<(), Failure> {
    if trace.is_modern()? {
        return crate::modern_raw::dump_raw(trace);
    }
    let mut reader = open(trace, Options::default())?;
    with_stdout(|out| {
        while let Some(event) = reader.next_event()? {
            write_event(out, &event).map_err(|e| Failure::Io(format!("stdout: {e}")))?;
        }
        Ok(())
    })
}

/// `OFFSET NAME name=value...`, strings quoted as Go's `%q`.
fn write_event(out: &mut dyn Write, event: &RawEvent<'_>) -> std::io::Result<()> {
    let t = event.event_type();
    let version = event.version();
    write!(out, "{} {}", event.offset(), event.name())?;
    for (i, value) in event.values().enumerate() {
        let name = t.value_name(version, i);
        if t == EventType::BATCH && i == 0 {
            // The P of a batch is signed: -1 is the buffer of events written without a P.
            write!(out, " {name}={}", value as i64)?;
        } else {
            write!(out, " {name}={value}")?;
        }
    }
    if let Some(text) = event.text() {
        let name = if t == EventType::STRING { "text" } else { "message" };
        write!(out, " {name}=")?;
        write_quoted(out, text.bytes())?;
        if !text.is_complete() {
            write!(out, " damaged")?;
        }
    }
    writeln!(out)
}
