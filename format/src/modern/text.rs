//! The text form of modern raw records, as Go's `internal/trace/raw` package writes it (and
//! `go tool trace -d=wire` prints it): one line per record, `Name arg=value ...`, a stack's
//! frames on tab-indented lines of their own, a string's or an experimental batch's bytes on a
//! tab-indented `data="..."` line. A text trace starts with the line `Trace Go1.N`.

use crate::decimal::{put, PUT_ROOM};
use crate::modern::{EventType, RawEvent, FRAME_FIELDS};
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

/// Longest piece of a [`TextLines`] template: a type's name with its first argument's name
/// (`GoSyscallEndBlocked dt=`), or one argument's name (` heapalloc_value=`).
const PIECE: usize = 32;

/// Most values of a record whose text is its name and arguments only (`UserTaskBegin`).
const MAX_PLAIN: usize = 5;

/// Room a line of a plain record may need: its pieces, copied whole, its numbers, and an
/// offset with its space.
const PLAIN_ROOM: usize = (MAX_PLAIN + 1) * PIECE + (MAX_PLAIN + 1) * PUT_ROOM + 1;

/// The text around one record's numbers: `pieces[0]` is the name and the first argument's
/// ` name=`, `pieces[i]` the text after the `i`-th number (the next ` name=`, and after the
/// last number of a plain record the line end), each padded so that it is copied whole.
#[derive(Clone, Copy)]
struct Template {
    pieces: [[u8; PIECE]; MAX_PLAIN + 1],
    lens: [u8; MAX_PLAIN + 1],
    /// The number of values of a plain record (a type byte and varints), or `None` for the
    /// records written the general way: stacks, strings, experimental batches.
    plain: Option<u8>,
}

impl Template {
    const EMPTY: Template =
        Template { pieces: [[0; PIECE]; MAX_PLAIN + 1], lens: [0; MAX_PLAIN + 1], plain: None };

    fn new(t: EventType) -> Template {
        let names = t.arg_names();
        let plain = !t.is_stack() && !t.has_data() && names.len() <= MAX_PLAIN;
        let mut template = Template { plain: plain.then_some(names.len() as u8), ..Template::EMPTY };
        for i in 0..=names.len().min(MAX_PLAIN) {
            let mut piece = if i == 0 { t.name().to_owned() } else { String::new() };
            match names.get(i) {
                Some(name) => piece.push_str(&format!(" {name}=")),
                None if plain => piece.push('\n'),
                None => {}
            }
            template.pieces[i][..piece.len()].copy_from_slice(piece.as_bytes());
            template.lens[i] = piece.len() as u8;
        }
        template
    }
}

/// Lines of the text form, formatted into a buffer of their own, each ended by `\n`. The text of
/// every type's names is laid out
/// once for the version, so that a line costs a copy of fixed size per name and the digits of
/// its numbers. Take the text with [`TextLines::as_bytes`] and [`TextLines::clear`] it, say
/// whenever it holds 64 KiB: the buffer then stays that size plus the longest line.
///
/// ```
/// use gotrace_format::modern::{EmptyData, EventType, RawEvent, TextLines};
/// use gotrace_format::{varint::Varint, Version};
/// let mut buf = Vec::new();
/// let args = [667, 19, 1].map(Varint::new);
/// let ev = RawEvent::encode(40, Version::Go1_23, EventType::GO_START, None, args.into_iter(), None, &mut buf);
/// let mut lines = TextLines::new(Version::Go1_23, EmptyData::Omit);
/// lines.push(&ev);
/// lines.push(&ev);
/// assert_eq!(lines.as_bytes(), b"GoStart dt=667 g=19 g_seq=1\nGoStart dt=667 g=19 g_seq=1\n");
/// lines.clear();
/// assert!(lines.as_bytes().is_empty());
/// ```
pub struct TextLines {
    /// By type code; types the version lacks are empty.
    templates: Box<[Template; 256]>,
    empty: EmptyData,
    /// The layout of `gotrace dump --raw` ([`TextLines::raw`]).
    raw: bool,
    /// The text, then zeros to the end: the buffer is written in place, never pushed to.
    buf: Vec<u8>,
    len: usize,
    /// The quoted data of the current record.
    quoted: String,
}

impl TextLines {
    /// Lines for the records of a trace of `version`, empty data written as `empty` says.
    ///
    /// ```
    /// use gotrace_format::modern::{EmptyData, EventType, RawEvent, TextLines};
    /// use gotrace_format::{varint::Varint, Version};
    /// let mut buf = Vec::new();
    /// let ev = RawEvent::encode(0, Version::Go1_23, EventType::STRING, None,
    ///     [Varint::new(1)].into_iter(), Some((Varint::new(3), b"a\tb")), &mut buf);
    /// let mut lines = TextLines::new(Version::Go1_23, EmptyData::Write);
    /// lines.push(&ev);
    /// assert_eq!(lines.as_bytes(), b"String id=1\n\tdata=\"a\\tb\"\n");
    /// ```
    #[must_use]
    pub fn new(version: Version, empty: EmptyData) -> TextLines {
        let mut templates = Box::new([Template::EMPTY; 256]);
        for t in EventType::all(version) {
            templates[usize::from(t.code())] = Template::new(t);
        }
        TextLines {
            templates,
            empty,
            raw: false,
            buf: vec![0; 2 * PLAIN_ROOM],
            len: 0,
            quoted: String::new(),
        }
    }

    /// The lines of `gotrace dump --raw` for a trace of `version`: each record's offset and a
    /// space, then its text on one line — a stack's frames and a record's data (even empty)
    /// after a space instead of a line start and a tab.
    ///
    /// ```
    /// use gotrace_format::modern::{EventType, RawEvent, TextLines};
    /// use gotrace_format::{varint::Varint, Version};
    /// let mut buf = Vec::new();
    /// let ev = RawEvent::encode(8244, Version::Go1_23, EventType::STRING, None,
    ///     [Varint::new(5)].into_iter(), Some((Varint::new(2), b"ok")), &mut buf);
    /// let mut lines = TextLines::raw(Version::Go1_23);
    /// lines.push(&ev);
    /// assert_eq!(lines.as_bytes(), b"8244 String id=5 data=\"ok\"\n");
    /// ```
    #[must_use]
    pub fn raw(version: Version) -> TextLines {
        TextLines { raw: true, ..TextLines::new(version, EmptyData::Write) }
    }

    /// The text of the lines pushed since the last [`TextLines::clear`].
    #[must_use]
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Bytes of text held.
    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no text is held.
    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops the text held (the buffer stays).
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends the line of `event`, a record of the version the lines were made for.
    #[inline(always)]
    pub fn push(&mut self, event: &RawEvent<'_>) {
        let Some(count) = self.templates[usize::from(event.code())].plain else {
            return self.push_general(event);
        };
        if self.buf.len() - self.len < PLAIN_ROOM {
            self.grow(PLAIN_ROOM);
        }
        let template = &self.templates[usize::from(event.code())];
        let (buf, mut pos) = (&mut self.buf[..], self.len);
        if self.raw {
            pos = put(buf, pos, event.offset());
            buf[pos] = b' ';
            pos += 1;
        }
        buf[pos..pos + PIECE].copy_from_slice(&template.pieces[0]);
        pos += usize::from(template.lens[0]);
        let (values, mut at) = (event.value_bytes(), 0);
        for i in 1..=usize::from(count) {
            pos = put(buf, pos, next_value(values, &mut at));
            buf[pos..pos + PIECE].copy_from_slice(&template.pieces[i]);
            pos += usize::from(template.lens[i]);
        }
        self.len = pos;
    }

    /// Stacks, strings and experimental batches: the arguments, then the frames or the data.
    #[inline(never)]
    fn push_general(&mut self, event: &RawEvent<'_>) {
        let template = self.templates[usize::from(event.code())];
        let names = event.event_type().arg_names().len();
        let mut args = event.args();
        if self.raw {
            self.number(event.offset());
            self.piece(b" ");
        }
        self.piece(&template.pieces[0][..usize::from(template.lens[0])]);
        for i in 1..=names {
            self.number(args.next().unwrap_or(0));
            self.piece(&template.pieces[i][..usize::from(template.lens[i])]);
        }
        for (i, value) in args.enumerate() {
            self.piece(if i % 4 == 0 && !self.raw { b"\n\t" } else { b" " });
            self.piece(FRAME_FIELDS[i % 4].as_bytes());
            self.piece(b"=");
            self.number(value);
        }
        if let Some(data) = event.data() {
            if !data.is_empty() || self.empty == EmptyData::Write {
                self.piece(if self.raw { b" data=" } else { b"\n\tdata=" });
                let mut quoted = std::mem::take(&mut self.quoted);
                quoted.clear();
                quote_to(&mut quoted, data);
                self.piece(quoted.as_bytes());
                self.quoted = quoted;
            }
        }
        self.piece(b"\n");
    }

    fn piece(&mut self, bytes: &[u8]) {
        if self.buf.len() - self.len < bytes.len() {
            self.grow(bytes.len());
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn number(&mut self, v: u64) {
        if self.buf.len() - self.len < PUT_ROOM {
            self.grow(PUT_ROOM);
        }
        self.len = put(&mut self.buf, self.len, v);
    }

    /// Makes room for `n` more bytes after the text.
    #[cold]
    fn grow(&mut self, n: usize) {
        let want = (self.len + n).max(2 * self.buf.len());
        self.buf.resize(want, 0);
    }
}

impl std::fmt::Debug for TextLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextLines")
            .field("empty", &self.empty)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// The varint at `at` in `values`, which holds complete varints (as a record the reader
/// accepted does); `at` moves past it. Bits beyond 64 are dropped, as Go drops them.
#[inline(always)]
fn next_value(values: &[u8], at: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0u32);
    while let Some(&b) = values.get(*at) {
        *at += 1;
        v |= u64::from(b & 0x7f).wrapping_shl(shift);
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    v
}
