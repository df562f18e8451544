//! The text form of modern raw records, as Go's `internal/trace/raw` package writes it (and
//! `go tool trace -d=wire` prints it): one line per record, `Name arg=value ...`, a stack's
//! frames on tab-indented lines of their own, a string's or an experimental batch's bytes on a
//! tab-indented `data="..."` line. A text trace starts with the line `Trace Go1.N`.

use crate::decimal::Decimal;
use crate::modern::{RawEvent, FRAME_FIELDS};
use crate::quote::quote_to;
use crate::Version;

/// How to write the data line of a record whose data is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EmptyData {
    /// Write `data=""`, so that the text reads back (gotrace's text form).
    Write,
    /// Leave the line out, as Go's raw reader and `go tool trace -d=wire` do for the bytes of a
    /// binary trace (Go's text reader then cannot read the record back).
    Omit,
}

/// The header line of a text trace of `version`, without its line end.
///
/// ```
/// assert_eq!(gotrace_format::modern::text_header(gotrace_format::Version::Go1_26), "Trace Go1.26");
/// ```
#[must_use]
pub fn text_header(version: Version) -> String {
    format!("Trace Go{version}")
}

/// Appends the text form of `event` to `out`, without the final line end.
///
/// ```
/// use gotrace_format::modern::{write_text, EmptyData, EventType, RawEvent};
/// use gotrace_format::{varint::Varint, Version};
/// let mut buf = Vec::new();
/// let ev = RawEvent::encode(0, Version::Go1_23, EventType::STRING, None,
///     [Varint::new(1)].into_iter(), Some((Varint::new(3), b"a\tb")), &mut buf);
/// let mut text = String::new();
/// write_text(&mut text, &ev, EmptyData::Write);
/// assert_eq!(text, "String id=1\n\tdata=\"a\\tb\"");
/// ```
pub fn write_text(out: &mut String, event: &RawEvent<'_>, empty: EmptyData) {
    let t = event.event_type();
    out.push_str(t.name());
    let names = t.arg_names();
    let mut args = event.args();
    for (name, value) in names.iter().zip(args.by_ref()) {
        out.push(' ');
        out.push_str(name);
        out.push('=');
        Decimal::new(value).push_to(out);
    }
    for (i, value) in args.enumerate() {
        out.push_str(if i % 4 == 0 { "\n\t" } else { " " });
        out.push_str(FRAME_FIELDS[i % 4]);
        out.push('=');
        Decimal::new(value).push_to(out);
    }
    if let Some(data) = event.data() {
        if !data.is_empty() || empty == EmptyData::Write {
            out.push_str("\n\tdata=");
            quote_to(out, data);
        }
    }
}
