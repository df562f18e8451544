//! Quoting of strings as Go's `%q` (`strconv.Quote`) does: see [`gotrace_format::quote`].

use std::io::{self, Write};

/// Writes `bytes` as a Go double-quoted string literal ([`gotrace_format::quote::quote_to`]).
pub fn write_quoted(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(gotrace_format::quote::quote(bytes).as_bytes())
}
