//! The raw re-encoder: writes raw records back from their fields.

use std::io::{self, Write};

use gotrace_format::legacy::RawEvent;
use gotrace_format::varint::Varint;
use gotrace_format::Version;

/// Bytes gathered before they are handed to the underlying writer.
const FLUSH_AT: usize = 64 * 1024;

/// Writes a legacy trace record by record, re-encoding each [`RawEvent`] from its fields (type
/// and count bits, length prefix, values and text, every varint in the width it was read in).
/// For any file the reader accepts, reading it and writing every event gives back the same
/// bytes; an edited event is written with its edit, its length prefix following.
///
/// ```
/// use gotrace_format::{legacy::RawEvent, Version};
/// use gotrace_writer::RawWriter;
/// // A GoStart record as the reader returns it: type byte, values [dt=667, g=19, seq=1].
/// let ev = RawEvent::from_parts(16, Version::Go1_19, 0x8e, None, &[0x9b, 0x05, 0x13, 0x01], 3, None);
/// let mut writer = RawWriter::new(Vec::new(), Version::Go1_19)?;
/// writer.write(&ev)?;
/// let bytes = writer.finish()?;
/// assert_eq!(&bytes[..16], b"go 1.19 trace\0\0\0");
/// assert_eq!(&bytes[16..], [0x8e, 0x9b, 0x05, 0x13, 0x01]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct RawWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    version: Version,
}

impl<W: Write> RawWriter<W> {
    /// Writes the header of `version` to `out`.
    pub fn new(out: W, version: Version) -> io::Result<RawWriter<W>> {
        let mut buf = Vec::with_capacity(FLUSH_AT + 1024);
        buf.extend_from_slice(&version.header());
        Ok(RawWriter { out, buf, version })
    }

    /// Appends one record. Records of another version than the writer's are refused.
    pub fn write(&mut self, event: &RawEvent<'_>) -> io::Result<()> {
        if event.version() != self.version {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a {} record in a {} trace", event.version(), self.version),
            ));
        }
        encode(event, &mut self.buf);
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes what is buffered, flushes, and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Appends the encoding of `event` to `out`.
///
/// ```
/// use gotrace_format::{legacy::RawEvent, Version};
/// let ev = RawEvent::from_parts(28, Version::Go1_19, 0x8e, None, &[0x9b, 0x05, 0x13, 0x01], 3, None);
/// let mut out = Vec::new();
/// gotrace_writer::encode_raw(&ev, &mut out);
/// assert_eq!(out, [0x8e, 0x9b, 0x05, 0x13, 0x01]);
/// ```
pub fn encode(event: &RawEvent<'_>, out: &mut Vec<u8>) {
    out.push(event.type_byte());
    let mut values = event.values();
    if let Some(length) = event.length() {
        let len = event.value_bytes().len() as u64;
        let length = if length.value() == len { length } else { Varint::padded(len, length.width()) };
        length.encode(out);
    }
    while let Some(v) = values.next_varint() {
        v.encode(out);
    }
    if let Some(text) = event.text() {
        text.len_varint().encode(out);
        out.extend_from_slice(text.bytes());
    }
}
