//! From raw records to events grouped by batch key (spec §5, §6): the running P, goroutine and
//! time base of each batch, the string and stack tables, the frequency, the timer goroutines.
//!
//! Records arrive one at a time in file order ([`Structure::add`]), so a streaming reader can
//! feed them; the file-level checks (duplicate strings, frequency, STW kinds, empty trace) are
//! the [`Census`](super::Census)'s, which the caller runs alongside.

use std::collections::HashMap;

use gotrace_format::legacy::{EventType, RawEvent};
use gotrace_format::{Error, ErrorKind, Limit, Version, HEADER_LEN};

use super::dense::{Chunked, IdMap, Pool, CHUNK};
use super::event::{p_code, Event, MAX_OFFSET, PROFILE_P};

/// The events of one batch key (a P id, −1, or [`PROFILE_P`] for CPU samples), in file order.
#[derive(Debug)]
pub(crate) struct List {
    /// The batch key.
    pub p: i64,
    /// The goroutine last running on this P (Go's `lastGs`), kept across its batches.
    last_g: u64,
    pub events: Chunked<Event>,
    /// Go 1.5/1.6: the global sequence number of each event.
    pub seqs: Vec<i64>,
    /// In index mode ([`Structure::index`]): where the list's batches are, in file order.
    pub batches: Vec<BatchRef>,
    /// Per chunk of `events`, the least real time of its syscall exits that have one (the
    /// earliest place one of them can take in the final order; `i64::MAX`: none). Go 1.7+,
    /// whole-file mode, when noted ([`Structure::add_noting`]).
    pub early: Vec<i64>,
}

impl List {
    /// Notes the real time `real` of the syscall exit about to be pushed.
    #[cold]
    fn early_exit(&mut self, real: i64) {
        let chunk = self.events.len() / CHUNK;
        if self.early.len() <= chunk {
            self.early.resize(chunk + 1, i64::MAX);
        }
        self.early[chunk] = self.early[chunk].min(real);
    }

    /// For each count of chunks after the one a reader of `events` is in, the least early time
    /// of that chunk and those after it.
    pub fn floors(&self) -> Vec<i64> {
        let chunks = self.events.chunk_count();
        let mut least = i64::MAX;
        (0..chunks)
            .rev()
            .map(|c| {
                least = least.min(self.early.get(c).copied().unwrap_or(i64::MAX));
                least
            })
            .collect()
    }
}

/// Where a batch is in the file, for a lazy second reading: the records from `start` (its
/// `Batch` record, or the first record of the file for events before any batch) to `end`
/// (the next `Batch` record, or the end of the file), and how many `UserLog` messages came
/// before it (its logs' message indices follow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchRef {
    pub start: u64,
    pub end: u64,
    pub messages: u64,
}

/// What decoding an event depends on: the running P, goroutine, time base and (Go 1.5/1.6)
/// global sequence of the batch being read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchState {
    pub p: i64,
    /// The P's code in an event, once per batch (`None`: beyond what an event holds).
    code: Option<u32>,
    pub g: u64,
    pub ts: i64,
    pub seq: i64,
}

impl Default for BatchState {
    /// Before any batch: P 0's.
    fn default() -> Self {
        BatchState { p: 0, code: p_code(0), g: 0, ts: 0, seq: 0 }
    }
}

impl BatchState {
    /// Takes a `Batch` record's values (`p`, then the time base, after Go 1.5's sequence).
    #[inline]
    pub fn start(&mut self, v: &[u64], old: bool) {
        self.p = v[0] as i64;
        self.code = p_code(self.p);
        if old {
            self.seq = v[1] as i64;
            self.ts = v[2] as i64;
        } else {
            self.ts = v[1] as i64;
        }
    }

    /// The event of the timed record `raw` (type `t`, values `v`: the first `n` decoded, the
    /// others 0; the stack's slot is cleared), its batch key, (Go 1.5/1.6) its global sequence
    /// number and its Go stack id (0: none; the caller sets the event's handle of it);
    /// `message` gives the index of a `UserLog` message.
    #[inline(always)]
    pub fn event(
        &mut self,
        raw: &RawEvent<'_>,
        t: EventType,
        v: &mut [u64; MAX_VALUES],
        n: usize,
        old: bool,
        message: impl FnOnce(&[u8]) -> u64,
    ) -> Result<(i64, Event, i64, u64), Error> {
        let mut k = 0;
        let mut seq = 0;
        if old {
            seq = self.seq.wrapping_add(v[0] as i64);
            self.seq = seq;
            k = 1;
        }
        let ts = self.ts.wrapping_add(v[k] as i64);
        self.ts = ts;
        k += 1;
        let mut ev = Event::with_p_code(raw.offset(), t, self.code, self.p, self.g, ts)?;
        let mut stack = 0;
        if t.has_stack() && n > k {
            stack = v[n - 1];
            v[n - 1] = 0;
        }
        // The values after the arguments are 0 (`n` at most MAX_VALUES, `k` at most 2).
        ev.args = [v[k], v[k + 1], v[k + 2]];
        let mut key = self.p;
        match t {
            EventType::GO_START | EventType::GO_START_LOCAL | EventType::GO_START_LABEL => {
                self.g = ev.args[0];
                ev.g = ev.args[0];
            }
            EventType::STW_START | EventType::STW_DONE | EventType::GC_START | EventType::GC_DONE => {
                // Go 1.19's parser clears their goroutine; Go 1.27's conversion keeps it.
                ev.args[2] = ev.g;
                ev.g = 0;
            }
            EventType::GO_END
            | EventType::GO_STOP
            | EventType::GO_SCHED
            | EventType::GO_PREEMPT
            | EventType::GO_SLEEP
            | EventType::GO_BLOCK
            | EventType::GO_BLOCK_SEND
            | EventType::GO_BLOCK_RECV
            | EventType::GO_BLOCK_SELECT
            | EventType::GO_BLOCK_SYNC
            | EventType::GO_BLOCK_COND
            | EventType::GO_BLOCK_NET
            | EventType::GO_SYS_BLOCK
            | EventType::GO_BLOCK_GC => self.g = 0,
            EventType::GO_SYS_EXIT | EventType::GO_WAITING | EventType::GO_IN_SYSCALL => ev.g = ev.args[0],
            EventType::USER_LOG => {
                let text = raw.text().filter(|m| m.is_complete()).map_or(&[][..], |m| m.bytes());
                ev.args[2] = message(text);
            }
            EventType::CPU_SAMPLE => {
                ev.ts = ev.args[0] as i64;
                ev.set_p(ev.args[1] as i64);
                ev.g = ev.args[2];
                ev.args[0] = 0;
                key = PROFILE_P;
            }
            _ => {}
        }
        Ok((key, ev, seq, stack))
    }
}

/// A byte range of an arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u64,
    len: u32,
}

/// The string table: id → bytes (not necessarily UTF-8). Id 0 and undefined ids are "".
#[derive(Clone, Debug)]
pub(crate) struct Strings {
    bytes: Vec<u8>,
    spans: IdMap<Span>,
}

impl Strings {
    fn new() -> Strings {
        Strings { bytes: Vec::new(), spans: IdMap::new(Span::default()) }
    }

    fn define(&mut self, id: u64, text: &[u8]) {
        let span = Span { start: self.bytes.len() as u64, len: text.len() as u32 };
        self.bytes.extend_from_slice(text);
        self.spans.set(id, span);
    }

    /// Bytes held.
    pub fn bytes_held(&self) -> usize {
        self.bytes.capacity() + self.spans.bytes_held()
    }

    /// The string `id` ("" when undefined).
    #[inline]
    pub fn get(&self, id: u64) -> &[u8] {
        let s = self.spans.get(id);
        &self.bytes[s.start as usize..s.start as usize + s.len as usize]
    }

    /// The strings records define, with their ids, in no order (a record is never empty).
    pub fn defined(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.spans
            .iter()
            .filter(|(_, s)| s.len > 0)
            .map(|(id, s)| (id, &self.bytes[s.start as usize..][..s.len as usize]))
    }
}

/// `UserLog` messages, by index.
#[derive(Clone, Debug, Default)]
pub(crate) struct Messages {
    bytes: Vec<u8>,
    spans: Vec<Span>,
}

impl Messages {
    fn add(&mut self, text: &[u8]) -> u64 {
        self.spans.push(Span { start: self.bytes.len() as u64, len: text.len() as u32 });
        self.bytes.extend_from_slice(text);
        self.spans.len() as u64 - 1
    }

    /// Messages held.
    pub fn len(&self) -> u64 {
        self.spans.len() as u64
    }

    /// Bytes held.
    pub fn bytes_held(&self) -> usize {
        self.bytes.capacity() + self.spans.capacity() * std::mem::size_of::<Span>()
    }

    /// The message of index `i` ("" when unknown).
    pub fn get(&self, i: u64) -> &[u8] {
        match self.spans.get(i as usize) {
            Some(s) => &self.bytes[s.start as usize..s.start as usize + s.len as usize],
            None => b"",
        }
    }
}

/// One frame as recorded: string ids for the function and file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawFrame {
    pub pc: u64,
    pub func: u64,
    pub file: u64,
    pub line: u64,
}

/// A stack of the table: Go's id (0 for the synthetic stacks of Go 1.5 starts) and its frames.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StackEntry {
    pub id: u64,
    pub start: u32,
    pub len: u32,
}

/// The stack table. Events hold handles (indices into `entries`, 0 = none), handed out on the
/// first reference or definition of a Go stack id, whichever comes first (stacks are written at
/// the end of the file, after the events that use them).
#[derive(Clone, Debug)]
pub(crate) struct Stacks {
    handles: StackLookup,
    pub entries: Vec<StackEntry>,
    pub frames: Vec<RawFrame>,
}

impl Stacks {
    fn new() -> Stacks {
        Stacks {
            handles: StackLookup(IdMap::new(0)),
            entries: vec![StackEntry::default()],
            frames: Vec::new(),
        }
    }

    /// The handle of Go's stack id `id` (0 for id 0).
    #[inline(always)]
    pub fn handle(&mut self, id: u64) -> u32 {
        if id == 0 {
            return 0;
        }
        match *self.handles.0.get_mut(id) {
            0 => self.new_handle(id),
            h => h,
        }
    }

    /// Hands out the handle of Go's stack id `id`, not seen before.
    #[cold]
    fn new_handle(&mut self, id: u64) -> u32 {
        let h = self.entries.len() as u32;
        self.handles.0.set(id, h);
        self.entries.push(StackEntry { id, start: 0, len: 0 });
        h
    }

    /// The handles given out so far. After the first pass these (or a copy, on another thread)
    /// answer every id an event's stack field holds: that pass gave each its handle, and the
    /// handles given out after it (to the start stacks of goroutines, which are arguments)
    /// leave those as they are.
    pub fn lookups(&self) -> &StackLookup {
        &self.handles
    }

    /// Bytes held.
    pub fn bytes_held(&self) -> usize {
        self.handles.bytes_held()
            + self.entries.capacity() * std::mem::size_of::<StackEntry>()
            + self.frames.capacity() * std::mem::size_of::<RawFrame>()
    }

    /// A stack with no id: Go 1.5's one-frame stack of a goroutine's first start.
    pub fn synthetic(&mut self, pc: u64) -> u32 {
        self.frames.push(RawFrame { pc, ..RawFrame::default() });
        self.entries.push(StackEntry { id: 0, start: self.frames.len() as u32 - 1, len: 1 });
        self.entries.len() as u32 - 1
    }

    /// Go's id of handle `h` (0 for none and for synthetic stacks).
    pub fn go_id(&self, h: u32) -> u64 {
        self.entries.get(h as usize).map_or(0, |e| e.id)
    }

    /// The frames of handle `h`.
    pub fn frames(&self, h: u32) -> &[RawFrame] {
        match self.entries.get(h as usize) {
            Some(e) => &self.frames[e.start as usize..e.start as usize + e.len as usize],
            None => &[],
        }
    }
}

/// Go's stack ids with the handles given out to them (see [`Stacks::lookups`]).
#[derive(Clone, Debug)]
pub(crate) struct StackLookup(IdMap<u32>);

impl StackLookup {
    /// The handle of Go's stack id `id` (0 for none and for id 0).
    #[inline]
    pub fn lookup(&self, id: u64) -> u32 {
        if id == 0 {
            0
        } else {
            self.0.get(id)
        }
    }

    /// Bytes held.
    pub fn bytes_held(&self) -> usize {
        self.0.bytes_held()
    }
}

/// What the structure pass produced.
#[derive(Debug)]
pub(crate) struct Parts {
    pub version: Version,
    pub lists: Vec<List>,
    pub strings: Strings,
    pub stacks: Stacks,
    pub messages: Messages,
    pub frequency: u64,
    pub timer_goroutines: Vec<u64>,
    /// Events in all lists.
    pub events: usize,
    /// `FutileWakeup` events seen.
    pub futile: usize,
    pub pool: Pool<Event>,
}

/// The structure pass: feed raw records in file order, then [`Structure::finish`].
#[derive(Debug)]
pub(crate) struct Structure {
    version: Version,
    old: bool,
    lists: Vec<List>,
    list_of_p: HashMap<i64, u32>,
    /// The list of `state.p`, once it holds an entry.
    cur: Option<u32>,
    state: BatchState,
    /// Index mode: events are counted, not kept (but CPU samples), and batches indexed.
    index: bool,
    /// Index mode: the list and batch that records go to, once one is open.
    open: Option<(u32, usize)>,
    strings: Strings,
    stacks: Stacks,
    messages: Messages,
    frequency: u64,
    timer_goroutines: Vec<u64>,
    events: usize,
    futile: usize,
    pool: Pool<Event>,
}

/// Values of a record decoded at most: more than the largest number of values of an event
/// record (Go 1.5's `GoCreate` and `GoSysExit`, `CPUSample`, `UserTaskCreate`: 5), and as many
/// as 8 bytes can hold, so that the short records take the loop without checks.
pub(crate) const MAX_VALUES: usize = 8;

impl Structure {
    pub fn new(version: Version) -> Structure {
        Structure {
            version,
            old: version < Version::Go1_7,
            lists: Vec::new(),
            list_of_p: HashMap::new(),
            cur: None,
            state: BatchState::default(),
            index: false,
            open: None,
            strings: Strings::new(),
            stacks: Stacks::new(),
            messages: Messages::default(),
            frequency: 0,
            timer_goroutines: Vec::new(),
            events: 0,
            futile: 0,
            pool: Pool::default(),
        }
    }

    /// The first pass of the bounded-memory mode: the same checks and tables, but events are
    /// only counted (CPU samples are kept: they are ordered by a sort of their own) and each
    /// list records where its batches are ([`List::batches`]).
    pub fn index(version: Version) -> Structure {
        Structure { index: true, ..Structure::new(version) }
    }

    /// The list of batch key `p`, created on first use.
    fn list(&mut self, p: i64) -> u32 {
        if let Some(&i) = self.list_of_p.get(&p) {
            return i;
        }
        let i = self.lists.len() as u32;
        self.lists.push(List {
            p,
            last_g: 0,
            events: Chunked::default(),
            seqs: Vec::new(),
            batches: Vec::new(),
            early: Vec::new(),
        });
        self.list_of_p.insert(p, i);
        i
    }

    /// Takes one record (which the raw reader and the census accepted).
    #[inline(always)]
    pub fn add(&mut self, raw: &RawEvent<'_>) -> Result<(), Error> {
        self.add_noting::<false>(raw)
    }

    /// [`Structure::add`]; with `EARLY`, notes the real times of syscall exits per chunk of
    /// each list ([`List::early`], which the ordering on two threads needs).
    #[inline(always)]
    pub fn add_noting<const EARLY: bool>(&mut self, raw: &RawEvent<'_>) -> Result<(), Error> {
        let t = raw.event_type();
        if t.has_timestamp() && !self.index {
            let mut v = [0u64; MAX_VALUES];
            let n = read_values(raw.value_bytes(), &mut v);
            return self.add_event::<EARLY>(raw, t, &mut v, n);
        }
        self.add_other(raw, t)
    }

    /// Takes empty event chunks ([`Pool::mapped_chunk`]) to fill before allocating any.
    pub fn stock(&mut self, chunks: &mut Vec<Vec<Event>>) {
        self.pool.stock(chunks);
    }

    /// Takes a record other than an event of the whole-file mode.
    #[inline(never)]
    fn add_other(&mut self, raw: &RawEvent<'_>, t: EventType) -> Result<(), Error> {
        if t.has_timestamp()
            && self.index
            && t != EventType::CPU_SAMPLE
            && raw.offset() <= MAX_OFFSET
            && self.state.code.is_some()
        {
            return self.count_event(raw, t);
        }
        let mut v = [0u64; MAX_VALUES];
        let n = read_values(raw.value_bytes(), &mut v);
        if t.has_timestamp() {
            return self.add_event::<false>(raw, t, &mut v, n);
        }
        match t {
            EventType::BATCH => {
                if let Some(i) = self.cur {
                    self.lists[i as usize].last_g = self.state.g;
                }
                self.state.start(&v, self.old);
                let i = self.list(self.state.p);
                self.cur = Some(i);
                self.state.g = self.lists[i as usize].last_g;
                if self.index {
                    self.open_batch(i, raw.offset());
                }
            }
            EventType::FREQUENCY => self.frequency = v[0],
            EventType::TIMER_GOROUTINE => self.timer_goroutines.push(v[0]),
            EventType::STRING => {
                if let Some(text) = raw.text() {
                    self.strings.define(v[0], text.bytes());
                }
            }
            EventType::STACK => self.add_stack(raw),
            _ => {}
        }
        Ok(())
    }

    /// Index mode: closes the open batch at `offset` and opens one of list `i` there.
    fn open_batch(&mut self, i: u32, offset: u64) {
        if let Some((l, b)) = self.open {
            self.lists[l as usize].batches[b].end = offset;
        }
        let batches = &mut self.lists[i as usize].batches;
        batches.push(BatchRef { start: offset, end: offset, messages: self.messages.len() });
        self.open = Some((i, batches.len() - 1));
    }

    fn add_stack(&mut self, raw: &RawEvent<'_>) {
        let mut values = raw.values();
        let (id, n) = (values.next().unwrap_or(0), values.next().unwrap_or(0));
        if id == 0 || n == 0 {
            return;
        }
        let start = self.stacks.frames.len() as u32;
        if self.old {
            self.stacks.frames.extend(values.map(|pc| RawFrame { pc, ..RawFrame::default() }));
        } else {
            while let (Some(pc), Some(func), Some(file), Some(line)) =
                (values.next(), values.next(), values.next(), values.next())
            {
                self.stacks.frames.push(RawFrame { pc, func, file, line });
            }
        }
        let h = self.stacks.handle(id) as usize;
        let len = self.stacks.frames.len() as u32 - start;
        self.stacks.entries[h] = StackEntry { id, start, len };
    }

    #[inline(always)]
    fn add_event<const EARLY: bool>(
        &mut self,
        raw: &RawEvent<'_>,
        t: EventType,
        v: &mut [u64; MAX_VALUES],
        n: usize,
    ) -> Result<(), Error> {
        let stacks = &mut self.stacks;
        let messages = &mut self.messages;
        let (key, mut ev, seq, stack) =
            self.state.event(raw, t, v, n, self.old, |text| messages.add(text))?;
        ev.stack = stacks.handle(stack);
        if t == EventType::FUTILE_WAKEUP {
            self.futile += 1;
        }
        let i = match self.cur {
            Some(i) if key == self.state.p => i,
            _ => {
                let i = self.list(key);
                if key == self.state.p {
                    self.cur = Some(i);
                }
                i
            }
        };
        self.count(raw.offset())?;
        if self.index {
            if self.open.is_none() {
                // Events before any batch: P 0's, from the first record on.
                let p0 = self.list(0);
                self.open_batch(p0, HEADER_LEN as u64);
            }
            if key != PROFILE_P {
                return Ok(());
            }
        }
        let list = &mut self.lists[i as usize];
        if EARLY && ev.args[2] != 0 && matches!(t, EventType::GO_SYS_EXIT | EventType::GO_SYS_EXIT_LOCAL) {
            list.early_exit(ev.args[2] as i64);
        }
        list.events.push_with(ev, &mut self.pool);
        if self.old {
            list.seqs.push(seq);
        }
        Ok(())
    }

    /// Index mode, an event that keeps nothing and cannot fail but on the event count: what
    /// [`BatchState::event`] would record of it in the tables (its stack's handle, its message),
    /// counted. Of its values only the last, the stack, is decoded; the second pass decodes it
    /// again.
    #[inline]
    fn count_event(&mut self, raw: &RawEvent<'_>, t: EventType) -> Result<(), Error> {
        // An event before any batch opens one of P 0 at the header's end (before its message
        // is counted: the batch's first message is the event's).
        if self.open.is_none() {
            let p0 = self.list(0);
            self.open_batch(p0, HEADER_LEN as u64);
        }
        if t.has_stack() {
            let lead = if self.old { 2 } else { 1 };
            let (n, stack) = last_value(raw.value_bytes());
            if n > lead {
                self.stacks.handle(stack);
            }
        }
        match t {
            EventType::USER_LOG => {
                let text = raw.text().filter(|m| m.is_complete()).map_or(&[][..], |m| m.bytes());
                self.messages.add(text);
            }
            EventType::FUTILE_WAKEUP => self.futile += 1,
            _ => {}
        }
        self.count(raw.offset())
    }

    /// Counts the event at `offset`, within the event limit.
    #[inline]
    fn count(&mut self, offset: u64) -> Result<(), Error> {
        if self.events >= u32::MAX as usize - 1 {
            let (value, max) = (self.events as u64 + 1, u64::from(u32::MAX) - 1);
            return Err(Error::new(offset, ErrorKind::LimitExceeded { what: Limit::Events, value, max }));
        }
        self.events += 1;
        Ok(())
    }

    /// Index mode: closes the last batch at `end` (the file's length).
    pub fn close(&mut self, end: u64) {
        if let Some((l, b)) = self.open.take() {
            self.lists[l as usize].batches[b].end = end;
        }
    }

    /// The lists and tables, once every record was added.
    pub fn finish(self) -> Parts {
        Parts {
            version: self.version,
            lists: self.lists,
            strings: self.strings,
            stacks: self.stacks,
            messages: self.messages,
            frequency: self.frequency,
            timer_goroutines: self.timer_goroutines,
            events: self.events,
            futile: self.futile,
            pool: self.pool,
        }
    }
}

/// Decodes the complete varints of `bytes` into `out` (at most `out.len()`); returns how many.
/// Bits beyond 64 in a 10-byte varint are dropped, as Go does.
#[inline]
pub(crate) fn read_values(bytes: &[u8], out: &mut [u64; MAX_VALUES]) -> usize {
    if bytes.len() <= MAX_VALUES {
        return read_word(load_word(bytes), bytes.len(), out);
    }
    read_values_long(bytes, out)
}

/// The at most 8 bytes of `bytes` as a little-endian word (0 above them), in two loads that
/// may overlap instead of one per byte.
#[inline(always)]
fn load_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    if let (Some(lo), Some(hi)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        // A byte in both halves is the same byte at the same place: `|` keeps it.
        u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4))
    } else if let (Some(lo), Some(hi)) = (bytes.first_chunk::<2>(), bytes.last_chunk::<2>()) {
        u64::from(u16::from_le_bytes(*lo)) | u64::from(u16::from_le_bytes(*hi)) << (8 * (n - 2))
    } else {
        bytes.first().map_or(0, |&b| u64::from(b))
    }
}

/// Decodes the complete varints in the low `len` (at most 8) bytes of `word` into `out`;
/// returns how many. Values of one to three bytes, nearly all of them, take a branch each; a
/// longer one gathers its 7-bit groups in three steps.
#[inline(always)]
fn read_word(mut word: u64, mut len: usize, out: &mut [u64; MAX_VALUES]) -> usize {
    let mut n = 0;
    while len > 0 {
        // At most one value per byte: `n` stays below 8 here.
        let slot = &mut out[n & (MAX_VALUES - 1)];
        if word & 0x80 == 0 {
            *slot = word & 0x7f;
            (word, len) = (word >> 8, len - 1);
        } else if word & 0x8000 == 0 && len >= 2 {
            *slot = (word & 0x7f) | (word >> 1 & 0x3f80);
            (word, len) = (word >> 16, len - 2);
        } else if word & 0x80_0000 == 0 && len >= 3 {
            *slot = (word & 0x7f) | (word >> 1 & 0x3f80) | (word >> 2 & 0x1f_c000);
            (word, len) = (word >> 24, len - 3);
        } else {
            // The first byte with its high bit clear ends the value, if it is within `len`.
            let ends = !word & 0x8080_8080_8080_8080;
            let bytes = (ends.trailing_zeros() / 8 + 1) as usize;
            if ends == 0 || bytes > len {
                break;
            }
            let bits = if bytes == 8 { word } else { word & ((1 << (8 * bytes)) - 1) };
            *slot = gather(bits);
            (word, len) = (if bytes == 8 { 0 } else { word >> (8 * bytes) }, len - bytes);
        }
        n += 1;
    }
    n
}

/// The 7-bit groups of the bytes of `bits` (a varint of at most 8 bytes), low group first.
#[inline(always)]
fn gather(bits: u64) -> u64 {
    let x = bits & 0x7f7f_7f7f_7f7f_7f7f;
    let x = (x & 0x007f_007f_007f_007f) | (x >> 1 & 0x3f80_3f80_3f80_3f80);
    let x = (x & 0x0000_3fff_0000_3fff) | (x >> 2 & 0x0fff_c000_0fff_c000);
    (x & 0x0000_0000_0fff_ffff) | (x >> 4 & 0x00ff_ffff_f000_0000)
}

/// What [`read_values`] gives of `bytes`: how many values, and the last of them (0 when none).
#[inline]
pub(crate) fn last_value(bytes: &[u8]) -> (usize, u64) {
    let n = bytes.iter().filter(|&&b| b < 0x80).count();
    match bytes.last() {
        // The usual case: every varint terminated, no more than read_values keeps.
        Some(&end) if end < 0x80 && n <= MAX_VALUES => {
            let mut start = bytes.len() - 1;
            while start > 0 && bytes[start - 1] >= 0x80 {
                start -= 1;
            }
            let mut value = 0u64;
            // Bits beyond 64 in a 10-byte varint are dropped, as Go does.
            for (i, &b) in bytes[start..].iter().take(10).enumerate() {
                value |= u64::from(b & 0x7f) << (7 * i);
            }
            (n, value)
        }
        _ => {
            let mut v = [0u64; MAX_VALUES];
            let n = read_values(bytes, &mut v);
            (n, n.checked_sub(1).map_or(0, |last| v[last]))
        }
    }
}

fn read_values_long(bytes: &[u8], out: &mut [u64; MAX_VALUES]) -> usize {
    let mut n = 0;
    let mut value = 0u64;
    let mut shift = 0u32;
    for &b in bytes {
        if shift < 64 {
            value |= u64::from(b & 0x7f) << shift;
        }
        if b & 0x80 == 0 {
            if n < MAX_VALUES {
                out[n] = value;
            }
            n += 1;
            value = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    n.min(MAX_VALUES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_decode_like_go() {
        let mut out = [0; MAX_VALUES];
        let n = read_values(
            &[0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
            &mut out,
        );
        assert_eq!(&out[..n], [1, 300, u64::MAX]);
        // The short path: at most 8 bytes, an unterminated varint at the end dropped.
        let n = read_values(&[0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x7f], &mut out);
        assert_eq!(&out[..n], [1, 300, (1 << 35) - 1]);
        let n = read_values(&[0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x8c], &mut out);
        assert_eq!(&out[..n], [5, 6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn word_decoding_is_the_byte_loop() {
        // Every short input of bytes from a set that makes values of 1 to 8 bytes, cut anywhere,
        // against a plain decoder.
        let plain = |bytes: &[u8]| {
            let (mut values, mut value, mut shift) = (Vec::new(), 0u64, 0);
            for &b in bytes {
                value |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b < 0x80 {
                    values.push(value);
                    (value, shift) = (0, 0);
                }
            }
            values
        };
        let alphabet = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xff, 0xfe, 0x55];
        let mut x = 99u64;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = (x >> 60) as usize % 9;
            let bytes: Vec<u8> = (0..len).map(|i| alphabet[(x >> (3 * i + 5)) as usize & 7]).collect();
            let mut out = [0; MAX_VALUES];
            let n = read_values(&bytes, &mut out);
            assert_eq!(&out[..n], plain(&bytes), "{bytes:x?}");
        }
    }

    #[test]
    fn last_value_is_what_read_values_ends_with() {
        let cases: [&[u8]; 9] = [
            &[],
            &[0x80],
            &[0x01],
            &[0x01, 0xac, 0x02],
            &[0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
            &[0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03],
            &[0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x85],
            &[1, 2, 3, 4, 5, 6, 7, 8],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        ];
        for bytes in cases {
            let mut out = [0; MAX_VALUES];
            let n = read_values(bytes, &mut out);
            let want = (n, if n > 0 { out[n - 1] } else { 0 });
            assert_eq!(last_value(bytes), want, "{bytes:x?}");
        }
    }
}
