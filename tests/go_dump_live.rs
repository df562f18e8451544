//! Live differential test of `gotrace dump` against `go tool trace -d`: three programs of
//! `corpus/programs` (user annotations, CPU samples, network I/O) are built with Go 1.19 and
//! Go 1.21, run to record fresh traces, and both tools print them. The outputs must be equal up
//! to the order within runs of equal time stamps (which varies between runs of Go's own tool).
//!
//! Toolchains are found where scripts/install-go-toolchains.sh puts them (tests/gotool).
//! A missing toolchain fails the test with `CI=true`; elsewhere the test prints why it skips.

mod common;
mod dump_compare;
mod gotool;

use std::process::Command;
use std::time::Duration;

use common::{gotrace_bin, TempDir};
use dump_compare::compare;
use gotool::{keep_trace, record_program, require_go, run_ok, trace_tool};

/// The programs recorded: what each brings to the comparison.
const PROGRAMS: [&str; 3] = [
    "annotations", // tasks, regions, logs: string arguments, raw user text, newlines
    "cpuprof",     // CPU samples: the ProfileP batch, sampled P and G
    "netio",       // network poller unblocks (NetpollP), syscalls (SyscallP)
];

/// Builds, records and compares every program with Go `version`.
fn differential(version: &str) {
    let Some(go) = require_go(version, true) else { return };
    let tmp = TempDir::new(&format!("go-dump-live-{version}"));
    let gopath = tmp.path().join("gopath");
    let programs = common::corpus_dir().join("programs");
    for program in PROGRAMS {
        let trace = record_program(&go, version, &gopath, &programs, program, tmp.path());
        let label = format!("go{version} {program}");
        let mut tool = trace_tool(&go, version, &gopath);
        tool.current_dir(tmp.path()).args(["-d"]).arg(&trace);
        let theirs = run_ok(tool, Duration::from_secs(120), &format!("{label}: go tool trace -d"));
        let mut dump = Command::new(gotrace_bin());
        dump.arg("dump").arg(&trace);
        let ours = run_ok(dump, Duration::from_secs(60), &format!("{label}: gotrace dump"));
        assert!(!theirs.stdout.is_empty(), "{label}: go tool trace -d printed nothing");
        if let Some(diff) = compare(&ours.stdout, &theirs.stdout) {
            let keep =
                keep_trace(&trace, tmp.path(), &format!("gotrace-go-dump-live-{program}-{version}.trace"));
            panic!(
                "{label}: gotrace dump differs from go tool trace -d (trace kept at {}): {diff}",
                keep.display()
            );
        }
        println!("{label}: {} events agree", dump_compare::events(&ours.stdout).len());
    }
}

#[test]
fn dump_agrees_with_go1_19() {
    differential("1.19");
}

#[test]
fn dump_agrees_with_go1_21() {
    differential("1.21");
}
