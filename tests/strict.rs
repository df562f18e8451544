//! `--strict` (`Options::strict`): it rejects every file of corpus/damaged/ (damage a reader
//! can see), and accepts every trace a runtime or our writer wrote.
//!
//! corpus/altered/ holds the alterations that leave a well-formed trace, one a runtime could
//! have written: no check can tell them from real ones (a flipped bit inside a name, a timestamp
//! delta changed, a record doubled that a program may well write twice; verdicts.tsv says why
//! for each). Go accepts them, and strict mode must too.
//!
//! Modern traces (`gotrace::parser::modern::Strict`, after Go 1.27's verdict): strict mode
//! accepts every recorded modern trace and every synth trace of ours, and rejects what no
//! runtime writes though Go reads it — a batch size not padded to 10 bytes (Go's raw writer
//! writes them minimal: `gotrace text --to-binary`), a timestamp delta of 0, a generation that
//! skips one; the altered files of corpus/altered-modern/ it rejects are in
//! tests/damaged_modern.rs (their recorded verdicts).

mod common;
mod modern_common;

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

/// Strict mode's own checks on a modern trace (what `validate --strict` adds to Go's verdict).
fn modern_strict(data: &[u8]) -> Result<(), Error> {
    let mut strict = gotrace::parser::modern::Strict::new();
    for record in gotrace::parser::modern::RawEvents::new(data)? {
        strict.check(&record?)?;
    }
    Ok(())
}

#[test]
fn modern_strict_accepts_every_recorded_and_synth_trace() {
    for path in modern_common::modern_corpus() {
        modern_strict(&common::read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for version in [Version::Go1_23, Version::Go1_26] {
        for (procs, seed) in [(1, 1), (4, 2)] {
            let options = gotrace::writer::modern::synth::SynthOptions {
                procs,
                goroutines: 50,
                events: 100_000,
                version,
                seed,
                generation_bytes: Some(16 << 10),
            };
            let (data, stats) = gotrace::writer::modern::synth::run(Vec::new(), &options).expect("synth");
            assert!(stats.generations >= 2, "synth {version}: {} generation", stats.generations);
            modern_strict(&data).unwrap_or_else(|e| panic!("synth {version} {procs} Ps: {e}"));
        }
    }
}

/// Offset and value of the first timed event of `data` whose delta is the one byte 1.
fn first_delta_of_one(data: &[u8]) -> u64 {
    gotrace::parser::modern::RawEvents::new(data)
        .unwrap()
        .map(Result::unwrap)
        .find(|r| {
            r.event_type().is_timed() && r.varints().next().is_some_and(|v| v.value() == 1 && v.width() == 1)
        })
        .map(|r| r.offset())
        .expect("a delta of 1")
}

#[test]
fn modern_strict_rejects_what_no_runtime_writes() {
    use gotrace::format::modern::{self, EventType};
    let path = common::corpus_dir().join("recorded/go1.23/timers.trace");
    let data = common::read(&path);
    modern_strict(&data).unwrap();
    // A delta of 0 (the byte after the event's type).
    let at = first_delta_of_one(&data);
    let mut zero = data.clone();
    zero[at as usize + 1] = 0;
    let e = modern_strict(&zero).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::ZeroTimeDelta, at));
    // The last generation of a synth trace renumbered one past its number: a gap.
    let options = gotrace::writer::modern::synth::SynthOptions {
        procs: 2,
        goroutines: 20,
        events: 100_000,
        version: Version::Go1_23,
        seed: 3,
        generation_bytes: Some(16 << 10),
    };
    let (data, _) = gotrace::writer::modern::synth::run(Vec::new(), &options).expect("synth");
    modern_strict(&data).unwrap();
    let batches: Vec<(u64, u64)> = gotrace::parser::modern::RawEvents::new(&data)
        .unwrap()
        .map(Result::unwrap)
        .filter(|r| r.event_type() == EventType::EVENT_BATCH)
        .map(|r| (r.offset(), r.arg(0).unwrap()))
        .collect();
    let last = batches.iter().map(|b| b.1).max().unwrap();
    assert!((2..127).contains(&last), "generations of the synth trace: {last}");
    let mut gap = data.clone();
    for &(offset, gen) in &batches {
        if gen == last {
            gap[offset as usize + 1] = (last + 1) as u8; // a one-byte varint either way
        }
    }
    let first_of_last = batches.iter().find(|b| b.1 == last).unwrap().0;
    let e = modern_strict(&gap).unwrap_err();
    let kind = ErrorKind::Modern(modern::ErrorKind::GenerationGap { prev: last - 1, gen: last + 1 });
    assert_eq!((e.kind(), e.offset()), (kind, first_of_last));
    // Through the text form and back, batch sizes become minimal, as Go's raw writer writes them.
    let dir = std::env::temp_dir().join(format!("gotrace-strict-modern-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (text, binary) = (dir.join("t.txt"), dir.join("t.trace"));
    let out = std::process::Command::new(common::gotrace_bin()).arg("text").arg(&path).output().unwrap();
    assert!(out.status.success());
    std::fs::write(&text, out.stdout).unwrap();
    let status = std::process::Command::new(common::gotrace_bin())
        .args(["text", "--to-binary"])
        .arg(&text)
        .arg(&binary)
        .status();
    assert!(status.unwrap().success());
    let validate = |strict: bool| {
        let mut cmd = std::process::Command::new(common::gotrace_bin());
        cmd.arg("validate");
        if strict {
            cmd.arg("--strict");
        }
        cmd.arg(&binary).output().unwrap()
    };
    assert!(validate(false).status.success(), "Go's reader reads minimal batch sizes");
    let out = validate(true);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error at offset 16: batch size ") && stderr.ends_with(" not the runtime's 10\n"),
        "{stderr}"
    );
}
