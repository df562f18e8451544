//! `gotrace dump FILE`: the ordered events, one per line, as `go tool trace -d` prints them.

use std::fs::File;
use std::path::Path;

use gotrace_parser::legacy::Trace;
use gotrace_parser::Options;

use crate::{io_failure, with_stdout, Failure};

/// Bytes gathered before each write to stdout.
const FLUSH_AT: usize = 1 << 16;

pub fn run(path: &Path) -> Result<(), Failure> {
    let trace = parse(path, Options::default())?;
    with_stdout(|out| {
        let mut buf = Vec::with_capacity(FLUSH_AT + 4096);
        for event in trace.events() {
            trace.write_line(&mut buf, event);
            buf.push(b'\n');
            if buf.len() >= FLUSH_AT {
                out.write_all(&buf).map_err(stdout_failure)?;
                buf.clear();
            }
        }
        out.write_all(&buf).map_err(stdout_failure)
    })
}

/// Reads, orders and validates the trace at `path`.
pub fn parse(path: &Path, options: Options) -> Result<Trace, Failure> {
    let file = File::open(path).map_err(io_failure(path))?;
    Ok(Trace::parse_with(file, options)?)
}

fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::Io(format!("stdout: {e}"))
}
