//! corpus/damaged/: corpus traces damaged in known ways by scripts/make-damaged.py, each with
//! Go's verdict (`go tool trace -d` of Go 1.19, or 1.21 for 1.21 traces) in verdicts.tsv.
//!
//! What the raw layer and the census must already give: every file Go accepts, we accept; every
//! file Go rejects while reading records or checking the whole file (its messages below), we
//! reject, with Go's message once offsets are set aside. Go's ordering and validation verdicts
//! ("no consistent ordering of events possible", "time stamps out of order" after a clean read)
//! are the ordered parser's to match; the rows that need it are counted and printed.

use std::path::Path;

use gotrace::format::{Category, Error, ErrorKind};
use gotrace::parser::legacy::{Census, RawEvents};
use gotrace::parser::Options;

struct Row {
    name: String,
    go_exit: i32,
    go_message: String,
    description: String,
}

fn rows() -> Vec<Row> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/damaged");
    let tsv = std::fs::read_to_string(dir.join("verdicts.tsv")).expect("corpus/damaged/verdicts.tsv");
    let rows: Vec<Row> = tsv
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6, "verdicts.tsv line {line:?}");
            Row {
                name: f[0].to_string(),
                go_exit: f[3].parse().unwrap(),
                go_message: f[4].to_string(),
                description: f[5].to_string(),
            }
        })
        .collect();
    assert!(rows.len() >= 40, "corpus/damaged holds {} files", rows.len());
    rows
}

/// What `gotrace validate` does, through the library.
fn validate(data: &[u8], options: Options) -> Result<(), Error> {
    let events = RawEvents::with_options(data, options)?;
    let mut census = Census::with_options(events.version(), options);
    let mut end = 16;
    for ev in events {
        let ev = ev?;
        end = ev.offset() + ev.encoded_len() as u64;
        census.add(&ev)?;
    }
    census.finish(end)
}

/// Go's message without the offsets it embeds (in several formats).
fn without_offsets(go: &str) -> String {
    let mut s = go.to_string();
    for pat in [" at offset 0x", " at offset "] {
        while let Some(i) = s.find(pat) {
            let end = s[i + pat.len()..]
                .find(|c: char| !c.is_ascii_hexdigit())
                .map_or(s.len(), |j| i + pat.len() + j);
            s.replace_range(i..end, "");
        }
    }
    s
}

/// The offset Go's message names (hex after "0x", else decimal).
fn go_offset(go: &str) -> Option<u64> {
    let i = go.find(" at offset ")? + " at offset ".len();
    let rest = &go[i..];
    match rest.strip_prefix("0x") {
        Some(hex) => {
            u64::from_str_radix(&hex[..hex.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(hex.len())], 16)
                .ok()
        }
        None => rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())].parse().ok(),
    }
}

/// True for Go's messages from ordering and validation, which come after reading records and
/// checking the whole file.
fn ordering_level(go_message: &str) -> bool {
    const BEFORE_ORDERING: [&str; 12] = [
        "failed to read",
        "not a trace file",
        "unsupported trace file version",
        "unknown event type",
        "has wrong number of arguments",
        "event has wrong length",
        "EvStack has",
        "string at offset",
        "trace is empty",
        "no EvFrequency event",
        "unknown STW kind",
        "bad value",
    ];
    !BEFORE_ORDERING.iter().any(|m| go_message.contains(m))
}

#[test]
fn raw_and_census_verdicts_match_go() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/damaged");
    let mut left_to_ordering = Vec::new();
    for row in rows() {
        let data = std::fs::read(dir.join(&row.name)).unwrap();
        let ours = validate(&data, Options::default());
        let what = format!(
            "{} ({}): Go exit {} {:?}, ours {:?}",
            row.name, row.description, row.go_exit, row.go_message, ours
        );
        if row.go_exit == 0 {
            assert!(ours.is_ok(), "Go accepts, we reject: {what}");
            continue;
        }
        let Err(e) = ours else {
            assert!(ordering_level(&row.go_message), "Go rejects before ordering, we accept: {what}");
            left_to_ordering.push(row.name);
            continue;
        };
        let go = without_offsets(&row.go_message);
        if go.starts_with("failed to read event") || go.starts_with("failed to read trace") {
            // Go's wording for a read past the end names a broken offset; ours says where.
            assert!(
                matches!(e.kind().category(), Category::Truncated | Category::Malformed),
                "Go hit the end of the file: {what}"
            );
        } else if go == e.message() || (ordering_level(&row.go_message) && e.message() == go) {
            // Same fault, same words.
        } else {
            // Two faults in one file: Go reads every record before it checks value counts, so it
            // stumbles on a later framing fault first; we check each record as it comes and name
            // the earlier one (the record actually damaged). Both reject.
            let count_fault = matches!(
                e.kind(),
                ErrorKind::WrongArgCount { .. }
                    | ErrorKind::StackWrongArgCount { .. }
                    | ErrorKind::StackTooShort { .. }
                    | ErrorKind::StackTooDeep { .. }
            );
            let go_later = go_offset(&row.go_message).is_some_and(|go| go > e.offset());
            assert!(count_fault && go_later, "different message: {what} (Go, offsets removed: {go:?})");
        }
    }
    println!(
        "{} damaged files rejected by Go's ordering or validation, left to the ordered parser: {:?}",
        left_to_ordering.len(),
        left_to_ordering
    );
}

#[test]
fn strict_never_accepts_less_than_default() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/damaged");
    for row in rows() {
        let data = std::fs::read(dir.join(&row.name)).unwrap();
        if validate(&data, Options::default()).is_err() {
            assert!(validate(&data, Options::default().strict(true)).is_err(), "{}", row.name);
        }
    }
}
