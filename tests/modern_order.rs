//! The ordered reader of modern traces against Go 1.27: every text test trace of Go's
//! (`corpus/go-testdata/tests/*.test`, each with Go's expected verdict) gets that verdict;
//! every modern corpus trace validates; `gotrace dump` (and `dump --parsed`) prints exactly
//! what Go 1.27's `go tool trace -d=parsed` printed for each (the goldens
//! `corpus/golden/recorded/go1.2X/NAME.trace.parsed.gz`, recorded by
//! `scripts/record-corpus.sh --only-parsed-goldens`); cut and damaged traces give errors with
//! offsets, never a panic.

mod common;

use common::{golden, gunzip, run_gotrace};
mod modern_common;

use gotrace::parser::modern::{EventKind, Reader};
use gotrace::selfcheck::from_text;
use modern_common::{corpus_dir, go_tests, hand_modern, modern_corpus, name, read, txtar};
use std::path::Path;

/// Reads every event; the count, or the error.
fn read_all(data: &[u8]) -> Result<usize, gotrace::format::Error> {
    let mut reader = Reader::new(data)?;
    let mut n = 0;
    while reader.next_event()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// Go's expectation patterns are regexps; those of its test traces are literal texts,
/// optionally between `.*`: the error must contain the text.
fn matches(pattern: &str, message: &str) -> bool {
    let literal = pattern.strip_prefix(".*").unwrap_or(pattern);
    let literal = literal.strip_suffix(".*").unwrap_or(literal);
    assert!(
        !literal.contains(['.', '*', '[', '(', '^', '$', '+', '?', '\\', '|']),
        "pattern {pattern:?} is more than a literal text: extend this matcher"
    );
    message.contains(literal)
}

#[test]
fn go_test_traces_get_go_s_verdict() {
    let (mut successes, mut failures) = (0, 0);
    for path in go_tests() {
        let content = String::from_utf8(read(&path)).unwrap();
        let (expect, text) = txtar(&content);
        let binary = from_text(&text);
        let result = read_all(&binary);
        let expect = expect.trim();
        if expect == "SUCCESS" {
            let n = result.unwrap_or_else(|e| panic!("{}: {e}", name(&path)));
            assert!(n > 2, "{}: {n} events", name(&path));
            successes += 1;
        } else {
            let pattern = expect.strip_prefix("FAILURE ").expect("SUCCESS or FAILURE").trim_matches('"');
            let e = result.expect_err(&name(&path));
            assert!(matches(pattern, &e.message()), "{}: {e} does not match {pattern}", name(&path));
            assert!(e.offset() <= binary.len() as u64, "{}: offset {}", name(&path), e.offset());
            failures += 1;
        }
    }
    assert_eq!((successes, failures), (20, 2));
}

#[test]
fn go_test_trace_semantics() {
    // go122-syscall-steal-proc-simple: a P stolen from a goroutine in a syscall; the steal is
    // a P transition Running -> Idle, the syscall's end a goroutine Syscall -> Runnable.
    let path = corpus_dir().join("go-testdata/tests/go122-syscall-steal-proc-simple.test");
    let (_, text) = txtar(&String::from_utf8(read(&path)).unwrap());
    let binary = from_text(&text);
    let mut reader = Reader::new(&binary[..]).unwrap();
    let mut lines = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        let mut s = Vec::new();
        ev.write_go(reader.tables(), &mut s);
        lines.push(String::from_utf8(s).unwrap());
    }
    let has = |want: &str| lines.iter().any(|l| l.contains(want));
    assert!(has("StateTransition Time=") && has("ProcID=0 Running->Idle"), "{lines:#?}");
    assert!(has("GoID=1 Syscall->Runnable"), "{lines:#?}");
    assert!(lines.first().unwrap().contains("Sync") && lines.last().unwrap().contains("Sync"));
}

#[test]
fn corpus_traces_validate_with_increasing_times() {
    for path in modern_corpus() {
        let data = read(&path);
        let mut reader = Reader::new(&data[..]).unwrap();
        let (mut last, mut syncs, mut n) = (i64::MIN, 0, 0);
        while let Some(ev) = reader.next_event().unwrap_or_else(|e| panic!("{}: {e}", name(&path))) {
            assert!(ev.time() > last, "{}: times increase", name(&path));
            last = ev.time();
            syncs += usize::from(ev.kind() == EventKind::Sync);
            n += 1;
        }
        assert!(syncs >= 2 && n > 500, "{}: {syncs} syncs, {n} events", name(&path));
        let out = run_gotrace(&["validate", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", name(&path), String::from_utf8_lossy(&out.stderr));
    }
}

/// What Go 1.27's `-d=parsed` printed for corpus file `path`, which it read to the end (its
/// golden's `.parsed.meta` says so).
fn go_1_27_parsed(path: &Path) -> Vec<u8> {
    let golden = golden(path, "parsed.gz");
    let meta = std::fs::read_to_string(golden.with_extension("meta")).expect("a .parsed.meta per golden");
    assert!(meta.starts_with("go: go1.27"), "{}: {meta}", name(path));
    assert_eq!(meta.lines().nth(1), Some("exit: 0"), "{}", name(path));
    gunzip(&golden)
}

/// Go's output has no ties to break here: its reader is deterministic on modern traces (the
/// frontier is a heap with fixed sift rules; the one unstable sort, of a stuck frontier, sorts
/// at most a dozen threads in these traces, where Go's sort is an insertion sort, stable as
/// ours). So the comparison is byte for byte.
#[test]
fn dump_matches_go_1_27_parsed_on_every_modern_trace() {
    for path in modern_corpus() {
        let want = go_1_27_parsed(&path);
        for args in [&["dump"][..], &["dump", "--parsed"]] {
            let mut args = args.to_vec();
            args.push(path.to_str().unwrap());
            let out = run_gotrace(&args);
            assert!(out.status.success(), "{}: {}", name(&path), String::from_utf8_lossy(&out.stderr));
            if out.stdout != want {
                let (a, b) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&want));
                let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
                panic!("{}: {args:?} differs from Go 1.27's -d=parsed at line {line:?}", name(&path));
            }
        }
    }
}

/// corpus/hand-modern/: traces written by hand in Go's text form to reach times no runtime
/// writes: tick counts whose nanoseconds leave i64's range (Go's float conversion gives
/// i64::MIN on amd64), and times that wrap past i64::MAX before Go forces them to increase.
/// Each NAME.trace is its text's binary, and `gotrace dump` prints what Go 1.27's
/// `-d=parsed` printed for it.
#[test]
fn hand_written_traces_match_go_1_27_parsed() {
    for text in hand_modern() {
        let trace = text.with_extension("trace");
        let binary = from_text(&String::from_utf8(read(&text)).unwrap());
        assert_eq!(binary, read(&trace), "{}: not the binary of its text", name(&trace));
        let out = run_gotrace(&["dump", trace.to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", name(&trace), String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&go_1_27_parsed(&trace)),
            "{}",
            name(&trace)
        );
    }
}

#[test]
fn cut_traces_end_in_errors_with_offsets() {
    // Every modern corpus trace of one program, cut at 64 places: an error within the file
    // (or, for a cut between generations, a clean read of fewer events), never a panic.
    for path in modern_corpus().iter().filter(|p| p.ends_with("annotations.trace")) {
        let data = read(path);
        let full = read_all(&data).unwrap();
        for k in 1..64 {
            let cut = 16 + (data.len() - 16) * k / 64;
            match read_all(&data[..cut]) {
                Ok(n) => assert!(n < full, "{} cut at {cut}: {n} events", name(path)),
                Err(e) => assert!(e.offset() <= cut as u64, "{} cut at {cut}: {e}", name(path)),
            }
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let path = corpus_dir().join("recorded/go1.23/chansel.trace");
    let data = read(&path);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..200 {
        let mut bad = data.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = 16 + (state as usize) % (bad.len() - 16);
            bad[at] ^= (state >> 32) as u8 | 1;
        }
        if let Err(e) = read_all(&bad) {
            assert!(e.offset() <= bad.len() as u64, "{e}");
            assert!(!e.message().is_empty());
        }
    }
}

#[test]
fn structural_errors_in_go_s_words() {
    // Built with the text form; each is what Go 1.27's reader says (checked by hand against
    // `go tool trace -d=parsed` on the same bytes).
    let cases = [
        ("Trace Go1.22\nEventBatch gen=1 m=0 time=0 size=1\nStrings\n", "no frequency event found"),
        (
            "Trace Go1.22\nEventBatch gen=1 m=0 time=0 size=5\nFrequency freq=15625000\nEventBatch gen=1 m=0 time=0 size=5\nFrequency freq=15625000\n",
            "found multiple frequency events",
        ),
        (
            "Trace Go1.22\nEventBatch gen=2 m=0 time=0 size=5\nFrequency freq=15625000\nEventBatch gen=1 m=0 time=0 size=5\nFrequency freq=15625000\n",
            "generations out of order",
        ),
        (
            "Trace Go1.22\nEventBatch gen=1 m=0 time=0 size=5\nFrequency freq=15625000\nEventBatch gen=1 m=0 time=0 size=9\nStrings\nString id=1\n\tdata=\"a\"\nString id=1\n\tdata=\"b\"\n",
            "multiple strings with the same ID: id=1, new=b, existing=a",
        ),
        (
            "Trace Go1.25\nEventBatch gen=1 m=0 time=0 size=6\nSync\nFrequency freq=15625000\n",
            "no clock snapshot event found",
        ),
    ];
    for (text, want) in cases {
        let binary = from_text(text);
        let e = read_all(&binary).expect_err(want);
        assert_eq!(e.message(), want, "{text}");
    }
}
