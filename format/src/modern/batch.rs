//! What a batch holds, as Go's reader tells it.

use crate::modern::EventType;
use crate::Version;

/// The kind of a batch. An `EventBatch` is classified by the first byte of its body, whatever
/// its thread: the table batches start with `Stacks`, `Strings` or `CPUSamples`, the clock batch
/// with `Frequency` (versions 22 and 23) or `Sync` (25 and 26); anything else, an empty body
/// included, is a batch of timed events. An `ExperimentalBatch` holds the opaque data of its
/// experiment.
///
/// ```
/// use gotrace_format::{modern::BatchKind, Version};
/// assert_eq!(BatchKind::of_body(Version::Go1_23, Some(8)), BatchKind::Frequency);
/// assert_eq!(BatchKind::of_body(Version::Go1_26, Some(8)), BatchKind::Events);
/// assert_eq!(BatchKind::of_body(Version::Go1_26, Some(50)), BatchKind::Sync);
/// assert_eq!(BatchKind::of_body(Version::Go1_22, None), BatchKind::Events);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BatchKind {
    /// Timed events of one thread (or of none: the runtime's status batches).
    Events,
    /// A section of the stack table.
    Stacks,
    /// A section of the string table.
    Strings,
    /// CPU profile samples.
    CpuSamples,
    /// The clock frequency (22, 23).
    Frequency,
    /// The frequency and the clock snapshot (25, 26).
    Sync,
    /// An `ExperimentalBatch`'s data.
    Experimental,
}

impl BatchKind {
    /// The kind of an `EventBatch` of a `version` trace whose body starts with `first` (`None`
    /// for an empty body).
    #[must_use]
    pub fn of_body(version: Version, first: Option<u8>) -> BatchKind {
        let Some(code) = first else { return BatchKind::Events };
        match EventType::from_code(code, version) {
            Some(EventType::STACKS) => BatchKind::Stacks,
            Some(EventType::STRINGS) => BatchKind::Strings,
            Some(EventType::CPU_SAMPLES) => BatchKind::CpuSamples,
            Some(EventType::FREQUENCY) if version < Version::Go1_25 => BatchKind::Frequency,
            Some(EventType::SYNC) => BatchKind::Sync,
            _ => BatchKind::Events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_go() {
        for v in Version::MODERN {
            assert_eq!(BatchKind::of_body(v, Some(2)), BatchKind::Stacks);
            assert_eq!(BatchKind::of_body(v, Some(4)), BatchKind::Strings);
            assert_eq!(BatchKind::of_body(v, Some(6)), BatchKind::CpuSamples);
            assert_eq!(BatchKind::of_body(v, Some(13)), BatchKind::Events);
            let clock = if v < Version::Go1_25 { BatchKind::Frequency } else { BatchKind::Events };
            assert_eq!(BatchKind::of_body(v, Some(8)), clock, "{v}");
            let sync = if v < Version::Go1_25 { BatchKind::Events } else { BatchKind::Sync };
            assert_eq!(BatchKind::of_body(v, Some(50)), sync, "{v}");
        }
    }
}
