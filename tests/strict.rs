//! `--strict` (`Options::strict`): it rejects every file of corpus/damaged/ (damage a reader
//! can see), and accepts every trace a runtime or our writer wrote.
//!
//! corpus/altered/ holds the alterations that leave a well-formed trace, one a runtime could
//! have written: no check can tell them from real ones (a flipped bit inside a name, a timestamp
//! delta changed, a record doubled that a program may well write twice; verdicts.tsv says why
//! for each). Go accepts them, and strict mode must too.

mod common;

use gotrace::format::legacy::EventType;
use gotrace::format::{Error, ErrorKind, Version};
use gotrace::parser::legacy::Trace;
use gotrace::parser::Options;
use gotrace::writer::synth::{self, SynthOptions};

fn strict(data: &[u8]) -> Result<Trace, Error> {
    Trace::from_slice_with(data, Options::default().strict(true))
}

#[test]
fn strict_rejects_every_damaged_file() {
    let accepted: Vec<String> = common::damaged()
        .into_iter()
        .filter(|f| strict(&common::read(&f.path)).is_ok())
        .map(|f| f.name)
        .collect();
    assert!(accepted.is_empty(), "damaged files strict mode accepts: {accepted:?}");
}

#[test]
fn strict_accepts_every_well_formed_alteration() {
    for f in common::altered() {
        assert_eq!(f.go_exit, 0, "{}: Go rejects an alteration said to be well-formed", f.name);
        if let Err(e) = strict(&common::read(&f.path)) {
            panic!("{} ({}): strict says {e}", f.name, f.description);
        }
    }
}

/// The kind and offset of the strict verdict on a damaged file.
fn verdict(name: &str) -> (ErrorKind, u64) {
    let e = strict(&std::fs::read(common::corpus_dir().join("damaged").join(name)).unwrap()).unwrap_err();
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
    let data = std::fs::read(common::corpus_dir().join("damaged/dt-zero-batch-start")).unwrap();
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
        for entry in std::fs::read_dir(common::corpus_dir().join(dir)).unwrap() {
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
