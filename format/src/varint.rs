//! Unsigned LEB128 varints, as every trace version encodes its integers.
//!
//! Go reads at most 10 bytes and accepts non-minimal encodings (Go 1.21 pads stack lengths to
//! 10 bytes); bits beyond 64 in the 10th byte are dropped. [`Varint`] keeps the width and those
//! dropped bits, so that re-encoding gives back the exact bytes that were read.

/// Longest varint Go reads.
pub const MAX_LEN: usize = 10;

/// A decoded varint together with how it was encoded.
///
/// ```
/// use gotrace_format::varint::{Varint, decode};
/// // Go 1.21's padded stack length: 10 encoded in 10 bytes.
/// let bytes = [0x8a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
/// let v = decode(&bytes).unwrap();
/// assert_eq!((v.value(), v.width()), (10, 10));
/// let mut out = Vec::new();
/// v.encode(&mut out);
/// assert_eq!(out, bytes);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Varint {
    value: u64,
    width: u8,
    /// Bits 1..=6 of a 10th byte (beyond 64 bits), shifted down by one.
    excess: u8,
    terminated: bool,
}

/// What [`decode`] found instead of a complete varint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended before the varint's last byte (fewer than 10 bytes, all continued).
    Incomplete,
    /// Ten bytes, all with the continuation bit set (Go's "bad value").
    TooLong,
}

impl Varint {
    /// The minimal encoding of `value`.
    #[must_use]
    pub const fn new(value: u64) -> Varint {
        Varint { value, width: encoded_len(value) as u8, excess: 0, terminated: true }
    }

    /// `value` encoded in exactly `width` bytes (padding with continuation bytes), or in its
    /// minimal width if that is larger. Widths above 10 are clamped to 10.
    ///
    /// ```
    /// use gotrace_format::varint::Varint;
    /// assert_eq!(Varint::padded(10, 10).width(), 10);
    /// assert_eq!(Varint::padded(1 << 20, 1).width(), 3);
    /// ```
    #[must_use]
    pub const fn padded(value: u64, width: u8) -> Varint {
        let min = encoded_len(value) as u8;
        let w = if width > MAX_LEN as u8 { MAX_LEN as u8 } else { width };
        Varint { value, width: if w > min { w } else { min }, excess: 0, terminated: true }
    }

    /// The 64-bit value (bits beyond 64 dropped, as Go does).
    #[must_use]
    #[inline]
    pub const fn value(self) -> u64 {
        self.value
    }

    /// Bytes the encoding occupies.
    #[must_use]
    #[inline]
    pub const fn width(self) -> u8 {
        self.width
    }

    /// True when the encoding is the shortest one for its value.
    #[must_use]
    pub const fn is_minimal(self) -> bool {
        self.terminated && self.excess == 0 && self.width as usize == encoded_len(self.value)
    }

    /// True when a 10th byte carried bits beyond 64 (which Go drops).
    #[must_use]
    pub const fn overflows(self) -> bool {
        self.excess != 0
    }

    /// False for an encoding whose last byte still has its continuation bit: a varint cut by
    /// the end of the input or one of 10 continued bytes. Such varints only appear in damage
    /// that Go tolerates (a `UserLog` message length at the end of a file).
    #[must_use]
    pub const fn is_terminated(self) -> bool {
        self.terminated
    }

    /// The same value with another value kept in the same encoding width where it fits.
    #[must_use]
    pub const fn with_value(self, value: u64) -> Varint {
        Varint::padded(value, self.width)
    }

    /// Appends the encoding to `out`, byte for byte as it was read.
    #[inline]
    pub fn encode(self, out: &mut Vec<u8>) {
        let mut v = self.value;
        let last = self.width as usize - 1;
        for _ in 0..last {
            out.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        let mut b = v as u8 & 0x7f;
        if last == MAX_LEN - 1 {
            b |= self.excess << 1;
        }
        if !self.terminated {
            b |= 0x80;
        }
        out.push(b);
    }
}

/// Bytes of the minimal encoding of `value` (1 to 10).
///
/// ```
/// assert_eq!(gotrace_format::varint::encoded_len(127), 1);
/// assert_eq!(gotrace_format::varint::encoded_len(128), 2);
/// assert_eq!(gotrace_format::varint::encoded_len(u64::MAX), 10);
/// ```
#[must_use]
#[inline]
pub const fn encoded_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends the minimal encoding of `value` to `out`.
///
/// ```
/// let mut out = Vec::new();
/// gotrace_format::varint::write(&mut out, 300);
/// assert_eq!(out, [0xac, 0x02]);
/// ```
#[inline]
pub fn write(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Writes the minimal encoding of `value` into `dst` at `pos` and returns the position after
/// it: the slice flavour of [`write`], for writers that fill fixed buffers. Panics if `dst` is
/// too short (callers check room first: [`MAX_LEN`] bytes per value).
///
/// ```
/// let mut buf = [0u8; 4];
/// let end = gotrace_format::varint::put(&mut buf, 1, 300);
/// assert_eq!((end, buf), (3, [0, 0xac, 0x02, 0]));
/// ```
#[inline]
pub fn put(dst: &mut [u8], mut pos: usize, mut value: u64) -> usize {
    while value >= 0x80 {
        dst[pos] = value as u8 | 0x80;
        value >>= 7;
        pos += 1;
    }
    dst[pos] = value as u8;
    pos + 1
}

/// Decodes the varint at the start of `input`.
///
/// ```
/// use gotrace_format::varint::{decode, DecodeError};
/// assert_eq!(decode(&[0xac, 0x02, 0xff]).unwrap().value(), 300);
/// assert_eq!(decode(&[0xac]), Err(DecodeError::Incomplete));
/// assert_eq!(decode(&[0xff; 11]), Err(DecodeError::TooLong));
/// ```
#[inline]
pub fn decode(input: &[u8]) -> Result<Varint, DecodeError> {
    match input.first() {
        Some(&b) if b < 0x80 => Ok(Varint { value: u64::from(b), width: 1, excess: 0, terminated: true }),
        _ => decode_slow(input),
    }
}

#[cold]
fn decode_slow(input: &[u8]) -> Result<Varint, DecodeError> {
    let mut value = 0u64;
    for (i, &b) in input.iter().take(MAX_LEN).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let excess = if i == MAX_LEN - 1 { (b & 0x7e) >> 1 } else { 0 };
            return Ok(Varint { value, width: i as u8 + 1, excess, terminated: true });
        }
    }
    if input.len() >= MAX_LEN {
        Err(DecodeError::TooLong)
    } else {
        Err(DecodeError::Incomplete)
    }
}

/// Decodes the bytes of a varint that does not end: up to 10 bytes all with the continuation bit
/// set, as found at the end of a cut file or in a 10-byte "bad value". Used only to keep such
/// bytes for a byte-exact rewrite of damage Go tolerates.
///
/// ```
/// use gotrace_format::varint::decode_unterminated;
/// let v = decode_unterminated(&[0x85, 0x81]);
/// assert!(!v.is_terminated());
/// let mut out = Vec::new();
/// v.encode(&mut out);
/// assert_eq!(out, [0x85, 0x81]);
/// ```
#[must_use]
pub fn decode_unterminated(bytes: &[u8]) -> Varint {
    let bytes = &bytes[..bytes.len().min(MAX_LEN)];
    debug_assert!(!bytes.is_empty() && bytes.iter().all(|b| b & 0x80 != 0));
    let mut value = 0u64;
    let mut excess = 0;
    for (i, &b) in bytes.iter().enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if i == MAX_LEN - 1 {
            excess = (b & 0x7e) >> 1;
        }
    }
    Varint { value, width: bytes.len().max(1) as u8, excess, terminated: false }
}

/// For each set of varint ends among 8 bytes (bit i: byte i ends a varint), the number of bytes
/// up to and including the k-th end (k = 1 to 8), or 0 when there are fewer than k.
static NTH_END: [[u8; 8]; 256] = {
    let mut table = [[0u8; 8]; 256];
    let mut mask = 0;
    while mask < 256 {
        let (mut k, mut bit) = (0, 0);
        while bit < 8 {
            if mask & (1 << bit) != 0 {
                table[mask][k] = bit as u8 + 1;
                k += 1;
            }
            bit += 1;
        }
        mask += 1;
    }
    table
};

/// In the 8 bytes of `word` (read little-endian from the input), the number of bytes up to and
/// including the end of the `n`-th varint (`n` from 1 to 8), or 0 when fewer than `n` varints
/// end there: one multiplication and a table look-up, no branch. The readers' hot paths use it
/// to find the end of a short record.
///
/// ```
/// use gotrace_format::varint::nth_end;
/// let word = u64::from_le_bytes([0x9b, 0x05, 0x13, 0x01, 0x80, 0x80, 0x80, 0x80]);
/// assert_eq!(nth_end(word, 1), 2); // 0x9b 0x05
/// assert_eq!(nth_end(word, 3), 4); // then 0x13, 0x01
/// assert_eq!(nth_end(word, 4), 0); // the rest never ends within 8 bytes
/// ```
#[must_use]
#[inline(always)]
pub fn nth_end(word: u64, n: u8) -> u8 {
    const TERMINATORS: u64 = 0x8080_8080_8080_8080;
    // Bit 7 of each byte moved to bit 0, then the eight bits gathered into the top byte.
    let ends = (((!word & TERMINATORS) >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as usize;
    NTH_END[ends][usize::from(n.wrapping_sub(1)) & 7]
}

/// Iterates over the varints of `bytes`, which must hold complete varints only (as the values of
/// a record the reader accepted do).
///
/// ```
/// let vals: Vec<u64> = gotrace_format::varint::Values::new(&[0x01, 0xac, 0x02]).collect();
/// assert_eq!(vals, [1, 300]);
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Values<'a> {
    bytes: &'a [u8],
}

impl<'a> Values<'a> {
    /// Values of the encoded `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Values<'a> {
        Values { bytes }
    }

    /// The next varint with its encoding.
    #[inline]
    pub fn next_varint(&mut self) -> Option<Varint> {
        let v = decode(self.bytes).ok()?;
        self.bytes = &self.bytes[v.width() as usize..];
        Some(v)
    }
}

impl Iterator for Values<'_> {
    type Item = u64;

    #[inline]
    fn next(&mut self) -> Option<u64> {
        self.next_varint().map(Varint::value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_every_width() {
        for shift in 0..64 {
            for value in [1u64 << shift, (1u64 << shift) - 1, u64::MAX >> shift] {
                let v = Varint::new(value);
                let mut out = Vec::new();
                v.encode(&mut out);
                let mut plain = Vec::new();
                write(&mut plain, value);
                assert_eq!(out, plain);
                assert_eq!(out.len(), encoded_len(value));
                assert_eq!(decode(&out).unwrap(), v);
                for width in v.width()..=10 {
                    let p = Varint::padded(value, width);
                    let mut out = Vec::new();
                    p.encode(&mut out);
                    assert_eq!(out.len(), width as usize);
                    assert_eq!(decode(&out).unwrap(), p);
                }
            }
        }
    }

    #[test]
    fn bits_beyond_64_are_dropped_but_kept_for_encoding() {
        // 10th byte 0x7f: Go keeps bit 0 only.
        let bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        let v = decode(&bytes).unwrap();
        assert_eq!(v.value(), u64::MAX);
        assert!(v.overflows());
        assert!(!v.is_minimal());
        let mut out = Vec::new();
        v.encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn nth_end_of_every_byte_pattern() {
        for mask in 0u32..256 {
            // Byte i without its continuation bit where bit i of the mask is set.
            let word = (0..8)
                .fold(0u64, |w, i| w | (u64::from(mask & (1 << i) == 0) << (8 * i + 7)) | 0x11 << (8 * i));
            let ends: Vec<u8> = (0..8u8).filter(|i| mask & (1 << i) != 0).map(|i| i + 1).collect();
            for n in 1..=8u8 {
                let want = ends.get(usize::from(n) - 1).copied().unwrap_or(0);
                assert_eq!(nth_end(word, n), want, "mask {mask:#b}, n {n}");
            }
        }
    }

    #[test]
    fn eleven_bytes_is_an_error() {
        assert_eq!(decode(&[0x80; 10]), Err(DecodeError::TooLong));
        assert_eq!(decode(&[0x80; 9]), Err(DecodeError::Incomplete));
        assert_eq!(decode(&[]), Err(DecodeError::Incomplete));
    }
}
