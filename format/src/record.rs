//! What a raw writer needs of a record, whatever the layout.

use crate::Version;

/// A raw record that can be written back: a legacy or a modern [`RawEvent`](crate::legacy::RawEvent).
pub trait RawRecord {
    /// The version of the trace the record belongs to.
    fn version(&self) -> Version;

    /// Appends the record's encoding to `out`, field by field.
    fn encode_to(&self, out: &mut Vec<u8>);
}

impl RawRecord for crate::legacy::RawEvent<'_> {
    fn version(&self) -> Version {
        crate::legacy::RawEvent::version(self)
    }

    fn encode_to(&self, out: &mut Vec<u8>) {
        crate::legacy::RawEvent::encode_to(self, out);
    }
}

impl RawRecord for crate::modern::RawEvent<'_> {
    fn version(&self) -> Version {
        crate::modern::RawEvent::version(self)
    }

    fn encode_to(&self, out: &mut Vec<u8>) {
        crate::modern::RawEvent::encode_to(self, out);
    }
}
