//! `gotrace dump FILE`: the ordered events, one per line, as `go tool trace -d` prints them.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;

use gotrace_parser::legacy::Trace;
use gotrace_parser::Options;

use crate::{io_failure, with_stdout, Failure};

/// Events formatted into one buffer before it is written.
const WINDOW: usize = 1 << 14;

/// Parses the whole trace first (Go prints nothing for a trace it rejects), then prints it.
/// Formatting is most of the work: a second thread formats every other window of events while
/// this one formats and writes the others, in order.
pub fn run(path: &Path) -> Result<(), Failure> {
    let trace = parse(path, Options::default())?;
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

/// Reads, orders and validates the trace at `path`. A regular file is read into memory and
/// parsed on two threads where the machine has two cores (the same result, in about four
/// fifths of the time, for the file's size in memory more); anything else (a pipe, one core)
/// is parsed as it is read, on one thread.
pub fn parse(path: &Path, options: Options) -> Result<Trace, Failure> {
    let mut file = File::open(path).map_err(io_failure(path))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(2);
    if threads > 1 && file.metadata().is_ok_and(|m| m.is_file()) {
        let mut data = Vec::new();
        file.read_to_end(&mut data).map_err(io_failure(path))?;
        return Ok(Trace::from_slice_with(&data, options.threads(threads))?);
    }
    Ok(Trace::parse_with(file, options)?)
}

fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::Io(format!("stdout: {e}"))
}
