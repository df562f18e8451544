//! `gotrace synth`: a synthetic workload written through the tracer (legacy or modern).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use gotrace_format::Version;
use gotrace_writer::modern;
use gotrace_writer::synth::{self, SynthOptions};

use crate::Failure;

/// Options of `gotrace synth`.
#[derive(clap::Args)]
pub struct Args {
    /// Ps, each written by its own thread.
    #[arg(long)]
    procs: u32,
    /// Goroutines alive at once (about).
    #[arg(long)]
    goroutines: u32,
    /// Events to write (at least).
    #[arg(long)]
    events: u64,
    /// Trace version: 1.19 or 1.21 (legacy), 1.23 or 1.26 (modern, written in generations).
    #[arg(long, default_value = "1.19", value_parser = ["1.19", "1.21", "1.23", "1.26"])]
    version: String,
    /// Modern traces: start a new generation about every this many bytes (0: one generation).
    #[arg(long, default_value_t = 1 << 20)]
    generation_bytes: u64,
    /// Seed of the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the trace.
    #[arg(short = 'o', long = "output")]
    out: PathBuf,
}

/// Writes the trace and prints the number of events written.
pub fn run(args: &Args) -> Result<(), Failure> {
    let version = match args.version.as_str() {
        "1.21" => Version::Go1_21,
        "1.23" => Version::Go1_23,
        "1.26" => Version::Go1_26,
        _ => Version::Go1_19,
    };
    let io_failure = |e: &dyn std::fmt::Display| Failure::Io(format!("{}: {e}", args.out.display()));
    let file = File::create(&args.out).map_err(|e| io_failure(&e))?;
    let out = BufWriter::with_capacity(1 << 20, file);
    let events = if version.is_legacy() {
        let options = SynthOptions {
            procs: args.procs,
            goroutines: args.goroutines,
            events: args.events,
            version,
            seed: args.seed,
        };
        synth::run(out, &options).map_err(|e| io_failure(&e))?.1.events()
    } else {
        let options = modern::synth::SynthOptions {
            procs: args.procs,
            goroutines: args.goroutines,
            events: args.events,
            version,
            seed: args.seed,
            generation_bytes: Some(args.generation_bytes).filter(|&b| b > 0),
        };
        modern::synth::run(out, &options).map_err(|e| io_failure(&e))?.1.events()
    };
    println!("{events}");
    Ok(())
}
