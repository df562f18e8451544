//! The command line on modern traces: `dump --wire` prints exactly what Go 1.27's
//! `go tool trace -d=wire` printed for every modern corpus trace (the goldens under
//! `corpus/golden/recorded/go1.2X/`), and `dump --raw`, `stats`, `rewrite`, `validate` and
//! `text` work on modern traces.

mod common;

use common::{gunzip, run_gotrace};
mod modern_common;

use std::path::Path;

use common::TempDir;
use gotrace::format::Version;
use gotrace::parser::modern::RawEvents;
use modern_common::{corpus_dir, go_tests, modern_corpus, name, read, txtar};

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn dump_wire_matches_go_1_27_on_every_modern_trace() {
    for path in modern_corpus() {
        let rel = path.strip_prefix(corpus_dir()).unwrap();
        let golden = corpus_dir().join("golden").join(format!("{}.wire.gz", rel.display()));
        let meta = std::fs::read_to_string(golden.with_extension("meta")).expect("a .wire.meta per golden");
        assert!(meta.starts_with("go: go1.27"), "{}: {meta}", name(&path));
        assert_eq!(meta.lines().nth(1), Some("exit: 0"), "{}", name(&path));
        let out = run_gotrace(&["dump", "--wire", arg(&path)]);
        assert!(out.status.success(), "{}: {}", name(&path), String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout == gunzip(&golden), "{}: dump --wire differs from Go 1.27's -d=wire", name(&path));
    }
}

#[test]
fn dump_wire_stops_where_go_does() {
    let dir = TempDir::new("modern-wire");
    // A 1.23 trace with an AllocFree event: Go 1.27's raw table for 23 stops at 49.
    let mut trace = Version::Go1_23.header().to_vec();
    trace.extend([1, 1, 1, 5, 9, 13, 1, 0, 1, 129, 1, 2, 3, 4]);
    let file = dir.path().join("af.trace");
    std::fs::write(&file, &trace).unwrap();
    let out = run_gotrace(&["dump", "--wire", arg(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "EventBatch gen=1 m=1 time=5 size=9\nProcStatus dt=1 p=0 pstatus=1\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "error at offset 25: invalid event type: 129\n");
    // gotrace's own raw layer reads it; the ordered reader, as Go 1.27's, wants a frequency.
    let out = run_gotrace(&["validate", arg(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "error at offset 30: no frequency event found\n");
    let raw = run_gotrace(&["dump", "--raw", arg(&file)]);
    assert!(
        String::from_utf8_lossy(&raw.stdout).ends_with("25 SpanAlloc dt=1 id=2 npages_value=3 kindclass=4\n")
    );
    // A legacy trace: Go's table for it is empty.
    let legacy = corpus_dir().join("go-testdata/http_1_19_good");
    let out = run_gotrace(&["dump", "--wire", arg(&legacy)]);
    assert_eq!((out.status.code(), out.stdout.len()), (Some(1), 0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "error at offset 16: invalid event type: 65\n");
}

#[test]
fn raw_commands_on_modern_traces() {
    let dir = TempDir::new("modern-cli");
    for dirname in ["go1.22", "go1.23", "go1.24", "go1.26", "go1.27"] {
        let path = corpus_dir().join("recorded").join(dirname).join("annotations.trace");
        let data = read(&path);
        let records = RawEvents::new(&data).unwrap().count();

        let raw = run_gotrace(&["dump", "--raw", arg(&path)]);
        assert!(raw.status.success(), "{}", name(&path));
        let text = String::from_utf8(raw.stdout).unwrap();
        assert_eq!(text.lines().count(), records, "{}", name(&path));
        assert!(text.starts_with("16 EventBatch gen="), "{}", name(&path));
        assert!(text.lines().any(|l| l.contains(" String id=") && l.contains(" data=\"")));
        assert!(text.lines().any(|l| l.contains(" Stack id=") && l.contains(" pc=")));

        let stats = run_gotrace(&["stats", "--json", arg(&path)]);
        assert!(stats.status.success(), "{}", name(&path));
        let json = String::from_utf8(stats.stdout).unwrap();
        let version = RawEvents::new(&data).unwrap().version();
        assert!(json.starts_with(&format!("{{\"version\":\"{version}\",\"file_bytes\":{},", data.len())));
        let total = format!("\"total\":{{\"count\":{records},\"bytes\":{}}}}}\n", data.len() - 16);
        assert!(json.ends_with(&total), "{}: {json}", name(&path));
        let table = run_gotrace(&["stats", arg(&path)]);
        assert!(String::from_utf8(table.stdout).unwrap().starts_with(&format!("version: {version}\n")));

        let out = dir.path().join("rewritten.trace");
        assert!(run_gotrace(&["rewrite", arg(&path), arg(&out)]).status.success());
        assert!(read(&out) == data, "{}: rewrite differs", name(&path));

        let validate = run_gotrace(&["validate", arg(&path)]);
        assert!(validate.status.success(), "{}: {}", name(&path), String::from_utf8_lossy(&validate.stderr));

        // text, then --to-binary, then text again: the same text.
        let text1 = run_gotrace(&["text", arg(&path)]);
        assert!(text1.status.success());
        assert!(text1.stdout.starts_with(format!("Trace Go{version}\n").as_bytes()));
        let txt = dir.path().join("t.txt");
        std::fs::write(&txt, &text1.stdout).unwrap();
        let bin = dir.path().join("t.trace");
        let conv = run_gotrace(&["text", "--to-binary", arg(&txt), arg(&bin)]);
        assert!(conv.status.success(), "{}", String::from_utf8_lossy(&conv.stderr));
        assert_eq!(run_gotrace(&["text", arg(&bin)]).stdout, text1.stdout, "{}", name(&path));
    }
}

#[test]
fn text_to_binary_of_go_test_traces() {
    let dir = TempDir::new("modern-text");
    let path = go_tests().into_iter().find(|p| name(p).ends_with("go125-sync.test")).unwrap();
    let (_, trace) = txtar(&String::from_utf8(read(&path)).unwrap());
    let txt = dir.path().join("sync.txt");
    std::fs::write(&txt, &trace).unwrap();
    let bin = dir.path().join("sync.trace");
    assert!(run_gotrace(&["text", "--to-binary", arg(&txt), arg(&bin)]).status.success());
    assert_eq!(&read(&bin)[..16], b"go 1.25 trace\0\0\0");
    assert_eq!(String::from_utf8(run_gotrace(&["text", arg(&bin)]).stdout).unwrap(), trace);
}

#[test]
fn modern_errors_and_usage() {
    let dir = TempDir::new("modern-errors");
    // A batch size of 2^40: refused before its body is read.
    let mut trace = Version::Go1_26.header().to_vec();
    trace.extend([1, 1, 1, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 13]);
    let file = dir.path().join("big.trace");
    std::fs::write(&file, &trace).unwrap();
    for cmd in [&["validate"][..], &["stats"], &["dump", "--raw"], &["dump", "--wire"], &["text"]] {
        let mut args = cmd.to_vec();
        args.push(arg(&file));
        let out = run_gotrace(&args);
        assert_eq!(out.status.code(), Some(1), "{cmd:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err, "error at offset 16: invalid batch size 1099511627776, maximum is 65536\n",
            "{cmd:?}"
        );
    }
    // A bad text: the line and Go's message.
    let txt = dir.path().join("bad.txt");
    std::fs::write(&txt, "Trace Go1.26\n# comment\nProcStop dt=x\n").unwrap();
    let out = run_gotrace(&["text", "--to-binary", arg(&txt), arg(&dir.path().join("x.trace"))]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error at line 3: reading args for ProcStop: failed to parse argument value \"x\" for arg \"dt\"\n"
    );
    // --to-binary needs its output, and the output needs --to-binary.
    assert_eq!(run_gotrace(&["text", "--to-binary", arg(&txt)]).status.code(), Some(2));
    assert_eq!(run_gotrace(&["text", arg(&txt), "out"]).status.code(), Some(2));
    assert_eq!(run_gotrace(&["dump", "--raw", "--wire", arg(&file)]).status.code(), Some(2));
}
