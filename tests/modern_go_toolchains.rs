//! Live tests of the modern raw layer against the Go toolchains: a trace recorded now by each of
//! Go 1.22, 1.23, 1.24, 1.26 and 1.27 reads cleanly in every reader shape, rewrites byte for
//! byte, round-trips through the text form and passes `validate --strict`; and, with Go 1.27, `gotrace dump --wire` prints
//! exactly what `go tool trace -d=wire` prints on each, and our counts and minimal sizes per
//! type are those of `go tool trace -d=footprint`.
//!
//! Go 1.22, 1.23 and 1.24 are required when `CI=true`; elsewhere, and always for 1.26 and
//! 1.27, a missing toolchain makes the test say why it skips.

mod common;
mod gotool;
mod modern_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{gotrace_bin, TempDir};
use gotool::{check, go_command, require_go, run_with_timeout as run, trace_tool};
use gotrace::format::Version;
use gotrace::parser::modern::RawEvents;
use gotrace::selfcheck;
use modern_common::{corpus_dir, read};

/// (Go release, format version it writes, required in CI).
const TOOLCHAINS: [(&str, Version, bool); 5] = [
    ("1.22", Version::Go1_22, true),
    ("1.23", Version::Go1_23, true),
    ("1.24", Version::Go1_23, true),
    ("1.26", Version::Go1_26, false),
    ("1.27", Version::Go1_26, false),
];

/// Records `corpus/programs/annotations.go` with Go `version` into `dir`.
fn record(go: &Path, version: &str, dir: &Path) -> PathBuf {
    let gopath = dir.join("gopath");
    let bin = dir.join(format!("annotations-{version}"));
    let mut build = go_command(go, version, &gopath);
    build
        .current_dir(corpus_dir().join("programs"))
        .args(["build", "-trimpath", "-o"])
        .arg(&bin)
        .arg("./annotations.go");
    check(&run(build, Duration::from_secs(300), "go build"), &format!("go{version} build"));
    let trace = dir.join(format!("annotations-{version}.trace"));
    let mut cmd = Command::new(&bin);
    cmd.arg(&trace).current_dir(dir).env_remove("GODEBUG").env_remove("GOMAXPROCS");
    check(&run(cmd, Duration::from_secs(60), "run"), &format!("go{version} annotations"));
    trace
}

/// Go 1.27's `-d=footprint` table: per event name, count and bytes (rows of count 0 left out).
fn footprint(table: &str) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for line in table.lines().skip(2) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let n = fields.len();
        if n < 4 {
            continue;
        }
        let (Ok(bytes), Ok(count)) = (fields[n - 4].parse::<u64>(), fields[n - 2].parse::<u64>()) else {
            panic!("footprint row {line:?}");
        };
        if count > 0 {
            out.insert(fields[..n - 4].join(" "), (count, bytes));
        }
    }
    out
}

fn ours(data: &[u8]) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for ev in RawEvents::new(data).unwrap() {
        let ev = ev.unwrap();
        let e = out.entry(ev.name().to_string()).or_insert((0, 0));
        e.0 += 1;
        e.1 += ev.minimal_len() as u64;
    }
    out
}

#[test]
fn fresh_recordings_read_rewrite_and_match_go_1_27() {
    let tmp = TempDir::new("modern-live");
    let reference = require_go("1.27", false);
    std::thread::scope(|s| {
        for (version, want, required) in TOOLCHAINS {
            let Some(go) = require_go(version, required) else { continue };
            let (dir, reference) = (tmp.path(), reference.as_deref());
            s.spawn(move || {
                let trace = record(&go, version, dir);
                let data = read(&trace);
                let label = format!("go{version} annotations ({} bytes)", data.len());
                let events = RawEvents::new(&data).unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_eq!(events.version(), want, "{label}");
                let (_, error) = selfcheck::to_text(&data);
                assert_eq!(error, None, "{label}");
                selfcheck::modern_raw(&data, &[7, 250]);
                let strict = Command::new(gotrace_bin()).args(["validate", "--strict"]).arg(&trace).output();
                check(&strict.unwrap(), &format!("{label}: gotrace validate --strict"));

                let Some(go27) = reference else { return };
                let gopath = dir.join("gopath");
                let mut wire = trace_tool(go27, "1.27", &gopath);
                wire.current_dir(dir).args(["-d=wire"]).arg(&trace);
                let go_wire = run(wire, Duration::from_secs(300), "go tool trace -d=wire");
                check(&go_wire, &format!("{label}: go1.27 tool trace -d=wire"));
                let our_wire =
                    Command::new(gotrace_bin()).args(["dump", "--wire"]).arg(&trace).output().unwrap();
                check(&our_wire, &format!("{label}: gotrace dump --wire"));
                assert!(our_wire.stdout == go_wire.stdout, "{label}: dump --wire differs from Go 1.27");

                let mut fp = trace_tool(go27, "1.27", &gopath);
                fp.current_dir(dir).args(["-d=footprint"]).arg(&trace);
                let go_fp = run(fp, Duration::from_secs(300), "go tool trace -d=footprint");
                check(&go_fp, &format!("{label}: go1.27 tool trace -d=footprint"));
                assert_eq!(
                    ours(&data),
                    footprint(&String::from_utf8_lossy(&go_fp.stdout)),
                    "{label}: footprint"
                );
            });
        }
    });
}
