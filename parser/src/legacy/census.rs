//! The checks Go's legacy reader makes over the whole file before it orders events, and the
//! per-type figures `gotrace stats` reports.

use std::collections::{HashMap, HashSet};

use gotrace_format::legacy::{EventType, RawEvent};
use gotrace_format::varint::{Varint, MAX_LEN};
use gotrace_format::{Error, ErrorKind, Limit, Version};

use crate::{Limits, Options};

/// The error of a count over its limit, at `event`.
#[cold]
fn limit(event: &RawEvent<'_>, what: Limit, value: u64, max: u64) -> Error {
    Error::new(event.offset(), ErrorKind::LimitExceeded { what, value, max })
}

/// Count and size of the records of one type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypeStats {
    /// Records of this type.
    pub count: u64,
    /// Bytes they occupy in the file (type byte, length prefix, values, text).
    pub bytes: u64,
}

/// Accumulates raw records in file order and applies the file-level checks of Go's reader that
/// come before ordering: duplicate string ids, a frequency ≤ 0, unknown STW kinds (Go 1.10 –
/// 1.20 traces), a trace without events, a trace without a frequency record.
///
/// In strict mode it also rejects what Go's reader lets pass: stack records with id 0 or no
/// frames (Go ignores them), duplicate stack ids (Go keeps the last), events before the first
/// batch record (Go reads them as P 0's), references to strings and stacks that no record
/// defines (Go resolves them to nothing), and Go 1.21 STW reasons it does not know; and what
/// no runtime writes: a varint or length not in its shortest form (but Go 1.21's stack
/// lengths, which the runtime pads to 10 bytes), a timestamp delta of 0 in a Go 1.11+ trace
/// (the runtime makes it 1), a frequency below 1 000 000 ticks per second, a batch or CPU
/// sample of a P at or beyond the largest GOMAXPROCS the trace records, and unequal numbers of
/// starts and ends of GC cycles, stop-the-worlds and sweeps (the runtime starts and stops
/// tracing with the world stopped and no GC running, so none spans either end).
///
/// Memory: one entry per string id (and per stack id, per referenced id in strict mode),
/// nothing per event.
///
/// ```
/// use gotrace_parser::legacy::{Census, RawEvents};
/// use gotrace_format::legacy::EventType;
/// let trace = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
/// let events = RawEvents::new(&trace)?;
/// let mut census = Census::new(events.version());
/// for event in events {
///     census.add(&event?)?;
/// }
/// census.finish(trace.len() as u64)?;
/// assert_eq!(census.stats(EventType::FREQUENCY).count, 1);
/// assert_eq!(census.total().bytes + 16, trace.len() as u64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Census {
    version: Version,
    types: [TypeStats; EventType::COUNT as usize],
    strings: HashSet<u64>,
    events: u64,
    frequency: Option<u64>,
    /// The caps on events, batches and bytes held, and the bytes the ordered parser holds for
    /// the records so far.
    limits: Limits,
    held: u64,
    held_per_event: u64,
    /// Strict mode only: stack ids seen, and whether a batch started.
    strict: Option<Strict>,
}

/// Bytes the ordered parser holds per event (and, for Go 1.5/1.6, its sequence number), per
/// table entry of a string, message or stack, per stack frame.
const HELD_EVENT: u64 = std::mem::size_of::<super::event::Event>() as u64;
const HELD_SEQ: u64 = 8;
const HELD_ENTRY: u64 = 16;
const HELD_FRAME: u64 = 32;

#[derive(Clone, Debug)]
struct Strict {
    version: Version,
    stacks: HashSet<u64>,
    in_batch: bool,
    /// First offset referring to each string and stack id, checked against the definitions at
    /// the end (definitions may follow their uses).
    string_refs: HashMap<u64, u64>,
    stack_refs: HashMap<u64, u64>,
    /// The largest GOMAXPROCS recorded, and the largest P a batch or CPU sample names (with
    /// its record's offset).
    procs: u64,
    max_p: Option<(u64, u64)>,
    /// Offset of the last record of each type (for the balance of starts and ends).
    last: [u64; EventType::COUNT as usize],
}

/// Ticks per second below which no runtime's clock runs (one tick per microsecond).
const MIN_FREQUENCY: u64 = 1_000_000;

/// Starts and ends that come in pairs within a trace.
const PAIRS: [(EventType, EventType); 3] = [
    (EventType::GC_START, EventType::GC_DONE),
    (EventType::STW_START, EventType::STW_DONE),
    (EventType::GC_SWEEP_START, EventType::GC_SWEEP_DONE),
];

impl Census {
    /// An empty census of a trace of `version`.
    #[must_use]
    pub fn new(version: Version) -> Census {
        Census::with_options(version, Options::default())
    }

    /// An empty census of a trace of `version`, strict or not.
    #[must_use]
    pub fn with_options(version: Version, options: Options) -> Census {
        Census {
            strict: options.is_strict().then(|| Strict {
                version,
                stacks: HashSet::new(),
                in_batch: false,
                string_refs: HashMap::new(),
                stack_refs: HashMap::new(),
                procs: 0,
                max_p: None,
                last: [0; EventType::COUNT as usize],
            }),
            version,
            types: [TypeStats::default(); EventType::COUNT as usize],
            strings: HashSet::new(),
            events: 0,
            frequency: None,
            limits: options.get_limits(),
            held: 0,
            held_per_event: HELD_EVENT + if version < Version::Go1_7 { HELD_SEQ } else { 0 },
        }
    }

    /// Counts `event` and applies the checks that concern it alone.
    #[inline(always)]
    pub fn add(&mut self, event: &RawEvent<'_>) -> Result<(), Error> {
        let t = event.event_type();
        let code = usize::from(t.code());
        let s = &mut self.types[code];
        s.count += 1;
        s.bytes += event.encoded_len() as u64;
        if matches!(t, EventType::STRING | EventType::FREQUENCY | EventType::STW_START) {
            return self.add_checked(event);
        }
        if let Some(strict) = &mut self.strict {
            strict.check(event)?;
        }
        if t.has_timestamp() {
            self.events += 1;
            self.held += self.held_per_event;
            if t == EventType::USER_LOG {
                self.held += HELD_ENTRY + event.text().map_or(0, |m| m.bytes().len() as u64);
            }
            self.check_limits(event)
        } else {
            self.add_untimed(event)
        }
    }

    /// Batches and stacks, counted against their limits.
    fn add_untimed(&mut self, event: &RawEvent<'_>) -> Result<(), Error> {
        match event.event_type() {
            EventType::BATCH => {
                let batches = self.types[usize::from(EventType::BATCH.code())].count;
                if batches > self.limits.get_max_batches() {
                    return Err(limit(event, Limit::Batches, batches, self.limits.get_max_batches()));
                }
                Ok(())
            }
            EventType::STACK => {
                self.held += HELD_ENTRY + HELD_FRAME * event.value(1).unwrap_or(0);
                self.check_limits(event)
            }
            _ => Ok(()),
        }
    }

    /// The caps on events and bytes held.
    #[inline(always)]
    fn check_limits(&self, event: &RawEvent<'_>) -> Result<(), Error> {
        if self.events > self.limits.get_max_events() || self.held > self.limits.get_max_bytes_held() {
            return Err(self.over_limit(event));
        }
        Ok(())
    }

    #[cold]
    fn over_limit(&self, event: &RawEvent<'_>) -> Error {
        if self.events > self.limits.get_max_events() {
            limit(event, Limit::Events, self.events, self.limits.get_max_events())
        } else {
            limit(event, Limit::BytesHeld, self.held, self.limits.get_max_bytes_held())
        }
    }

    /// The records that come with a check of their own.
    fn add_checked(&mut self, event: &RawEvent<'_>) -> Result<(), Error> {
        if let Some(strict) = &mut self.strict {
            strict.check(event)?;
        }
        let fail = |kind| Err(Error::new(event.offset(), kind));
        match event.event_type() {
            EventType::STRING => {
                let id = event.value(0).unwrap_or(0);
                if !self.strings.insert(id) {
                    return fail(ErrorKind::StringDuplicate { id });
                }
                self.held += HELD_ENTRY + event.text().map_or(0, |t| t.bytes().len() as u64);
                return self.check_limits(event);
            }
            EventType::FREQUENCY => {
                let freq = event.value(0).unwrap_or(0);
                if freq as i64 <= 0 {
                    return fail(ErrorKind::TimeOrder);
                }
                self.frequency = Some(freq);
            }
            _ => {
                // STW start: Go 1.10 – 1.20 know two kinds (before 1.10 there is no kind: 0).
                self.events += 1;
                self.held += self.held_per_event;
                self.check_limits(event)?;
                if self.version < Version::Go1_21 {
                    let kind = event.value(1 + usize::from(self.version < Version::Go1_7)).unwrap_or(0);
                    if kind > 1 {
                        return fail(ErrorKind::UnknownStwKind { kind });
                    }
                }
            }
        }
        Ok(())
    }

    /// The checks on the whole file, once every record was added; `file_len` is the offset
    /// whole-file errors report.
    pub fn finish(&self, file_len: u64) -> Result<(), Error> {
        if self.events == 0 {
            return Err(Error::new(file_len, ErrorKind::TraceEmpty));
        }
        if self.frequency.is_none() {
            return Err(Error::new(file_len, ErrorKind::NoFrequency));
        }
        match &self.strict {
            Some(strict) => strict.finish(&self.strings, &self.types),
            None => Ok(()),
        }
    }

    /// The trace's version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// Figures of the records of type `t`.
    #[must_use]
    pub fn stats(&self, t: EventType) -> TypeStats {
        self.types[usize::from(t.code())]
    }

    /// Figures of every type present, by code.
    pub fn present(&self) -> impl Iterator<Item = (EventType, TypeStats)> + '_ {
        EventType::all(self.version).map(|t| (t, self.stats(t))).filter(|(_, s)| s.count > 0)
    }

    /// Figures of all records together.
    #[must_use]
    pub fn total(&self) -> TypeStats {
        self.types.iter().fold(TypeStats::default(), |a, s| TypeStats {
            count: a.count + s.count,
            bytes: a.bytes + s.bytes,
        })
    }

    /// Events (records with a timestamp) seen.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The last frequency record's value, in ticks per second.
    #[must_use]
    pub fn frequency(&self) -> Option<u64> {
        self.frequency
    }
}

impl Strict {
    fn check(&mut self, event: &RawEvent<'_>) -> Result<(), Error> {
        let fail = |kind| Err(Error::new(event.offset(), kind));
        let t = event.event_type();
        self.last[usize::from(t.code())] = event.offset();
        self.check_encoding(event)?;
        // Values of Go 1.5 and 1.6 events start with a sequence delta, then the time delta.
        let old = usize::from(self.version < Version::Go1_7);
        match t {
            EventType::FREQUENCY => {
                let freq = event.value(0).unwrap_or(0);
                // (0 and negative ones are Go's "time stamps out of order", below.)
                if freq < MIN_FREQUENCY && freq as i64 > 0 {
                    return fail(ErrorKind::FrequencyTooLow { freq });
                }
            }
            EventType::GOMAXPROCS => self.procs = self.procs.max(event.value(1 + old).unwrap_or(0)),
            EventType::CPU_SAMPLE => self.note_p(event.value(2), event.offset()),
            _ => {}
        }
        if t.has_timestamp() && self.version >= Version::Go1_11 && event.value(0) == Some(0) {
            return fail(ErrorKind::ZeroTimeDelta);
        }
        match t {
            EventType::BATCH => {
                self.in_batch = true;
                self.note_p(event.value(0), event.offset());
            }
            EventType::STACK => {
                let mut values = event.values();
                let (id, frames) = (values.next().unwrap_or(0), values.next().unwrap_or(0));
                if id == 0 {
                    return fail(ErrorKind::StackIdZero);
                }
                if frames == 0 {
                    return fail(ErrorKind::StackEmpty);
                }
                if !self.stacks.insert(id) {
                    return fail(ErrorKind::StackDuplicate { id });
                }
            }
            t if t.has_timestamp() && !self.in_batch => return fail(ErrorKind::EventOutsideBatch),
            _ => {}
        }
        self.note_references(event);
        if event.event_type() == EventType::STW_START && self.version >= Version::Go1_21 {
            let kind = event.value(1).unwrap_or(0);
            if kind >= STW_REASONS_1_21 {
                return fail(ErrorKind::UnknownStwKind { kind });
            }
        }
        Ok(())
    }

    /// Every varint in its shortest form, as the runtime writes them, but the 10-byte length of
    /// a Go 1.21 stack record.
    fn check_encoding(&self, event: &RawEvent<'_>) -> Result<(), Error> {
        let padded = |len: Varint| {
            event.event_type() == EventType::STACK
                && self.version >= Version::Go1_21
                && usize::from(len.width()) == MAX_LEN
        };
        let minimal = event.varints().all(Varint::is_minimal)
            && event.length().is_none_or(|len| len.is_minimal() || padded(len))
            && event.text().is_none_or(|text| text.len_varint().is_minimal());
        if minimal {
            Ok(())
        } else {
            Err(Error::new(event.offset(), ErrorKind::NonMinimalVarint))
        }
    }

    /// Remembers the largest P named (P −1, no P, aside).
    fn note_p(&mut self, p: Option<u64>, offset: u64) {
        if let Some(p) = p.filter(|&p| p != u64::MAX) {
            if self.max_p.is_none_or(|(max, _)| p > max) {
                self.max_p = Some((p, offset));
            }
        }
    }

    /// Remembers the string and stack ids `event` refers to.
    fn note_references(&mut self, event: &RawEvent<'_>) {
        let t = event.event_type();
        let old = self.version < Version::Go1_7;
        let note = |refs: &mut HashMap<u64, u64>, id: Option<u64>| {
            if let Some(id) = id.filter(|&id| id != 0) {
                refs.entry(id).or_insert(event.offset());
            }
        };
        if t.has_stack() {
            note(&mut self.stack_refs, event.values().last());
        }
        match t {
            EventType::GO_CREATE if !old => note(&mut self.stack_refs, event.value(2)),
            EventType::GO_START_LABEL => note(&mut self.string_refs, event.value(4)),
            EventType::USER_TASK_CREATE | EventType::USER_REGION => {
                note(&mut self.string_refs, event.value(3))
            }
            EventType::USER_LOG => note(&mut self.string_refs, event.value(2)),
            EventType::STACK if !old => {
                // [id, n, then pc, func, file, line per frame]
                for (i, v) in event.values().enumerate().skip(2) {
                    if matches!((i - 2) % 4, 1 | 2) {
                        note(&mut self.string_refs, Some(v));
                    }
                }
            }
            _ => {}
        }
    }

    /// The first reference to an id no record defines; a P beyond GOMAXPROCS; unbalanced
    /// starts and ends.
    fn finish(&self, strings: &HashSet<u64>, types: &[TypeStats]) -> Result<(), Error> {
        self.finish_references(strings)?;
        if let Some((p, offset)) = self.max_p.filter(|&(p, _)| self.procs > 0 && p >= self.procs) {
            return Err(Error::new(offset, ErrorKind::ProcBeyondGomaxprocs { p, procs: self.procs }));
        }
        for (start, end) in PAIRS {
            let (starts, ends) =
                (types[usize::from(start.code())].count, types[usize::from(end.code())].count);
            if starts != ends {
                let at = if starts > ends { start } else { end };
                let kind = ErrorKind::Unbalanced { start, end, starts, ends };
                return Err(Error::new(self.last[usize::from(at.code())], kind));
            }
        }
        Ok(())
    }

    fn finish_references(&self, strings: &HashSet<u64>) -> Result<(), Error> {
        let undefined_string = self
            .string_refs
            .iter()
            .filter(|(id, _)| !strings.contains(id))
            .map(|(&id, &off)| (off, id, true));
        let undefined_stack = self
            .stack_refs
            .iter()
            .filter(|(id, _)| !self.stacks.contains(id))
            .map(|(&id, &off)| (off, id, false));
        match undefined_string.chain(undefined_stack).min() {
            Some((offset, id, true)) => Err(Error::new(offset, ErrorKind::StringUndefined { id })),
            Some((offset, id, false)) => Err(Error::new(offset, ErrorKind::StackUndefined { id })),
            None => Ok(()),
        }
    }
}

/// Number of stop-the-world reasons Go 1.21 names (0 "unknown" to 16).
const STW_REASONS_1_21: u64 = 17;
