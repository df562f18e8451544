//! `gotrace synth`: a synthetic workload written through the tracer.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use gotrace_format::Version;
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
    /// Trace version.
    #[arg(long, default_value = "1.19", value_parser = ["1.19", "1.21"])]
    version: String,
    /// Seed of the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the trace.
    #[arg(short = 'o', long = "output")]
    out: PathBuf,
}

/// Writes the trace and prints the number of events written.
pub fn run(args: &Args) -> Result<(), Failure> {
    let version = if args.version == "1.21" { Version::Go1_21 } else { Version::Go1_19 };
    let io_failure = |e: &dyn std::fmt::Display| Failure::Io(format!("{}: {e}", args.out.display()));
    let file = File::create(&args.out).map_err(|e| io_failure(&e))?;
    let options = SynthOptions {
        procs: args.procs,
        goroutines: args.goroutines,
        events: args.events,
        version,
        seed: args.seed,
    };
    let (_, stats) =
        synth::run(BufWriter::with_capacity(1 << 20, file), &options).map_err(|e| io_failure(&e))?;
    println!("{}", stats.events());
    Ok(())
}
