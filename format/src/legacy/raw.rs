//! Raw legacy records as they sit in the file, shared by the reader and the writer.

use crate::legacy::EventType;
use crate::varint::{Values, Varint};
use crate::Version;

/// One record of a legacy trace, in file order, borrowing its bytes from the input.
///
/// Values are kept encoded and decoded on demand ([`RawEvent::values`]), so reading costs no
/// allocation; every encoding detail (varint widths, the count bits of the type byte, the
/// length prefix) is kept, so that a writer re-encoding the fields gives back the same bytes.
///
/// ```
/// use gotrace_format::{legacy::{EventType, RawEvent}, Version};
/// // A GoStart record: type 14 with count code 2, values [dt=667, g=19, seq=1].
/// let ev = RawEvent::from_parts(28, Version::Go1_19, 0x8e, None, &[0x9b, 0x05, 0x13, 0x01], 3, None);
/// assert_eq!(ev.event_type(), EventType::GO_START);
/// assert_eq!(ev.values().collect::<Vec<_>>(), [667, 19, 1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawEvent<'a> {
    offset: u64,
    version: Version,
    type_byte: u8,
    length: Option<Varint>,
    values: &'a [u8],
    value_count: u32,
    text: Option<Text<'a>>,
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
            && self.len.value() <= super::MAX_STRING_LEN
            && self.len.value() == self.bytes.len() as u64
    }
}

impl<'a> RawEvent<'a> {
    /// Assembles a record from its fields. `values` must hold `value_count` complete varints;
    /// the readers guarantee it, [`RawEvent::values`] relies on it.
    #[must_use]
    pub const fn from_parts(
        offset: u64,
        version: Version,
        type_byte: u8,
        length: Option<Varint>,
        values: &'a [u8],
        value_count: u32,
        text: Option<Text<'a>>,
    ) -> RawEvent<'a> {
        RawEvent { offset, version, type_byte, length, values, value_count, text }
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
        EventType::from_code_unchecked(self.type_byte & 0x3f)
    }

    /// Go's name of the record's type for this version.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.event_type().name(self.version)
    }

    /// The first byte as it was in the file: type in the low 6 bits, count code in the high 2.
    #[must_use]
    pub const fn type_byte(&self) -> u8 {
        self.type_byte
    }

    /// The length prefix of a length-prefixed record (count code 3), as read.
    #[must_use]
    pub const fn length(&self) -> Option<Varint> {
        self.length
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
        Values::new(self.values)
    }

    /// The encoded bytes of the values.
    #[must_use]
    pub const fn value_bytes(&self) -> &'a [u8] {
        self.values
    }

    /// The `index`-th value (linear in `index`).
    #[must_use]
    pub fn value(&self, index: usize) -> Option<u64> {
        self.values().nth(index)
    }

    /// The text of a `String` record or the message of a `UserLog` record.
    #[must_use]
    pub const fn text(&self) -> Option<Text<'a>> {
        self.text
    }

    /// Bytes the record occupies in the file.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let text = self.text.map_or(0, |t| t.len.width() as usize + t.bytes.len());
        1 + self.length.map_or(0, |l| l.width() as usize) + self.values.len() + text
    }

    /// The same record with value `index` replaced by `value`, re-encoded into `scratch` in the
    /// original width where it fits (minimal otherwise); the length prefix follows. Returns
    /// `None` when there is no such value.
    ///
    /// ```
    /// use gotrace_format::{legacy::RawEvent, Version};
    /// let ev = RawEvent::from_parts(28, Version::Go1_19, 0x8e, None, &[0x9b, 0x05, 0x13, 0x01], 3, None);
    /// let mut scratch = Vec::new();
    /// let changed = ev.with_value(1, 300, &mut scratch).unwrap();
    /// assert_eq!(changed.values().collect::<Vec<_>>(), [667, 300, 1]);
    /// ```
    pub fn with_value<'b>(&self, index: usize, value: u64, scratch: &'b mut Vec<u8>) -> Option<RawEvent<'b>>
    where
        'a: 'b,
    {
        if index >= self.value_count as usize {
            return None;
        }
        scratch.clear();
        let mut it = self.values();
        let mut i = 0;
        while let Some(v) = it.next_varint() {
            let v = if i == index { v.with_value(value) } else { v };
            v.encode(scratch);
            i += 1;
        }
        let length = self.length.map(|l| l.with_value(scratch.len() as u64));
        Some(RawEvent { values: scratch, length, ..*self })
    }
}
