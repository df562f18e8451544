//! `gotrace dump FILE`: the ordered events, one per line, as `go tool trace -d` prints them.

use std::sync::mpsc;

use gotrace_parser::legacy::Trace;
use gotrace_parser::Options;

use crate::trace_file::TraceFile;
use crate::{with_stdout, Failure};

/// Events formatted into one buffer before it is written.
const WINDOW: usize = 1 << 14;

/// Parses the whole trace first (Go prints nothing for a trace it rejects), then prints it.
/// Formatting is most of the work: a second thread formats every other window of events while
/// this one formats and writes the others, in order.
pub fn run(trace_file: &TraceFile) -> Result<(), Failure> {
    let trace = parse(trace_file, Options::default())?;
    with_stdout(|out| {
        let n = trace.len();
        let windows = n.div_ceil(WINDOW);
        let format = |w: usize, buf: &mut Vec<u8>| {
            buf.clear();
            for i in w * WINDOW..((w + 1) * WINDOW).min(n) {
                if let Some(event) = trace.event(i) {
                    trace.write_line(buf, event);
                    buf.push(b'\n');
                }
            }
        };
        std::thread::scope(|scope| {
            let (done, formatted) = mpsc::sync_channel::<Vec<u8>>(2);
            let (recycle, spare) = mpsc::channel::<Vec<u8>>();
            scope.spawn(move || {
                for w in (1..windows).step_by(2) {
                    let mut buf = spare.try_recv().unwrap_or_default();
                    format(w, &mut buf);
                    if done.send(buf).is_err() {
                        return; // the writer stopped
                    }
                }
            });
            let mut mine = Vec::new();
            for w in (0..windows).step_by(2) {
                format(w, &mut mine);
                out.write_all(&mine).map_err(stdout_failure)?;
                if w + 1 < windows {
                    let theirs =
                        formatted.recv().map_err(|_| Failure::Io("formatting thread failed".into()))?;
                    out.write_all(&theirs).map_err(stdout_failure)?;
                    let _ = recycle.send(theirs);
                }
            }
            Ok(())
        })
    })?;
    // The process ends now: returning the events' memory one chunk at a time would only delay
    // the exit (the kernel takes it back at once).
    std::mem::forget(trace);
    Ok(())
}

/// Reads, orders and validates `trace`, as it is read: on two threads where the machine has
/// two cores (the same result, in about four fifths of the time), else on one.
pub fn parse(trace: &TraceFile, options: Options) -> Result<Trace, Failure> {
    Ok(Trace::parse_with(trace.open()?, options.threads(cores().min(2)))?)
}

/// Whether `dump --parsed` converts the whole parsed trace ([`parse`]; memory in proportion to
/// the events) rather than in bounded memory, reading the input twice: on two cores, where the
/// whole parse is faster, and for an input that can be read once ([`TraceFile::reads_once`]).
pub fn converts_whole(trace: &TraceFile) -> bool {
    trace.reads_once() || cores() > 1
}

/// The cores the machine offers this process (1 when it cannot tell).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::Io(format!("stdout: {e}"))
}
