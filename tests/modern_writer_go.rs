//! Synthetic modern traces (`gotrace_writer::modern::synth`, one producer thread per M, several
//! generations) against Go's own tools and our raw reader.
//!
//! Format 23: Go 1.23's `go tool trace -d=1` and Go 1.24's `-d=parsed` (both required in CI)
//! read it to the end and exit 0; so do Go 1.26's and 1.27's `-d=parsed` when installed. Format
//! 26: only Go 1.26 and 1.27 read it (Go 1.24 and older reject `go 1.26 trace`), optional. Each
//! tool must print one `Sync` per generation (1.23/1.24: one after each; 1.26+: one before each
//! and one at the end) and every event: one line per event we wrote, plus Go's synthetic ones.
//! Go's `-pprof=sched`, `syscall` and `sync` profiles are made from the 4-P traces. Our raw reader reads every record back, and its counts per event
//! type equal the tracer's.

mod gotool;

use std::path::{Path, PathBuf};
use std::time::Duration;

use gotrace::format::modern::{BatchKind, EventType};
use gotrace::format::Version;
use gotrace::parser::modern::RawEvents;
use gotrace::writer::modern::synth::{self, SynthOptions};

/// A directory of its own under the temp dir, removed at the end.
struct Tmp(PathBuf);

impl Tmp {
    fn new(label: &str) -> Tmp {
        let dir = std::env::temp_dir().join(format!("gotrace-modern-writer-{label}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Tmp(dir)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `go tool trace -d=MODE FILE` of Go `version`; its stdout. Fails on a non-zero exit or
/// anything on stderr.
fn go_tool_trace(go: &Path, version: &str, mode: &str, file: &Path, gopath: &Path) -> String {
    let mut cmd = gotool::trace_tool(go, version, gopath);
    cmd.args([mode]).arg(file);
    let out = gotool::run_with_timeout(cmd, Duration::from_secs(600), "go tool trace");
    gotool::check(&out, &format!("go {version} tool trace {mode}"));
    assert!(out.stderr.is_empty(), "go {version}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Counts per event type, by our raw reader, and the batch census: generations (distinct
/// `gen` values), frequency batches, sync batches, `EndOfGeneration` bytes.
#[derive(Debug, Default)]
struct Census {
    counts: Vec<u64>,
    gens: Vec<u64>,
    frequency: u64,
    sync: u64,
    ends: u64,
    cpu_samples: u64,
    /// Timed events of the last generation.
    last_gen_events: u64,
}

fn census(data: &[u8]) -> Census {
    let mut events = RawEvents::new(data).expect("header");
    let version = events.version();
    let mut c = Census { counts: vec![0; 256], ..Census::default() };
    let mut first_of_batch = false;
    for ev in events.by_ref() {
        let ev = ev.unwrap_or_else(|e| panic!("our raw reader: {e}"));
        let t = ev.event_type();
        if first_of_batch {
            match BatchKind::of_body(version, Some(t.code())) {
                BatchKind::Frequency => c.frequency += 1,
                BatchKind::Sync => c.sync += 1,
                _ => {}
            }
        }
        first_of_batch = t == EventType::EVENT_BATCH;
        if t == EventType::EVENT_BATCH {
            let gen = ev.arg(0).unwrap();
            if c.gens.last() != Some(&gen) {
                assert!(!c.gens.contains(&gen), "generation {gen} interleaved with another");
                c.gens.push(gen);
                c.last_gen_events = 0;
            }
        } else if t == EventType::END_OF_GENERATION {
            c.ends += 1;
        } else if t == EventType::CPU_SAMPLE {
            c.cpu_samples += 1;
        } else if t.is_timed() && t != EventType::CLOCK_SNAPSHOT {
            c.counts[usize::from(t.code())] += 1;
            c.last_gen_events += 1;
        }
    }
    c
}

/// The synth trace of this configuration, checked by our reader and by Go's tools.
fn check(procs: u32, goroutines: u32, events: u64, version: Version, generation_bytes: u64, seed: u64) {
    let options =
        SynthOptions { procs, goroutines, events, version, seed, generation_bytes: Some(generation_bytes) };
    let (data, stats) = synth::run(Vec::new(), &options).unwrap();
    assert!(stats.events() >= events);
    let label = format!("{procs}p-{events}-{version}");

    // Our raw reader: every record, the same counts, generations in order.
    let c = census(&data);
    for t in EventType::all(version).filter(|t| t.is_timed() && *t != EventType::CLOCK_SNAPSHOT) {
        assert_eq!(c.counts[usize::from(t.code())], stats.count(t), "{label}: {}", t.name());
    }
    assert_eq!(c.cpu_samples, stats.cpu_samples, "{label}: CPU samples");
    if events >= 300_000 {
        // Every kind of the workload is there.
        use EventType as T;
        for t in [
            T::PROCS_CHANGE,
            T::PROC_START,
            T::PROC_STOP,
            T::PROC_STEAL,
            T::PROC_STATUS,
            T::GO_CREATE,
            T::GO_CREATE_BLOCKED,
            T::GO_START,
            T::GO_DESTROY,
            T::GO_STOP,
            T::GO_BLOCK,
            T::GO_UNBLOCK,
            T::GO_SWITCH,
            T::GO_SWITCH_DESTROY,
            T::GO_SYSCALL_BEGIN,
            T::GO_SYSCALL_END,
            T::GO_SYSCALL_END_BLOCKED,
            T::GO_STATUS,
            T::STW_BEGIN,
            T::STW_END,
            T::GC_BEGIN,
            T::GC_END,
            T::GC_SWEEP_BEGIN,
            T::GC_SWEEP_END,
            T::GC_MARK_ASSIST_BEGIN,
            T::GC_MARK_ASSIST_END,
            T::HEAP_ALLOC,
            T::HEAP_GOAL,
            T::GO_LABEL,
            T::USER_TASK_BEGIN,
            T::USER_TASK_END,
            T::USER_REGION_BEGIN,
            T::USER_REGION_END,
            T::USER_LOG,
        ] {
            assert!(stats.count(t) > 0, "{label}: no {}", t.name());
        }
        assert!(stats.cpu_samples > 0, "{label}: no CPU samples");
    }
    let gens = c.gens.len() as u64;
    assert!(gens >= 3, "{label}: {gens} generations, want several");
    // The figures count the generations closed, the last one too (at `finish`) unless it holds
    // no event (a 26 generation opened by its sync batch just before the end).
    assert_eq!(stats.generations + u64::from(c.last_gen_events == 0), gens, "{label}");
    assert_eq!(c.gens, (1..=gens).collect::<Vec<_>>(), "{label}: generations numbered 1, 2, ...");
    if version == Version::Go1_23 {
        assert_eq!((c.frequency, c.sync, c.ends), (gens, 0, 0), "{label}: one frequency batch each");
    } else {
        assert_eq!(
            (c.frequency, c.sync, c.ends),
            (0, gens, gens),
            "{label}: one sync batch and one end each"
        );
        assert_eq!(data.last(), Some(&0x34), "{label}: ends with EndOfGeneration");
    }

    let tmp = Tmp::new(&label);
    let file = tmp.0.join("synth.trace");
    std::fs::write(&file, &data).unwrap();
    let transitions = stats.events();
    let tools: &[(&str, bool, &str)] = if version == Version::Go1_23 {
        &[("1.23", true, "-d=1"), ("1.24", true, "-d=parsed"), ("1.27", false, "-d=parsed")]
    } else {
        &[("1.26", false, "-d=parsed"), ("1.27", false, "-d=parsed")]
    };
    for &(go_version, required, mode) in tools {
        let Some(go) = gotool::require_go(go_version, required) else { continue };
        let text = go_tool_trace(&go, go_version, mode, &file, &tmp.0);
        let syncs = text.lines().filter(|l| l.contains(" Sync ")).count() as u64;
        let want = if go_version < "1.25" { gens } else { gens + 1 };
        assert_eq!(syncs, want, "{label}: Go {go_version}'s Sync events");
        // One line per event we wrote, two more per GoSwitch or GoSwitchDestroy (Go's synthetic
        // block or destroy, and start), one per CPU sample, and the Syncs.
        let lines = text.lines().filter(|l| l.starts_with("M=")).count() as u64;
        let switches = stats.count(EventType::GO_SWITCH) + stats.count(EventType::GO_SWITCH_DESTROY);
        let want = transitions + 2 * switches + stats.cpu_samples + syncs;
        assert_eq!(lines, want, "{label}: Go {go_version}'s event count");
        if events == 300_000 {
            // Go's analyses run on it too.
            for kind in ["sched", "syscall", "sync"] {
                let mut cmd = gotool::trace_tool(&go, go_version, &tmp.0);
                cmd.args([&format!("-pprof={kind}")]).arg(&file);
                let out = gotool::run_with_timeout(cmd, Duration::from_secs(600), "go tool trace -pprof");
                gotool::check(&out, &format!("go {go_version} tool trace -pprof={kind}"));
                assert!(
                    out.stdout.starts_with(&[0x1f, 0x8b]),
                    "{label}: -pprof={kind}: not a gzipped profile"
                );
                assert!(out.stdout.len() > 200, "{label}: -pprof={kind}: empty profile");
            }
        }
        println!("{label}: Go {go_version} {mode} read {lines} events in {gens} generations");
    }
}

#[test]
fn synth_1_proc_go1_23() {
    check(1, 20, 100_000, Version::Go1_23, 65_536, 1);
}

#[test]
fn synth_2_procs_go1_26() {
    check(2, 50, 100_000, Version::Go1_26, 65_536, 2);
}

#[test]
fn synth_4_procs_go1_23() {
    check(4, 200, 300_000, Version::Go1_23, 300_000, 3);
}

#[test]
fn synth_4_procs_go1_26() {
    check(4, 200, 300_000, Version::Go1_26, 300_000, 4);
}

#[test]
fn synth_8_procs_1m_go1_23() {
    check(8, 1000, 1_000_000, Version::Go1_23, 1 << 20, 5);
}

#[test]
fn synth_8_procs_1m_go1_26() {
    check(8, 1000, 1_000_000, Version::Go1_26, 1 << 20, 6);
}
