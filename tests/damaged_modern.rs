//! corpus/damaged-modern/ and corpus/altered-modern/: modern corpus traces (Go 1.22+) damaged
//! or altered in known ways by scripts/make-damaged.py, each with the verdict of Go 1.27's
//! `go tool trace -d=parsed` in the directory's verdicts.tsv: truncations, batch headers with
//! absurd sizes and generations, batches and records deleted or doubled, table entries over
//! Go's caps, unknown event types, bit flips.
//!
//! Every file Go reads, we read; every file Go rejects, we reject with Go's whole error text
//! (for "failed to advance", the state Go dumps after it, which lists goroutines, Ps and threads
//! in random order: ours lists them by id, so those lines are compared as sets);
//! and `gotrace validate` says so with exit 0, or exit 1 and `error at offset N: MESSAGE`, N
//! within the file, never a panic. `validate --strict` rejects every damaged file with Go's
//! verdict, and the altered files no runtime writes with its own (as recorded).

mod common;

use std::process::Command;

use common::{altered_modern, damaged_modern, gotrace_bin, read, unescape, Verdict};
use gotrace::format::Error;
use gotrace::parser::modern::Reader;

/// The events of a modern trace, as `gotrace validate` reads them.
fn read_all(data: &[u8]) -> Result<usize, Error> {
    let mut reader = Reader::new(data)?;
    let mut n = 0;
    while reader.next_event()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// A "failed to advance" message with the lines of its goroutine, P and thread sections sorted:
/// Go lists those in its maps' random order (the header, the frontier and the GC line keep
/// theirs). Other messages as they are.
fn canonical(message: &str) -> String {
    if !message.starts_with("broken trace: failed to advance") {
        return message.to_string();
    }
    let mut sections: Vec<String> = message.split("\n\n").map(str::to_string).collect();
    let last = sections.len().saturating_sub(2); // "GC ..." and the empty tail keep their place
    for section in sections.iter_mut().take(last).skip(2) {
        let mut lines: Vec<&str> = section.lines().collect();
        lines.sort_unstable();
        *section = lines.join("\n");
    }
    sections.join("\n\n")
}

fn all() -> Vec<(Verdict, bool)> {
    let damaged = damaged_modern().into_iter().map(|v| (v, true));
    damaged.chain(altered_modern().into_iter().map(|v| (v, false))).collect()
}

#[test]
fn verdicts_match_go_1_27() {
    let mut differ = Vec::new();
    for (row, is_damage) in all() {
        assert_eq!(row.go_exit != 0, is_damage, "{}: in the wrong directory", row.name);
        let data = read(&row.path);
        let go = unescape(&row.go_message);
        match (row.go_exit, read_all(&data)) {
            (0, Ok(_)) => {}
            (0, Err(e)) => differ.push(format!("{}: Go reads it, we say {e}", row.name)),
            (_, Ok(_)) => differ.push(format!("{}: Go says {go:?}, we read it", row.name)),
            (_, Err(e)) => {
                assert!(e.offset() <= data.len() as u64, "{}: offset {} past the end", row.name, e.offset());
                if canonical(&e.message()) != canonical(&go) {
                    differ.push(format!(
                        "{} ({}):\n  Go:  {go:?}\n  ours: {:?}",
                        row.name,
                        row.description,
                        e.message()
                    ));
                }
            }
        }
    }
    assert!(differ.is_empty(), "{} files differ from Go 1.27:\n{}", differ.len(), differ.join("\n"));
}

#[test]
fn validate_exits_with_the_verdict_and_never_panics() {
    for (row, is_damage) in all() {
        for strict in [false, true] {
            let mut cmd = Command::new(gotrace_bin());
            cmd.arg("validate");
            if strict {
                cmd.arg("--strict");
            }
            let out = cmd.arg(&row.path).output().expect("run gotrace");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let label = format!("{} strict={strict}", row.name);
            assert!(out.stdout.is_empty(), "{label}");
            if !is_damage {
                // Go reads it; strict mode rejects what no runtime writes, as recorded.
                let recorded = row.recorded_stderr(strict);
                assert_eq!(out.status.code(), Some(i32::from(!recorded.is_empty())), "{label}: {stderr}");
                assert_eq!(stderr, recorded, "{label}: recorded verdict");
                continue;
            }
            assert_eq!(out.status.code(), Some(1), "{label}: {stderr}");
            let e = read_all(&read(&row.path)).unwrap_err();
            assert_eq!(stderr, format!("error at offset {}: {}\n", e.offset(), e.message()), "{label}");
            // As when the corpus was made, but for the random order of Go's state dumps.
            assert_eq!(
                canonical(&stderr),
                canonical(&row.recorded_stderr(strict)),
                "{label}: recorded verdict"
            );
        }
    }
}
