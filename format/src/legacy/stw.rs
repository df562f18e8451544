//! Stop-the-world reasons: the argument of `GCSTWStart` / `STWStart`, numbered per version.

use crate::Version;

/// Why the world was stopped: the `kind` argument of a `GCSTWStart` (`STWStart` in Go 1.21)
/// event.
///
/// Go 1.10 – 1.20 traces know two kinds, numbered 0 (mark termination) and 1 (sweep
/// termination); Go 1.21 renumbered them and added the other stops, from 1 (GC mark termination)
/// to 16. [`StwReason::code`] gives the number a version writes, [`StwReason::from_code`] reads
/// it back.
///
/// ```
/// use gotrace_format::{legacy::StwReason, Version};
/// let r = StwReason::GcSweepTermination;
/// assert_eq!(r.code(Version::Go1_19), Some(1));
/// assert_eq!(r.code(Version::Go1_21), Some(2));
/// assert_eq!(StwReason::ReadMemStats.code(Version::Go1_19), None); // not traced before 1.21
/// assert_eq!(StwReason::from_code(2, Version::Go1_21), Some(r));
/// assert_eq!(r.name(Version::Go1_21), "GC sweep termination");
/// assert_eq!(r.name(Version::Go1_19), "sweep termination");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum StwReason {
    /// Unknown (Go 1.21's 0).
    Unknown,
    /// GC mark termination.
    GcMarkTermination,
    /// GC sweep termination.
    GcSweepTermination,
    /// `runtime/debug.WriteHeapDump`.
    WriteHeapDump,
    /// Goroutine profile.
    GoroutineProfile,
    /// Goroutine profile cleanup.
    GoroutineProfileCleanup,
    /// Stack traces of all goroutines.
    AllGoroutinesStackTrace,
    /// `runtime.ReadMemStats`.
    ReadMemStats,
    /// `syscall.AllThreadsSyscall`.
    AllThreadsSyscall,
    /// `runtime.GOMAXPROCS`.
    Gomaxprocs,
    /// Trace start (never traced).
    StartTrace,
    /// Trace stop (never traced).
    StopTrace,
    /// A runtime test.
    CountPagesInUse,
    /// A runtime test.
    ReadMetricsSlow,
    /// A runtime test.
    ReadMemStatsSlow,
    /// A runtime test.
    PageCachePagesLeaked,
    /// A runtime test.
    ResetDebugLog,
}

/// Go 1.21's reasons, indexed by their code, with Go's names.
const REASONS_1_21: [(StwReason, &str); 17] = [
    (StwReason::Unknown, "unknown"),
    (StwReason::GcMarkTermination, "GC mark termination"),
    (StwReason::GcSweepTermination, "GC sweep termination"),
    (StwReason::WriteHeapDump, "write heap dump"),
    (StwReason::GoroutineProfile, "goroutine profile"),
    (StwReason::GoroutineProfileCleanup, "goroutine profile cleanup"),
    (StwReason::AllGoroutinesStackTrace, "all goroutines stack trace"),
    (StwReason::ReadMemStats, "read mem stats"),
    (StwReason::AllThreadsSyscall, "AllThreadsSyscall"),
    (StwReason::Gomaxprocs, "GOMAXPROCS"),
    (StwReason::StartTrace, "start trace"),
    (StwReason::StopTrace, "stop trace"),
    (StwReason::CountPagesInUse, "CountPagesInUse (test)"),
    (StwReason::ReadMetricsSlow, "ReadMetricsSlow (test)"),
    (StwReason::ReadMemStatsSlow, "ReadMemStatsSlow (test)"),
    (StwReason::PageCachePagesLeaked, "PageCachePagesLeaked (test)"),
    (StwReason::ResetDebugLog, "ResetDebugLog (test)"),
];

impl StwReason {
    /// The number `version` writes for this reason: `None` where the version cannot say it
    /// (before 1.10 STW events carry no kind; 1.10 – 1.20 only know the two GC stops).
    #[must_use]
    pub fn code(self, version: Version) -> Option<u64> {
        if version >= Version::Go1_21 {
            REASONS_1_21.iter().position(|(r, _)| *r == self).map(|i| i as u64)
        } else if version >= Version::Go1_10 {
            match self {
                StwReason::GcMarkTermination => Some(0),
                StwReason::GcSweepTermination => Some(1),
                _ => None,
            }
        } else {
            None
        }
    }

    /// The reason `code` names in `version`, if any (Go 1.21 reads unknown codes as
    /// "unknown"; Go 1.10 – 1.20 reject them).
    #[must_use]
    pub fn from_code(code: u64, version: Version) -> Option<StwReason> {
        if version >= Version::Go1_21 {
            REASONS_1_21.get(usize::try_from(code).ok()?).map(|(r, _)| *r)
        } else if version >= Version::Go1_10 {
            match code {
                0 => Some(StwReason::GcMarkTermination),
                1 => Some(StwReason::GcSweepTermination),
                _ => None,
            }
        } else {
            None
        }
    }

    /// Go's name of the reason, as its parser for `version` prints it (`kind=` in `-d`).
    #[must_use]
    pub fn name(self, version: Version) -> &'static str {
        if version >= Version::Go1_21 {
            REASONS_1_21.iter().find(|(r, _)| *r == self).map_or("unknown", |(_, n)| n)
        } else {
            match self {
                StwReason::GcSweepTermination => "sweep termination",
                _ => "mark termination",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (code, (reason, _)) in REASONS_1_21.iter().enumerate() {
            assert_eq!(reason.code(Version::Go1_21), Some(code as u64));
            assert_eq!(StwReason::from_code(code as u64, Version::Go1_21), Some(*reason));
        }
        for v in [Version::Go1_10, Version::Go1_11, Version::Go1_19] {
            for code in 0..2 {
                assert_eq!(StwReason::from_code(code, v).unwrap().code(v), Some(code));
            }
            assert_eq!(StwReason::from_code(2, v), None);
        }
        assert_eq!(StwReason::GcMarkTermination.code(Version::Go1_9), None);
    }
}
