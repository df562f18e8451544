//! The ordered reader of modern traces: generations read one at a time, each thread's events
//! merged by time as far as the ordering allows, CPU samples interleaved, `Sync` events at
//! every generation boundary — what Go 1.27's `trace.Reader` returns, event for event.

use std::io::Read;

use gotrace_format::modern::{ErrorKind as ModernError, EventType, OrderFault};
use gotrace_format::{Error, ErrorKind, Version, HEADER_LEN};

use super::event::{Event, SYNC};
use super::generation::{uvarint, Generation, GenerationReader, Tables};
use super::leak::leak_text;
use super::order::{BaseEvent, Ordering};
use crate::Limits;

fn modern(offset: u64, kind: ModernError) -> Error {
    Error::new(offset, ErrorKind::Modern(kind))
}

/// One thread's position in its batches, and its next event.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    /// Index of the thread in the generation.
    thread: usize,
    m: i64,
    last_ts: i64,
    batch: usize,
    pos: usize,
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

    /// Reads the thread's next event; false when its batches are exhausted.
    #[inline]
    fn next(&mut self, gen: &Generation) -> Result<bool, Error> {
        let batches = &gen.threads[self.thread].batches;
        let t = &gen.tables;
        while self.batch < batches.len() && batches[self.batch].end - batches[self.batch].start == self.pos {
            self.batch += 1;
            self.pos = 0;
            self.last_ts = 0;
        }
        let Some(b) = batches.get(self.batch) else { return Ok(false) };
        if self.last_ts == 0 {
            self.last_ts = t.ticks_to_ns(b.time);
        }
        let data = &gen.data[b.start + self.pos..b.end];
        let offset = b.offset + self.pos as u64;
        let code = data[0];
        let count = ARG_COUNTS[usize::from(code)];
        if count >= UNTIMED {
            return Err(modern(offset, Cursor::bad_type(code)));
        }
        let (dt, n) = uvarint(&data[1..]);
        if n <= 0 {
            return Err(modern(offset, ModernError::CursorTimestamp));
        }
        let mut at = 1 + n as usize;
        let mut args = [0u64; 4];
        for arg in args.iter_mut().take(usize::from(count)) {
            let (v, n) = uvarint(&data[at..]);
            if n <= 0 {
                return Err(modern(offset, ModernError::CursorArgument));
            }
            *arg = v;
            at += n as usize;
        }
        let time = t.ticks_to_ns(dt).wrapping_add(self.last_ts);
        self.ev = BaseEvent { code, time, args };
        self.offset = offset;
        self.last_ts = time;
        self.pos += at;
        Ok(true)
    }
}

/// Go's frontier heap: a binary min-heap on the time of each cursor's event, with Go's exact
/// sift rules, so that ties between threads break as Go breaks them.
fn sift_up(h: &mut [Cursor], mut i: usize) -> usize {
    while i > 0 && h[(i - 1) / 2].ev.time > h[i].ev.time {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    i
}

fn sift_down(h: &mut [Cursor], mut i: usize) {
    loop {
        let mut m = i;
        let mut min_t = if i < h.len() { h[i].ev.time } else { i64::MAX };
        for c in [2 * i + 1, 2 * i + 2] {
            if c < h.len() && h[c].ev.time < min_t {
                min_t = h[c].ev.time;
                m = c;
            }
        }
        if m == i {
            return;
        }
        h.swap(i, m);
        i = m;
    }
}

fn heap_update(h: &mut [Cursor], i: usize) {
    if sift_up(h, i) != i {
        return;
    }
    sift_down(h, i);
}

fn heap_remove(h: &mut Vec<Cursor>, mut i: usize) {
    while i > 0 {
        h.swap((i - 1) / 2, i);
        i = (i - 1) / 2;
    }
    let last = h.len() - 1;
    h.swap(0, last);
    h.pop();
    sift_down(h, 0);
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
/// version 26 the first batch of the next generation, and a 64 KiB read buffer; the ordering
/// state grows with the live goroutines, Ps and threads.
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
    frontier: Vec<Cursor>,
    cpu_next: usize,
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
    /// The event `step` produced, and its offset.
    out: Event,
    out_offset: u64,
    empty: Tables,
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
        let mut read = 0;
        while read < HEADER_LEN {
            match reader.read(&mut header[read..]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::new(read as u64, ErrorKind::Io { kind: e.kind() })),
            }
        }
        if read < HEADER_LEN {
            return Err(Error::new(read as u64, ErrorKind::HeaderTruncated { read: read as u8 }));
        }
        let version = gotrace_format::parse_header(&header)?;
        if version.is_legacy() {
            return Err(Error::new(0, ErrorKind::UnsupportedVersion { number: version.number() }));
        }
        Ok(Reader {
            version,
            gens: GenerationReader::new(reader, version, HEADER_LEN as u64, limits),
            gen: Generation::default(),
            have_gen: false,
            frontier: Vec::new(),
            cpu_next: 0,
            order: Ordering::default(),
            syncs: 0,
            last_ts: 0,
            late: None,
            late_synced: false,
            done: false,
            finished: false,
            queued_offset: 0,
            out: Event { time: 0, g: -1, p: -1, m: -1, args: [0; 4], code: SYNC },
            out_offset: 0,
            empty: Tables::default(),
        })
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
    pub fn next_event(&mut self) -> Result<Option<Event>, Error> {
        if self.done {
            return Ok(None);
        }
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
        let (mut ev, offset) = (self.out, self.out_offset);
        if ev.code != SYNC {
            let (stacks, strings) = Event::table_refs(ev.code);
            let t = &self.gen.tables;
            let event = ev.event_type().unwrap_or(EventType::EVENT_BATCH);
            for &i in stacks {
                if t.stack_pcs(ev.args[i]).is_none() {
                    self.done = true;
                    return Err(modern(offset, ModernError::UndefinedStack { id: ev.args[i], event }));
                }
            }
            for &i in strings {
                if t.string(ev.args[i]).is_none() {
                    self.done = true;
                    return Err(modern(offset, ModernError::UndefinedString { id: ev.args[i], event }));
                }
            }
        }
        if ev.time <= self.last_ts {
            ev.time = self.last_ts + 1;
        }
        self.last_ts = ev.time;
        Ok(Some(ev))
    }

    /// Sets the next event to a `Sync`.
    fn sync(&mut self, time: i64, with_tables: bool) -> Result<bool, Error> {
        self.syncs += 1;
        let ev =
            Event { time, g: -1, p: -1, m: -1, args: [self.syncs, u64::from(with_tables), 0, 0], code: SYNC };
        let offset = self.gens.offset();
        self.emit(ev, offset)
    }

    /// Sets the next event (kept in the reader: a large return value would be copied bytewise).
    #[inline]
    fn emit(&mut self, ev: Event, offset: u64) -> Result<bool, Error> {
        self.out = ev;
        self.out_offset = offset;
        Ok(true)
    }

    /// The next event before the table check and the time fix, with its file offset.
    fn step(&mut self) -> Result<bool, Error> {
        if let Some(ev) = self.order.pop() {
            return self.emit(ev, self.queued_offset);
        }
        if self.finished {
            return Ok(false);
        }
        let cpu_left = self.cpu_next < self.gen.cpu_samples.len();
        if self.frontier.is_empty() && !cpu_left {
            return self.next_generation();
        }
        if cpu_left {
            let s = self.gen.cpu_samples[self.cpu_next];
            if self.frontier.is_empty() || s.time < self.frontier[0].ev.time {
                self.cpu_next += 1;
                let ev = Event { time: s.time, g: s.g, p: s.p, m: s.m, args: [s.stack, 0, 0, 0], code: 7 };
                let offset = self.gens.offset();
                return self.emit(ev, offset);
            }
        }
        if !self.try_advance(0)? {
            self.frontier.sort_by_key(|c| c.ev.time);
            let mut success = false;
            for i in 1..self.frontier.len() {
                if self.try_advance(i)? {
                    success = true;
                    break;
                }
            }
            if !success {
                return Err(self.failed_to_advance(self.frontier[0].offset));
            }
        }
        match self.order.pop() {
            Some(ev) => self.emit(ev, self.queued_offset),
            None => Err(self.failed_to_advance(self.queued_offset)),
        }
    }

    /// Go's "failed to advance" error, with its dump of the state: each thread's next event (the
    /// frontier, by time), then the ordering's.
    #[cold]
    fn failed_to_advance(&self, offset: u64) -> Error {
        use std::fmt::Write;
        let mut state = String::new();
        for c in &self.frontier {
            let t = EventType::from_code(c.ev.code, Version::Go1_26).unwrap_or(EventType::EVENT_BATCH);
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

    fn try_advance(&mut self, i: usize) -> Result<bool, Error> {
        let c = &mut self.frontier[i];
        let offset = c.offset;
        let accepted = self
            .order
            .advance(&mut c.ev, &mut self.gen.tables, c.m, self.gen.gen)
            .map_err(|f| modern(offset, ModernError::Order(f)))?;
        if !accepted {
            return Ok(false);
        }
        self.queued_offset = offset;
        if c.next(&self.gen)? {
            heap_update(&mut self.frontier, i);
        } else {
            heap_remove(&mut self.frontier, i);
        }
        Ok(true)
    }

    fn next_generation(&mut self) -> Result<bool, Error> {
        // Every event of the current generation is out: its batches' bytes can go (its tables
        // stay until the next generation's are installed).
        self.gen.threads.clear();
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
        self.cpu_next = 0;
        for thread in 0..self.gen.threads.len() {
            let m = self.gen.threads[thread].m;
            let mut c =
                Cursor { thread, m, last_ts: 0, batch: 0, pos: 0, ev: BaseEvent::default(), offset: 0 };
            if !c.next(&self.gen)? {
                continue;
            }
            self.frontier.push(c);
            let last = self.frontier.len() - 1;
            sift_up(&mut self.frontier, last);
        }
        let time = self.gen.tables.ticks_to_ns(self.gen.min_ts);
        self.sync(time, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
