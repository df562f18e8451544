//! Decimal digits of integers without the formatting machinery, for the text outputs that
//! print one number after another (`dump`, `dump --wire`).

/// Two decimal digits for each value below 100.
static DIGITS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Powers of ten that fit a `u64`.
static POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The number of decimal digits of `v` (1 for 0): `log10(2) ≈ 1233 / 4096` turns the bit
/// length into the digit count or one less, which one comparison settles.
#[inline]
fn digits(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    let guess = (bits * 1233) >> 12;
    (guess + usize::from(v >= POW10[guess])).max(1)
}

/// Bytes [`put`] may write from its position on: the longest `u64` has 20 digits.
pub const PUT_ROOM: usize = 20;

/// Writes the decimal digits of `v` (as `Display` prints them) into `dst` at `pos` and returns
/// the position after them, for writers that fill fixed buffers. It may also write scratch bytes after the digits, within [`PUT_ROOM`] bytes of
/// `pos`; panics if fewer than [`PUT_ROOM`] bytes follow `pos`.
///
/// ```
/// use gotrace_format::decimal::{put, PUT_ROOM};
/// let mut buf = [b'.'; 2 + PUT_ROOM];
/// let end = put(&mut buf, 2, 90_210);
/// assert_eq!(&buf[2..end], b"90210");
/// ```
#[inline(always)]
pub fn put(dst: &mut [u8], pos: usize, v: u64) -> usize {
    let out: &mut [u8; PUT_ROOM] = (&mut dst[pos..pos + PUT_ROOM]).try_into().expect("PUT_ROOM bytes");
    if v < 10 {
        out[0] = b'0' + v as u8;
        return pos + 1;
    }
    if v < 100 {
        out[..2].copy_from_slice(&DIGITS[v as usize]);
        return pos + 2;
    }
    pos + put_long(out, v)
}

/// Appends the decimal digits of `v` to `out`: [`put`] into room made at its end, then a cut.
/// Inlined where it is called: the dump of a modern trace prints about five numbers an event.
///
/// ```
/// let mut out = b"t=".to_vec();
/// gotrace_format::decimal::push(&mut out, 1_234_567);
/// assert_eq!(out, b"t=1234567");
/// ```
#[inline(always)]
pub fn push(out: &mut Vec<u8>, v: u64) {
    let pos = out.len();
    out.resize(pos + PUT_ROOM, 0);
    let end = put(out, pos, v);
    out.truncate(end);
}

/// [`put`] for `v` ≥ 100: eight digits at a time.
#[inline(always)]
fn put_long(out: &mut [u8; PUT_ROOM], v: u64) -> usize {
    const E8: u64 = 100_000_000;
    if v < E8 {
        let n = digits(v);
        out[..8].copy_from_slice(&(eight_digits(v) >> (8 * (8 - n))).to_le_bytes());
        return n;
    }
    let (head, n) = if v < E8 * E8 { (v / E8, 8) } else { (v / (E8 * E8), 16) };
    let head_len = digits(head);
    out[..8].copy_from_slice(&(eight_digits(head) >> (8 * (8 - head_len))).to_le_bytes());
    if n == 16 {
        let mid = (v / E8) % E8;
        out[head_len..head_len + 8].copy_from_slice(&eight_digits(mid).to_le_bytes());
    }
    let low = head_len + n - 8;
    out[low..low + 8].copy_from_slice(&eight_digits(v % E8).to_le_bytes());
    head_len + n
}

/// The eight decimal digits of `v` < 10⁸, leading zeros included, as the bytes of a
/// little-endian word (the first digit in the lowest byte): the two halves of four digits, each
/// split into two pairs, each pair into two digits, every lane at once.
#[inline(always)]
fn eight_digits(v: u64) -> u64 {
    debug_assert!(v < 100_000_000);
    // [abcd, efgh] in 32-bit lanes.
    let x = (v / 10_000) | ((v % 10_000) << 32);
    // [ab, cd, ef, gh] in 16-bit lanes: x / 100 is (x * 10486) >> 20 below 10 000.
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let x = hundreds | ((x - hundreds * 100) << 16);
    // One digit per byte: y / 10 is (y * 103) >> 10 below 100.
    let tens = ((x * 103) >> 10) & 0x000f_000f_000f_000f;
    let x = tens | ((x - tens * 10) << 8);
    x | 0x3030_3030_3030_3030
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_like_display() {
        let mut around = vec![u64::MAX, u64::MAX - 1];
        for p in POW10 {
            around.extend([p - 1, p, p + 1, p.wrapping_mul(10) - 1]);
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let random = (0..10_000).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x >> (x % 64)
        });
        for v in (0..100_000).chain(around).chain(random) {
            let mut buf = [b'#'; 3 + PUT_ROOM];
            let end = put(&mut buf, 3, v);
            assert_eq!(&buf[3..end], v.to_string().as_bytes());
            assert_eq!(&buf[..3], b"###");
            let mut pushed = b"#".to_vec();
            push(&mut pushed, v);
            assert_eq!(pushed, format!("#{v}").as_bytes());
        }
    }
}
