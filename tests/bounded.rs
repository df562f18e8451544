//! The bounded-memory ordered reader (`OrderedReader`) against the whole-file mode (`Trace`),
//! which the goldens hold to Go: on every legacy corpus trace and every damaged file, the same
//! events in the same order (every field), the same links (rebuilt from `linked_from`), the
//! same stacks, and the same error with the same offset; over a slice and over a `Read + Seek`.
//! And the bound: on a large synthetic trace, the reader's own accounting stays within what
//! its documentation lists, far below what the events take.

mod common;

use std::io::Cursor;
use std::path::PathBuf;

use common::{legacy_corpus, name, read};
use gotrace::format::{Error, Version};
use gotrace::parser::legacy::{
    Census, Event, Input, OrderedReader, RawEvents, StackId, Trace, REORDER_WINDOW,
};
use gotrace::writer::synth::{self, SynthOptions};

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

/// Both inputs of the bounded mode agree with the whole-file mode on `data`.
fn check(label: &str, data: &[u8]) -> Result<usize, String> {
    let want = whole(data);
    let from_slice = bounded(OrderedReader::from_slice(data));
    let from_seek = bounded(OrderedReader::new(Cursor::new(data)));
    for (how, got) in [("slice", &from_slice), ("seek", &from_seek)] {
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
    let mut reader = OrderedReader::new(Cursor::new(&data)).expect("a synthetic trace reads");
    let total = reader.total_events();
    let mut count = 0;
    for ev in reader.by_ref() {
        ev.expect("a synthetic trace orders and validates");
        count += 1;
    }
    assert!(count > 1_000_000 && count <= total);
    let whole_bytes = total * std::mem::size_of::<Event>();
    let peak = reader.peak_bytes();
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
    let bound = lists * per_list + REORDER_WINDOW * 72 + 100 * total / 10 + 8 * table_bytes as usize;
    assert!(peak <= bound, "peak {peak} bytes, bound {bound}");
    // The synthetic workload keeps goroutines in syscalls for long, so the window may fill
    // (18 MiB); the rest stays small.
    assert!(peak * 2 < whole_bytes, "peak {peak} bytes, whole mode holds {whole_bytes} in events alone");
    assert!(reader.bytes_held() <= peak);
}
