//! The ordered read of a modern trace in two halves at once ([`Reader::read_to_end_split`]).
//!
//! The first half is the ordinary read, from the first generation to the end of a generation
//! `w` near the middle of the file. The second half starts at generation `w` on a second
//! thread, as if `w` were the trace's first generation (the warm-up: status events make the
//! goroutines and Ps they name), and reads on from there to the end. Its events after `w` are
//! those the ordinary read would get only if the ordering state it had after `w` would have
//! decided every event as the real one does; so the second half logs every look-up it made
//! of a goroutine, P, thread or task it did not know (a *miss*: the real state, which knows
//! more, may have answered otherwise), and the region ends it met on an empty region stack.
//! When both halves are done, the state the first half had after `w` is checked against the
//! warm-up's ([`continues`]): every entry the warm-up made must be the real one, every miss
//! must be a miss in the real state too, every region end must match the regions the real
//! state had open. If anything fails (or the second half ended in an error, which could be the
//! warm-up's own doing), the first half simply reads on: the result is always the ordinary
//! read's, only sooner when the check holds.

use std::io::{BufReader, Read, Seek, SeekFrom};

use gotrace_format::modern::EventType;
use gotrace_format::{Error, Version, HEADER_LEN};

use super::generation::uvarint;
use super::ids::IdMap;
use super::order::RangeKey;
use super::reader::{read_up_to, Reader};

/// A set of ids as sorted, disjoint ranges: what a read misses is mostly new goroutines and
/// tasks, whose ids climb, so that a few ranges hold hundreds of thousands of them.
#[derive(Debug, Default)]
pub(super) struct Ids {
    /// Inclusive ranges, sorted, neither overlapping nor adjacent.
    ranges: Vec<(i64, i64)>,
    /// Ranges added since the last merge into `ranges`, in the order added (an id next to the
    /// last one's end extends it: climbing ids take one entry).
    pending: Vec<(i64, i64)>,
}

impl Ids {
    pub fn insert(&mut self, id: i64) {
        if let Some((start, end)) = self.pending.last_mut() {
            if (*start..=end.saturating_add(1)).contains(&id) {
                *end = (*end).max(id);
                return;
            }
        }
        self.pending.push((id, id));
        if self.pending.len() >= 4096 {
            self.merge();
        }
    }

    fn merge(&mut self) {
        self.pending.sort_unstable();
        let mut all: Vec<(i64, i64)> = Vec::with_capacity(self.ranges.len() + self.pending.len());
        let mut add = |(a, b): (i64, i64)| match all.last_mut() {
            Some((_, end)) if a <= end.saturating_add(1) => *end = (*end).max(b),
            _ => all.push((a, b)),
        };
        let (mut r, mut p) = (self.ranges.iter().peekable(), self.pending.iter().peekable());
        loop {
            let next = match (r.peek(), p.peek()) {
                (Some(&&x), Some(&&y)) if x.0 <= y.0 => r.next(),
                (_, Some(_)) => p.next(),
                (Some(_), None) => r.next(),
                (None, None) => break,
            };
            add(*next.expect("peeked"));
        }
        self.ranges = all;
        self.pending.clear();
    }

    /// Adds `id` to `misses` if a log is kept (a look-up found nothing).
    #[cold]
    pub fn log(misses: &mut Option<Ids>, id: i64) {
        if let Some(m) = misses {
            m.insert(id);
        }
    }

    /// The ranges of the set.
    pub fn ranges(&mut self) -> &[(i64, i64)] {
        self.merge();
        &self.ranges
    }
}

/// An [`IdMap`] of the ordering that can log the ids it was asked for and did not have.
#[derive(Debug)]
pub(super) struct Tracked<T> {
    map: IdMap<T>,
    /// The ids looked up and missing, once logging is on.
    misses: Option<Ids>,
}

impl<T> Default for Tracked<T> {
    fn default() -> Self {
        Tracked { map: IdMap::default(), misses: None }
    }
}

impl<T> Tracked<T> {
    /// Starts logging misses.
    pub fn log_misses(&mut self) {
        self.misses.get_or_insert_with(Ids::default);
    }

    /// The ids missed since logging started.
    pub fn take_misses(&mut self) -> Ids {
        self.misses.take().unwrap_or_default()
    }

    #[inline(always)]
    pub fn get(&mut self, id: i64) -> Option<&T> {
        match self.map.get(id) {
            Some(v) => Some(v),
            None => {
                Ids::log(&mut self.misses, id);
                None
            }
        }
    }

    #[inline(always)]
    pub fn get_mut(&mut self, id: i64) -> Option<&mut T> {
        match self.map.get_mut(id) {
            Some(v) => Some(v),
            None => {
                Ids::log(&mut self.misses, id);
                None
            }
        }
    }

    #[inline(always)]
    pub fn contains(&mut self, id: i64) -> bool {
        self.get(id).is_some()
    }

    /// A look-up that is not logged: for a caller whose decisions do not depend on the answer.
    #[inline(always)]
    pub fn peek(&self, id: i64) -> Option<&T> {
        self.map.get(id)
    }

    /// Inserts (after a look-up of `id`, which logged a miss if there was one).
    #[inline(always)]
    pub fn insert(&mut self, id: i64, value: T) {
        self.map.insert(id, value);
    }

    /// Removes and returns the value of `id`; a miss is not logged (see [`Tracked::peek`]).
    #[inline(always)]
    pub fn take_unlogged(&mut self, id: i64) -> Option<T> {
        self.map.take(id)
    }

    /// Removes `id` (after a look-up that found it).
    #[inline(always)]
    pub fn remove(&mut self, id: i64) {
        self.map.remove(id);
    }

    pub fn iter(&self) -> impl Iterator<Item = (i64, &T)> + '_ {
        self.map.iter()
    }
}

/// Entries sorted by id.
pub(super) type ById<T> = Vec<(i64, T)>;

/// A region as a [`Snapshot`] keeps it: task and name.
pub(super) type RegionKey = (u64, Box<[u8]>);

/// A goroutine's state in a [`Snapshot`]: status, sequence (generation, number), open regions
/// (innermost last) and ranges.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct GoSnapshot {
    pub status: u64,
    pub seq: (u64, u64),
    pub regions: Vec<RegionKey>,
    pub ranges: Vec<RangeKey>,
}

/// A P's state in a [`Snapshot`]: status, sequence, ranges.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ProcSnapshot {
    pub status: u64,
    pub seq: (u64, u64),
    pub ranges: Vec<RangeKey>,
}

/// The ordering state at the end of a generation, names by content, entries by id.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    pub g: ById<GoSnapshot>,
    pub p: ById<ProcSnapshot>,
    /// The thread's goroutine and P.
    pub m: ById<(i64, i64)>,
    /// Name and parent.
    pub tasks: ById<(Box<[u8]>, u64)>,
    /// The GC's state (a small number) and sequence.
    pub gc: (u8, u64),
}

/// What the second half looked up and did not know, after its warm-up.
#[derive(Debug, Default)]
pub(super) struct Misses {
    pub g: Ids,
    pub p: Ids,
    pub tasks: Ids,
    /// Threads named by another thread's event (a `GoStatus`, a steal).
    pub m: Ids,
    /// Threads whose own event came first: a thread the real state knows as idle (no
    /// goroutine, no P) is the same there.
    pub m_own: Ids,
    /// The Ps of `ProcStatus` events that looked in every thread for the one the P was stolen
    /// from.
    pub steals: Vec<i64>,
    /// Region ends on an empty region stack: goroutine, task, name.
    pub underflows: Vec<(i64, u64, Box<[u8]>)>,
}

fn find<T>(all: &[(i64, T)], id: i64) -> Option<&T> {
    all.binary_search_by_key(&id, |e| e.0).ok().map(|i| &all[i].1)
}

/// Ranges as a set, unless a begin type is there twice (its order then decides which one an
/// end closes).
fn same_ranges(a: &[RangeKey], b: &[RangeKey]) -> bool {
    if a == b {
        return true;
    }
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    a == b && a.windows(2).all(|w| w[0].0 != w[1].0)
}

/// Whether the second half's events after the generation both halves ended are those the
/// first half would have read on: `real` is the first half's state at the end of that
/// generation, `warm` the second half's (after its warm-up), `log` what it missed afterwards.
pub(super) fn continues(real: &Snapshot, warm: &Snapshot, log: &mut Misses) -> bool {
    // Every entry of the warm-up is the real one (a goroutine may have regions open that
    // began before the warm-up: the warm-up's are the innermost of the real ones).
    let mut outer: Vec<(i64, &[RegionKey])> = Vec::new();
    for (id, w) in &warm.g {
        let Some(r) = find(&real.g, *id) else { return false };
        if (r.status, r.seq) != (w.status, w.seq) || !same_ranges(&r.ranges, &w.ranges) {
            return false;
        }
        let Some(before) = r.regions.len().checked_sub(w.regions.len()) else { return false };
        if r.regions[before..] != w.regions[..] {
            return false;
        }
        outer.push((*id, &r.regions[..before]));
    }
    for (id, w) in &warm.p {
        match find(&real.p, *id) {
            Some(r) if (r.status, r.seq) == (w.status, w.seq) && same_ranges(&r.ranges, &w.ranges) => {}
            _ => return false,
        }
    }
    fn same<T: PartialEq>(a: &[(i64, T)], b: &[(i64, T)]) -> bool {
        a.iter().all(|(id, v)| find(b, *id) == Some(v))
    }
    if !same(&warm.m, &real.m) || !same(&warm.tasks, &real.tasks) || warm.gc != real.gc {
        return false;
    }
    // Every miss is one in the real state too (or is of an entry the warm-up has: both states
    // agree on it since). `within`: the real entries whose id is in `ids`.
    fn within<'a, T>(real: &'a [(i64, T)], ids: &'a mut Ids) -> impl Iterator<Item = &'a (i64, T)> + 'a {
        ids.ranges().iter().flat_map(move |&(a, b)| {
            let from = real.partition_point(|e| e.0 < a);
            real[from..].iter().take_while(move |e| e.0 <= b)
        })
    }
    if !within(&real.g, &mut log.g).all(|e| find(&warm.g, e.0).is_some())
        || !within(&real.p, &mut log.p).all(|e| find(&warm.p, e.0).is_some())
        || !within(&real.tasks, &mut log.tasks).all(|e| find(&warm.tasks, e.0).is_some())
        || !within(&real.m, &mut log.m).all(|e| find(&warm.m, e.0).is_some())
        || !within(&real.m, &mut log.m_own).all(|e| e.1 == (-1, -1) || find(&warm.m, e.0).is_some())
    {
        return false;
    }
    // A thread the warm-up does not know holds no P a steal looked for.
    let unknown = || real.m.iter().filter(|(id, _)| find(&warm.m, *id).is_none());
    if !log.steals.iter().all(|&p| unknown().all(|(_, (_, mp))| *mp != p)) {
        return false;
    }
    // Each region end on an empty stack closes the innermost region the real state had open
    // before the warm-up (or finds none open either).
    for (g, task, name) in &log.underflows {
        let Some(i) = outer.iter().position(|(id, _)| id == g) else { continue };
        let open = &mut outer[i].1;
        if let Some(((t, n), rest)) = open.split_last() {
            if (t, n) != (task, name) {
                return false;
            }
            *open = rest;
        }
    }
    true
}

/// Most generation starts, and batch headers, [`generation_starts`] reads: a hostile file of
/// tiny batches costs no more (a split among the first ones still gives the ordinary read's
/// result).
const MAX_STARTS: usize = 1 << 16;
const MAX_HEADERS: usize = 1 << 20;

/// The file offsets at which generations start (their first batch), with their numbers, found
/// by reading the batch headers alone; the list stops at the first header it cannot read or
/// whose generation number goes down (where the ordinary read fails), at the end, or at the
/// second start past offset `enough` (`u64::MAX`: never).
pub(super) fn generation_starts<S: Read + Seek>(
    input: &mut S,
    version: Version,
    enough: u64,
) -> Vec<(u64, u64)> {
    let mut starts: Vec<(u64, u64)> = Vec::new();
    if input.seek(SeekFrom::Start(HEADER_LEN as u64)).is_err() {
        return starts;
    }
    // Small batches are skipped inside the buffer, large ones by a seek.
    let mut input = BufReader::with_capacity(4096, input);
    let mut at = HEADER_LEN as u64;
    let mut header = [0u8; 64];
    for _ in 0..MAX_HEADERS {
        let (n, None) = read_up_to(&mut input, &mut header) else { break };
        let head = &header[..n];
        let Some(&code) = head.first() else { break };
        let len = if code == EventType::END_OF_GENERATION.code() && version >= Version::Go1_26 {
            1
        } else {
            let mut pos = 1;
            if code == EventType::EXPERIMENTAL_BATCH.code() {
                pos += 1;
            } else if code != EventType::EVENT_BATCH.code() {
                break;
            }
            let mut fields = [0u64; 4];
            for f in &mut fields {
                let (v, used) = uvarint(head.get(pos..).unwrap_or(&[]));
                if used <= 0 {
                    return starts;
                }
                *f = v;
                pos += used as usize;
            }
            let [gen, _, _, size] = fields;
            match starts.last() {
                Some(&(_, last)) if gen < last => break,
                Some(&(_, last)) if gen == last => {}
                _ if starts.len() == MAX_STARTS => break,
                Some(&(last, _)) if last >= enough => {
                    starts.push((at, gen));
                    break;
                }
                _ => starts.push((at, gen)),
            }
            // A size no batch has ends the list (the ordinary read fails there).
            let Some(len) = size.checked_add(pos as u64) else { break };
            len
        };
        let Some(next) = at.checked_add(len) else { break };
        let Ok(skip) = i64::try_from(i128::from(len) - n as i128) else { break };
        if input.seek_relative(skip).is_err() {
            break;
        }
        at = next;
    }
    starts
}

/// The index in `starts` of the generation whose end the first half stops at: the one whose
/// start and end balance the two halves' bytes best (the second half reads it too, as its
/// warm-up); `None` with fewer than three generations.
pub(super) fn split_generation(starts: &[(u64, u64)], len: u64) -> Option<usize> {
    if starts.len() < 3 {
        return None;
    }
    // Generation i runs from starts[i] to starts[i + 1]; the last one cannot be the warm-up.
    (1..starts.len() - 1).min_by_key(|&i| starts[i + 1].0.max(len.saturating_sub(starts[i].0)))
}

/// Where a read stopped at the end of a generation: what the halves must agree on.
#[derive(Debug)]
pub(super) struct Pause {
    /// File offset of the next byte the reader reads, and batch records read.
    pub offset: u64,
    pub batches: u64,
    pub ordering: Snapshot,
}

/// The second half's read: its stop after the warm-up, then the events after it, the batch
/// records read in all, and what it missed.
#[derive(Debug)]
pub(super) struct SecondHalf {
    pub pause: Pause,
    pub events: u64,
    pub batches: u64,
    pub log: Misses,
}

impl<R: Read> Reader<R> {
    /// Reads to the end as [`Reader::read_to_end`] does, the second half of the trace on a
    /// second thread: `second` is another reader of the same bytes (the file opened again, a
    /// cursor over the same slice). The result is always `read_to_end`'s (the same count, or
    /// the same error at the same offset); it comes sooner when the trace has three
    /// generations or more and the second half's start holds (see the module's text). Like
    /// `read_to_end`, it counts the events not returned yet.
    ///
    /// ```
    /// use gotrace_parser::modern::Reader;
    /// // Five generations: the second half is read on a second thread.
    /// let data = std::fs::read("../corpus/recorded/go1.23/generations.trace")?;
    /// let whole = Reader::new(&data[..])?.read_to_end()?;
    /// let split = Reader::new(&data[..])?.read_to_end_split(std::io::Cursor::new(&data[..]))?;
    /// assert_eq!(split, whole);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_to_end_split<S: Read + Seek + Send>(&mut self, second: S) -> Result<u64, Error> {
        self.read_to_end_split_at(second, None).0
    }

    /// [`Reader::read_to_end_split`], the first half stopping after generation `at` (`None`:
    /// the one that balances the halves), and whether the second half's events were kept
    /// (false: the first half read on). For tests of the check.
    #[doc(hidden)]
    pub fn read_to_end_split_at<S: Read + Seek + Send>(
        &mut self,
        mut second: S,
        at: Option<u64>,
    ) -> (Result<u64, Error>, bool) {
        let version = self.version();
        let len = second.seek(SeekFrom::End(0)).unwrap_or(0);
        // The balanced split is among the generations that start before the middle and the
        // first one after it (one that starts later gives a longer first half): the scan stops
        // once that one's end is known.
        let enough = if at.is_some() { u64::MAX } else { len / 2 };
        let starts = generation_starts(&mut second, version, enough);
        let warm_up = match at {
            Some(g) => starts.iter().position(|&(_, s)| s == g).filter(|&i| i + 1 < starts.len()),
            None => split_generation(&starts, len),
        };
        let Some((start, gen)) = warm_up.map(|i| starts[i]) else { return (self.read_to_end(), false) };
        let limits = self.limits();
        std::thread::scope(|scope| {
            let other = scope.spawn(move || second_half(second, version, start, gen, limits));
            let first = self.read_to_pause(gen);
            let second = other.join().unwrap_or(None);
            let (events, pause) = match first {
                Ok(first) => first,
                Err(e) => return (Err(e), false),
            };
            let read_on = |reader: &mut Self| reader.read_on().map(|rest| events + rest);
            // None: the trace ended first, or the generation's end is followed by an error.
            let Some(pause) = pause else { return (read_on(self), false) };
            if let Some(mut s) = second {
                let batches = pause.batches + (s.batches - s.pause.batches);
                if s.pause.offset == pause.offset
                    && batches <= limits.get_max_batches()
                    && continues(&pause.ordering, &s.pause.ordering, &mut s.log)
                {
                    return (Ok(events + s.events), true);
                }
            }
            (read_on(self), false)
        })
    }
}

/// The second half: from `start`, generation `gen` as the warm-up, then on to the end; `None`
/// where it did not get that far or failed.
fn second_half<S: Read + Seek>(
    mut input: S,
    version: Version,
    start: u64,
    gen: u64,
    limits: crate::Limits,
) -> Option<SecondHalf> {
    input.seek(SeekFrom::Start(start)).ok()?;
    let mut reader = Reader::at_generation(input, version, start, limits);
    let (_, pause) = reader.read_to_pause(gen).ok()?;
    let pause = pause?;
    reader.log_misses();
    let events = reader.read_on().ok()?;
    let (batches, log) = reader.finish_log();
    Some(SecondHalf { pause, events, batches, log })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_balances_the_halves() {
        // Generations 1 to 4 of 100 bytes each from offset 16 (the last one ends at 416).
        let starts = [(16, 1), (116, 2), (216, 3), (316, 4)];
        // Warm-up 2 (index 1): halves 216 - 16 and 416 - 116; warm-up 3: 316 and 200. 2 is better.
        assert_eq!(split_generation(&starts, 416), Some(1));
        assert_eq!(split_generation(&starts[..2], 216), None);
    }

    #[test]
    fn generation_starts_read_the_batch_headers_and_stop_where_they_end() {
        fn batch(out: &mut Vec<u8>, gen: u64, size: u64) {
            out.push(EventType::EVENT_BATCH.code());
            for mut v in [gen, 7, 100, size] {
                while v >= 0x80 {
                    out.push(v as u8 | 0x80);
                    v >>= 7;
                }
                out.push(v as u8);
            }
            out.resize(out.len() + (size as usize).min(3), 0);
        }
        let mut data = b"go 1.23 trace\0\0\0".to_vec();
        batch(&mut data, 1, 3);
        batch(&mut data, 1, 2);
        batch(&mut data, 2, 0);
        let second = data.len() as u64;
        batch(&mut data, 3, 1);
        // A size past the end of any file, then one past u64's range with the offset.
        batch(&mut data, 4, u64::MAX - 4);
        let starts = generation_starts(&mut std::io::Cursor::new(&data), Version::Go1_23, u64::MAX);
        assert_eq!(starts, [(16, 1), (second - 5, 2), (second, 3), (second + 6, 4)]);
        // A generation number that goes down ends the list.
        data.truncate(second as usize + 6);
        batch(&mut data, 2, 0);
        batch(&mut data, 5, 0);
        let starts = generation_starts(&mut std::io::Cursor::new(&data), Version::Go1_23, u64::MAX);
        assert_eq!(starts, [(16, 1), (second - 5, 2), (second, 3)]);
    }

    #[test]
    fn a_scan_that_stops_past_the_middle_finds_the_same_split() {
        // Files of 3 to 40 generations of 1 to 4 batches of random sizes: the split chosen from
        // the starts up to the second one past the middle is the one chosen from all of them.
        let mut x = 12_345u64;
        let mut random = |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        for _ in 0..500 {
            let mut data = b"go 1.23 trace\0\0\0".to_vec();
            for gen in 1..=3 + random(38) {
                for _ in 0..1 + random(4) {
                    let size = random(3000);
                    data.push(EventType::EVENT_BATCH.code());
                    for mut v in [gen, 7, 100, size] {
                        while v >= 0x80 {
                            data.push(v as u8 | 0x80);
                            v >>= 7;
                        }
                        data.push(v as u8);
                    }
                    data.resize(data.len() + size as usize, 0);
                }
            }
            let len = data.len() as u64;
            let all = generation_starts(&mut std::io::Cursor::new(&data), Version::Go1_23, u64::MAX);
            let some = generation_starts(&mut std::io::Cursor::new(&data), Version::Go1_23, len / 2);
            assert_eq!(some[..], all[..some.len()]);
            assert_eq!(split_generation(&some, len), split_generation(&all, len), "{all:?}");
        }
    }

    #[test]
    fn generation_starts_are_bounded_on_a_file_of_tiny_generations() {
        let mut data = b"go 1.23 trace\0\0\0".to_vec();
        for gen in 1..=MAX_STARTS as u64 + 1000 {
            data.push(EventType::EVENT_BATCH.code());
            let mut v = gen;
            while v >= 0x80 {
                data.push(v as u8 | 0x80);
                v >>= 7;
            }
            data.extend([v as u8, 0, 0, 0]);
        }
        let starts = generation_starts(&mut std::io::Cursor::new(&data), Version::Go1_23, u64::MAX);
        assert_eq!(starts.len(), MAX_STARTS);
        assert_eq!(starts.last().map(|s| s.1), Some(MAX_STARTS as u64));
    }

    #[test]
    fn ids_hold_the_ids_inserted_as_ranges() {
        // Climbing runs, repeats, ids inside and next to earlier ranges, negative ids, and
        // enough of them for several merges: the ranges are those of the set, worked out from
        // a sorted list of the distinct ids.
        let mut ids = Ids::default();
        let mut all = Vec::new();
        let mut x: i64 = 7;
        for k in 0..20_000i64 {
            x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
            let id = match k % 5 {
                0 | 1 => k,
                2 => k - 2,
                3 => x % 30_000 - 100,
                _ => k / 3,
            };
            ids.insert(id);
            all.push(id);
        }
        all.sort_unstable();
        all.dedup();
        let mut want: Vec<(i64, i64)> = Vec::new();
        for id in all {
            match want.last_mut() {
                Some((_, end)) if *end + 1 == id => *end = id,
                _ => want.push((id, id)),
            }
        }
        assert!(want.len() > 1000);
        assert_eq!(ids.ranges(), &want[..]);
    }

    #[test]
    fn ranges_compare_as_sets_unless_a_type_repeats() {
        assert!(same_ranges(&[(1, 0), (2, 0)], &[(2, 0), (1, 0)]));
        assert!(!same_ranges(&[(1, 0), (1, 5)], &[(1, 5), (1, 0)]));
        assert!(same_ranges(&[(1, 0), (1, 5)], &[(1, 0), (1, 5)]));
        assert!(!same_ranges(&[(1, 0)], &[(1, 0), (2, 0)]));
    }
}
