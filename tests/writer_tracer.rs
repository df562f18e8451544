//! The tracer read back with the raw reader: nothing lost with 8 producer threads, round trips
//! of every event type (through the raw level and through the state model), and sinks that
//! fail or panic.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::sync::mpsc;
use std::time::Duration;

use gotrace::format::legacy::{EventType, RawEvent, StwReason};
use gotrace::format::Version;
use gotrace::parser::legacy::RawEvents;
use gotrace::writer::{
    BlockReason, Error, Event, Frame, GcWorker, StackId, TaskId, Tracer, TracerOptions, BUFFER_SIZE,
};

/// What a trace holds, read with the raw reader.
#[derive(Default, Debug)]
struct Readback {
    /// Events by type code.
    types: BTreeMap<u8, u64>,
    /// Events by goroutine, attributed as Go's parser does (spec §5.2).
    goroutines: HashMap<u64, u64>,
    /// Per batch P, the events in order: type, values (dt replaced by the absolute tick).
    by_p: BTreeMap<i64, Vec<(EventType, Vec<u64>)>>,
    strings: HashMap<u64, Vec<u8>>,
    stacks: HashMap<u64, Vec<(u64, u64, u64, u64)>>,
    messages: Vec<Vec<u8>>,
    frequency: Option<u64>,
    batches: u64,
}

fn read_back(data: &[u8], keep_events: bool) -> Readback {
    let events = RawEvents::new(data).expect("header");
    let mut r = Readback::default();
    let (mut p, mut tick) = (0i64, 0u64);
    let mut last_g: HashMap<i64, u64> = HashMap::new();
    for ev in events {
        let ev: RawEvent<'_> = ev.expect("the raw reader accepts the trace");
        let t = ev.event_type();
        let mut values: Vec<u64> = ev.values().collect();
        match t {
            EventType::BATCH => {
                p = values[0] as i64;
                tick = values[1];
                r.batches += 1;
                continue;
            }
            EventType::FREQUENCY => {
                r.frequency = Some(values[0]);
                continue;
            }
            EventType::STRING => {
                let text = ev.text().unwrap().bytes().to_vec();
                assert!(r.strings.insert(values[0], text).is_none(), "string {} defined twice", values[0]);
                continue;
            }
            EventType::STACK => {
                let frames = values[2..].chunks(4).map(|f| (f[0], f[1], f[2], f[3])).collect();
                assert_eq!(values[1] as usize, values[2..].len() / 4);
                assert!(r.stacks.insert(values[0], frames).is_none(), "stack {} defined twice", values[0]);
                continue;
            }
            _ => {}
        }
        tick += values[0];
        let g = last_g.entry(p).or_default();
        let owner = match t {
            EventType::GO_START | EventType::GO_START_LOCAL | EventType::GO_START_LABEL => {
                *g = values[1];
                *g
            }
            EventType::GO_END
            | EventType::GO_STOP
            | EventType::GO_SCHED
            | EventType::GO_PREEMPT
            | EventType::GO_SLEEP
            | EventType::GO_BLOCK
            | EventType::GO_BLOCK_SEND
            | EventType::GO_BLOCK_RECV
            | EventType::GO_BLOCK_SELECT
            | EventType::GO_BLOCK_SYNC
            | EventType::GO_BLOCK_COND
            | EventType::GO_BLOCK_NET
            | EventType::GO_SYS_BLOCK
            | EventType::GO_BLOCK_GC => std::mem::take(g),
            EventType::GO_SYS_EXIT | EventType::GO_WAITING | EventType::GO_IN_SYSCALL => values[1],
            EventType::STW_START | EventType::STW_DONE | EventType::GC_START | EventType::GC_DONE => 0,
            EventType::CPU_SAMPLE => values[3],
            _ => *g,
        };
        *r.types.entry(t.code()).or_default() += 1;
        *r.goroutines.entry(owner).or_default() += 1;
        if t == EventType::USER_LOG {
            r.messages.push(ev.text().unwrap().bytes().to_vec());
        }
        if keep_events {
            values[0] = tick;
            r.by_p.entry(p).or_default().push((t, values));
        }
    }
    r
}

/// 8 producer threads × 1 M events each, through the goroutine helpers: every event written is
/// read back once, per type and per goroutine.
#[test]
fn nothing_lost_with_8_producers() {
    const PROCS: u32 = 8;
    const PER_PROC: u64 = 1_000_000;
    let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_19).procs(PROCS)).unwrap();
    let start =
        tracer.stack(&[Frame { pc: 0x401000, func: "main.worker", file: "main.go", line: 7 }]).unwrap();
    let site = tracer
        .stack(&[
            Frame { pc: 0x402000, func: "runtime.chanrecv1", file: "chan.go", line: 440 },
            Frame { pc: 0x401040, func: "main.worker", file: "main.go", line: 9 },
        ])
        .unwrap();
    let tallies: Vec<(BTreeMap<u8, u64>, HashMap<u64, u64>)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..PROCS)
            .map(|i| {
                let mut p = tracer.proc(i).unwrap();
                s.spawn(move || {
                    let mut types: BTreeMap<u8, u64> = BTreeMap::new();
                    let mut per_g: HashMap<u64, u64> = HashMap::new();
                    let mut note = |t: EventType, g: u64| {
                        *types.entry(t.code()).or_default() += 1;
                        *per_g.entry(g).or_default() += 1;
                    };
                    let mut ts = 1000;
                    let mut next = || {
                        ts += 3;
                        ts
                    };
                    p.proc_start(next(), u64::from(i)).unwrap();
                    note(EventType::PROC_START, 0);
                    let mut written = 1;
                    while written < PER_PROC {
                        let g = p.go_create(next(), start, site).unwrap();
                        let id = g.id().get();
                        note(EventType::GO_CREATE, 0);
                        p.go_start(next(), g).unwrap();
                        note(EventType::GO_START_LOCAL, id);
                        for _ in 0..3 {
                            p.heap_alloc(next(), 1 << 20);
                            note(EventType::HEAP_ALLOC, id);
                        }
                        p.go_syscall(next(), site).unwrap();
                        note(EventType::GO_SYS_CALL, id);
                        let g = p.go_block(next(), BlockReason::Recv, site).unwrap();
                        note(EventType::GO_BLOCK_RECV, id);
                        let g = p.go_unblock(next(), g, site);
                        note(EventType::GO_UNBLOCK_LOCAL, 0);
                        p.go_start(next(), g).unwrap();
                        note(EventType::GO_START_LOCAL, id);
                        let g = p.go_sched(next(), site).unwrap();
                        note(EventType::GO_SCHED, id);
                        p.go_start(next(), g).unwrap();
                        note(EventType::GO_START_LOCAL, id);
                        p.go_end(next()).unwrap();
                        note(EventType::GO_END, id);
                        written += 12;
                    }
                    assert_eq!(p.events(), written);
                    (types, per_g)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut types: BTreeMap<u8, u64> = BTreeMap::new();
    let mut per_g: HashMap<u64, u64> = HashMap::new();
    for (t, g) in tallies {
        t.into_iter().for_each(|(k, n)| *types.entry(k).or_default() += n);
        g.into_iter().for_each(|(k, n)| *per_g.entry(k).or_default() += n);
    }
    let stats = tracer.stats();
    for (&code, &n) in &types {
        assert_eq!(stats.count(EventType::all(Version::Go1_19).find(|t| t.code() == code).unwrap()), n);
    }
    let total: u64 = types.values().sum();
    assert!(total >= u64::from(PROCS) * PER_PROC);
    assert_eq!(stats.events(), total);

    let data = tracer.finish().unwrap();
    let back = read_back(&data, false);
    assert_eq!(back.types, types, "events per type");
    assert_eq!(back.goroutines.len(), per_g.len(), "goroutines");
    assert!(back.goroutines == per_g, "events per goroutine differ");
    assert!(back.batches as usize >= data.len() / BUFFER_SIZE, "one batch per buffer at least");
}

/// Every event type through `Proc::emit` on several Ps at once, the no-P buffer and the CPU
/// samples; strings and stacks: read back, the same events, ticks, strings and frames.
#[test]
fn raw_events_round_trip() {
    for version in [Version::Go1_19, Version::Go1_21] {
        let tracer =
            Tracer::new(Vec::new(), TracerOptions::new(version).procs(3).frequency(12_345_678)).unwrap();
        let frames = [
            Frame { pc: 0x4010a3, func: "runtime.chansend1", file: "/go/src/runtime/chan.go", line: 144 },
            Frame { pc: 0x4a0f00, func: "main.(*server).handle", file: "/app/server.go", line: 77 },
            Frame { pc: 0x4a0100, func: "main.main", file: "/app/main.go", line: 12 },
        ];
        let deep = tracer.stack(&frames).unwrap();
        let leaf = tracer.stack(&frames[2..]).unwrap();
        assert_eq!(tracer.stack(&frames).unwrap(), deep, "a known stack keeps its id");
        let expected: Vec<Expected> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..3u32)
                .map(|i| {
                    let mut p = tracer.proc(i).unwrap();
                    s.spawn(move || {
                        let name = p.string(&format!("task type {i}"));
                        let key = p.string("key");
                        let events = [
                            Event::ProcStart { thread: u64::from(i) + 10 },
                            Event::Gomaxprocs { procs: 3, stack: deep.get() },
                            Event::GoCreate {
                                g: 100 + u64::from(i),
                                start_stack: leaf.get(),
                                stack: deep.get(),
                            },
                            Event::GoStart { g: 100 + u64::from(i), seq: 1 },
                            Event::UserTaskCreate { task: 7, parent: 0, name: name.get(), stack: deep.get() },
                            Event::UserRegion { task: 7, mode: 0, name: name.get(), stack: deep.get() },
                            Event::UserLog {
                                task: 7,
                                key: key.get(),
                                stack: deep.get(),
                                message: b"a message",
                            },
                            Event::UserRegion { task: 7, mode: 1, name: name.get(), stack: 0 },
                            Event::StwStart { reason: StwReason::GcMarkTermination },
                            Event::StwDone,
                            Event::GcSweepDone { swept: u64::MAX, reclaimed: 1 << 40 },
                            Event::GoSysExit { g: 5, seq: 1 << 33, real_ticks: 1 << 50 },
                            Event::CpuSample { real_ticks: 99, p: -1, g: 3, stack: leaf.get() },
                        ];
                        let mut out = Vec::new();
                        let mut ts = 1_000_000 * u64::from(i + 1);
                        for (k, ev) in events.iter().enumerate() {
                            ts += 1 + (k as u64) * 1000;
                            let tick = p.emit(ts, ev).unwrap();
                            assert_eq!(tick, ts);
                            out.push((ev.event_type(), tick, *ev));
                        }
                        // A time before the last one is moved right after it.
                        let tick = p.emit(5, &Event::GoEnd).unwrap();
                        out.push((EventType::GO_END, tick, Event::GoEnd));
                        // Enough events to span several buffers.
                        for k in 0..40_000u64 {
                            let ev = Event::GoUnblock { g: k, seq: k * 1000, stack: deep.get() };
                            let tick = p.emit(0, &ev).unwrap();
                            out.push((ev.event_type(), tick, ev));
                        }
                        let events = out.iter().map(|(t, tick, ev)| (*t, wire(*tick, ev, version))).collect();
                        let strings = vec![(name.get(), format!("task type {i}")), (key.get(), "key".into())];
                        (i64::from(i), events, strings)
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let no_p = tracer.with_no_p(|p| {
            let ev = Event::GoUnblock { g: 9, seq: 2, stack: 0 };
            let tick = p.emit(77, &ev).unwrap();
            vec![(EventType::GO_UNBLOCK, wire(tick, &ev, version))]
        });
        tracer.cpu_sample(1 << 45, Some(2), None, deep);
        let data = tracer.finish().unwrap();

        let back = read_back(&data, true);
        assert_eq!(back.frequency, Some(12_345_678));
        for (p, events, strings) in expected {
            // The CPU-sample buffer is a batch of P 0 too (as the runtime writes it).
            let got: Vec<_> = back.by_p[&p]
                .iter()
                .filter(|(t, v)| !(*t == EventType::CPU_SAMPLE && v[1] == 1 << 45))
                .cloned()
                .collect();
            assert_eq!(got.len(), events.len(), "{version}: events of P {p}");
            if let Some(i) = (0..got.len()).find(|&i| got[i] != events[i]) {
                panic!("{version}: event {i} of P {p}: got {:?}, want {:?}", got[i], events[i]);
            }
            for (id, text) in strings {
                assert_eq!(back.strings[&id], text.as_bytes());
            }
        }
        assert_eq!(back.by_p[&-1], no_p, "{version}: no-P events");
        assert_eq!(back.messages.len(), 3);
        assert!(back.messages.iter().all(|m| m == b"a message"));
        // The CPU sample buffer is a batch of P 0 holding only the sample.
        let sample =
            back.by_p[&0].iter().find(|(t, v)| *t == EventType::CPU_SAMPLE && v[1] == 1 << 45).unwrap();
        assert_eq!(sample.1[2..], [2, 0, deep.get()]);
        // Stacks resolve to the interned frames through the string table.
        for (id, want) in [(deep, &frames[..]), (leaf, &frames[2..])] {
            let got = &back.stacks[&id.get()];
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                assert_eq!(g.0, w.pc);
                assert_eq!(back.strings[&g.1], w.func.as_bytes());
                assert_eq!(back.strings[&g.2], w.file.as_bytes());
                assert_eq!(g.3, w.line);
            }
        }
        // Go 1.21 pads stack lengths to 10 bytes and puts the frequency at the start of a
        // batch; Go 1.19 writes minimal lengths and a loose frequency record.
        let records: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
        for r in records.iter().filter(|r| r.event_type() == EventType::STACK) {
            let len = r.length().unwrap();
            assert_eq!(len.width() == 10, version == Version::Go1_21, "{version}: stack length {len:?}");
        }
        let freq = records.iter().position(|r| r.event_type() == EventType::FREQUENCY).unwrap();
        assert_eq!(records[freq - 1].event_type() == EventType::BATCH, version == Version::Go1_21);
        assert!(records[freq..].iter().all(|r| matches!(
            r.event_type(),
            EventType::FREQUENCY | EventType::BATCH | EventType::STRING | EventType::STACK
        )));
    }
}

/// What a P wrote: its id, its events (type, values with the absolute tick first), the strings
/// it interned (id, text).
type Expected = (i64, Vec<(EventType, Vec<u64>)>, Vec<(u64, String)>);

/// The values of `ev` as the reader returns them, with the absolute tick first.
fn wire(tick: u64, ev: &Event<'_>, version: Version) -> Vec<u64> {
    let mut out = Vec::new();
    gotrace::writer::Encoder::new(version).unwrap().event(&mut out, 0, ev).unwrap();
    let file = [&version.header()[..], &out].concat();
    let rec = RawEvents::new(&file).unwrap().next().unwrap().unwrap();
    let mut values: Vec<u64> = rec.values().collect();
    values[0] = tick;
    values
}

/// A script through the state model: the events written are those the runtime writes
/// (sequence numbers, `Local` variants, labels, GC sequence, real syscall times).
#[test]
fn state_model_round_trip() {
    use EventType as T;
    let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_21).procs(2)).unwrap();
    let f = |func: &'static str, line| Frame { pc: 0x400000 + line, func, file: "main.go", line };
    let start = tracer.stack(&[f("main.worker", 1)]).unwrap();
    let site = tracer.stack(&[f("main.worker", 2), f("main.main", 3)]).unwrap();
    let (s, w) = (site.get(), start.get());
    let mut p0 = tracer.proc(0).unwrap();
    let mut p1 = tracer.proc(1).unwrap();
    p0.proc_start(100, 1).unwrap();
    p1.proc_start(100, 2).unwrap();
    let g = p0.go_create(110, start, site).unwrap();
    let blocked = p0.go_create_waiting(111, start, StackId::NONE).unwrap();
    let in_sys = p0.go_create_in_syscall(112, start, StackId::NONE).unwrap();
    p0.go_start(120, g).unwrap();
    let name = p0.string("region");
    let task = p0.task_create(121, TaskId::BACKGROUND, name, site);
    let region = p0.region_start(122, task.id(), name, site).unwrap();
    p0.log(123, task.id(), name, "hi", site);
    p0.region_end(124, region, site).unwrap();
    let g = p0.go_block(130, BlockReason::Send, site).unwrap();
    let g = p1.go_unblock(140, g, site); // other P: GoUnblock with seq 2
    let blocked = p1.go_unblock(141, blocked, site); // GoWaiting counted as 1: seq 2
    p1.go_start(150, g).unwrap(); // unblocked here: GoStartLocal
    let cycle = p1.gc_start(151, site).unwrap();
    let stw = p1.stw_start(152, StwReason::ReadMemStats).unwrap();
    p1.stw_done(153, stw);
    p1.gc_mark_assist_start(154, site).unwrap();
    p1.gc_mark_assist_done(155).unwrap();
    p1.go_syscall(156, site).unwrap();
    let sys = p1.go_sys_block(157).unwrap();
    p1.gc_done(158, cycle);
    let g = p0.go_sys_exit(160, sys, 1); // real time clamped to the block's
    p0.go_start(161, g).unwrap(); // GoStart: the exit set its P to 0 — local
    let g = p0.go_preempt(162, site).unwrap();
    let in_sys = p0.go_sys_exit(163, in_sys, 0);
    p1.go_start(170, blocked).unwrap(); // unblocked on P 1: local
    p1.go_end(171).unwrap();
    p1.go_start_label(172, g, GcWorker::Fractional).unwrap();
    p0.go_start(173, in_sys).unwrap();
    p0.task_end(174, task, site);
    // Refusals write nothing.
    assert!(p0.proc_stop(175).is_err());
    assert!(p0.gc_mark_assist_done(175).is_err());
    let cycle = p0.gc_start(176, StackId::NONE).unwrap();
    assert!(p1.gc_start(176, StackId::NONE).is_err());
    p0.gc_done(177, cycle);
    drop((p0, p1));
    let data = tracer.finish().unwrap();
    let back = read_back(&data, true);
    let label = back.strings.iter().find(|(_, t)| *t == b"GC (fractional)").map(|(id, _)| *id).unwrap();
    let name = name.get();
    let want0: Vec<(EventType, Vec<u64>)> = vec![
        (T::PROC_START, vec![100, 1]),
        (T::GO_CREATE, vec![110, 1, w, s]),
        (T::GO_CREATE, vec![111, 2, w, 0]),
        (T::GO_WAITING, vec![112, 2]),
        (T::GO_CREATE, vec![113, 3, w, 0]),
        (T::GO_IN_SYSCALL, vec![114, 3]),
        (T::GO_START_LOCAL, vec![120, 1]),
        (T::USER_TASK_CREATE, vec![121, 1, 0, name, s]),
        (T::USER_REGION, vec![122, 1, 0, name, s]),
        (T::USER_LOG, vec![123, 1, name, s]),
        (T::USER_REGION, vec![124, 1, 1, name, s]),
        (T::GO_BLOCK_SEND, vec![130, s]),
        (T::GO_SYS_EXIT, vec![160, 1, 4, 157]),
        (T::GO_START_LOCAL, vec![161, 1]),
        (T::GO_PREEMPT, vec![162, s]),
        (T::GO_SYS_EXIT, vec![163, 3, 2, 0]),
        (T::GO_START_LOCAL, vec![173, 3]),
        (T::USER_TASK_END, vec![174, 1, s]),
        (T::GC_START, vec![176, 1, 0]),
        (T::GC_DONE, vec![177]),
    ];
    let want1: Vec<(EventType, Vec<u64>)> = vec![
        (T::PROC_START, vec![100, 2]),
        (T::GO_UNBLOCK, vec![140, 1, 2, s]),
        (T::GO_UNBLOCK, vec![141, 2, 2, s]),
        (T::GO_START_LOCAL, vec![150, 1]),
        (T::GC_START, vec![151, 0, s]),
        (T::STW_START, vec![152, 7]),
        (T::STW_DONE, vec![153]),
        (T::GC_MARK_ASSIST_START, vec![154, s]),
        (T::GC_MARK_ASSIST_DONE, vec![155]),
        (T::GO_SYS_CALL, vec![156, s]),
        (T::GO_SYS_BLOCK, vec![157]),
        (T::GC_DONE, vec![158]),
        (T::GO_START_LOCAL, vec![170, 2]),
        (T::GO_END, vec![171]),
        (T::GO_START_LABEL, vec![172, 1, 6, label]),
    ];
    let name_of =
        |v: &[(EventType, Vec<u64>)]| v.iter().map(|(t, a)| (t.name_1_19(), a.clone())).collect::<Vec<_>>();
    assert_eq!(name_of(&back.by_p[&0]), name_of(&want0));
    assert_eq!(name_of(&back.by_p[&1]), name_of(&want1));
    assert_eq!(back.messages, [b"hi".to_vec()]);
}

/// A sink that fails once it has taken `limit` bytes.
#[derive(Debug)]
struct FailAfter {
    taken: usize,
    limit: usize,
}

impl Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.taken + buf.len() > self.limit {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        self.taken += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A sink that panics on its third write.
#[derive(Debug)]
struct Panics(u32);

impl Write for Panics {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += 1;
        assert!(self.0 < 3, "the sink blew up");
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// 4 producers write through a few buffers into `sink`; returns what `finish` said. Runs in a
/// thread watched by a deadline: a deadlock fails the test instead of hanging it.
fn drive<W: Write + Send + 'static>(sink: W) -> Result<W, Error> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let tracer = Tracer::new(sink, TracerOptions::default().procs(4).max_buffers(8)).unwrap();
        let start = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }]).unwrap();
        std::thread::scope(|s| {
            for i in 0..4 {
                let mut p = tracer.proc(i).unwrap();
                s.spawn(move || {
                    p.proc_start(1, 0).unwrap();
                    for k in 0..100_000u64 {
                        let g = p.go_create(k * 4, start, StackId::NONE).unwrap();
                        p.go_start(k * 4 + 1, g).unwrap();
                        p.heap_alloc(k * 4 + 2, k);
                        p.go_end(k * 4 + 3).unwrap();
                    }
                });
            }
        });
        let _ = tx.send(tracer.finish());
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the tracer finished within a minute (no deadlock)")
}

#[test]
fn failing_sink_error_is_returned() {
    for limit in [0, 10, 16, 100_000, 1_000_000] {
        match drive(FailAfter { taken: 0, limit }) {
            Err(Error::Io(e)) => {
                assert_eq!(e.kind(), io::ErrorKind::StorageFull);
                assert_eq!(e.to_string(), "disk full");
            }
            other => panic!("limit {limit}: {other:?}"),
        }
    }
    // Enough room: no error.
    assert!(drive(FailAfter { taken: 0, limit: usize::MAX }).is_ok());
}

#[test]
fn panicking_sink_is_an_error() {
    assert!(matches!(drive(Panics(0)), Err(Error::SinkPanicked)));
}

#[test]
fn p_handles_are_exclusive_and_resume() {
    let tracer = Tracer::new(io::sink(), TracerOptions::default().procs(2)).unwrap();
    let p = tracer.proc(1).unwrap();
    assert!(matches!(tracer.proc(1), Err(Error::ProcTaken { p: 1 })));
    assert!(matches!(tracer.proc(2), Err(Error::ProcOutOfRange { p: 2, procs: 2 })));
    let mut p = {
        let mut p = p;
        p.proc_start(50, 1).unwrap();
        drop(p);
        tracer.proc(1).unwrap()
    };
    assert_eq!(p.last_tick(), 50);
    assert!(p.proc_start(60, 1).is_err(), "the P's state survives its holder");
    p.proc_stop(40).unwrap();
    assert_eq!(p.last_tick(), 51);
}
