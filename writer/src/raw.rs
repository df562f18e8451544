//! The raw re-encoder: writes raw records back from their fields.

use std::io::{self, Write};

use gotrace_format::{RawRecord, Version};

/// Bytes gathered before they are handed to the underlying writer.
const FLUSH_AT: usize = 64 * 1024;

/// Writes a trace record by record, re-encoding each raw record from its fields, every varint in
/// the width it was read in: for a legacy [`RawEvent`](gotrace_format::legacy::RawEvent) its
/// type and count bits, length prefix, values and text; for a modern
/// [`RawEvent`](gotrace_format::modern::RawEvent) its type byte, experiment byte, values (a
/// batch's `size` keeps the runtime's 10-byte padding), data length and data. For any file the
/// readers accept, reading it and writing every event gives back the same bytes; an edited event
/// is written with its edit, its length prefix following. (Keeping a modern batch's `size` right
/// after an edit is the caller's business: the raw layer does not look ahead.)
///
/// ```
/// use gotrace_format::{legacy::RawEvent, Version};
/// use gotrace_writer::RawWriter;
/// // A GoStart record as the reader returns it: type byte, values [dt=667, g=19, seq=1].
/// let mut record = Vec::new();
/// let values = [667, 19, 1].map(gotrace_format::varint::Varint::new).into_iter();
/// let ev = RawEvent::encode(16, Version::Go1_19, 0x8e, None, values, None, &mut record);
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
    pub fn write(&mut self, event: &impl RawRecord) -> io::Result<()> {
        if event.version() != self.version {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a {} record in a {} trace", event.version(), self.version),
            ));
        }
        event.encode_to(&mut self.buf);
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
