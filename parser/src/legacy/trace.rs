//! The ordered, validated events of a legacy trace, as Go's parser gives them.

use std::io::Read;

use gotrace_format::legacy::{EventType, RawEvent};
use gotrace_format::{Error, Version};

use super::census::Census;
use super::dense::Chunked;
use super::event::{Event, StackId};
use super::futile::remove_futile;
use super::order::order;
use super::raw::{RawEvents, RawReader};
use super::split::{can_order_in_two, order_in_two, read_in_two};
use super::structure::{Messages, Stacks, Strings, Structure};
use super::validate::{validate, Tables};
use crate::Options;

/// A legacy trace (Go 1.5 – 1.21) read whole, ordered and validated as Go's `internal/trace`
/// does: the events in time order, with their links, pseudo-Ps and resolved start stacks; the
/// string and stack tables.
///
/// Parsing fails, as Go's does, on any malformed record, on an inconsistent ordering
/// (`no consistent ordering of events possible`, `time stamps out of order`, …) and on state
/// violations (`g 5 is not running while GoEnd (offset …, time …)`); the error carries the
/// byte offset of the event at fault. Go 1.5/1.6 traces parse without the program's binary
/// (their frames have PCs only).
///
/// Memory: 56 bytes per event plus the string and stack tables; while ordering, the per-P
/// lists are consumed as the ordered list grows, so the peak stays near that. On two threads
/// ([`Options::threads`]) the same, plus the records in flight between the threads while
/// reading ([`READ_AHEAD`](super::READ_AHEAD) at most, in a few blocks of the input).
///
/// Equal time stamps on different Ps come out in file order (Go's own order among them varies
/// between runs).
///
/// ```
/// use gotrace_parser::legacy::Trace;
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
/// let trace = Trace::parse(std::io::BufReader::new(file))?;
/// assert_eq!(trace.version().to_string(), "1.19");
/// let starts = trace.events().filter(|e| e.name(trace.version()) == "GoStart").count();
/// assert!(starts > 100);
/// let mut line = Vec::new();
/// trace.write_line(&mut line, trace.event(0).unwrap());
/// assert_eq!(line, b"0 GoCreate p=1 g=0 off=1772 g=1 stack=2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Trace {
    version: Version,
    events: Chunked<Event>,
    strings: Strings,
    stacks: Stacks,
    messages: Messages,
    frequency: u64,
    /// `FutileWakeup` events of the file (removed from the events, as Go 1.19 removes them).
    futile: usize,
}

impl Trace {
    /// Reads a whole trace from `reader`, with default options (Go's verdict).
    ///
    /// ```
    /// use gotrace_parser::legacy::Trace;
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/stress_1_5_unordered"))?;
    /// let err = Trace::parse(&data[..]).unwrap_err();
    /// assert_eq!(err.message(), "time stamps out of order");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse<R: Read>(reader: R) -> Result<Trace, Error> {
        Trace::parse_with(reader, Options::default())
    }

    /// Reads a whole trace from `reader`; `options` decides how strictly records are read, and
    /// on how many threads ([`Options::threads`]: the result is the same). Records are read
    /// into buffers that later reads reuse: the input is never held whole.
    ///
    /// ```
    /// use gotrace_parser::{legacy::Trace, Options};
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_11_good"))?;
    /// let trace = Trace::parse_with(&data[..], Options::default().strict(true))?;
    /// assert!(!trace.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse_with<R: Read>(reader: R, options: Options) -> Result<Trace, Error> {
        let mut raw = RawReader::with_options(reader, options)?;
        let mut census = Census::with_options(raw.version(), options);
        let mut structure = Structure::new(raw.version());
        if options.get_threads() > 1 {
            return Trace::finish(read_in_two(raw, census, structure)?, options);
        }
        loop {
            // Borrowed in place: moving the record out of the `Result` costs more than the
            // checks below.
            match raw.next_event() {
                Ok(Some(ref event)) => add(&mut census, &mut structure, event)?,
                Ok(None) => break,
                Err(e) => return Err(e),
            }
        }
        census.finish(raw.offset())?;
        Trace::finish(structure, options)
    }

    /// Reads a trace held in memory, with default options.
    ///
    /// ```
    /// use gotrace_parser::legacy::Trace;
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/user_task_region_1_21_good"))?;
    /// let trace = Trace::from_slice(&data)?;
    /// assert_eq!(trace.version().to_string(), "1.21");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_slice(data: &[u8]) -> Result<Trace, Error> {
        Trace::from_slice_with(data, Options::default())
    }

    /// Reads a trace held in memory; `options` decides how strictly records are read, and on
    /// how many threads ([`Options::threads`]: the result is the same). On one, the records are
    /// read where they are; on two, as [`Trace::parse_with`] reads them (copied a block at a
    /// time, for the second thread).
    ///
    /// ```
    /// use gotrace_parser::{legacy::Trace, Options};
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_9_good"))?;
    /// assert!(Trace::from_slice_with(&data, Options::default()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_slice_with(data: &[u8], options: Options) -> Result<Trace, Error> {
        if options.get_threads() > 1 {
            return Trace::parse_with(data, options);
        }
        let mut raw = RawEvents::with_options(data, options)?;
        let mut census = Census::with_options(raw.version(), options);
        let mut structure = Structure::new(raw.version());
        for event in raw.by_ref() {
            match event {
                Ok(ref event) => add(&mut census, &mut structure, event)?,
                Err(e) => return Err(e),
            }
        }
        census.finish(raw.offset())?;
        Trace::finish(structure, options)
    }

    /// The string, message and stack tables (for the conversion to the modern model).
    pub(crate) fn tables(&self) -> (&Strings, &Messages, &Stacks) {
        (&self.strings, &self.messages, &self.stacks)
    }

    /// The `FutileWakeup` events the file held.
    pub(crate) fn futile_wakeups(&self) -> usize {
        self.futile
    }

    fn finish(structure: Structure, options: Options) -> Result<Trace, Error> {
        let mut parts = structure.finish();
        let futile = parts.futile;
        let events = if options.get_threads() > 1 && can_order_in_two(&parts) {
            order_in_two(&mut parts)?
        } else {
            let (mut events, normalise) = order(&mut parts)?;
            if parts.futile > 0 {
                remove_futile(&mut events);
            }
            let tables = Tables {
                version: parts.version,
                strings: &parts.strings,
                messages: &parts.messages,
                stacks: &mut parts.stacks,
            };
            validate(&mut events, tables, &normalise)?;
            events
        };
        Ok(Trace {
            version: parts.version,
            events,
            strings: parts.strings,
            stacks: parts.stacks,
            messages: parts.messages,
            frequency: parts.frequency,
            futile,
        })
    }

    /// The trace's version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// Number of events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when there is no event (a parsed trace always has some).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.len() == 0
    }

    /// The events in order.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let ts: Vec<i64> = trace.events().map(|e| e.ts()).collect();
    /// assert!(ts.windows(2).all(|w| w[0] <= w[1]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn events(&self) -> impl ExactSizeIterator<Item = &Event> + DoubleEndedIterator + '_ {
        Events { chunks: self.events.chunks().iter(), front: [].iter(), back: [].iter(), left: self.len() }
    }

    /// The event at `index` (the indices [`Event::link`] gives).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// assert!(trace.event(0).is_some() && trace.event(trace.len()).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn event(&self, index: usize) -> Option<&Event> {
        self.events.get(index)
    }

    /// The string of id `id` (string ids are what `labelid`, `typeid`, `keyid` hold); "" for
    /// id 0 and undefined ids. Bytes, as recorded: user strings need not be UTF-8.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// assert_eq!(trace.string(0), b"");
    /// assert!(!trace.string(1).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn string(&self, id: u64) -> &[u8] {
        self.strings.get(id)
    }

    /// Go's `SArgs` of `event`: the label of a `GoStartLabel`, the kind of an STW start, the
    /// name of a task or region, the category and message of a log; names as
    /// [`EventType::string_arg_names`] gives them.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/user_task_region_1_19_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let log = trace.events().find(|e| e.name(trace.version()) == "UserLog").unwrap();
    /// let [category, message] = trace.string_args(log);
    /// assert_eq!((category, message), (&b"key0"[..], &b"0123456789abcdef"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn string_args(&self, event: &Event) -> [&[u8]; 2] {
        string_args(event, self.version, &self.strings, &self.messages)
    }

    /// The frames of a stack, innermost first (empty for [`StackId::NONE`] and for stack ids
    /// that no record defines).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let block = trace.events().find(|e| e.name(trace.version()) == "GoBlockNet").unwrap();
    /// let top = trace.stack(block.stack()).next().unwrap();
    /// assert!(top.pc > 0 && top.line > 0);
    /// assert_eq!(top.func, b"internal/poll.(*FD).Accept");
    /// assert!(top.file.ends_with(b"internal/poll/fd_unix.go"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stack(&self, stack: StackId) -> impl ExactSizeIterator<Item = Frame<'_>> + '_ {
        frames(&self.stacks, &self.strings, stack)
    }

    /// Go's id of a stack (Go's `StkID`): 0 for none and for the synthetic start stacks of
    /// Go 1.5/1.6 goroutines.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let create = trace.event(0).unwrap(); // GoCreate g=1 stack=2, own stack id 1
    /// let start = trace.event(create.link().unwrap()).unwrap();
    /// assert_eq!(trace.stack_id(start.stack()), create.args()[1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn stack_id(&self, stack: StackId) -> u64 {
        self.stacks.go_id(stack.0)
    }

    /// The stacks the trace defines (Go's `Stacks` map): Go's id and the handle.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// assert!(trace.stacks().all(|(id, s)| id > 0 && trace.stack(s).len() > 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stacks(&self) -> impl Iterator<Item = (u64, StackId)> + '_ {
        self.stacks
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.id != 0 && e.len > 0)
            .map(|(h, e)| (e.id, StackId(h as u32)))
    }

    /// The tick frequency (ticks per second) the times were converted with.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// assert_eq!(trace.frequency(), 62_499_627);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn frequency(&self) -> u64 {
        self.frequency
    }

    /// Appends `event` as `go tool trace -d` prints it (without the line end): time, name, P,
    /// goroutine, offset, the named arguments, the string arguments (raw bytes, unquoted).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_21_good"))?;
    /// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let stw = trace.events().find(|e| e.name(trace.version()) == "STWStart" && e.args()[0] == 1).unwrap();
    /// let mut line = Vec::new();
    /// trace.write_line(&mut line, stw);
    /// assert!(line.ends_with(b"kindid=1 kind=GC mark termination"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_line(&self, out: &mut Vec<u8>, event: &Event) {
        write_line(out, event, self.version, &self.strings, &self.messages);
    }
}

/// The frames of `stack`, their strings resolved.
pub(crate) fn frames<'t>(
    stacks: &'t Stacks,
    strings: &'t Strings,
    stack: StackId,
) -> impl ExactSizeIterator<Item = Frame<'t>> + 't {
    stacks.frames(stack.0).iter().map(|f| Frame {
        pc: f.pc,
        func: strings.get(f.func),
        file: strings.get(f.file),
        line: f.line as i64,
    })
}

/// One raw record through the census and the structure pass.
#[inline(always)]
pub(crate) fn add(census: &mut Census, structure: &mut Structure, event: &RawEvent<'_>) -> Result<(), Error> {
    crate::steps::add(1);
    census.add(event)?;
    structure.add(event)
}

/// A frame of a stack, its strings resolved.
///
/// ```
/// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_5_good"))?;
/// let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
/// // Go 1.5/1.6 frames hold PCs only; a goroutine's first start gets its start PC (plus one).
/// let create = trace.event(0).unwrap();
/// let start = trace.event(create.link().unwrap()).unwrap();
/// let frame = trace.stack(start.stack()).next().unwrap();
/// assert_eq!((frame.pc, frame.func, frame.line), (create.args()[1] + 1, &b""[..], 0));
/// assert_eq!(trace.stack_id(start.stack()), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'t> {
    /// The program counter (a call site; a function's entry for a goroutine's start).
    pub pc: u64,
    /// The function's name ("" when unknown, and in Go 1.5/1.6 traces).
    pub func: &'t [u8],
    /// The source file ("" when unknown).
    pub file: &'t [u8],
    /// The line (0 when unknown).
    pub line: i64,
}

/// The ordered events, chunk by chunk.
struct Events<'t> {
    chunks: std::slice::Iter<'t, Vec<Event>>,
    front: std::slice::Iter<'t, Event>,
    back: std::slice::Iter<'t, Event>,
    left: usize,
}

impl<'t> Iterator for Events<'t> {
    type Item = &'t Event;

    #[inline]
    fn next(&mut self) -> Option<&'t Event> {
        loop {
            if let Some(e) = self.front.next() {
                self.left -= 1;
                return Some(e);
            }
            match self.chunks.next() {
                Some(c) => self.front = c.iter(),
                None => {
                    let e = self.back.next()?;
                    self.left -= 1;
                    return Some(e);
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Events<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.back.next_back() {
                self.left -= 1;
                return Some(e);
            }
            match self.chunks.next_back() {
                Some(c) => self.back = c.iter(),
                None => {
                    let e = self.front.next_back()?;
                    self.left -= 1;
                    return Some(e);
                }
            }
        }
    }
}

impl ExactSizeIterator for Events<'_> {}

/// Go 1.21's names of the STW reasons (`runtime.stwReason`), by kind.
const STW_REASONS_1_21: [&str; 17] = [
    "unknown",
    "GC mark termination",
    "GC sweep termination",
    "write heap dump",
    "goroutine profile",
    "goroutine profile cleanup",
    "all goroutines stack trace",
    "read mem stats",
    "AllThreadsSyscall",
    "GOMAXPROCS",
    "start trace",
    "stop trace",
    "CountPagesInUse (test)",
    "ReadMetricsSlow (test)",
    "ReadMemStatsSlow (test)",
    "PageCachePagesLeaked (test)",
    "ResetDebugLog (test)",
];

/// The STW kind's name (§4.3).
fn stw_kind(kind: u64, version: Version) -> &'static [u8] {
    let name = if version >= Version::Go1_21 {
        STW_REASONS_1_21.get(kind as usize).copied().unwrap_or("unknown")
    } else {
        match kind {
            0 => "mark termination",
            1 => "sweep termination",
            // Rejected when read (`unknown STW kind`).
            _ => "unknown",
        }
    };
    name.as_bytes()
}

pub(crate) fn string_args<'a>(
    ev: &Event,
    version: Version,
    strings: &'a Strings,
    messages: &'a Messages,
) -> [&'a [u8]; 2] {
    match ev.event_type() {
        EventType::GO_START_LABEL | EventType::USER_TASK_CREATE | EventType::USER_REGION => {
            [strings.get(ev.args[2]), b""]
        }
        EventType::STW_START => [stw_kind(ev.args[0], version), b""],
        EventType::USER_LOG => [strings.get(ev.args[1]), messages.get(ev.args[2])],
        _ => [b"", b""],
    }
}

/// Appends the `-d` line of `ev` to `out` (no line end).
pub(crate) fn write_line(
    out: &mut Vec<u8>,
    ev: &Event,
    version: Version,
    strings: &Strings,
    messages: &Messages,
) {
    let t = ev.event_type();
    write_i64(out, ev.ts);
    out.push(b' ');
    out.extend_from_slice(t.name(version).as_bytes());
    out.extend_from_slice(b" p=");
    write_i64(out, ev.p());
    out.extend_from_slice(b" g=");
    write_u64(out, ev.g);
    out.extend_from_slice(b" off=");
    write_u64(out, ev.offset());
    let args = ev.args();
    for (name, value) in t.arg_names().iter().zip(args) {
        out.push(b' ');
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        write_u64(out, value);
    }
    let names = t.string_arg_names();
    if !names.is_empty() {
        let values = string_args(ev, version, strings, messages);
        for (name, value) in names.iter().zip(values) {
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            out.extend_from_slice(value);
        }
    }
}

/// "00" to "99".
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `v` in decimal, two digits at a time.
#[inline]
fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

#[inline]
fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_print_as_go() {
        let mut out = Vec::new();
        write_i64(&mut out, i64::MIN);
        out.push(b' ');
        write_u64(&mut out, u64::MAX);
        out.push(b' ');
        write_i64(&mut out, 0);
        assert_eq!(out, b"-9223372036854775808 18446744073709551615 0");
        for v in [0u64, 7, 10, 99, 100, 101, 999, 1000, 123_456_789, 10u64.pow(19)] {
            let mut out = Vec::new();
            write_u64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }
}
