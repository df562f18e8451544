//! Synthetic traces written by the tracer (`gotrace_writer::synth`, P producer threads at
//! once) against Go's own tools: `go tool trace -d` accepts each (Go 1.19's tool for 1.19
//! traces, Go 1.21's for 1.21), `-pprof=sched` and `-pprof=sync` produce profiles, and our
//! ordered dump prints what Go prints (events of equal time compared as sets: Go's order among
//! them varies from run to run).
//!
//! With `CI=true` a missing toolchain fails the test; elsewhere the test says it skips.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gotrace::format::Version;
use gotrace::parser::legacy::Trace;
use gotrace::writer::synth::{self, SynthOptions};

fn go(version: &str) -> Option<PathBuf> {
    let path = PathBuf::from(format!("/usr/lib/go-{version}/bin/go"));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Go {version} is required in CI but is not installed at {}", path.display());
    }
    println!("skipping: Go {version} not installed");
    None
}

/// A directory of its own under the temp dir, removed at the end.
struct Tmp(PathBuf);

impl Tmp {
    fn new(label: &str) -> Tmp {
        let dir = std::env::temp_dir().join(format!("gotrace-writer-go-{label}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Tmp(dir)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `go tool trace ARGS FILE`, hermetic, with a build cache of its own; its stdout.
fn go_tool_trace(go: &Path, version: &str, args: &[&str], file: &Path) -> Vec<u8> {
    let out = Command::new(go)
        .args(["tool", "trace"])
        .args(args)
        .arg(file)
        .env("GOCACHE", std::env::temp_dir().join(format!("gotrace-tests-gocache-{version}")))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("GOENV", "off")
        .env_remove("GODEBUG")
        .stdin(Stdio::null())
        .output()
        .expect("run go tool trace");
    assert!(
        out.status.success(),
        "go{version} tool trace {args:?} {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Lines grouped by time stamp, each group sorted.
fn groups(text: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut out: Vec<(&[u8], Vec<&[u8]>)> = Vec::new();
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let ts = line.split(|&b| b == b' ').next().unwrap_or(b"");
        match out.last_mut() {
            Some((t, group)) if *t == ts => group.push(line),
            _ => out.push((ts, vec![line])),
        }
    }
    out.into_iter()
        .map(|(_, mut g)| {
            g.sort_unstable();
            g
        })
        .collect()
}

fn check(procs: u32, goroutines: u32, events: u64, version: Version, seed: u64) {
    let v = version.to_string();
    let Some(go) = go(&v) else { return };
    let tmp = Tmp::new(&format!("{procs}-{events}-{v}"));
    let file = tmp.0.join("synth.trace");
    let options = SynthOptions { procs, goroutines, events, version, seed };
    let (data, stats) = synth::run(Vec::new(), &options).expect("synth");
    assert!(stats.events() >= events, "{} events written, {events} asked", stats.events());
    std::fs::write(&file, &data).unwrap();
    let label = format!("synth --procs {procs} --goroutines {goroutines} --events {events} --version {v}");

    // Go reads it, orders it, validates it.
    let go_d = go_tool_trace(&go, &v, &["-d"], &file);
    assert_eq!(
        go_d.iter().filter(|&&b| b == b'\n').count() as u64,
        stats.events(),
        "{label}: Go's event count"
    );

    // Go's analyses run on it.
    for kind in ["sched", "sync"] {
        let profile = go_tool_trace(&go, &v, &[&format!("-pprof={kind}")], &file);
        assert!(profile.starts_with(&[0x1f, 0x8b]), "{label}: -pprof={kind} is not a gzipped profile");
        assert!(profile.len() > 200, "{label}: -pprof={kind} profile is empty ({} bytes)", profile.len());
    }

    // Our ordered dump agrees with Go's.
    let trace = Trace::from_slice(&data).unwrap_or_else(|e| panic!("{label}: {e}"));
    let mut ours = Vec::with_capacity(go_d.len());
    for event in trace.events() {
        trace.write_line(&mut ours, event);
        ours.push(b'\n');
    }
    let (ours, theirs) = (groups(&ours), groups(&go_d));
    assert_eq!(ours.len(), theirs.len(), "{label}: time stamp groups");
    if let Some(i) = (0..ours.len()).find(|&i| ours[i] != theirs[i]) {
        let show =
            |g: &[&[u8]]| g.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect::<Vec<_>>();
        panic!("{label}: group {i} differs:\nours {:?}\nGo's {:?}", show(&ours[i]), show(&theirs[i]));
    }

    // The mix is the realistic one synth promises: every kind of event occurs.
    let mut by_name: BTreeMap<&str, u64> = BTreeMap::new();
    for event in trace.events() {
        *by_name.entry(event.name(version)).or_default() += 1;
    }
    if events >= 100_000 {
        for name in [
            "GoCreate",
            "GoStart",
            "GoEnd",
            "GoSched",
            "GoPreempt",
            "GoSleep",
            "GoBlock",
            "GoBlockSend",
            "GoBlockRecv",
            "GoBlockSelect",
            "GoBlockSync",
            "GoBlockCond",
            "GoBlockNet",
            "GoUnblock",
            "GoSysCall",
            "GoSysBlock",
            "GoSysExit",
            "GoWaiting",
            "GoInSyscall",
            "GoStartLabel",
            "GCStart",
            "GCDone",
            "GCSweepStart",
            "GCSweepDone",
            "GCMarkAssistStart",
            "HeapAlloc",
            "HeapGoal",
            "UserTaskCreate",
            "UserTaskEnd",
            "UserRegion",
            "UserLog",
            "CPUSample",
            "ProcStart",
            "ProcStop",
            "Gomaxprocs",
        ] {
            assert!(by_name.contains_key(name), "{label}: no {name} in {by_name:?}");
        }
    }
}

#[test]
fn synth_1_proc_go1_19() {
    check(1, 10, 20_000, Version::Go1_19, 1);
}

#[test]
fn synth_2_procs_go1_21() {
    check(2, 50, 100_000, Version::Go1_21, 2);
}

#[test]
fn synth_4_procs_go1_19() {
    check(4, 100, 200_000, Version::Go1_19, 3);
}

#[test]
fn synth_6_procs_go1_21() {
    check(6, 200, 300_000, Version::Go1_21, 4);
}

#[test]
fn synth_8_procs_1m_go1_19() {
    check(8, 300, 1_050_000, Version::Go1_19, 5);
}

#[test]
fn synth_8_procs_1m_go1_21() {
    check(8, 300, 1_050_000, Version::Go1_21, 6);
}
