//! The ordered reader of modern traces: generations read one at a time, each thread's events
//! merged by time as far as the ordering allows, CPU samples interleaved, `Sync` events at
//! every generation boundary — what Go 1.27's `trace.Reader` returns, event for event.

use std::io::Read;

use gotrace_format::modern::{ErrorKind as ModernError, EventType, OrderFault};
use gotrace_format::{Error, ErrorKind, Version, HEADER_LEN};

use super::event::{Event, SYNC};
use super::frontier::{Front, Frontier};
use super::generation::{uvarint, Generation, GenerationReader, Tables};
use super::order::{ev_type, BaseEvent, Ordering, Wait};
use super::split::{Misses, Pause};
use crate::hash::FastMap;
use crate::leak::leak_text;
use crate::Limits;

/// Reads into `buf` until it is full or the input ends: the bytes read, and the error that
/// stopped the reading first, if one did.
pub(super) fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> (usize, Option<std::io::Error>) {
    let mut read = 0;
    while read < buf.len() {
        match reader.read(&mut buf[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (read, Some(e)),
        }
    }
    (read, None)
}

fn modern(offset: u64, kind: ModernError) -> Error {
    Error::new(offset, ErrorKind::Modern(kind))
}

/// One thread's position in its batches, and its next event.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    /// Index of the thread in the generation.
    thread: usize,
    m: i64,
    /// The ordering's slot of the thread (unused for thread `-1`).
    slot: usize,
    /// The batch being read (`usize::MAX` before the first).
    batch: usize,
    /// The next event's first byte and the end of its batch, in the generation's buffer.
    pos: usize,
    end: usize,
    /// File offset minus buffer position within the batch (wrapping).
    to_file: u64,
    /// The batch's time, in nanoseconds.
    batch_time: i64,
    /// The thread's next event. Its time is the base of the next event's delta, or, where it is
    /// 0 (before a batch's first event, or where a time came to 0), the batch's time is, as
    /// Go's batch cursor rebases on its `lastTs` of 0.
    ev: BaseEvent,
    /// File offset of `ev`.
    offset: u64,
}

/// For each type byte, the arguments of a timed event after its timestamp; [`UNTIMED`] for
/// the types without a timestamp, [`INVALID`] beyond Go's table.
static ARG_COUNTS: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut code = 0;
    while code <= EventType::GOROUTINE_STACK_FREE.code() as usize {
        t[code] = UNTIMED;
        code += 1;
    }
    // Timed events: 9 - 48, ClockSnapshot, the AllocFree experiment; arguments after `dt`.
    let base: [u8; 40] = [
        2, 2, 0, 3, 2, 3, 1, 2, 0, 0, 2, 2, 3, 2, 0, 0, 3, 2, 0, 1, 2, 1, 1, 1, 2, 1, 1, 0, 1, 1, 1, 4, 2, 3,
        3, 4, 2, 2, 3, 4,
    ];
    let mut i = 0;
    while i < 40 {
        t[9 + i] = base[i];
        i += 1;
    }
    t[51] = 3;
    let af: [u8; 9] = [3, 3, 1, 2, 2, 1, 2, 2, 1];
    let mut i = 0;
    while i < 9 {
        t[128 + i] = af[i];
        i += 1;
    }
    t
};
const UNTIMED: u8 = 0xfe;
const INVALID: u8 = 0xff;

impl Cursor {
    #[cold]
    fn bad_type(code: u8) -> ModernError {
        if ARG_COUNTS[usize::from(code)] == INVALID {
            ModernError::CursorInvalidType { code }
        } else {
            ModernError::CursorUntimed { code }
        }
    }

    /// A cursor before the first event of thread `thread` of `gen`.
    fn new(gen: &Generation, thread: usize, slot: usize) -> Cursor {
        Cursor {
            thread,
            m: gen.threads[thread].m,
            slot,
            batch: usize::MAX,
            pos: 0,
            end: 0,
            to_file: 0,
            batch_time: 0,
            ev: BaseEvent::default(),
            offset: 0,
        }
    }

    /// Moves to the next batch that has events; false when there is none. The first call
    /// moves to the first batch.
    #[cold]
    fn next_batch(&mut self, gen: &Generation) -> bool {
        let batches = &gen.threads[self.thread].batches;
        let mut i = self.batch.wrapping_add(1);
        while let Some(b) = batches.get(i) {
            if b.end > b.start {
                self.batch = i;
                self.pos = b.start;
                self.end = b.end;
                self.to_file = b.offset.wrapping_sub(b.start as u64);
                self.batch_time = gen.tables.ticks_to_ns(b.time);
                self.ev.time = 0;
                return true;
            }
            i += 1;
        }
        self.batch = i;
        false
    }

    /// Reads the thread's next event; false when its batches are exhausted.
    #[inline(always)]
    fn next(&mut self, gen: &Generation) -> Result<bool, Error> {
        if self.pos == self.end && !self.next_batch(gen) {
            return Ok(false);
        }
        let t = &gen.tables;
        let offset = self.to_file.wrapping_add(self.pos as u64);
        let code = gen.data[self.pos];
        let count = ARG_COUNTS[usize::from(code)];
        if count >= UNTIMED {
            return Err(modern(offset, Cursor::bad_type(code)));
        }
        // The timestamp delta, then the arguments.
        let window = gen.data.get(self.pos..).and_then(|d| d.first_chunk::<WINDOW>());
        let (at, dt, args) = match window.and_then(|w| varints_fast(w, count)) {
            Some((len, dt, args)) if self.pos + len <= self.end => (self.pos + len, dt, args),
            _ => {
                let mut values = [0u64; 5];
                let len = varints_exact(&gen.data[self.pos..self.end], &mut values[..usize::from(count) + 1])
                    .map_err(|k| modern(offset, k))?;
                let [dt, args @ ..] = values;
                (self.pos + len, dt, args)
            }
        };
        // The time of the thread's last event (the ordering never changes it), or the batch's.
        let base = if self.ev.time == 0 { self.batch_time } else { self.ev.time };
        let time = t.ticks_to_ns(dt).wrapping_add(base);
        self.ev = BaseEvent { code, time, args };
        self.offset = offset;
        self.pos = at;
        Ok(true)
    }
}

/// Bytes from an event's type byte that [`varints_fast`] is given: the type byte, five varints
/// of at most 8 bytes read 8 bytes at a time (41 bytes), rounded up so that a position masked
/// to 6 bits and 8 bytes past it stay inside (no bound checked per varint).
const WINDOW: usize = 72;

/// Decodes the timestamp delta and `count` (at most 4) arguments from `window[1..]`, `window`
/// starting at an event's type byte, eight bytes at a time: the length of the event, the delta
/// and the arguments (0 past `count`), or `None` where a varint is longer than 8 bytes (the
/// caller then decodes exactly). The varints may run past the event's batch: the caller checks.
///
/// The values stay in registers (no array written a word at a time and read back wider, which
/// stalls the load on store forwarding).
#[inline(always)]
fn varints_fast(window: &[u8; WINDOW], count: u8) -> Option<(usize, u64, [u64; 4])> {
    let mut at = 1;
    let dt = varint8(window, &mut at)?;
    let mut args = [0u64; 4];
    if count > 0 {
        args[0] = varint8(window, &mut at)?;
        if count > 1 {
            args[1] = varint8(window, &mut at)?;
            if count > 2 {
                args[2] = varint8(window, &mut at)?;
                if count > 3 {
                    args[3] = varint8(window, &mut at)?;
                }
            }
        }
    }
    Some((at, dt, args))
}

/// The varint at `window[*at..]` if it is at most 8 bytes long, `*at` moved past it. `*at` is
/// at most 33 (1 + 4 varints of 8 bytes): the mask changes nothing but spares a bound check.
#[inline(always)]
fn varint8(window: &[u8; WINDOW], at: &mut usize) -> Option<u64> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let w = u64::from_le_bytes(*window[*at & 63..].first_chunk::<8>()?);
    if w & 0x80 == 0 {
        *at += 1;
        return Some(w & 0x7f);
    }
    if w & 0x8000 == 0 {
        *at += 2;
        return Some((w & 0x7f) | ((w >> 1) & 0x3f80));
    }
    // The lowest byte without the continuation bit ends the varint.
    let stops = !w & HIGH;
    if stops == 0 {
        return None;
    }
    let x = w & (stops ^ (stops - 1)) & !HIGH;
    // Pack the 7-bit groups: pairs into 14 bits (the high byte `h` of each pair moves down a bit
    // as `l + (h << 8) - (h << 7)`), then 28, then 56.
    let x = x - ((x & 0x7f00_7f00_7f00_7f00) >> 1);
    let x = (x & 0x0000_3fff_0000_3fff) | ((x >> 2) & 0x0fff_c000_0fff_c000);
    let x = (x & 0x0000_0000_0fff_ffff) | ((x >> 4) & 0x00ff_ffff_f000_0000);
    *at += (stops.trailing_zeros() as usize + 1) / 8;
    Some(x)
}

/// Decodes `out.len()` varints from `event[1..]` (an event's bytes to the end of its batch), as
/// Go does: the position after them, or Go's fault for the timestamp or an argument.
#[cold]
fn varints_exact(event: &[u8], out: &mut [u64]) -> Result<usize, ModernError> {
    let mut at = 1;
    for (i, v) in out.iter_mut().enumerate() {
        let Some(x) = varint(event, &mut at) else {
            return Err(if i == 0 { ModernError::CursorTimestamp } else { ModernError::CursorArgument });
        };
        *v = x;
    }
    Ok(at)
}

/// The varint at `data[*at..]`, `*at` moved past it; `None` where `binary.Uvarint` fails (the
/// data ends first, or the value overflows 64 bits).
#[inline(always)]
fn varint(data: &[u8], at: &mut usize) -> Option<u64> {
    if let Some(bytes) = data.get(*at..*at + 10) {
        // Ten bytes at hand: no bound to check per byte.
        let mut x = 0u64;
        for (i, &b) in bytes.iter().enumerate() {
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return None;
                }
                *at += i + 1;
                return Some(x | u64::from(b) << (7 * i));
            }
            x |= u64::from(b & 0x7f) << (7 * i);
        }
        return None;
    }
    let (v, n) = uvarint(&data[(*at).min(data.len())..]);
    if n <= 0 {
        return None;
    }
    *at += n as usize;
    Some(v)
}

/// For each code, the table ids [`tables_define`] looks up: [`Event::table_mask`]'s but the
/// name of a `UserTaskBegin`, `UserRegionBegin` or `UserRegionEnd`, which the ordering has
/// resolved in the same tables before (an undefined one is its error, as in Go).
static CHECKED_MASKS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut code = 0;
    while code < 256 {
        t[code] = Event::table_mask(code as u8);
        code += 1;
    }
    let names =
        [(EventType::USER_TASK_BEGIN, 2), (EventType::USER_REGION_BEGIN, 1), (EventType::USER_REGION_END, 1)];
    let mut i = 0;
    while i < names.len() {
        let (event, arg) = names[i];
        t[event.code() as usize] &= !(0x10 << arg);
        i += 1;
    }
    t
};

/// Go's check that the stacks and strings an event of type `code` with `args` names are in the
/// generation's tables. The common case (no id, or one stack) is one look-up.
#[inline(always)]
fn tables_define(t: &Tables, code: u8, args: &[u64; 4]) -> bool {
    let mask = CHECKED_MASKS[usize::from(code)];
    if mask & mask.wrapping_sub(1) == 0 && mask < 0x10 {
        // No id (mask 0 picks id 0, always defined), or one stack.
        let id = if mask == 0 { 0 } else { args[mask.trailing_zeros() as usize & 3] };
        return t.has_stack(id);
    }
    let (mut stack_bits, mut string_bits) = (mask & 0xf, mask >> 4);
    let mut defined = true;
    while stack_bits != 0 {
        defined &= t.has_stack(args[stack_bits.trailing_zeros() as usize]);
        stack_bits &= stack_bits - 1;
    }
    while string_bits != 0 {
        defined &= t.has_string(args[string_bits.trailing_zeros() as usize]);
        string_bits &= string_bits - 1;
    }
    defined
}

/// The error of an event [`tables_define`] refused: the first undefined id in Go's order of
/// the checks.
#[cold]
#[inline(never)]
fn undefined(t: &Tables, ev: &BaseEvent, offset: u64) -> Error {
    let event = ev_type(ev.code);
    let (stacks, strings) = Event::table_refs(ev.code);
    let kind = match stacks.iter().map(|&i| ev.args[i]).find(|&id| !t.has_stack(id)) {
        Some(id) => ModernError::UndefinedStack { id, event },
        None => {
            let id = strings.iter().map(|&i| ev.args[i]).find(|&id| !t.has_string(id)).unwrap_or(0);
            ModernError::UndefinedString { id, event }
        }
    };
    modern(offset, kind)
}

/// The ordered events of a modern trace (Go 1.22 – 1.27), read from any [`Read`] one
/// generation at a time.
///
/// Events come as Go 1.27's `trace.Reader` returns them: a `Sync` first and at every generation
/// boundary, then the generation's events, each thread's in order and all merged by time as
/// far as the causal ordering allows, timestamps forced to increase. Errors are Go's, with the
/// byte offset of the batch, table entry or event at fault; an error ends the reader.
///
/// Memory contract: the reader holds one generation's event batches (one buffer, reused from
/// generation to generation), its tables and those of the next while that is read, before
/// version 26 the first batch of the next generation, and a read buffer (256 KiB, and at most a
/// batch left over from the last read); the ordering state grows with the live goroutines, Ps
/// and threads.
///
/// The strings and stacks of the events returned since the last `Sync` are those of
/// [`Reader::tables`].
///
/// ```
/// use gotrace_parser::modern::{EventKind, Reader};
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/recorded/go1.26/timers.trace"))?;
/// let mut reader = Reader::new(std::io::BufReader::new(file))?;
/// let (mut syncs, mut events) = (0, 0);
/// while let Some(event) = reader.next_event()? {
///     events += 1;
///     syncs += usize::from(event.kind() == EventKind::Sync);
/// }
/// assert!(syncs >= 2 && events > 1000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct Reader<R> {
    version: Version,
    gens: GenerationReader<R>,
    gen: Generation,
    have_gen: bool,
    frontier: Frontier,
    /// The cursors of the generation's threads, those in `frontier` and those done.
    cursors: Vec<Cursor>,
    cpu_next: usize,
    /// The time of CPU sample `cpu_next` (`i64::MAX` when none is left).
    cpu_time: i64,
    order: Ordering,
    syncs: u64,
    last_ts: i64,
    /// An error to report after a `Sync` (Go reports a bad generation after the events before it).
    late: Option<Error>,
    late_synced: bool,
    done: bool,
    /// The last `Sync` was returned: nothing follows.
    finished: bool,
    /// File offset of the event the queued events come from.
    queued_offset: u64,
    empty: Tables,
    /// The cursors whose refused events wait, by what they wait for (a cursor may be listed
    /// under a wait it no longer has: waking it again only costs an offer).
    waiting: FastMap<Wait, Vec<u32>>,
    /// Per cursor: its event was refused and waits for a state to change (see
    /// [`Reader::park`]); and how many do.
    is_parked: Vec<bool>,
    parked: usize,
    /// A split read's stop: the reader stops at the end of this generation (`u64::MAX`: none)
    /// and `paused` tells it did.
    pause_after: u64,
    paused: bool,
}

impl<R: Read> Reader<R> {
    /// Reads the header from `reader`; only modern versions are accepted.
    pub fn new(reader: R) -> Result<Reader<R>, Error> {
        Reader::with_limits(reader, Limits::default())
    }

    /// As [`Reader::new`], within `limits`: a string or stack over the caller's cap (Go's own
    /// caps, 1024 bytes and 128 frames, apply anyway), more batch records than
    /// [`Limits::max_batches`], or a generation whose batches and tables would hold more than
    /// [`Limits::max_bytes_held`] bytes is a [`LimitExceeded`](gotrace_format::Category::LimitExceeded)
    /// error at the record's offset.
    ///
    /// ```
    /// use gotrace_parser::modern::Reader;
    /// use gotrace_parser::Limits;
    /// let data = std::fs::read("../corpus/recorded/go1.23/timers.trace")?;
    /// let mut reader = Reader::with_limits(&data[..], Limits::default().max_bytes_held(4096))?;
    /// let err = loop {
    ///     if let Err(e) = reader.next_event() {
    ///         break e;
    ///     }
    /// };
    /// assert_eq!(err.kind().category(), gotrace_format::Category::LimitExceeded);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_limits(mut reader: R, limits: Limits) -> Result<Reader<R>, Error> {
        let mut header = [0u8; HEADER_LEN];
        let (read, failed) = read_up_to(&mut reader, &mut header);
        if let Some(e) = failed {
            return Err(Error::new(read as u64, ErrorKind::Io { kind: e.kind() }));
        }
        if read < HEADER_LEN {
            return Err(Error::new(read as u64, ErrorKind::HeaderTruncated { read: read as u8 }));
        }
        let version = gotrace_format::parse_header(&header)?;
        if version.is_legacy() {
            return Err(Error::new(0, ErrorKind::UnsupportedVersion { number: version.number() }));
        }
        Ok(Reader::at_generation(reader, version, HEADER_LEN as u64, limits))
    }

    /// A reader of a trace of `version` whose next byte, at file offset `offset`, starts a
    /// generation (the second half of a split read).
    pub(super) fn at_generation(reader: R, version: Version, offset: u64, limits: Limits) -> Reader<R> {
        Reader {
            version,
            gens: GenerationReader::new(reader, version, offset, limits),
            gen: Generation::default(),
            have_gen: false,
            frontier: Frontier::default(),
            cursors: Vec::new(),
            cpu_next: 0,
            cpu_time: i64::MAX,
            order: Ordering::default(),
            syncs: 0,
            last_ts: 0,
            late: None,
            late_synced: false,
            done: false,
            finished: false,
            queued_offset: 0,
            empty: Tables::default(),
            waiting: FastMap::default(),
            is_parked: Vec::new(),
            parked: 0,
            pause_after: u64::MAX,
            paused: false,
        }
    }

    /// The trace's version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// The tables of the current generation: those the events returned since the last `Sync`
    /// (and that `Sync`) resolve their strings and stacks in.
    #[must_use]
    pub fn tables(&self) -> &Tables {
        if self.have_gen {
            &self.gen.tables
        } else {
            &self.empty
        }
    }

    /// The next event, or `None` after the last `Sync`.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<Event>, Error> {
        Ok(self.take()?.copied())
    }

    /// Reads the events to the end, checking each as [`Reader::next_event`] does, without
    /// returning them: the number of events read (`Sync`s included), or the first error.
    ///
    /// ```
    /// use gotrace_parser::modern::Reader;
    /// let data = std::fs::read("../corpus/recorded/go1.26/timers.trace")?;
    /// let events = Reader::new(&data[..])?.read_to_end()?;
    /// let mut reader = Reader::new(&data[..])?;
    /// let mut count = 0;
    /// while reader.next_event()?.is_some() {
    ///     count += 1;
    /// }
    /// assert_eq!(events, count);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_to_end(&mut self) -> Result<u64, Error> {
        let mut events = 0;
        while self.take()?.is_some() {
            events += 1;
        }
        Ok(events)
    }

    /// Reads on until the end of generation `gen`: the events read, and where the reader
    /// stopped (`None` when the trace ended first, or an error follows the generation's end).
    pub(super) fn read_to_pause(&mut self, gen: u64) -> Result<(u64, Option<Pause>), Error> {
        self.pause_after = gen;
        let events = self.read_to_end()?;
        if !self.paused || self.late.is_some() {
            return Ok((events, None));
        }
        let pause = Pause {
            offset: self.gens.offset(),
            batches: self.gens.batches_read(),
            ordering: self.order.snapshot(),
        };
        Ok((events, Some(pause)))
    }

    /// After [`Reader::read_to_pause`]: reads on to the end; the events read.
    pub(super) fn read_on(&mut self) -> Result<u64, Error> {
        self.pause_after = u64::MAX;
        if std::mem::take(&mut self.paused) {
            self.done = false;
        }
        self.read_to_end()
    }

    /// Logs what the ordering misses from now on (see [`super::split`]).
    pub(super) fn log_misses(&mut self) {
        self.order.log_misses();
    }

    /// Batch records read, and what the ordering missed since [`Reader::log_misses`].
    pub(super) fn finish_log(&mut self) -> (u64, Misses) {
        (self.gens.batches_read(), self.order.take_log())
    }

    /// The limits the reader reads within.
    pub(super) fn limits(&self) -> Limits {
        self.gens.limits()
    }

    /// Takes the next event from the ordering's queue (refilled when empty), its time forced
    /// past the last one's.
    #[inline(always)]
    fn take(&mut self) -> Result<Option<&Event>, Error> {
        if self.done {
            return Ok(None);
        }
        if self.order.is_empty() {
            self.order.reset_queue();
            match self.step() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return Ok(None);
                }
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        // A step that returns true queued an event (its tables were checked then: `Sync`s, CPU
        // samples and the events the ordering makes name none).
        let ev = self.order.pop();
        if ev.time <= self.last_ts {
            ev.time = self.last_ts.wrapping_add(1);
        }
        self.last_ts = ev.time;
        Ok(Some(ev))
    }

    /// Queues a `Sync` as the next event.
    fn sync(&mut self, time: i64, with_tables: bool) -> Result<bool, Error> {
        self.syncs += 1;
        let ev =
            Event { time, g: -1, p: -1, m: -1, args: [self.syncs, u64::from(with_tables), 0, 0], code: SYNC };
        self.queued_offset = self.gens.offset();
        self.order.push_event(ev);
        Ok(true)
    }

    /// Queues the next events (the ordering's queue is empty; true: at least one queued): false
    /// at the end.
    #[inline(always)]
    fn step(&mut self) -> Result<bool, Error> {
        // The common case first: the head of the frontier comes before the next CPU sample and
        // no cursor is parked (as `step_other` would decide, with fewer checks). A finished
        // reader has no frontier: it finishes once the frontier and the samples are exhausted.
        if let Some(head) = self.frontier.first() {
            if head.time <= self.cpu_time && self.parked == 0 {
                return self.offer_frontier::<false>(false);
            }
        }
        self.step_other()
    }

    /// [`Reader::step`] in general: a CPU sample due, cursors parked, or the frontier empty.
    #[inline(never)]
    fn step_other(&mut self) -> Result<bool, Error> {
        if self.finished {
            return Ok(false);
        }
        let cpu_left = self.cpu_next < self.gen.cpu_samples.len();
        if self.frontier.is_empty() && !cpu_left {
            return self.next_generation();
        }
        if cpu_left {
            let s = self.gen.cpu_samples[self.cpu_next];
            if self.frontier.first().is_none_or(|head| s.time < head.time) {
                self.cpu_next += 1;
                self.cpu_time = self.gen.cpu_samples.get(self.cpu_next).map_or(i64::MAX, |s| s.time);
                let ev = Event { time: s.time, g: s.g, p: s.p, m: s.m, args: [s.stack, 0, 0, 0], code: 7 };
                self.queued_offset = self.gens.offset();
                self.order.push_event(ev);
                return Ok(true);
            }
        }
        let head_parked = self.parked > 0 && self.is_parked[self.frontier.cursor(0)];
        self.offer_frontier::<true>(head_parked)
    }

    /// Offers the head of the frontier's event (unless `head_parked`), then the others' until
    /// one is accepted; the cursors waiting on what it changed are woken. `SOME_PARKED`: a
    /// cursor may be parked already (when not, an accepted head has none to wake).
    ///
    /// A refused event parks its cursor until a state it waits for changes, and a parked
    /// cursor is not offered: it would be refused again, and a refused offer changes nothing,
    /// so the events taken are those Go takes, without Go's offer of every waiting event at
    /// every step.
    #[inline(always)]
    fn offer_frontier<const SOME_PARKED: bool>(&mut self, head_parked: bool) -> Result<bool, Error> {
        if head_parked || !self.try_advance(0)? {
            self.advance_other(head_parked)?;
            if self.parked > 0 {
                self.wake();
            }
        } else if SOME_PARKED && self.parked > 0 {
            self.wake();
        }
        if self.order.is_empty() {
            return Err(self.failed_to_advance(self.queued_offset));
        }
        Ok(true)
    }

    /// The head of the frontier was refused (or is parked): Go sorts the frontier and offers
    /// each cursor's event in turn, until one is accepted.
    #[cold]
    #[inline(never)]
    fn advance_other(&mut self, head_parked: bool) -> Result<(), Error> {
        if !head_parked {
            self.park(self.frontier.cursor(0));
        }
        self.frontier.sort();
        for i in 1..self.frontier.len() {
            let ci = self.frontier.cursor(i);
            if self.parked > 0 && self.is_parked[ci] {
                continue;
            }
            if self.try_advance(i)? {
                return Ok(());
            }
            self.park(ci);
        }
        Err(self.failed_to_advance(self.cursors[self.frontier.cursor(0)].offset))
    }

    /// Go's "failed to advance" error, with its dump of the state: each thread's next event (the
    /// frontier, by time), then the ordering's.
    #[cold]
    fn failed_to_advance(&self, offset: u64) -> Error {
        use std::fmt::Write;
        let mut state = String::new();
        for f in self.frontier.iter() {
            let c = &self.cursors[f.cursor];
            let t = ev_type(c.ev.code);
            let _ = write!(state, "M {} [{} time={}", c.m, t.name(), c.ev.time);
            for (name, value) in t.arg_names().iter().skip(1).zip(c.ev.args) {
                let _ = write!(state, " {name}={value}");
            }
            state.push_str("]\n");
        }
        state.push('\n');
        self.order.write_state(&mut state);
        state.push('\n');
        let gen = self.gen.gen;
        modern(offset, ModernError::Order(OrderFault::FailedToAdvance { gen, state: leak_text(state) }))
    }

    #[inline(always)]
    fn try_advance(&mut self, i: usize) -> Result<bool, Error> {
        crate::steps::add(1);
        let c = &mut self.cursors[self.frontier.cursor(i)];
        let offset = c.offset;
        let accepted = self
            .order
            .advance(&mut c.ev, &mut self.gen.tables, c.m, c.slot, self.gen.gen)
            .map_err(|f| modern(offset, ModernError::Order(f)))?;
        if !accepted {
            return Ok(false);
        }
        // Go checks the tables of an event it took: here, before the cursor moves on, the event
        // is at hand (the ordering changes none of the arguments the check looks at).
        if !tables_define(&self.gen.tables, c.ev.code, &c.ev.args) {
            return Err(undefined(&self.gen.tables, &c.ev, offset));
        }
        self.queued_offset = offset;
        if c.next(&self.gen)? {
            self.frontier.update(i, c.ev.time);
        } else {
            self.frontier.remove(i);
        }
        Ok(true)
    }

    /// Parks cursor `ci`, whose event was just refused, on what the event waits for: it is not
    /// offered again until [`Reader::wake`] sees one of those states change. This keeps a chain
    /// of threads each waiting on the next from offering every waiting event at every step.
    #[cold]
    fn park(&mut self, ci: usize) {
        let c = &self.cursors[ci];
        let Some(waits) = self.order.waits(&c.ev, c.m, c.slot) else { return };
        for w in waits.into_iter().flatten() {
            self.waiting.entry(w).or_default().push(ci as u32);
        }
        if self.is_parked.len() < self.cursors.len() {
            self.is_parked.resize(self.cursors.len(), false);
        }
        self.is_parked[ci] = true;
        self.parked += 1;
    }

    /// After an event was accepted (while cursors are parked): unparks the cursors waiting for
    /// a state it may have changed. The events it queued name them: the first is the accepted
    /// event in the context it ran in (see [`Ordering::changed`]).
    #[cold]
    fn wake(&mut self) {
        for k in 0..self.order.queued() {
            for r in Ordering::changed(self.order.queued_event(k)) {
                self.wake_on(Wait::Any(r));
                if let Some(seq) = self.order.seq_of(r) {
                    self.wake_on(Wait::Seq(r, seq));
                }
            }
        }
        if self.parked == 0 {
            self.waiting.clear();
        }
    }

    fn wake_on(&mut self, w: Wait) {
        let Some(list) = self.waiting.remove(&w) else { return };
        for ci in list {
            if std::mem::take(&mut self.is_parked[ci as usize]) {
                self.parked -= 1;
            }
        }
    }

    fn next_generation(&mut self) -> Result<bool, Error> {
        if self.have_gen && self.gen.gen == self.pause_after {
            self.paused = true;
            return Ok(false);
        }
        // Every event of the current generation is out: its batches' bytes can go (its tables
        // stay until the next generation's are installed).
        self.gen.threads.clear();
        self.cursors.clear();
        self.waiting.clear();
        self.is_parked.clear();
        self.parked = 0;
        self.gens.recycle(std::mem::take(&mut self.gen.data));
        if self.version >= Version::Go1_26 {
            if let Some(e) = self.late.take() {
                return Err(e);
            }
            return match self.gens.next_generation() {
                Err(e) => {
                    self.late = Some(e);
                    self.have_gen = false;
                    self.sync(self.last_ts, false)
                }
                Ok(None) => self.done_after_sync(),
                Ok(Some(g)) => self.install(g),
            };
        }
        if let Some(e) = self.late {
            if self.late_synced {
                return Err(e);
            }
            self.late_synced = true;
            return self.sync(self.last_ts, false);
        }
        if self.have_gen && !self.gens.has_spill() {
            return self.done_after_sync();
        }
        match self.gens.next_generation_with_spill() {
            Err(e) => {
                self.late = Some(e);
                self.late_synced = true;
                self.have_gen = false;
                self.sync(self.last_ts, false)
            }
            Ok((g, late)) => {
                self.late = late;
                self.install(g)
            }
        }
    }

    /// The last `Sync`; the reader then ends.
    fn done_after_sync(&mut self) -> Result<bool, Error> {
        self.finished = true;
        self.sync(self.last_ts, false)
    }

    fn install(&mut self, g: Generation) -> Result<bool, Error> {
        self.gen = g;
        self.have_gen = true;
        self.order.use_tables(&self.gen.tables);
        self.cpu_next = 0;
        self.cpu_time = self.gen.cpu_samples.first().map_or(i64::MAX, |s| s.time);
        for thread in 0..self.gen.threads.len() {
            let m = self.gen.threads[thread].m;
            let slot = if m == -1 { 0 } else { self.order.thread_slot(m) };
            let mut c = Cursor::new(&self.gen, thread, slot);
            if !c.next(&self.gen)? {
                continue;
            }
            self.frontier.push(Front { time: c.ev.time, cursor: self.cursors.len() });
            self.cursors.push(c);
        }
        if !self.frontier.is_empty() {
            self.order.begin_generation(self.gen.gen);
        }
        let time = self.gen.tables.ticks_to_ns(self.gen.min_ts);
        self.sync(time, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_check_skips_only_the_names_the_ordering_resolved() {
        for code in 0..=255u8 {
            let (stacks, strings) = Event::table_refs(code);
            let skipped = match code {
                40 => 2,
                42 | 43 => 1,
                _ => {
                    assert_eq!(CHECKED_MASKS[usize::from(code)], Event::table_mask(code), "{code}");
                    continue;
                }
            };
            // The name is one of the event's strings, and only it goes.
            assert!(strings.contains(&skipped), "{code}");
            assert_eq!(
                CHECKED_MASKS[usize::from(code)],
                Event::table_mask(code) & !(0x10 << skipped),
                "{code}"
            );
            assert_eq!(
                CHECKED_MASKS[usize::from(code)] & 0xf,
                stacks.iter().fold(0, |m, &i| m | 1 << i),
                "{code}"
            );
        }
    }

    #[test]
    fn argument_table_is_the_event_table() {
        for code in 0..=255u8 {
            let want = match EventType::from_code(code, Version::Go1_26) {
                Some(t) if t.is_timed() => t.arg_names().len() as u8 - 1,
                _ if code <= EventType::GOROUTINE_STACK_FREE.code() => UNTIMED,
                _ => INVALID,
            };
            assert_eq!(ARG_COUNTS[usize::from(code)], want, "{code}");
        }
    }

    /// The eight-byte decoding agrees with the exact one wherever it decodes: every varint
    /// length from 1 to 10 bytes, values at the edges of each length, in events of 1 to 5
    /// varints, and on bytes of a simple generator (continuation bits set at random).
    #[test]
    fn fast_varints_agree_with_the_exact_decoding() {
        fn put(out: &mut Vec<u8>, mut v: u64) {
            while v >= 0x80 {
                out.push(v as u8 | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        let mut values = vec![0u64, 1, 0x7f, 0x80, 0x3fff, 0x4000, u64::MAX];
        for k in 1..=9 {
            values.extend([(1u64 << (7 * k)) - 1, 1u64 << (7 * k)]);
        }
        let mut events: Vec<Vec<u8>> = Vec::new();
        for n in 1..=5 {
            for (i, _) in values.iter().enumerate() {
                let mut e = vec![16u8];
                for j in 0..n {
                    put(&mut e, values[(i + 3 * j) % values.len()]);
                }
                events.push(e);
            }
        }
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut e = vec![16u8];
            for _ in 0..12 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                e.push(x as u8);
            }
            events.push(e);
        }
        let mut checked = 0;
        for e in &events {
            let mut padded = e.clone();
            padded.resize(e.len() + WINDOW, 0xff);
            let window = padded.first_chunk::<WINDOW>().unwrap();
            for n in 1..=5 {
                let mut exact = [0u64; 5];
                let Some((len, dt, args)) = varints_fast(window, n as u8 - 1) else { continue };
                let fast = [dt, args[0], args[1], args[2], args[3]];
                if len > e.len() {
                    continue;
                }
                let at = varints_exact(e, &mut exact[..n]).expect("exact decoding");
                assert_eq!((len, fast), (at, exact), "{e:?}, {n} varints");
                checked += 1;
            }
        }
        assert!(checked > 20_000, "{checked}");
    }
}
