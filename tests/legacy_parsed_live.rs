//! Live differential test of `gotrace dump --parsed` on legacy traces against Go 1.27's `go
//! tool trace -d=parsed`: three programs of `corpus/programs` are built with Go 1.19 and Go
//! 1.21 and run to record fresh traces, which Go 1.27 converts to its event model and prints,
//! and so do we. The outputs must hold the same events (each without its time) and the same
//! times, as multisets (Go orders events of equal time at random, then moves times to make
//! them increase).
//!
//! Go 1.19 and Go 1.21 are required in CI (`CI=true`); Go 1.27 is optional there. A missing
//! toolchain makes the test print why it skips (outside CI, or Go 1.27 in CI).

mod common;
mod dump_compare;
mod gotool;

use std::process::Command;
use std::time::Duration;

use common::{gotrace_bin, TempDir};
use dump_compare::compare_parsed;
use gotool::{keep_trace, record_program, require_go, run_ok, trace_tool};

/// The programs recorded: what each brings to the conversion.
const PROGRAMS: [&str; 3] = [
    "annotations", // tasks, regions, logs: task ends, inline log messages, labels
    "cpuprof",     // CPU samples: stack samples with their P and G
    "netio",       // blocking and non-blocking syscalls, network unblocks
];

/// Builds and records every program with Go `version`, compares the two conversions.
fn differential(version: &str) {
    let Some(go) = require_go(version, true) else { return };
    let Some(go127) = require_go("1.27", false) else { return };
    let tmp = TempDir::new(&format!("legacy-parsed-live-{version}"));
    let gopath = tmp.path().join("gopath");
    let programs = common::corpus_dir().join("programs");
    for program in PROGRAMS {
        let trace = record_program(&go, version, &gopath, &programs, program, tmp.path());
        let label = format!("go{version} {program}");
        let mut tool = trace_tool(&go127, "1.27", &gopath);
        tool.current_dir(tmp.path()).env("TZ", "UTC").args(["-d=parsed"]).arg(&trace);
        let theirs = run_ok(tool, Duration::from_secs(120), &format!("{label}: go1.27 tool trace -d=parsed"));
        let mut dump = Command::new(gotrace_bin());
        dump.args(["dump", "--parsed"]).arg(&trace);
        let ours = run_ok(dump, Duration::from_secs(60), &format!("{label}: gotrace"));
        assert!(theirs.stdout.len() > 1000, "{label}: go tool trace -d=parsed printed little");
        if let Some(diff) = compare_parsed(&ours.stdout, &theirs.stdout) {
            let keep = keep_trace(
                &trace,
                tmp.path(),
                &format!("gotrace-legacy-parsed-live-{program}-{version}.trace"),
            );
            panic!(
                "{label}: gotrace dump --parsed differs from Go 1.27's -d=parsed (trace kept at {}): {diff}",
                keep.display()
            );
        }
        let lines = ours.stdout.split(|&b| b == b'\n').filter(|l| l.starts_with(b"M=")).count();
        println!("{label}: {lines} events agree with Go 1.27");
    }
}

#[test]
fn dump_parsed_agrees_with_go1_27_on_go1_19_traces() {
    differential("1.19");
}

#[test]
fn dump_parsed_agrees_with_go1_27_on_go1_21_traces() {
    differential("1.21");
}
