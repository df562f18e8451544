//! [`Frontier`]: Go's frontier heap of the modern ordered reader, with the bound under which
//! the head stays the head.

/// A cursor in the frontier: the time of its event, and its index in the reader's cursors.
#[derive(Clone, Copy, Debug)]
pub(super) struct Front {
    pub time: i64,
    pub cursor: usize,
}

/// Go's frontier: a binary min-heap on the time of each cursor's event, with Go's exact sift
/// rules, so that ties between threads break as Go breaks them.
///
/// Most accepted events are the head's, and most often its next event still comes first: the
/// heap keeps the earliest time of the head's children, under which moving the head's time
/// leaves the heap as sifting it down would (one comparison instead of a sift).
#[derive(Debug)]
pub(super) struct Frontier {
    heap: Vec<Front>,
    /// The earliest time among the head's children (`i64::MAX` when it has none).
    head_bound: i64,
}

impl Default for Frontier {
    fn default() -> Self {
        Frontier { heap: Vec::new(), head_bound: i64::MAX }
    }
}

impl Frontier {
    #[inline]
    pub fn first(&self) -> Option<&Front> {
        self.heap.first()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// The cursor at heap position `i` (`i < len`).
    #[inline]
    pub fn cursor(&self, i: usize) -> usize {
        self.heap[i].cursor
    }

    /// The entries, in heap order.
    pub fn iter(&self) -> impl Iterator<Item = &Front> + '_ {
        self.heap.iter()
    }

    /// Adds a cursor.
    pub fn push(&mut self, front: Front) {
        self.heap.push(front);
        let last = self.heap.len() - 1;
        sift_up(&mut self.heap, last);
        self.rebound();
    }

    /// The cursor at position `i` has a new event at `time`.
    #[inline(always)]
    pub fn update(&mut self, i: usize, time: i64) {
        self.heap[i].time = time;
        if i == 0 && time <= self.head_bound {
            // No child comes first: sifting down would stop at once.
            return;
        }
        self.resift(i);
    }

    #[inline(never)]
    fn resift(&mut self, i: usize) {
        let h = &mut self.heap[..];
        if i == 0 || sift_up(h, i) == i {
            sift_down(h, i);
        }
        self.rebound();
    }

    /// Removes the cursor at position `i` (its thread has no event left).
    pub fn remove(&mut self, mut i: usize) {
        let h = &mut self.heap;
        while i > 0 {
            h.swap((i - 1) / 2, i);
            i = (i - 1) / 2;
        }
        let last = h.len() - 1;
        h.swap(0, last);
        h.pop();
        sift_down(h, 0);
        self.rebound();
    }

    /// Sorts the entries by time, as Go does before offering each in turn (a sorted heap is a
    /// heap).
    pub fn sort(&mut self) {
        self.heap.sort_by_key(|f| f.time);
        self.rebound();
    }

    fn rebound(&mut self) {
        let child = |i: usize| self.heap.get(i).map_or(i64::MAX, |f| f.time);
        self.head_bound = child(1).min(child(2));
    }
}

fn sift_up(h: &mut [Front], mut i: usize) -> usize {
    while i > 0 && h[(i - 1) / 2].time > h[i].time {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    i
}

fn sift_down(h: &mut [Front], mut i: usize) {
    let n = h.len();
    loop {
        let l = 2 * i + 1;
        if l >= n {
            return;
        }
        let (mut m, mut min_t) = (i, h[i].time);
        if h[l].time < min_t {
            (m, min_t) = (l, h[l].time);
        }
        if l + 1 < n && h[l + 1].time < min_t {
            m = l + 1;
        }
        if m == i {
            return;
        }
        h.swap(i, m);
        i = m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The heap Go's sift rules give, sifting after every move (what the frontier did before it
    /// kept the head's bound).
    fn sifted(h: &mut [Front], i: usize) {
        if i == 0 || sift_up(h, i) == i {
            sift_down(h, i);
        }
    }

    #[test]
    fn the_head_bound_changes_nothing_go_would_order() {
        // Times from a small range (many ties), moved mostly at the head as the reader moves
        // them; entries removed and added now and then.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut f = Frontier::default();
        let mut plain: Vec<Front> = Vec::new();
        let mut cursor = 0;
        for step in 0..200_000 {
            if f.len() < 2 || next(50) == 0 {
                let front = Front { time: next(64) as i64, cursor };
                cursor += 1;
                f.push(front);
                plain.push(front);
                let last = plain.len() - 1;
                sift_up(&mut plain, last);
            } else if next(60) == 0 {
                let i = next(f.len() as u64) as usize;
                f.remove(i);
                let mut i = i;
                while i > 0 {
                    plain.swap((i - 1) / 2, i);
                    i = (i - 1) / 2;
                }
                plain.swap_remove(0);
                sift_down(&mut plain, 0);
            } else if next(500) == 0 {
                f.sort();
                plain.sort_by_key(|f| f.time);
            } else {
                let i = if next(8) == 0 { next(f.len() as u64) as usize } else { 0 };
                let time = f.heap[i].time + next(24) as i64 - 4;
                f.update(i, time);
                plain[i].time = time;
                sifted(&mut plain, i);
            }
            let same = f.heap.iter().zip(&plain).all(|(a, b)| a.cursor == b.cursor && a.time == b.time);
            assert!(same && f.len() == plain.len(), "step {step}: {:?} != {plain:?}", f.heap);
        }
    }
}
