//! Go string literals: quoting as Go's `strconv.Quote` (and `%q`) does, and unquoting as
//! `strconv.Unquote` does. The text forms of traces quote strings this way.

/// Appends `bytes` to `out` as a Go double-quoted string literal: printable characters as they
/// are, `\a \b \f \n \r \t \v \\ \"` escaped, other ASCII controls and invalid UTF-8 bytes as
/// `\xNN`, other non-printable characters as `\uNNNN` or `\UNNNNNNNN`.
///
/// "Printable" follows Go's `unicode.IsPrint` as far as Rust's standard library can classify
/// characters: control characters, white space other than the space, the Unicode format
/// characters, private-use characters and non-characters are escaped. Unassigned code points,
/// which Go also escapes, are written as they are (std has no table of them).
///
/// ```
/// let mut s = String::new();
/// gotrace_format::quote::quote_to(&mut s, b"a\"b\n\xff");
/// assert_eq!(s, r#""a\"b\n\xff""#);
/// ```
pub fn quote_to(out: &mut String, bytes: &[u8]) {
    use std::fmt::Write;
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x0b' => out.push_str("\\v"),
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                c if c < ' ' || c == '\x7f' => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if is_printable(c) => out.push(c),
                c if (c as u32) < 0x10000 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
}

/// `bytes` as a Go double-quoted string literal (see [`quote_to`]).
#[must_use]
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    quote_to(&mut out, bytes);
    out
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

/// Why [`unquote`] failed: Go's `strconv.ErrSyntax`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidSyntax;

impl std::fmt::Display for InvalidSyntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid syntax")
    }
}

impl std::error::Error for InvalidSyntax {}

/// The bytes a Go string literal stands for, as `strconv.Unquote` reads it: a double-quoted
/// string with Go's escapes (`\xNN` and octal `\NNN` give single bytes; invalid UTF-8 written as
/// it is becomes U+FFFD, as in Go), a back-quoted raw string (carriage returns dropped), or a
/// single-quoted character. The whole input must be the literal.
///
/// ```
/// use gotrace_format::quote::unquote;
/// assert_eq!(unquote(br#""a\x01\u00e9\101""#).unwrap(), b"a\x01\xc3\xa9A");
/// assert_eq!(unquote(b"`raw\\n`").unwrap(), b"raw\\n");
/// assert!(unquote(br#""open"#).is_err());
/// ```
pub fn unquote(s: &[u8]) -> Result<Vec<u8>, InvalidSyntax> {
    let (&quote, rest) = s.split_first().ok_or(InvalidSyntax)?;
    if s.len() < 2 || s[s.len() - 1] != quote {
        return Err(InvalidSyntax);
    }
    match quote {
        b'`' => {
            let inner = &rest[..rest.len() - 1];
            if inner.contains(&b'`') {
                return Err(InvalidSyntax);
            }
            Ok(inner.iter().copied().filter(|&b| b != b'\r').collect())
        }
        b'"' | b'\'' => {
            let mut out = Vec::with_capacity(s.len());
            let mut i = 1;
            let end = s.len() - 1;
            let mut chars = 0;
            while i < end {
                let b = s[i];
                if b == quote || b == b'\n' {
                    return Err(InvalidSyntax);
                }
                if b == b'\\' {
                    i = unescape(s, i + 1, end, quote, &mut out)?;
                } else if b < 0x80 {
                    out.push(b);
                    i += 1;
                } else {
                    let (c, len) = decode_rune(&s[i..end]);
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.unwrap_or('\u{fffd}').encode_utf8(&mut buf).as_bytes());
                    i += len;
                }
                chars += 1;
            }
            if quote == b'\'' && chars != 1 {
                return Err(InvalidSyntax);
            }
            Ok(out)
        }
        _ => Err(InvalidSyntax),
    }
}

/// One escape, `s[i..]` following the backslash; appends its bytes and returns where the next
/// character starts.
fn unescape(s: &[u8], i: usize, end: usize, quote: u8, out: &mut Vec<u8>) -> Result<usize, InvalidSyntax> {
    let &c = s[..end].get(i).ok_or(InvalidSyntax)?;
    let simple = match c {
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(0x0b),
        b'\\' => Some(b'\\'),
        b'\'' | b'"' if c == quote => Some(c),
        _ => None,
    };
    if let Some(b) = simple {
        out.push(b);
        return Ok(i + 1);
    }
    match c {
        b'x' | b'u' | b'U' => {
            let n = match c {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = s[..end].get(i + 1..i + 1 + n).ok_or(InvalidSyntax)?;
            let mut v: u32 = 0;
            for &d in digits {
                v = v << 4 | char::from(d).to_digit(16).ok_or(InvalidSyntax)?;
            }
            if c == b'x' {
                out.push(v as u8);
            } else {
                let ch = char::from_u32(v).ok_or(InvalidSyntax)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            Ok(i + 1 + n)
        }
        b'0'..=b'7' => {
            let digits = s[..end].get(i..i + 3).ok_or(InvalidSyntax)?;
            let mut v: u32 = 0;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return Err(InvalidSyntax);
                }
                v = v << 3 | u32::from(d - b'0');
            }
            let b = u8::try_from(v).map_err(|_| InvalidSyntax)?;
            out.push(b);
            Ok(i + 3)
        }
        _ => Err(InvalidSyntax),
    }
}

/// The character at the start of `s` and its length in bytes, as Go's `utf8.DecodeRune` reads
/// it: `None` and 1 for a byte that does not start valid UTF-8, `None` and 0 for no input.
///
/// ```
/// use gotrace_format::quote::decode_rune;
/// assert_eq!(decode_rune("é!".as_bytes()), (Some('é'), 2));
/// assert_eq!(decode_rune(b"\xffa"), (None, 1));
/// ```
#[must_use]
pub fn decode_rune(s: &[u8]) -> (Option<char>, usize) {
    let want = match s.first() {
        None => return (None, 0),
        Some(&b) if b < 0x80 => return (Some(char::from(b)), 1),
        Some(&b) if b >= 0xf0 => 4,
        Some(&b) if b >= 0xe0 => 3,
        Some(_) => 2,
    };
    match s.get(..want).and_then(|p| std::str::from_utf8(p).ok()) {
        Some(p) => (p.chars().next(), want),
        None => (None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        // Expected outputs produced by Go 1.21's fmt.Sprintf("%q", ...) on the same bytes.
        assert_eq!(quote(b"net/http.(*conn).serve"), r#""net/http.(*conn).serve""#);
        assert_eq!(quote(b"a\"b\\c\n\t\x00\x7f"), r#""a\"b\\c\n\t\x00\x7f""#);
        assert_eq!(quote("naïve — 日本語 🚀".as_bytes()), "\"naïve — 日本語 🚀\"");
        assert_eq!(quote(b"\xff\xfeok"), r#""\xff\xfeok""#);
        assert_eq!(quote("\u{200b}\u{a0}\u{2028}".as_bytes()), r#""\u200b\u00a0\u2028""#);
        assert_eq!(quote("\u{e000}\u{10fffd}".as_bytes()), r#""\ue000\U0010fffd""#);
        assert_eq!(quote(b"\x07\x08\x0c\r\x0b"), r#""\a\b\f\r\v""#);
        assert_eq!(quote("\u{ad}\u{e0001}\u{3000}".as_bytes()), r#""\u00ad\U000e0001\u3000""#);
        // An AllocFree info batch as Go 1.23's gotraceraw prints it.
        assert_eq!(
            quote(b"\x01\x80\x80\x80\x80\x80\x18\x80@\x08\x80\x10"),
            r#""\x01\x80\x80\x80\x80\x80\x18\x80@\b\x80\x10""#
        );
    }

    #[test]
    fn unquote_inverts_quote() {
        let samples: [&[u8]; 6] = [
            b"",
            b"plain",
            b"a\"b\\c\n\t\x00\x7f",
            "naïve — 日本語 🚀".as_bytes(),
            b"\xff\xfe\x80",
            b"\x01\x80@",
        ];
        for s in samples {
            assert_eq!(unquote(quote(s).as_bytes()).unwrap(), s);
        }
    }

    #[test]
    fn unquote_follows_go() {
        // Checked against Go 1.27's strconv.Unquote.
        assert_eq!(unquote(br#""\377\000\'""#), Err(InvalidSyntax)); // \' only in '...'
        assert_eq!(unquote(br#""\377\000""#).unwrap(), b"\xff\x00");
        assert_eq!(unquote(br#""\400""#), Err(InvalidSyntax));
        assert_eq!(unquote(br#""\ud800""#), Err(InvalidSyntax));
        assert_eq!(unquote(br#""\U00110000""#), Err(InvalidSyntax));
        assert_eq!(unquote(b"\"a\xffb\"").unwrap(), "a\u{fffd}b".as_bytes());
        assert_eq!(unquote(b"`a\r\nb`").unwrap(), b"a\nb");
        assert_eq!(unquote(b"`a\xffb`").unwrap(), b"a\xffb");
        assert_eq!(unquote(b"'x'").unwrap(), b"x");
        assert_eq!(unquote(b"'\\''").unwrap(), b"'");
        assert_eq!(unquote(b"'xy'"), Err(InvalidSyntax));
        assert_eq!(unquote(b"\"a\nb\""), Err(InvalidSyntax));
        assert_eq!(unquote(b"\"a\"b\""), Err(InvalidSyntax));
        assert_eq!(unquote(b"\""), Err(InvalidSyntax));
        assert_eq!(unquote(b"\"\\\""), Err(InvalidSyntax));
        assert_eq!(unquote(b"x"), Err(InvalidSyntax));
        assert_eq!(unquote(b"``").unwrap(), b"");
        assert_eq!(unquote(b"```"), Err(InvalidSyntax));
    }
}
