//! What the modern tracer once simplified, against our raw reader and Go's tools.
//!
//! - Goroutines of cgo callbacks: `GoCreateSyscall` (a C thread calls into Go: the goroutine is
//!   born in a syscall on a thread without a P) and `GoDestroySyscall` (it returns to C), across
//!   a generation boundary, with the P left in the syscall abandoned and stolen. Our raw reader
//!   reads every event back as written (checked by hand below, against the order of the
//!   operations). The synth workload writes such callbacks too.
//! - Each generation's string and stack tables hold exactly what its events use (and the names
//!   of those stacks' frames), as the runtime's do: computed from the events by our raw reader.
//!
//! - Each generation states every goroutine and P alive in it (a `GoStatus` or `ProcStatus`
//!   there, unless created there), as the runtime's generation advance makes sure: "alive"
//!   from our reader's ordered events over the whole trace, statuses from our raw reader. So a
//!   trace cut to start at a later generation (header kept, earlier batches dropped) reads on
//!   its own.
//!
//! Each trace: Go 1.24's `-d=parsed` (required in CI; format 23 only) and Go 1.27's (optional)
//! read it to the end, and `gotrace dump` prints exactly what Go 1.27 prints.

mod common;
mod gotool;
mod modern_common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use gotrace::format::modern::EventType;
use gotrace::format::Version;
use gotrace::parser::modern::{GoState, RawEvents, Reader};
use gotrace::writer::modern::synth::{self, SynthOptions};
use gotrace::writer::modern::{Tracer, TracerOptions};
use gotrace::writer::{BlockReason, Frame, StackId, StateError, TaskId};
use modern_common::timed_events;

/// Go `version`'s `go tool trace -d=parsed` of `trace`: its stdout (it must exit 0 with nothing
/// on stderr); `None` if that Go is not installed (and not `required`).
fn go_parsed(trace: &[u8], version: &str, required: bool, label: &str) -> Option<String> {
    let go = gotool::require_go(version, required)?;
    let dir =
        std::env::temp_dir().join(format!("gotrace-modern-cgo-{label}-{version}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.trace");
    std::fs::write(&file, trace).unwrap();
    let mut cmd = gotool::trace_tool(&go, version, &dir);
    cmd.args(["-d=parsed"]).arg(&file);
    let out = gotool::run_with_timeout(cmd, Duration::from_secs(600), "go tool trace");
    let _ = std::fs::remove_dir_all(&dir);
    gotool::check(&out, &format!("go {version} tool trace -d=parsed ({label})"));
    assert!(out.stderr.is_empty(), "go {version}: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

/// `gotrace dump FILE` of `trace`.
fn our_dump(trace: &[u8], label: &str) -> String {
    let dir = std::env::temp_dir().join(format!("gotrace-modern-cgo-ours-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.trace");
    std::fs::write(&file, trace).unwrap();
    let out = Command::new(common::gotrace_bin()).arg("dump").arg(&file).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "gotrace dump: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Go's tools read `trace`, and our dump is Go 1.27's (format 26: Go 1.24 cannot read it).
fn go_reads(trace: &[u8], version: Version, label: &str) {
    if version == Version::Go1_23 {
        go_parsed(trace, "1.24", true, label);
    }
    if let Some(go) = go_parsed(trace, "1.27", false, label) {
        assert_eq!(our_dump(trace, label), go, "{label}: our dump differs from Go 1.27's -d=parsed");
    }
}

/// A callback's goroutine born in a syscall on thread 1 (no P) waits across a generation
/// boundary (its `GoStatus` Syscall on thread 1 opens generation 2), gets a P, runs, enters a
/// syscall, releases its P and returns to C; thread 0 steals the abandoned P. A second
/// callback returns to C at once. The refusals of the state model come first.
fn callbacks(version: Version) -> Vec<u8> {
    let tracer = Tracer::new(Vec::new(), TracerOptions::new(version).threads(2).procs(2)).unwrap();
    let f = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }]);
    let (mut m0, mut m1) = (tracer.thread(0).unwrap(), tracer.thread(1).unwrap());
    m0.proc_start(10, tracer.proc(0).unwrap()).unwrap();
    let main = m0.go_create(11, f, StackId::NONE).unwrap();
    m0.go_start(12, main).unwrap();
    // Refused: a thread with a P, a thread whose goroutine is not in a syscall.
    assert_eq!(m0.go_create_syscall(13), Err(StateError::ProcStarted));
    assert_eq!(m0.go_destroy_syscall(13), Err(StateError::NoRunningGoroutine));
    let main = m0.go_block(14, BlockReason::Recv, f).unwrap();

    let cb = m1.go_create_syscall(15).unwrap();
    assert_eq!(m1.running(), Some(cb));
    assert_eq!(m1.go_create_syscall(16), Err(StateError::GoroutineRunning { g: cb.get() }));
    tracer.advance();
    let (m0, cb) = std::thread::scope(|s| {
        // Thread 0, idle, acknowledges the new generation while thread 1 writes in it.
        let waiting = s.spawn(move || {
            m0.safe_point();
            m0
        });
        let cb = m1.go_syscall_end_blocked(20).unwrap();
        (waiting.join().unwrap(), cb)
    });
    let mut m0 = m0;
    assert_eq!((m0.generation(), m1.generation()), (2, 2));
    m1.proc_start(21, tracer.proc(1).unwrap()).unwrap();
    m1.go_start(22, cb).unwrap();
    let main = m1.go_unblock(23, main, f);
    m1.go_syscall_begin(24, f).unwrap();
    assert_eq!(m1.go_destroy_syscall(25), Err(StateError::ProcStarted));
    let p1 = m1.go_syscall_release().unwrap();
    m1.go_destroy_syscall(26).unwrap();
    assert_eq!(m1.running(), None);
    let p1 = m0.proc_steal(27, p1);
    m0.go_start(28, main).unwrap();
    m0.go_destroy(29).unwrap();
    let p0 = m0.proc_stop(30).unwrap();
    assert_eq!(p0.id(), 0);
    assert_eq!(m0.proc_stop(31).unwrap_err(), StateError::ProcNotStarted);
    m0.proc_start(32, p1).unwrap();
    // A callback that returns at once.
    m1.go_create_syscall(33).unwrap();
    m1.go_destroy_syscall(34).unwrap();
    drop((m0, m1, p0));
    tracer.finish().unwrap()
}

#[test]
fn cgo_callbacks_go1_23_and_go1_26() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let trace = callbacks(version);
        let got = timed_events(&trace);
        // By hand, from the operations above: per thread in order, generation 1 then 2.
        let want = [
            // Generation 1, thread 0.
            "ProcStatus 0 2",
            "ProcStart 0 1",
            "GoCreate 1 1 0",
            "GoStart 1 1",
            // GOMAXPROCS, before the generation's first event by a running goroutine.
            "ProcsChange 2 0",
            "GoBlock 3 1",
            // Generation 1, thread 1: the callback's goroutine, in a syscall.
            "GoCreateSyscall 2",
            // Generation 1, no thread: P 1, idle all along (1.23: at the trace's start, 1.26: at
            // the generation's end).
            "ProcStatus 1 2",
            // Generation 2, thread 1: the goroutine restated (in a syscall on thread 1).
            "GoStatus 2 1 3",
            "GoSyscallEndBlocked ",
            "ProcStatus 1 2",
            "ProcStart 1 1",
            "GoStart 2 1",
            "GoStatus 1 18446744073709551615 4",
            "GoUnblock 1 1 1",
            "ProcsChange 2 0",
            "GoSyscallBegin 2 1",
            "GoDestroySyscall ",
            "GoCreateSyscall 3",
            "GoDestroySyscall ",
            // Generation 2, thread 0: its P (running, without a goroutine), the steal of the
            // abandoned P 1.
            "ProcStatus 0 1",
            "ProcSteal 1 3 1",
            "GoStart 1 2",
            "GoDestroy ",
            "ProcStop ",
            "ProcStart 1 4",
        ];
        let mut sorted = got.clone();
        sorted.sort();
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(sorted, want, "{version}: {got:#?}");
        go_reads(&trace, version, &format!("callbacks-{version}"));
    }
}

/// The synth workload's callbacks: its trace has both events, Go reads it, our dump agrees.
#[test]
fn synth_writes_cgo_callbacks() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let options = SynthOptions {
            procs: 2,
            goroutines: 40,
            events: 60_000,
            version,
            seed: 7,
            generation_bytes: Some(64 << 10),
        };
        let (trace, stats) = synth::run(Vec::new(), &options).unwrap();
        assert!(stats.count(EventType::GO_CREATE_SYSCALL) > 0, "{version}: no GoCreateSyscall");
        assert!(stats.count(EventType::GO_DESTROY_SYSCALL) > 0, "{version}: no GoDestroySyscall");
        let ours = timed_events(&trace);
        for t in [EventType::GO_CREATE_SYSCALL, EventType::GO_DESTROY_SYSCALL] {
            let n = ours.iter().filter(|e| e.split(' ').next() == Some(t.name())).count() as u64;
            assert_eq!(n, stats.count(t), "{version}: {} read back", t.name());
        }
        go_reads(&trace, version, &format!("synth-{version}"));
    }
}

/// Per generation, in file order: the stack and string ids its tables define, and those its
/// events (CPU samples included) and its stacks' frames use; by our raw reader.
#[derive(Debug, Default)]
struct GenTables {
    stacks: BTreeSet<u64>,
    strings: BTreeSet<u64>,
    used_stacks: BTreeSet<u64>,
    used_strings: BTreeSet<u64>,
}

fn tables(trace: &[u8]) -> Vec<GenTables> {
    let mut gens: Vec<(u64, GenTables)> = Vec::new();
    for r in RawEvents::new(trace).unwrap().map(|r| r.unwrap()) {
        let t = r.event_type();
        if t == EventType::EVENT_BATCH {
            let gen = r.arg(0).unwrap();
            if gens.last().map(|g| g.0) != Some(gen) {
                gens.push((gen, GenTables::default()));
            }
            continue;
        }
        let Some((_, g)) = gens.last_mut() else { continue };
        if t == EventType::STACK {
            g.stacks.insert(r.arg(0).unwrap());
            for [_, func, file, _] in r.frames() {
                g.used_strings.extend([func, file]);
            }
        } else if t == EventType::STRING {
            g.strings.insert(r.arg(0).unwrap());
        } else {
            for (i, name) in t.arg_names().iter().enumerate() {
                let Some(v) = r.arg(i).filter(|&v| v != 0) else { continue };
                if *name == "stack" || *name == "new_stack" {
                    g.used_stacks.insert(v);
                } else if name.ends_with("_string") {
                    g.used_strings.insert(v);
                }
            }
        }
    }
    gens.into_iter().map(|(_, g)| g).collect()
}

/// Every generation of `trace` defines exactly the stacks and strings it uses.
fn tables_hold_what_is_used(trace: &[u8], label: &str) -> Vec<GenTables> {
    let gens = tables(trace);
    for (i, g) in gens.iter().enumerate() {
        assert_eq!(g.stacks, g.used_stacks, "{label}: generation {}'s stacks", i + 1);
        assert_eq!(g.strings, g.used_strings, "{label}: generation {}'s strings", i + 1);
    }
    gens
}

/// A stack and a string used in generation 1 only are not in generation 2's tables, and come
/// back, with the same ids, in generation 3, which uses them again.
#[test]
fn each_generation_holds_only_its_strings_and_stacks() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let tracer = Tracer::new(Vec::new(), TracerOptions::new(version).generation_bytes(None)).unwrap();
        let a = tracer.stack(&[Frame { pc: 1, func: "main.a", file: "a.go", line: 1 }]);
        let b = tracer.stack(&[Frame { pc: 2, func: "main.b", file: "b.go", line: 2 }]);
        let unused = tracer.stack(&[Frame { pc: 3, func: "main.unused", file: "u.go", line: 3 }]);
        let region = tracer.string("region a");
        let mut m = tracer.thread(0).unwrap();
        m.proc_start(10, tracer.proc(0).unwrap()).unwrap();
        let g = m.go_create(11, a, StackId::NONE).unwrap();
        m.go_start(12, g).unwrap();
        let r = m.region_begin(13, TaskId::BACKGROUND, region, a).unwrap();
        m.region_end(14, r, a).unwrap();
        tracer.advance();
        m.heap_alloc(20, 1 << 20).unwrap();
        m.go_syscall_begin(21, b).unwrap();
        m.go_syscall_end(22).unwrap();
        tracer.advance();
        let r = m.region_begin(30, TaskId::BACKGROUND, region, a).unwrap();
        m.region_end(31, r, StackId::NONE).unwrap();
        drop(m);
        let trace = tracer.finish().unwrap();
        let label = format!("tables-{version}");
        let gens = tables_hold_what_is_used(&trace, &label);
        assert_eq!(gens.len(), 3, "{label}");
        let (a, b, unused, region) = (a.get(), b.get(), unused.get(), region.get());
        assert!(gens.iter().all(|g| !g.stacks.contains(&unused)), "{label}: an unused stack written");
        assert_eq!(gens[0].stacks, BTreeSet::from([a]), "{label}");
        assert_eq!(gens[1].stacks, BTreeSet::from([b]), "{label}");
        assert_eq!(gens[2].stacks, BTreeSet::from([a]), "{label}");
        assert!(gens[0].strings.contains(&region) && gens[2].strings.contains(&region), "{label}");
        assert!(!gens[1].strings.contains(&region), "{label}: generation 2 does not use the region name");
        go_reads(&trace, version, &label);
    }
}

/// The synth workload's generations, each with the tables of what it uses.
#[test]
fn synth_tables_hold_what_is_used() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let options = SynthOptions {
            procs: 3,
            goroutines: 60,
            events: 200_000,
            version,
            seed: 11,
            generation_bytes: Some(32 << 10),
        };
        let (trace, stats) = synth::run(Vec::new(), &options).unwrap();
        let label = format!("synth-tables-{version}");
        let gens = tables_hold_what_is_used(&trace, &label);
        // The figures count the generations closed (at `finish` the last one too, unless it
        // holds no event: a 26 generation opened by its sync batch just before the end).
        assert!((stats.generations..=stats.generations + 1).contains(&(gens.len() as u64)), "{label}");
        assert!(gens.len() >= 3, "{label}: {} generations", gens.len());
        go_reads(&trace, version, &label);
    }
}

/// Per generation, in file order (by our raw reader; they follow each other from the first): the
/// goroutines and Ps with a status there, the goroutines created there, and the offset of its
/// first batch.
#[derive(Debug, Default)]
struct GenStatuses {
    goroutines: BTreeSet<u64>,
    created: BTreeSet<u64>,
    procs: BTreeSet<u64>,
    offset: u64,
}

fn statuses(trace: &[u8]) -> Vec<GenStatuses> {
    let mut gens: Vec<(u64, GenStatuses)> = Vec::new();
    for r in RawEvents::new(trace).unwrap().map(|r| r.unwrap()) {
        let t = r.event_type();
        if t == EventType::EVENT_BATCH {
            let gen = r.arg(0).unwrap();
            if gens.last().map(|g| g.0) != Some(gen) {
                gens.push((gen, GenStatuses { offset: r.offset(), ..GenStatuses::default() }));
            }
            continue;
        }
        let Some((_, g)) = gens.last_mut() else { continue };
        // Arguments after the timestamp delta.
        let first = r.arg(1);
        if t == EventType::GO_STATUS || t == EventType::GO_STATUS_STACK {
            g.goroutines.extend(first);
        } else if t == EventType::PROC_STATUS {
            g.procs.extend(first);
        } else if [EventType::GO_CREATE, EventType::GO_CREATE_BLOCKED, EventType::GO_CREATE_SYSCALL]
            .contains(&t)
        {
            g.created.extend(first);
        }
    }
    let numbers: Vec<u64> = gens.iter().map(|g| g.0).collect();
    let first = numbers.first().copied().unwrap_or(1);
    assert_eq!(numbers, (first..first + gens.len() as u64).collect::<Vec<_>>(), "generations in file order");
    gens.into_iter().map(|(_, g)| g).collect()
}

/// From our reader's ordered events over the whole trace: for each goroutine, the generations
/// (counted from 1 at the trace's first, by its sync events) of its first and last state
/// transitions (the last generation if it never ends), and the Ps the trace names.
fn lives(trace: &[u8], generations: u64) -> (BTreeMap<u64, (u64, u64)>, BTreeSet<u64>) {
    let mut reader = Reader::new(trace).unwrap();
    let (mut gen, mut goroutines, mut procs) = (0, BTreeMap::new(), BTreeSet::new());
    while let Some(ev) = reader.next_event().unwrap() {
        if let Some(sync) = ev.sync(reader.tables()) {
            gen = sync.n;
            continue;
        }
        if let Some(p) = ev.proc().filter(|&p| p >= 0) {
            procs.insert(p as u64);
        }
        let Some(t) = ev.state_transition(reader.tables()) else { continue };
        match (t.resource, t.go) {
            (gotrace::parser::modern::Resource::Goroutine(g), Some((_, to))) => {
                let life = goroutines.entry(g as u64).or_insert((gen, generations));
                if to == GoState::NotExist {
                    life.1 = gen;
                }
            }
            (gotrace::parser::modern::Resource::Proc(p), _) => {
                procs.insert(p as u64);
            }
            _ => {}
        }
    }
    (goroutines, procs)
}

/// Every generation of `trace` states every goroutine alive in it (unless created there) and
/// every P; returns the generations.
fn every_generation_states_all(trace: &[u8], label: &str) -> Vec<GenStatuses> {
    let gens = statuses(trace);
    let (goroutines, procs) = lives(trace, gens.len() as u64);
    assert!(!goroutines.is_empty() && !procs.is_empty(), "{label}");
    for (i, g) in gens.iter().enumerate() {
        let n = i as u64 + 1;
        let missing: Vec<u64> = goroutines
            .iter()
            .filter(|(id, (from, to))| (*from..=*to).contains(&n) && !g.created.contains(id))
            .map(|(id, _)| *id)
            .filter(|id| !g.goroutines.contains(id))
            .collect();
        assert!(missing.is_empty(), "{label}: generation {n} states no status of goroutines {missing:?}");
        let missing: Vec<&u64> = procs.difference(&g.procs).collect();
        assert!(missing.is_empty(), "{label}: generation {n} states no status of Ps {missing:?}");
    }
    gens
}

/// `trace` without its generations before `gen` (the header kept).
fn from_generation(trace: &[u8], gens: &[GenStatuses], gen: usize) -> Vec<u8> {
    let mut cut = trace[..16].to_vec();
    cut.extend_from_slice(&trace[gens[gen - 1].offset as usize..]);
    cut
}

/// Synth traces of both versions over many generations: each generation states all its
/// goroutines and Ps; Go reads the whole trace and the trace cut to start at its second and at
/// a middle generation, and our dump of each is Go 1.27's.
#[test]
fn synth_generations_state_every_goroutine_and_p() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let options = SynthOptions {
            procs: 3,
            goroutines: 50,
            events: 150_000,
            version,
            seed: 5,
            generation_bytes: Some(16 << 10),
        };
        let (trace, _) = synth::run(Vec::new(), &options).unwrap();
        let label = format!("synth-statuses-{version}");
        let gens = every_generation_states_all(&trace, &label);
        assert!(gens.len() >= 4, "{label}: {} generations", gens.len());
        go_reads(&trace, version, &label);
        for gen in [2, gens.len() / 2 + 1] {
            let cut = from_generation(&trace, &gens, gen);
            let label = format!("{label}-from-{gen}");
            every_generation_states_all(&cut, &label);
            go_reads(&cut, version, &label);
        }
    }
}

/// A batch's generation, thread and timed events (absolute time, event).
type Batch = (u64, u64, Vec<(u64, String)>);

/// The timed events of `trace` by batch, in file order, times absolute (the batch's time plus
/// the deltas).
fn batches(trace: &[u8]) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut time = 0;
    for r in RawEvents::new(trace).unwrap().map(|r| r.unwrap()) {
        let t = r.event_type();
        if t == EventType::EVENT_BATCH {
            out.push((r.arg(0).unwrap(), r.arg(1).unwrap(), Vec::new()));
            time = r.arg(2).unwrap();
        } else if t.is_timed() && t != EventType::CLOCK_SNAPSHOT {
            time += r.arg(0).unwrap();
            let args: Vec<String> = r.args().skip(1).map(|a| a.to_string()).collect();
            out.last_mut().unwrap().2.push((time, format!("{} {}", r.name(), args.join(" "))));
        }
    }
    out
}

/// A generation in which nothing happens states, by hand from the runtime's rules: the P a
/// thread left in a blocking syscall (`Syscall`) and that thread's goroutine (`Syscall` on it),
/// on that thread; the P another thread holds (`Running`), on it; and in a batch of no thread
/// the idle P (`Idle`), the blocked goroutine (`Waiting`, with the stack it blocked at, then its
/// mark assist), the goroutine never run (`Runnable`, at its start stack) and the callback's
/// goroutine in a syscall on a thread without a P (`Syscall` on that thread), after every other
/// event of the generation. Ps no thread holds: 26 at the generation's end, 23 at its start
/// (and every P at the trace's start).
#[test]
fn an_untouched_generation_states_everything_where_the_runtime_does() {
    const NO: u64 = u64::MAX;
    for version in [Version::Go1_23, Version::Go1_26] {
        let tracer = Tracer::new(Vec::new(), TracerOptions::new(version).threads(3).procs(3)).unwrap();
        let f = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }]);
        let (mut m0, mut m1, mut m2) =
            (tracer.thread(0).unwrap(), tracer.thread(1).unwrap(), tracer.thread(2).unwrap());
        m0.proc_start(10, tracer.proc(0).unwrap()).unwrap();
        let g1 = m0.go_create(11, f, StackId::NONE).unwrap();
        let g2 = m0.go_create(12, f, StackId::NONE).unwrap();
        m0.go_start(13, g1).unwrap();
        m0.gc_mark_assist_begin(14, StackId::NONE).unwrap();
        let _g1 = m0.go_block(15, BlockReason::Gc, f).unwrap();
        m0.go_start(16, g2).unwrap();
        m0.go_syscall_begin(17, f).unwrap();
        let _p0 = m0.go_syscall_release().unwrap();
        m1.proc_start(20, tracer.proc(1).unwrap()).unwrap();
        let _g3 = m1.go_create(21, f, StackId::NONE).unwrap();
        m2.go_create_syscall(30).unwrap();
        drop((m0, m1, m2));
        tracer.advance();
        let trace = tracer.finish().unwrap();
        let label = format!("untouched-{version}");
        go_reads(&trace, version, &label);
        let all = batches(&trace);
        let f = f.get();
        let gen2: Vec<(u64, Vec<String>)> = all
            .iter()
            .filter(|b| b.0 == 2 && !b.2.is_empty())
            .map(|b| (b.1, b.2.iter().map(|e| e.1.clone()).collect()))
            .collect();
        let thread0 = vec!["ProcStatus 0 3".to_string(), "GoStatus 2 0 3".to_string()];
        let thread1 = vec!["ProcStatus 1 1".to_string()];
        let idle = "ProcStatus 2 2".to_string();
        let goroutines = vec![
            format!("GoStatusStack 1 {NO} 4 {f}"),
            "GCMarkAssistActive 1".to_string(),
            format!("GoStatusStack 3 {NO} 1 {f}"),
            format!("GoStatus 4 2 3"),
        ];
        let want = if version == Version::Go1_23 {
            // At the start: the idle P, then each thread's P (in the batch its thread goes on
            // with: the goroutine in the syscall at the end); at the end, the goroutines.
            vec![(NO, vec![idle]), (0, thread0), (1, thread1), (NO, goroutines)]
        } else {
            let mut end = vec![idle];
            end.extend(goroutines);
            vec![(0, thread0), (1, thread1), (NO, end)]
        };
        assert_eq!(gen2, want, "{label}: generation 2, by batch");
        // Generation 1: P 2 stated (23: every P at the trace's start, so no status precedes a
        // ProcStart; 26: the idle one at the end), in a batch of no thread.
        let gen1_no_thread: Vec<String> = all
            .iter()
            .filter(|b| b.0 == 1 && b.1 == NO)
            .flat_map(|b| b.2.iter().map(|e| e.1.clone()))
            .collect();
        let want1: Vec<String> = if version == Version::Go1_23 {
            (0..3).map(|p| format!("ProcStatus {p} 2")).collect()
        } else {
            vec!["ProcStatus 2 2".to_string()]
        };
        assert_eq!(gen1_no_thread, want1, "{label}: generation 1, no thread");
        // The goroutines' statuses come after every other event of their generation.
        for gen in [1, 2] {
            let last_else =
                all.iter().filter(|b| b.0 == gen && b.1 != NO).flat_map(|b| b.2.iter().map(|e| e.0)).max();
            let first_go = all
                .iter()
                .filter(|b| b.0 == gen && b.1 == NO)
                .flat_map(|b| b.2.iter())
                .filter(|e| e.1.starts_with("GoStatus"))
                .map(|e| e.0)
                .min();
            if let (Some(a), Some(b)) = (last_else, first_go) {
                assert!(b > a, "{label}: generation {gen}: goroutine statuses at {b}, not after {a}");
            }
        }
    }
}

/// The generations (from 1, in file order) that hold a GC event (`GCBegin`, `GCActive`,
/// `GCEnd`), with their sequence numbers.
fn gc_events(trace: &[u8]) -> BTreeMap<u64, Vec<(String, u64)>> {
    let mut out: BTreeMap<u64, Vec<(String, u64)>> = BTreeMap::new();
    let (mut gen, mut n) = (0, 0);
    for r in RawEvents::new(trace).unwrap().map(|r| r.unwrap()) {
        let t = r.event_type();
        if t == EventType::EVENT_BATCH {
            let g = r.arg(0).unwrap();
            if g != gen {
                (gen, n) = (g, n + 1);
            }
        } else if [EventType::GC_BEGIN, EventType::GC_ACTIVE, EventType::GC_END].contains(&t) {
            out.entry(n).or_default().push((r.name().to_string(), r.arg(1).unwrap()));
        }
    }
    out
}

/// A GC cycle runs through a generation in which no thread runs a goroutine at its first
/// event or at the generation's end (the thread's goroutine starts and blocks in it): the
/// goroutine that starts states the cycle (`GCActive`), as the runtime's advancing goroutine
/// states it in every generation, so the trace cut to start at that generation reads. The
/// schedule is fixed (one test thread, handles dropped at each advance); before, whether the
/// synth workload hit it depended on thread timing.
#[test]
fn a_gc_cycle_is_stated_in_every_generation_it_runs_through() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let label = format!("gc-through-{version}");
        let tracer = Tracer::new(Vec::new(), TracerOptions::new(version).threads(1).procs(1)).unwrap();
        let start = tracer.stack(&[Frame { pc: 0x401000, func: "main.worker", file: "main.go", line: 9 }]);
        let mut m = tracer.thread(0).unwrap();
        m.proc_start(100, tracer.proc(0).unwrap()).map_err(|r| r.error).unwrap();
        let g = m.go_create(101, start, StackId::NONE).unwrap();
        m.go_start(102, g).map_err(|r| r.error).unwrap();
        let cycle = m.gc_begin(103, StackId::NONE).unwrap();
        let mut waiting = m.go_block(104, BlockReason::Recv, StackId::NONE).unwrap();
        let mut now = 110;
        // Two generations in which the goroutine only starts and blocks again.
        for _ in 0..2 {
            drop(m);
            tracer.advance();
            m = tracer.thread(0).unwrap();
            let g = m.go_unblock(now, waiting, StackId::NONE);
            m.go_start(now + 1, g).map_err(|r| r.error).unwrap();
            waiting = m.go_block(now + 2, BlockReason::Recv, StackId::NONE).unwrap();
            now += 10;
        }
        drop(m);
        tracer.advance();
        let mut m = tracer.thread(0).unwrap();
        let g = m.go_unblock(now, waiting, StackId::NONE);
        m.go_start(now + 1, g).map_err(|r| r.error).unwrap();
        m.gc_end(now + 2, cycle).map_err(|r| r.error).unwrap();
        m.go_destroy(now + 3).unwrap();
        drop(m);
        let trace = tracer.finish().unwrap();

        let gens = statuses(&trace);
        assert_eq!(gens.len(), 4, "{label}");
        go_reads(&trace, version, &label);
        for gen in 2..=4 {
            let cut = from_generation(&trace, &gens, gen);
            let label = format!("{label}-from-{gen}");
            let mut reader = Reader::new(cut.as_slice()).unwrap();
            while let Some(_ev) = reader.next_event().unwrap_or_else(|e| panic!("{label}: {e}")) {}
            go_reads(&cut, version, &label);
        }
        let gc = gc_events(&trace);
        let seqs: Vec<(u64, &str, u64)> =
            gc.iter().flat_map(|(n, evs)| evs.iter().map(move |(e, s)| (*n, e.as_str(), *s))).collect();
        assert_eq!(
            seqs,
            [(1, "GCBegin", 1), (2, "GCActive", 2), (3, "GCActive", 3), (4, "GCActive", 4), (4, "GCEnd", 5)],
            "{label}: the GC events by generation"
        );
    }
}
