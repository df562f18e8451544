//! A fast keyed hash for the integer keys of the ordered parsers (goroutine, P, thread and task
//! ids, PCs) and the byte strings of the tables: each word is folded into the state by a 64×64→128-bit
//! multiply whose halves are xored, starting from a key drawn once per process from std's random
//! source. Every bit of a key reaches the low bits a hash table indexes by, and the key keeps a
//! hostile trace from choosing ids that collide (ids `k << 32` all collide under a plain
//! multiplicative hash), so map operations stay O(1) expected whatever the ids.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// A hash map with [`FoldHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, FoldState>;

/// Makes [`FoldHasher`]s that start from the process's key, read once when a map is made (not
/// at each lookup).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FoldState {
    key: u64,
}

impl Default for FoldState {
    #[inline]
    fn default() -> Self {
        FoldState { key: key() }
    }
}

impl FoldState {
    /// Hashers that start from `key` instead of the process's (tests of what must not depend
    /// on it).
    #[cfg(test)]
    pub(crate) fn with_key(key: u64) -> FoldState {
        FoldState { key }
    }
}

impl BuildHasher for FoldState {
    type Hasher = FoldHasher;

    #[inline]
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher { hash: self.key }
    }
}

/// The hasher: xor the word into the state, multiply, fold the product's halves.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FoldHasher {
    hash: u64,
}

/// An odd constant with well-spread bits (the golden ratio's fraction).
const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// The process's key, drawn on first use.
fn key() -> u64 {
    static KEY: OnceLock<u64> = OnceLock::new();
    *KEY.get_or_init(|| RandomState::new().hash_one(MUL))
}

impl FoldHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        let product = u128::from(self.hash ^ word) * u128::from(MUL);
        self.hash = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Bytes the table of a hash map holds whose `capacity()` is `capacity`, entries (key and
/// value) of `entry` bytes: std's table has a power of two of buckets, at most 7/8 of them used
/// (all but one below 8), each an entry and a control byte, plus a group of 16 control bytes.
/// (The capacity is the buckets' only while nothing was removed: removals spend it.)
pub(crate) fn table_bytes(capacity: usize, entry: usize) -> usize {
    let buckets = match capacity {
        0 => return 0,
        1..=7 => capacity + 1,
        _ => capacity / 7 * 8,
    };
    (buckets * entry).next_multiple_of(16) + buckets + 16
}

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    use super::*;

    /// The heap bytes this thread holds, counted by the test binary's allocator.
    struct Counting;

    thread_local! {
        static HELD: Cell<isize> = const { Cell::new(0) };
    }

    // SAFETY: every call is passed on to `System` unchanged; the count is a thread-local cell
    // with a const initialiser, which allocates nothing.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            HELD.with(|h| h.set(h.get() + layout.size() as isize));
            // SAFETY: the caller's contract is System's.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            HELD.with(|h| h.set(h.get() - layout.size() as isize));
            // SAFETY: `ptr` came from `alloc` above, that is from System, with `layout`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static COUNTING: Counting = Counting;

    fn held() -> isize {
        HELD.with(Cell::get)
    }

    /// The estimate is what std's map allocates, at every size a growing map takes.
    #[test]
    fn table_bytes_is_what_the_map_allocates() {
        fn check<V: Default>(entries: u64) {
            let before = held();
            let mut m: FastMap<u64, V> = FastMap::default();
            let mut sizes = 0;
            for k in 0..entries {
                m.insert(k * 977, V::default());
                let real = (held() - before) as usize;
                let estimate = table_bytes(m.capacity(), std::mem::size_of::<(u64, V)>());
                assert_eq!(
                    estimate,
                    real,
                    "{} entries of {} bytes",
                    m.len(),
                    std::mem::size_of::<(u64, V)>()
                );
                sizes += usize::from(m.len() == m.capacity());
            }
            assert!(sizes > 5);
        }
        check::<u8>(2000);
        check::<u64>(2000);
        check::<[u64; 3]>(300);
    }

    #[test]
    fn map_works_with_spread_keys() {
        let mut m: FastMap<u64, u64> = FastMap::default();
        for k in 0..10_000u64 {
            m.insert(k << 20, k);
        }
        assert!((0..10_000u64).all(|k| m[&(k << 20)] == k));
    }

    /// Keys that differ only in their high bits still spread over the low bits a table
    /// indexes by: 10,000 keys `k << 32` into 4,096 buckets fill about 3,740 of them at
    /// random; a multiplicative hash without folding puts them all in one.
    #[test]
    fn high_bits_reach_the_low_bits() {
        let build = FoldState::default();
        let buckets: std::collections::HashSet<u64> =
            (0..10_000u64).map(|k| build.hash_one(k << 32) & 4095).collect();
        assert!(buckets.len() > 3_000, "{} buckets", buckets.len());
    }
}
