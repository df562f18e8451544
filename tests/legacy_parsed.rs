//! Legacy traces in the modern event model: `gotrace dump --parsed` on a Go 1.11 – 1.21 trace
//! prints what Go 1.27's `go tool trace -d=parsed` printed for it (the goldens
//! `corpus/golden/<path>.parsed.gz`, recorded by `scripts/record-corpus.sh
//! --only-parsed-goldens`), up to Go's random order among equal times: the same multiset of
//! events (each without its time) and the same multiset of times. On the damaged corpus,
//! `dump --parsed` accepts what Go 1.27 accepts and rejects what it rejects
//! (`corpus/damaged/` and `corpus/altered/`, `verdicts-parsed.tsv`), but for the deviations listed below. Go 1.5 – 1.10
//! traces, which Go 1.27 refuses, convert by the same rules (checked against the legacy
//! events by hand-stated counts).

mod common;

use common::{gunzip, run_gotrace};
mod dump_compare;

use std::path::Path;
use std::process::Output;

use common::{corpus_dir, golden, hand_legacy, legacy_corpus, name, read};
use dump_compare::compare_parsed;
use gotrace::parser::convert::Converter;
use gotrace::parser::legacy::Trace;
use gotrace::parser::modern::EventKind;

/// The minor version the header of `data` names (`go 1.19 trace` → 19).
fn minor(data: &[u8]) -> u32 {
    let header = String::from_utf8_lossy(&data[..data.len().min(16)]).into_owned();
    let header = header.trim_end_matches('\0');
    header
        .strip_prefix("go 1.")
        .and_then(|s| s.strip_suffix(" trace"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn parsed(path: &Path) -> Output {
    run_gotrace(&["dump", "--parsed", path.to_str().unwrap()])
}

#[test]
fn dump_parsed_matches_go_1_27_on_every_legacy_trace() {
    let mut compared = 0;
    for path in legacy_corpus() {
        if !(11..=21).contains(&minor(&read(&path))) {
            continue;
        }
        let golden = golden(&path, "parsed.gz");
        let meta = std::fs::read_to_string(golden.with_extension("meta")).expect("a .parsed.meta per golden");
        assert!(meta.starts_with("go: go1.27"), "{}: {meta}", name(&path));
        assert_eq!(meta.lines().nth(1), Some("exit: 0"), "{}", name(&path));
        let out = parsed(&path);
        assert!(out.status.success(), "{}: {}", name(&path), String::from_utf8_lossy(&out.stderr));
        if let Some(diff) = compare_parsed(&out.stdout, &gunzip(&golden)) {
            panic!("{}: dump --parsed differs from Go 1.27's -d=parsed: {diff}", name(&path));
        }
        compared += 1;
    }
    // Go's 12 canned 1.11 - 1.21 traces, the 22 recordings of Go 1.19 and 1.21, the 2 hand-built.
    assert!(compared >= 36, "{compared} traces compared");
}

/// corpus/hand-legacy/: GC cycles on one P whose times reach i64::MAX, where the conversion
/// forces each time past the one before it; the closing Sync (sync-wraps) or the forced times
/// themselves (time-wraps) wrap to i64::MIN as Go's do. With one P and no two events at one
/// tick, Go's order is fixed, so the output must be Go 1.27's line for line.
#[test]
fn times_at_the_top_of_i64_wrap_as_go_1_27_wraps_them() {
    for path in hand_legacy() {
        let golden = golden(&path, "parsed.gz");
        let out = parsed(&path);
        assert!(out.status.success(), "{}: {}", name(&path), String::from_utf8_lossy(&out.stderr));
        let want = gunzip(&golden);
        assert!(
            String::from_utf8_lossy(&want).contains("Time=-9223372036854775"),
            "{}: no wrapped time",
            name(&path)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&want), "{}", name(&path));
    }
}

#[test]
fn dump_parsed_is_deterministic() {
    let path = corpus_dir().join("go-testdata/stress_1_19_good");
    let (a, b) = (parsed(&path), parsed(&path));
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

/// Damaged files where our verdict is not Go 1.27's, and why.
const DEVIATIONS: [(&str, &str); 2] = [
    // A CPU sample names g 5 before g 5 is created: Go 1.19's validation counts the sample's
    // goroutine as existing, Go 1.27's does not; gotrace's legacy reader follows Go 1.19.
    ("hand-g-already-exists", "rejects what Go 1.27 accepts"),
    // A varint with bits beyond 64: Go 1.19 reads it, Go 1.27 does not; gotrace reads it
    // (its strict mode rejects it).
    ("varint-beyond-64-bits", "accepts what Go 1.27 rejects"),
];

#[test]
fn damaged_traces_get_go_1_27_s_verdict() {
    let (mut agreed, mut panics) = (0, 0);
    for dir in ["damaged", "altered"] {
        let dir = corpus_dir().join(dir);
        let tsv = std::fs::read_to_string(dir.join("verdicts-parsed.tsv"))
            .unwrap_or_else(|e| panic!("{}/verdicts-parsed.tsv: {e}", dir.display()));
        for row in tsv.lines().skip(1) {
            let cols: Vec<&str> = row.split('\t').collect();
            let [file, go, exit, message] = cols[..] else { panic!("bad row {row:?}") };
            assert!(go.starts_with("go1.27"), "{row}");
            let path = dir.join(file);
            let version = minor(&read(&path));
            if !(11..=21).contains(&version) {
                // Go 1.27 refuses other versions; gotrace converts Go 1.5 - 1.10 traces too.
                continue;
            }
            let out = parsed(&path);
            let ours = out.status.code().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let deviates = DEVIATIONS.iter().any(|(f, _)| *f == file);
            match exit {
                "0" => assert_eq!(ours == 0, !deviates, "{file}: exit {ours}: {stderr}"),
                "1" => assert_eq!(ours == 1, !deviates, "{file}: exit {ours}, Go 1.27: {message}"),
                // Go 1.27 panics printing an event that names an undefined stack or string; we
                // stop there with an error in the panic's words.
                "2" => {
                    let text = message.strip_prefix("panic: ").expect("a panic");
                    assert_eq!(ours, 1, "{file}: {stderr}");
                    assert!(stderr.contains(text), "{file}: {stderr} does not say {text}");
                    panics += 1;
                }
                _ => panic!("{file}: exit {exit}"),
            }
            agreed += usize::from(!deviates);
        }
    }
    assert!(agreed >= 70 && panics == 2, "{agreed} verdicts agree, {panics} panics");
}

/// Go 1.5 – 1.10: Go 1.27 refuses them; the same conversion applies. Hand check against the
/// legacy events: every `GoStart` (or `GoStartLabel`) after the first `Gomaxprocs` becomes one
/// `Runnable->Running`
/// transition, every `GoEnd` one `Running->NotExist`, every `GoUnblock` one
/// `Waiting->Runnable`; times increase; a `Sync` comes first and last.
#[test]
fn old_versions_convert_by_the_same_rules() {
    let mut checked = 0;
    for path in legacy_corpus() {
        let data = read(&path);
        if minor(&data) > 10 || name(&path) == "stress_1_5_unordered" {
            continue;
        }
        let trace = Trace::from_slice(&data).unwrap_or_else(|e| panic!("{}: {e}", name(&path)));
        let v = trace.version();
        let gomaxprocs = trace.events().position(|e| e.name(v) == "Gomaxprocs").unwrap();
        let count = |n: &str, from: usize| trace.events().skip(from).filter(|e| e.name(v) == n).count();
        let starts = count("GoStart", gomaxprocs) + count("GoStartLabel", gomaxprocs);
        let (ends, unblocks) = (count("GoEnd", 0), count("GoUnblock", 0));

        let mut events = Converter::new(&trace).unwrap();
        let (mut last, mut kinds, mut lines) = (i64::MIN, Vec::new(), Vec::new());
        while let Some(e) = events.next_event().unwrap_or_else(|e| panic!("{}: {e}", name(&path))) {
            assert!(e.time() > last, "{}: times increase", name(&path));
            last = e.time();
            kinds.push(e.kind());
            let mut line = Vec::new();
            e.write_go(events.tables(), &mut line);
            lines.push(String::from_utf8_lossy(&line).into_owned());
        }
        let with = |s: &str| lines.iter().filter(|l| l.contains(s)).count();
        assert_eq!(with(" Runnable->Running "), starts, "{}", name(&path));
        assert_eq!(with(" Running->NotExist "), ends, "{}", name(&path));
        assert_eq!(with(" Waiting->Runnable "), unblocks, "{}", name(&path));
        assert_eq!((kinds[0], *kinds.last().unwrap()), (EventKind::Sync, EventKind::Sync));
        assert_eq!(kinds.iter().filter(|&&k| k == EventKind::Sync).count(), 2);

        let out = parsed(&path);
        assert!(out.status.success(), "{}: {}", name(&path), String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            lines.iter().map(|l| format!("{l}\n")).collect::<String>()
        );
        checked += 1;
    }
    assert!(checked >= 12, "{checked} traces of Go 1.5 - 1.10");
}
