//! The whole-trace parse on two threads (`Options::threads`) against the one-thread parse: the
//! same events (every field), tables and frequency, or the same error at the same offset, on
//! every legacy corpus trace, every file of corpus/damaged and corpus/altered, in default and
//! strict mode, on cut and damaged copies of a few traces (errors found by either thread at
//! every place of a file), and on synthetic traces long enough that syscall exits move back
//! across the chunks the ordering hands over (a chunk handed over too early changes them).

mod common;

use std::io::Read;
use std::path::PathBuf;

use common::{altered, damaged, legacy_corpus, name, read};
use gotrace::format::{Error, Version};
use gotrace::parser::legacy::{Event, Trace};
use gotrace::parser::Options;
use gotrace::writer::synth::{self, SynthOptions};

/// The frames of a stack: pc, function, file, line.
type Frames = Vec<(u64, Vec<u8>, Vec<u8>, i64)>;

/// Everything a parse gives, owned, for comparison.
#[derive(Debug, PartialEq)]
struct Parsed {
    events: Vec<Event>,
    /// Per stack: Go's id and its frames.
    stacks: Vec<(u64, Frames)>,
    /// The string arguments of every event.
    strings: Vec<[Vec<u8>; 2]>,
    frequency: u64,
}

fn parse(data: &[u8], options: Options) -> Result<Parsed, Error> {
    Trace::from_slice_with(data, options).map(owned)
}

fn owned(trace: Trace) -> Parsed {
    let stacks = trace
        .stacks()
        .map(|(id, s)| {
            let frames = trace.stack(s).map(|f| (f.pc, f.func.to_vec(), f.file.to_vec(), f.line)).collect();
            (id, frames)
        })
        .collect();
    let strings = trace.events().map(|e| trace.string_args(e).map(<[u8]>::to_vec)).collect();
    Parsed { events: trace.events().copied().collect(), stacks, strings, frequency: trace.frequency() }
}

/// The two parses of `data` agree, in default and strict mode; returns whether they failed.
fn assert_same(what: &str, data: &[u8]) -> bool {
    let mut failed = false;
    for strict in [false, true] {
        let options = Options::default().strict(strict);
        let one = parse(data, options);
        let two = parse(data, options.threads(2));
        assert!(one == two, "{what} (strict {strict}): one thread {one:?}, two threads {two:?}");
        if let (Err(a), Err(b)) = (&one, &two) {
            // Error derives PartialEq; its text and offset too, to be plain.
            assert_eq!((a.offset(), a.to_string()), (b.offset(), b.to_string()), "{what}");
        }
        failed |= one.is_err();
    }
    failed
}

fn files() -> Vec<PathBuf> {
    let mut files = legacy_corpus();
    files.extend(damaged().into_iter().map(|v| v.path));
    files.extend(altered().into_iter().map(|v| v.path));
    files
}

#[test]
fn corpus_damaged_and_altered_parse_alike() {
    let files = files();
    let (mut ok, mut rejected) = (0, 0);
    for path in &files {
        if assert_same(&name(path), &read(path)) {
            rejected += 1;
        } else {
            ok += 1;
        }
    }
    // Both verdicts were seen: the comparison covered accepted and rejected traces.
    assert!(ok >= 25 && rejected >= 40, "{ok} accepted, {rejected} rejected");
}

#[test]
fn cut_and_damaged_copies_parse_alike() {
    // Errors of the raw reader and the census (this thread) at many places, among records the
    // other thread took: the first one in the file must win, as on one thread.
    for file in ["http_1_19_good", "http_1_11_good", "user_task_region_1_21_good", "stress_1_5_good"] {
        let data = common::testdata(file);
        let step = (data.len() / 97).max(1);
        for cut in (16..data.len()).step_by(step) {
            assert_same(&format!("{file} cut at {cut}"), &data[..cut]);
            let mut damaged = data.clone();
            damaged[cut] ^= 0xff;
            assert_same(&format!("{file} byte {cut} flipped"), &damaged);
        }
    }
}

/// A reader that gives a few bytes per read (1 to 13, in turn): the reading thread hands its
/// records over in blocks of what was read, so records are cut by block ends everywhere.
struct Trickle<'a> {
    data: &'a [u8],
    reads: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads += 1;
        let n = (self.reads % 13 + 1).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn records_cut_by_every_read_parse_alike() {
    let mut files: Vec<PathBuf> = ["http_1_19_good", "user_task_region_1_21_good", "stress_1_5_good"]
        .iter()
        .map(|f| common::corpus_dir().join("go-testdata").join(f))
        .collect();
    files.extend(damaged().into_iter().map(|v| v.path).step_by(4));
    let mut rejected = 0;
    for path in &files {
        let data = read(path);
        for strict in [false, true] {
            let options = Options::default().strict(strict);
            let one = parse(&data, options);
            let two = Trace::parse_with(Trickle { data: &data, reads: 0 }, options.threads(2)).map(owned);
            assert!(one == two, "{} (strict {strict}): one thread {one:?}, two threads {two:?}", name(path));
            rejected += usize::from(one.is_err());
        }
    }
    assert!(files.len() >= 13 && rejected >= 10, "{} files, {rejected} rejections", files.len());
}

/// Any count of threads asked gives the same parse (which count the parse takes is not seen in
/// its result: only the default of one and zero counting as one are).
#[test]
fn any_thread_count_parses_alike() {
    let data = common::testdata("http_1_19_good");
    let two = parse(&data, Options::default().threads(2)).unwrap();
    assert_eq!(parse(&data, Options::default().threads(8)).unwrap(), two);
    assert_eq!(parse(&data, Options::default().threads(0)).unwrap(), two);
    assert_eq!(Options::default().threads(0).get_threads(), 1);
    assert_eq!(Options::default().get_threads(), 1);
}

#[test]
fn synthetic_traces_parse_alike() {
    for version in [Version::Go1_19, Version::Go1_21] {
        let options = SynthOptions { goroutines: 2000, events: 400_000, version, ..SynthOptions::default() };
        let (data, _) = synth::run(Vec::new(), &options).expect("synth");
        assert!(!assert_same(&format!("synthetic {version} trace"), &data), "a synthetic trace parses");
    }
}
