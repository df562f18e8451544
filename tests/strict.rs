//! `--strict` (`Options::strict`): it rejects every file of corpus/damaged/ whose damage a
//! reader can see, and accepts every trace a runtime or our writer wrote.
//!
//! A few damaged files are well-formed traces that a runtime could have written: no check
//! can tell them from real ones (a flipped bit inside a name, a timestamp delta changed, a
//! record doubled that a program may well write twice). They are listed below with the reason,
//! and the test demands that strict accepts exactly those.

use std::path::{Path, PathBuf};

use gotrace::format::legacy::EventType;
use gotrace::format::{Error, ErrorKind, Version};
use gotrace::parser::legacy::Trace;
use gotrace::parser::Options;
use gotrace::writer::synth::{self, SynthOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn strict(data: &[u8]) -> Result<Trace, Error> {
    Trace::from_slice_with(data, Options::default().strict(true))
}

/// Damaged files that are well-formed traces, and why no check can reject them.
const WELL_FORMED: [(&str, &str); 8] = [
    ("deleted-gowaiting", "a goroutine that stays runnable, never scheduled, is a state a short trace shows"),
    ("twice-syscall", "two fast syscalls in a row, equally long, are what a loop of syscalls writes"),
    ("twice-taskend", "user code may end a task twice; the runtime writes both ends"),
    ("flip-utr19-2", "a character changed inside a function name"),
    ("flip-http7-1", "a character changed inside a file name"),
    ("flip-http7-0", "a timestamp delta changed (294 to 1318 ticks)"),
    ("flip-http11-0", "a timestamp delta changed (5 to 13 ticks)"),
    ("flip-http11-2", "a frame's PC changed"),
];

#[test]
fn strict_rejects_every_damaged_file_but_the_well_formed_ones() {
    let dir = root().join("damaged");
    let tsv = std::fs::read_to_string(dir.join("verdicts.tsv")).unwrap();
    let mut accepted = Vec::new();
    let mut files = 0;
    for line in tsv.lines().skip(1) {
        let name = line.split('\t').next().unwrap();
        files += 1;
        if strict(&std::fs::read(dir.join(name)).unwrap()).is_ok() {
            accepted.push(name);
        }
    }
    assert!(files >= 80, "corpus/damaged holds {files} files");
    let mut want: Vec<&str> = WELL_FORMED.iter().map(|(n, _)| *n).collect();
    want.sort_unstable();
    accepted.sort_unstable();
    assert_eq!(accepted, want, "damaged files strict mode accepts");
}

/// The kind and offset of the strict verdict on a damaged file.
fn verdict(name: &str) -> (ErrorKind, u64) {
    let e = strict(&std::fs::read(root().join("damaged").join(name)).unwrap()).unwrap_err();
    (e.kind(), e.offset())
}

#[test]
fn each_check_on_the_damage_it_is_for() {
    // A 1.21 body under a 1.19 header: its stack lengths are padded to 10 bytes, which only
    // Go 1.21's runtime does. The first stack record is at 504 (`dump --raw`).
    assert_eq!(verdict("version-1.19-on-1.21"), (ErrorKind::NonMinimalVarint, 504));
    assert_eq!(verdict("frequency-1").0, ErrorKind::FrequencyTooLow { freq: 1 });
    // The damaged ProcStart: the one event of the file with a zero delta.
    let (kind, offset) = verdict("dt-zero-batch-start");
    assert_eq!(kind, ErrorKind::ZeroTimeDelta);
    let data = std::fs::read(root().join("damaged/dt-zero-batch-start")).unwrap();
    let zero: Vec<(u64, EventType)> = gotrace::parser::legacy::RawEvents::new(&data)
        .unwrap()
        .map(Result::unwrap)
        .filter(|e| e.event_type().has_timestamp() && e.value(0) == Some(0))
        .map(|e| (e.offset(), e.event_type()))
        .collect();
    assert_eq!(zero, [(offset, EventType::PROC_START)]);
    assert_eq!(verdict("cpusample-p-huge").0, ErrorKind::ProcBeyondGomaxprocs { p: 1_000_000, procs: 4 });
    let (kind, _) = verdict("deleted-gcdone");
    assert!(matches!(kind, ErrorKind::Unbalanced { start: EventType::GC_START, .. }), "{kind:?}");
    let (kind, _) = verdict("deleted-stwdone");
    assert!(matches!(kind, ErrorKind::Unbalanced { start: EventType::STW_START, .. }), "{kind:?}");
}

#[test]
fn strict_accepts_every_corpus_trace() {
    let mut n = 0;
    for dir in ["go-testdata", "recorded/go1.19", "recorded/go1.21"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !path.is_file() || name == "LICENSE" || name.ends_with("_unordered") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let header: [u8; 16] = data[..16].try_into().unwrap();
            if !gotrace::format::parse_header(&header).is_ok_and(Version::is_legacy) {
                continue;
            }
            strict(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
            n += 1;
        }
    }
    assert!(n >= 40, "{n} legacy corpus traces");
}

#[test]
fn strict_accepts_synth_traces() {
    for version in [Version::Go1_19, Version::Go1_21] {
        for (procs, seed) in [(1, 1), (4, 2), (8, 3)] {
            let options = SynthOptions { procs, goroutines: 50, events: 20_000, version, seed };
            let (data, _) = synth::run(Vec::new(), &options).expect("synth");
            strict(&data).unwrap_or_else(|e| panic!("synth {version} {procs} Ps: {e}"));
        }
    }
}
