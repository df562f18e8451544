//! `gotrace`: the command line of gotrace.
//!
//! Exit codes: 0 ok, 1 bad trace, 2 usage, 3 I/O error.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gotrace_format::{Category, Error};
use gotrace_parser::convert::{Converter, Source};
use gotrace_parser::legacy::{OrderedReader, RawReader};
use gotrace_parser::Options;
use gotrace_writer::RawWriter;

mod dump;
mod modern_order;
mod modern_raw;
mod quote;
mod raw_dump;
mod stats;
mod synth;
mod text;
mod trace_file;

use trace_file::{Stream, TraceFile};

/// Read, check and rewrite Go execution traces.
#[derive(Parser)]
#[command(name = "gotrace", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the ordered events of a trace, one per line, as `go tool trace -d` does.
    Dump {
        /// Print raw records in file order instead: offset, Go's event name, name=value arguments.
        #[arg(long)]
        raw: bool,
        /// Print what Go 1.27's `go tool trace -d=wire` prints (modern traces, Go 1.22+).
        #[arg(long, conflicts_with = "raw")]
        wire: bool,
        /// Print the high-level events as Go 1.27's `go tool trace -d=parsed` prints them
        /// (what `dump` prints on modern traces; legacy traces converted as Go converts them).
        #[arg(long, conflicts_with_all = ["raw", "wire"])]
        parsed: bool,
        /// The trace file.
        file: PathBuf,
    },
    /// Print the version and, per event type, the count and the bytes occupied.
    Stats {
        /// Print JSON (the shape is documented in the README).
        #[arg(long)]
        json: bool,
        /// Order and validate the events (in bounded memory) and print figures of them: events,
        /// goroutines, Ps, duration, per type (modern traces: per kind) the count.
        #[arg(long)]
        ordered: bool,
        /// The trace file.
        file: PathBuf,
    },
    /// Read a trace and write it back, record by record; OUT equals IN byte for byte.
    Rewrite {
        /// The trace to read.
        input: PathBuf,
        /// Where to write.
        output: PathBuf,
    },
    /// Exit 0 if the trace reads, orders and validates cleanly (Go accepts it), else 1 with
    /// `error at offset N: MESSAGE` on stderr.
    Validate {
        /// Also reject the damage Go's reader tolerates.
        #[arg(long)]
        strict: bool,
        /// The trace file.
        file: PathBuf,
    },
    /// Print a modern trace (Go 1.22+) in the text form of Go's test traces; with
    /// `--to-binary TEXT OUT`, write the trace a text stands for.
    Text {
        /// Read INPUT as text and write the binary trace to OUTPUT.
        #[arg(long, requires = "output")]
        to_binary: bool,
        /// The trace (with --to-binary: the text).
        input: PathBuf,
        /// Where to write the binary trace (with --to-binary).
        #[arg(requires = "to_binary")]
        output: Option<PathBuf>,
    },
    /// Write a synthetic trace, P producer threads at once through the tracer; print the
    /// number of events written.
    Synth(synth::Args),
}

/// Why a command failed.
enum Failure {
    /// The trace is bad (exit 1).
    Trace(Error),
    /// Reading or writing failed (exit 3).
    Io(String),
    /// A text input is bad; the message says where (exit 1).
    Text(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        if e.kind().category() == Category::Io {
            Failure::Io(e.to_string())
        } else {
            Failure::Trace(e)
        }
    }
}

fn io_failure(path: &Path) -> impl Fn(io::Error) -> Failure + '_ {
    move |e| Failure::Io(format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    let result = run(Cli::parse().command);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Trace(e)) => {
            eprintln!("error at offset {}: {}", e.offset(), e.message());
            ExitCode::from(1)
        }
        Err(Failure::Io(msg)) => {
            eprintln!("gotrace: {msg}");
            ExitCode::from(3)
        }
        Err(Failure::Text(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(1)
        }
    }
}

/// Runs `command`; a trace file is opened once, here ([`TraceFile::new`]).
fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Dump { wire: true, file, .. } => modern_raw::dump_wire(&TraceFile::new(&file)?),
        Command::Dump { raw: true, file, .. } => raw_dump::run(&TraceFile::new(&file)?),
        Command::Dump { parsed: true, file, .. } => parsed(&TraceFile::new(&file)?),
        Command::Dump { raw: false, file, .. } => {
            let trace = TraceFile::new(&file)?;
            if trace.is_modern()? {
                modern_order::dump(&trace)
            } else {
                dump::run(&trace)
            }
        }
        Command::Stats { json, ordered: false, file } => stats::run(&TraceFile::new(&file)?, json),
        Command::Stats { json, ordered: true, file } => stats::ordered(&TraceFile::new(&file)?, json),
        Command::Rewrite { input, output } => rewrite(&TraceFile::new(&input)?, &output),
        Command::Validate { strict, file } => validate(&TraceFile::new(&file)?, strict),
        Command::Text { to_binary: false, input, .. } => text::to_text(&TraceFile::new(&input)?),
        Command::Text { to_binary: true, input, output } => {
            text::to_binary(&TraceFile::new(&input)?, &output.unwrap_or_default())
        }
        Command::Synth(args) => synth::run(&args),
    }
}

/// Opens `trace` for a streaming raw read.
fn open(trace: &TraceFile, options: Options) -> Result<RawReader<Stream<'_>>, Failure> {
    Ok(RawReader::with_options(trace.open()?, options)?)
}

/// Stdout, buffered; a closed pipe ends the output quietly.
fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

fn finish_output(result: io::Result<()>) -> Result<(), Failure> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Failure::Io(format!("stdout: {e}"))),
    }
}

fn rewrite(input: &TraceFile, output: &Path) -> Result<(), Failure> {
    if input.is_modern()? {
        return modern_raw::rewrite(input, output);
    }
    let mut reader = open(input, Options::default())?;
    let out = File::create(output).map_err(io_failure(output))?;
    let mut writer = RawWriter::new(out, reader.version()).map_err(io_failure(output))?;
    while let Some(event) = reader.next_event()? {
        writer.write(&event).map_err(io_failure(output))?;
    }
    writer.finish().map_err(io_failure(output))?;
    Ok(())
}

/// `dump --parsed`: the high-level model. A legacy trace is converted to it from the whole
/// parsed trace where that is faster or the input reads once ([`dump::converts_whole`]), else in
/// bounded memory (the file read twice: which syscalls block, then the events); both give the
/// same events and errors.
fn parsed(trace_file: &TraceFile) -> Result<(), Failure> {
    if trace_file.is_modern()? {
        return modern_order::dump(trace_file);
    }
    if dump::converts_whole(trace_file) {
        let trace = dump::parse(trace_file, Options::default())?;
        print_converted(Converter::new(&trace)?)?;
        // As in `dump`: the process ends, the kernel takes the memory back at once.
        std::mem::forget(trace);
        return Ok(());
    }
    // One core: the batches are decoded in place.
    let reader = || -> Result<_, Failure> { Ok(OrderedReader::new(trace_file.open_seekable()?)?) };
    print_converted(Converter::from_readers(reader()?, reader()?)?)
}

/// Prints the converted events of `events` as `dump --parsed` does.
fn print_converted<S: Source>(mut events: Converter<S>) -> Result<(), Failure> {
    modern_order::print(|stacks, buf| {
        let Some(event) = events.next_event()? else { return Ok(false) };
        event.write_go_with(events.tables(), stacks, buf);
        Ok(true)
    })
}

fn validate(trace: &TraceFile, strict: bool) -> Result<(), Failure> {
    if trace.is_modern()? {
        if strict && trace.reads_once() {
            // Two passes (Go's reader, then the strict checks of the records): a pipe is read
            // whole first (opening it to seek does), and both read it from memory.
            trace.open_seekable()?;
        }
        modern_order::validate(trace)?;
        return if strict { modern_raw::strict(trace) } else { Ok(()) };
    }
    // One pass: the raw reader and the census check every record as it is read (the checks
    // `validate` made before the ordered parser existed, in the same order), then the events
    // are ordered and validated.
    dump::parse(trace, Options::default().strict(strict))?;
    Ok(())
}

/// Writes through `out`, mapping a broken pipe to success.
fn with_stdout(f: impl FnOnce(&mut dyn Write) -> Result<(), Failure>) -> Result<(), Failure> {
    let mut out = stdout();
    match f(&mut out) {
        Err(Failure::Io(msg)) if msg.contains("Broken pipe") => Ok(()),
        other => {
            other?;
            finish_output(out.flush())
        }
    }
}
