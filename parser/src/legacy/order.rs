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

use super::dense::{Chunked, Cursor, IdMap, Pool, TidyMap, CHUNK};
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

/// Sequence number and status of a goroutine (or of the GC) during the merge: 9 bytes (packed:
/// one per goroutine id is held, and a trace may have millions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, packed)]
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

/// A batch list as the merge reads it: front to back, one event at a time. The lists of a
/// trace read whole are [`Cursor`]s over decoded events; the lists of the bounded-memory mode
/// decode their batches from the file as the merge reaches them.
pub(crate) trait EventSource {
    /// What advancing needs: a pool for finished chunks, or the file to decode from.
    type Ctx;
    /// The next event, not consumed (`None` once the list is finished).
    fn peek(&self) -> Option<&Event>;
    /// The next event, not consumed, to change in place.
    fn peek_mut(&mut self) -> Option<&mut Event>;
    /// Consumes the next event.
    fn advance(&mut self, ctx: &mut Self::Ctx) -> Result<(), Error>;
}

impl EventSource for Cursor<Event> {
    type Ctx = Pool<Event>;

    #[inline]
    fn peek(&self) -> Option<&Event> {
        Cursor::peek(self)
    }

    #[inline]
    fn peek_mut(&mut self) -> Option<&mut Event> {
        Cursor::peek_mut(self)
    }

    #[inline]
    fn advance(&mut self, pool: &mut Pool<Event>) -> Result<(), Error> {
        Cursor::advance(self, pool);
        Ok(())
    }
}

/// The frontier: at most one event per list, keyed by (time, offset); the smallest comes next.
/// While lists are few (the usual case: one per P plus two), [`Few`]; a binary heap beyond.
pub(crate) enum Frontier {
    Few(Few),
    Many(BinaryHeap<Reverse<(i64, u64, u32)>>),
}

/// Lists up to which the frontier is a [`Few`].
const FEW_LISTS: usize = 16;

/// No key: none is this large (offsets stay below 2^40).
const NO_KEY: u128 = u128::MAX;

/// The frontier of few lists: one entry aside (the first pushed once the aside slot is free:
/// in the merge, the next head of the list that just gave an event, which most often gives the
/// next one too), the others in an array whose smallest key is known. A pop that takes the
/// entry aside costs one comparison; one that takes the array's smallest scans the array for
/// the next smallest.
pub(crate) struct Few {
    /// Keys as one number each ([`few_key`]), and the list; the slot aside is free when its
    /// key is [`NO_KEY`].
    aside: (u128, u32),
    rest: Vec<(u128, u32)>,
    /// The position of the smallest key of `rest`, and that key ([`NO_KEY`] when empty).
    min: usize,
    min_key: u128,
}

impl Few {
    #[inline(always)]
    fn push(&mut self, entry: (u128, u32)) {
        if self.aside.0 == NO_KEY {
            self.aside = entry;
            return;
        }
        self.push_rest(entry);
    }

    #[inline(always)]
    fn push_rest(&mut self, entry: (u128, u32)) {
        if entry.0 < self.min_key {
            (self.min, self.min_key) = (self.rest.len(), entry.0);
        }
        self.rest.push(entry);
    }

    #[inline(always)]
    fn pop(&mut self) -> Option<u32> {
        // A key held is below NO_KEY: with `rest` empty, the entry aside (if any) goes.
        if self.aside.0 < self.min_key {
            crate::steps::add(1);
            self.aside.0 = NO_KEY;
            return Some(self.aside.1);
        }
        if self.rest.is_empty() {
            return None;
        }
        let taken = self.rest.swap_remove(self.min).1;
        if self.aside.0 != NO_KEY {
            self.rest.push(self.aside);
            self.aside.0 = NO_KEY;
        }
        self.rescan();
        Some(taken)
    }

    /// Finds the smallest key of `rest` again.
    fn rescan(&mut self) {
        crate::steps::add(self.rest.len());
        (self.min, self.min_key) = (0, NO_KEY);
        for (i, e) in self.rest.iter().enumerate() {
            if e.0 < self.min_key {
                (self.min, self.min_key) = (i, e.0);
            }
        }
    }
}

/// The (time, offset) key of a frontier entry as one number of the same order.
#[inline]
fn few_key(ts: i64, offset: u64) -> u128 {
    u128::from(ts as u64 ^ 1 << 63) << 64 | u128::from(offset)
}

impl Frontier {
    pub fn new(lists: usize) -> Frontier {
        if lists <= FEW_LISTS {
            Frontier::Few(Few {
                aside: (NO_KEY, 0),
                rest: Vec::with_capacity(lists),
                min: 0,
                min_key: NO_KEY,
            })
        } else {
            Frontier::Many(BinaryHeap::with_capacity(lists))
        }
    }

    #[inline(always)]
    pub fn push(&mut self, entry: (i64, u64, u32)) {
        match self {
            Frontier::Few(f) => f.push((few_key(entry.0, entry.1), entry.2)),
            Frontier::Many(h) => h.push(Reverse(entry)),
        }
    }

    /// The list whose head comes next.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<u32> {
        match self {
            Frontier::Few(f) => f.pop(),
            Frontier::Many(h) => {
                crate::steps::add(1);
                h.pop().map(|Reverse(e)| e.2)
            }
        }
    }

    fn bytes_held(&self) -> usize {
        match self {
            Frontier::Few(f) => f.rest.capacity() * std::mem::size_of::<(u128, u32)>(),
            Frontier::Many(h) => h.capacity() * std::mem::size_of::<(i64, u64, u32)>(),
        }
    }
}

/// The merge state of Go 1.7+ traces.
struct Merge<S> {
    /// The batch lists.
    sources: Vec<S>,
    frontier: Frontier,
    /// Lists whose head waits for a change of the state of a key.
    blocked: Blocked,
    gs: IdMap<GState>,
}

/// No list (end of a chain of [`Blocked`]).
const NO_LIST: u32 = u32::MAX;

/// The lists whose head waits, by the exact state of its key it waits for, (key, seq,
/// status) with seq [`ANY_SEQ`] for any: a change of a key's state finds the lists it makes
/// ready in two look-ups, whatever the number waiting (a scan of all of them per change is
/// quadratic on hostile input: many Ps whose heads wait while one P's events go on).
struct Blocked {
    /// Lists waiting on each key (to skip the look-ups when none).
    on_key: IdMap<u32>,
    /// The first list of each chain, linked through `next`.
    first: TidyMap<(u64, u64, u8), u32>,
    next: Vec<u32>,
}

impl Blocked {
    fn new(lists: usize) -> Blocked {
        Blocked { on_key: IdMap::new(0), first: TidyMap::default(), next: vec![NO_LIST; lists] }
    }

    fn push(&mut self, t: &Transition, i: u32) {
        *self.on_key.get_mut(t.key) += 1;
        let head = self.first.get_or_insert_with((t.key, t.init.seq, t.init.status), || NO_LIST);
        self.next[i as usize] = *head;
        *head = i;
    }

    /// Bytes held: the count per key, the table of chain heads and the links.
    fn bytes_held(&self) -> usize {
        self.on_key.bytes_held() + self.first.bytes_held() + self.next.capacity() * 4
    }

    /// Takes the chain of the lists waiting for `state` of `key` (`seq` exact or any).
    fn take(&mut self, key: u64, seq: u64, status: u8) -> u32 {
        match self.first.remove(&(key, seq, status)) {
            Some(i) => i,
            None => NO_LIST,
        }
    }
}

impl<S: EventSource> Merge<S> {
    /// Puts the head of list `i` into the frontier if it is ready; else it waits on its key.
    #[inline(always)]
    fn offer(&mut self, i: u32) {
        let Some(ev) = self.sources[i as usize].peek() else { return };
        let t = transition(ev);
        if t.key == UNORDERED || ready(&t, self.gs.get(t.key)) {
            self.frontier.push((ev.ts, ev.offset(), i));
        } else {
            self.blocked.push(&t, i);
        }
    }

    /// Offers the lists waiting for the new state of `key` (which just changed): all of them
    /// are ready.
    #[inline]
    fn wake(&mut self, key: u64) {
        if self.blocked.first.is_empty() || self.blocked.on_key.get(key) == 0 {
            return;
        }
        let cur = self.gs.get(key);
        for seq in [cur.seq, ANY_SEQ] {
            let mut i = self.blocked.take(key, seq, cur.status);
            while i != NO_LIST {
                crate::steps::add(1);
                let next = self.blocked.next[i as usize];
                *self.blocked.on_key.get_mut(key) -= 1;
                if let Some(ev) = self.sources[i as usize].peek() {
                    self.frontier.push((ev.ts, ev.offset(), i));
                }
                i = next;
            }
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
    let first = events.get(0).map_or(0, |e| e.ts);
    let normalise = Normalise::new(first, parts.frequency, &parts.timer_goroutines);
    Ok((events, normalise))
}

fn order_1007(lists: Vec<List>, total: usize, pool: &mut Pool<Event>) -> Result<Chunked<Event>, Error> {
    let mut merger = merger_1007(lists);
    let mut out = SortedOut::new(total);
    while merger.next_with(pool, |ev, pool| out.push(ev, pool))?.is_some() {}
    merger.finish()?;
    Ok(out.finish())
}

/// The causal merge of Go 1.7+ `lists` (consumed), the CPU samples sorted first.
pub(crate) fn merger_1007(mut lists: Vec<List>) -> Merger<Cursor<Event>> {
    if let Some(list) = lists.iter_mut().find(|l| l.p == PROFILE_P) {
        list.events = Chunked::from_vec(sort_samples(std::mem::take(&mut list.events).into_vec()));
    }
    Merger::new(lists.into_iter().map(|l| l.events.into_cursor()).collect())
}

/// CPU samples were written late: they go by the time the signal arrived (a stable sort).
pub(crate) fn sort_samples(mut samples: Vec<Event>) -> Vec<Event> {
    samples.sort_by_key(|e| e.ts);
    samples
}

/// The causal merge of Go 1.7+ lists (§7.1–7.3), one event at a time: [`Merger::next`] gives
/// the events in merge order, syscall exits already at their real times (so the output still
/// wants Go's stable sort by time); [`Merger::finish`] then gives Go's verdict on the whole.
pub(crate) struct Merger<S> {
    m: Merge<S>,
    prev_ts: i64,
    /// The first event out of time order (Go reports it once the merge is complete).
    time_error: Option<u64>,
    /// The first failed syscall-exit fix-up (reported after a time-order error).
    fixup_error: Option<Error>,
    /// Per goroutine, the time of its last `GoSysBlock` / `GoInSyscall`.
    last_block: IdMap<i64>,
}

impl<S: EventSource> Merger<S> {
    pub fn new(lists: Vec<S>) -> Merger<S> {
        let mut m = Merge {
            frontier: Frontier::new(lists.len()),
            blocked: Blocked::new(lists.len()),
            sources: lists,
            gs: IdMap::new(GState::default()),
        };
        for i in 0..m.sources.len() as u32 {
            m.offer(i);
        }
        Merger { m, prev_ts: i64::MIN, time_error: None, fixup_error: None, last_block: IdMap::new(0) }
    }

    /// The next event in merge order, or `None` when no list has a ready head.
    #[inline]
    pub fn next(&mut self, ctx: &mut S::Ctx) -> Result<Option<Event>, Error> {
        self.next_with(ctx, |ev, _| *ev)
    }

    /// [`Merger::next`], the event handed to `sink` where it is, in its list, instead of
    /// returned (what `sink` gives is returned): the output of a whole-file merge copies it
    /// straight from its list.
    #[inline(always)]
    pub fn next_with<R>(
        &mut self,
        ctx: &mut S::Ctx,
        sink: impl FnOnce(&Event, &mut S::Ctx) -> R,
    ) -> Result<Option<R>, Error> {
        let m = &mut self.m;
        let Some(i) = m.frontier.pop() else { return Ok(None) };
        let src = &mut m.sources[i as usize];
        // Changed in place: the list lets it go once `sink` took it.
        let Some(ev) = src.peek_mut() else { unreachable!("a frontier list has a head") };
        // Worked out again from the head, unchanged since the offer worked it out.
        let t = transition(ev);
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
        if ev.ts < self.prev_ts && self.time_error.is_none() {
            self.time_error = Some(ev.offset());
        }
        self.prev_ts = ev.ts;
        // Local types only serve the ordering: Go rewrites the type, not the arguments. The
        // real time of a syscall exit (§7.3), checked against the goroutine's block.
        match ev.event_type() {
            EventType::GO_START_LOCAL => ev.set_type(EventType::GO_START),
            EventType::GO_UNBLOCK_LOCAL => ev.set_type(EventType::GO_UNBLOCK),
            EventType::GO_SYS_BLOCK | EventType::GO_IN_SYSCALL => self.last_block.set(ev.g, ev.ts),
            t @ (EventType::GO_SYS_EXIT | EventType::GO_SYS_EXIT_LOCAL) => {
                if t == EventType::GO_SYS_EXIT_LOCAL {
                    ev.set_type(EventType::GO_SYS_EXIT);
                }
                if ev.args[2] != 0 && self.fixup_error.is_none() {
                    let real = ev.args[2] as i64;
                    let block = self.last_block.get(ev.g);
                    if block == 0 {
                        self.fixup_error = Some(Error::new(ev.offset(), ErrorKind::StraySyscallExit));
                    } else if real < block {
                        self.fixup_error = Some(Error::new(ev.offset(), ErrorKind::TimeOrder));
                    } else {
                        ev.ts = real;
                    }
                }
            }
            _ => {}
        }
        let out = sink(ev, ctx);
        src.advance(ctx)?;
        m.offer(i);
        if t.key != UNORDERED {
            m.wake(t.key);
        }
        Ok(Some(out))
    }

    /// The time of the last event merged, before any syscall fix-up (`i64::MIN` before the
    /// first): no event still to merge is earlier, but a syscall exit's real time and what
    /// fails the merge.
    #[inline]
    pub fn last_ts(&self) -> i64 {
        self.prev_ts
    }

    /// True once Go's verdict on the whole is an error whatever comes next (events out of
    /// time order, a failed fix-up): what follows only matters to [`Merger::finish`].
    #[inline]
    pub fn failed(&self) -> bool {
        self.time_error.is_some() || self.fixup_error.is_some()
    }

    /// Go's verdict once [`Merger::next`] gave `None`: events left in some list (the first of
    /// them in the file is at fault), else events out of time order, else a failed fix-up.
    pub fn finish(&self) -> Result<(), Error> {
        // The first record, in the file, of the events that could not be merged.
        if let Some(offset) = self.m.sources.iter().filter_map(|s| s.peek()).map(Event::offset).min() {
            return Err(Error::new(offset, ErrorKind::NoConsistentOrdering));
        }
        if let Some(offset) = self.time_error {
            return Err(Error::new(offset, ErrorKind::TimeOrder));
        }
        match self.fixup_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The lists, for the caller's accounting.
    pub fn sources(&self) -> impl Iterator<Item = &S> + '_ {
        self.m.sources.iter()
    }

    /// The lists, to change how they read (not what they hold: the merge has seen their heads).
    pub fn sources_mut(&mut self) -> impl Iterator<Item = &mut S> + '_ {
        self.m.sources.iter_mut()
    }

    /// Bytes the merge state holds (goroutine sequences and blocks, waiting lists, frontier),
    /// lists not counted.
    pub fn bytes_held(&self) -> usize {
        let m = &self.m;
        m.gs.bytes_held()
            + self.last_block.bytes_held()
            + m.blocked.bytes_held()
            + m.sources.capacity() * std::mem::size_of::<S>()
            + m.frontier.bytes_held()
    }
}

/// The merge's output, kept in order of time as events arrive: Go sorts the merged list by
/// time, stably, once syscall exits got their real times (§7.3). Here an event earlier than
/// the last one (such a syscall exit, or an event after one that moved past it) walks back
/// past the later ones: an insertion sort, stable since it never passes an equal time, and
/// cheap since exits move back by little. Past a budget of moves (hostile input) the rest is
/// appended and one stable sort ends the work; what was moved already keeps the order of
/// equal times, so the result is the same.
pub(crate) struct SortedOut {
    events: Chunked<Event>,
    /// The time of the last event (the latest so far).
    last: i64,
    moves: usize,
    budget: usize,
    unsorted: bool,
}

impl SortedOut {
    pub fn new(total: usize) -> SortedOut {
        SortedOut {
            events: Chunked::default(),
            last: i64::MIN,
            moves: 0,
            budget: 16 * total + (1 << 20),
            unsorted: false,
        }
    }

    #[inline]
    pub fn push(&mut self, ev: &Event, pool: &mut Pool<Event>) {
        let n = self.events.len();
        self.events.push_with(*ev, pool);
        if ev.ts >= self.last {
            self.last = ev.ts;
        } else if !self.unsorted {
            self.walk_back(n, *ev);
        }
    }

    #[cold]
    fn walk_back(&mut self, n: usize, ev: Event) {
        let mut k = n;
        while k > 0 && self.events.at(k - 1).ts > ev.ts {
            if self.moves >= self.budget {
                self.unsorted = true;
                break;
            }
            crate::steps::add(1);
            let before = self.events.at(k - 1);
            self.events.set(k, before);
            k -= 1;
            self.moves += 1;
        }
        self.events.set(k, ev);
    }

    /// Chunks begun so far, and not taken.
    #[inline]
    pub fn chunks(&self) -> usize {
        self.events.chunk_count()
    }

    /// Takes out the first chunk if it is full, not the last, and final: no event to come can
    /// go before its last, since none is earlier than `bound`. (Only an event out of time
    /// order, which fails the merge, could: it then stops at the chunk taken.)
    pub fn take_final(&mut self, bound: i64) -> Option<Vec<Event>> {
        let first = self.events.chunks().first()?;
        let last = first.last()?;
        if self.unsorted || self.events.chunk_count() < 2 || first.len() < CHUNK || last.ts > bound {
            return None;
        }
        self.events.pop_front()
    }

    pub fn finish(self) -> Chunked<Event> {
        if !self.unsorted {
            return self.events;
        }
        let mut all = self.events.into_vec();
        all.sort_by_key(|e| e.ts);
        Chunked::from_vec(all)
    }
}

/// Go 1.5/1.6: a syscall exit takes the sequence and time of the real exit. Returns the
/// event's global sequence number, by which it is ordered.
#[inline]
pub(crate) fn seq_1005(ev: &mut Event, seq: i64) -> i64 {
    if ev.event_type() != EventType::GO_SYS_EXIT {
        return seq;
    }
    if ev.args[2] != 0 {
        ev.ts = ev.args[2] as i64;
    }
    ev.args[1] as i64
}

/// Go 1.5/1.6: all events by their global sequence number (ties, which valid traces do not
/// have, by offset), then checked to be in time order.
fn order_1005(lists: Vec<List>) -> Result<Chunked<Event>, Error> {
    let mut all: Vec<(i64, Event)> = Vec::new();
    for list in lists {
        for (mut ev, seq) in list.events.into_vec().into_iter().zip(list.seqs) {
            let seq = seq_1005(&mut ev, seq);
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
    /// For events whose first, in final order, is at tick `first`, with `frequency` ticks per
    /// second and the timer goroutines `timers`.
    pub fn new(first: i64, frequency: u64, timers: &[u64]) -> Normalise {
        let mut timers = timers.to_vec();
        timers.sort_unstable();
        timers.dedup();
        Normalise { min: first, factor: 1e9 / frequency as i64 as f64, timers }
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

/// `int64(float64(ticks) * factor)`, converted as Go does on amd64 (out of range: i64::MIN).
#[inline]
fn ns(ticks: i64, factor: f64) -> i64 {
    crate::go_float::go_int64(ticks as f64 * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts: i64, off: u64) -> Event {
        Event::new(off, EventType::GO_END, 0, 0, ts).unwrap()
    }

    #[test]
    fn output_stays_sorted_and_stable() {
        let times = [10, 20, 30, 10, 40, 25, 25, 50, 5];
        for budget in [usize::MAX, 2, 0] {
            let mut out = SortedOut::new(0);
            out.budget = budget;
            let mut pool = Pool::default();
            for (i, &ts) in times.iter().enumerate() {
                out.push(&ev(ts, i as u64), &mut pool);
            }
            let got: Vec<_> = out.finish().into_vec().iter().map(|e| (e.ts, e.offset())).collect();
            let mut want: Vec<_> = times.iter().enumerate().map(|(i, &t)| (t, i as u64)).collect();
            want.sort_by_key(|&(t, _)| t);
            assert_eq!(got, want, "budget {budget}");
        }
    }

    #[test]
    fn frontiers_pop_the_smallest_key() {
        // Both shapes against a sorted reference, on pushes and pops interleaved as the merge
        // makes them (a list is in at most once; keys differ by their offsets).
        for lists in [3usize, FEW_LISTS + 1] {
            let mut frontier = Frontier::new(lists);
            let mut reference = std::collections::BTreeSet::new();
            let mut x = 12345u64;
            let mut next_key = |l: u32| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 40) as i64 % 50 - 10, x >> 60 << 8 | u64::from(l), l)
            };
            for l in 0..lists as u32 {
                let e = next_key(l);
                frontier.push(e);
                reference.insert(e);
            }
            for step in 0..2000 {
                let want = reference.pop_first().map(|e| e.2);
                assert_eq!(frontier.pop(), want, "{lists} lists, step {step}");
                let Some(l) = want else { break };
                if step % 7 != 6 {
                    let e = next_key(l);
                    frontier.push(e);
                    reference.insert(e);
                }
            }
        }
    }

    #[test]
    fn conversion_matches_go() {
        assert_eq!(ns(0, 16.0), 0);
        assert_eq!(ns(3, 1e9 / 62_499_627.0), 48);
        assert_eq!(ns(i64::MAX, 1e9), i64::MIN);
        assert_eq!(ns(i64::MIN, -1e9), i64::MIN);
        assert_eq!(ns(5, f64::NAN), i64::MIN);
        assert_eq!(ns(-9_000_000_000_000_000_000, 1.0), -9_000_000_000_000_000_000);
    }
}
