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

/// The decimal digits of a `u64`, as `Display` prints it, in a buffer of their own.
///
/// ```
/// use gotrace_format::decimal::Decimal;
/// let mut s = String::from("n=");
/// Decimal::new(1_234_567).push_to(&mut s);
/// assert_eq!(s, "n=1234567");
/// let mut v = b"t=".to_vec();
/// Decimal::new(0).push_to_vec(&mut v);
/// assert_eq!(v, b"t=0");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Decimal {
    /// The digits, first at 0; zeros after them.
    buf: [u8; 20],
    len: u8,
}

impl Decimal {
    /// The digits of `v`.
    #[must_use]
    #[inline]
    pub fn new(mut v: u64) -> Decimal {
        let len = digits(v);
        let mut buf = [0u8; 20];
        let mut i = len;
        while v >= 10_000 {
            let rest = (v % 10_000) as u32 as usize;
            v /= 10_000;
            buf[i - 4..i - 2].copy_from_slice(&DIGITS[rest / 100]);
            buf[i - 2..i].copy_from_slice(&DIGITS[rest % 100]);
            i -= 4;
        }
        let mut v = v as usize;
        if v >= 100 {
            buf[i - 2..i].copy_from_slice(&DIGITS[v % 100]);
            v /= 100;
            i -= 2;
        }
        if v >= 10 {
            buf[i - 2..i].copy_from_slice(&DIGITS[v]);
        } else {
            buf[i - 1] = b'0' + v as u8;
        }
        Decimal { buf, len: len as u8 }
    }

    /// The digits as bytes.
    #[must_use]
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// Appends the digits to `out`.
    #[inline]
    pub fn push_to(&self, out: &mut String) {
        out.extend(self.as_bytes().iter().map(|&b| char::from(b)));
    }

    /// Appends the digits to `out` (a copy of fixed size, then a cut: no call to `memcpy`).
    #[inline]
    pub fn push_to_vec(&self, out: &mut Vec<u8>) {
        let len = out.len() + usize::from(self.len);
        out.extend_from_slice(&self.buf);
        out.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_display() {
        let mut v = 1u64;
        for _ in 0..64 {
            for x in [v - 1, v, v.saturating_add(1), v.saturating_mul(9), v.saturating_mul(10) - 1, u64::MAX]
            {
                let mut s = String::new();
                Decimal::new(x).push_to(&mut s);
                assert_eq!(s, x.to_string());
                assert_eq!(Decimal::new(x).as_bytes(), x.to_string().as_bytes());
                let mut v = b"x".to_vec();
                Decimal::new(x).push_to_vec(&mut v);
                assert_eq!(v, format!("x{x}").as_bytes());
            }
            v = v.saturating_mul(3);
        }
    }
}
