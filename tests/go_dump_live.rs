//! Live differential test of `gotrace dump` against `go tool trace -d`: three programs of
//! `corpus/programs` (user annotations, CPU samples, network I/O) are built with Go 1.19 and
//! Go 1.21, run to record fresh traces, and both tools print them. The outputs must be equal up
//! to the order within runs of equal time stamps (which varies between runs of Go's own tool).
//!
//! Toolchains are looked up at `/usr/lib/go-1.X/bin/go` (and `/opt/goext/usr/lib/go-1.X/bin/go`).
//! A missing toolchain fails the test with `CI=true`; elsewhere the test prints why it skips.

mod common;
mod dump_compare;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{gotrace_bin, TempDir};
use dump_compare::compare;

/// The programs recorded: what each brings to the comparison.
const PROGRAMS: [&str; 3] = [
    "annotations", // tasks, regions, logs: string arguments, raw user text, newlines
    "cpuprof",     // CPU samples: the ProfileP batch, sampled P and G
    "netio",       // network poller unblocks (NetpollP), syscalls (SyscallP)
];

fn find_go(version: &str) -> Option<PathBuf> {
    [format!("/usr/lib/go-{version}/bin/go"), format!("/opt/goext/usr/lib/go-{version}/bin/go")]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// The go command of `version`, or `None` after saying why the test skips (a failure in CI).
fn require_go(version: &str) -> Option<PathBuf> {
    match find_go(version) {
        Some(go) => Some(go),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("Go {version} is required in CI (CI=true) but is not installed")
        }
        None => {
            println!("skipping the Go {version} differential: /usr/lib/go-{version}/bin/go is not installed");
            None
        }
    }
}

/// A go command that touches nothing outside `gopath` and a build cache of its own (kept in
/// the temp dir between runs, so that only the first run compiles the standard library).
fn go_command(go: &Path, version: &str, gopath: &Path) -> Command {
    let mut cmd = Command::new(go);
    cmd.env("GO111MODULE", "off")
        .env("GOCACHE", std::env::temp_dir().join(format!("gotrace-go-dump-live-gocache-{version}")))
        .env("GOPATH", gopath)
        .env("GOFLAGS", "")
        .env("GOENV", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env_remove("GOROOT")
        .env_remove("GODEBUG")
        .env_remove("GOMAXPROCS")
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd` (its output drained by two threads) or kills it after `limit`.
fn run(mut cmd: Command, limit: Duration, what: &str) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect(what);
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect(what) {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output { status, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() }
}

fn ok(out: Output, what: &str) -> Output {
    assert!(out.status.success(), "{what} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// Builds, records and compares every program with Go `version`.
fn differential(version: &str) {
    let Some(go) = require_go(version) else { return };
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
