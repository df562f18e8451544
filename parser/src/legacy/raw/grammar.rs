//! The grammar of one legacy record, as nom streaming parsers.
//!
//! The parsers return the record's *shape* (positions within the input, no borrow), so that the
//! streaming reader can refill its buffer and still hand out events that borrow it. Varints are
//! decoded by the hand-written loop of `gotrace_format::varint`; nom supplies the streaming
//! plumbing (`Incomplete` with the bytes needed, `take`, repetition).

use std::ops::Range;

use gotrace_format::legacy::{EventType, RawEvent, Text, MAX_STACK_FRAMES, MAX_STRING_LEN};
use gotrace_format::varint::{self, DecodeError, Varint};
use gotrace_format::{ErrorKind, Version};
use nom::bytes::streaming::take;
use nom::error::ParseError;
use nom::multi::fold_many_m_n;
use nom::{IResult, Needed, Parser};

/// Why a grammar parser stopped: nom's own failures never happen with these parsers, but the
/// trait wants a constructor for them.
#[derive(Debug)]
enum Fault {
    Kind(ErrorKind),
    Nom,
}

impl ParseError<&[u8]> for Fault {
    fn from_error_kind(_: &[u8], _: nom::error::ErrorKind) -> Self {
        Fault::Nom
    }
    fn append(_: &[u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, T> = IResult<&'a [u8], T, Fault>;

fn fail<T>(kind: ErrorKind) -> Result<T, nom::Err<Fault>> {
    Err(nom::Err::Failure(Fault::Kind(kind)))
}

/// What the reader is told about the next record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    pub version: Version,
    pub strict: bool,
    /// True when no byte follows the input: a shortage is then a truncation, not a wait.
    pub eof: bool,
}

/// A parsed record as positions within the input it was parsed from.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    type_byte: u8,
    length: Option<Varint>,
    values: Range<usize>,
    value_count: u32,
    text: Option<(Varint, Range<usize>)>,
    /// Bytes the record occupies.
    pub consumed: usize,
}

impl Shape {
    /// The event, borrowing `input` (the same bytes the shape was parsed from).
    pub fn event<'a>(&self, input: &'a [u8], offset: u64, version: Version) -> RawEvent<'a> {
        let text = self.text.as_ref().map(|(len, r)| Text::new(*len, &input[r.clone()]));
        RawEvent::from_parts(
            offset,
            version,
            self.type_byte,
            self.length,
            &input[self.values.clone()],
            self.value_count,
            text,
        )
    }
}

/// The outcome of parsing at the start of some input.
#[derive(Debug)]
pub(crate) enum Step {
    Record(Shape),
    /// The record needs at least this many bytes of input in total.
    NeedMore(usize),
}

/// One varint, as a nom streaming parser.
fn varint(strict: bool) -> impl Fn(&[u8]) -> PResult<'_, Varint> {
    move |i| match varint::decode(i) {
        Ok(v) if strict && v.overflows() => fail(ErrorKind::VarintOverflow),
        Ok(v) => Ok((&i[v.width() as usize..], v)),
        Err(DecodeError::Incomplete) => Err(nom::Err::Incomplete(Needed::new(1))),
        Err(DecodeError::TooLong) => fail(ErrorKind::BadVarint),
    }
}

/// Parses the record at the start of `input` (which must not be empty).
pub(crate) fn record(input: &[u8], ctx: Ctx) -> Result<Step, ErrorKind> {
    debug_assert!(!input.is_empty());
    match record_inner(input, ctx) {
        Ok((_, shape)) => Ok(Step::Record(shape)),
        Err(nom::Err::Incomplete(needed)) => {
            if ctx.eof {
                let event = EventType::from_code(input[0] & 0x3f, ctx.version);
                Err(ErrorKind::Truncated { event })
            } else {
                let n = match needed {
                    Needed::Size(n) => n.get(),
                    Needed::Unknown => 1,
                };
                Ok(Step::NeedMore(input.len().saturating_add(n)))
            }
        }
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(match f {
            Fault::Kind(k) => k,
            Fault::Nom => unreachable!("the grammar raises no nom error of its own"),
        }),
    }
}

fn position(input: &[u8], rest: &[u8]) -> usize {
    input.len() - rest.len()
}

fn record_inner(input: &[u8], ctx: Ctx) -> PResult<'_, Shape> {
    let value = varint(ctx.strict);
    let (rest, type_byte) = nom::number::streaming::u8(input)?;
    let code = type_byte & 0x3f;
    let Some(event) = EventType::from_code(code, ctx.version) else {
        return fail(ErrorKind::UnknownEventType { code });
    };
    if event == EventType::STRING {
        let (after_id, id) = value(rest)?;
        if id.value() == 0 {
            return fail(ErrorKind::StringIdZero);
        }
        let (after_len, len) = value(after_id)?;
        match len.value() {
            0 => return fail(ErrorKind::StringEmpty),
            n if n > MAX_STRING_LEN => return fail(ErrorKind::StringTooLong { len: n }),
            _ => {}
        }
        let (end, _) = take(len.value() as usize).parse(after_len)?;
        let shape = Shape {
            type_byte,
            length: None,
            values: position(input, rest)..position(input, after_id),
            value_count: 1,
            text: Some((len, position(input, after_len)..position(input, end))),
            consumed: position(input, end),
        };
        return Ok((end, shape));
    }

    let count_code = type_byte >> 6;
    let (values_start, length, values_end, count) = if count_code < 3 {
        let n = usize::from(count_code) + 1 + usize::from(ctx.version < Version::Go1_7);
        let (end, count) = fold_many_m_n(n, n, &value, || 0u32, |c, _| c + 1).parse(rest)?;
        (rest, None, end, count)
    } else {
        let (body, length) = value(rest)?;
        let want = length.value();
        let max = max_length(event, ctx.version);
        if want > max {
            return fail(ErrorKind::LengthTooLarge { event, len: want, max });
        }
        // As Go: read values until at least `want` bytes are consumed; the last one may
        // run past the length, which is then wrong.
        let mut pos = 0usize;
        let mut count = 0u32;
        while (pos as u64) < want {
            let (after, _) = value(&body[pos..])?;
            pos = position(body, after);
            count += 1;
        }
        if pos as u64 != want {
            return fail(ErrorKind::WrongLength { want, got: pos as u64 });
        }
        (body, Some(length), &body[pos..], count)
    };
    check_count(
        event,
        ctx.version,
        count,
        &input[position(input, values_start)..position(input, values_end)],
    )?;

    let mut shape = Shape {
        type_byte,
        length,
        values: position(input, values_start)..position(input, values_end),
        value_count: count,
        text: None,
        consumed: position(input, values_end),
    };
    if event != EventType::USER_LOG {
        return Ok((values_end, shape));
    }
    let (end, text) = message(values_end, ctx)?;
    shape.text = text.map(|(len, start, n)| (len, position(input, start)..position(input, start) + n));
    shape.consumed = position(input, end);
    Ok((end, shape))
}

/// The largest length prefix a valid record of `event` can have: every value at most 10 bytes.
fn max_length(event: EventType, version: Version) -> u64 {
    let values = match event.value_count(version) {
        Some(n) => u64::from(n),
        None if version < Version::Go1_7 => 2 + MAX_STACK_FRAMES,
        None => 2 + 4 * MAX_STACK_FRAMES,
    };
    values * varint::MAX_LEN as u64
}

fn check_count(event: EventType, version: Version, got: u32, values: &[u8]) -> Result<(), nom::Err<Fault>> {
    if event == EventType::STACK {
        if got < 2 {
            return fail(ErrorKind::StackTooShort { got });
        }
        let frames = varint::Values::new(values).nth(1).unwrap_or(0);
        if frames > MAX_STACK_FRAMES {
            return fail(ErrorKind::StackTooDeep { frames });
        }
        let want = if version < Version::Go1_7 { 2 + frames } else { 2 + 4 * frames };
        if want != u64::from(got) {
            return fail(ErrorKind::StackWrongArgCount { want, got });
        }
    } else if let Some(want) = event.value_count(version) {
        if want != got {
            return fail(ErrorKind::WrongArgCount { event, want, got });
        }
    }
    Ok(())
}

/// The message after a `UserLog` record's values. Go's reader ignores every error here, so
/// damage is kept rather than reported unless the reader is strict:
/// - no length at all, or a length cut by the end of the file: the rest of the file;
/// - an unterminated 10-byte length: Go goes on after those 10 bytes;
/// - a length over 1 000 000: Go goes on right after the length;
/// - fewer bytes than the length before the end of the file: the bytes that are there.
/// The message's length and where its bytes start (a suffix of the input) and how many there are.
type Message<'a> = Option<(Varint, &'a [u8], usize)>;

fn message(i: &[u8], ctx: Ctx) -> PResult<'_, Message<'_>> {
    fn damaged<'a>(strict: bool, rest: &'a [u8], text: Message<'a>) -> PResult<'a, Message<'a>> {
        if strict {
            fail(ErrorKind::MessageDamaged)
        } else {
            Ok((rest, text))
        }
    }
    let damaged = |rest, text| damaged(ctx.strict, rest, text);
    let len = match varint::decode(i) {
        Ok(len) => len,
        Err(DecodeError::Incomplete) if !ctx.eof => return Err(nom::Err::Incomplete(Needed::new(1))),
        Err(DecodeError::Incomplete) if i.is_empty() => return damaged(i, None),
        Err(DecodeError::Incomplete) => {
            return damaged(&i[i.len()..], Some((varint::decode_unterminated(i), &i[i.len()..], 0)));
        }
        Err(DecodeError::TooLong) => {
            let (bad, rest) = i.split_at(varint::MAX_LEN);
            return damaged(rest, Some((varint::decode_unterminated(bad), rest, 0)));
        }
    };
    if ctx.strict && len.overflows() {
        return fail(ErrorKind::VarintOverflow);
    }
    let rest = &i[len.width() as usize..];
    if len.value() > MAX_STRING_LEN {
        return damaged(rest, Some((len, rest, 0)));
    }
    let n = len.value() as usize;
    if rest.len() >= n {
        return Ok((&rest[n..], Some((len, rest, n))));
    }
    if !ctx.eof {
        return Err(nom::Err::Incomplete(Needed::new(n - rest.len())));
    }
    damaged(&rest[rest.len()..], Some((len, rest, rest.len())))
}
