//! The grammar of one legacy record, as nom streaming parsers.
//!
//! The parsers return the record's *shape* (positions within the input, no borrow), so that the
//! streaming reader can refill its buffer and still hand out events that borrow it. Varints are
//! decoded by the hand-written loop of `gotrace_format::varint`; nom supplies the streaming
//! plumbing (`Incomplete` with the bytes needed, `take`, repetition).

use gotrace_format::legacy::{EventType, RawEvent, MAX_STACK_FRAMES, MAX_STRING_LEN};
use gotrace_format::varint::{self, DecodeError, Varint};
use gotrace_format::{ErrorKind, Limit, Version};
use nom::bytes::streaming::take;
use nom::error::ParseError;
use nom::multi::fold_many_m_n;
use nom::{IResult, Needed, Parser};

use crate::Limits;

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
    pub limits: Limits,
}

/// What the hot path needs of one version: per type code, the number of values of a record of
/// that type, or 0 when the record always takes the general path (unknown types, strings,
/// stacks, user logs).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fast {
    counts: [u8; 64],
    /// Go 1.5's inline records hold one more value per count code.
    extra: u8,
}

impl Fast {
    pub fn new(version: Version) -> Fast {
        let mut counts = [0u8; 64];
        for e in EventType::all(version) {
            if e != EventType::USER_LOG {
                if let Some(n) = e.value_count(version) {
                    counts[usize::from(e.code())] = n as u8;
                }
            }
        }
        Fast { counts, extra: u8::from(version < Version::Go1_7) }
    }
}

/// A parsed record as positions within the input it was parsed from (which starts with it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    /// Bytes the record occupies.
    pub consumed: u32,
    values_end: u32,
    value_count: u32,
    values_start: u8,
}

impl Shape {
    /// The event, borrowing `input` (the same bytes the shape was parsed from).
    #[inline]
    pub fn event(self, input: &[u8], offset: u64, version: Version) -> RawEvent<'_> {
        self.split(input, offset, version).0
    }

    /// The event and the input after it.
    #[inline]
    pub fn split(self, input: &[u8], offset: u64, version: Version) -> (RawEvent<'_>, &[u8]) {
        let (bytes, after) = input.split_at(self.consumed as usize);
        let event = RawEvent::from_record(
            offset,
            version,
            bytes,
            self.values_start,
            self.values_end,
            self.value_count,
        );
        (event, after)
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

/// Parses the record at the start of `input` (which must not be empty), in general.
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
            // None of these parsers fails on its own (varints fail with a kind, the others only
            // ask for more); should one ever, the record is malformed all the same.
            Fault::Nom => ErrorKind::BadVarint,
        }),
    }
}

/// The hot path: a short, complete, valid record of the expected value count whose values fit
/// in 8 bytes (nearly every record of a trace), found with one word load, a multiplication and a
/// table ([`varint::nth_end`]).
/// Anything else, including every error and every record near the end of the input, goes the
/// general way ([`record`]) and gets the same answer there.
#[inline(always)]
pub(crate) fn inline_record(input: &[u8], fast: &Fast) -> Option<Shape> {
    let (&b, rest) = input.split_first()?;
    let count_code = b >> 6;
    let want = fast.counts[usize::from(b & 0x3f)];
    if count_code < 3 {
        // `want` values right after the type byte: the record ends with the n-th varint.
        let word = u64::from_le_bytes(*rest.first_chunk::<8>()?);
        let n = count_code + 1 + fast.extra;
        let len = varint::nth_end(word, n);
        if want != n || len == 0 {
            return None;
        }
        let end = 1 + u32::from(len);
        Some(Shape { consumed: end, values_end: end, value_count: u32::from(n), values_start: 1 })
    } else {
        // A one-byte length prefix of at most 8 bytes of values, which must end exactly there:
        // the `want`-th varint ends at the length, so exactly `want` end within it.
        let (&len, rest) = rest.split_first()?;
        let word = u64::from_le_bytes(*rest.first_chunk::<8>()?);
        if !(1..=8).contains(&len) || want == 0 || varint::nth_end(word, want) != len {
            return None;
        }
        let end = 2 + u32::from(len);
        Some(Shape { consumed: end, values_end: end, value_count: u32::from(want), values_start: 2 })
    }
}

fn position(input: &[u8], rest: &[u8]) -> usize {
    input.len() - rest.len()
}

fn shape(input: &[u8], values_start: &[u8], values_end: &[u8], count: u32, end: &[u8]) -> Shape {
    Shape {
        consumed: position(input, end) as u32,
        values_end: position(input, values_end) as u32,
        value_count: count,
        values_start: position(input, values_start) as u8,
    }
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
            n => check_limit(Limit::StringLen, n, ctx.limits.get_max_string_len())?,
        }
        let (end, _) = take(len.value() as usize).parse(after_len)?;
        return Ok((end, shape(input, rest, after_id, 1, end)));
    }

    let count_code = type_byte >> 6;
    let (values_start, values_end, count) = if count_code < 3 {
        let n = usize::from(count_code) + 1 + usize::from(ctx.version < Version::Go1_7);
        let (end, count) = fold_many_m_n(n, n, &value, || 0u32, |c, _| c + 1).parse(rest)?;
        (rest, end, count)
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
        (body, &body[pos..], count)
    };
    let values = &input[position(input, values_start)..position(input, values_end)];
    check_count(event, ctx.version, count, values, ctx.limits)?;
    if event != EventType::USER_LOG {
        return Ok((values_end, shape(input, values_start, values_end, count, values_end)));
    }
    let (end, ()) = message(values_end, ctx)?;
    Ok((end, shape(input, values_start, values_end, count, end)))
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

fn check_limit(what: Limit, value: u64, max: u64) -> Result<(), nom::Err<Fault>> {
    if value > max {
        return fail(ErrorKind::LimitExceeded { what, value, max });
    }
    Ok(())
}

fn check_count(
    event: EventType,
    version: Version,
    got: u32,
    values: &[u8],
    limits: Limits,
) -> Result<(), nom::Err<Fault>> {
    if event == EventType::STACK {
        if got < 2 {
            return fail(ErrorKind::StackTooShort { got });
        }
        let frames = varint::Values::new(values).nth(1).unwrap_or(0);
        if frames > MAX_STACK_FRAMES {
            return fail(ErrorKind::StackTooDeep { frames });
        }
        check_limit(Limit::StackFrames, frames, limits.get_max_stack_frames())?;
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

/// The message after a `UserLog` record's values; returns where the record ends. Go's reader
/// ignores every error here, so damage is kept rather than reported unless the reader is strict:
/// - no length at all, or a length cut by the end of the file: the record ends with the file;
/// - an unterminated 10-byte length: Go goes on after those 10 bytes;
/// - a length over 1 000 000: Go goes on right after the length;
/// - fewer bytes than the length before the end of the file: the bytes that are there.
fn message<'a>(i: &'a [u8], ctx: Ctx) -> PResult<'a, ()> {
    let damaged = |rest: &'a [u8]| if ctx.strict { fail(ErrorKind::MessageDamaged) } else { Ok((rest, ())) };
    let len = match varint::decode(i) {
        Ok(len) => len,
        Err(DecodeError::Incomplete) if !ctx.eof => return Err(nom::Err::Incomplete(Needed::new(1))),
        Err(DecodeError::Incomplete) => return damaged(&i[i.len()..]),
        Err(DecodeError::TooLong) => return damaged(&i[varint::MAX_LEN..]),
    };
    if ctx.strict && len.overflows() {
        return fail(ErrorKind::VarintOverflow);
    }
    let rest = &i[len.width() as usize..];
    if len.value() > MAX_STRING_LEN {
        return damaged(rest);
    }
    check_limit(Limit::StringLen, len.value(), ctx.limits.get_max_string_len())?;
    let n = len.value() as usize;
    if rest.len() >= n {
        return Ok((&rest[n..], ()));
    }
    if !ctx.eof {
        return Err(nom::Err::Incomplete(Needed::new(n - rest.len())));
    }
    damaged(&rest[rest.len()..])
}
