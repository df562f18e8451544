//! Trace format versions and the 16-byte file header (`"go 1.N trace\0\0\0"`).

use crate::error::{Error, ErrorKind};

/// Length of the file header in bytes.
pub const HEADER_LEN: usize = 16;

/// A trace format version, as named by the file header.
///
/// Only the versions some Go release wrote exist: Go 1.6 wrote `go 1.5 trace`, Go 1.12 – 1.18
/// wrote `go 1.11 trace`, Go 1.20 wrote `go 1.19 trace`, Go 1.24 wrote `go 1.23 trace`, Go 1.27
/// writes `go 1.26 trace`; there is no 1.24 and no 1.27 format.
///
/// ```
/// use gotrace_format::Version;
/// assert_eq!(Version::from_number(1019), Some(Version::Go1_19));
/// assert_eq!(Version::Go1_19.to_string(), "1.19");
/// assert!(Version::Go1_21.is_legacy());
/// assert!(!Version::Go1_22.is_legacy());
/// assert_eq!(Version::from_number(1024), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Version {
    /// `go 1.5 trace`: Go 1.5 and 1.6 (global sequence numbers, PC-only stacks).
    Go1_5,
    /// `go 1.7 trace`: per-goroutine sequence numbers, string records, symbolised stacks.
    Go1_7,
    /// `go 1.8 trace`: `GoStartLabel`, `GoBlockGC`.
    Go1_8,
    /// `go 1.9 trace`: mark assists, `GCSweepDone` figures.
    Go1_9,
    /// `go 1.10 trace`: STW kind.
    Go1_10,
    /// `go 1.11 trace`: user tasks, regions and logs (written by Go 1.11 – 1.18).
    Go1_11,
    /// `go 1.19 trace`: CPU samples (written by Go 1.19 and 1.20).
    Go1_19,
    /// `go 1.21 trace`: renumbered STW reasons, padded stack lengths.
    Go1_21,
    /// `go 1.22 trace`: the modern layout (generations of per-M batches).
    Go1_22,
    /// `go 1.23 trace`: coroutine switches, `GoStatusStack`, experimental batches (written by
    /// Go 1.23 and 1.24).
    Go1_23,
    /// `go 1.25 trace`: sync batches (frequency and clock snapshot).
    Go1_25,
    /// `go 1.26 trace`: an end-of-generation byte after every generation (written by Go 1.26
    /// and 1.27).
    Go1_26,
}

impl Version {
    /// Every version, oldest first.
    pub const ALL: [Version; 12] = [
        Version::Go1_5,
        Version::Go1_7,
        Version::Go1_8,
        Version::Go1_9,
        Version::Go1_10,
        Version::Go1_11,
        Version::Go1_19,
        Version::Go1_21,
        Version::Go1_22,
        Version::Go1_23,
        Version::Go1_25,
        Version::Go1_26,
    ];

    /// The versions of the legacy layout (Go 1.5 – 1.21), oldest first.
    pub const LEGACY: [Version; 8] = [
        Version::Go1_5,
        Version::Go1_7,
        Version::Go1_8,
        Version::Go1_9,
        Version::Go1_10,
        Version::Go1_11,
        Version::Go1_19,
        Version::Go1_21,
    ];

    /// The versions of the modern layout (Go 1.22 – 1.27), oldest first.
    pub const MODERN: [Version; 4] = [Version::Go1_22, Version::Go1_23, Version::Go1_25, Version::Go1_26];

    /// The version's number as Go's parsers use it: `1000 * major + minor` (1.19 → 1019).
    #[must_use]
    pub const fn number(self) -> u32 {
        match self {
            Version::Go1_5 => 1005,
            Version::Go1_7 => 1007,
            Version::Go1_8 => 1008,
            Version::Go1_9 => 1009,
            Version::Go1_10 => 1010,
            Version::Go1_11 => 1011,
            Version::Go1_19 => 1019,
            Version::Go1_21 => 1021,
            Version::Go1_22 => 1022,
            Version::Go1_23 => 1023,
            Version::Go1_25 => 1025,
            Version::Go1_26 => 1026,
        }
    }

    /// The version with this number, if one exists.
    #[must_use]
    pub fn from_number(number: u32) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.number() == number)
    }

    /// True for the versions of the legacy (per-P batch) layout, Go 1.5 – 1.21; false for the
    /// modern layout (per-M batches in generations), Go 1.22 and later.
    #[must_use]
    pub const fn is_legacy(self) -> bool {
        self.number() <= 1021
    }

    /// The 16 header bytes a file of this version starts with.
    ///
    /// ```
    /// use gotrace_format::Version;
    /// assert_eq!(&Version::Go1_19.header(), b"go 1.19 trace\0\0\0");
    /// ```
    #[must_use]
    pub fn header(self) -> [u8; HEADER_LEN] {
        let n = self.number();
        let text = format!("go {}.{} trace", n / 1000, n % 1000);
        let mut out = [0u8; HEADER_LEN];
        out[..text.len()].copy_from_slice(text.as_bytes());
        out
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.number();
        write!(f, "{}.{}", n / 1000, n % 1000)
    }
}

/// Parses the 16-byte header the way Go's legacy parser does, returning the version number it
/// names (which may be a version no Go release wrote).
///
/// Errors: [`ErrorKind::BadHeader`] when the text is not a trace header. The offset of the error
/// is 0.
///
/// ```
/// use gotrace_format::parse_header_number;
/// assert_eq!(parse_header_number(b"go 1.11 trace\0\0\0").unwrap(), 1011);
/// assert!(parse_header_number(b"go 1.0 trace\0\0\0\0").is_err());
/// ```
pub fn parse_header_number(header: &[u8; HEADER_LEN]) -> Result<u32, Error> {
    let bad = || Error::new(0, ErrorKind::BadHeader);
    let b = header;
    if &b[..3] != b"go " || !(b'1'..=b'9').contains(&b[3]) || b[4] != b'.' {
        return Err(bad());
    }
    if !(b'1'..=b'9').contains(&b[5]) {
        return Err(bad());
    }
    let mut minor = u32::from(b[5] - b'0');
    let mut i = 0;
    while i < 2 && b[6 + i].is_ascii_digit() {
        minor = minor * 10 + u32::from(b[6 + i] - b'0');
        i += 1;
    }
    let rest = &b[6 + i..];
    if rest != &b" trace\0\0\0\0"[..10 - i] {
        return Err(bad());
    }
    Ok(u32::from(b[3] - b'0') * 1000 + minor)
}

/// Parses the header and checks that it names a version gotrace reads, legacy or modern.
///
/// Errors: [`ErrorKind::BadHeader`], or [`ErrorKind::UnsupportedVersion`] for a well-formed
/// header of a version that does not exist (Go's "unsupported trace file version").
///
/// ```
/// use gotrace_format::{parse_header, Version};
/// assert_eq!(parse_header(b"go 1.21 trace\0\0\0").unwrap(), Version::Go1_21);
/// let err = parse_header(b"go 1.20 trace\0\0\0").unwrap_err();
/// assert_eq!(err.to_string(), "unsupported trace file version 1.20 (update Go toolchain) 1020 (at offset 0)");
/// ```
pub fn parse_header(header: &[u8; HEADER_LEN]) -> Result<Version, Error> {
    let number = parse_header_number(header)?;
    Version::from_number(number).ok_or(Error::new(0, ErrorKind::UnsupportedVersion { number }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        for v in Version::ALL {
            assert_eq!(parse_header(&v.header()).unwrap(), v);
        }
        assert_eq!(&Version::Go1_26.header(), b"go 1.26 trace\0\0\0");
        assert_eq!(Version::LEGACY.len() + Version::MODERN.len(), Version::ALL.len());
        assert!(Version::LEGACY.iter().all(|v| v.is_legacy()));
        assert!(Version::MODERN.iter().all(|v| !v.is_legacy()));
        for number in [1020, 1024, 1027] {
            let header = format!("go 1.{} trace\0\0\0", number % 1000);
            let err = parse_header(header.as_bytes().try_into().unwrap()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnsupportedVersion { number });
        }
    }

    #[test]
    fn header_rejections_follow_go() {
        // Checked by hand against Go 1.19's parseHeader: a leading 0 minor, a 4-digit minor and a
        // missing NUL are "not a trace file"; 1.25 and 1.100 parse (whether gotrace reads them is
        // parse_header's business).
        for bad in [
            b"go 1.05 trace\0\0\0",
            b"go 1.2345 trace\0",
            b"go 1.19 trace\0\0x",
            b"GO 1.19 trace\0\0\0",
            b"go 0.19 trace\0\0\0",
        ] {
            assert_eq!(parse_header_number(bad).unwrap_err().kind(), ErrorKind::BadHeader);
        }
        assert_eq!(parse_header_number(b"go 1.25 trace\0\0\0").unwrap(), 1025);
        assert_eq!(parse_header_number(b"go 1.100 trace\0\0").unwrap(), 1100);
    }
}
