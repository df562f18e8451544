//! Helpers shared by the integration tests: the legacy corpus, owned snapshots of raw events,
//! the three reader shapes driven in every chunking, a trickling `Read`, hand-built records, a
//! per-thread allocation tracker, and the CLI binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use gotrace::format::legacy::{EventType, RawEvent};
use gotrace::format::{Error, Version};
use gotrace::parser::legacy::{Census, RawEvents};
use gotrace::parser::Options;
use gotrace::selfcheck::{self, Feed};

/// Fewest go-testdata traces the corpus must hold (Go's 25 canned legacy traces).
pub const MIN_GO_TESTDATA: usize = 25;

/// `corpus/` of the checkout.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn sorted_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("read a corpus directory entry").path())
        .filter(|p| p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
        .collect();
    out.sort();
    out
}

/// Go's canned legacy traces: `corpus/go-testdata/*_good` and `stress_1_5_unordered`.
/// Panics when fewer than [`MIN_GO_TESTDATA`] are found (a broken checkout must not pass).
pub fn go_testdata() -> Vec<PathBuf> {
    let dir = corpus_dir().join("go-testdata");
    let files = sorted_files(&dir, |n| n.ends_with("_good") || n == "stress_1_5_unordered");
    assert!(
        files.len() >= MIN_GO_TESTDATA,
        "{} holds {} legacy traces, expected at least {MIN_GO_TESTDATA}",
        dir.display(),
        files.len()
    );
    files
}

/// Legacy traces recorded with Go 1.19 and Go 1.21 (`corpus/recorded/go1.{19,21}/*.trace`);
/// possibly none yet.
pub fn recorded_legacy() -> Vec<PathBuf> {
    ["go1.19", "go1.21"].iter().flat_map(|v| recorded(v)).collect()
}

/// The traces recorded with one Go release (`corpus/recorded/go1.N/*.trace`, `release`
/// `go1.N`), sorted; possibly none.
pub fn recorded(release: &str) -> Vec<PathBuf> {
    sorted_files(&corpus_dir().join("recorded").join(release), |n| n.ends_with(".trace"))
}

/// The legacy traces built by `scripts/make-damaged.py --hand-legacy` to reach times no runtime
/// writes (`corpus/hand-legacy/*.trace`).
pub fn hand_legacy() -> Vec<PathBuf> {
    let files = sorted_files(&corpus_dir().join("hand-legacy"), |n| n.ends_with(".trace"));
    assert!(files.len() >= 2, "corpus/hand-legacy holds {} traces, expected 2", files.len());
    files
}

/// Every legacy trace of the corpus: go-testdata, the recordings, then the hand-built ones.
pub fn legacy_corpus() -> Vec<PathBuf> {
    let mut all = go_testdata();
    all.extend(recorded_legacy());
    all.extend(hand_legacy());
    all
}

/// A file of `corpus/damaged/` or `corpus/altered/` with Go's verdict on it, as the directory's
/// `verdicts.tsv` gives it (`scripts/make-damaged.py` writes both directories).
pub struct Verdict {
    pub path: PathBuf,
    pub name: String,
    /// Exit status of Go's `go tool trace -d` (0: Go accepts the file).
    pub go_exit: i32,
    /// Go's `failed to parse trace: ...` text (modern: Go 1.27's whole error text, newlines,
    /// tabs and backslashes escaped as `\n`, `\t` and `\\`); empty when Go accepts.
    pub go_message: String,
    pub description: String,
    /// What `gotrace validate` said when the file was made: `ok`, or its error line (escaped as
    /// `go_message`).
    pub ours: String,
    /// The same of `gotrace validate --strict`.
    pub ours_strict: String,
}

impl Verdict {
    /// The recorded verdict of `gotrace validate` (`strict`: with `--strict`) as the command
    /// prints it on stderr: nothing, or the error line.
    pub fn recorded_stderr(&self, strict: bool) -> String {
        match if strict { &self.ours_strict } else { &self.ours }.as_str() {
            "ok" => String::new(),
            field => unescape(field) + "\n",
        }
    }
}

/// A verdicts.tsv field unescaped: `\n`, `\t` and `\\` back to a newline, a tab, a backslash.
pub fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            other => panic!("bad escape \\{other:?} in {field:?}"),
        }
    }
    out
}

fn verdicts(dir: &str, at_least: usize) -> Vec<Verdict> {
    let dir = corpus_dir().join(dir);
    let tsv = std::fs::read_to_string(dir.join("verdicts.tsv"))
        .unwrap_or_else(|e| panic!("read {}/verdicts.tsv: {e}", dir.display()));
    let rows: Vec<Verdict> = tsv
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 8, "verdicts.tsv line {line:?}");
            Verdict {
                path: dir.join(f[0]),
                name: f[0].to_string(),
                go_exit: f[3].parse().unwrap(),
                go_message: f[4].to_string(),
                description: f[5].to_string(),
                ours: f[6].to_string(),
                ours_strict: f[7].to_string(),
            }
        })
        .collect();
    assert!(rows.len() >= at_least, "{} holds {} files", dir.display(), rows.len());
    rows
}

/// `corpus/damaged/`: legacy traces damaged in ways a reader can see (at least 40 files).
pub fn damaged() -> Vec<Verdict> {
    verdicts("damaged", 40)
}

/// `corpus/altered/`: legacy traces altered so that they stay well-formed, traces a runtime
/// could have written (Go accepts them; so must strict mode).
pub fn altered() -> Vec<Verdict> {
    verdicts("altered", 8)
}

/// `corpus/damaged-modern/`: modern traces (Go 1.22+) damaged in ways Go 1.27's reader rejects.
pub fn damaged_modern() -> Vec<Verdict> {
    verdicts("damaged-modern", 40)
}

/// `corpus/altered-modern/`: modern traces altered so that Go 1.27's reader still reads them.
pub fn altered_modern() -> Vec<Verdict> {
    verdicts("altered-modern", 1)
}

/// One go-testdata file by name.
pub fn testdata(name: &str) -> Vec<u8> {
    read(&corpus_dir().join("go-testdata").join(name))
}

/// The golden of corpus file `path` with `suffix` (`parsed.gz`, `d.meta`, ...):
/// `corpus/golden/<path below corpus>.<suffix>`.
pub fn golden(path: &Path, suffix: &str) -> PathBuf {
    let rel = path.strip_prefix(corpus_dir()).expect("a corpus file");
    corpus_dir().join("golden").join(format!("{}.{suffix}", rel.display()))
}

/// The bytes of a gzipped golden.
pub fn gunzip(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("gunzip {}: {e}", path.display()));
    out
}

/// Runs the CLI binary with `args`.
pub fn run_gotrace(args: &[&str]) -> std::process::Output {
    Command::new(gotrace_bin()).args(args).output().expect("run gotrace")
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Short display name of a corpus path (`go1.19/annotations.trace`, `http_1_19_good`).
pub fn name(path: &Path) -> String {
    let file = path.file_name().unwrap().to_string_lossy();
    match path.parent().and_then(|p| p.file_name()) {
        Some(dir) if dir != "go-testdata" => format!("{}/{file}", dir.to_string_lossy()),
        _ => file.into_owned(),
    }
}

/// An owned copy of every field of a raw event, for comparisons across reader shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ev {
    pub offset: u64,
    pub type_byte: u8,
    /// Length prefix: value and encoded width.
    pub length: Option<(u64, u8)>,
    pub values: Vec<u64>,
    pub value_bytes: Vec<u8>,
    pub text: Option<Txt>,
    pub encoded_len: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txt {
    /// Length value, width, terminated.
    pub len: (u64, u8, bool),
    pub bytes: Vec<u8>,
    pub complete: bool,
}

impl Ev {
    pub fn of(e: &RawEvent<'_>) -> Ev {
        let values: Vec<u64> = e.values().collect();
        assert_eq!(values.len(), e.value_count() as usize, "value_count of {e:?}");
        Ev {
            offset: e.offset(),
            type_byte: e.type_byte(),
            length: e.length().map(|l| (l.value(), l.width())),
            values,
            value_bytes: e.value_bytes().to_vec(),
            text: e.text().map(|t| Txt {
                len: (t.len_varint().value(), t.len_varint().width(), t.len_varint().is_terminated()),
                bytes: t.bytes().to_vec(),
                complete: t.is_complete(),
            }),
            encoded_len: e.encoded_len(),
        }
    }

    pub fn code(&self) -> u8 {
        self.type_byte & 0x3f
    }

    pub fn end(&self) -> u64 {
        self.offset + self.encoded_len as u64
    }

    /// Bytes from the record's start to the end of its values (its whole length but for a
    /// `UserLog` message or a `String` text).
    pub fn head_len(&self) -> usize {
        self.encoded_len - self.text.as_ref().map_or(0, |t| usize::from(t.len.1) + t.bytes.len())
    }
}

/// What a reader produced: the events before the first error, and that error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub version: Option<Version>,
    pub events: Vec<Ev>,
    pub error: Option<Error>,
}

impl Outcome {
    /// Event count per type code.
    pub fn counts(&self) -> BTreeMap<u8, usize> {
        let mut m = BTreeMap::new();
        for e in &self.events {
            *m.entry(e.code()).or_default() += 1;
        }
        m
    }

    /// Panics unless the read ended cleanly.
    pub fn ok(self, what: &str) -> Outcome {
        if let Some(e) = self.error {
            panic!("{what}: unexpected error {e}");
        }
        self
    }
}

/// How a trace is fed to a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `RawEvents` over the whole slice.
    Slice,
    /// `RawReader` over a `&[u8]` (as much per read as asked).
    Stream,
    /// `RawReader` over a reader giving at most this many bytes per read.
    StreamBy(usize),
    /// `RawParser` fed chunks of this many bytes.
    PushBy(usize),
}

/// Every shape the tests compare: the slice, the stream whole and by 1 and 7 bytes, the push
/// parser by 1, 7 and 4096 bytes.
pub const SHAPES: [Shape; 7] = [
    Shape::Slice,
    Shape::Stream,
    Shape::StreamBy(1),
    Shape::StreamBy(7),
    Shape::PushBy(1),
    Shape::PushBy(7),
    Shape::PushBy(4096),
];

/// Reads `data` in `shape`, handing every event to `f`; returns the version (once the header
/// was read) and the error that ended the read, if any.
pub fn visit(
    shape: Shape,
    data: &[u8],
    options: Options,
    f: impl FnMut(&RawEvent<'_>),
) -> (Option<Version>, Option<Error>) {
    match shape {
        Shape::Slice => selfcheck::visit(data, Feed::Slice, options, f),
        Shape::Stream => selfcheck::visit(data, Feed::Stream(&[usize::MAX]), options, f),
        Shape::StreamBy(k) => selfcheck::visit(data, Feed::Stream(&[k]), options, f),
        Shape::PushBy(k) => selfcheck::visit(data, Feed::Push(&[k]), options, f),
    }
}

/// Reads `data` in `shape` into owned events.
pub fn read_with(shape: Shape, data: &[u8], options: Options) -> Outcome {
    let mut events = Vec::new();
    let (version, error) = visit(shape, data, options, |e| events.push(Ev::of(e)));
    Outcome { version, events, error }
}

pub fn read_slice(data: &[u8], options: Options) -> Outcome {
    read_with(Shape::Slice, data, options)
}

/// Reads `data` in `shape` and checks, without copying, that it gives exactly `reference`
/// and then `error`.
pub fn assert_reads_as(
    shape: Shape,
    data: &[u8],
    options: Options,
    reference: &[RawEvent<'_>],
    error: Option<Error>,
    label: &str,
) {
    let mut i = 0;
    let (_, got_error) = visit(shape, data, options, |e| {
        match reference.get(i) {
            Some(want) => assert_eq!(e, want, "{label} {shape:?}: record {i}"),
            None => panic!("{label} {shape:?}: extra record {e:?}"),
        }
        i += 1;
    });
    assert_eq!(i, reference.len(), "{label} {shape:?}: record count");
    assert_eq!(got_error, error, "{label} {shape:?}: error");
}

/// Reads `data` with the slice reader and runs the census (with the same options) over it;
/// the census verdict (`finish(data.len())`) or the first error: what `gotrace validate`
/// says.
pub fn census(data: &[u8], options: Options) -> Result<Census, Error> {
    let events = RawEvents::with_options(data, options)?;
    let mut census = Census::with_options(events.version(), options);
    for ev in events {
        census.add(&ev?)?;
    }
    census.finish(data.len() as u64)?;
    Ok(census)
}

/// Minimal LEB128 encoding.
pub fn uv(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    gotrace::format::varint::write(&mut out, v);
    out
}

/// A hand-built trace: header, then records appended by the builder methods.
pub struct TraceBuilder {
    pub bytes: Vec<u8>,
    pub version: Version,
}

impl TraceBuilder {
    pub fn new(version: Version) -> TraceBuilder {
        TraceBuilder { bytes: version.header().to_vec(), version }
    }

    /// Offset the next record starts at.
    pub fn offset(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Appends raw bytes; returns their offset.
    pub fn raw(&mut self, bytes: &[u8]) -> u64 {
        let at = self.offset();
        self.bytes.extend_from_slice(bytes);
        at
    }

    /// An event with the writer convention: inline for up to 3 values (ver ≥ 1.7) or 4 (1.5),
    /// else count code 3 and a length prefix. Returns its offset.
    pub fn event(&mut self, t: EventType, values: &[u64]) -> u64 {
        let inline_max = if self.version < Version::Go1_7 { 4 } else { 3 };
        let base = if self.version < Version::Go1_7 { 2 } else { 1 };
        let body: Vec<u8> = values.iter().flat_map(|&v| uv(v)).collect();
        let mut rec = Vec::new();
        if values.len() <= inline_max && values.len() >= base {
            rec.push(t.code() | (((values.len() - base) as u8) << 6));
        } else {
            rec.push(t.code() | 0xc0);
            rec.extend(uv(body.len() as u64));
        }
        rec.extend(body);
        self.raw(&rec)
    }

    /// A `String` record.
    pub fn string(&mut self, id: u64, text: &[u8]) -> u64 {
        let mut rec = vec![EventType::STRING.code()];
        rec.extend(uv(id));
        rec.extend(uv(text.len() as u64));
        rec.extend_from_slice(text);
        self.raw(&rec)
    }

    /// `Batch [p, ticks]` (1.7+).
    pub fn batch(&mut self, p: u64, ticks: u64) -> u64 {
        self.event(EventType::BATCH, &[p, ticks])
    }

    pub fn frequency(&mut self, freq: u64) -> u64 {
        self.event(EventType::FREQUENCY, &[freq])
    }

    pub fn build(self) -> Vec<u8> {
        self.bytes
    }
}

/// A minimal well-formed 1.19 trace: a batch, a ProcStart and a Frequency.
pub fn minimal_1_19() -> TraceBuilder {
    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    b.event(EventType::PROC_START, &[5, 1]);
    b.frequency(15_625_000);
    b
}

/// A global allocator that records, per thread, the largest single allocation since the last
/// [`alloc_track::reset`]. A test binary opts in with
/// `#[global_allocator] static A: common::alloc_track::Tracking = common::alloc_track::Tracking;`.
pub mod alloc_track {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LARGEST: Cell<usize> = const { Cell::new(0) };
        /// Bytes this thread holds (allocated less freed) and their peak since `reset`.
        static LIVE: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
        static BASE: Cell<isize> = const { Cell::new(0) };
    }

    fn note(size: usize) {
        let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    }

    fn held(delta: isize) {
        let _ = LIVE.try_with(|l| {
            l.set(l.get() + delta);
            let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
        });
    }

    pub struct Tracking;

    // SAFETY: every call is forwarded to the system allocator unchanged.
    unsafe impl GlobalAlloc for Tracking {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            held(layout.size() as isize);
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            note(layout.size());
            held(layout.size() as isize);
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note(new_size);
            held(new_size as isize - layout.size() as isize);
            // SAFETY: same contract as the caller's.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            held(-(layout.size() as isize));
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// Forgets what this thread allocated so far.
    pub fn reset() {
        LARGEST.with(|l| l.set(0));
        let live = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(live));
        BASE.with(|b| b.set(live));
    }

    /// Most bytes this thread held at once since `reset`, beyond what it held then.
    pub fn peak() -> usize {
        (PEAK.with(Cell::get) - BASE.with(Cell::get)).max(0) as usize
    }

    /// Largest single allocation (or reallocation target) of this thread since `reset`.
    pub fn largest() -> usize {
        LARGEST.with(Cell::get)
    }

    /// Runs `f` and returns its result and the largest allocation it made on this thread.
    pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
        reset();
        let out = f();
        (out, largest())
    }
}

/// The `gotrace` binary of this build, (re)built once per test process with `cargo build -p
/// gotrace-cli` into the target directory and profile this test executable belongs to, so
/// that it is never stale (the binary belongs to another package, so `CARGO_BIN_EXE_gotrace`
/// is not available here, and `cargo test` does not rebuild it by itself).
pub fn gotrace_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let mut dir = exe.parent().expect("test executable directory");
        if dir.file_name().is_some_and(|n| n == "deps") {
            dir = dir.parent().expect("profile directory");
        }
        let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug").to_string();
        let target_dir = dir.parent().expect("target directory");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "gotrace-cli", "--bin", "gotrace"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CARGO_TARGET_DIR", target_dir);
        match profile.as_str() {
            // `cargo test` builds with the `test` profile, whose output directory is `debug`:
            // building the binary with it reuses the libraries the tests were built with.
            "debug" => {
                cmd.args(["--profile", "test"]);
            }
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let out = cmd.output().expect("run cargo build -p gotrace-cli");
        assert!(
            out.status.success(),
            "cargo build -p gotrace-cli failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = dir.join(format!("gotrace{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.is_file(), "{} missing after cargo build", bin.display());
        bin
    })
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("gotrace-{tag}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where a rejection is found: by the raw readers, or by the census over their records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Raw,
    Census,
}

/// A hand-built file Go's reader rejects, with the error gotrace must give.
pub struct Rejection {
    pub name: &'static str,
    /// Why Go rejects it, with the section of the spec (shared/spec/legacy-format.md).
    pub why: &'static str,
    pub data: Vec<u8>,
    pub stage: Stage,
    pub want: Error,
}

/// Every hand-built rejection case.
pub fn rejections() -> Vec<Rejection> {
    use gotrace::format::ErrorKind as K;
    let mut out = Vec::new();
    let mut add = |name, why, data: Vec<u8>, stage, offset: u64, kind| {
        out.push(Rejection { name, why, data, stage, want: Error::new(offset, kind) });
    };
    let raw = Stage::Raw;

    add(
        "empty file",
        "§1.1: the 16-byte header cannot be read",
        Vec::new(),
        raw,
        0,
        K::HeaderTruncated { read: 0 },
    );
    add(
        "10-byte file",
        "§1.1: `failed to read header: read 10`",
        b"go 1.19 tr".to_vec(),
        raw,
        10,
        K::HeaderTruncated { read: 10 },
    );
    add("bad magic", "§1.1: not `go 1.N trace`", b"not a trace file".to_vec(), raw, 0, K::BadHeader);
    add(
        "header with minor 0",
        "§1.1: the first minor digit must be 1-9",
        b"go 1.05 trace\0\0\0".to_vec(),
        raw,
        0,
        K::BadHeader,
    );
    add(
        "go 1.20 trace",
        "§1.2: no Go release wrote 1.20; Go 1.20 wrote `go 1.19 trace`",
        b"go 1.20 trace\0\0\0".to_vec(),
        raw,
        0,
        K::UnsupportedVersion { number: 1020 },
    );

    // §2.2: type 0, types ≥ 50 and types newer than the file's version are unknown.
    for (name, version, byte) in [
        ("event type 0", Version::Go1_19, 0x00u8),
        ("event type 50", Version::Go1_19, 0x32),
        ("event type 63", Version::Go1_19, 0xff),
        ("event type 49 (CPUSample) in a 1.11 file", Version::Go1_11, 0x31),
        ("event type 37 (String) in a 1.5 file", Version::Go1_5, 0x25),
        ("event type 41 (GoStartLabel) in a 1.7 file", Version::Go1_7, 0x29),
        ("event type 0 in a 1.21 file", Version::Go1_21, 0x00),
    ] {
        let mut b = TraceBuilder::new(version);
        if version < Version::Go1_7 {
            b.event(EventType::BATCH, &[0, 1, 1000]);
        } else {
            b.batch(0, 1000);
        }
        let at = b.raw(&[byte, 1, 1, 1]);
        add(name, "§2.2: unknown event type", b.build(), raw, at, K::UnknownEventType { code: byte & 0x3f });
    }

    let mut b = minimal_1_19();
    let at = b.raw(&[0x0e, 0x05]); // GoStart, count code 0: one value
    add(
        "GoStart with count code 0",
        "§2.3, §4.2: GoStart has 3 values in 1.19",
        b.build(),
        raw,
        at,
        K::WrongArgCount { event: EventType::GO_START, want: 3, got: 1 },
    );

    let mut b = minimal_1_19();
    let at = b.raw(&[0xcd, 0x04, 0x07, 0x01, 0x02, 0x81, 0x01]); // GoCreate, L=4, last value 2 bytes
    add(
        "values overrun the length prefix",
        "§2.3: `event has wrong length`: values must end exactly at L",
        b.build(),
        raw,
        at,
        K::WrongLength { want: 4, got: 5 },
    );

    let mut b = minimal_1_19();
    let at = b.raw(&[0xc3, 0x03, 0x01, 0xe9, 0x07]); // Stack [id=1, n=1001]
    add(
        "stack of 1001 frames",
        "§2.5: `EvStack has bad number of frames` above 1000",
        b.build(),
        raw,
        at,
        K::StackTooDeep { frames: 1001 },
    );

    let mut b = minimal_1_19();
    let at = b.raw(&[0xc3, 0x06, 0x01, 0x02, 0x10, 0x01, 0x02, 0x03]); // n=2 but one frame
    add(
        "stack with a wrong value count",
        "§2.5: 2 + 4n values for n frames",
        b.build(),
        raw,
        at,
        K::StackWrongArgCount { want: 10, got: 6 },
    );

    let mut b = minimal_1_19();
    let at = b.raw(&[0xc3, 0x01, 0x01]); // Stack [id=1]
    add("stack with one value", "§2.5: fewer than 2 values", b.build(), raw, at, K::StackTooShort { got: 1 });

    let mut b = minimal_1_19();
    let at = b.string(0, b"a");
    add("string id 0", "§2.4: id 0 is the implicit empty string", b.build(), raw, at, K::StringIdZero);

    let mut b = minimal_1_19();
    let at = b.raw(&[0x25, 0x01, 0x00]);
    add("string length 0", "§2.4: `invalid length 0`", b.build(), raw, at, K::StringEmpty);

    let mut b = minimal_1_19();
    let at = b.raw(&[0x25, 0x01]);
    b.raw(&uv(1_000_001));
    b.raw(b"abc");
    add(
        "string length 1000001",
        "§2.4: `too large length` above 1 000 000",
        b.build(),
        raw,
        at,
        K::StringTooLong { len: 1_000_001 },
    );

    let census = Stage::Census;
    let mut b = minimal_1_19();
    b.string(1, b"a");
    let at = b.string(1, b"b");
    add(
        "duplicate string id",
        "§2.4: `string has duplicate id`",
        b.build(),
        census,
        at,
        K::StringDuplicate { id: 1 },
    );

    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    b.event(EventType::PROC_START, &[5, 1]);
    let at = b.frequency(0);
    add("frequency 0", "§3.2: frequency <= 0 is ErrTimeOrder", b.build(), census, at, K::TimeOrder);

    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    b.event(EventType::PROC_START, &[5, 1]);
    let at = b.frequency(1 << 63);
    add(
        "negative frequency",
        "§3.2: frequency is signed; <= 0 is ErrTimeOrder",
        b.build(),
        census,
        at,
        K::TimeOrder,
    );

    let mut b = TraceBuilder::new(Version::Go1_10);
    b.batch(0, 1000);
    let at = b.event(EventType::STW_START, &[5, 2]);
    b.event(EventType::STW_DONE, &[5]);
    b.frequency(15_625_000);
    add(
        "STW kind 2 in a 1.10 file",
        "§4.3: 1.10-1.19 know kinds 0 and 1 only",
        b.build(),
        census,
        at,
        K::UnknownStwKind { kind: 2 },
    );

    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    b.frequency(15_625_000);
    let len = b.offset();
    add(
        "only a batch and a frequency",
        "§6: `trace is empty` without events",
        b.build(),
        census,
        len,
        K::TraceEmpty,
    );

    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    b.event(EventType::PROC_START, &[5, 1]);
    let len = b.offset();
    add("no frequency", "§3.2, §6: `no EvFrequency event`", b.build(), census, len, K::NoFrequency);

    out
}

/// Hand-built files Go's reader accepts although they look odd: gotrace must accept them too.
pub fn acceptances() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = vec![("minimal 1.19 trace", minimal_1_19().build())];
    // §4.3: kind 2 is "GC sweep termination" in 1.21, out-of-range kinds are "unknown";
    // 1.10-1.19 know 0 and 1.
    for (name, version, kind) in [
        ("1.21 STW kind 2", Version::Go1_21, 2),
        ("1.21 STW kind 99", Version::Go1_21, 99),
        ("1.10 STW kind 1", Version::Go1_10, 1),
    ] {
        let mut b = TraceBuilder::new(version);
        b.batch(0, 1000);
        b.event(EventType::STW_START, &[5, kind]);
        b.event(EventType::STW_DONE, &[5]);
        b.frequency(15_625_000);
        out.push((name, b.build()));
    }
    // §2.5, §14.7: stacks with id 0 or no frames are ignored; duplicate stack ids overwrite.
    let mut b = minimal_1_19();
    b.raw(&[0xc3, 0x02, 0x00, 0x00]);
    b.raw(&[0xc3, 0x02, 0x05, 0x00]);
    b.raw(&[0xc3, 0x02, 0x05, 0x00]);
    out.push(("stacks with id 0, no frames, duplicate ids", b.build()));
    // §2.1: bits beyond 64 in a 10th byte are dropped; non-minimal encodings are accepted.
    let mut b = minimal_1_19();
    b.raw(&[0x06, 0x85, 0x80, 0x00]); // ProcStop [dt=5 in 3 bytes]
    b.raw(&[0x45, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]); // ProcStart, thread 2^64-1
    out.push(("padded and overflowing varints", b.build()));
    // §2.4: the count bits of a String record's type byte are ignored.
    let mut b = minimal_1_19();
    b.raw(&[0xe5, 0x01, 0x01, b'a']);
    out.push(("string record with count bits set", b.build()));
    // §2.6: Go ignores every error reading a UserLog message.
    for (name, _, data) in damaged_user_logs() {
        out.push((name, data));
    }
    out
}

/// `UserLog` records whose message is damaged in the ways Go tolerates (spec 2.6): name, offset
/// of the UserLog record, file. Each is `minimal_1_19()` followed by a UserLog
/// `[dt=5, task=1, key=0, stk=0]` and a damaged message, sometimes a ProcStop after it.
pub fn damaged_user_logs() -> Vec<(&'static str, u64, Vec<u8>)> {
    let user_log = |tail: &[u8]| {
        let mut b = minimal_1_19();
        let at = b.raw(&[0xf0, 0x04, 0x05, 0x01, 0x00, 0x00]);
        b.raw(tail);
        (at, b.build())
    };
    let mut out = Vec::new();
    let mut add = |name, tail: Vec<u8>| {
        let (at, data) = user_log(&tail);
        out.push((name, at, data));
    };
    // Go reads on after the 10 bytes.
    let mut t = vec![0x80; 10];
    t.extend([0x06, 0x05]);
    add("UserLog message length of 10 continued bytes", t);
    // Go reads on right after the length.
    let mut t = uv(1_000_001);
    t.extend([0x06, 0x05]);
    add("UserLog message length over 1000000", t);
    let mut t = uv(5);
    t.extend(b"ab");
    add("UserLog message cut by the end of the file", t);
    add("UserLog message length cut by the end of the file", vec![0x85, 0x81]);
    add("UserLog without its message length at the end of the file", Vec::new());
    out
}
