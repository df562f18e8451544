//! The Go toolchains for the live tests: where they are, whether CI requires them, a hermetic
//! `go` command, running a command with a time limit, and recording a corpus program's trace.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub fn find_go(version: &str) -> Option<PathBuf> {
    [format!("/usr/lib/go-{version}/bin/go"), format!("/opt/goext/usr/lib/go-{version}/bin/go")]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The go command of `version`; `None` (after saying why) when it is missing, unless it is
/// `required` and this is CI, where a missing toolchain fails the test.
pub fn require_go(version: &str, required: bool) -> Option<PathBuf> {
    match find_go(version) {
        Some(go) => Some(go),
        None if required && in_ci() => panic!("Go {version} is required in CI but is not installed"),
        None => {
            println!("skipping: Go {version} not installed");
            None
        }
    }
}

/// A hermetic go command: no modules, no network, no user configuration, a build cache of
/// its own under the temp dir (kept between runs so that only the first run compiles std).
pub fn go_command(go: &Path, version: &str, gopath: &Path) -> Command {
    let mut cmd = Command::new(go);
    cmd.env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOENV", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOCACHE", std::env::temp_dir().join(format!("gotrace-tests-gocache-{version}")))
        .env("GOPATH", gopath)
        .env_remove("GOROOT")
        .env_remove("GODEBUG")
        .env_remove("GOMAXPROCS")
        .stdin(Stdio::null());
    cmd
}

/// `go tool trace` of Go `version`, hermetic as [`go_command`]; the caller adds the flags and
/// the file. Go 1.24 and later do not ship the trace tool built: the go command builds it on
/// first use, in the build cache. That build happens here, once per version and test
/// process, under a limit of its own (20 minutes), so that the caller's limit times the tool
/// alone (the build took 102 s on this machine with its two cores busy).
pub fn trace_tool(go: &Path, version: &str, gopath: &Path) -> Command {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if !built.iter().any(|v| v == version) {
        let mut usage = go_command(go, version, gopath);
        usage.args(["tool", "trace", "-h"]);
        // The tool prints its usage and exits with status 2.
        let out = run_with_timeout(usage, Duration::from_secs(1200), "building go tool trace");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(text.contains("Usage"), "go {version} tool trace -h: {text}");
        built.push(version.to_owned());
    }
    drop(built);
    let mut cmd = go_command(go, version, gopath);
    cmd.args(["tool", "trace"]);
    cmd
}

/// Runs `cmd` to completion (its output drained by two threads, so that a full pipe never
/// blocks it) or kills it after `limit`.
pub fn run_with_timeout(mut cmd: Command, limit: Duration, what: &str) -> Output {
    use std::io::Read;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect(what);
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect(what) {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap_or_default();
            panic!("{what}: still running after {limit:?}; stderr: {}", String::from_utf8_lossy(&err));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output { status, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() }
}

pub fn check(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `cmd` within `limit`; panics with its output unless it succeeds.
pub fn run_ok(cmd: Command, limit: Duration, what: &str) -> Output {
    let out = run_with_timeout(cmd, limit, what);
    check(&out, what);
    out
}

/// Builds `PROGRAM.go` of `programs` (corpus/programs) with Go `version` (the command `go`) and
/// runs it to record a fresh trace in `dir`; returns the trace's path.
pub fn record_program(
    go: &Path,
    version: &str,
    gopath: &Path,
    programs: &Path,
    program: &str,
    dir: &Path,
) -> PathBuf {
    let source = programs.join(format!("{program}.go"));
    assert!(source.is_file(), "{} is missing", source.display());
    let bin = dir.join(program);
    let mut build = go_command(go, version, gopath);
    build.current_dir(programs).args(["build", "-trimpath", "-o"]).arg(&bin).arg(format!("./{program}.go"));
    run_ok(build, Duration::from_secs(300), &format!("go{version} build {program}"));
    let trace = dir.join(format!("{program}.trace"));
    let mut record = Command::new(&bin);
    record.arg(&trace).current_dir(dir).env_remove("GODEBUG").env_remove("GOMAXPROCS");
    run_ok(record, Duration::from_secs(60), &format!("go{version} {program}"));
    trace
}

/// Keeps a copy of `trace` beside the temporary directory `dir` (which goes when the test
/// ends), named `name`, for a failure's report; returns its path.
pub fn keep_trace(trace: &Path, dir: &Path, name: &str) -> PathBuf {
    let keep = dir.parent().unwrap_or(dir).join(name);
    let _ = std::fs::copy(trace, &keep);
    keep
}
