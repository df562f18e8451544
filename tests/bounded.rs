//! The bounded-memory ordered reader (`OrderedReader`) against the whole-file mode (`Trace`),
//! which the goldens hold to Go: on every legacy corpus trace and every damaged file, the same
//! events in the same order (every field), the same links (rebuilt from `linked_from`), the
//! same stacks, and the same error with the same offset; over a slice and over a `Read + Seek`.
//! And the bound: on a large synthetic trace, the reader's own accounting stays within what
//! its documentation lists, far below what the events take. And syscall exits that move back,
//! at their real times, past more events than any fixed window: the same order as the
//! whole-file mode (which Go 1.19's `go tool trace -d` accepts), and no memory held for
//! syscalls that are long but exit soon after their real return.

mod common;
mod gotool;

use std::io::Cursor;
use std::path::PathBuf;

use common::{legacy_corpus, name, read};
use gotrace::format::{Error, Version};
use gotrace::parser::legacy::{Census, Event, Input, OrderedReader, RawEvents, StackId, Trace};
use gotrace::writer::synth::{self, SynthOptions};
use gotrace::writer::{self as writer, Frame, Tracer, TracerOptions};

/// Every field of an event but its link, and its stack resolved.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    ts: i64,
    name: &'static str,
    p: i64,
    g: u64,
    offset: u64,
    args: [u64; 3],
    stack: StackId,
    stack_id: u64,
    frames: Vec<(u64, Vec<u8>, Vec<u8>, i64)>,
}

fn seen(ev: &Event, version: Version) -> Seen {
    Seen {
        ts: ev.ts(),
        name: ev.name(version),
        p: ev.p(),
        g: ev.g(),
        offset: ev.offset(),
        args: ev.args(),
        stack: ev.stack(),
        stack_id: 0,
        frames: Vec::new(),
    }
}

/// What a mode gives: the events, each one's link, or the error.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<Seen>,
    links: Vec<Option<usize>>,
}

fn whole(data: &[u8]) -> Result<Outcome, Error> {
    let trace = Trace::from_slice(data)?;
    let v = trace.version();
    let mut events = Vec::new();
    let mut links = Vec::new();
    for ev in trace.events() {
        let mut s = seen(ev, v);
        s.stack_id = trace.stack_id(ev.stack());
        s.frames =
            trace.stack(ev.stack()).map(|f| (f.pc, f.func.to_vec(), f.file.to_vec(), f.line)).collect();
        events.push(s);
        links.push(ev.link());
    }
    Ok(Outcome { events, links })
}

fn bounded<I: Input>(reader: Result<OrderedReader<I>, Error>) -> Result<Outcome, Error> {
    let mut reader = reader?;
    let v = reader.version();
    let mut events = Vec::new();
    let mut stacks = Vec::new();
    let mut links = Vec::new();
    while let Some(ev) = reader.next() {
        let ev = ev?;
        assert_eq!(ev.link(), None, "bounded mode gives links through linked_from");
        let index = events.len();
        for from in reader.linked_from() {
            assert!(from < index, "a link goes forward");
            assert_eq!(links[from], None, "event {from} linked twice");
            links[from] = Some(index);
        }
        events.push(seen(&ev, v));
        stacks.push(ev.stack());
        links.push(None);
    }
    // Stacks resolve once the stream is done (start stacks are given out as starts come).
    for (s, stack) in events.iter_mut().zip(stacks) {
        s.stack_id = reader.stack_id(stack);
        s.frames = reader.stack(stack).map(|f| (f.pc, f.func.to_vec(), f.file.to_vec(), f.line)).collect();
    }
    Ok(Outcome { events, links })
}

/// Both inputs of the bounded mode, and the batches decoded on a second thread, agree with the whole-file mode on `data`.
fn check(label: &str, data: &[u8]) -> Result<usize, String> {
    let want = whole(data);
    let from_slice = bounded(OrderedReader::from_slice(data));
    let from_seek = bounded(OrderedReader::new(Cursor::new(data)));
    let ahead =
        std::thread::scope(|s| bounded(OrderedReader::new(Cursor::new(data)).map(|r| r.decode_ahead(s))));
    for (how, got) in [("slice", &from_slice), ("seek", &from_seek), ("decoded ahead", &ahead)] {
        if *got != want {
            let detail = match (&want, got) {
                (Ok(w), Ok(g)) => {
                    let at = w.events.iter().zip(&g.events).position(|(a, b)| a != b);
                    let link = w.links.iter().zip(&g.links).position(|(a, b)| a != b);
                    format!(
                        "{} vs {} events; first event difference at {at:?}; first link difference at {link:?}",
                        w.events.len(),
                        g.events.len()
                    )
                }
                (w, g) => format!("whole {:?}, bounded {:?}", w.as_ref().err(), g.as_ref().err()),
            };
            return Err(format!("{label} ({how}): {detail}"));
        }
    }
    Ok(want.map_or(0, |o| o.events.len()))
}

#[test]
fn bounded_equals_whole_on_every_corpus_trace() {
    let mut failures = Vec::new();
    let mut events = 0;
    let traces = legacy_corpus();
    for trace in &traces {
        match check(&name(trace), &read(trace)) {
            Ok(n) => events += n,
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} traces differ:\n{}",
        failures.len(),
        traces.len(),
        failures.join("\n")
    );
    assert!(events > 100_000, "only {events} events compared");
}

fn damaged_files() -> Vec<PathBuf> {
    common::damaged().into_iter().chain(common::altered()).map(|f| f.path).collect()
}

#[test]
fn bounded_equals_whole_on_every_damaged_file() {
    let files = damaged_files();
    assert!(files.len() >= 40);
    let mut failures = Vec::new();
    let mut rejected = 0;
    for file in &files {
        let data = read(file);
        rejected += usize::from(Trace::from_slice(&data).is_err());
        if let Err(e) = check(&name(file), &data) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(rejected >= 40, "only {rejected} damaged files are rejected");
}

#[test]
fn memory_stays_bounded_on_a_large_trace() {
    // 4 Ps, 2000 goroutines, 1.2 M events: about 9 MB of trace, 67 MB of events held whole.
    let options = SynthOptions { procs: 4, goroutines: 2000, events: 1_200_000, ..SynthOptions::default() };
    let (data, _) = synth::run(Vec::new(), &options).expect("synth");
    // Read twice: batches decoded in place, and on a second thread ahead of the merge.
    let read = |ahead: bool| {
        std::thread::scope(|s| {
            let mut reader = OrderedReader::new(Cursor::new(&data)).expect("a synthetic trace reads");
            if ahead {
                reader = reader.decode_ahead(s);
            }
            let mut count = 0;
            for ev in reader.by_ref() {
                ev.expect("a synthetic trace orders and validates");
                count += 1;
            }
            assert!(reader.bytes_held() <= reader.peak_bytes());
            (reader.total_events(), count, reader.peak_bytes())
        })
    };
    let (total, count, peak) = read(false);
    let (_, count_ahead, peak_ahead) = read(true);
    assert!(count > 1_000_000 && count <= total);
    assert_eq!(count_ahead, count);
    let whole_bytes = total * std::mem::size_of::<Event>();
    // The bound the reader documents, for this trace: per list (4 Ps, P -1, the CPU samples)
    // one batch of at most 64 KiB, decoded (at least 2 bytes an event: 32 Ki events of 56
    // bytes) and read; the reorder window (72 bytes an event); about 100 bytes per goroutine
    // id (at most one goroutine is created per 10 events); the tables, held as the whole-file
    // mode holds them: within 8 times the bytes of the string, stack and log records.
    let mut census = Census::new(Version::Go1_19);
    for raw in RawEvents::new(&data).unwrap() {
        census.add(&raw.unwrap()).unwrap();
    }
    let table_bytes: u64 = census
        .present()
        .filter(|(t, _)| matches!(t.name(Version::Go1_19), "String" | "Stack" | "UserLog"))
        .map(|(_, s)| s.bytes)
        .sum();
    let lists = 6;
    let per_list = 64 * 1024 * 2 + 32 * 1024 * 56;
    // The window: the synthetic workload's syscall exits come soon after their real return as
    // the producer that takes the goroutine back sees it, but the producers' clocks drift apart
    // (each thread runs at its own pace), so an exit may move back past many events: 72 bytes
    // each, held in buffers that grow by doubling (their capacity counts), so up to twice that.
    let window = 2 * 72 * window_events(&Trace::from_slice(&data).expect("parses"));
    let bound = lists * per_list + 100 * total / 10 + 8 * table_bytes as usize + window;
    assert!(peak <= bound, "peak {peak} bytes, bound {bound} (window {window})");
    // Decoding ahead holds at most one more decoded batch per list, and a read buffer.
    let bound_ahead = bound + lists * per_list;
    assert!(peak_ahead <= bound_ahead, "decoded ahead: peak {peak_ahead} bytes, bound {bound_ahead}");
    assert!(
        peak_ahead > peak,
        "decoded ahead: peak {peak_ahead} bytes, in place {peak}: the batches ahead are counted"
    );
    // Beyond the window, a fraction of what the events take.
    assert!(
        peak.saturating_sub(window) * 2 < whole_bytes,
        "peak {peak} bytes (window {window}), whole mode holds {whole_bytes} in events alone"
    );
}

/// Events a syscall exit of [`syscalls`] moves back past at least: more than the 2^18 events
/// the bounded reader's window held at most before it knew the exits' real times.
const CHURN: u64 = 300_000;

/// A trace written by the tracer on 2 Ps: goroutines 1 and 2 block in syscalls on P 0 at ticks
/// about 20 and 30; P 1 then runs 100 goroutines by turns (`GoStart`, `GoSched`: [`CHURN`]
/// events at one tick each, from tick 1000 on); goroutine 2 exits its syscall on P 0 two thirds
/// through, goroutine 1 after all of them. With `wait` 0 their real returns are 100 and 400
/// events into the churn, so at their real times the exits move back past about 200 000 and
/// 300 000 events (overlapping); with `wait` > 0 each exit's real time is `wait` ticks before
/// the exit is written: the syscalls are as long, but the exits move back past `wait` events at
/// most.
fn syscalls(version: Version, wait: u64) -> Vec<u8> {
    let tracer = Tracer::new(Vec::new(), TracerOptions::new(version).procs(2)).unwrap();
    let frame = |func| Frame { pc: 0x401000, func, file: "main.go", line: 7 };
    let worker = tracer.stack(&[frame("main.worker")]).unwrap();
    let sleeper = tracer.stack(&[frame("main.sleeper")]).unwrap();
    let (mut p0, mut p1) = (tracer.proc(0).unwrap(), tracer.proc(1).unwrap());
    p0.proc_start(10, 0).unwrap();
    p1.proc_start(10, 1).unwrap();
    let mut blocked = Vec::new();
    for t in [20, 30] {
        let g = p0.go_create(t, sleeper, writer::StackId::NONE).unwrap();
        p0.go_start(t + 1, g).map_err(|r| r.error).unwrap();
        p0.go_syscall(t + 2, writer::StackId::NONE).unwrap();
        blocked.push(p0.go_sys_block(t + 3).unwrap());
    }
    let mut ready: Vec<_> =
        (0..100).map(|i| p1.go_create(100 + i, worker, writer::StackId::NONE).unwrap()).collect();
    let (second, first) = (blocked.pop().unwrap(), blocked.pop().unwrap());
    let mut second = Some(second);
    let churn_start = 1000;
    let mut t = churn_start;
    for i in 0..CHURN / 2 {
        let g = ready.swap_remove(0);
        p1.go_start(t, g).map_err(|r| r.error).unwrap();
        ready.push(p1.go_sched(t + 1, writer::StackId::NONE).unwrap());
        t += 2;
        if i == CHURN / 3 {
            let g = second.take().unwrap();
            let real = if wait == 0 { churn_start + 400 } else { t - wait };
            let g = p0.go_sys_exit(t, g, real);
            p0.go_start(t + 1, g).map_err(|r| r.error).unwrap();
            p0.go_end(t + 2).unwrap();
        }
    }
    let real = if wait == 0 { churn_start + 100 } else { t - wait };
    let g = p0.go_sys_exit(t, first, real);
    p0.go_start(t + 1, g).map_err(|r| r.error).unwrap();
    p0.go_end(t + 2).unwrap();
    drop((p0, p1));
    tracer.finish().unwrap()
}

/// Where, in the whole-file order, each syscall exit is (`i`), and its goroutine's next
/// `GoStart` (`j`, written right after the exit): the events between are those the exit moved
/// back past.
fn exit_spans(trace: &Trace) -> Vec<(usize, usize)> {
    let v = trace.version();
    let events: Vec<&Event> = trace.events().collect();
    let mut spans = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        if ev.name(v) == "GoSysExit" {
            let g = ev.args()[0];
            let start = events[i..].iter().position(|e| e.name(v) == "GoStart" && e.g() == g).unwrap();
            spans.push((i, i + start));
        }
    }
    spans
}

/// How many events each syscall exit moved back past (see [`exit_spans`]).
fn exits_moved(trace: &Trace) -> Vec<usize> {
    exit_spans(trace).into_iter().map(|(i, j)| j - i - 1).collect()
}

/// The most events the bounded reader's window holds at once, by its documentation: while an
/// exit is not merged yet (it is, by its written time, just before its goroutine's start),
/// the events merged after its real time (after it, in the whole-file order); with exits
/// pending at once, from the earliest of them on.
fn window_events(trace: &Trace) -> usize {
    let spans = exit_spans(trace);
    let mut ends: Vec<(usize, usize)> = spans.iter().map(|&(i, j)| (j, i)).collect();
    ends.sort_unstable();
    let mut starts = spans;
    starts.sort_unstable();
    let (mut next_start, mut next_end) = (0, 0);
    let mut pending = std::collections::BTreeMap::<usize, usize>::new();
    let mut most = 0;
    for m in 0..trace.len() {
        while next_end < ends.len() && ends[next_end].0 == m {
            let i = ends[next_end].1;
            let count = pending.get_mut(&i).unwrap();
            *count -= 1;
            if *count == 0 {
                pending.remove(&i);
            }
            next_end += 1;
        }
        if let Some((&first, _)) = pending.first_key_value() {
            most = most.max(m - first);
        }
        while next_start < starts.len() && starts[next_start].0 == m {
            *pending.entry(m).or_default() += 1;
            next_start += 1;
        }
    }
    most
}

#[test]
fn exits_moving_back_past_any_window_keep_whole_mode_order() {
    for version in [Version::Go1_19, Version::Go1_21] {
        let data = syscalls(version, 0);
        // Hand check: the whole-file mode moved both exits back past more than 2^18 events, or
        // nearly as many (the second).
        let trace = Trace::from_slice(&data).unwrap();
        let mut moved = exits_moved(&trace);
        moved.sort_unstable();
        assert!(moved.len() == 2 && moved[0] > 190_000 && moved[1] > 1 << 18, "{version}: {moved:?}");
        let n = check(&format!("long syscalls {version}"), &data).unwrap();
        assert_eq!(n, trace.len());
    }
    // Go 1.19's own parser accepts the trace (and orders it).
    let Some(go) = gotool::require_go("1.19", true) else { return };
    let dir = std::env::temp_dir().join(format!("gotrace-bounded-syscalls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("syscalls.trace");
    std::fs::write(&file, syscalls(Version::Go1_19, 0)).unwrap();
    let mut tool = gotool::trace_tool(&go, "1.19", &dir);
    tool.args(["-d"]).arg(&file);
    let out = gotool::run_with_timeout(tool, std::time::Duration::from_secs(600), "go1.19 tool trace -d");
    let _ = std::fs::remove_dir_all(&dir);
    gotool::check(&out, "go1.19 tool trace -d");
    let lines = out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
    assert_eq!(lines, Trace::from_slice(&syscalls(Version::Go1_19, 0)).unwrap().len());
}

#[test]
fn long_syscalls_that_exit_soon_after_their_return_hold_nothing() {
    // The same syscalls, as long, but each exit written 3 ticks after its real return (a
    // moment's wait for a P): an exit moves back past the 2 or 3 events of P 1 since then (and
    // P 1's events at the exit's own ticks are between it and its goroutine's start).
    let data = syscalls(Version::Go1_19, 3);
    let trace = Trace::from_slice(&data).unwrap();
    assert!(exits_moved(&trace).iter().all(|&m| m <= 5), "{:?}", exits_moved(&trace));
    check("short waits", &data).unwrap();
    let mut reader = OrderedReader::from_slice(&data).unwrap();
    assert_eq!(reader.by_ref().map(Result::unwrap).count(), trace.len());
    // The documented bound with next to no window: per list (2 Ps, the CPU samples) one batch
    // decoded (64 KiB of at least 2 bytes an event, 56 bytes each), 100 bytes per goroutine id,
    // the tables (a few hundred bytes here), and 16 KiB for the rest. Holding the events from
    // the syscalls' blocks on (as a window that does not know the exits' real times must) would
    // take 72 bytes for each of the 300 000.
    let bound = 3 * 32 * 1024 * 56 + 100 * 110 + 16 * 1024;
    assert!(reader.peak_bytes() <= bound, "peak {} bytes, bound {bound}", reader.peak_bytes());
    assert!(bound < CHURN as usize * 72 / 3);
}

/// A file that loses its second half once the first pass read it whole: `Read + Seek` over the
/// first `len` bytes of `data`.
struct Shrinking<'a> {
    data: &'a [u8],
    len: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    at: u64,
}

impl std::io::Read for Shrinking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let len = self.len.load(std::sync::atomic::Ordering::Relaxed);
        let left = self.data.get(self.at as usize..len).unwrap_or(&[]);
        let n = left.len().min(buf.len());
        buf[..n].copy_from_slice(&left[..n]);
        self.at += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Shrinking<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let std::io::SeekFrom::Start(at) = to else { unreachable!("the reader seeks from the start") };
        self.at = at;
        Ok(at)
    }
}

#[test]
fn a_file_cut_between_the_passes_ends_the_events_with_an_error() {
    let data = read(&common::corpus_dir().join("go-testdata/http_1_19_good"));
    let read_cut = |ahead: bool| {
        let len = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(data.len()));
        let file = Shrinking { data: &data, len: len.clone(), at: 0 };
        std::thread::scope(|s| {
            let mut reader = OrderedReader::new(file).expect("the first pass reads the whole file");
            len.store(data.len() / 2, std::sync::atomic::Ordering::Relaxed);
            if ahead {
                reader = reader.decode_ahead(s);
            }
            let mut events = 0;
            for ev in reader {
                match ev {
                    Ok(_) => events += 1,
                    Err(e) => return (events, e),
                }
            }
            panic!("{events} events and no error from a file cut in half");
        })
    };
    let (events, err) = read_cut(false);
    assert_eq!(err.kind(), gotrace::format::ErrorKind::Io { kind: std::io::ErrorKind::UnexpectedEof });
    // The first batch past the cut fails: some events came out before it, and the error is at
    // a batch of the second half.
    assert!(events > 0 && err.offset() < data.len() as u64, "{events} events, then {err}");
    assert_eq!(read_cut(true), (events, err), "decoded ahead");
}
