//! Generations of a modern trace: the batches of one generation read from the input, with its
//! string, stack and CPU-sample tables and its clock, checked as Go 1.27's reader checks them.
//!
//! Batches are read as Go's reader reads them: a batch header, then `size` bytes of body that
//! are not looked into until the ordering reaches them. Table batches (strings, stacks, CPU
//! samples, the frequency or sync batch) are decoded as they arrive; event batches are kept,
//! per thread, in one buffer per generation. Before version 26 a generation ends where the
//! first batch of the next one starts (that batch is kept for the next generation); from 26
//! it ends at its `EndOfGeneration` byte.

use std::io::{self, Read};

use gotrace_format::modern::{BatchField, ErrorKind as ModernError, EventType, ReadFault};
use gotrace_format::{Error, ErrorKind, Limit, Version};

use crate::Limits;

use crate::hash::FastMap;
use crate::leak::leak_text;

/// Bytes asked of the underlying reader at a time: a batch body is at most 64 KiB, and the
/// part of one left in the buffer moves to its front before each read.
const READ_CHUNK: usize = 256 * 1024;

fn modern(offset: u64, kind: ModernError) -> Error {
    Error::new(offset, ErrorKind::Modern(kind))
}

/// A batch of timed events of one thread, its body kept in the generation's buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EventBatch {
    /// The batch's base timestamp, in clock ticks.
    pub time: u64,
    /// The body: `data[start..end]` of the generation.
    pub start: usize,
    /// End of the body.
    pub end: usize,
    /// File offset of the body's first byte.
    pub offset: u64,
}

/// One thread's event batches, in file order.
#[derive(Debug)]
pub(crate) struct ThreadBatches {
    /// The thread (`-1`: no thread).
    pub m: i64,
    /// Its batches.
    pub batches: Vec<EventBatch>,
}

/// A CPU profile sample of a generation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CpuSample {
    /// Nanoseconds (converted from ticks when the generation is complete).
    pub time: i64,
    /// Thread, P, goroutine (`-1` for none).
    pub m: i64,
    /// The P.
    pub p: i64,
    /// The goroutine.
    pub g: i64,
    /// The stack id.
    pub stack: u64,
}

/// The clock snapshot of a generation (versions 25 and 26).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockSnapshot {
    /// The trace clock, in nanoseconds.
    pub trace: i64,
    /// The monotonic clock, in nanoseconds.
    pub mono: u64,
    /// Wall clock: seconds since the Unix epoch.
    pub sec: i64,
    /// Wall clock: nanoseconds within the second.
    pub nsec: i64,
}

/// One frame of a stack, its strings resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The program counter.
    pub pc: u64,
    /// The function's name.
    pub func: &'a [u8],
    /// The source file.
    pub file: &'a [u8],
    /// The line.
    pub line: u64,
}

#[derive(Clone, Copy, Debug)]
struct FrameInfo {
    func: u64,
    file: u64,
    line: u64,
}

/// A table from ids to values, as Go's `dataTable`: id 0 always present (an empty value),
/// other ids defined once. Built in a hash map, turned into a dense vector when the ids allow.
#[derive(Debug)]
struct IdTable<V: Copy> {
    dense: Vec<Option<V>>,
    sparse: FastMap<u64, V>,
}

impl<V: Copy> Default for IdTable<V> {
    fn default() -> Self {
        IdTable { dense: Vec::new(), sparse: FastMap::default() }
    }
}

impl<V: Copy> IdTable<V> {
    /// Inserts; on a duplicate returns the existing value.
    fn insert(&mut self, id: u64, value: V) -> Result<(), Option<V>> {
        if id == 0 {
            return Err(None);
        }
        match self.sparse.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => Err(Some(*e.get())),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(value);
                Ok(())
            }
        }
    }

    /// Entries, as memory counts them (the dense vector's slots, used or not).
    fn len(&self) -> usize {
        self.dense.len() + self.sparse.len()
    }

    fn compactify(&mut self) {
        let len = self.sparse.len() as u64;
        let Some(&max) = self.sparse.keys().max() else { return };
        if max <= 2 * len + 64 {
            self.dense = vec![None; max as usize + 1];
            for (&id, &v) in &self.sparse {
                self.dense[id as usize] = Some(v);
            }
            self.sparse = FastMap::default();
        }
    }

    /// The value of a defined id other than 0.
    #[inline]
    fn get(&self, id: u64) -> Option<V> {
        match self.dense.get(id as usize) {
            Some(v) => *v,
            None if self.sparse.is_empty() => None,
            None => self.sparse.get(&id).copied(),
        }
    }

    /// Defined ids with their values, by id.
    fn sorted(&self) -> Vec<(u64, V)> {
        let mut all: Vec<(u64, V)> = self
            .dense
            .iter()
            .enumerate()
            .filter_map(|(id, v)| v.map(|v| (id as u64, v)))
            .chain(self.sparse.iter().map(|(&id, &v)| (id, v)))
            .collect();
        all.sort_unstable_by_key(|&(id, _)| id);
        all
    }
}

/// The tables of one generation: strings, stacks and their frames, the clock. Events returned
/// between two `Sync` events resolve their strings and stacks here
/// ([`Reader::tables`](super::Reader::tables)).
///
/// ```
/// use gotrace_parser::modern::{EventKind, Reader};
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/recorded/go1.23/annotations.trace"))?;
/// let mut reader = Reader::new(std::io::BufReader::new(file))?;
/// let mut frames = 0;
/// while let Some(event) = reader.next_event()? {
///     if let Some(stack) = event.stack() {
///         frames += reader.tables().frames(stack).count();
///     }
/// }
/// assert!(frames > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Tables {
    gen: u64,
    /// Unique among the tables of the process (0: empty tables), for caches keyed by table.
    serial: u64,
    strings: IdTable<(u32, u32)>,
    string_bytes: Vec<u8>,
    stacks: IdTable<(u32, u32)>,
    pcs: Vec<u64>,
    frames: FastMap<u64, FrameInfo>,
    /// Strings the ordering adds (the type of a task ended in a later generation).
    extra: Vec<Box<[u8]>>,
    extra_ids: FastMap<Box<[u8]>, u64>,
    /// Nanoseconds per clock tick.
    freq: f64,
    /// `k` when `freq` is `2^k` (`k < 8`, as Go's 64-ns ticks give), for a conversion without
    /// floating point where it is exact: below `exact_below` ticks (`2^53` then, else 0).
    freq_shift: u32,
    exact_below: u64,
    has_freq: bool,
    clock: Option<(u64, u64, u64, u64)>,
}

impl Tables {
    /// The generation's number as the trace gives it (0 for the tables of no generation).
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.gen
    }

    /// A number no other generation's tables of this process have (0 for empty tables).
    pub(crate) fn serial(&self) -> u64 {
        self.serial
    }

    /// The string `id` (`Some(b"")` for 0, `None` if the generation defines none).
    #[must_use]
    #[inline]
    pub fn string(&self, id: u64) -> Option<&[u8]> {
        if id == 0 {
            return Some(b"");
        }
        let (start, len) = self.strings.get(id)?;
        Some(&self.string_bytes[start as usize..(start + len) as usize])
    }

    /// The PCs of stack `id` (empty for 0), `None` if the generation defines none.
    #[must_use]
    pub fn stack_pcs(&self, id: u64) -> Option<&[u64]> {
        if id == 0 {
            return Some(&[]);
        }
        let (start, len) = self.stacks.get(id)?;
        Some(&self.pcs[start as usize..(start + len) as usize])
    }

    /// True when the generation defines string `id` (0 always).
    #[inline]
    pub(crate) fn has_string(&self, id: u64) -> bool {
        id == 0 || self.strings.get(id).is_some()
    }

    /// True when the generation defines stack `id` (0 always).
    #[inline]
    pub(crate) fn has_stack(&self, id: u64) -> bool {
        id == 0 || self.stacks.get(id).is_some()
    }

    /// The frames of stack `id`, innermost first (none for an unknown id).
    pub fn frames(&self, id: super::StackId) -> impl Iterator<Item = Frame<'_>> + '_ {
        self.stack_pcs(id.get()).unwrap_or(&[]).iter().map(move |&pc| {
            let f = self.frames.get(&pc).copied().unwrap_or(FrameInfo { func: 0, file: 0, line: 0 });
            Frame {
                pc,
                func: self.string(f.func).unwrap_or(b""),
                file: self.string(f.file).unwrap_or(b""),
                line: f.line,
            }
        })
    }

    /// The generation's clock snapshot (versions 25 and 26).
    #[must_use]
    pub fn clock_snapshot(&self) -> Option<ClockSnapshot> {
        self.clock.map(|(time, mono, sec, nsec)| ClockSnapshot {
            trace: self.ticks_to_ns(time),
            mono,
            sec: sec as i64,
            nsec: nsec as i64,
        })
    }

    /// Nanoseconds of a tick count, as Go converts them (through a `float64`, and back as Go
    /// does on amd64: a product out of `i64`'s range is `i64::MIN`).
    #[inline]
    pub(crate) fn ticks_to_ns(&self, ticks: u64) -> i64 {
        // Below 2^53 ticks the float is the integer, and scaling by 2^k is exact.
        if ticks < self.exact_below {
            (ticks << self.freq_shift) as i64
        } else {
            crate::go_float::go_int64(ticks as f64 * self.freq)
        }
    }

    /// An extra string's id (0 for the empty string).
    pub(crate) fn add_extra(&mut self, s: &[u8]) -> u64 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.extra_ids.get(s) {
            return id;
        }
        self.extra.push(s.into());
        let id = self.extra.len() as u64;
        self.extra_ids.insert(s.into(), id);
        id
    }

    /// The extra string `id`.
    pub(crate) fn extra(&self, id: u64) -> &[u8] {
        match id {
            0 => b"",
            _ => self.extra.get(id as usize - 1).map_or(&[][..], |s| &s[..]),
        }
    }
}

/// A number no earlier tables of the process got ([`Tables::serial`]).
fn next_serial() -> u64 {
    static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The one table of a legacy trace converted to the modern model (crate::convert): strings and
/// stacks added one by one, then sealed.
impl Tables {
    /// Adds string `id` (ignored when `id` is 0 or already defined).
    pub(crate) fn add_string(&mut self, id: u64, bytes: &[u8]) {
        let start = self.string_bytes.len() as u32;
        if self.strings.insert(id, (start, bytes.len() as u32)).is_ok() {
            self.string_bytes.extend_from_slice(bytes);
        }
    }

    /// Adds stack `id` with its frames `(pc, func, file, line)`; the first frame given for a
    /// PC is the one every stack shows, as in Go.
    pub(crate) fn add_stack(&mut self, id: u64, frames: impl Iterator<Item = (u64, u64, u64, u64)>) {
        let start = self.pcs.len();
        for (pc, func, file, line) in frames {
            self.pcs.push(pc);
            self.frames.entry(pc).or_insert(FrameInfo { func, file, line });
        }
        if self.stacks.insert(id, (start as u32, (self.pcs.len() - start) as u32)).is_err() {
            self.pcs.truncate(start);
        }
    }

    /// Ends the additions: a serial of their own, the id tables made dense where they can be.
    pub(crate) fn seal(&mut self) {
        self.serial = next_serial();
        self.strings.compactify();
        self.stacks.compactify();
    }
}

/// A generation read whole: its tables, its threads' event batches, its CPU samples.
#[derive(Debug, Default)]
pub(crate) struct Generation {
    /// The generation number.
    pub gen: u64,
    /// Smallest batch timestamp, in ticks.
    pub min_ts: u64,
    /// The tables.
    pub tables: Tables,
    /// Bodies of the event batches.
    pub data: Vec<u8>,
    /// Event batches by thread, threads in order of their first batch.
    pub threads: Vec<ThreadBatches>,
    thread_index: FastMap<i64, usize>,
    /// CPU samples sorted by time.
    pub cpu_samples: Vec<CpuSample>,
    has_clock: bool,
    /// The caps the reader was given.
    limits: Limits,
}

/// A batch header as read.
#[derive(Clone, Copy, Debug)]
struct Header {
    /// The experiment (0: none).
    exp: u8,
    gen: u64,
    m: u64,
    time: u64,
    /// File offset of the header.
    offset: u64,
    /// An `EndOfGeneration` byte rather than a batch.
    end_of_generation: bool,
}

/// A batch read from the input: the header, the body in the reader's buffer.
struct RawBatch {
    header: Header,
    body_offset: u64,
}

/// Reads batches from the input, with Go's framing checks.
#[derive(Debug)]
pub(crate) struct BatchReader<R> {
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// File offset of `buf[pos]`.
    offset: u64,
}

impl<R: Read> BatchReader<R> {
    /// Reads from `reader`, whose next byte is at file offset `offset`.
    pub fn new(reader: R, offset: u64) -> BatchReader<R> {
        BatchReader { reader, buf: Vec::new(), pos: 0, end: 0, eof: false, offset }
    }

    /// File offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Makes at least `need` bytes available unless the input ends first.
    fn fill(&mut self, need: usize) -> Result<(), Error> {
        if self.end - self.pos >= need {
            return Ok(());
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        while self.end < need && !self.eof {
            if self.buf.len() < self.end + READ_CHUNK {
                self.buf.resize(self.end + READ_CHUNK, 0);
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let offset = self.offset + (self.end - self.pos) as u64;
                    return Err(Error::new(offset, ErrorKind::Io { kind: e.kind() }));
                }
            }
        }
        Ok(())
    }

    fn read_byte(&mut self) -> Result<Option<u8>, Error> {
        self.fill(1)?;
        if self.pos == self.end {
            return Ok(None);
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        self.offset += 1;
        Ok(Some(b))
    }

    /// A varint as `binary.ReadUvarint` reads it.
    fn read_uvarint(&mut self) -> Result<Result<u64, ReadFault>, Error> {
        self.fill(10)?;
        let avail = &self.buf[self.pos..self.end];
        let (value, used) = uvarint(avail);
        let n = used.unsigned_abs();
        self.pos += n;
        self.offset += n as u64;
        Ok(match used {
            n if n > 0 => Ok(value),
            0 if avail.is_empty() => Err(ReadFault::Eof),
            0 => Err(ReadFault::UnexpectedEof),
            _ => Err(ReadFault::Overflow),
        })
    }

    /// The next batch; `None` at the end of the input. The body stays in the buffer until the
    /// next call (`body()`).
    fn next_batch(&mut self) -> Result<Option<(RawBatch, usize, usize)>, Error> {
        let offset = self.offset;
        let Some(b) = self.read_byte()? else { return Ok(None) };
        let header = |exp, gen, m, time| Header { exp, gen, m, time, offset, end_of_generation: false };
        if b == EventType::END_OF_GENERATION.code() {
            let h = Header { end_of_generation: true, ..header(0, 0, u64::MAX, 0) };
            return Ok(Some((RawBatch { header: h, body_offset: self.offset }, 0, 0)));
        }
        if b != EventType::EVENT_BATCH.code() && b != EventType::EXPERIMENTAL_BATCH.code() {
            return Err(modern(offset, ModernError::ExpectedBatch { code: b }));
        }
        let mut exp = 0;
        if b == EventType::EXPERIMENTAL_BATCH.code() {
            // Go returns the byte reader's error as is: an end here reads as the end.
            let Some(e) = self.read_byte()? else { return Ok(None) };
            exp = e;
        }
        let field = |r: &mut Self, f: BatchField| -> Result<u64, Error> {
            r.read_uvarint()?.map_err(|fault| modern(offset, ModernError::BadBatchHeader { field: f, fault }))
        };
        let gen = field(self, BatchField::Gen)?;
        let m = field(self, BatchField::M)?;
        let time = field(self, BatchField::Time)?;
        let size = field(self, BatchField::Size)?;
        if size > gotrace_format::modern::MAX_BATCH_SIZE {
            return Err(modern(offset, ModernError::BatchTooLarge { size }));
        }
        let size = size as usize;
        self.fill(size)?;
        let have = self.end - self.pos;
        if have < size {
            return Err(modern(offset, ModernError::BatchTruncated { read: have as u64, want: size as u64 }));
        }
        let body_offset = self.offset;
        let start = self.pos;
        self.pos += size;
        self.offset += size as u64;
        Ok(Some((RawBatch { header: header(exp, gen, m, time), body_offset }, start, start + size)))
    }
}

/// `binary.Uvarint`: the value and the bytes used; 0 bytes if `buf` ends first, `-(n)` if the
/// value overflows 64 bits at byte `n`.
#[inline]
pub(crate) fn uvarint(buf: &[u8]) -> (u64, isize) {
    match buf.first() {
        Some(&b) if b < 0x80 => (u64::from(b), 1),
        _ => uvarint_slow(buf),
    }
}

fn uvarint_slow(buf: &[u8]) -> (u64, isize) {
    let mut x = 0u64;
    let mut s = 0u32;
    for (i, &b) in buf.iter().enumerate().take(10) {
        if b < 0x80 {
            if i == 9 && b > 1 {
                return (0, -(i as isize + 1));
            }
            return (x | u64::from(b) << s, i as isize + 1);
        }
        x |= u64::from(b & 0x7f) << s;
        s += 7;
    }
    if buf.len() >= 10 {
        return (0, -11);
    }
    (0, 0)
}

/// A reader of table entries inside one batch body, with `binary.ReadUvarint`'s faults.
struct Entries<'a> {
    data: &'a [u8],
    pos: usize,
    /// File offset of `data[0]`.
    offset: u64,
}

impl Entries<'_> {
    fn here(&self) -> u64 {
        self.offset + self.pos as u64
    }

    fn uvarint(&mut self) -> Result<u64, ReadFault> {
        let (v, n) = uvarint(&self.data[self.pos..]);
        match n {
            n if n > 0 => {
                self.pos += n as usize;
                Ok(v)
            }
            0 if self.pos == self.data.len() => Err(ReadFault::Eof),
            0 => {
                self.pos = self.data.len();
                Err(ReadFault::UnexpectedEof)
            }
            n => {
                self.pos += n.unsigned_abs().min(10);
                Err(ReadFault::Overflow)
            }
        }
    }

    fn value(&mut self, at: u64) -> Result<u64, Error> {
        self.uvarint().map_err(|fault| modern(at, ModernError::TableValue { fault }))
    }
}

/// Reads generations one at a time.
#[derive(Debug)]
pub(crate) struct GenerationReader<R> {
    batches: BatchReader<R>,
    version: Version,
    /// Before 26: the first batch of the next generation, read already.
    spill: Option<(Header, u64, Vec<u8>)>,
    /// The buffer of a generation done with, reused for the next one's batches.
    spare: Vec<u8>,
    limits: Limits,
    /// Batch records read so far.
    batches_read: u64,
}

impl<R: Read> GenerationReader<R> {
    /// Reads the batches of `reader`, whose next byte is at `offset`, a trace of `version`,
    /// within `limits`.
    pub fn new(reader: R, version: Version, offset: u64, limits: Limits) -> GenerationReader<R> {
        GenerationReader {
            batches: BatchReader::new(reader, offset),
            version,
            spill: None,
            spare: Vec::new(),
            limits,
            batches_read: 0,
        }
    }

    /// Counts a batch against the limits: batches of the trace, bytes the generation holds with
    /// this one's body.
    fn admit(&mut self, g: &Generation, h: &Header, body: usize) -> Result<(), Error> {
        self.batches_read += 1;
        let max = self.limits.get_max_batches();
        if self.batches_read > max {
            let kind = ErrorKind::LimitExceeded { what: Limit::Batches, value: self.batches_read, max };
            return Err(Error::new(h.offset, kind));
        }
        let held = g.bytes_held() + body as u64;
        let max = self.limits.get_max_bytes_held();
        if held > max {
            return Err(Error::new(
                h.offset,
                ErrorKind::LimitExceeded { what: Limit::BytesHeld, value: held, max },
            ));
        }
        Ok(())
    }

    /// File offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.batches.offset()
    }

    /// Batch records counted against [`Limits::max_batches`] so far.
    pub fn batches_read(&self) -> u64 {
        self.batches_read
    }

    /// The limits the reader reads within.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Takes back the batch buffer of a generation whose events are all ordered.
    pub fn recycle(&mut self, mut data: Vec<u8>) {
        data.clear();
        if data.capacity() > self.spare.capacity() {
            self.spare = data;
        }
    }

    fn new_generation(&mut self) -> Generation {
        Generation { data: std::mem::take(&mut self.spare), limits: self.limits, ..Generation::default() }
    }

    /// True when a batch of the next generation has been read (before version 26).
    pub fn has_spill(&self) -> bool {
        self.spill.is_some()
    }

    /// Version 26: the next generation, `None` at the clean end of the trace.
    pub fn next_generation(&mut self) -> Result<Option<Generation>, Error> {
        let mut g = self.new_generation();
        let mut any = false;
        loop {
            let Some((batch, start, end)) = self.batches.next_batch()? else {
                if any {
                    return Err(modern(self.offset(), ModernError::IncompleteGeneration));
                }
                return Ok(None);
            };
            let h = batch.header;
            if g.gen == 0 {
                g.gen = h.gen;
            }
            if h.end_of_generation {
                break;
            }
            if h.gen == 0 {
                return Err(modern(h.offset, ModernError::InvalidGeneration { gen: 0 }));
            }
            if h.gen != g.gen {
                return Err(modern(h.offset, ModernError::InterleavedGenerations));
            }
            any = true;
            if g.min_ts == 0 || h.time < g.min_ts {
                g.min_ts = h.time;
            }
            self.admit(&g, &h, end - start)?;
            let body = &self.batches.buf[start..end];
            g.add_batch(h, body, batch.body_offset, self.version)?;
        }
        let at = self.offset();
        g.finish(at, self.version)?;
        Ok(Some(g))
    }

    /// Before version 26: the next generation, and an error met after some of its batches
    /// (reported after the generation's events, as Go does). `Ok((None, None))` never happens:
    /// at the end of the input with nothing read, the frequency is missing.
    pub fn next_generation_with_spill(&mut self) -> Result<(Generation, Option<Error>), Error> {
        let mut g = self.new_generation();
        if let Some((h, body_offset, body)) = self.spill.take() {
            g.gen = h.gen;
            g.min_ts = h.time;
            self.admit(&g, &h, body.len())?;
            g.add_batch(h, &body, body_offset, self.version)?;
        }
        let mut late = None;
        loop {
            let batch = match self.batches.next_batch() {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) if g.gen != 0 => {
                    late = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            let (batch, start, end) = batch;
            let h = batch.header;
            if h.gen == 0 {
                return Err(modern(h.offset, ModernError::InvalidGeneration { gen: 0 }));
            }
            if g.gen == 0 {
                g.gen = h.gen;
            }
            let body = &self.batches.buf[start..end];
            if h.gen == g.gen.wrapping_add(1) {
                self.spill = Some((h, batch.body_offset, body.to_vec()));
                break;
            }
            if h.gen != g.gen {
                return Err(modern(h.offset, ModernError::GenerationsOutOfOrder));
            }
            if g.min_ts == 0 || h.time < g.min_ts {
                g.min_ts = h.time;
            }
            let size = end - start;
            self.admit(&g, &h, size)?;
            let body = &self.batches.buf[start..end];
            g.add_batch(h, body, batch.body_offset, self.version)?;
        }
        let at = self.offset();
        g.finish(at, self.version)?;
        Ok((g, late))
    }
}

impl Generation {
    /// The bytes the generation holds, as the limits count them: batch bodies, string bytes, 8
    /// per PC and 32 per distinct frame, 16 per table entry and CPU sample.
    fn bytes_held(&self) -> u64 {
        let t = &self.tables;
        let entries = t.strings.len() + t.stacks.len() + self.cpu_samples.len();
        (self.data.len() + t.string_bytes.len() + 8 * t.pcs.len() + 32 * t.frames.len() + 16 * entries) as u64
    }

    fn add_batch(&mut self, h: Header, body: &[u8], body_offset: u64, version: Version) -> Result<(), Error> {
        if h.exp != 0 {
            // Experimental data is opaque to the ordering; Go hands it to Sync events.
            return Ok(());
        }
        let first = body.first().copied();
        let sync_code = if version < Version::Go1_25 { EventType::FREQUENCY } else { EventType::SYNC };
        let mut entries = Entries { data: body, pos: 1, offset: body_offset };
        match first {
            Some(c) if c == EventType::STRINGS.code() => self.add_strings(&mut entries),
            Some(c) if c == EventType::STACKS.code() => self.add_stacks(&mut entries),
            Some(c) if c == EventType::CPU_SAMPLES.code() => self.add_cpu_samples(&mut entries),
            Some(c) if c == sync_code.code() => {
                if version < Version::Go1_25 {
                    entries.pos = 0;
                }
                self.set_sync(&mut entries, h.time, version)
            }
            _ => {
                let m = h.m as i64;
                let index = match self.thread_index.get(&m) {
                    Some(&i) => i,
                    None => {
                        self.threads.push(ThreadBatches { m, batches: Vec::new() });
                        self.thread_index.insert(m, self.threads.len() - 1);
                        self.threads.len() - 1
                    }
                };
                let start = self.data.len();
                self.data.extend_from_slice(body);
                self.threads[index].batches.push(EventBatch {
                    time: h.time,
                    start,
                    end: self.data.len(),
                    offset: body_offset,
                });
                Ok(())
            }
        }
    }

    fn add_strings(&mut self, r: &mut Entries) -> Result<(), Error> {
        let t = &mut self.tables;
        while r.pos < r.data.len() {
            let at = r.here();
            let code = r.data[r.pos];
            r.pos += 1;
            if code != EventType::STRING.code() {
                return Err(modern(at, ModernError::ExpectedTableEntry { table: "string", code }));
            }
            let id = r.value(at)?;
            let len = r.value(at)?;
            if len > gotrace_format::modern::MAX_STRING_LEN {
                return Err(modern(at, ModernError::StringTooLong { len }));
            }
            let max = self.limits.get_max_string_len();
            if len > max {
                return Err(Error::new(
                    at,
                    ErrorKind::LimitExceeded { what: Limit::StringLen, value: len, max },
                ));
            }
            let have = (r.data.len() - r.pos) as u64;
            if have < len {
                return Err(modern(at, ModernError::StringTruncated { read: have, want: len }));
            }
            let bytes = &r.data[r.pos..r.pos + len as usize];
            r.pos += len as usize;
            let start = t.string_bytes.len() as u32;
            if let Err(existing) = t.strings.insert(id, (start, len as u32)) {
                let old = existing.map_or(&b""[..], |(s, l)| &t.string_bytes[s as usize..(s + l) as usize]);
                let text = format!(
                    "multiple strings with the same ID: id={id}, new={}, existing={}",
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(old)
                );
                return Err(modern(at, ModernError::DuplicateId { text: leak_text(text) }));
            }
            t.string_bytes.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn add_stacks(&mut self, r: &mut Entries) -> Result<(), Error> {
        let t = &mut self.tables;
        while r.pos < r.data.len() {
            let at = r.here();
            let code = r.data[r.pos];
            r.pos += 1;
            if code != EventType::STACK.code() {
                return Err(modern(at, ModernError::ExpectedTableEntry { table: "stack", code }));
            }
            let id = r.value(at)?;
            let frames = r.value(at)?;
            if frames > gotrace_format::modern::MAX_STACK_FRAMES {
                return Err(modern(at, ModernError::StackTooDeep { frames }));
            }
            let max = self.limits.get_max_stack_frames();
            if frames > max {
                return Err(Error::new(
                    at,
                    ErrorKind::LimitExceeded { what: Limit::StackFrames, value: frames, max },
                ));
            }
            let start = t.pcs.len();
            for frame in 1..=frames {
                let mut field = |name| {
                    r.uvarint().map_err(|fault| {
                        modern(at, ModernError::FrameValue { frame, field: name, stack: id, fault })
                    })
                };
                let pc = field("PC")?;
                let func = field("funcID")?;
                let file = field("fileID")?;
                let line = field("line")?;
                t.pcs.push(pc);
                t.frames.entry(pc).or_insert(FrameInfo { func, file, line });
            }
            if let Err(existing) = t.stacks.insert(id, (start as u32, frames as u32)) {
                let show = |pcs: &[u64]| pcs.iter().map(|pc| format!("\t{pc:#x}\n")).collect::<String>();
                let old = existing.map_or(String::new(), |(s, l)| show(&t.pcs[s as usize..(s + l) as usize]));
                let text = format!(
                    "multiple trace.stacks with the same ID: id={id}, new={}, existing={old}",
                    show(&t.pcs[start..])
                );
                return Err(modern(at, ModernError::DuplicateId { text: leak_text(text) }));
            }
        }
        Ok(())
    }

    fn add_cpu_samples(&mut self, r: &mut Entries) -> Result<(), Error> {
        while r.pos < r.data.len() {
            let at = r.here();
            let code = r.data[r.pos];
            r.pos += 1;
            if code != EventType::CPU_SAMPLE.code() {
                return Err(modern(at, ModernError::ExpectedTableEntry { table: "CPU sample", code }));
            }
            let time = r.value(at)?;
            let m = r.value(at)?;
            let p = r.value(at)?;
            let g = r.value(at)?;
            let stack = r.value(at)?;
            let g = if g == 0 { -1 } else { g as i64 };
            self.cpu_samples.push(CpuSample { time: time as i64, m: m as i64, p: p as i64, g, stack });
        }
        Ok(())
    }

    fn set_sync(&mut self, r: &mut Entries, batch_time: u64, version: Version) -> Result<(), Error> {
        let mut last = batch_time;
        while r.pos < r.data.len() {
            let at = r.here();
            let code = r.data[r.pos];
            r.pos += 1;
            if code == EventType::FREQUENCY.code() {
                if self.tables.has_freq {
                    return Err(modern(at, ModernError::MultipleFrequency));
                }
                let f = r.value(at)?;
                self.tables.freq = 1.0 / (f as f64 / 1e9);
                self.tables.has_freq = self.tables.freq != 0.0;
                let shift = (0..8).find(|&k| self.tables.freq == f64::from(1u32 << k));
                self.tables.freq_shift = shift.unwrap_or(0);
                self.tables.exact_below = if shift.is_some() { 1 << 53 } else { 0 };
            } else if code == EventType::CLOCK_SNAPSHOT.code() && version >= Version::Go1_25 {
                if self.has_clock {
                    return Err(modern(at, ModernError::MultipleClockSnapshot));
                }
                self.has_clock = true;
                let dt = r.value(at)?;
                last = last.wrapping_add(dt);
                let mono = r.value(at)?;
                let sec = r.value(at)?;
                let nsec = r.value(at)?;
                self.tables.clock = Some((last, mono, sec, nsec));
            } else {
                return Err(modern(at, ModernError::ExpectedSyncEvent { code }));
            }
        }
        Ok(())
    }

    /// The checks of a complete generation; `at` is where it ends.
    fn finish(&mut self, at: u64, version: Version) -> Result<(), Error> {
        if !self.tables.has_freq {
            return Err(modern(at, ModernError::NoFrequency));
        }
        if version >= Version::Go1_25 && !self.has_clock {
            return Err(modern(at, ModernError::NoClockSnapshot));
        }
        let t = &mut self.tables;
        t.gen = self.gen;
        t.serial = next_serial();
        t.stacks.compactify();
        t.strings.compactify();
        for (id, (start, len)) in t.stacks.sorted() {
            for &pc in &t.pcs[start as usize..(start + len) as usize] {
                let Some(f) = t.frames.get(&pc) else {
                    return Err(modern(at, ModernError::UnknownPc { pc, stack: id }));
                };
                if t.string(f.func).is_none() {
                    return Err(modern(
                        at,
                        ModernError::FrameString { field: "func", id: f.func, stack: id },
                    ));
                }
                if t.string(f.file).is_none() {
                    return Err(modern(
                        at,
                        ModernError::FrameString { field: "file", id: f.file, stack: id },
                    ));
                }
            }
        }
        for s in &mut self.cpu_samples {
            s.time = t.ticks_to_ns(s.time as u64);
        }
        self.cpu_samples.sort_by_key(|s| s.time);
        Ok(())
    }
}
