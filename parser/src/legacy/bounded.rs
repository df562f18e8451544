//! The bounded-memory ordering of seekable inputs (spec §5–§9 as [`Trace`](super::Trace)
//! applies them, in two passes).
//!
//! **First pass** (in the constructor): every record is read and checked as the whole-file
//! mode reads it (raw reader, census, structure pass), but events are only counted; each batch
//! list keeps where its batches are (a [`BatchRef`] each), and the string and stack tables,
//! the `UserLog` messages, the CPU samples, the frequency and the timer goroutines are kept.
//! The pass also notes, per batch, the earliest place an event of it can take in the final
//! order before its place in the merge: for Go 1.7+ the least real time of its syscall exits,
//! for Go 1.5/1.6 the least sequence number of its events ([`EarlyKeys`]).
//!
//! **Second pass** (the iterator): each list decodes its batches one at a time, as the merge
//! reaches them; merged events go through a reorder window (Go sorts the merged list by time
//! once syscall exits got their real times), the futile-wakeup filter and the validator, and
//! come out one at a time ([`OrderedReader::decode_ahead`] moves the decoding to a second
//! thread, see [`ahead`](super::ahead)). An event leaves the window as soon as no event still
//! to merge sorts before it, which the first pass's notes tell exactly ([`Floors`]): the window
//! holds only the events that a syscall exit still to merge must go before, whatever the
//! syscall's length. A trace with `FutileWakeup` events takes one more merge pass in the
//! constructor, which finds the events to remove (their offsets are kept).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{Read, Seek, SeekFrom};
use std::marker::PhantomData;

use gotrace_format::legacy::EventType;
use gotrace_format::{Error, ErrorKind, Version};

use super::ahead::{decode, Ahead, Decoded, Decoding};
use super::census::Census;
use super::event::{Event, StackId, PROFILE_P};
use super::floor::{early_key, EarlyKeys, Floors, Key, NO_KEY};
use super::futile::Futile;
use super::order::{seq_1005, sort_samples, EventSource, Frontier, Merger, Normalise};
use super::raw::{RawEvents, RawReader};
use super::structure::{BatchRef, BatchState, Messages, Parts, Stacks, Strings, Structure};
use super::trace::{add, frames, string_args, write_line, Frame};
use super::validate::{Links, Tables, Validator};
use crate::Options;

mod sealed {
    use gotrace_format::Error;

    /// How the second pass reads a byte range again.
    pub trait Sealed {
        /// Calls `f` with the bytes `start..end` of the file.
        fn with_range<T>(
            &mut self,
            start: u64,
            end: u64,
            f: impl FnOnce(&[u8]) -> Result<T, Error>,
        ) -> Result<T, Error>;
        /// Bytes held (a read buffer).
        fn bytes_held(&self) -> usize;
    }
}

/// An input the bounded-memory reader can read twice: [`SeekInput`] (any `Read + Seek`) or
/// [`SliceInput`] (a trace in memory).
///
/// ```
/// fn takes<I: gotrace_parser::legacy::Input>(_: &gotrace_parser::legacy::OrderedReader<I>) {}
/// ```
pub trait Input: sealed::Sealed {}

/// A `Read + Seek` input: each batch is read into one reused buffer.
///
/// ```
/// use gotrace_parser::legacy::{OrderedReader, SeekInput};
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_9_good"))?;
/// let reader: OrderedReader<SeekInput<std::fs::File>> = OrderedReader::new(file)?;
/// assert_eq!(reader.version().to_string(), "1.9");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SeekInput<R> {
    reader: R,
    buf: Vec<u8>,
}

impl<R: Read + Seek> sealed::Sealed for SeekInput<R> {
    fn with_range<T>(
        &mut self,
        start: u64,
        end: u64,
        f: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let io = |e: std::io::Error| Error::new(start, ErrorKind::Io { kind: e.kind() });
        self.reader.seek(SeekFrom::Start(start)).map_err(io)?;
        self.buf.clear();
        let len = end.saturating_sub(start);
        (&mut self.reader).take(len).read_to_end(&mut self.buf).map_err(io)?;
        if self.buf.len() as u64 != len {
            // The file changed between the passes.
            return Err(io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        f(&self.buf)
    }

    fn bytes_held(&self) -> usize {
        self.buf.capacity()
    }
}

impl<R: Read + Seek> Input for SeekInput<R> {}

/// A trace in memory: batches are decoded in place.
///
/// ```
/// use gotrace_parser::legacy::{OrderedReader, SliceInput};
/// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_9_good"))?;
/// let reader: OrderedReader<SliceInput<'_>> = OrderedReader::from_slice(&data)?;
/// assert!(reader.total_events() > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SliceInput<'a> {
    data: &'a [u8],
}

impl sealed::Sealed for SliceInput<'_> {
    fn with_range<T>(
        &mut self,
        start: u64,
        end: u64,
        f: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match self.data.get(start as usize..end as usize) {
            Some(bytes) => f(bytes),
            None => Err(Error::new(start, ErrorKind::Io { kind: std::io::ErrorKind::UnexpectedEof })),
        }
    }

    fn bytes_held(&self) -> usize {
        0
    }
}

impl Input for SliceInput<'_> {}

/// Where the lists' batches are decoded: in place, from the input, or on a second thread.
enum Decoder<I> {
    InPlace(I),
    Ahead(Ahead),
}

/// What the lists decode with: the input (or the thread that reads it), the version, and the
/// stack handles the first pass gave out.
struct Loader<I> {
    decoder: Decoder<I>,
    version: Version,
    options: Options,
    stacks: Stacks,
    /// The least early key of each list's events still to merge.
    floors: Floors,
    /// Batches decoded so far (the accounting looks again after each).
    loads: u64,
}

impl<I: Input> Loader<I> {
    fn bytes_held(&self) -> usize {
        match &self.decoder {
            Decoder::InPlace(input) => input.bytes_held(),
            Decoder::Ahead(ahead) => ahead.bytes_away(),
        }
    }
}

/// A batch list decoded one batch at a time.
struct Lazy<I> {
    /// The list's index (its leaf of the [`Floors`]).
    id: u32,
    /// The list's batches, in file order; `next` is the one to decode next; for each, the
    /// least early key of it and the batches after it.
    batches: Vec<BatchRef>,
    later: Vec<Key>,
    next: usize,
    /// The current batch's events; the marks of those with an early key hold the least early
    /// key of the list from them on; `mark` is the first not consumed.
    cur: Decoded,
    pos: usize,
    mark: usize,
    /// The running state, carried from batch to batch (the goroutine last running on the P),
    /// while the batches are decoded in place.
    state: BatchState,
    input: PhantomData<fn(&mut I)>,
}

impl<I: Input> Lazy<I> {
    fn new(id: u32, batches: Vec<BatchRef>, later: Vec<Key>) -> Lazy<I> {
        Lazy {
            id,
            batches,
            later,
            next: 0,
            cur: Decoded::default(),
            pos: 0,
            mark: 0,
            state: BatchState::default(),
            input: PhantomData,
        }
    }

    /// A list held whole (the CPU samples, `seqs` for Go 1.5/1.6), its keys marked.
    fn held(id: u32, events: Vec<Event>, seqs: Vec<i64>, ctx: &mut Loader<I>) -> Lazy<I> {
        let mut lazy = Lazy::new(id, Vec::new(), Vec::new());
        lazy.cur.events = events;
        lazy.cur.seqs = seqs;
        let old = ctx.version < Version::Go1_7;
        let Decoded { events, seqs, marks } = &mut lazy.cur;
        for (i, ev) in events.iter().enumerate() {
            if let Some(key) = early_key(ev, old.then(|| seqs[i])) {
                marks.push((i as u32, key));
            }
        }
        lazy.close_marks(ctx);
        lazy
    }

    fn bytes_held(&self) -> usize {
        self.batches.capacity() * std::mem::size_of::<BatchRef>()
            + self.later.capacity() * std::mem::size_of::<Key>()
            + self.cur.bytes_held()
    }

    /// The least early key of the list's events still to merge.
    #[inline]
    fn floor(&self) -> Key {
        match self.cur.marks.get(self.mark) {
            Some(&(_, key)) => key,
            None => self.later.get(self.next).copied().unwrap_or(NO_KEY),
        }
    }

    /// Once `marks` holds the keys of the decoded events: each becomes the least from it on,
    /// the batches after included; the list's floor is set.
    fn close_marks(&mut self, ctx: &mut Loader<I>) {
        let mut least = self.later.get(self.next).copied().unwrap_or(NO_KEY);
        for (_, key) in self.cur.marks.iter_mut().rev() {
            least = least.min(*key);
            *key = least;
        }
        self.mark = 0;
        ctx.floors.set(self.id, self.floor());
    }

    /// Go 1.5/1.6: the sequence number of the head.
    fn head_seq(&self) -> i64 {
        self.cur.seqs.get(self.pos).copied().unwrap_or(0)
    }

    /// Decodes batches until one holds events of this list, or none is left.
    fn load(&mut self, ctx: &mut Loader<I>) -> Result<(), Error> {
        self.cur.clear();
        self.pos = 0;
        while self.cur.events.is_empty() {
            let Some(&batch) = self.batches.get(self.next) else {
                // Finished: let the memory go.
                (self.cur, self.batches, self.later) = (Decoded::default(), Vec::new(), Vec::new());
                ctx.floors.set(self.id, NO_KEY);
                return Ok(());
            };
            self.next += 1;
            ctx.loads += 1;
            let Loader { decoder, version, options, stacks, .. } = ctx;
            match decoder {
                Decoder::InPlace(input) => {
                    let with = Decoding { version: *version, options: *options, stacks: stacks.lookups() };
                    let Lazy { cur, state, .. } = self;
                    input.with_range(batch.start, batch.end, |bytes| {
                        decode(bytes, &batch, with, state, cur)
                    })?;
                }
                Decoder::Ahead(ahead) => {
                    let decoded = ahead.take(self.id)?;
                    let done = std::mem::replace(&mut self.cur, decoded);
                    if let Some(&next) = self.batches.get(self.next) {
                        ahead.ask(self.id, next, done);
                    }
                }
            }
        }
        self.close_marks(ctx);
        Ok(())
    }

    /// From now on the list's batches come from `ahead`, which goes on from the list's state:
    /// the next batch is asked for.
    fn hand_over(&mut self, ahead: &mut Ahead) {
        if let Some(&next) = self.batches.get(self.next) {
            ahead.ask(self.id, next, Decoded::default());
        }
    }
}

impl<I: Input> EventSource for Lazy<I> {
    type Ctx = Loader<I>;

    #[inline]
    fn peek(&self) -> Option<&Event> {
        self.cur.events.get(self.pos)
    }

    #[inline]
    fn peek_mut(&mut self) -> Option<&mut Event> {
        self.cur.events.get_mut(self.pos)
    }

    #[inline]
    fn advance(&mut self, ctx: &mut Loader<I>) -> Result<(), Error> {
        self.pos += 1;
        if self.pos >= self.cur.events.len() {
            self.load(ctx)?;
        } else if self.cur.marks.get(self.mark).is_some_and(|&(at, _)| (at as usize) < self.pos) {
            self.mark += 1;
            ctx.floors.set(self.id, self.floor());
        }
        Ok(())
    }
}

/// Go 1.5/1.6: the lists merged by global sequence number (then offset), a k-way merge.
struct Global<I> {
    sources: Vec<Lazy<I>>,
    frontier: Frontier,
}

impl<I: Input> Global<I> {
    fn new(sources: Vec<Lazy<I>>) -> Global<I> {
        let mut frontier = Frontier::new(sources.len());
        for (i, s) in sources.iter().enumerate() {
            if let Some(ev) = s.peek() {
                frontier.push((s.head_seq(), ev.offset(), i as u32));
            }
        }
        Global { sources, frontier }
    }

    fn next(&mut self, ctx: &mut Loader<I>) -> Result<Option<(i64, Event)>, Error> {
        let Some(i) = self.frontier.pop() else { return Ok(None) };
        let src = &mut self.sources[i as usize];
        let (seq, ev) = match src.peek() {
            Some(&ev) => (src.head_seq(), ev),
            None => return Ok(None),
        };
        src.advance(ctx)?;
        if let Some(next) = src.peek() {
            self.frontier.push((src.head_seq(), next.offset(), i));
        }
        Ok(Some((seq, ev)))
    }
}

enum Merging<I> {
    /// Go 1.7+: the causal merge.
    Causal(Box<Merger<Lazy<I>>>),
    /// Go 1.5/1.6.
    Global(Global<I>),
}

/// Merged events, sorted as the whole-file mode sorts them (by time, stably, for Go 1.7+; by
/// sequence number and offset for Go 1.5/1.6), held until nothing still to merge sorts before
/// them: events in order append to a ring, the few that are not (syscall exits at their real
/// time) go to a heap; the smallest of the two heads leaves first.
struct Window {
    ring: VecDeque<(Key, Event)>,
    heap: BinaryHeap<Reverse<(Key, u32)>>,
    /// Events of the heap, by slot; free slots.
    slots: Vec<Event>,
    free: Vec<u32>,
}

/// Bytes one event of the window's ring takes.
const RING_ENTRY: usize = std::mem::size_of::<(Key, Event)>();

impl Window {
    fn new() -> Window {
        Window { ring: VecDeque::new(), heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new() }
    }

    fn is_empty(&self) -> bool {
        self.ring.is_empty() && self.heap.is_empty()
    }

    /// The key of the event that leaves next.
    #[inline]
    fn first(&self) -> Option<Key> {
        let ring = self.ring.front().map(|(key, _)| *key);
        let heap = self.heap.peek().map(|Reverse((key, _))| *key);
        match (ring, heap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn bytes_held(&self) -> usize {
        self.ring.capacity() * RING_ENTRY
            + self.heap.capacity() * std::mem::size_of::<(Key, u32)>()
            + self.slots.capacity() * std::mem::size_of::<Event>()
            + self.free.capacity() * 4
    }

    /// Takes `ev` with sort key `key` (never before an event already out: see
    /// [`Orderer::next`]).
    #[inline]
    fn push(&mut self, key: Key, ev: Event) {
        if self.ring.back().is_none_or(|(k, _)| *k <= key) {
            self.ring.push_back((key, ev));
        } else {
            self.push_back_in_time(key, ev);
        }
    }

    #[cold]
    fn push_back_in_time(&mut self, key: Key, ev: Event) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = ev;
                s
            }
            None => {
                self.slots.push(ev);
                self.slots.len() as u32 - 1
            }
        };
        self.heap.push(Reverse((key, slot)));
    }

    /// The event with the smallest key.
    #[inline]
    fn pop(&mut self) -> Option<Event> {
        let from_heap = match (self.ring.front(), self.heap.peek()) {
            (Some((rk, _)), Some(Reverse((hk, _)))) => hk < rk,
            (None, Some(_)) => true,
            _ => false,
        };
        if from_heap {
            let Reverse((_, slot)) = self.heap.pop()?;
            self.free.push(slot);
            return Some(self.slots[slot as usize]);
        }
        self.ring.pop_front().map(|(_, ev)| ev)
    }
}

/// The ordering stage: merged, sorted events (times still in ticks), with Go's ordering
/// errors.
struct Orderer<I> {
    merging: Merging<I>,
    window: Window,
    /// Events merged so far (the tie-break of equal times: merge order).
    merged: u64,
    /// Go 1.7+: the time of the last event merged that kept its time (not an exit moved to
    /// its real time): no event still to merge is earlier, but exits at their real time.
    last: i64,
    /// Go 1.5/1.6: the time of the last event out.
    last_ts: Option<i64>,
    ended: bool,
}

impl<I: Input> Orderer<I> {
    fn new(sources: Vec<Lazy<I>>, version: Version) -> Orderer<I> {
        let merging = if version < Version::Go1_7 {
            Merging::Global(Global::new(sources))
        } else {
            Merging::Causal(Box::new(Merger::new(sources)))
        };
        Orderer { merging, window: Window::new(), merged: 0, last: i64::MIN, last_ts: None, ended: false }
    }

    fn sources(&self) -> Box<dyn Iterator<Item = &Lazy<I>> + '_> {
        match &self.merging {
            Merging::Causal(m) => Box::new(m.sources()),
            Merging::Global(g) => Box::new(g.sources.iter()),
        }
    }

    fn sources_mut(&mut self) -> Box<dyn Iterator<Item = &mut Lazy<I>> + '_> {
        match &mut self.merging {
            Merging::Causal(m) => Box::new(m.sources_mut()),
            Merging::Global(g) => Box::new(g.sources.iter_mut()),
        }
    }

    fn bytes_held(&self) -> usize {
        let merge = match &self.merging {
            Merging::Causal(m) => m.bytes_held(),
            Merging::Global(g) => g.sources.capacity() * std::mem::size_of::<Lazy<I>>(),
        };
        merge + self.window.bytes_held() + self.sources().map(Lazy::bytes_held).sum::<usize>()
    }

    /// Whether an event of key `key` (merged already) may go out: no event still to merge
    /// sorts before it.
    ///
    /// Go 1.7+: an event still to merge has a later merge index, and a time not earlier than
    /// `last`, or (an exit at its real time) than the least early key of the lists, when the
    /// merge does not fail (it is looked at after every event merged: once it failed, nothing
    /// more goes out). Go 1.5/1.6: every event still to merge has its key among the lists'.
    #[inline]
    fn may_leave(&self, key: Key, floors: &Floors) -> bool {
        match self.merging {
            Merging::Causal(_) => key.0 <= self.last.min(floors.least().0),
            Merging::Global(_) => key < floors.least(),
        }
    }

    /// The next event in final order, `None` at the end, or Go's ordering error.
    #[inline]
    fn next(&mut self, ctx: &mut Loader<I>) -> Result<Option<Event>, Error> {
        loop {
            let leave = self.ended || self.window.first().is_some_and(|key| self.may_leave(key, &ctx.floors));
            if leave {
                let Some(ev) = self.window.pop() else { return Ok(None) };
                if self.last_ts.is_some_and(|last| ev.ts < last) {
                    return Err(Error::new(ev.offset(), ErrorKind::TimeOrder));
                }
                if matches!(self.merging, Merging::Global(_)) {
                    self.last_ts = Some(ev.ts);
                }
                return Ok(Some(ev));
            }
            match &mut self.merging {
                Merging::Causal(m) => match m.next(ctx)? {
                    Some(ev) => {
                        if m.failed() {
                            // Go's verdict is an error: the rest of the merge says which.
                            return Err(Self::drain(m, ctx));
                        }
                        let key = (ev.ts, self.merged);
                        self.merged += 1;
                        let moved = ev.event_type() == EventType::GO_SYS_EXIT && ev.args[2] != 0;
                        if !moved {
                            self.last = ev.ts;
                        }
                        if self.window.is_empty() && self.may_leave(key, &ctx.floors) {
                            // Nothing to come goes before it: past the window.
                            return Ok(Some(ev));
                        }
                        self.window.push(key, ev);
                    }
                    None => {
                        m.finish()?;
                        self.ended = true;
                    }
                },
                Merging::Global(g) => match g.next(ctx)? {
                    Some((seq, ev)) => self.window.push((seq, ev.offset()), ev),
                    None => self.ended = true,
                },
            }
        }
    }

    /// Runs the causal merge, which failed, to its end: its verdict.
    #[cold]
    fn drain(m: &mut Merger<Lazy<I>>, ctx: &mut Loader<I>) -> Error {
        loop {
            match m.next(ctx) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => return e,
            }
        }
        match m.finish() {
            Err(e) => e,
            // Not reached: `drain` is called once the merge failed, and then `finish` fails.
            Ok(()) => Error::new(0, ErrorKind::SequencesBroken),
        }
    }

    /// Runs to the end: the first error, if any.
    fn drain_all(&mut self, ctx: &mut Loader<I>) -> Result<(), Error> {
        while self.next(ctx)?.is_some() {}
        Ok(())
    }
}

/// The incoming links of the current event.
struct Incoming<'a>(&'a mut Vec<u32>);

impl Links for Incoming<'_> {
    #[inline]
    fn link(&mut self, from: u32, _to: u32) {
        self.0.push(from);
    }
}

/// Events between two looks of the accounting (it also looks after every batch decoded).
const ACCOUNT_EVERY: u32 = 4096;

/// The ordered, validated events of a legacy trace read in bounded memory from a seekable
/// input: the same events, in the same order, as [`Trace`](super::Trace) gives, and the same
/// error when the trace is bad, without holding the events.
///
/// [`OrderedReader::new`] (any `Read + Seek`) and [`OrderedReader::from_slice`] read the whole
/// file once, as the whole-file mode does, and keep only an index of its batches and the
/// tables; iterating then decodes each P's batches as the merge reaches them.
///
/// **Memory** ([`bytes_held`](OrderedReader::bytes_held), [`peak_bytes`](OrderedReader::peak_bytes)):
/// - per batch list (one per P, plus two): its current batch, decoded (the bytes of one
///   batch, at most 64 KiB in traces the runtime writes, and 56 bytes per event of it, 24 more
///   per syscall exit with a real time, or for Go 1.5/1.6 per event: its early key), and 40
///   bytes per batch of the index (its place, and the least early key from it on; in the
///   first pass, 24 bytes per batch with an early key);
/// - the reorder window: the events merged after the real time of a syscall exit not merged
///   yet (the exit goes before them: Go moves an exit to the time the syscall returned, and
///   the runtime writes it once the goroutine got a P again), 72 bytes each; that is, at most
///   the number of events an exit moves back past, which is small in traces the runtime writes
///   (a goroutine waits for a P briefly), however long its syscall. For Go 1.5/1.6 (ordered by
///   sequence numbers), the events merged after one that sorts before them. No fixed limit
///   (the order is the whole-file mode's on every trace): a hostile trace whose exit moves
///   back past all events holds them all, 72 bytes each (the census's
///   [`Limits::max_bytes_held`](crate::Limits::max_bytes_held), 56 bytes an event, bounds that);
/// - per goroutine id up to the largest (ids are dense; tables grow by pages of 256 ids): 33
///   bytes of merge and validation state (sequence and status 9, time of its last syscall block
///   8, validation 16); per goroutine in a syscall, created and not started, or holding an open
///   task or region, some more (an event for a task or region);
/// - the string and stack tables, the `UserLog` messages, and the CPU samples (56 bytes each),
///   as the whole-file mode holds them;
/// - in the first pass, the raw reader's buffer (two 64 KiB chunks, or the largest record);
/// - for traces with `FutileWakeup` events (Go ≤ 1.21 writes them on futile channel and mutex
///   wakeups): the offsets of the removed events, and, in the constructor's extra pass, the
///   pending wakeup of each goroutine.
///
/// Not the events: a 200 MB trace of 30 M events stays within a few tens of MB.
///
/// **Links.** A link goes from an event to a later one, unknown when the earlier one comes
/// out. So events come out with [`Event::link`] `None`, and [`OrderedReader::linked_from`]
/// tells, for the event just returned, the indices (positions in the ordered stream, from 0)
/// of the earlier events whose link it is: event `i` links to event `j` of the whole-file
/// mode exactly when `i` is among the `linked_from` of `j` here. A consumer that wants a
/// start's end keeps the start until its end names it.
///
/// **Errors.** The iterator ends with `Some(Err(e))` when the trace is bad, `e` the error the
/// whole-file mode returns, with the same offset. Go's parser reports ordering errors (of the
/// whole merge) before validation errors: when validation fails, the reader first runs the
/// rest of the merge, and an ordering error it meets comes out instead. Events before the
/// error may have come out.
///
/// ```
/// use gotrace_parser::legacy::{OrderedReader, Trace};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good");
/// let mut reader = OrderedReader::new(std::fs::File::open(path)?)?;
/// let mut starts = 0;
/// let mut links = Vec::new(); // (from, to)
/// let mut index = 0;
/// while let Some(event) = reader.next() {
///     let event = event?;
///     if event.name(reader.version()) == "GoStart" {
///         starts += 1;
///     }
///     links.extend(reader.linked_from().map(|from| (from, index)));
///     index += 1;
/// }
/// // The same events and links as the whole-file mode.
/// let whole = Trace::parse(std::fs::File::open(path)?)?;
/// assert_eq!(index, whole.len());
/// assert_eq!(starts, whole.events().filter(|e| e.name(whole.version()) == "GoStart").count());
/// let mut want: Vec<_> = whole.events().enumerate().filter_map(|(i, e)| Some((i, e.link()?))).collect();
/// links.sort();
/// want.sort();
/// assert_eq!(links, want);
/// assert!(reader.peak_bytes() > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the reader yields the events when iterated"]
pub struct OrderedReader<I: Input> {
    version: Version,
    frequency: u64,
    strings: Strings,
    messages: Messages,
    timers: Vec<u64>,
    loader: Loader<I>,
    orderer: Orderer<I>,
    /// Offsets of the events of futile wakeups, sorted.
    doomed: Vec<u64>,
    /// The `FutileWakeup` events the file held.
    futile: usize,
    normalise: Option<Normalise>,
    validator: Validator,
    total: usize,
    /// Events returned so far.
    index: u32,
    linked_from: Vec<u32>,
    done: bool,
    peak: usize,
    /// The batch count and event count at the last look of the accounting.
    seen_loads: u64,
    since_account: u32,
}

impl<R: Read + Seek> OrderedReader<SeekInput<R>> {
    /// Reads the trace once (from its start, whatever the position of `reader`), with default
    /// options; fails as [`Trace::parse`](super::Trace::parse) fails on a bad record.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/stress_1_5_unordered");
    /// use gotrace_parser::legacy::OrderedReader;
    /// let reader = OrderedReader::new(std::fs::File::open(path)?)?;
    /// let err = reader.last().unwrap().unwrap_err();
    /// assert_eq!(err.message(), "time stamps out of order");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(reader: R) -> Result<OrderedReader<SeekInput<R>>, Error> {
        OrderedReader::with_options(reader, Options::default())
    }

    /// Reads the trace once; `options` decides how strictly records are read.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_11_good");
    /// use gotrace_parser::{legacy::OrderedReader, Options};
    /// let reader = OrderedReader::with_options(std::fs::File::open(path)?, Options::default().strict(true))?;
    /// assert!(reader.count() > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_options(mut reader: R, options: Options) -> Result<OrderedReader<SeekInput<R>>, Error> {
        let io = |e: std::io::Error| Error::new(0, ErrorKind::Io { kind: e.kind() });
        reader.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut raw = RawReader::with_options(&mut reader, options)?;
        let mut census = Census::with_options(raw.version(), options);
        let mut structure = Structure::index(raw.version());
        let mut early = EarlyKeys::new(raw.version());
        loop {
            match raw.next_event() {
                Ok(Some(ref event)) => {
                    add(&mut census, &mut structure, event)?;
                    early.see(event);
                }
                Ok(None) => break,
                Err(e) => return Err(e),
            }
        }
        let (end, buffer) = (raw.offset(), raw.peak_buffer_len());
        census.finish(end)?;
        structure.close(end);
        let input = SeekInput { reader, buf: Vec::new() };
        OrderedReader::start(structure.finish(), early, input, options, buffer)
    }
}

impl<'a> OrderedReader<SliceInput<'a>> {
    /// Reads a trace held in memory, with default options.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/user_task_region_1_21_good"))?;
    /// use gotrace_parser::legacy::OrderedReader;
    /// let reader = OrderedReader::from_slice(&data)?;
    /// assert_eq!(reader.version().to_string(), "1.21");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_slice(data: &'a [u8]) -> Result<OrderedReader<SliceInput<'a>>, Error> {
        OrderedReader::from_slice_with(data, Options::default())
    }

    /// Reads a trace held in memory; `options` decides how strictly records are read.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_7_good"))?;
    /// use gotrace_parser::{legacy::OrderedReader, Options};
    /// assert!(OrderedReader::from_slice_with(&data, Options::default()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_slice_with(data: &'a [u8], options: Options) -> Result<OrderedReader<SliceInput<'a>>, Error> {
        let mut raw = RawEvents::with_options(data, options)?;
        let mut census = Census::with_options(raw.version(), options);
        let mut structure = Structure::index(raw.version());
        let mut early = EarlyKeys::new(raw.version());
        for event in raw.by_ref() {
            match event {
                Ok(ref event) => {
                    add(&mut census, &mut structure, event)?;
                    early.see(event);
                }
                Err(e) => return Err(e),
            }
        }
        census.finish(raw.offset())?;
        structure.close(raw.offset());
        OrderedReader::start(structure.finish(), early, SliceInput { data }, options, 0)
    }
}

impl<I: Input> OrderedReader<I> {
    /// From the first pass's parts: the lists, loaded up to their first events; the futile
    /// wakeups found, if the trace has any.
    fn start(
        parts: Parts,
        early: EarlyKeys,
        input: I,
        options: Options,
        buffer: usize,
    ) -> Result<OrderedReader<I>, Error> {
        let version = parts.version;
        let old = version < Version::Go1_7;
        let first_pass = buffer
            + parts.strings.bytes_held()
            + parts.stacks.bytes_held()
            + parts.messages.bytes_held()
            + early.bytes_held();
        let floors = Floors::new(parts.lists.len());
        let mut loader = Loader {
            decoder: Decoder::InPlace(input),
            version,
            options,
            stacks: parts.stacks,
            floors,
            loads: 0,
        };
        let mut lists = Vec::with_capacity(parts.lists.len());
        for list in &parts.lists {
            if list.p == PROFILE_P {
                let mut samples = list.events.clone().into_vec();
                let mut seqs = list.seqs.clone();
                if old {
                    for (ev, seq) in samples.iter_mut().zip(seqs.iter_mut()) {
                        *seq = seq_1005(ev, *seq);
                    }
                } else {
                    samples = sort_samples(samples);
                }
                lists.push((Vec::new(), Vec::new(), Some((samples, seqs))));
            } else {
                lists.push((list.batches.clone(), early.suffix(&list.batches), None));
            }
        }
        let index_bytes: usize = parts
            .lists
            .iter()
            .map(|l| {
                l.batches.capacity() * (std::mem::size_of::<BatchRef>() + std::mem::size_of::<Key>())
                    + l.events.len() * 56
            })
            .sum::<usize>()
            + early.bytes_held();
        drop((parts.lists, early));
        let sources = |loader: &mut Loader<I>| -> Result<Vec<Lazy<I>>, Error> {
            let mut out = Vec::with_capacity(lists.len());
            for (i, (batches, later, held)) in lists.iter().enumerate() {
                let lazy = match held {
                    Some((events, seqs)) => Lazy::held(i as u32, events.clone(), seqs.clone(), loader),
                    None => {
                        let mut lazy = Lazy::new(i as u32, batches.clone(), later.clone());
                        lazy.load(loader)?;
                        lazy
                    }
                };
                out.push(lazy);
            }
            Ok(out)
        };
        let mut doomed = Vec::new();
        let mut futile_peak = 0;
        if parts.futile > 0 {
            let mut orderer = Orderer::new(sources(&mut loader)?, version);
            let mut futile = Futile::new();
            let mut n = 0u32;
            while let Some(ev) = orderer.next(&mut loader)? {
                futile.see(ev.offset(), &ev);
                n = n.wrapping_add(1);
                if n % ACCOUNT_EVERY == 0 {
                    futile_peak = futile_peak.max(futile.bytes_held() + orderer.bytes_held());
                }
            }
            doomed = futile.into_doomed();
        }
        let orderer = Orderer::new(sources(&mut loader)?, version);
        drop(lists);
        let mut reader = OrderedReader {
            version,
            frequency: parts.frequency,
            strings: parts.strings,
            messages: parts.messages,
            timers: parts.timer_goroutines,
            loader,
            orderer,
            doomed,
            futile: parts.futile,
            normalise: None,
            validator: Validator::new(version),
            total: parts.events,
            index: 0,
            linked_from: Vec::new(),
            done: false,
            peak: 0,
            seen_loads: 0,
            since_account: 0,
        };
        reader.peak =
            (first_pass + index_bytes).max(futile_peak + reader.tables_bytes()).max(reader.bytes_held());
        Ok(reader)
    }

    /// Decodes the batches on a second thread, spawned in `scope`, ahead of the merge: the
    /// same events in the same order, sooner where two cores are free. The memory held grows by
    /// at most one decoded batch per list (the accounting of [`bytes_held`](Self::bytes_held)
    /// counts it); the reader must be dropped before the scope ends, which joins the thread.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good");
    /// use gotrace_parser::legacy::OrderedReader;
    /// let in_place: Vec<_> = OrderedReader::new(std::fs::File::open(path)?)?.collect::<Result<_, _>>()?;
    /// let file = std::fs::File::open(path)?;
    /// let ahead = std::thread::scope(|scope| -> Result<Vec<_>, gotrace_format::Error> {
    ///     OrderedReader::new(file)?.decode_ahead(scope).collect()
    /// })?;
    /// assert_eq!(ahead, in_place);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decode_ahead<'scope>(mut self, scope: &'scope std::thread::Scope<'scope, '_>) -> OrderedReader<I>
    where
        I: Send + 'scope,
    {
        let input = match self.loader.decoder {
            Decoder::InPlace(input) => input,
            ahead @ Decoder::Ahead(_) => {
                self.loader.decoder = ahead;
                return self;
            }
        };
        let mut states = vec![BatchState::default(); self.orderer.sources().count()];
        for lazy in self.orderer.sources_mut() {
            states[lazy.id as usize] = lazy.state;
        }
        let Loader { version, options, .. } = self.loader;
        let lookups = self.loader.stacks.lookups().clone();
        let mut ahead = Ahead::start(scope, input, version, options, lookups, states);
        for lazy in self.orderer.sources_mut() {
            lazy.hand_over(&mut ahead);
        }
        self.loader.decoder = Decoder::Ahead(ahead);
        self
    }

    /// The string, message and stack tables (for the conversion to the modern model).
    pub(crate) fn tables(&self) -> (&Strings, &Messages, &Stacks) {
        (&self.strings, &self.messages, &self.loader.stacks)
    }

    /// The `FutileWakeup` events the file held.
    pub(crate) fn futile_wakeups(&self) -> usize {
        self.futile
    }

    fn tables_bytes(&self) -> usize {
        self.strings.bytes_held() + self.messages.bytes_held() + self.loader.stacks.bytes_held()
    }

    /// The trace's version.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_5_good"))?;
    /// let reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// assert_eq!(reader.version().to_string(), "1.5");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// The tick frequency (ticks per second) times are converted with.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// assert_eq!(reader.frequency(), 62_499_627);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn frequency(&self) -> u64 {
        self.frequency
    }

    /// The events of the file, futile wakeups included (the first pass counted them; the
    /// ordered stream leaves the futile wakeups out).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// let total = reader.total_events();
    /// assert!(reader.count() <= total);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn total_events(&self) -> usize {
        self.total
    }

    /// For the event the iterator returned last: the indices (in the ordered stream, from 0) of
    /// the earlier events that link to it (for a `GoEnd`, its start and the regions it closes;
    /// for most events one or none).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let mut reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// let create = reader.next().unwrap()?; // GoCreate g=1
    /// assert_eq!(reader.linked_from().count(), 0);
    /// while let Some(ev) = reader.next() {
    ///     let ev = ev?;
    ///     if ev.name(reader.version()) == "GoStart" && ev.g() == create.args()[0] {
    ///         assert_eq!(reader.linked_from().collect::<Vec<_>>(), [0]);
    ///         break;
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn linked_from(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.linked_from.iter().map(|&i| i as usize)
    }

    /// The string of id `id` ("" for id 0 and undefined ids), as
    /// [`Trace::string`](super::Trace::string).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// assert_eq!(reader.string(0), b"");
    /// assert!(!reader.string(1).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn string(&self, id: u64) -> &[u8] {
        self.strings.get(id)
    }

    /// Go's `SArgs` of `event`, as [`Trace::string_args`](super::Trace::string_args).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/user_task_region_1_19_good"))?;
    /// let mut reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// let log = reader.by_ref().map(Result::unwrap).find(|e| e.name(gotrace_format::Version::Go1_19) == "UserLog").unwrap();
    /// assert_eq!(reader.string_args(&log), [&b"key0"[..], &b"0123456789abcdef"[..]]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn string_args(&self, event: &Event) -> [&[u8]; 2] {
        string_args(event, self.version, &self.strings, &self.messages)
    }

    /// The frames of a stack, innermost first, as [`Trace::stack`](super::Trace::stack). The
    /// start stack a goroutine's first `GoStart` gets is known once that event came out.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let mut reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// let block = reader.by_ref().map(Result::unwrap).find(|e| e.name(gotrace_format::Version::Go1_19) == "GoBlockNet").unwrap();
    /// assert_eq!(reader.stack(block.stack()).next().unwrap().func, b"internal/poll.(*FD).Accept");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stack(&self, stack: StackId) -> impl ExactSizeIterator<Item = Frame<'_>> + '_ {
        frames(&self.loader.stacks, &self.strings, stack)
    }

    /// Go's id of a stack, as [`Trace::stack_id`](super::Trace::stack_id).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let mut reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// let create = reader.next().unwrap()?; // GoCreate g=1 stack=2
    /// assert_eq!(reader.stack_id(create.stack()), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn stack_id(&self, stack: StackId) -> u64 {
        self.loader.stacks.go_id(stack.0)
    }

    /// Appends `event` as `go tool trace -d` prints it, as
    /// [`Trace::write_line`](super::Trace::write_line).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let mut reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// let first = reader.next().unwrap()?;
    /// let mut line = Vec::new();
    /// reader.write_line(&mut line, &first);
    /// assert_eq!(line, b"0 GoCreate p=1 g=0 off=1772 g=1 stack=2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_line(&self, out: &mut Vec<u8>, event: &Event) {
        write_line(out, event, self.version, &self.strings, &self.messages);
    }

    /// Bytes the reader holds now (its own accounting, listed under [`OrderedReader`]).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// assert!(reader.bytes_held() <= reader.peak_bytes());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn bytes_held(&self) -> usize {
        self.tables_bytes()
            + self.loader.bytes_held()
            + self.loader.floors.bytes_held()
            + self.orderer.bytes_held()
            + self.validator.bytes_held()
            + self.doomed.capacity() * 8
            + self.linked_from.capacity() * 4
            + self.timers.capacity() * 8
    }

    /// The most [`bytes_held`](OrderedReader::bytes_held) has been, first pass included
    /// (looked at after every batch decoded and every 4096 events).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let mut reader = gotrace_parser::legacy::OrderedReader::from_slice(&data)?;
    /// let events = reader.by_ref().count();
    /// assert!(events > 0 && reader.peak_bytes() >= reader.bytes_held());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn peak_bytes(&self) -> usize {
        self.peak
    }

    #[inline]
    fn account(&mut self) {
        self.since_account += 1;
        if self.since_account >= ACCOUNT_EVERY || self.loader.loads != self.seen_loads {
            self.since_account = 0;
            self.seen_loads = self.loader.loads;
            self.peak = self.peak.max(self.bytes_held());
        }
    }

    /// The next event, or the error that ends the stream.
    #[inline]
    fn step(&mut self) -> Result<Option<Event>, Error> {
        loop {
            let Some(mut ev) = self.orderer.next(&mut self.loader)? else { return Ok(None) };
            let normalise =
                self.normalise.get_or_insert_with(|| Normalise::new(ev.ts, self.frequency, &self.timers));
            if !self.doomed.is_empty() && self.doomed.binary_search(&ev.offset()).is_ok() {
                continue;
            }
            normalise.apply(&mut ev);
            self.linked_from.clear();
            let mut tables = Tables {
                version: self.version,
                strings: &self.strings,
                messages: &self.messages,
                stacks: &mut self.loader.stacks,
            };
            if let Err(e) =
                self.validator.step(self.index, &mut ev, &mut tables, &mut Incoming(&mut self.linked_from))
            {
                // An ordering error in the rest of the merge comes first, as in Go.
                self.orderer.drain_all(&mut self.loader)?;
                return Err(e);
            }
            self.index += 1;
            self.account();
            return Ok(Some(ev));
        }
    }
}

impl<I: Input> Iterator for OrderedReader<I> {
    type Item = Result<Event, Error>;

    #[inline]
    fn next(&mut self) -> Option<Result<Event, Error>> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(ev)) => Some(Ok(ev)),
            Ok(None) => {
                self.done = true;
                self.peak = self.peak.max(self.bytes_held());
                None
            }
            Err(e) => {
                self.done = true;
                self.linked_from.clear();
                Some(Err(e))
            }
        }
    }
}

impl<I: Input> std::iter::FusedIterator for OrderedReader<I> {}
