//! Quoting of strings as Go's `%q` (`strconv.Quote`) does.

use std::io::{self, Write};

/// Writes `bytes` as a Go double-quoted string literal: printable characters as they are,
/// `\a \b \f \n \r \t \v \\ \"` escaped, other ASCII controls and invalid UTF-8 bytes as
/// `\xNN`, other non-printable characters as `\uNNNN` or `\UNNNNNNNN`.
///
/// "Printable" follows Go's `unicode.IsPrint` as far as Rust's standard library can classify
/// characters: control characters, white space other than the space, the Unicode format
/// characters, private-use characters and non-characters are escaped. Unassigned code points,
/// which Go also escapes, are printed as they are (std has no table of them).
pub fn write_quoted(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(b"\"")?;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\x07' => out.write_all(b"\\a")?,
                '\x08' => out.write_all(b"\\b")?,
                '\x0c' => out.write_all(b"\\f")?,
                '\n' => out.write_all(b"\\n")?,
                '\r' => out.write_all(b"\\r")?,
                '\t' => out.write_all(b"\\t")?,
                '\x0b' => out.write_all(b"\\v")?,
                '\\' => out.write_all(b"\\\\")?,
                '"' => out.write_all(b"\\\"")?,
                c if c < ' ' || c == '\x7f' => write!(out, "\\x{:02x}", c as u32)?,
                c if is_printable(c) => write!(out, "{c}")?,
                c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32)?,
                c => write!(out, "\\U{:08x}", c as u32)?,
            }
        }
        for b in chunk.invalid() {
            write!(out, "\\x{b:02x}")?;
        }
    }
    out.write_all(b"\"")
}

fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let u = c as u32;
    let format_char = matches!(u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f | 0x202a..=0x202e
        | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb | 0x110bd | 0x110cd
        | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f);
    let private_or_noncharacter =
        matches!(u, 0xe000..=0xf8ff | 0xf0000..=0x10ffff | 0xfdd0..=0xfdef) || u & 0xfffe == 0xfffe;
    !(c.is_control() || c.is_whitespace() || format_char || private_or_noncharacter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(b: &[u8]) -> String {
        let mut out = Vec::new();
        write_quoted(&mut out, b).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quotes_like_go() {
        // Expected outputs produced by Go 1.21's fmt.Sprintf("%q", ...) on the same bytes.
        assert_eq!(q(b"net/http.(*conn).serve"), r#""net/http.(*conn).serve""#);
        assert_eq!(q(b"a\"b\\c\n\t\x00\x7f"), r#""a\"b\\c\n\t\x00\x7f""#);
        assert_eq!(q("naïve — 日本語 🚀".as_bytes()), "\"naïve — 日本語 🚀\"");
        assert_eq!(q(b"\xff\xfeok"), r#""\xff\xfeok""#);
        assert_eq!(q("\u{200b}\u{a0}\u{2028}".as_bytes()), r#""\u200b\u00a0\u2028""#);
        assert_eq!(q("\u{e000}\u{10fffd}".as_bytes()), r#""\ue000\U0010fffd""#);
        assert_eq!(q(b"\x07\x08\x0c\r\x0b"), r#""\a\b\f\r\v""#);
        assert_eq!(q("\u{ad}\u{e0001}\u{3000}".as_bytes()), r#""\u00ad\U000e0001\u3000""#);
    }
}
