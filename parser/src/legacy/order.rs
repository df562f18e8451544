//! Ordering (spec §7): the causal merge of the batch lists of Go 1.7+ traces, the global
//! sequence order of Go 1.5/1.6 traces, the `GoSysExit` real-time fix-up, the stable sort, the
//! conversion of ticks to nanoseconds and the pseudo-P remapping.
//!
//! # The merge
//!
//! Every list contributes at most one event at a time to the *frontier*: its head, once the
//! head is ready against the goroutine states (§7.2). The frontier event with the smallest
//! time stamp comes next; applying its transition may make other heads ready. Go re-examines
//! every list after every step; here a list whose head is not ready waits on the one key
//! (goroutine, or the GC) whose state decides it, and is examined again only when that key's
//! state changes, which gives the same frontier at every step.
//!
//! **Ties.** Go picks among frontier events with equal time stamps in an order that depends on
//! map iteration (it varies between runs, spec §7.6). gotrace picks the one whose record comes
//! first in the file (smallest byte offset), so its output is deterministic.
//!
//! The merge reads each list through a [`Cursor`], front to back; finished chunks are recycled
//! into the output, so the lists and the output together stay near one copy of the events.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use gotrace_format::legacy::EventType;
use gotrace_format::{Error, ErrorKind, Version};

use super::dense::{Chunked, Cursor, IdMap, Pool};
use super::event::{Event, PROFILE_P, SYSCALL_P, TIMER_P};
use super::structure::{List, Parts};

/// Key of events without ordering constraints (Go's `unordered`; a goroutine with this id is
/// unordered too, as in Go).
const UNORDERED: u64 = u64::MAX;
/// Key of the GC sequence (Go's `garbage`; goroutine id 2⁶⁴−2 shares it, as in Go).
const GC_KEY: u64 = u64::MAX - 1;
/// Any sequence number will do (Go's `noseq`; a wire sequence of 2⁶⁴−1 means this too).
const ANY_SEQ: u64 = u64::MAX;
/// The next sequence is the current one plus one (Go's `seqinc`).
const INC_SEQ: u64 = u64::MAX - 1;

const DEAD: u8 = 0;
const RUNNABLE: u8 = 1;
const RUNNING: u8 = 2;
const WAITING: u8 = 3;

/// Sequence number and status of a goroutine (or of the GC) during the merge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct GState {
    seq: u64,
    status: u8,
}

/// What an event requires of its key's state, and what it makes of it.
#[derive(Clone, Copy, Debug)]
struct Transition {
    key: u64,
    init: GState,
    next: GState,
}

const fn st(seq: u64, status: u8) -> GState {
    GState { seq, status }
}

#[inline]
fn transition(ev: &Event) -> Transition {
    let (key, init, next) = match ev.event_type() {
        EventType::GO_CREATE => (ev.args[0], st(0, DEAD), st(1, RUNNABLE)),
        EventType::GO_WAITING | EventType::GO_IN_SYSCALL => (ev.g, st(1, RUNNABLE), st(2, WAITING)),
        EventType::GO_START | EventType::GO_START_LABEL => {
            (ev.g, st(ev.args[1], RUNNABLE), st(ev.args[1].wrapping_add(1), RUNNING))
        }
        EventType::GO_START_LOCAL => (ev.g, st(ANY_SEQ, RUNNABLE), st(INC_SEQ, RUNNING)),
        EventType::GO_BLOCK
        | EventType::GO_BLOCK_SEND
        | EventType::GO_BLOCK_RECV
        | EventType::GO_BLOCK_SELECT
        | EventType::GO_BLOCK_SYNC
        | EventType::GO_BLOCK_COND
        | EventType::GO_BLOCK_NET
        | EventType::GO_SLEEP
        | EventType::GO_SYS_BLOCK
        | EventType::GO_BLOCK_GC => (ev.g, st(ANY_SEQ, RUNNING), st(ANY_SEQ, WAITING)),
        EventType::GO_SCHED | EventType::GO_PREEMPT => (ev.g, st(ANY_SEQ, RUNNING), st(ANY_SEQ, RUNNABLE)),
        EventType::GO_UNBLOCK | EventType::GO_SYS_EXIT => {
            (ev.args[0], st(ev.args[1], WAITING), st(ev.args[1].wrapping_add(1), RUNNABLE))
        }
        EventType::GO_UNBLOCK_LOCAL | EventType::GO_SYS_EXIT_LOCAL => {
            (ev.args[0], st(ANY_SEQ, WAITING), st(INC_SEQ, RUNNABLE))
        }
        EventType::GC_START => (GC_KEY, st(ev.args[0], DEAD), st(ev.args[0].wrapping_add(1), DEAD)),
        _ => (UNORDERED, GState::default(), GState::default()),
    };
    Transition { key, init, next }
}

#[inline]
fn ready(t: &Transition, cur: GState) -> bool {
    t.key == UNORDERED || ((t.init.seq == ANY_SEQ || t.init.seq == cur.seq) && t.init.status == cur.status)
}

/// One batch list as the merge reads it.
struct Source {
    cursor: Cursor<Event>,
    /// The head is in the frontier, with this transition.
    selected: Option<Transition>,
}

/// The frontier: at most one event per list, keyed by (time, offset); the smallest comes next.
/// A plain array scanned for the minimum while lists are few (the usual case: one per P plus
/// two), a binary heap beyond.
enum Frontier {
    Few(Vec<(i64, u64, u32)>),
    Many(BinaryHeap<Reverse<(i64, u64, u32)>>),
}

/// Lists up to which the frontier is a plain array.
const FEW_LISTS: usize = 16;

impl Frontier {
    fn new(lists: usize) -> Frontier {
        if lists <= FEW_LISTS {
            Frontier::Few(Vec::with_capacity(lists))
        } else {
            Frontier::Many(BinaryHeap::with_capacity(lists))
        }
    }

    #[inline]
    fn push(&mut self, entry: (i64, u64, u32)) {
        match self {
            Frontier::Few(v) => v.push(entry),
            Frontier::Many(h) => h.push(Reverse(entry)),
        }
    }

    /// The list whose head comes next.
    #[inline]
    fn pop(&mut self) -> Option<u32> {
        match self {
            Frontier::Few(v) => {
                let mut best = 0;
                for k in 1..v.len() {
                    if (v[k].0, v[k].1) < (v[best].0, v[best].1) {
                        best = k;
                    }
                }
                (!v.is_empty()).then(|| v.swap_remove(best).2)
            }
            Frontier::Many(h) => h.pop().map(|Reverse(e)| e.2),
        }
    }
}

/// The merge state of Go 1.7+ traces.
struct Merge {
    sources: Vec<Source>,
    frontier: Frontier,
    /// Lists whose head waits for a change of the state of a key.
    blocked: Vec<(u64, u32)>,
    gs: IdMap<GState>,
}

impl Merge {
    /// Puts the head of list `i` into the frontier if it is ready; else it waits on its key.
    #[inline]
    fn offer(&mut self, i: u32) {
        let src = &mut self.sources[i as usize];
        let Some(ev) = src.cursor.peek() else { return };
        let t = transition(ev);
        if t.key == UNORDERED || ready(&t, self.gs.get(t.key)) {
            self.frontier.push((ev.ts, ev.offset(), i));
            src.selected = Some(t);
        } else {
            self.blocked.push((t.key, i));
        }
    }

    /// Offers again the lists waiting on `key` (whose state just changed); those still not
    /// ready keep waiting on it.
    #[inline]
    fn wake(&mut self, key: u64) {
        let mut k = 0;
        while k < self.blocked.len() {
            let (waits_on, i) = self.blocked[k];
            if waits_on == key {
                let src = &mut self.sources[i as usize];
                if let Some(ev) = src.cursor.peek() {
                    let t = transition(ev);
                    if ready(&t, self.gs.get(t.key)) {
                        self.frontier.push((ev.ts, ev.offset(), i));
                        src.selected = Some(t);
                        self.blocked.swap_remove(k);
                        continue;
                    }
                }
            }
            k += 1;
        }
    }
}

/// Orders the events of `parts` (its lists are consumed). Times stay in ticks: the returned
/// [`Normalise`] converts them, event by event (the validation pass applies it, which saves a
/// pass over the events).
pub(crate) fn order(parts: &mut Parts) -> Result<(Chunked<Event>, Normalise), Error> {
    let lists = std::mem::take(&mut parts.lists);
    let events = if parts.version < Version::Go1_7 {
        order_1005(lists)?
    } else {
        order_1007(lists, parts.events, &mut parts.pool)?
    };
    let normalise = Normalise::new(&events, parts.frequency, &parts.timer_goroutines);
    Ok((events, normalise))
}

fn order_1007(mut lists: Vec<List>, total: usize, pool: &mut Pool<Event>) -> Result<Chunked<Event>, Error> {
    // CPU samples were written late: they go by the time the signal arrived.
    if let Some(list) = lists.iter_mut().find(|l| l.p == PROFILE_P) {
        let mut samples = std::mem::take(&mut list.events).into_vec();
        samples.sort_by_key(|e| e.ts);
        list.events = Chunked::from_vec(samples);
    }
    let mut m = Merge {
        sources: lists
            .into_iter()
            .map(|l| Source { cursor: l.events.into_cursor(), selected: None })
            .collect(),
        frontier: Frontier::new(0),
        blocked: Vec::new(),
        gs: IdMap::new(GState::default()),
    };
    m.frontier = Frontier::new(m.sources.len());
    for i in 0..m.sources.len() as u32 {
        m.offer(i);
    }
    let mut out = Chunked::default();
    let mut prev_ts = i64::MIN;
    let mut time_error = None;
    let mut fixup_error = None;
    let mut last_block: IdMap<i64> = IdMap::new(0);
    let mut moved: Vec<u32> = Vec::new();
    while let Some(i) = m.frontier.pop() {
        let src = &mut m.sources[i as usize];
        let t = src.selected.take().expect("a frontier list is selected");
        let Some(&head) = src.cursor.peek() else { unreachable!("a frontier list has a head") };
        src.cursor.advance(pool);
        let mut ev = head;
        if t.key != UNORDERED {
            let cur = m.gs.get_mut(t.key);
            if !ready(&t, *cur) {
                return Err(Error::new(ev.offset(), ErrorKind::SequencesBroken));
            }
            let seq = match t.next.seq {
                ANY_SEQ => cur.seq,
                INC_SEQ => cur.seq.wrapping_add(1),
                s => s,
            };
            *cur = GState { seq, status: t.next.status };
        }
        // Local types only serve the ordering: Go rewrites the type, not the arguments.
        match ev.event_type() {
            EventType::GO_START_LOCAL => ev.set_type(EventType::GO_START),
            EventType::GO_UNBLOCK_LOCAL => ev.set_type(EventType::GO_UNBLOCK),
            EventType::GO_SYS_EXIT_LOCAL => ev.set_type(EventType::GO_SYS_EXIT),
            _ => {}
        }
        if ev.ts < prev_ts && time_error.is_none() {
            time_error = Some(ev.offset());
        }
        prev_ts = ev.ts;
        // The real time of a syscall exit (§7.3), checked against the goroutine's block.
        match ev.event_type() {
            EventType::GO_SYS_BLOCK | EventType::GO_IN_SYSCALL => last_block.set(ev.g, ev.ts),
            EventType::GO_SYS_EXIT if ev.args[2] != 0 && fixup_error.is_none() => {
                let real = ev.args[2] as i64;
                let block = last_block.get(ev.g);
                if block == 0 {
                    fixup_error = Some(Error::new(ev.offset(), ErrorKind::StraySyscallExit));
                } else if real < block {
                    fixup_error = Some(Error::new(ev.offset(), ErrorKind::TimeOrder));
                } else {
                    ev.ts = real;
                    moved.push(out.len() as u32);
                }
            }
            _ => {}
        }
        out.push_with(ev, pool);
        m.offer(i);
        if t.key != UNORDERED {
            m.wake(t.key);
        }
    }
    if out.len() < total {
        // The first record, in the file, of the events that could not be merged.
        let offset = m
            .sources
            .iter()
            .filter(|s| s.cursor.remaining() > 0)
            .filter_map(|s| s.cursor.peek())
            .map(Event::offset)
            .min()
            .unwrap_or(0);
        return Err(Error::new(offset, ErrorKind::NoConsistentOrdering));
    }
    if let Some(offset) = time_error {
        return Err(Error::new(offset, ErrorKind::TimeOrder));
    }
    if let Some(e) = fixup_error {
        return Err(e);
    }
    stable_resort(&mut out, &moved);
    Ok(out)
}

/// Restores the order by time of `events` after the events at the indices `moved` (ascending)
/// got new times, all others being in order already: a stable sort (equal times keep their
/// order), done in place by merging the moved events back in.
fn stable_resort(events: &mut Chunked<Event>, moved: &[u32]) {
    if moved.is_empty() {
        return;
    }
    let mut side: Vec<(Event, u32)> = moved.iter().map(|&i| (events.at(i as usize), i)).collect();
    side.sort_by_key(|&(e, i)| (e.ts, i));
    // Close the gaps: the other events move left, in order.
    let n = events.len();
    let mut w = moved[0] as usize;
    let mut next_moved = 0;
    for r in moved[0] as usize..n {
        if next_moved < moved.len() && moved[next_moved] as usize == r {
            next_moved += 1;
            continue;
        }
        let e = events.at(r);
        events.set(w, e);
        w += 1;
    }
    // Merge from the back: the other events are in `0..n - m`, the moved ones in `side`. On
    // equal times the one that came later in the merge goes last; `orig` walks back over the
    // merge positions of the other events.
    let mut rest = n - moved.len();
    let mut j = side.len();
    let mut w = n;
    let mut orig = n;
    let mut k = moved.len();
    let mut orig_of_rest = |orig: &mut usize| {
        *orig -= 1;
        while k > 0 && moved[k - 1] as usize == *orig {
            k -= 1;
            *orig -= 1;
        }
        *orig
    };
    let mut cur_orig = if rest > 0 { Some(orig_of_rest(&mut orig)) } else { None };
    while j > 0 {
        let (me, mi) = side[j - 1];
        w -= 1;
        let take_rest = match cur_orig {
            Some(o) => {
                let re = events.at(rest - 1);
                (re.ts, o) > (me.ts, mi as usize)
            }
            None => false,
        };
        if take_rest {
            let re = events.at(rest - 1);
            events.set(w, re);
            rest -= 1;
            cur_orig = if rest > 0 { Some(orig_of_rest(&mut orig)) } else { None };
        } else {
            events.set(w, me);
            j -= 1;
        }
    }
}

/// Go 1.5/1.6: all events by their global sequence number (ties, which valid traces do not
/// have, by offset); a syscall exit takes the sequence and time of the real exit.
fn order_1005(lists: Vec<List>) -> Result<Chunked<Event>, Error> {
    let mut all: Vec<(i64, Event)> = Vec::new();
    for list in lists {
        for (mut ev, seq) in list.events.into_vec().into_iter().zip(list.seqs) {
            let mut seq = seq;
            if ev.event_type() == EventType::GO_SYS_EXIT {
                seq = ev.args[1] as i64;
                if ev.args[2] != 0 {
                    ev.ts = ev.args[2] as i64;
                }
            }
            all.push((seq, ev));
        }
    }
    all.sort_unstable_by_key(|(seq, ev)| (*seq, ev.offset()));
    if let Some(w) = all.windows(2).find(|w| w[1].1.ts < w[0].1.ts) {
        return Err(Error::new(w[1].1.offset(), ErrorKind::TimeOrder));
    }
    Ok(Chunked::from_vec(all.into_iter().map(|(_, e)| e).collect()))
}

/// The last step of ordering, applied to each event in final order (§7.5): ticks to
/// nanoseconds since the first event (§3.3, in f64 as Go computes it), then the pseudo-Ps of
/// timer unblocks and syscall exits.
pub(crate) struct Normalise {
    min: i64,
    factor: f64,
    timers: Vec<u64>,
}

impl Normalise {
    /// For `events` in final order, with `frequency` ticks per second and the timer
    /// goroutines `timers`.
    fn new(events: &Chunked<Event>, frequency: u64, timers: &[u64]) -> Normalise {
        let mut timers = timers.to_vec();
        timers.sort_unstable();
        timers.dedup();
        Normalise { min: events.get(0).map_or(0, |e| e.ts), factor: 1e9 / frequency as i64 as f64, timers }
    }

    /// Converts `ev`'s time and assigns its pseudo-P.
    #[inline]
    pub fn apply(&self, ev: &mut Event) {
        ev.ts = ns(ev.ts.wrapping_sub(self.min), self.factor);
        match ev.event_type() {
            EventType::GO_UNBLOCK if !self.timers.is_empty() && self.timers.binary_search(&ev.g).is_ok() => {
                ev.set_p(TIMER_P);
            }
            EventType::GO_SYS_EXIT => ev.set_p(SYSCALL_P),
            _ => {}
        }
    }
}

/// `int64(float64(ticks) * factor)` with Go's amd64 conversion: out of range gives i64::MIN.
#[inline]
fn ns(ticks: i64, factor: f64) -> i64 {
    let x = ticks as f64 * factor;
    if x.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts: i64, off: u64) -> Event {
        Event::new(off, EventType::GO_END, 0, 0, ts).unwrap()
    }

    #[test]
    fn resort_is_stable() {
        // Merge order: times 10 20 30 40 50; the events at 1 and 3 get times 10 and 50.
        let mut events = Chunked::default();
        for (i, ts) in [10, 20, 30, 40, 50].into_iter().enumerate() {
            events.push(ev(ts, i as u64));
        }
        events.get_mut(1).unwrap().ts = 10;
        events.get_mut(3).unwrap().ts = 50;
        stable_resort(&mut events, &[1, 3]);
        let got: Vec<_> = events.iter().map(|e| (e.ts, e.offset())).collect();
        assert_eq!(got, [(10, 0), (10, 1), (30, 2), (50, 3), (50, 4)]);
        let mut events = Chunked::default();
        for (i, ts) in [5, 6, 7].into_iter().enumerate() {
            events.push(ev(ts, i as u64));
        }
        events.get_mut(2).unwrap().ts = 1;
        events.get_mut(0).unwrap().ts = 9;
        stable_resort(&mut events, &[0, 2]);
        let got: Vec<_> = events.iter().map(|e| (e.ts, e.offset())).collect();
        assert_eq!(got, [(1, 2), (6, 1), (9, 0)]);
    }

    #[test]
    fn conversion_matches_go() {
        assert_eq!(ns(0, 16.0), 0);
        assert_eq!(ns(3, 1e9 / 62_499_627.0), 48);
        assert_eq!(ns(i64::MAX, 1e9), i64::MIN);
    }
}
