//! Raw legacy records as they sit in the file, shared by the reader and the writer.

use crate::legacy::{EventType, MAX_STRING_LEN};
use crate::varint::{self, Values, Varint};
use crate::Version;

/// One record of a legacy trace, in file order, borrowing its bytes from the input.
///
/// The fields are decoded on demand from the record's bytes ([`RawEvent::values`],
/// [`RawEvent::length`], [`RawEvent::text`]), so reading costs no allocation and no copy; every
/// encoding detail (varint widths, the count bits of the type byte, the length prefix) stays
/// visible, so that a writer re-encoding the fields gives back the same bytes.
///
/// ```
/// use gotrace_format::{legacy::{EventType, RawEvent}, Version};
/// // A GoStart record: type 14 with count code 2, values [dt=667, g=19, seq=1].
/// let mut buf = Vec::new();
/// let values = [667, 19, 1].map(gotrace_format::varint::Varint::new);
/// let ev = RawEvent::encode(28, Version::Go1_19, 0x8e, None, values.into_iter(), None, &mut buf);
/// assert_eq!(ev.bytes(), [0x8e, 0x9b, 0x05, 0x13, 0x01]);
/// assert_eq!(ev.event_type(), EventType::GO_START);
/// assert_eq!(ev.values().collect::<Vec<_>>(), [667, 19, 1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawEvent<'a> {
    offset: u64,
    bytes: &'a [u8],
    values_end: u32,
    value_count: u32,
    values_start: u8,
    version: Version,
}

/// The text that follows a `String` record's id or a `UserLog` record's values: a varint length
/// and the bytes.
///
/// A `UserLog` message can be damaged in ways Go's reader tolerates (cut by the end of the file,
/// an unterminated length, a length over 1 000 000 whose bytes Go then reads as records): such a
/// text is not [`complete`](Text::is_complete) and keeps exactly the bytes that were there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text<'a> {
    len: Varint,
    bytes: &'a [u8],
}

impl<'a> Text<'a> {
    /// A text of `bytes` with its length encoded as `len`.
    #[must_use]
    pub const fn new(len: Varint, bytes: &'a [u8]) -> Text<'a> {
        Text { len, bytes }
    }

    /// The encoded length, as read.
    #[must_use]
    pub const fn len_varint(&self) -> Varint {
        self.len
    }

    /// The bytes present (all of them when complete).
    #[must_use]
    pub const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// True when the length is terminated, within Go's limit, and all its bytes are present.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.len.is_terminated()
            && self.len.value() <= MAX_STRING_LEN
            && self.len.value() == self.bytes.len() as u64
    }

    /// Parses the text at the start of `rest`, which holds the rest of a record: the length,
    /// then whatever bytes the record kept (all of them, fewer, or none for damaged ones).
    fn parse(rest: &'a [u8]) -> Option<Text<'a>> {
        if rest.is_empty() {
            return None;
        }
        Some(match varint::decode(rest) {
            Ok(len) => Text { len, bytes: &rest[len.width() as usize..] },
            Err(_) => Text { len: varint::decode_unterminated(rest), bytes: &rest[rest.len()..] },
        })
    }
}

impl<'a> RawEvent<'a> {
    /// The record whose bytes are `bytes` and whose values occupy `bytes[values_start..values_end]`
    /// as `value_count` complete varints. Readers call this once they have checked the grammar;
    /// the accessors rely on it.
    #[must_use]
    #[inline]
    pub fn from_record(
        offset: u64,
        version: Version,
        bytes: &'a [u8],
        values_start: u8,
        values_end: u32,
        value_count: u32,
    ) -> RawEvent<'a> {
        debug_assert!(usize::from(values_start) <= values_end as usize && values_end as usize <= bytes.len());
        RawEvent { offset, bytes, values_end, value_count, values_start, version }
    }

    /// Encodes a record from its fields into `out` (cleared first) and returns it: the type
    /// byte, the length prefix (`length`'s width is kept; its value is recomputed from the
    /// values unless it already matches), the values in their widths, then the text.
    #[allow(clippy::too_many_arguments)]
    pub fn encode<'b>(
        offset: u64,
        version: Version,
        type_byte: u8,
        length: Option<Varint>,
        values: impl Iterator<Item = Varint> + Clone,
        text: Option<Text<'_>>,
        out: &'b mut Vec<u8>,
    ) -> RawEvent<'b> {
        out.clear();
        let (values_start, value_count) = encode_fields(type_byte, length, values, text, out);
        let values_end = out.len() - text.map_or(0, |t| t.len.width() as usize + t.bytes.len());
        RawEvent::from_record(offset, version, out, values_start, values_end as u32, value_count)
    }

    /// Appends the record's encoding to `out`, field by field (see [`RawEvent::encode`]).
    #[inline]
    pub fn encode_to(&self, out: &mut Vec<u8>) {
        encode_fields(self.type_byte(), self.length(), self.varints(), self.text(), out);
    }

    /// Byte offset of the record's first byte in the file.
    #[must_use]
    #[inline]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The version of the file the record comes from.
    #[must_use]
    pub const fn version(&self) -> Version {
        self.version
    }

    /// The record's type.
    #[must_use]
    #[inline]
    pub const fn event_type(&self) -> EventType {
        EventType::from_code_unchecked(self.bytes[0] & 0x3f)
    }

    /// Go's name of the record's type for this version.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.event_type().name(self.version)
    }

    /// The first byte as it was in the file: type in the low 6 bits, count code in the high 2.
    #[must_use]
    #[inline]
    pub const fn type_byte(&self) -> u8 {
        self.bytes[0]
    }

    /// The length prefix of a length-prefixed record (count code 3; never for `String`).
    #[must_use]
    pub fn length(&self) -> Option<Varint> {
        if self.values_start > 1 {
            varint::decode(&self.bytes[1..]).ok()
        } else {
            None
        }
    }

    /// Number of values.
    #[must_use]
    #[inline]
    pub const fn value_count(&self) -> u32 {
        self.value_count
    }

    /// The values, decoded one by one (for a `String` record: its id).
    #[inline]
    pub fn values(&self) -> Values<'a> {
        Values::new(self.value_bytes())
    }

    /// The values with their encodings.
    pub fn varints(&self) -> impl Iterator<Item = Varint> + Clone + 'a {
        let mut values = self.values();
        std::iter::from_fn(move || values.next_varint())
    }

    /// The encoded bytes of the values.
    #[must_use]
    #[inline]
    pub fn value_bytes(&self) -> &'a [u8] {
        &self.bytes[usize::from(self.values_start)..self.values_end as usize]
    }

    /// The `index`-th value (linear in `index`).
    #[must_use]
    pub fn value(&self, index: usize) -> Option<u64> {
        self.values().nth(index)
    }

    /// The text of a `String` record or the message of a `UserLog` record. A `UserLog` record
    /// cut right after its values has none.
    #[must_use]
    pub fn text(&self) -> Option<Text<'a>> {
        if self.event_type().has_text() {
            Text::parse(&self.bytes[self.values_end as usize..])
        } else {
            None
        }
    }

    /// The record's bytes in the file.
    #[must_use]
    #[inline]
    pub const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Bytes the record occupies in the file.
    #[must_use]
    #[inline]
    pub const fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The same record with value `index` replaced by `value`, re-encoded into `scratch` in the
    /// original width where it fits (minimal otherwise); the length prefix follows. Returns
    /// `None` when there is no such value.
    ///
    /// ```
    /// use gotrace_format::{legacy::RawEvent, varint::Varint, Version};
    /// let mut buf = Vec::new();
    /// let ev = RawEvent::encode(28, Version::Go1_19, 0x8e, None, [667, 19, 1].map(Varint::new).into_iter(), None, &mut buf);
    /// let mut scratch = Vec::new();
    /// let changed = ev.with_value(1, 300, &mut scratch).unwrap();
    /// assert_eq!(changed.values().collect::<Vec<_>>(), [667, 300, 1]);
    /// assert_eq!(changed.encoded_len(), ev.encoded_len() + 1);
    /// ```
    pub fn with_value<'b>(&self, index: usize, value: u64, scratch: &'b mut Vec<u8>) -> Option<RawEvent<'b>> {
        if index >= self.value_count as usize {
            return None;
        }
        let values =
            self.varints().enumerate().map(|(i, v)| if i == index { v.with_value(value) } else { v });
        Some(RawEvent::encode(
            self.offset,
            self.version,
            self.type_byte(),
            self.length(),
            values,
            self.text(),
            scratch,
        ))
    }
}

/// Appends the fields; returns where the values start and how many there are.
fn encode_fields(
    type_byte: u8,
    length: Option<Varint>,
    values: impl Iterator<Item = Varint> + Clone,
    text: Option<Text<'_>>,
    out: &mut Vec<u8>,
) -> (u8, u32) {
    let start = out.len();
    out.push(type_byte);
    if let Some(length) = length {
        let len: u64 = values.clone().map(|v| u64::from(v.width())).sum();
        let length = if length.value() == len { length } else { Varint::padded(len, length.width()) };
        length.encode(out);
    }
    let values_start = (out.len() - start) as u8;
    let mut count = 0;
    for v in values {
        v.encode(out);
        count += 1;
    }
    if let Some(text) = text {
        text.len.encode(out);
        out.extend_from_slice(text.bytes);
    }
    (values_start, count)
}
