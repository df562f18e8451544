//! Live differential test of `gotrace dump` against `go tool trace -d`: three programs of
//! `corpus/programs` (user annotations, CPU samples, network I/O) are built with Go 1.19 and
//! Go 1.21, run to record fresh traces, and both tools print them. The outputs must be equal up
//! to the order within runs of equal time stamps (which varies between runs of Go's own tool).
//!
//! Toolchains are looked up at `/usr/lib/go-1.X/bin/go` (and `/opt/goext/usr/lib/go-1.X/bin/go`).
//! A missing toolchain fails the test with `CI=true`; elsewhere the test prints why it skips.

mod common;
mod dump_compare;
mod gotool;

use std::process::{Command, Output};
use std::time::Duration;

use common::{gotrace_bin, TempDir};
use dump_compare::compare;
use gotool::{go_command, require_go, run_with_timeout as run};

/// The programs recorded: what each brings to the comparison.
const PROGRAMS: [&str; 3] = [
    "annotations", // tasks, regions, logs: string arguments, raw user text, newlines
    "cpuprof",     // CPU samples: the ProfileP batch, sampled P and G
    "netio",       // network poller unblocks (NetpollP), syscalls (SyscallP)
];

fn ok(out: Output, what: &str) -> Output {
    assert!(out.status.success(), "{what} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// Builds, records and compares every program with Go `version`.
fn differential(version: &str) {
    let Some(go) = require_go(version, true) else { return };
    let tmp = TempDir::new(&format!("go-dump-live-{version}"));
    let gopath = tmp.path().join("gopath");
    let programs = common::corpus_dir().join("programs");
    for program in PROGRAMS {
        let source = programs.join(format!("{program}.go"));
        assert!(source.is_file(), "{} is missing", source.display());
        let bin = tmp.path().join(program);
        let mut build = go_command(&go, version, &gopath);
        build
            .current_dir(&programs)
            .args(["build", "-trimpath", "-o"])
            .arg(&bin)
            .arg(format!("./{program}.go"));
        ok(run(build, Duration::from_secs(300), "go build"), &format!("go{version} build {program}"));

        let trace = tmp.path().join(format!("{program}.trace"));
        let mut record = Command::new(&bin);
        record.arg(&trace).current_dir(tmp.path()).env_remove("GODEBUG").env_remove("GOMAXPROCS");
        ok(run(record, Duration::from_secs(60), "record"), &format!("go{version} {program}"));

        let label = format!("go{version} {program}");
        let mut tool = go_command(&go, version, &gopath);
        tool.current_dir(tmp.path()).args(["tool", "trace", "-d"]).arg(&trace);
        let theirs = ok(
            run(tool, Duration::from_secs(120), "go tool trace -d"),
            &format!("{label}: go tool trace -d"),
        );
        let mut dump = Command::new(gotrace_bin());
        dump.arg("dump").arg(&trace);
        let ours = ok(run(dump, Duration::from_secs(60), "gotrace dump"), &format!("{label}: gotrace dump"));
        assert!(!theirs.stdout.is_empty(), "{label}: go tool trace -d printed nothing");
        if let Some(diff) = compare(&ours.stdout, &theirs.stdout) {
            let keep = tmp
                .path()
                .parent()
                .unwrap_or(tmp.path())
                .join(format!("gotrace-go-dump-live-{program}-{version}.trace"));
            let _ = std::fs::copy(&trace, &keep);
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
