//! [`IdMap`]: the maps of the modern ordering (and of the conversion of legacy traces) from
//! the ids the runtime hands out to what the reader holds about them.

use crate::hash::FastMap;

/// Ids per page of an [`IdMap`].
const PAGE_BITS: u32 = 6;
const PAGE: usize = 1 << PAGE_BITS;

/// One page of an [`IdMap`]: the values of 64 consecutive ids, and how many are present.
#[derive(Debug)]
struct Page<T> {
    values: [Option<T>; PAGE],
    len: usize,
}

/// A map from `i64` ids to values. The ids the runtime hands out (goroutines, Ps, threads,
/// tasks) are small, or climb as they are handed out while the ones in use stay few: they live
/// in pages of 64 ids, a page allocated while one of its ids is present (freed pages are kept
/// for reuse); other ids (negative, huge, or spread thin as hostile input may spread them) in a
/// hash map. Memory follows use whatever the ids: pages number at most 16 plus one per 8
/// entries present, and the page table (a word per page of ids) grows to a page only when ids
/// were inserted 16 times as many times as its index (plus 1024 pages).
#[derive(Debug)]
pub(crate) struct IdMap<T> {
    /// Per page of ids, its page while one of them is present.
    pages: Vec<Option<Box<Page<T>>>>,
    /// Pages allocated (in the table or free).
    allocated: usize,
    /// Entries present, in pages and in the hash map.
    len: usize,
    /// Inserts so far (they let the page table grow).
    inserts: u64,
    /// Pages no id uses, for reuse.
    free: Vec<Box<Page<T>>>,
    /// The ids of no page. An id is never both in a page and here.
    far: FastMap<i64, T>,
}

impl<T> Default for IdMap<T> {
    fn default() -> Self {
        IdMap {
            pages: Vec::new(),
            allocated: 0,
            len: 0,
            inserts: 0,
            free: Vec::new(),
            far: FastMap::default(),
        }
    }
}

impl<T> IdMap<T> {
    /// The page index and the position in it of `id` (none for a negative id).
    #[inline(always)]
    fn split(id: i64) -> (usize, usize) {
        // A negative id indexes past any page table.
        ((id as u64 >> PAGE_BITS) as usize, id as usize & (PAGE - 1))
    }

    #[inline]
    pub fn get(&self, id: i64) -> Option<&T> {
        let (page, at) = Self::split(id);
        match self.pages.get(page) {
            Some(Some(p)) => p.values[at].as_ref(),
            _ if self.far.is_empty() => None,
            _ => self.far.get(&id),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, id: i64) -> Option<&mut T> {
        let (page, at) = Self::split(id);
        match self.pages.get_mut(page) {
            Some(Some(p)) => p.values[at].as_mut(),
            _ if self.far.is_empty() => None,
            _ => self.far.get_mut(&id),
        }
    }

    #[inline]
    pub fn contains(&self, id: i64) -> bool {
        self.get(id).is_some()
    }

    /// Inserts or replaces.
    #[inline]
    pub fn insert(&mut self, id: i64, value: T) {
        self.inserts += 1;
        let (page, at) = Self::split(id);
        if !matches!(self.pages.get(page), Some(Some(_))) && !self.add_page(page) {
            self.len += usize::from(self.far.insert(id, value).is_none());
            return;
        }
        if let Some(Some(p)) = self.pages.get_mut(page) {
            let slot = &mut p.values[at];
            let new = usize::from(slot.is_none());
            p.len += new;
            self.len += new;
            *slot = Some(value);
        }
    }

    /// Gives page `page` (not in the table) a page if the budgets allow, its ids that were in
    /// the hash map moved into it; false if they do not.
    #[cold]
    fn add_page(&mut self, page: usize) -> bool {
        if page >= self.pages.len() {
            if page as u64 >= self.inserts / 16 + 1024 {
                return false;
            }
            self.pages.resize_with(page + 1, || None);
        }
        let mut p = match self.free.pop() {
            Some(p) => p,
            None if self.allocated < 16 + self.len / 8 => {
                self.allocated += 1;
                Box::new(Page { values: std::array::from_fn(|_| None), len: 0 })
            }
            None => return false,
        };
        if !self.far.is_empty() {
            let first = (page << PAGE_BITS) as i64;
            for (at, slot) in p.values.iter_mut().enumerate() {
                *slot = self.far.remove(&(first + at as i64));
                p.len += usize::from(slot.is_some());
            }
        }
        self.pages[page] = Some(p);
        true
    }

    /// Removes and returns the value of `id`.
    #[inline]
    pub fn take(&mut self, id: i64) -> Option<T> {
        let (page, at) = Self::split(id);
        let value = match self.pages.get_mut(page) {
            Some(Some(p)) => {
                let value = p.values[at].take();
                p.len -= usize::from(value.is_some());
                if p.len == 0 {
                    self.free_page(page);
                }
                value
            }
            _ if self.far.is_empty() => None,
            _ => self.far.remove(&id),
        };
        self.len -= usize::from(value.is_some());
        value
    }

    #[inline]
    pub fn remove(&mut self, id: i64) {
        self.take(id);
    }

    /// Puts the page of page `page`, now empty, back among the free ones.
    #[cold]
    fn free_page(&mut self, page: usize) {
        if let Some(p) = self.pages[page].take() {
            self.free.push(p);
        }
    }

    /// Every entry: those in pages by id, then the others.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &T)> + '_ {
        let near = self.pages.iter().enumerate().flat_map(|(page, p)| {
            let values = p.as_ref().map_or(&[][..], |p| &p.values[..]);
            let first = (page << PAGE_BITS) as i64;
            values.iter().enumerate().filter_map(move |(at, v)| v.as_ref().map(|v| (first + at as i64, v)))
        });
        near.chain(self.far.iter().map(|(&id, v)| (id, v)))
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
        assert_eq!(m.take(-1), Some('b'));
        assert_eq!((m.get(3), m.get(-1), m.get(1 << 40)), (None, None, Some(&'c')));
        // Ids spread thin end in the hash map: pages and the page table stay few.
        let mut spread = IdMap::default();
        for k in 0..1000i64 {
            spread.insert(k * 100_000, k);
        }
        assert!(spread.allocated <= 16 + 1000 / 8);
        assert!(spread.pages.len() <= 1000 / 16 + 1024);
        assert!((0..1000i64).all(|k| spread.get(k * 100_000) == Some(&k)));
    }

    #[test]
    fn climbing_ids_stay_in_a_few_pages() {
        // Goroutine and task ids climb as they are handed out, few in use at a time.
        let mut m = IdMap::default();
        for id in 0..100_000i64 {
            m.insert(id, id);
            if id >= 50 {
                assert_eq!(m.take(id - 50), Some(id - 50));
            }
        }
        assert!(m.far.is_empty());
        assert!(m.allocated <= 4, "{} pages", m.allocated);
        assert_eq!(
            m.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            (100_000 - 50..100_000).collect::<Vec<_>>()
        );
    }

    #[test]
    fn ids_in_the_hash_map_move_into_their_page_when_it_comes() {
        // One id a page, past the budget of pages: the last ones go to the hash map.
        let mut m = IdMap::default();
        for k in 0..40i64 {
            m.insert(64 * k, k);
        }
        assert!(!m.far.is_empty() && m.far.len() < 40);
        // A page freed, then an id of a page whose id is in the hash map: that page is made.
        m.remove(0);
        m.insert(64 * 39 + 1, 100);
        assert!(!m.far.contains_key(&(64 * 39)));
        assert_eq!((m.get(64 * 39), m.get(64 * 39 + 1)), (Some(&39), Some(&100)));
        assert_eq!(m.iter().filter(|&(id, _)| id == 64 * 39).count(), 1);
        assert_eq!(m.take(64 * 39), Some(39));
        assert_eq!((m.get(64 * 39), m.len), (None, 39));
    }
}
