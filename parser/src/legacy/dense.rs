//! Storage shapes of the ordered parser: chunked vectors (no single huge allocation, chunks
//! released or recycled as a list is consumed) and tables keyed by ids that are dense in
//! practice (goroutine, string and stack ids) but arbitrary in hostile input.

use std::hash::{BuildHasher, Hash};

use crate::hash::{table_bytes, FastMap, FoldState};

/// A hash map of the ordered parser for keys that come and go (open tasks, goroutines created
/// but not started, lists waiting on a state): open addressing with linear probing, seeded
/// [`FoldHasher`](crate::hash::FoldHasher) hashing, and backward-shift removal, so that no removed key
/// leaves a tombstone behind.
///
/// Its memory is a function of the operations alone: the table doubles when an insertion
/// would fill more than three quarters of it, and never shrinks, so its size follows the most
/// keys it has held, whatever the seed. (The standard map's tombstones make its capacity, and
/// when it grows, depend on where the seeded hashes place the keys: its memory, and the
/// accounting of it, differed from run to run on the same input.)
#[derive(Clone, Debug)]
pub(crate) struct TidyMap<K, V> {
    /// A power of two of slots (or none before the first insertion).
    slots: Vec<Option<(K, V)>>,
    len: usize,
    hasher: FoldState,
}

impl<K, V> Default for TidyMap<K, V> {
    fn default() -> Self {
        TidyMap { slots: Vec::new(), len: 0, hasher: FoldState::default() }
    }
}

impl<K: Hash + Eq, V> TidyMap<K, V> {
    /// Whether the map holds no key.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot where a probe for `key` starts.
    #[inline]
    fn home(&self, key: &K) -> usize {
        self.hasher.hash_one(key) as usize & (self.slots.len() - 1)
    }

    /// The slot of `key`, if present.
    #[inline]
    fn find(&self, key: &K) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        // The load stays below one: the probe ends at an empty slot.
        loop {
            match &self.slots[i] {
                None => return None,
                Some((k, _)) if k == key => return Some(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        let i = self.find(key)?;
        self.slots[i].as_ref().map(|(_, v)| v)
    }

    /// The value of `key`, inserted by `make` if absent.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Some(i) => i,
            None => self.put(key, make()),
        };
        match &mut self.slots[i] {
            Some((_, v)) => v,
            None => unreachable!("slot {i} was just found or filled"),
        }
    }

    /// Sets the value of `key`; the value it had, if any.
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Some(i) => self.slots[i].as_mut().map(|(_, v)| std::mem::replace(v, value)),
            None => {
                self.put(key, value);
                None
            }
        }
    }

    /// Puts `key`, absent, in the first empty slot of its probe (the table grown first if
    /// needed); its slot.
    fn put(&mut self, key: K, value: V) -> usize {
        if 4 * (self.len + 1) > 3 * self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(&key);
        while self.slots[i].is_some() {
            i = (i + 1) & mask;
        }
        self.slots[i] = Some((key, value));
        self.len += 1;
        i
    }

    /// Doubles the table (8 slots at first) and puts every key back.
    #[cold]
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(8);
        let mut slots = Vec::with_capacity(size);
        slots.resize_with(size, || None);
        let old = std::mem::replace(&mut self.slots, slots);
        self.len = 0;
        for (key, value) in old.into_iter().flatten() {
            self.put(key, value);
        }
    }

    /// Removes `key`; its value, if it was present. The keys after it in its run move back
    /// into the hole where their probe allows.
    #[inline]
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let at = self.find(key)?;
        let (_, value) = self.slots[at].take()?;
        self.len -= 1;
        let mask = self.slots.len() - 1;
        let (mut hole, mut i) = (at, at);
        loop {
            i = (i + 1) & mask;
            let Some((k, _)) = &self.slots[i] else { break };
            let home = self.home(k);
            // The key at `i` may fill the hole if the hole lies on its probe, from `home` to `i`.
            if i.wrapping_sub(home) & mask >= i.wrapping_sub(hole) & mask {
                self.slots[hole] = self.slots[i].take();
                hole = i;
            }
        }
        Some(value)
    }

    /// The values, in no order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.slots.iter().flatten().map(|(_, v)| v)
    }

    /// Bytes held: the table (values' own heap memory not counted).
    pub fn bytes_held(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Option<(K, V)>>()
    }
}

/// Bits of the index within a chunk.
const CHUNK_BITS: u32 = 12;
/// Elements per full chunk.
pub(crate) const CHUNK: usize = 1 << CHUNK_BITS;

/// A vector stored as chunks of [`CHUNK`] elements: growing never copies more than one chunk,
/// and a consumer can hand chunks back as it goes ([`Cursor`]).
///
/// The first chunk starts small and doubles, so that thousands of short lists (one per P)
/// cost little.
#[derive(Clone, Debug)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Chunked<T> {
    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends `value`, taking a new chunk from `pool` when the last one is full.
    #[inline]
    pub fn push_with(&mut self, value: T, pool: &mut Pool<T>) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(value),
            _ => self.push_chunk(value, pool),
        }
        self.len += 1;
    }

    /// Appends `value`.
    #[inline]
    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(value),
            _ => self.push_chunk(value, &mut Pool::default()),
        }
        self.len += 1;
    }

    #[cold]
    fn push_chunk(&mut self, value: T, pool: &mut Pool<T>) {
        let mut chunk = if self.chunks.is_empty() { Vec::new() } else { pool.take() };
        chunk.push(value);
        self.chunks.push(chunk);
    }

    /// The element at `index`.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index >> CHUNK_BITS)?.get(index & (CHUNK - 1))
    }

    /// The elements in order.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flatten()
    }

    /// The chunks, in order (all full but the last).
    pub fn chunks(&self) -> &[Vec<T>] {
        &self.chunks
    }

    /// The chunks, in order (all full but the last), mutably.
    pub fn chunks_mut(&mut self) -> &mut [Vec<T>] {
        &mut self.chunks
    }

    /// Keeps the first `len` elements.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let keep = len.div_ceil(CHUNK);
        self.chunks.truncate(keep);
        if let Some(last) = self.chunks.last_mut() {
            last.truncate(len - (keep - 1) * CHUNK);
        }
        self.len = len;
    }

    /// Number of chunks.
    #[inline]
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Takes out the first chunk, the first elements (the others move to the front).
    pub fn pop_front(&mut self) -> Option<Vec<T>> {
        if self.chunks.is_empty() {
            return None;
        }
        let chunk = self.chunks.remove(0);
        self.len -= chunk.len();
        Some(chunk)
    }

    /// Appends `chunk` whole, after chunks that must all be full.
    pub fn append_chunk(&mut self, chunk: Vec<T>) {
        debug_assert!(self.chunks.last().is_none_or(|c| c.len() == CHUNK) && chunk.len() <= CHUNK);
        self.len += chunk.len();
        self.chunks.push(chunk);
    }

    /// The chunks, in order.
    pub fn into_chunks(self) -> Vec<Vec<T>> {
        self.chunks
    }

    /// Takes the elements out as one vector (for short lists).
    pub fn into_vec(self) -> Vec<T> {
        let mut chunks = self.chunks.into_iter();
        let mut first = chunks.next().unwrap_or_default();
        for chunk in chunks {
            first.extend(chunk);
        }
        first
    }

    /// A chunked vector holding `values`.
    pub fn from_vec(values: Vec<T>) -> Chunked<T> {
        let mut out = Chunked::default();
        for v in values {
            out.push(v);
        }
        out
    }

    /// A cursor that yields the elements front to back and hands every finished chunk to a
    /// pool.
    pub fn into_cursor(self) -> Cursor<T> {
        let mut chunks = self.chunks;
        chunks.reverse();
        let current = chunks.pop().unwrap_or_default();
        Cursor { current, rest: chunks, pos: 0 }
    }
}

impl<T: Copy> Chunked<T> {
    /// The element at `index`, which must exist.
    #[inline]
    pub fn at(&self, index: usize) -> T {
        self.chunks[index >> CHUNK_BITS][index & (CHUNK - 1)]
    }

    /// Replaces the element at `index`, which must exist.
    #[inline]
    pub fn set(&mut self, index: usize, value: T) {
        self.chunks[index >> CHUNK_BITS][index & (CHUNK - 1)] = value;
    }
}

/// Empty chunks of full capacity, recycled from consumed lists into new ones.
#[derive(Debug)]
pub(crate) struct Pool<T> {
    free: Vec<Vec<T>>,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool { free: Vec::new() }
    }
}

impl<T> Pool<T> {
    /// An empty chunk of capacity [`CHUNK`].
    fn take(&mut self) -> Vec<T> {
        self.free.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK))
    }

    /// An empty chunk of capacity [`CHUNK`] whose memory is mapped already: zero bytes written
    /// once per page, so that the thread that fills it takes no page fault (the reading thread
    /// of the two-thread parse makes them for the structure pass, which has more to do).
    pub fn mapped_chunk() -> Vec<T> {
        let mut chunk = Vec::with_capacity(CHUNK);
        let step = (4096 / std::mem::size_of::<T>().max(1)).max(1);
        for slot in chunk.spare_capacity_mut().iter_mut().step_by(step) {
            *slot = std::mem::MaybeUninit::zeroed();
        }
        chunk
    }

    /// Takes empty chunks of capacity [`CHUNK`] for later use, leaving `chunks` empty.
    pub fn stock(&mut self, chunks: &mut Vec<Vec<T>>) {
        self.free.append(chunks);
    }

    /// Takes back a chunk (its elements are dropped; a chunk of another capacity is freed).
    fn give(&mut self, mut chunk: Vec<T>) {
        if chunk.capacity() == CHUNK {
            chunk.clear();
            self.free.push(chunk);
        }
    }
}

/// The front-to-back consumer of a [`Chunked`]: the lazy shape the merge reads a batch list
/// through (a later, file-backed list only needs to offer the same `peek`/`advance`).
#[derive(Debug)]
pub(crate) struct Cursor<T> {
    /// The chunk being read (empty once all are).
    current: Vec<T>,
    /// Chunks after it, the next one last.
    rest: Vec<Vec<T>>,
    /// Position in `current`.
    pos: usize,
}

impl<T> Cursor<T> {
    /// The next element, without consuming it.
    #[inline]
    pub fn peek(&self) -> Option<&T> {
        self.current.get(self.pos)
    }

    /// The next element, without consuming it, mutably.
    #[inline]
    pub fn peek_mut(&mut self) -> Option<&mut T> {
        self.current.get_mut(self.pos)
    }

    /// Chunks after the one being read.
    #[inline]
    pub fn chunks_left(&self) -> usize {
        self.rest.len()
    }

    /// Consumes the next element; a finished chunk goes to `pool`.
    #[inline]
    pub fn advance(&mut self, pool: &mut Pool<T>) {
        self.pos += 1;
        if self.pos >= self.current.len() {
            self.next_chunk(pool);
        }
    }

    /// Hands the finished chunk to `pool` and starts the next one.
    #[cold]
    fn next_chunk(&mut self, pool: &mut Pool<T>) {
        self.pos = 0;
        let next = self.rest.pop().unwrap_or_default();
        pool.give(std::mem::replace(&mut self.current, next));
    }
}

/// Ids below this may use the paged table; above, a hash map. A table of 2^24 / 256 page slots
/// (576 KiB) is the most a hostile id can make us allocate up front.
const DIRECT_LIMIT: u64 = 1 << 24;
const PAGE_BITS: u32 = 8;
const PAGE: usize = 1 << PAGE_BITS;
/// Pages allocated whatever the accesses.
const FREE_PAGES: u64 = 16;
/// One more page allowed per this many accesses.
const ACCESSES_PER_PAGE: u64 = 128;

/// A map from `u64` ids to small `Copy` records, every id present with a default value.
///
/// Ids the runtime hands out are dense from 0 or 1 (goroutines, strings, stacks, tasks),
/// possibly with gaps (a trace started in a long-running process): pages of 256 records are
/// allocated on first touch. Memory stays proportional to use: a page is allocated only while
/// pages number fewer than 16 plus one per 128 accesses (ids spread thin, as hostile input can
/// spread them, would otherwise cost a page each); the ids of pages not allocated, and huge
/// ids, go to a hash map.
///
/// The record of an id whose page is allocated is one bounds check and one null check away.
#[derive(Clone, Debug)]
pub(crate) struct IdMap<T> {
    /// Per page of ids, its records once allocated.
    pages: Vec<Option<Box<[T; PAGE]>>>,
    /// Per page of ids, whether its ids live in the hash map (the page budget was spent when
    /// it was needed).
    spilled: Vec<bool>,
    allocated: u64,
    accesses: u64,
    far: FastMap<u64, T>,
    default: T,
}

impl<T: Copy> IdMap<T> {
    /// A map where every id holds `default`.
    pub fn new(default: T) -> IdMap<T> {
        IdMap {
            pages: Vec::new(),
            spilled: Vec::new(),
            allocated: 0,
            accesses: 0,
            far: FastMap::default(),
            default,
        }
    }

    /// The record of `id`.
    #[inline(always)]
    pub fn get(&self, id: u64) -> T {
        // Ids from DIRECT_LIMIT on index past the page table.
        match self.pages.get((id >> PAGE_BITS) as usize) {
            Some(Some(records)) => records[id as usize & (PAGE - 1)],
            _ => self.get_far(id),
        }
    }

    /// The record of an id without a page: in the hash map, or the default.
    #[cold]
    fn get_far(&self, id: u64) -> T {
        self.far.get(&id).copied().unwrap_or(self.default)
    }

    /// The record of `id`, mutably.
    #[inline(always)]
    pub fn get_mut(&mut self, id: u64) -> &mut T {
        self.accesses += 1;
        let page = (id >> PAGE_BITS) as usize;
        if !matches!(self.pages.get(page), Some(Some(_))) {
            self.add_page(id);
        }
        match self.pages.get_mut(page) {
            Some(Some(records)) => &mut records[id as usize & (PAGE - 1)],
            _ => self.far.entry(id).or_insert(self.default),
        }
    }

    /// Allocates the page of `id` (below [`DIRECT_LIMIT`], not allocated) if the budget allows,
    /// else its ids go to the hash map for good.
    #[cold]
    fn add_page(&mut self, id: u64) {
        let page = (id >> PAGE_BITS) as usize;
        if id >= DIRECT_LIMIT || self.spilled.get(page).copied().unwrap_or(false) {
            return;
        }
        if page >= self.pages.len() {
            self.pages.resize_with(page + 1, || None);
            self.spilled.resize(page + 1, false);
        }
        if self.allocated < FREE_PAGES + self.accesses / ACCESSES_PER_PAGE {
            self.allocated += 1;
            self.pages[page] = Some(Box::new([self.default; PAGE]));
        } else {
            self.spilled[page] = true;
        }
    }

    /// Sets the record of `id`.
    #[inline(always)]
    pub fn set(&mut self, id: u64, value: T) {
        *self.get_mut(id) = value;
    }

    /// Every record touched so far (and the rest of their pages), with its id, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, T)> + '_ {
        let pages = self.pages.iter().enumerate().flat_map(|(i, records)| {
            let records = records.as_deref().map_or(&[][..], |r| &r[..]);
            records.iter().enumerate().map(move |(j, &v)| (((i as u64) << PAGE_BITS) | j as u64, v))
        });
        pages.chain(self.far.iter().map(|(&id, &v)| (id, v)))
    }

    /// Bytes held: the page table, the pages, and the hash map's table (nothing is ever
    /// removed from it, so its capacity tells its buckets).
    pub fn bytes_held(&self) -> usize {
        let record = std::mem::size_of::<T>();
        self.pages.capacity() * 8
            + self.spilled.capacity()
            + self.allocated as usize * PAGE * record
            + table_bytes(self.far.capacity(), std::mem::size_of::<(u64, T)>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stocked_chunks_are_the_ones_filled() {
        let mut stock = vec![Pool::<u64>::mapped_chunk(), Pool::mapped_chunk()];
        assert!(stock.iter().all(|c| c.is_empty() && c.capacity() == CHUNK));
        let mut at: Vec<*const u64> = stock.iter().map(|c| c.as_ptr()).collect();
        let mut pool = Pool::default();
        pool.stock(&mut stock);
        assert!(stock.is_empty());
        let mut c = Chunked::default();
        for i in 0..3 * CHUNK as u64 {
            c.push_with(i, &mut pool);
        }
        // The first chunk grows on its own; the next two are the stocked ones, the last first.
        at.reverse();
        assert_eq!(c.chunks()[1..].iter().map(|c| c.as_ptr()).collect::<Vec<_>>(), at);
        assert_eq!(c.at(2 * CHUNK + 1), 2 * CHUNK as u64 + 1);
    }

    #[test]
    fn chunked_grows_and_recycles() {
        let mut pool = Pool::default();
        let mut c = Chunked::default();
        for i in 0..(3 * CHUNK + 5) {
            c.push_with(i, &mut pool);
        }
        assert_eq!(c.len(), 3 * CHUNK + 5);
        assert_eq!(c.at(CHUNK + 7), CHUNK + 7);
        assert_eq!(c.chunks().len(), 4);
        let mut cursor = c.into_cursor();
        let mut seen = 0;
        while let Some(&v) = cursor.peek() {
            assert_eq!(v, seen);
            seen += 1;
            cursor.advance(&mut pool);
        }
        assert_eq!(seen, 3 * CHUNK + 5);
        assert!(cursor.peek().is_none());
        // Every chunk came back (the first one grew by doubling to exactly CHUNK).
        assert_eq!(pool.free.len(), 4);
        let mut t = Chunked::default();
        for i in 0..10 {
            t.push(i);
        }
        t.truncate(4);
        assert_eq!(t.iter().copied().collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(Chunked::from_vec(vec![1, 2]).into_vec(), [1, 2]);
    }

    #[test]
    fn tidy_maps_hash_tuples() {
        let mut m: TidyMap<(u64, u64, u8), u32> = TidyMap::default();
        for k in 0..10_000u64 {
            m.insert((k << 40, k, k as u8), k as u32);
        }
        assert!((0..10_000u64).all(|k| m.get(&(k << 40, k, k as u8)) == Some(&(k as u32))));
        assert_eq!(m.get(&(1, 1, 1)), None);
        // Keys differing only in their high bits spread over the table's low bits.
        let low = |k: u64| FoldState::default().hash_one(k) & 0xff;
        let distinct: std::collections::HashSet<u64> = (0..1000u64).map(|k| low(k << 48)).collect();
        assert!(distinct.len() > 200);
    }

    #[test]
    fn tidy_maps_insert_find_remove() {
        let mut m: TidyMap<u64, u64> = TidyMap::default();
        let mut model = std::collections::HashMap::new();
        // A fixed pseudo-random walk of insertions and removals over a small key range, so
        // that runs of probes wrap and removals shift keys back.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = x % 3000;
            if x & 1 == 0 {
                assert_eq!(m.insert(key, step), model.insert(key, step));
            } else {
                assert_eq!(m.remove(&key), model.remove(&key));
            }
            assert_eq!(m.len, model.len());
        }
        assert!((0..3000).all(|k| m.get(&k) == model.get(&k)));
        *m.get_or_insert_with(5000, || 1) += 1;
        assert_eq!(m.get(&5000), Some(&2));
        assert_eq!(m.values().count(), m.len);
    }

    #[test]
    fn tidy_map_memory_follows_the_operations_not_the_seed() {
        // The same operations under different seeds hold the same table.
        let run = |seed: u64| {
            let mut m: TidyMap<u64, u32> =
                TidyMap { slots: Vec::new(), len: 0, hasher: FoldState::with_key(seed) };
            let mut most = 0;
            for k in 0..50_000u64 {
                m.insert(k, k as u32);
                if k >= 100 {
                    m.remove(&(k - 100));
                }
                most = most.max(m.bytes_held());
            }
            (most, m.bytes_held())
        };
        let first = run(1);
        assert!([3, 0x5eed, u64::MAX].iter().all(|&seed| run(seed) == first));
        // 101 keys at most: 256 slots.
        assert_eq!(first.0, 256 * std::mem::size_of::<Option<(u64, u32)>>());
    }

    #[test]
    fn id_map_near_and_far() {
        let mut m = IdMap::new(0u32);
        assert_eq!(m.get(5), 0);
        m.set(5, 9);
        m.set(1 << 40, 7);
        m.set(70_000, 3);
        assert_eq!((m.get(5), m.get(1 << 40), m.get(70_000), m.get(6)), (9, 7, 3, 0));
        *m.get_mut(u64::MAX) += 1;
        assert_eq!(m.get(u64::MAX), 1);
    }

    #[test]
    fn id_map_memory_follows_use() {
        // Ids spread one per page: after the free pages, most spill to the hash map.
        let mut m = IdMap::new(0u64);
        for k in 0..10_000u64 {
            m.set(k * 256, k + 1);
        }
        assert!(m.allocated <= FREE_PAGES + 10_000 / ACCESSES_PER_PAGE);
        assert!((0..10_000u64).all(|k| m.get(k * 256) == k + 1 && m.get(k * 256 + 1) == 0));
        // Dense ids all get pages.
        let mut d = IdMap::new(0u32);
        for id in 0..100_000u64 {
            d.set(id, id as u32);
        }
        assert!(d.far.is_empty());
        assert!((0..100_000u64).all(|id| d.get(id) == id as u32));
    }
}
