//! The ordered commands on modern traces (Go 1.22 – 1.27): `dump` (and `dump --parsed`) prints
//! what Go 1.27's `go tool trace -d=parsed` prints, `validate` gives its reader's verdict.

use gotrace_parser::modern::{Reader, StackText};

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

/// `validate`: reads and orders every event.
pub fn validate(trace: &TraceFile) -> Result<(), Failure> {
    open(trace)?.read_to_end()?;
    Ok(())
}
