//! Live tests against the Go toolchains: traces recorded now by Go 1.19 and Go 1.21 read
//! cleanly and rewrite byte for byte, and Go's own reader (`go tool trace -d`) agrees with our
//! verdicts, on those recordings and on the hand-built rejections.
//!
//! Toolchains are looked up at `/usr/lib/go-1.X/bin/go` and `/opt/goext/usr/lib/go-1.X/bin/go`.
//! With `CI=true` a missing required toolchain fails the test; elsewhere the test says it skips.

mod common;
mod gotool;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use common::{assert_reads_as, rejections, Shape, TempDir};
use gotool::{check, go_command, require_go, run_with_timeout, trace_tool};
use gotrace::format::legacy::RawEvent;
use gotrace::format::Version;
use gotrace::parser::legacy::RawEvents;
use gotrace::parser::Options;
use gotrace::writer::RawWriter;

/// Toolchains the project's tests need.
const REQUIRED: [&str; 5] = ["1.19", "1.21", "1.22", "1.23", "1.24"];

#[test]
fn required_toolchains_are_installed() {
    for version in REQUIRED {
        let Some(go) = require_go(version, true) else { continue };
        let out = Command::new(&go).arg("version").env("GOTOOLCHAIN", "local").output().expect("go version");
        check(&out, "go version");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("go{version}")), "{}: {text}", go.display());
    }
}

/// Two programs of `corpus/programs`: annotations.go and cpuprof.go when present, else the
/// first two by name.
fn programs() -> Vec<PathBuf> {
    let dir = common::corpus_dir().join("programs");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "go")).collect())
        .unwrap_or_default();
    all.sort();
    assert!(all.len() >= 2, "{} must hold at least two Go programs", dir.display());
    let preferred: Vec<PathBuf> =
        ["annotations.go", "cpuprof.go"].iter().map(|n| dir.join(n)).filter(|p| p.is_file()).collect();
    if preferred.len() == 2 {
        preferred
    } else {
        all.truncate(2);
        all
    }
}

/// Builds two corpus programs with Go `version`, records a trace with each, and checks that
/// we read it as Go does.
fn record_and_check(version: &str, want: Version) {
    let Some(go) = require_go(version, true) else { return };
    let tmp = TempDir::new(&format!("go{version}"));
    let gopath = tmp.path().join("gopath");
    let programs_dir = common::corpus_dir().join("programs");
    for program in programs() {
        let stem = program.file_stem().unwrap().to_string_lossy().into_owned();
        let bin = tmp.path().join(&stem);
        let mut build = go_command(&go, version, &gopath);
        build
            .current_dir(&programs_dir)
            .args(["build", "-trimpath", "-o"])
            .arg(&bin)
            .arg(format!("./{stem}.go"));
        check(
            &run_with_timeout(build, Duration::from_secs(240), "go build"),
            &format!("go{version} build {stem}"),
        );

        let trace = tmp.path().join(format!("{stem}.trace"));
        let mut cmd = Command::new(&bin);
        cmd.arg(&trace).current_dir(tmp.path()).env_remove("GODEBUG").env_remove("GOMAXPROCS");
        check(&run_with_timeout(cmd, Duration::from_secs(60), "run"), &format!("go{version} {stem}"));

        let data = common::read(&trace);
        let label = format!("go{version} {stem} ({} bytes)", data.len());
        let events = RawEvents::new(&data).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(events.version(), want, "{label}: version");
        let records: Vec<RawEvent<'_>> =
            events.map(|e| e.unwrap_or_else(|e| panic!("{label}: {e}"))).collect();

        // Byte-identical rewrite.
        let mut w = RawWriter::new(Vec::new(), want).unwrap();
        for r in &records {
            w.write(r).unwrap();
        }
        assert!(w.finish().unwrap() == data, "{label}: rewrite differs");

        // The three shapes agree, default and strict.
        for shape in [Shape::Stream, Shape::StreamBy(7), Shape::PushBy(7), Shape::PushBy(4096)] {
            assert_reads_as(shape, &data, Options::default(), &records, None, &label);
        }
        assert_reads_as(Shape::Slice, &data, Options::default().strict(true), &records, None, &label);

        // The census accepts it, and so does Go's own reader (same toolchain).
        common::census(&data, Options::default()).unwrap_or_else(|e| panic!("{label}: census: {e}"));
        let mut tool = trace_tool(&go, version, &gopath);
        tool.current_dir(tmp.path()).args(["-d"]).arg(&trace);
        let out = run_with_timeout(tool, Duration::from_secs(60), "go tool trace -d");
        check(&out, &format!("{label}: go tool trace -d"));
        assert!(!out.stdout.is_empty(), "{label}: go tool trace -d printed nothing");
    }
}

#[test]
fn fresh_go1_19_recordings() {
    record_and_check("1.19", Version::Go1_19);
}

#[test]
fn fresh_go1_21_recordings() {
    record_and_check("1.21", Version::Go1_21);
}

/// Go's message without the offsets its wording embeds (`at offset 0x1c`, `at offset 34`).
fn strip_offsets(message: &str) -> String {
    let words: Vec<&str> = message.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "at" && words.get(i + 1) == Some(&"offset") {
            // Keep the punctuation glued to the offset ("0x1c:").
            if let (Some(offset), Some(last)) = (words.get(i + 2), out.last_mut()) {
                if let Some(p) = offset.chars().last().filter(|c| matches!(c, ':' | ',')) {
                    *last = format!("{last}{p}");
                }
            }
            i += 3;
            continue;
        }
        out.push(words[i].to_string());
        i += 1;
    }
    out.join(" ")
}

/// Runs Go's reader of the file's era on `data`: Go 1.19's for headers up to 1.19 (and
/// anything that is not a 1.21 header), Go 1.21's for `go 1.21 trace`. `None` when that
/// toolchain is missing outside CI.
struct GoTool {
    go119: PathBuf,
    go121: Option<PathBuf>,
    tmp: TempDir,
}

impl GoTool {
    fn new() -> Option<GoTool> {
        let go119 = require_go("1.19", true)?;
        let go121 = require_go("1.21", true);
        Some(GoTool { go119, go121, tmp: TempDir::new("go-tool") })
    }

    fn run(&self, data: &[u8]) -> Option<(&'static str, Output)> {
        let (go, version) = if data.starts_with(b"go 1.21 trace") {
            (self.go121.as_ref()?, "1.21")
        } else {
            (&self.go119, "1.19")
        };
        let path = self.tmp.path().join("case.trace");
        std::fs::write(&path, data).unwrap();
        let mut tool = trace_tool(go, version, &self.tmp.path().join("gopath"));
        tool.current_dir(self.tmp.path()).args(["-d"]).arg(&path);
        Some((version, run_with_timeout(tool, Duration::from_secs(60), "go tool trace -d")))
    }
}

#[test]
fn go_accepts_what_we_accept() {
    // Odd but valid files (tests/rejections.rs checks that we accept them).
    let Some(tool) = GoTool::new() else { return };
    for (name, data) in common::acceptances() {
        if let Some((version, out)) = tool.run(&data) {
            check(&out, &format!("{name}: Go {version}"));
        }
    }
}

#[test]
fn go_rejects_what_we_reject() {
    let Some(tool) = GoTool::new() else { return };
    for case in rejections() {
        let Some((version, out)) = tool.run(&case.data) else { continue };
        assert!(
            !out.status.success(),
            "{} ({}): Go {version} accepts it, we reject it with {}",
            case.name,
            case.why,
            case.want
        );
    }
}

#[test]
fn go_words_rejections_as_we_do() {
    // Our messages follow Go's wording, without the offsets Go embeds in its text.
    let Some(tool) = GoTool::new() else { return };
    let mut differences = Vec::new();
    for case in rejections() {
        let Some((version, out)) = tool.run(&case.data) else { continue };
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Go's last line is "failed to parse trace: MESSAGE".
        let go_message = stderr
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("failed to parse trace: "))
            .map(strip_offsets)
            .unwrap_or_else(|| stderr.trim().to_string());
        let ours = case.want.message();
        if go_message != ours {
            differences.push(format!("{}: Go {version} says {go_message:?}, we say {ours:?}", case.name));
        }
    }
    assert!(differences.is_empty(), "messages differ from Go's:\n{}", differences.join("\n"));
}

#[test]
fn go_agrees_on_cut_corpus_files() {
    // Prefixes of small 1.19 and 1.21 traces: whenever we reject one, Go rejects it too, and
    // whenever Go accepts one, so do we. (Go also orders and validates, which the raw layer
    // does not do yet, so Go may reject a prefix we accept.) Cuts inside UserLog messages are
    // included: Go accepts the damage, and we must not reject the prefix for it.
    let Some(tool) = GoTool::new() else { return };
    let mut compared = 0;
    for name in ["user_task_region_1_19_good", "user_task_region_1_21_good"] {
        let data = common::testdata(name);
        let records: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
        let mut cuts: Vec<usize> = (0..data.len()).step_by(37).collect();
        for r in records.iter().filter(|r| r.event_type() == gotrace::format::legacy::EventType::USER_LOG) {
            let end = r.offset() as usize + r.encoded_len();
            cuts.extend([end - 1, end]);
        }
        // Around the Frequency record, where Go's verdict changes.
        let freq = records.iter().find(|r| r.event_type() == gotrace::format::legacy::EventType::FREQUENCY);
        let freq = freq.expect("a Frequency record");
        cuts.extend([freq.offset() as usize, freq.offset() as usize + freq.encoded_len()]);
        cuts.push(data.len());
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let prefix = &data[..cut];
            let Some((version, out)) = tool.run(prefix) else { continue };
            let ours = common::census(prefix, Options::default()).map(|_| ());
            let label = format!("{name} cut at {cut}: Go {version} {}, we {:?}", out.status, ours);
            if ours.is_err() {
                assert!(!out.status.success(), "{label}: we reject what Go accepts");
            }
            if out.status.success() {
                assert!(ours.is_ok(), "{label}");
            }
            compared += 1;
        }
    }
    assert!(compared > 50);
}
