//! Raw modern records as they sit in the file, shared by the reader and the writer.

use crate::modern::EventType;
use crate::varint::{self, Values, Varint};
use crate::Version;

/// One record of a modern trace, in file order, borrowing its bytes from the input.
///
/// A record is what Go's raw layer calls an event: a batch header (`EventBatch`, or
/// `ExperimentalBatch` with its opaque body), a table entry (`Stack`, `String`, `CPUSample`,
/// `Frequency`, `ClockSnapshot`), the first byte of a table batch (`Stacks`, `Strings`,
/// `CPUSamples`, `Sync`), a timed event, or the `EndOfGeneration` byte. The events of a batch
/// follow its header as records of their own.
///
/// The fields are decoded on demand ([`RawEvent::args`], [`RawEvent::data`]); every encoding
/// detail stays visible (varint widths, such as the runtime's 10-byte batch sizes), so that a
/// writer re-encoding the fields gives back the same bytes.
///
/// ```
/// use gotrace_format::{modern::{EventType, RawEvent}, varint::Varint, Version};
/// // A GoStart event: type 16, dt=667, g=19, g_seq=1.
/// let mut buf = Vec::new();
/// let args = [667, 19, 1].map(Varint::new);
/// let ev = RawEvent::encode(40, Version::Go1_23, EventType::GO_START, None, args.into_iter(), None, &mut buf);
/// assert_eq!(ev.bytes(), [0x10, 0x9b, 0x05, 0x13, 0x01]);
/// assert_eq!(ev.event_type(), EventType::GO_START);
/// assert_eq!(ev.args().collect::<Vec<_>>(), [667, 19, 1]);
/// assert_eq!(ev.arg_name(1), "g");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawEvent<'a> {
    offset: u64,
    bytes: &'a [u8],
    values_end: u32,
    value_count: u32,
    version: Version,
}

impl<'a> RawEvent<'a> {
    /// The record whose bytes are `bytes`, whose type byte names a type of `version`, and whose
    /// varints occupy `bytes[s..values_end]` as `value_count` complete varints, `s` being 2 for
    /// an `ExperimentalBatch` (its experiment byte comes first) and 1 otherwise; for a type with
    /// data, a complete varint length and exactly that many bytes follow. Readers call this once
    /// they have checked the grammar; the accessors rely on it.
    #[must_use]
    #[inline]
    pub fn from_record(
        offset: u64,
        version: Version,
        bytes: &'a [u8],
        values_end: u32,
        value_count: u32,
    ) -> RawEvent<'a> {
        debug_assert!(EventType::from_code(bytes[0], version).is_some());
        debug_assert!(values_end as usize <= bytes.len());
        RawEvent { offset, bytes, values_end, value_count, version }
    }

    /// Encodes a record from its fields into `out` (cleared first) and returns it: the type
    /// byte, the experiment byte of an `ExperimentalBatch`, the varints in their widths (for a
    /// `Stack`, the frames' values follow `id` and `nframes`), then for a type with data its
    /// length and bytes. The caller gives the fields `event_type` has (see
    /// [`EventType::varint_count`]).
    #[allow(clippy::too_many_arguments)]
    pub fn encode<'b>(
        offset: u64,
        version: Version,
        event_type: EventType,
        experiment: Option<u8>,
        values: impl Iterator<Item = Varint>,
        data: Option<(Varint, &[u8])>,
        out: &'b mut Vec<u8>,
    ) -> RawEvent<'b> {
        out.clear();
        let (values_end, value_count) = encode_fields(event_type, experiment, values, data, out);
        RawEvent::from_record(offset, version, out, values_end, value_count)
    }

    /// Appends the record's encoding to `out`, field by field (see [`RawEvent::encode`]).
    #[inline]
    pub fn encode_to(&self, out: &mut Vec<u8>) {
        let data = self.data_len().zip(self.data());
        encode_fields(self.event_type(), self.experiment(), self.varints(), data, out);
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
    pub fn event_type(&self) -> EventType {
        EventType::from_code_unchecked(self.bytes[0])
    }

    /// The type byte.
    #[must_use]
    #[inline]
    pub const fn code(&self) -> u8 {
        self.bytes[0]
    }

    /// Go's name of the record's type.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.event_type().name()
    }

    fn values_start(&self) -> usize {
        1 + usize::from(self.bytes[0] == EventType::EXPERIMENTAL_BATCH.code())
    }

    /// The experiment byte of an `ExperimentalBatch`.
    #[must_use]
    pub fn experiment(&self) -> Option<u8> {
        (self.bytes[0] == EventType::EXPERIMENTAL_BATCH.code()).then(|| self.bytes[1])
    }

    /// Number of arguments, as Go's raw layer counts them: the experiment of an
    /// `ExperimentalBatch`, every varint, and for a `Stack` the 4 values of every frame.
    #[must_use]
    #[inline]
    pub fn arg_count(&self) -> u32 {
        self.value_count + u32::from(self.experiment().is_some())
    }

    /// The arguments, decoded one by one (see [`RawEvent::arg_count`]).
    #[inline]
    pub fn args(&self) -> Args<'a> {
        Args { experiment: self.experiment(), values: Values::new(self.value_bytes()) }
    }

    /// The `index`-th argument (linear in `index`).
    #[must_use]
    pub fn arg(&self, index: usize) -> Option<u64> {
        self.args().nth(index)
    }

    /// The name of the `index`-th argument in the text form: the type's argument names, then
    /// `pc`, `func`, `file`, `line` for each frame of a stack; `"?"` beyond.
    #[must_use]
    pub fn arg_name(&self, index: usize) -> &'static str {
        let names = self.event_type().arg_names();
        match names.get(index) {
            Some(name) => name,
            None if self.event_type().is_stack() && index < self.arg_count() as usize => {
                crate::modern::FRAME_FIELDS[(index - names.len()) % 4]
            }
            None => "?",
        }
    }

    /// The varints with their encodings (without the experiment byte, the data length or the
    /// data).
    pub fn varints(&self) -> impl Iterator<Item = Varint> + Clone + 'a {
        let mut values = Values::new(self.value_bytes());
        std::iter::from_fn(move || values.next_varint())
    }

    /// The encoded bytes of the varints.
    #[must_use]
    #[inline]
    pub fn value_bytes(&self) -> &'a [u8] {
        &self.bytes[self.values_start()..self.values_end as usize]
    }

    /// The length of the data of a `String` or an `ExperimentalBatch` (the batch's `size`), as
    /// encoded.
    #[must_use]
    pub fn data_len(&self) -> Option<Varint> {
        if self.event_type().has_data() {
            varint::decode(&self.bytes[self.values_end as usize..]).ok()
        } else {
            None
        }
    }

    /// The bytes of a `String` or the body of an `ExperimentalBatch`.
    #[must_use]
    pub fn data(&self) -> Option<&'a [u8]> {
        let len = self.data_len()?;
        Some(&self.bytes[self.values_end as usize + usize::from(len.width())..])
    }

    /// The frames of a `Stack`, as `[pc, func, file, line]`.
    pub fn frames(&self) -> impl Iterator<Item = [u64; 4]> + 'a {
        let mut values = Values::new(self.value_bytes());
        if self.event_type().is_stack() {
            values.by_ref().take(2).for_each(drop);
        } else {
            values = Values::new(&[]);
        }
        std::iter::from_fn(move || Some([values.next()?, values.next()?, values.next()?, values.next()?]))
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

    /// Bytes the record would occupy with every varint minimal, as Go's `raw.Writer` writes it
    /// and `go tool trace -d=footprint` counts it (Go writes the experiment as a varint too).
    #[must_use]
    pub fn minimal_len(&self) -> usize {
        let varints: usize = self.args().map(varint::encoded_len).sum();
        let data = self.data().map_or(0, |d| varint::encoded_len(d.len() as u64) + d.len());
        1 + varints + data
    }
}

/// The arguments of a [`RawEvent`]: the experiment byte of an `ExperimentalBatch`, then the
/// varints.
#[derive(Clone, Debug)]
#[must_use]
pub struct Args<'a> {
    experiment: Option<u8>,
    values: Values<'a>,
}

impl Iterator for Args<'_> {
    type Item = u64;

    #[inline]
    fn next(&mut self) -> Option<u64> {
        match self.experiment.take() {
            Some(e) => Some(u64::from(e)),
            None => self.values.next(),
        }
    }
}

/// Appends the fields; returns where the varints end (relative to the record's start) and how
/// many there are.
fn encode_fields(
    event_type: EventType,
    experiment: Option<u8>,
    values: impl Iterator<Item = Varint>,
    data: Option<(Varint, &[u8])>,
    out: &mut Vec<u8>,
) -> (u32, u32) {
    let start = out.len();
    out.push(event_type.code());
    if event_type == EventType::EXPERIMENTAL_BATCH {
        out.push(experiment.unwrap_or(0));
    }
    let mut count = 0;
    for v in values {
        v.encode(out);
        count += 1;
    }
    let values_end = (out.len() - start) as u32;
    if event_type.has_data() {
        let (len, bytes) = data.unwrap_or((Varint::new(0), &[]));
        let len = if len.value() == bytes.len() as u64 { len } else { len.with_value(bytes.len() as u64) };
        len.encode(out);
        out.extend_from_slice(bytes);
    }
    (values_end, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experimental_batch_fields() {
        // exp=1 gen=1 m=-1 time=5 size=3 (padded to 10 bytes) data=[1,2,3]
        let mut buf = Vec::new();
        let vals = [1, u64::MAX, 5].map(Varint::new);
        let ev = RawEvent::encode(
            16,
            Version::Go1_23,
            EventType::EXPERIMENTAL_BATCH,
            Some(1),
            vals.into_iter(),
            Some((Varint::padded(3, 10), &[1, 2, 3])),
            &mut buf,
        );
        assert_eq!(ev.arg_count(), 4);
        assert_eq!(ev.args().collect::<Vec<_>>(), [1, 1, u64::MAX, 5]);
        assert_eq!(ev.data(), Some(&[1u8, 2, 3][..]));
        assert_eq!(ev.data_len().unwrap().width(), 10);
        assert_eq!(ev.encoded_len(), 2 + 1 + 10 + 1 + 10 + 3);
        assert_eq!(ev.minimal_len(), 1 + 1 + 1 + 10 + 1 + 1 + 3);
        let mut again = Vec::new();
        ev.encode_to(&mut again);
        assert_eq!(again, ev.bytes());
        assert_eq!((ev.arg_name(0), ev.arg_name(3), ev.arg_name(4)), ("exp", "time", "?"));
    }

    #[test]
    fn stack_frames() {
        let mut buf = Vec::new();
        let vals = [7, 2, 100, 1, 2, 30, 200, 3, 4, 40].map(Varint::new);
        let ev =
            RawEvent::encode(0, Version::Go1_22, EventType::STACK, None, vals.into_iter(), None, &mut buf);
        assert_eq!(ev.frames().collect::<Vec<_>>(), [[100, 1, 2, 30], [200, 3, 4, 40]]);
        assert_eq!(ev.arg_name(6), "pc");
        assert_eq!(ev.arg_name(9), "line");
        assert_eq!(ev.arg_name(10), "?");
        assert_eq!(ev.data(), None);
    }
}
