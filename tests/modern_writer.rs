//! The modern encoder against our raw reader: every timed event type of formats 23 and 26, and
//! every table record, encoded by `gotrace_writer::modern::Encoder` and read back with the
//! arguments we gave (the expected argument lists are written out by hand, in the order of Go's
//! `-d=wire` names). Batch sizes are the runtime's 10-byte varints. And the tracer's state
//! model: refusals, statuses at generation starts, steals.

mod gotool;
mod modern_common;

use std::time::Duration;

use gotrace::format::modern::EventType;
use gotrace::format::Version;
use gotrace::parser::modern::RawEvents;
use gotrace::writer::modern::{
    ClockSnapshot, CpuSample, Encoder, Event, GoStatus, ProcStatus, Tracer, TracerOptions, NO_THREAD,
};
use gotrace::writer::{BlockReason, Frame, StackFrame, StackId, StateError};
use modern_common::timed_events;

/// Every timed event, with the wire arguments after `dt` it must have.
fn every_event() -> Vec<(Event, Vec<u64>)> {
    use Event as E;
    vec![
        (E::ProcsChange { procs: 8, stack: 3 }, vec![8, 3]),
        (E::ProcStart { p: 2, p_seq: 7 }, vec![2, 7]),
        (E::ProcStop, vec![]),
        (E::ProcSteal { p: 1, p_seq: 4, m: 12943 }, vec![1, 4, 12943]),
        (E::ProcStatus { p: 3, status: ProcStatus::SyscallAbandoned }, vec![3, 4]),
        (E::GoCreate { g: 21, start_stack: 10, stack: 11 }, vec![21, 10, 11]),
        (E::GoCreateSyscall { g: 30 }, vec![30]),
        (E::GoStart { g: 19, g_seq: 1 }, vec![19, 1]),
        (E::GoDestroy, vec![]),
        (E::GoDestroySyscall, vec![]),
        (E::GoStop { reason: 5, stack: 6 }, vec![5, 6]),
        (E::GoBlock { reason: 7, stack: 8 }, vec![7, 8]),
        (E::GoUnblock { g: 9, g_seq: 2, stack: 0 }, vec![9, 2, 0]),
        (E::GoSyscallBegin { p_seq: 3, stack: 4 }, vec![3, 4]),
        (E::GoSyscallEnd, vec![]),
        (E::GoSyscallEndBlocked, vec![]),
        (E::GoStatus { g: 1, m: NO_THREAD, status: GoStatus::Waiting }, vec![1, u64::MAX, 4]),
        (E::StwBegin { kind: 12, stack: 13 }, vec![12, 13]),
        (E::StwEnd, vec![]),
        (E::GcActive { seq: 5 }, vec![5]),
        (E::GcBegin { seq: 6, stack: 2 }, vec![6, 2]),
        (E::GcEnd { seq: 7 }, vec![7]),
        (E::GcSweepActive { p: 1 }, vec![1]),
        (E::GcSweepBegin { stack: 9 }, vec![9]),
        (E::GcSweepEnd { swept: 1 << 20, reclaimed: 4096 }, vec![1 << 20, 4096]),
        (E::GcMarkAssistActive { g: 33 }, vec![33]),
        (E::GcMarkAssistBegin { stack: 14 }, vec![14]),
        (E::GcMarkAssistEnd, vec![]),
        (E::HeapAlloc { bytes: 4_194_304 }, vec![4_194_304]),
        (E::HeapGoal { bytes: 8_388_608 }, vec![8_388_608]),
        (E::GoLabel { label: 3 }, vec![3]),
        (E::UserTaskBegin { task: 1, parent: 0, name: 15, stack: 16 }, vec![1, 0, 15, 16]),
        (E::UserTaskEnd { task: 1, stack: 17 }, vec![1, 17]),
        (E::UserRegionBegin { task: 1, name: 18, stack: 19 }, vec![1, 18, 19]),
        (E::UserRegionEnd { task: 1, name: 18, stack: 20 }, vec![1, 18, 20]),
        (E::UserLog { task: 1, key: 21, value: 22, stack: 23 }, vec![1, 21, 22, 23]),
        (E::GoSwitch { g: 21, g_seq: 1 }, vec![21, 1]),
        (E::GoSwitchDestroy { g: 1, g_seq: 3 }, vec![1, 3]),
        (E::GoCreateBlocked { g: 21, start_stack: 10, stack: 11 }, vec![21, 10, 11]),
        (E::GoStatusStack { g: 2, m: 9374, status: GoStatus::Syscall, stack: 24 }, vec![2, 9374, 3, 24]),
        (E::Span { id: 133, npages: 1, kindclass: 72 }, vec![133, 1, 72]),
        (E::SpanAlloc { id: 134, npages: 2, kindclass: 14 }, vec![134, 2, 14]),
        (E::SpanFree { id: 134 }, vec![134]),
        (E::HeapObject { id: 63656, type_id: 28 }, vec![63656, 28]),
        (E::HeapObjectAlloc { id: 63657, type_id: 0 }, vec![63657, 0]),
        (E::HeapObjectFree { id: 63657 }, vec![63657]),
        (E::GoroutineStack { id: 5, order: 14 }, vec![5, 14]),
        (E::GoroutineStackAlloc { id: 6, order: 13 }, vec![6, 13]),
        (E::GoroutineStackFree { id: 6 }, vec![6]),
    ]
}

#[test]
fn every_event_type_round_trips() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let enc = Encoder::new(version).unwrap();
        let events = every_event();
        // Every timed type of the version but ClockSnapshot (a sync batch's) is covered.
        let mut covered: Vec<EventType> = events.iter().map(|(e, _)| e.event_type()).collect();
        covered.sort();
        covered.dedup();
        let all: Vec<EventType> =
            EventType::all(version).filter(|t| t.is_timed() && *t != EventType::CLOCK_SNAPSHOT).collect();
        assert_eq!(covered, all, "{version}");

        let mut out = enc.header().to_vec();
        let batch = enc.begin_batch(&mut out, 1, 9374, 5_000_000_000);
        for (i, (ev, _)) in events.iter().enumerate() {
            enc.event(&mut out, 1 + 300 * i as u64, ev);
        }
        enc.end_batch(&mut out, batch);
        let mut read = RawEvents::new(&out).unwrap();
        assert_eq!(read.version(), version);
        let header = read.next().unwrap().unwrap();
        // Header: type, gen (1 byte), m (2), time (5), size (10).
        assert_eq!(header.event_type(), EventType::EVENT_BATCH);
        assert_eq!(header.args().collect::<Vec<_>>(), [1, 9374, 5_000_000_000, (out.len() - 16 - 19) as u64]);
        let widths: Vec<u8> = header.varints().map(|v| v.width()).collect();
        assert_eq!(widths[3], 10, "the runtime pads batch sizes to 10 bytes");
        for (i, (ev, args)) in events.iter().enumerate() {
            let got = read.next().unwrap().unwrap();
            assert_eq!(got.event_type(), ev.event_type(), "{version} {ev:?}");
            let mut want = vec![1 + 300 * i as u64];
            want.extend(args);
            assert_eq!(got.args().collect::<Vec<_>>(), want, "{version} {ev:?}");
            assert!(got.varints().all(|v| v.is_minimal()), "{version} {ev:?}: minimal varints");
        }
        assert!(read.next().is_none());
    }
}

#[test]
fn table_records_round_trip() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let enc = Encoder::new(version).unwrap();
        let mut out = enc.header().to_vec();
        let b = enc.begin_batch(&mut out, 3, NO_THREAD, 77);
        enc.strings(&mut out);
        enc.string(&mut out, 1, b"main.main").unwrap();
        enc.string(&mut out, 2, b"").unwrap();
        enc.end_batch(&mut out, b);
        let b = enc.begin_batch(&mut out, 3, NO_THREAD, 78);
        enc.stacks(&mut out);
        let frames = [
            StackFrame { pc: 0x4a1f20, func: 1, file: 2, line: 12 },
            StackFrame { pc: 9, func: 1, file: 1, line: 1 },
        ];
        enc.stack(&mut out, 5, &frames).unwrap();
        enc.end_batch(&mut out, b);
        let b = enc.begin_batch(&mut out, 3, NO_THREAD, 79);
        enc.cpu_samples(&mut out);
        enc.cpu_sample(&mut out, &CpuSample { time: 5535190504, m: 10043, p: NO_THREAD, g: 0, stack: 5 });
        enc.end_batch(&mut out, b);
        let b = enc.begin_batch(&mut out, 3, NO_THREAD, 80);
        let clock = ClockSnapshot { dt: 92, mono: 1587712589756, sec: 1795618405, nsec: 649270560 };
        if version == Version::Go1_23 {
            enc.frequency(&mut out, 15_625_000).unwrap();
        } else {
            enc.sync(&mut out, 15_625_000, &clock);
        }
        enc.end_batch(&mut out, b);
        if version == Version::Go1_26 {
            enc.end_of_generation(&mut out).unwrap();
        }
        let records: Vec<(EventType, Vec<u64>, Option<Vec<u8>>)> = RawEvents::new(&out)
            .unwrap()
            .map(|r| r.unwrap())
            .filter(|r| r.event_type() != EventType::EVENT_BATCH)
            .map(|r| (r.event_type(), r.args().collect(), r.data().map(<[u8]>::to_vec)))
            .collect();
        let mut want = vec![
            (EventType::STRINGS, vec![], None),
            (EventType::STRING, vec![1], Some(b"main.main".to_vec())),
            (EventType::STRING, vec![2], Some(vec![])),
            (EventType::STACKS, vec![], None),
            (EventType::STACK, vec![5, 2, 0x4a1f20, 1, 2, 12, 9, 1, 1, 1], None),
            (EventType::CPU_SAMPLES, vec![], None),
            (EventType::CPU_SAMPLE, vec![5535190504, 10043, u64::MAX, 0, 5], None),
        ];
        if version == Version::Go1_23 {
            want.push((EventType::FREQUENCY, vec![15_625_000], None));
        } else {
            want.push((EventType::SYNC, vec![], None));
            want.push((EventType::FREQUENCY, vec![15_625_000], None));
            want.push((EventType::CLOCK_SNAPSHOT, vec![92, 1587712589756, 1795618405, 649270560], None));
            want.push((EventType::END_OF_GENERATION, vec![], None));
        }
        assert_eq!(records, want, "{version}");
        let stack =
            RawEvents::new(&out).unwrap().map(|r| r.unwrap()).find(|r| r.event_type() == EventType::STACK);
        let got: Vec<[u64; 4]> = stack.unwrap().frames().collect();
        assert_eq!(got, [[0x4a1f20, 1, 2, 12], [9, 1, 1, 1]]);
    }
}

#[test]
fn encoder_limits() {
    let enc = Encoder::new(Version::Go1_23).unwrap();
    let mut out = Vec::new();
    assert!(enc.string(&mut out, 0, b"x").is_err());
    assert!(enc.string(&mut out, 1, &[b'a'; 1025]).is_err());
    assert!(enc.string(&mut out, 1, &[b'a'; 1024]).is_ok());
    let frame = StackFrame { pc: 1, func: 1, file: 1, line: 1 };
    assert!(enc.stack(&mut out, 1, &[frame; 129]).is_err());
    assert!(enc.stack(&mut out, 0, &[frame]).is_err());
    assert!(enc.end_of_generation(&mut out).is_err());
    assert!(Encoder::new(Version::Go1_26).unwrap().frequency(&mut out, 1).is_err());
    assert!(Encoder::new(Version::Go1_25).is_err());
}

/// A goroutine blocked across a generation boundary gets its `GoStatus` (Waiting, no thread)
/// before it is unblocked in the next one; the running thread restates its P and goroutine;
/// sequence numbers start again at 1. A P left in a syscall over a boundary, not yet stolen, is
/// restated by its thread (`ProcStatus` Syscall, as the runtime's event writer states the P a
/// thread leaving a syscall still has), so the steal needs no status of its own. Each
/// generation states GOMAXPROCS once, before its first event by a running goroutine. Checked
/// event by event.
#[test]
fn statuses_and_steals_across_generations() {
    let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_26).threads(2).procs(2)).unwrap();
    let f = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }]);
    let tracer_send = tracer.string("chan send").get();
    let (mut m0, mut m1) = (tracer.thread(0).unwrap(), tracer.thread(1).unwrap());
    m0.proc_start(10, tracer.proc(0).unwrap()).unwrap();
    let a = m0.go_create(11, f, StackId::NONE).unwrap();
    let b = m0.go_create(12, f, StackId::NONE).unwrap();
    m0.go_start(13, a).unwrap();
    let a = m0.go_block(14, BlockReason::Send, StackId::NONE).unwrap();
    m0.go_start(15, b).unwrap();
    m0.go_syscall_begin(16, StackId::NONE).unwrap();
    let p0 = m0.go_syscall_release().unwrap();
    // A thread without a P is refused P-level work.
    assert_eq!(m1.heap_alloc(17, 1).unwrap_err(), StateError::ProcNotStarted);
    m1.proc_start(18, tracer.proc(1).unwrap()).unwrap();
    tracer.advance();
    let (m0, a) = std::thread::scope(|s| {
        // m0 sits in its syscall: it acknowledges without writing, and waits for m1.
        let waiting = s.spawn(move || {
            m0.safe_point();
            m0
        });
        let a = m1.go_unblock(20, a, StackId::NONE);
        (waiting.join().unwrap(), a)
    });
    let mut m0 = m0;
    assert_eq!((m0.generation(), m1.generation()), (2, 2));
    let p0 = m1.proc_steal(21, p0);
    m1.go_start(22, a).unwrap();
    m1.go_destroy(23).unwrap();
    let b = m0.go_syscall_end_blocked(24).unwrap();
    m0.proc_start(25, p0).unwrap();
    m0.go_start(26, b).unwrap();
    drop((m0, m1));
    let trace = tracer.finish().unwrap();
    go_accepts(&trace, "statuses-and-steals");
    let got = timed_events(&trace);
    let send = tracer_send;
    let want: [&str; 23] = [
        // Generation 1, thread 0; GOMAXPROCS (2) before the first event by a running goroutine.
        "ProcStatus 0 2",
        "ProcStart 0 1",
        "GoCreate 1 1 0",
        "GoCreate 2 1 0",
        "GoStart 1 1",
        "ProcsChange 2 0",
        &format!("GoBlock {send} 0"),
        "GoStart 2 1",
        "GoSyscallBegin 2 0",
        // Generation 1, thread 1.
        "ProcStatus 1 2",
        "ProcStart 1 1",
        // Generation 2, thread 1: its P, then goroutine 1 (blocked all along), P 0 stolen.
        "ProcStatus 1 1",
        "GoStatus 1 18446744073709551615 4",
        "GoUnblock 1 1 0",
        "ProcSteal 0 1 0",
        "GoStart 1 2",
        "ProcsChange 2 0",
        "GoDestroy ",
        // Generation 2, thread 0: the P it left in the syscall, its goroutine, in the syscall.
        "ProcStatus 0 3",
        "GoStatus 2 0 3",
        "GoSyscallEndBlocked ",
        "ProcStart 0 2",
        "GoStart 2 1",
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted, "{got:#?}");
}

/// GOMAXPROCS is stated once in every generation that has an event by a running goroutine, as
/// the runtime's generation advance does, with the value of the last `procs_change` (the Ps at
/// first); a generation whose goroutines never ran has none. Counted per batch generation in
/// the raw records, in both formats.
#[test]
fn gomaxprocs_is_stated_in_every_generation() {
    for version in [Version::Go1_23, Version::Go1_26] {
        let options = TracerOptions::new(version).threads(1).procs(3).generation_bytes(None);
        let tracer = Tracer::new(Vec::new(), options).unwrap();
        let f = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }]);
        let mut m = tracer.thread(0).unwrap();
        m.proc_start(10, tracer.proc(0).unwrap()).unwrap();
        let g = m.go_create(11, f, StackId::NONE).unwrap();
        m.go_start(12, g).unwrap();
        let mut ts = 13;
        // Generations 1 - 5 run the goroutine (4 changes GOMAXPROCS to 2), the last time until
        // it yields; 6 has only an event of the P.
        for gen in 1..=5u64 {
            if gen == 4 {
                m.procs_change(ts, 2, f).unwrap();
            }
            let yielded = m.go_sched(ts + 1, StackId::NONE).unwrap();
            if gen < 5 {
                m.go_start(ts + 2, yielded).unwrap();
            }
            ts += 10;
            tracer.advance();
        }
        m.heap_alloc(ts, 4096).unwrap();
        drop(m);
        let trace = tracer.finish().unwrap();
        go_accepts(&trace, &format!("gomaxprocs-{version}"));
        let mut gen = 0;
        let mut stated: Vec<(u64, Vec<u64>)> = Vec::new();
        for r in RawEvents::new(&trace).unwrap().map(Result::unwrap) {
            if r.event_type() == EventType::EVENT_BATCH {
                gen = r.args().next().unwrap();
            } else if r.event_type() == EventType::PROCS_CHANGE {
                let procs = r.args().nth(1).unwrap();
                match stated.last_mut() {
                    Some((g, values)) if *g == gen => values.push(procs),
                    _ => stated.push((gen, vec![procs])),
                }
            }
        }
        let want = [(1, vec![3]), (2, vec![3]), (3, vec![3]), (4, vec![3, 2]), (5, vec![2])];
        assert_eq!(stated, want.to_vec(), "{version}");
    }
}

/// Go 1.27's `-d=parsed` (optional: only Go 1.26 and later read format 26) reads `trace` to
/// the end.
fn go_accepts(trace: &[u8], label: &str) {
    let Some(go) = gotool::require_go("1.27", false) else { return };
    let dir = std::env::temp_dir().join(format!("gotrace-modern-writer-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.trace");
    std::fs::write(&file, trace).unwrap();
    let mut cmd = gotool::trace_tool(&go, "1.27", &dir);
    cmd.args(["-d=parsed"]).arg(&file);
    let out = gotool::run_with_timeout(cmd, Duration::from_secs(300), "go tool trace");
    let _ = std::fs::remove_dir_all(&dir);
    gotool::check(&out, "go 1.27 tool trace -d=parsed");
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Thread handles taken and dropped over and over by 4 producer threads while others ask for
/// new generations all the time (the lock order checked on every acquisition in debug
/// builds): no generation interleaves with another in the file, and Go reads it (Go 1.24,
/// required in CI).
#[test]
fn handles_come_and_go_across_advances() {
    let options = TracerOptions::new(Version::Go1_23).threads(4).procs(4).generation_bytes(None);
    let tracer = Tracer::new(Vec::new(), options).unwrap();
    let f = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }]);
    std::thread::scope(|s| {
        for i in 0..4u32 {
            let tracer = &tracer;
            let p = tracer.proc(i).unwrap();
            s.spawn(move || {
                let mut p = Some(p);
                let mut ts = 1;
                for round in 0..300u64 {
                    let mut m = tracer.thread(i).unwrap();
                    if let Some(p) = p.take() {
                        m.proc_start(ts, p).unwrap();
                    }
                    for _ in 0..20 {
                        ts += 3;
                        let g = m.go_create(ts, f, StackId::NONE).unwrap();
                        m.go_start(ts + 1, g).unwrap();
                        m.go_destroy(ts + 2).unwrap();
                    }
                    if round % 7 == u64::from(i) {
                        tracer.advance();
                    }
                    drop(m);
                    std::thread::yield_now();
                }
            });
        }
    });
    let stats = tracer.stats();
    assert_eq!(stats.count(EventType::GO_CREATE), 4 * 300 * 20);
    let trace = tracer.finish().unwrap();
    let mut gens: Vec<u64> = Vec::new();
    for r in RawEvents::new(&trace).unwrap() {
        let r = r.unwrap();
        if r.event_type() == EventType::EVENT_BATCH {
            let gen = r.arg(0).unwrap();
            if gens.last() != Some(&gen) {
                gens.push(gen);
            }
        }
    }
    assert!(gens.len() > 10, "{} generations", gens.len());
    assert_eq!(gens, (1..=gens.len() as u64).collect::<Vec<_>>(), "generations in order, none interleaved");
    let Some(go) = gotool::require_go("1.24", true) else { return };
    let dir = std::env::temp_dir().join(format!("gotrace-modern-writer-churn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.trace");
    std::fs::write(&file, &trace).unwrap();
    let mut cmd = gotool::trace_tool(&go, "1.24", &dir);
    cmd.args(["-d=parsed"]).arg(&file);
    let out = gotool::run_with_timeout(cmd, Duration::from_secs(300), "go tool trace");
    let _ = std::fs::remove_dir_all(&dir);
    gotool::check(&out, "go 1.24 tool trace -d=parsed");
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
