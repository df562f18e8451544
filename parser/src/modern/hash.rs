//! A fast keyed hash for the integer keys of the ordering (goroutine, P, thread and task ids,
//! PCs) and the byte strings of the tables: each word is folded into the state by a 64×64→128-bit
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

#[cfg(test)]
mod tests {
    use super::*;

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

/// A map from `i64` ids to values: ids the runtime hands out (goroutines, Ps, threads) are
/// small and dense, so they live in a vector; others (negative, huge, or spread thin as
/// hostile input may spread them) in a hash map. The vector never holds more than four slots
/// per entry present (plus 4096), so memory follows use whatever the ids.
#[derive(Debug)]
pub(crate) struct IdMap<T> {
    slots: Vec<Option<T>>,
    in_slots: usize,
    far: FastMap<i64, T>,
}

impl<T> Default for IdMap<T> {
    fn default() -> Self {
        IdMap { slots: Vec::new(), in_slots: 0, far: FastMap::default() }
    }
}

impl<T> IdMap<T> {
    // An id may sit in the hash map and later fall in the vector's range, when the vector grows
    // past it: a vacant slot therefore still looks in the map (when the map holds anything), and
    // an insert into a slot takes the id out of the map.

    #[inline]
    pub fn get(&self, id: i64) -> Option<&T> {
        match self.slots.get(id as usize) {
            Some(Some(v)) if id >= 0 => Some(v),
            _ if self.far.is_empty() => None,
            _ => self.far.get(&id),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, id: i64) -> Option<&mut T> {
        match self.slots.get_mut(id as usize) {
            Some(Some(v)) if id >= 0 => Some(v),
            _ if self.far.is_empty() => None,
            _ => self.far.get_mut(&id),
        }
    }

    #[inline]
    pub fn contains(&self, id: i64) -> bool {
        self.get(id).is_some()
    }

    /// Inserts or replaces.
    pub fn insert(&mut self, id: i64, value: T) {
        let in_range = id >= 0 && (id as usize) < self.slots.len();
        if in_range || (id >= 0 && (id as u64) < 4 * (self.in_slots as u64 + 1) + 4096) {
            if !in_range {
                self.slots.resize_with(id as usize + 1, || None);
            }
            if !self.far.is_empty() {
                self.far.remove(&id);
            }
            let slot = &mut self.slots[id as usize];
            self.in_slots += usize::from(slot.is_none());
            *slot = Some(value);
        } else {
            self.far.insert(id, value);
        }
    }

    pub fn remove(&mut self, id: i64) {
        if let Some(slot) = self.slots.get_mut(id as usize).filter(|_| id >= 0) {
            self.in_slots -= usize::from(slot.is_some());
            *slot = None;
        }
        if !self.far.is_empty() {
            self.far.remove(&id);
        }
    }

    /// Every entry: those in the vector by id, then the others.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &T)> + '_ {
        let near = self.slots.iter().enumerate().filter_map(|(id, v)| v.as_ref().map(|v| (id as i64, v)));
        near.chain(self.far.iter().map(|(&id, v)| (id, v)))
    }

    /// Removes every entry (keeping the memory of the vector).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.in_slots = 0;
        self.far.clear();
    }
}

#[cfg(test)]
mod id_map_tests {
    use super::*;

    #[test]
    fn near_far_and_bounded() {
        let mut m = IdMap::default();
        m.insert(3, 'a');
        m.insert(-1, 'b');
        m.insert(1 << 40, 'c');
        assert_eq!(
            (m.get(3), m.get(-1), m.get(1 << 40), m.get(4)),
            (Some(&'a'), Some(&'b'), Some(&'c'), None)
        );
        m.remove(3);
        m.remove(-1);
        assert_eq!((m.get(3), m.get(-1), m.get(1 << 40)), (None, None, Some(&'c')));
        // Ids spread thin end in the hash map: the vector stays near 4 slots per entry.
        let mut spread = IdMap::default();
        for k in 0..1000i64 {
            spread.insert(k * 100_000, k);
        }
        assert!(spread.slots.len() <= 4 * 1000 + 4096);
        assert!((0..1000i64).all(|k| spread.get(k * 100_000) == Some(&k)));
    }

    #[test]
    fn an_id_in_the_hash_map_stays_found_when_the_vector_grows_past_it() {
        // Goroutine ids climb as goroutines come and go: 4336 arrives while the vector may not
        // reach it, then many more make the vector cover it (a synth trace met this).
        let mut m = IdMap::default();
        for id in 0..50 {
            m.insert(id, 'a');
        }
        m.insert(4336, 'x');
        assert!(m.slots.len() <= 4336, "4336 lands in the hash map");
        for id in 50..80 {
            m.insert(id, 'a');
        }
        m.insert(4400, 'y');
        assert!(m.slots.len() > 4400, "the vector covers 4336 now");
        assert_eq!(m.get(4336), Some(&'x'));
        *m.get_mut(4336).unwrap() = 'z';
        assert_eq!(m.iter().filter(|&(id, _)| id == 4336).count(), 1);
        m.remove(4336);
        assert_eq!(m.get(4336), None);
        assert_eq!((m.get(4400), m.get(79), m.get(80)), (Some(&'y'), Some(&'a'), None));
    }
}
