//! The grammar of one modern record, as nom streaming parsers.
//!
//! A record is parsed either where a batch may start (a batch header, or the end-of-generation
//! byte) or inside a batch's body, whose end bounds it. The parsers return the record's
//! *shape* (positions within the input, no borrow), so that the streaming reader can refill its
//! buffer and still hand out events that borrow it. Varints are decoded by the hand-written loop
//! of `gotrace_format::varint`; nom supplies the streaming plumbing (`Incomplete` with the bytes
//! needed, `take`, repetition).

use gotrace_format::modern::{BatchField, ErrorKind, EventType, ReadFault, MAX_BATCH_SIZE};
use gotrace_format::varint::{self, DecodeError, Varint};
use gotrace_format::Version;
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

/// Where the next record starts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place {
    /// Where a batch may start.
    Boundary,
    /// Inside a batch's body of `size` bytes, `left` of which are still to come.
    Body { size: u64, left: u64 },
}

/// What the parser is told about the next record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    pub version: Version,
    pub place: Place,
    /// True when no byte follows the input: a shortage is then a truncation, not a wait.
    pub eof: bool,
}

/// A parsed record as positions within the input it was parsed from (which starts with it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    /// Bytes the record occupies.
    pub consumed: u32,
    values_end: u32,
    value_count: u32,
    /// For an `EventBatch` header, the size of the body that follows.
    pub body: Option<u32>,
}

impl Shape {
    /// The event, borrowing `input` (the same bytes the shape was parsed from).
    #[inline]
    pub fn event(self, input: &[u8], offset: u64, version: Version) -> gotrace_format::modern::RawEvent<'_> {
        self.split(input, offset, version).0
    }

    /// The event and the input after it.
    #[inline]
    pub fn split(
        self,
        input: &[u8],
        offset: u64,
        version: Version,
    ) -> (gotrace_format::modern::RawEvent<'_>, &[u8]) {
        let (bytes, after) = input.split_at(self.consumed as usize);
        let event = gotrace_format::modern::RawEvent::from_record(
            offset,
            version,
            bytes,
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

/// What the hot path needs of one version: per type byte, the number of varints of a record
/// that is only a type byte and varints (1 to 5 of them), or 0 when the record takes the
/// general path (batch headers, stacks, strings, table batch starts, unknown types).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fast {
    counts: [u8; 256],
}

impl Fast {
    pub fn new(version: Version) -> Fast {
        let mut counts = [0u8; 256];
        for t in EventType::all(version) {
            let n = t.varint_count();
            if !t.is_batch_header() && !t.is_stack() && !t.has_data() && (1..=5).contains(&n) {
                counts[usize::from(t.code())] = n as u8;
            }
        }
        Fast { counts }
    }
}

/// The hot path: a complete event of 1 to 5 varints fitting in the 8 bytes after its type
/// byte and inside the `left` bytes of its batch (nearly every record of a trace), found with one
/// word load, a multiplication and a table. Anything else, including every error and every
/// record near the end of the input, goes the general way ([`record`]) and gets the same answer
/// there.
#[inline(always)]
pub(crate) fn inline_record(input: &[u8], fast: &Fast, left: u64) -> Option<Shape> {
    let (&b, rest) = input.split_first()?;
    let n = fast.counts[usize::from(b)];
    if n == 0 {
        return None;
    }
    let word = u64::from_le_bytes(*rest.first_chunk::<8>()?);
    let len = varint::nth_end(word, n);
    let end = 1 + u32::from(len);
    if len == 0 || u64::from(end) > left {
        return None;
    }
    Some(Shape { consumed: end, values_end: end, value_count: u32::from(n), body: None })
}

/// Parses the record at the start of `input`, in general.
pub(crate) fn record(input: &[u8], ctx: Ctx) -> Result<Step, ErrorKind> {
    match ctx.place {
        Place::Boundary => boundary(input, ctx),
        Place::Body { size, left } => body(input, ctx, size, left),
    }
}

fn position(input: &[u8], rest: &[u8]) -> usize {
    input.len() - rest.len()
}

fn need(input_len: usize, needed: Needed) -> usize {
    let n = match needed {
        Needed::Size(n) => n.get(),
        Needed::Unknown => 1,
    };
    input_len.saturating_add(n)
}

fn unwrap_fault(f: Fault) -> ErrorKind {
    match f {
        Fault::Kind(k) => k,
        // None of these parsers fails on its own (varints fail with a kind, the others only
        // ask for more); should one ever, the record is malformed all the same.
        Fault::Nom => ErrorKind::VarintOverflow,
    }
}

// ---- Where a batch may start ----

fn boundary(input: &[u8], ctx: Ctx) -> Result<Step, ErrorKind> {
    let Some(&b) = input.first() else {
        return Ok(Step::NeedMore(1));
    };
    let t = EventType::from_code(b, ctx.version);
    let result = match t {
        Some(EventType::EVENT_BATCH) => batch_header(input, ctx),
        Some(EventType::EXPERIMENTAL_BATCH) => experimental_batch(input, ctx),
        Some(EventType::END_OF_GENERATION) => {
            Ok((&input[1..], Shape { consumed: 1, values_end: 1, value_count: 0, body: None }))
        }
        _ => return Err(ErrorKind::ExpectedBatch { code: b }),
    };
    match result {
        Ok((_, shape)) => Ok(Step::Record(shape)),
        Err(nom::Err::Incomplete(needed)) => Ok(Step::NeedMore(need(input.len(), needed))),
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(unwrap_fault(f)),
    }
}

/// One varint of a batch header: a cut one is `BadBatchHeader` at the end of the input.
fn header_varint(field: BatchField, eof: bool) -> impl Fn(&[u8]) -> PResult<'_, Varint> {
    move |i| match varint::decode(i) {
        Ok(v) if v.overflows() => fail(ErrorKind::BadBatchHeader { field, fault: ReadFault::Overflow }),
        Ok(v) => Ok((&i[v.width() as usize..], v)),
        Err(DecodeError::TooLong) => fail(ErrorKind::BadBatchHeader { field, fault: ReadFault::Overflow }),
        Err(DecodeError::Incomplete) if eof => {
            let fault = if i.is_empty() { ReadFault::Eof } else { ReadFault::UnexpectedEof };
            fail(ErrorKind::BadBatchHeader { field, fault })
        }
        Err(DecodeError::Incomplete) => Err(nom::Err::Incomplete(Needed::new(1))),
    }
}

/// gen, m, time and size, the size checked; returns the input after time, and the size.
fn header_fields(i: &[u8], eof: bool) -> PResult<'_, (&[u8], u64)> {
    let (i, _) = header_varint(BatchField::Gen, eof)(i)?;
    let (i, _) = header_varint(BatchField::M, eof)(i)?;
    let (after_time, _) = header_varint(BatchField::Time, eof)(i)?;
    let (i, size) = header_varint(BatchField::Size, eof)(after_time)?;
    if size.value() > MAX_BATCH_SIZE {
        return fail(ErrorKind::BatchTooLarge { size: size.value() });
    }
    Ok((i, (after_time, size.value())))
}

fn batch_header(input: &[u8], ctx: Ctx) -> PResult<'_, Shape> {
    let (end, (_, size)) = header_fields(&input[1..], ctx.eof)?;
    let consumed = position(input, end) as u32;
    Ok((end, Shape { consumed, values_end: consumed, value_count: 4, body: Some(size as u32) }))
}

/// The header (its experiment byte first) and the opaque body, read as one record.
fn experimental_batch(input: &[u8], ctx: Ctx) -> PResult<'_, Shape> {
    if input.len() < 2 {
        if ctx.eof {
            return fail(ErrorKind::BadBatchHeader { field: BatchField::Experiment, fault: ReadFault::Eof });
        }
        return Err(nom::Err::Incomplete(Needed::new(1)));
    }
    let (data, (after_time, size)) = header_fields(&input[2..], ctx.eof)?;
    let result: PResult<'_, &[u8]> = take(size as usize).parse(data);
    let end = match result {
        Ok((end, _)) => end,
        Err(nom::Err::Incomplete(_)) if ctx.eof => {
            return fail(ErrorKind::BatchTruncated { read: data.len() as u64, want: size });
        }
        Err(e) => return Err(e),
    };
    let shape = Shape {
        consumed: position(input, end) as u32,
        values_end: position(input, after_time) as u32,
        value_count: 3,
        body: None,
    };
    Ok((end, shape))
}

// ---- Inside a batch ----

fn body(input: &[u8], ctx: Ctx, size: u64, left: u64) -> Result<Step, ErrorKind> {
    let window = &input[..input.len().min(usize::try_from(left).unwrap_or(usize::MAX))];
    let whole = window.len() as u64 == left;
    let truncated = || ErrorKind::BatchTruncated { read: size - left + input.len() as u64, want: size };
    let Some(&b) = window.first() else {
        return if ctx.eof { Err(truncated()) } else { Ok(Step::NeedMore(1)) };
    };
    match event(window, ctx.version, left) {
        Ok((_, shape)) => Ok(Step::Record(shape)),
        Err(nom::Err::Incomplete(needed)) => {
            if whole {
                Err(ErrorKind::EventOverrunsBatch { code: b })
            } else if ctx.eof {
                Err(truncated())
            } else {
                // Never ask for more than the body holds: the rest is the overrun above.
                Ok(Step::NeedMore(need(window.len(), needed).min(left as usize)))
            }
        }
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(unwrap_fault(f)),
    }
}

/// One varint inside a batch.
fn value(i: &[u8]) -> PResult<'_, Varint> {
    match varint::decode(i) {
        Ok(v) if v.overflows() => fail(ErrorKind::VarintOverflow),
        Ok(v) => Ok((&i[v.width() as usize..], v)),
        Err(DecodeError::Incomplete) => Err(nom::Err::Incomplete(Needed::new(1))),
        Err(DecodeError::TooLong) => fail(ErrorKind::VarintOverflow),
    }
}

/// The event at the start of `input`, which holds at most the `left` bytes of its batch.
fn event(input: &[u8], version: Version, left: u64) -> PResult<'_, Shape> {
    let (rest, b) = nom::number::streaming::u8(input)?;
    let Some(t) = EventType::from_code(b, version) else {
        return fail(ErrorKind::InvalidEventType { code: b });
    };
    if t.is_batch_header() || t == EventType::END_OF_GENERATION {
        return fail(ErrorKind::BatchInsideBatch { code: b });
    }
    let overrun = || fail(ErrorKind::EventOverrunsBatch { code: b });
    let n = t.varint_count();
    let (values_end, mut count) = fold_many_m_n(n, n, value, || 0u32, |c, _| c + 1).parse(rest)?;
    if t.is_stack() {
        let frames = varint::Values::new(&rest[..position(rest, values_end)]).nth(1).unwrap_or(0);
        // Every frame takes at least 4 bytes: a count the batch cannot hold is an overrun, found
        // before reading any frame.
        let room = left - position(input, values_end) as u64;
        if frames > room / 4 {
            return overrun();
        }
        let n = 4 * frames as usize;
        let (end, frame_values) = fold_many_m_n(n, n, value, || 0u32, |c, _| c + 1).parse(values_end)?;
        count += frame_values;
        return Ok((end, shape(input, end, count, end)));
    }
    if !t.has_data() {
        return Ok((values_end, shape(input, values_end, count, values_end)));
    }
    let (data, len) = value(values_end)?;
    if len.value() > left - position(input, data) as u64 {
        return overrun();
    }
    let (end, _) = take(len.value() as usize).parse(data)?;
    Ok((end, shape(input, values_end, count, end)))
}

fn shape(input: &[u8], values_end: &[u8], count: u32, end: &[u8]) -> Shape {
    Shape {
        consumed: position(input, end) as u32,
        values_end: position(input, values_end) as u32,
        value_count: count,
        body: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_path_agrees_with_the_grammar() {
        let fast = Fast::new(Version::Go1_26);
        // GoStart dt=300 g=1 g_seq=2, then padding; HeapAlloc dt=1 with a 9-byte value (too long).
        let ev = [16u8, 0xac, 0x02, 1, 2, 0, 0, 0, 0];
        let shape = inline_record(&ev, &fast, 100).unwrap();
        assert_eq!((shape.consumed, shape.value_count), (5, 3));
        assert!(inline_record(&ev, &fast, 4).is_none(), "past the batch");
        let long = [37u8, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert!(inline_record(&long, &fast, 100).is_none());
        let ctx = Ctx { version: Version::Go1_26, place: Place::Body { size: 100, left: 100 }, eof: true };
        match record(&long, ctx) {
            Ok(Step::Record(shape)) => assert_eq!(shape.consumed, 11),
            other => panic!("{other:?}"),
        }
    }
}
