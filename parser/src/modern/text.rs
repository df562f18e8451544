//! The reader of the text form of modern traces (Go's `internal/trace/raw` text format, used by
//! the test traces of Go's `internal/trace/testdata/tests/*.test`).

use std::collections::HashMap;
use std::io::{self, BufRead};

use gotrace_format::modern::{EventType, RawEvent, FRAME_FIELDS};
use gotrace_format::quote::{decode_rune, quote, unquote};
use gotrace_format::varint::Varint;
use gotrace_format::{Version, HEADER_LEN};

/// Longest line the reader takes (Go's own reader stops at 64 KiB).
pub const MAX_LINE: usize = 4 << 20;

/// A text trace that cannot be read: the 1-based number of the line at fault and what is wrong,
/// in the wording of Go's text reader where it has one.
///
/// ```
/// use gotrace_parser::modern::TextReader;
/// let err = TextReader::new(&b"Trace Go1.23\nGoStart dt=1 g=2\n"[..]).unwrap().next_event().unwrap_err();
/// assert_eq!(err.line(), 2);
/// assert_eq!(err.to_string(), "line 2: reading args for GoStart: no argument");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct TextError {
    line: u64,
    kind: TextErrorKind,
}

impl TextError {
    fn new(line: u64, kind: TextErrorKind) -> TextError {
        TextError { line, kind }
    }

    /// The 1-based number of the line at fault (for an empty input, 0).
    #[must_use]
    pub fn line(&self) -> u64 {
        self.line
    }

    /// What is wrong.
    #[must_use]
    pub fn kind(&self) -> &TextErrorKind {
        &self.kind
    }

    /// The message without the line number.
    #[must_use]
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

/// What is wrong with a text trace.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextErrorKind {
    /// No line at all.
    #[error("EOF")]
    Empty,
    /// The first line does not start with `Trace`.
    #[error("failed to parse header")]
    BadHeader,
    /// The header's version is not `Go1.N`.
    #[error("failed to parse header Go version{}", match detail { Some(d) => format!(": {d}"), None => String::new() })]
    BadHeaderVersion {
        /// Why the number did not parse, as Go's `strconv.ParseUint` says.
        detail: Option<String>,
    },
    /// A version no Go release writes in this layout.
    #[error("unknown or unsupported Go version 1.{minor}")]
    UnsupportedVersion {
        /// The minor version given.
        minor: u64,
    },
    /// A legacy version, which Go's text form accepts but holds no event for.
    #[error("Go 1.{minor} traces have no raw text form")]
    LegacyVersion {
        /// The minor version given.
        minor: u64,
    },
    /// Something after the header's version.
    #[error("encountered unexpected non-space at the end of the header: {}", quote(rest.as_bytes()))]
    HeaderTrailing {
        /// What follows.
        rest: String,
    },
    /// An event name the version does not have.
    #[error("unidentified event: {name}")]
    UnidentifiedEvent {
        /// The name.
        name: String,
    },
    /// An event's arguments.
    #[error("reading args for {event}: {fault}")]
    Args {
        /// The event's name.
        event: &'static str,
        /// What is wrong.
        fault: ArgFault,
    },
    /// A stack frame's line.
    #[error("{0}")]
    Frame(ArgFault),
    /// The input ends inside a stack's frames.
    #[error("unexpected EOF while reading stack: args={}", go_list(args))]
    StackEof {
        /// The arguments and frame values read so far.
        args: Vec<u64>,
    },
    /// The input ends before the data line of a `String` or an `ExperimentalBatch`.
    #[error("unexpected EOF while reading data for {event}: args={}", go_list(args))]
    DataEof {
        /// The event's name.
        event: &'static str,
        /// Its arguments.
        args: Vec<u64>,
    },
    /// A data line that is not `data=...`.
    #[error("malformed data: {}", quote(line.as_bytes()))]
    MalformedData {
        /// The line.
        line: String,
    },
    /// A data line whose value is not a Go string literal.
    #[error("failed to parse data: {}: invalid syntax", quote(line.as_bytes()))]
    BadData {
        /// The line.
        line: String,
    },
    /// An experiment id that does not fit in the byte the binary form has for it.
    #[error("experiment {value} does not fit in a byte")]
    ExperimentTooLarge {
        /// The value.
        value: u64,
    },
    /// A line longer than [`MAX_LINE`].
    #[error("line longer than {MAX_LINE} bytes")]
    LineTooLong,
    /// The underlying reader failed.
    #[error("I/O error: {0}")]
    Io(io::ErrorKind),
}

/// What is wrong with the arguments of a line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgFault {
    /// Fewer arguments than the event has.
    #[error("no argument")]
    NoArgument,
    /// A token without `=`.
    #[error("malformed argument: {}", quote(token.as_bytes()))]
    Malformed {
        /// The token.
        token: String,
    },
    /// A value that is not a decimal u64.
    #[error("failed to parse argument value {} for arg {}", quote(value.as_bytes()), quote(arg.as_bytes()))]
    BadValue {
        /// The value.
        value: String,
        /// The argument's name.
        arg: String,
    },
    /// An argument other than the one expected there.
    #[error("expected argument {}, but got {}", quote(want.as_bytes()), quote(got.as_bytes()))]
    WrongName {
        /// The name expected.
        want: &'static str,
        /// The name found.
        got: String,
    },
    /// More after the last argument.
    #[error("encountered unexpected non-space at the end of an event: {}", quote(rest.as_bytes()))]
    Trailing {
        /// What follows.
        rest: String,
    },
}

/// Go's `%v` of a `[]uint64`.
fn go_list(values: &[u64]) -> String {
    let items: Vec<String> = values.iter().map(u64::to_string).collect();
    format!("[{}]", items.join(" "))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Go's `unicode.IsSpace`.
fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `readToken`: the first token of `s` (runs of non-space characters, `#` ending it) and
/// what follows; nothing when the line is blank or its first non-space character is `#`.
fn read_token(s: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    let start = loop {
        let (c, n) = decode_rune(&s[i..]);
        if n == 0 {
            return (&[], &[]);
        }
        match c {
            Some('#') => return (&[], &[]),
            Some(c) if is_space(c) => i += n,
            _ => break i,
        }
    };
    let mut i = start;
    loop {
        let (c, n) = decode_rune(&s[i..]);
        match c {
            _ if n == 0 => return (&s[start..], &[]),
            Some(c) if c == '#' || is_space(c) => return (&s[start..i], &s[i..]),
            _ => i += n,
        }
    }
}

fn only_space(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        match decode_rune(&s[i..]) {
            (Some(c), n) if is_space(c) => i += n,
            _ => return false,
        }
    }
    true
}

/// Go's `strings.TrimSpace`.
fn trim_space(mut s: &[u8]) -> &[u8] {
    while let (Some(c), n) = decode_rune(s) {
        if !is_space(c) {
            break;
        }
        s = &s[n..];
    }
    // The last character: the shortest tail that is one whole character.
    while let Some((c, k)) = (1..=s.len().min(4)).find_map(|k| match decode_rune(&s[s.len() - k..]) {
        (Some(c), n) if n == k => Some((c, k)),
        _ => None,
    }) {
        if !is_space(c) {
            break;
        }
        s = &s[..s.len() - k];
    }
    s
}

/// Go's `strconv.ParseUint(s, 10, 64)`.
fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u64, |v, &d| v.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

/// Reads `name=value` tokens for `names` from `s`, appending the values; nothing may follow.
fn read_args(mut s: &[u8], names: &[&'static str], out: &mut Vec<u64>) -> Result<(), ArgFault> {
    for &name in names {
        let (token, rest) = read_token(s);
        if token.is_empty() {
            return Err(ArgFault::NoArgument);
        }
        let Some(eq) = token.iter().position(|&b| b == b'=') else {
            return Err(ArgFault::Malformed { token: lossy(token) });
        };
        let (arg, value) = (&token[..eq], &token[eq + 1..]);
        let Some(value) = parse_u64(value) else {
            return Err(ArgFault::BadValue { value: lossy(value), arg: lossy(arg) });
        };
        if arg != name.as_bytes() {
            return Err(ArgFault::WrongName { want: name, got: lossy(arg) });
        }
        out.push(value);
        s = rest;
    }
    if !only_space(s) {
        return Err(ArgFault::Trailing { rest: lossy(s) });
    }
    Ok(())
}

/// A reader of text traces: the header line `Trace Go1.N`, then one record per line (a stack's
/// frames and a record's data on lines of their own), blank lines and `#` comment lines skipped,
/// exactly as Go's text reader reads them.
///
/// Each record comes back as a [`RawEvent`] encoded the way Go's `raw.Writer` encodes it —
/// minimal varints, a batch's `size` as written — at the offset it would have in that binary
/// trace, so that writing every record after the version's header gives the binary trace.
///
/// Where gotrace differs from Go: a version's names are those gotrace's raw reader knows (the
/// experimental events too in 23 and 25 traces), legacy versions are refused, an
/// `ExperimentalBatch`'s experiment must fit in its byte, and lines are limited to
/// [`MAX_LINE`] bytes (64 KiB in Go).
///
/// ```
/// use gotrace_parser::modern::TextReader;
/// let text = "Trace Go1.22\nEventBatch gen=1 m=0 time=0 size=4\nProcStatus dt=1 p=0 pstatus=1\n";
/// let mut reader = TextReader::new(text.as_bytes())?;
/// let mut bytes = reader.version().header().to_vec();
/// while let Some(event) = reader.next_event()? {
///     bytes.extend_from_slice(event.bytes());
/// }
/// assert_eq!(&bytes[16..], [1, 1, 0, 0, 4, 13, 1, 0, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TextReader<R> {
    reader: R,
    version: Version,
    names: HashMap<&'static str, EventType>,
    line: Vec<u8>,
    line_no: u64,
    values: Vec<u64>,
    scratch: Vec<u8>,
    offset: u64,
}

impl<R: BufRead> TextReader<R> {
    /// Reads the header line.
    pub fn new(reader: R) -> Result<TextReader<R>, TextError> {
        let mut r = TextReader {
            reader,
            version: Version::Go1_22,
            names: HashMap::new(),
            line: Vec::new(),
            line_no: 0,
            values: Vec::new(),
            scratch: Vec::new(),
            offset: HEADER_LEN as u64,
        };
        if !r.next_line()? {
            return Err(TextError::new(0, TextErrorKind::Empty));
        }
        r.version = r.header().map_err(|kind| TextError::new(r.line_no, kind))?;
        r.names = EventType::all(r.version).map(|t| (t.name(), t)).collect();
        Ok(r)
    }

    fn header(&self) -> Result<Version, TextErrorKind> {
        let (trace, rest) = read_token(&self.line);
        if trace != b"Trace" {
            return Err(TextErrorKind::BadHeader);
        }
        let (gover, rest) = read_token(rest);
        let Some(number) = gover.strip_prefix(b"Go1.") else {
            return Err(TextErrorKind::BadHeaderVersion { detail: None });
        };
        let Some(minor) = parse_u64(number) else {
            let reason = if !number.is_empty() && number.iter().all(u8::is_ascii_digit) {
                "value out of range"
            } else {
                "invalid syntax"
            };
            let detail = format!("strconv.ParseUint: parsing {}: {reason}", quote(number));
            return Err(TextErrorKind::BadHeaderVersion { detail: Some(detail) });
        };
        let version = u32::try_from(minor).ok().and_then(|m| Version::from_number(1000 + m));
        let version = match version {
            Some(v) if !v.is_legacy() => v,
            Some(_) if [11, 19, 21].contains(&minor) => return Err(TextErrorKind::LegacyVersion { minor }),
            _ => return Err(TextErrorKind::UnsupportedVersion { minor }),
        };
        if !only_space(rest) {
            return Err(TextErrorKind::HeaderTrailing { rest: lossy(rest) });
        }
        Ok(version)
    }

    /// The trace's version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// Number of the last line read.
    #[must_use]
    pub fn line_number(&self) -> u64 {
        self.line_no
    }

    /// Reads the next line that is neither blank nor a comment into `self.line`, without its
    /// line end; false at the end of the input.
    fn next_line(&mut self) -> Result<bool, TextError> {
        loop {
            self.line.clear();
            let n = io::Read::take(&mut self.reader, MAX_LINE as u64 + 2)
                .read_until(b'\n', &mut self.line)
                .map_err(|e| TextError::new(self.line_no + 1, TextErrorKind::Io(e.kind())))?;
            if n == 0 {
                return Ok(false);
            }
            self.line_no += 1;
            if self.line.last() == Some(&b'\n') {
                self.line.pop();
            }
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            if self.line.len() > MAX_LINE {
                return Err(TextError::new(self.line_no, TextErrorKind::LineTooLong));
            }
            if !read_token(&self.line).0.is_empty() {
                return Ok(true);
            }
        }
    }

    /// The next record, encoded as a binary trace holds it, or `None` at the end of the text.
    pub fn next_event(&mut self) -> Result<Option<RawEvent<'_>>, TextError> {
        if !self.next_line()? {
            return Ok(None);
        }
        let fail = |line, kind| Err(TextError::new(line, kind));
        let (name, rest) = read_token(&self.line);
        let Some(&t) = std::str::from_utf8(name).ok().and_then(|n| self.names.get(n)) else {
            return fail(self.line_no, TextErrorKind::UnidentifiedEvent { name: lossy(name) });
        };
        self.values.clear();
        if let Err(fault) = read_args(rest, t.arg_names(), &mut self.values) {
            return fail(self.line_no, TextErrorKind::Args { event: t.name(), fault });
        }
        let mut experiment = None;
        if t == EventType::EXPERIMENTAL_BATCH {
            let value = self.values.remove(0);
            match u8::try_from(value) {
                Ok(e) => experiment = Some(e),
                Err(_) => return fail(self.line_no, TextErrorKind::ExperimentTooLarge { value }),
            }
        }
        if t.is_stack() {
            let frames = self.values[1];
            for _ in 0..frames {
                if !self.next_line()? {
                    return fail(self.line_no, TextErrorKind::StackEof { args: self.values.clone() });
                }
                if let Err(fault) = read_args(&self.line, &FRAME_FIELDS, &mut self.values) {
                    return fail(self.line_no, TextErrorKind::Frame(fault));
                }
            }
        }
        let mut data = None;
        if t.has_data() {
            if !self.next_line()? {
                let mut args = self.values.clone();
                if let Some(e) = experiment {
                    args.insert(0, u64::from(e));
                }
                return fail(self.line_no, TextErrorKind::DataEof { event: t.name(), args });
            }
            data = Some(self.data_line()?);
        }
        let values = self.values.iter().map(|&v| Varint::new(v));
        let data = data.as_deref().map(|d| (Varint::new(d.len() as u64), d));
        let event =
            RawEvent::encode(self.offset, self.version, t, experiment, values, data, &mut self.scratch);
        self.offset += event.encoded_len() as u64;
        Ok(Some(event))
    }

    /// Go's `readData`: `data=` and a Go string literal, spaces allowed around both.
    fn data_line(&self) -> Result<Vec<u8>, TextError> {
        let line = &self.line[..];
        let malformed = || TextError::new(self.line_no, TextErrorKind::MalformedData { line: lossy(line) });
        let eq = line.iter().position(|&b| b == b'=').ok_or_else(malformed)?;
        if trim_space(&line[..eq]) != b"data" {
            return Err(malformed());
        }
        unquote(trim_space(&line[eq + 1..]))
            .map_err(|_| TextError::new(self.line_no, TextErrorKind::BadData { line: lossy(line) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_error(text: &str) -> String {
        let mut r = match TextReader::new(text.as_bytes()) {
            Ok(r) => r,
            Err(e) => return e.to_string(),
        };
        loop {
            match r.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => return "ok".into(),
                Err(e) => return e.to_string(),
            }
        }
    }

    #[test]
    fn tokens_follow_go() {
        assert_eq!(read_token(b"  abc def"), (&b"abc"[..], &b" def"[..]));
        assert_eq!(read_token(b"  # comment"), (&b""[..], &b""[..]));
        assert_eq!(read_token(b"ab#cd"), (&b"ab"[..], &b"#cd"[..]));
        assert_eq!(read_token("\u{a0}x\u{3000}y".as_bytes()), (&b"x"[..], "\u{3000}y".as_bytes()));
        assert_eq!(read_token(b""), (&b""[..], &b""[..]));
        assert_eq!(trim_space(" \t data \u{a0}".as_bytes()), b"data");
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"+1"), None);
        assert_eq!(parse_u64(b"007"), Some(7));
    }

    #[test]
    fn errors_in_go_wording() {
        // Each message checked against Go 1.27's raw.TextReader on the same text (through
        // `go test internal/trace/testtrace -run TestConvertDump -convert`); the experiment check
        // is gotrace's own.
        let cases = [
            ("", "line 0: EOF"),
            ("Tracex Go1.22\n", "line 1: failed to parse header"),
            ("Trace 1.22\n", "line 1: failed to parse header Go version"),
            (
                "Trace Go1.x\n",
                "line 1: failed to parse header Go version: strconv.ParseUint: parsing \"x\": invalid syntax",
            ),
            ("Trace Go1.24\n", "line 1: unknown or unsupported Go version 1.24"),
            (
                "Trace Go1.99999999999999999999999\n",
                "line 1: failed to parse header Go version: strconv.ParseUint: parsing \"99999999999999999999999\": value out of range",
            ),
            ("Trace Go1.22 x\n", "line 1: encountered unexpected non-space at the end of the header: \" x\""),
            ("Trace Go1.22\nSync\n", "line 2: unidentified event: Sync"),
            ("Trace Go1.22\nProcStop dt=1 x\n", "line 2: reading args for ProcStop: encountered unexpected non-space at the end of an event: \" x\""),
            ("Trace Go1.22\nProcStop dt\n", "line 2: reading args for ProcStop: malformed argument: \"dt\""),
            ("Trace Go1.22\nProcStop dt=-1\n", "line 2: reading args for ProcStop: failed to parse argument value \"-1\" for arg \"dt\""),
            ("Trace Go1.22\nProcStop t=1\n", "line 2: reading args for ProcStop: expected argument \"dt\", but got \"t\""),
            ("Trace Go1.22\n\n# c\nStack id=1 nframes=1\n", "line 4: unexpected EOF while reading stack: args=[1 1]"),
            ("Trace Go1.22\nStack id=1 nframes=1\npc=1 func=2\n", "line 3: no argument"),
            ("Trace Go1.22\nString id=1\n", "line 2: unexpected EOF while reading data for String: args=[1]"),
            ("Trace Go1.22\nString id=1\ndat=\"x\"\n", "line 3: malformed data: \"dat=\\\"x\\\"\""),
            ("Trace Go1.22\nString id=1\ndata=\"x\n", "line 3: failed to parse data: \"data=\\\"x\": invalid syntax"),
            ("Trace Go1.23\nExperimentalBatch exp=300 gen=1 m=2 time=3\n", "line 2: experiment 300 does not fit in a byte"),
            ("Trace Go1.22 # c\n", "line 1: encountered unexpected non-space at the end of the header: \" # c\""),
            ("Trace Go1.22\n\n  # x\nProcStop dt=1 \t\n", "ok"),
        ];
        for (text, want) in cases {
            assert_eq!(first_error(text), want, "{text:?}");
        }
    }

    #[test]
    fn encodes_as_go_writes() {
        let text = "Trace Go1.26\nEventBatch gen=1 m=18446744073709551615 time=9 size=7\nStrings\n\
                    String id=1\n\tdata=\"ab\"\nEndOfGeneration\nExperimentalBatch exp=1 gen=2 m=3 time=4\n\
                    \tdata=\"\\x00\"\n";
        let mut r = TextReader::new(text.as_bytes()).unwrap();
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        while let Some(ev) = r.next_event().unwrap() {
            offsets.push(ev.offset());
            out.extend_from_slice(ev.bytes());
        }
        let mut want = vec![1, 1];
        want.extend([0xff; 9]);
        want.extend([1, 9, 7, 4, 5, 1, 2, b'a', b'b', 52, 49, 1, 2, 3, 4, 1, 0]);
        assert_eq!(out, want);
        assert_eq!(offsets, [16, 30, 31, 36, 37]);
    }
}
