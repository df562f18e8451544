//! corpus/damaged/ and corpus/altered/: corpus traces damaged (or altered into other well-formed
//! traces) in known ways by scripts/make-damaged.py, each with Go's verdict (`go tool trace -d` of
//! Go 1.19, or 1.21 for 1.21 traces) in the directory's verdicts.tsv.
//!
//! Every file Go accepts, we accept; every file Go rejects, we reject, with Go's message once the
//! offsets Go embeds in its text are set aside (where one file holds two faults we may name the
//! earlier one, see below). `validate` here is what `gotrace validate` runs: the raw reader, the
//! census and the ordered parser.

mod common;

use common::{altered, damaged, Verdict};
use gotrace::format::{Category, Error, ErrorKind};
use gotrace::parser::legacy::Trace;
use gotrace::parser::Options;

fn rows() -> Vec<Verdict> {
    let mut rows = damaged();
    rows.extend(altered());
    rows
}

/// What `gotrace validate` does, through the library.
fn validate(data: &[u8], options: Options) -> Result<(), Error> {
    Trace::from_slice_with(data, options).map(drop)
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

#[test]
fn verdicts_match_go() {
    for row in rows() {
        let data = common::read(&row.path);
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
            panic!("Go rejects, we accept: {what}");
        };
        let go = without_offsets(&row.go_message);
        if go.starts_with("failed to read event") || go.starts_with("failed to read trace") {
            // Go's wording for a read past the end names a broken offset; ours says where.
            assert!(
                matches!(e.kind().category(), Category::Truncated | Category::Malformed),
                "Go hit the end of the file: {what}"
            );
        } else if go == e.message() {
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
}

#[test]
fn strict_never_accepts_less_than_default() {
    for row in rows() {
        let data = common::read(&row.path);
        if validate(&data, Options::default()).is_err() {
            assert!(validate(&data, Options::default().strict(true)).is_err(), "{}", row.name);
        }
    }
}
