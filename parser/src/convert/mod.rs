//! Legacy traces (Go 1.5 – 1.21) in the modern high-level event model, as Go 1.23+ reads Go
//! 1.11 – 1.21 traces: each ordered legacy event becomes zero, one or more modern [`Event`]s,
//! all of them resolved against one [`Tables`] for the whole trace (a converted trace is one
//! generation), between a first and a last `Sync`.
//!
//! The mapping is Go 1.27's (`internal/trace`'s v1 conversion): goroutines that exist when
//! tracing starts get a status event (`Undetermined->Runnable`, `->Waiting`, `->Syscall`,
//! `->Running`); a P's first `ProcStart` or `ProcStop` is a status event; blocking events
//! become `GoBlock` or `GoStop` with Go's reason strings; a `GoSysCall` whose goroutine's next
//! event is a `GoSysBlock` begins a syscall that its `GoSysExit` ends, any other one is a
//! syscall of 1 ns; `GoStartLabel` is a start followed by a label; an event's thread is the one
//! its P was last started on. Times are made strictly increasing as Go makes them (an event at
//! or before its predecessor's time moves to 1 ns after it). Go orders events of equal time on
//! different Ps at random; here they come in the order [`Trace`] gives them.

use std::collections::VecDeque;

use gotrace_format::legacy::EventType as Legacy;
use gotrace_format::modern::EventType as Modern;
use gotrace_format::{Error, ErrorKind, Version};

use crate::hash::FastMap;
use crate::legacy::{Event as LegacyEvent, Input, Messages, OrderedReader, Stacks, Strings, Trace};
use crate::modern::ids::IdMap;
use crate::modern::wire_status::{GO_RUNNABLE, GO_RUNNING, GO_SYSCALL, GO_WAITING, PROC_IDLE, PROC_RUNNING};
use crate::modern::{Event, Tables};

mod source;

pub use source::{Source, TraceEvents};

/// The strings the conversion adds, in Go's order: block and stop reasons, then the names of
/// stop-the-world reasons by Go 1.21's codes (index 12 + code).
const BUILTIN: [&str; 29] = [
    "forever",
    "preempted",
    "runtime.Gosched",
    "sleep",
    "chan send",
    "chan receive",
    "network",
    "sync",
    "sync.(*Cond).Wait",
    "select",
    "",
    "GC mark assist wait for work",
    "",
    "GC mark termination",
    "GC sweep termination",
    "write heap dump",
    "goroutine profile",
    "goroutine profile cleanup",
    "all goroutine stack trace",
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

/// Indices into [`BUILTIN`].
const FOREVER: usize = 0;
const PREEMPTED: usize = 1;
const GOSCHED: usize = 2;
const SLEEP: usize = 3;
const CHAN_SEND: usize = 4;
const CHAN_RECV: usize = 5;
const NETWORK: usize = 6;
const SYNC: usize = 7;
const COND: usize = 8;
const SELECT: usize = 9;
const EMPTY: usize = 10;
const ASSIST_WAIT: usize = 11;
const STW_BASE: usize = 12;

/// "No goroutine", "no P", "no thread", "no task" in the modern model.
const NONE: i64 = -1;
const NO_TASK: u64 = u64::MAX;

/// The modern type code of the synthetic `Sync` events.
const SYNC_CODE: u8 = 255;

/// The events of a legacy trace in the modern model, one at a time, from a parsed [`Trace`]
/// ([`Converter::new`]) or from the bounded-memory [`OrderedReader`]
/// ([`Converter::from_readers`]); both give the same events.
///
/// Memory: the source (the whole trace, or the reader's bound), one bit per event (which
/// syscalls block), the tables, and the goroutines, Ps and tasks in flight.
///
/// ```
/// use gotrace_parser::{convert::Converter, legacy::Trace};
/// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/user_task_region_1_21_good"))?;
/// let trace = Trace::from_slice(&data)?;
/// let mut events = Converter::new(&trace)?;
/// let mut lines = Vec::new();
/// while let Some(event) = events.next_event()? {
///     let mut line = Vec::new();
///     event.write_go(events.tables(), &mut line);
///     lines.push(String::from_utf8(line).unwrap());
/// }
/// assert_eq!(lines[0], "M=-1 P=-1 G=-1 Sync Time=-1 N=1");
/// assert!(lines[1].ends_with("GoID=1 Undetermined->Waiting Reason=\"\""));
/// assert!(lines.iter().any(|l| l.contains("TaskBegin") && l.contains("Type=\"task0\"")));
/// assert!(lines.last().unwrap().contains("Sync") && lines.last().unwrap().ends_with("N=2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Converter<S: Source> {
    source: S,
    version: Version,
    tables: Tables,
    /// The first legacy event, read ahead for the time of the first `Sync`.
    pending: Option<LegacyEvent>,
    /// The index of the next legacy event.
    next: usize,
    /// Converted events not returned yet (after the first of a legacy event's several).
    queue: VecDeque<Event>,
    /// Per legacy event, set for a `GoSysCall` whose goroutine's next event is `GoSysBlock`.
    blocking: Vec<u64>,
    /// String ids: the first of the `UserLog` messages, the first of [`BUILTIN`].
    message_base: u64,
    builtin_base: u64,
    /// Stacks whose frames name an undefined string: the stack, the string.
    bad_stacks: FastMap<u64, u64>,
    /// Before the first `Gomaxprocs`: goroutines created and not yet given a status, with
    /// their creation's rank.
    pre_init: bool,
    created: FastMap<u64, usize>,
    /// The thread each running P was last started on.
    proc_thread: IdMap<i64>,
    seen_procs: IdMap<()>,
    /// Open tasks: name (string id), parent as recorded.
    tasks: FastMap<u64, (u64, u64)>,
    last_stw: u64,
    last_time: i64,
    syncs: u64,
    done: bool,
}

/// What a conversion learns of the whole ordered stream before its first event.
struct Scan {
    /// See [`Converter::blocking`].
    blocking: Vec<u64>,
    /// The offset of the last event (0 without events): where whole-trace errors are.
    end: u64,
    futile: usize,
}

impl<'t> Converter<TraceEvents<'t>> {
    /// Prepares the conversion of `trace`: its tables, and which syscalls block.
    ///
    /// Fails as Go 1.27 fails: on a Go 1.11+ trace holding a `FutileWakeup` (which no such
    /// runtime writes), on string ids that leave no room for the conversion's own.
    ///
    /// ```
    /// use gotrace_parser::{convert::Converter, legacy::Trace};
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = Trace::from_slice(&data)?;
    /// let events = Converter::new(&trace)?;
    /// assert!(events.tables().string(1).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(trace: &'t Trace) -> Result<Converter<TraceEvents<'t>>, Error> {
        let (blocking, end) = blocking_syscalls(trace.events().map(|e| Ok(*e)))?;
        let scan = Scan { blocking, end, futile: trace.futile_wakeups() };
        Converter::build(TraceEvents::new(trace), scan, trace.tables())
    }
}

impl<I: Input> Converter<OrderedReader<I>> {
    /// Prepares the conversion of a trace read twice in bounded memory: `scan` is read
    /// through first (which syscalls block, the tables), then `events` gives the events. Both
    /// must be readers of the same trace, fresh; the events are those of [`Converter::new`] on
    /// the parsed trace, and so are the errors.
    ///
    /// ```
    /// use gotrace_parser::{convert::Converter, legacy::{OrderedReader, Trace}};
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/stress_1_11_good"))?;
    /// let mut bounded = Converter::from_readers(OrderedReader::from_slice(&data)?, OrderedReader::from_slice(&data)?)?;
    /// let trace = Trace::from_slice(&data)?;
    /// let mut whole = Converter::new(&trace)?;
    /// let mut n = 0;
    /// while let Some(event) = bounded.next_event()? {
    ///     assert_eq!(Some(event), whole.next_event()?);
    ///     n += 1;
    /// }
    /// assert_eq!(whole.next_event()?, None);
    /// assert!(n > 1000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_readers(
        mut scan: OrderedReader<I>,
        events: OrderedReader<I>,
    ) -> Result<Converter<OrderedReader<I>>, Error> {
        let (blocking, end) = blocking_syscalls(scan.by_ref())?;
        let scan_result = Scan { blocking, end, futile: scan.futile_wakeups() };
        Converter::build(events, scan_result, scan.tables())
    }
}

impl<S: Source> Converter<S> {
    /// The conversion's state before the first event: the tables, from the trace's.
    fn build(
        source: S,
        scan: Scan,
        (strings, messages, stacks): (&Strings, &Messages, &Stacks),
    ) -> Result<Converter<S>, Error> {
        let version = source.version();
        let end = scan.end;
        if version >= Version::Go1_11 && scan.futile > 0 {
            return Err(Error::new(end, ErrorKind::NotConvertible { code: Legacy::FUTILE_WAKEUP.code() }));
        }
        let mut tables = Tables::default();
        let mut max = 0;
        for (id, s) in strings.defined() {
            tables.add_string(id, s);
            max = max.max(id);
        }
        let too_many = || Error::new(end, ErrorKind::TooManyStrings);
        let message_base = max.checked_add(1).ok_or_else(too_many)?;
        let builtin_base = message_base
            .checked_add(messages.len())
            .filter(|b| b.checked_add(BUILTIN.len() as u64).is_some())
            .ok_or_else(too_many)?;
        for i in 0..messages.len() {
            tables.add_string(message_base + i, messages.get(i));
        }
        for (i, s) in BUILTIN.iter().enumerate() {
            tables.add_string(builtin_base + i as u64, s.as_bytes());
        }
        // Frames as Go resolves them: by PC, the first stack record naming a PC decides.
        let mut defined: Vec<_> = stacks.entries.iter().filter(|e| e.id != 0 && e.len > 0).copied().collect();
        defined.sort_unstable_by_key(|e| e.start);
        let mut first: FastMap<u64, (u64, u64)> = FastMap::default();
        let mut bad_stacks = FastMap::default();
        for e in &defined {
            let frames = &stacks.frames[e.start as usize..][..e.len as usize];
            tables.add_stack(e.id, frames.iter().map(|f| (f.pc, f.func, f.file, f.line)));
            for f in frames {
                let (func, file) = *first.entry(f.pc).or_insert((f.func, f.file));
                let undefined = |id: u64| id != 0 && tables.string(id).is_none();
                if let Some(id) = [func, file].into_iter().find(|&id| undefined(id)) {
                    bad_stacks.entry(e.id).or_insert(id);
                }
            }
        }
        tables.seal();
        Ok(Converter {
            source,
            version,
            tables,
            pending: None,
            next: 0,
            queue: VecDeque::new(),
            blocking: scan.blocking,
            message_base,
            builtin_base,
            bad_stacks,
            pre_init: true,
            created: FastMap::default(),
            proc_thread: IdMap::default(),
            seen_procs: IdMap::default(),
            tasks: FastMap::default(),
            last_stw: 0,
            last_time: -1,
            syncs: 0,
            done: false,
        })
    }

    /// The tables the events resolve their strings and stacks against.
    ///
    /// ```
    /// use gotrace_parser::{convert::Converter, legacy::Trace};
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let trace = Trace::from_slice(&data)?;
    /// let mut events = Converter::new(&trace)?;
    /// let mut frames = 0;
    /// while let Some(event) = events.next_event()? {
    ///     if let Some(stack) = event.stack() {
    ///         frames += events.tables().frames(stack).count();
    ///     }
    /// }
    /// assert!(frames > 1000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The next event, `None` after the last `Sync`.
    ///
    /// Fails where Go 1.27's reader or its printing fails: a converted event naming a stack or
    /// string no record defines (`expected id 15 in trace.stack table`), at the offset of the
    /// legacy event.
    ///
    /// ```
    /// use gotrace_parser::{convert::Converter, legacy::Trace, modern::EventKind};
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/stress_1_11_good"))?;
    /// let trace = Trace::from_slice(&data)?;
    /// let mut events = Converter::new(&trace)?;
    /// let (mut last, mut syncs) = (i64::MIN, 0);
    /// while let Some(event) = events.next_event()? {
    ///     assert!(event.time() > last);
    ///     last = event.time();
    ///     syncs += usize::from(event.kind() == EventKind::Sync);
    /// }
    /// assert_eq!(syncs, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_event(&mut self) -> Result<Option<Event>, Error> {
        if self.done {
            return Ok(None);
        }
        if self.syncs == 0 {
            if let Some(first) = self.source.next_legacy()? {
                self.syncs = 1;
                self.pending = Some(first);
                return Ok(Some(sync_event(first.ts().wrapping_sub(1), 1)));
            }
        }
        loop {
            let mut event = match self.queue.pop_front() {
                Some(e) => e,
                None => {
                    let next = match self.pending.take() {
                        Some(e) => Some(e),
                        None => self.source.next_legacy()?,
                    };
                    let Some(legacy) = next else {
                        self.done = true;
                        self.syncs += 1;
                        return Ok(Some(sync_event(self.last_time.wrapping_add(1), self.syncs)));
                    };
                    let index = self.next;
                    self.next += 1;
                    match self.convert(&legacy, index)? {
                        Some(e) => e,
                        None => continue,
                    }
                }
            };
            // Times increase strictly; one forced past i64::MAX wraps, as Go's does.
            if event.time <= self.last_time {
                event.time = self.last_time.wrapping_add(1);
            }
            self.last_time = event.time;
            return Ok(Some(event));
        }
    }

    /// The id of builtin string `i`.
    fn builtin(&self, i: usize) -> u64 {
        self.builtin_base + i as u64
    }

    /// Go's id of the stack of `e` (0 when the trace does not define it).
    fn stack_of(&self, e: &LegacyEvent) -> u64 {
        let id = self.source.stack_id(e.stack());
        if self.tables.stack_pcs(id).is_some() {
            id
        } else {
            0
        }
    }

    /// The first modern event of legacy event `e` (number `index`), the others queued; `None`
    /// for events that become none (yet).
    fn convert(&mut self, e: &LegacyEvent, index: usize) -> Result<Option<Event>, Error> {
        let t = e.event_type();
        // The arguments as held: a `UserLog`'s message index, the goroutine of GC and STW
        // events (which Go 1.19's parser clears and Go 1.27 keeps) in `args[2]`.
        let a = e.args;
        let p = e.p();
        let g = match t {
            Legacy::GC_START | Legacy::GC_DONE | Legacy::STW_START | Legacy::STW_DONE => a[2],
            _ => e.g(),
        };
        let stack = self.stack_of(e);
        let mut args = [a[0], a[1], if t == Legacy::USER_LOG { 0 } else { a[2] }, 0];
        let code = match t {
            Legacy::GOMAXPROCS => {
                if self.pre_init {
                    self.pre_init = false;
                    // Go gives these statuses in its map's order, at random; here in creation order.
                    let mut created: Vec<(usize, u64)> =
                        self.created.drain().map(|(g, rank)| (rank, g)).collect();
                    created.sort_unstable();
                    for (_, id) in created {
                        self.queue.push_back(at(
                            e.ts(),
                            NONE,
                            NONE,
                            NONE,
                            Modern::GO_STATUS,
                            [id, u64::MAX, GO_RUNNABLE, 0],
                        ));
                    }
                    self.created = FastMap::default();
                    return Ok(None);
                }
                args[1] = stack;
                Modern::PROCS_CHANGE
            }
            Legacy::PROC_START => {
                self.proc_thread.insert(p, a[0] as i64);
                if self.seen_procs.contains(p) {
                    args = [p as u64, 0, 0, 0];
                    Modern::PROC_START
                } else {
                    self.seen_procs.insert(p, ());
                    args = [p as u64, PROC_RUNNING, 0, 0];
                    Modern::PROC_STATUS
                }
            }
            Legacy::PROC_STOP => {
                if self.seen_procs.contains(p) {
                    args = [p as u64, 0, 0, 0];
                    Modern::PROC_STOP
                } else {
                    self.seen_procs.insert(p, ());
                    args = [p as u64, PROC_IDLE, 0, 0];
                    Modern::PROC_STATUS
                }
            }
            Legacy::GC_START => {
                args = [a[0], stack, 0, 0];
                Modern::GC_BEGIN
            }
            Legacy::GC_DONE => {
                args = [0; 4];
                Modern::GC_END
            }
            Legacy::STW_START => {
                let reason = stw_reason(self.version, a[0]);
                self.last_stw = self.builtin(STW_BASE + reason);
                args = [self.last_stw, 0, 0, 0];
                Modern::STW_BEGIN
            }
            Legacy::STW_DONE => {
                args = [self.last_stw, 0, 0, 0];
                Modern::STW_END
            }
            Legacy::GC_SWEEP_START => {
                args[0] = stack;
                Modern::GC_SWEEP_BEGIN
            }
            Legacy::GC_SWEEP_DONE => Modern::GC_SWEEP_END,
            Legacy::GO_CREATE => {
                if self.pre_init {
                    let rank = self.created.len();
                    self.created.entry(a[0]).or_insert(rank);
                    return Ok(None);
                }
                // Go 1.5 and 1.6 record the new goroutine's start PC here, not a stack.
                args[1] = if self.version >= Version::Go1_7 { a[1] } else { 0 };
                if args[1] != 0 && self.tables.stack_pcs(args[1]).is_none() {
                    return Err(undefined(e, "trace.stack", args[1]));
                }
                self.check_stack(e, args[1])?;
                args[2] = stack;
                Modern::GO_CREATE
            }
            Legacy::GO_START => {
                if self.pre_init {
                    self.created.remove(&a[0]);
                    args = [a[0], u64::MAX, GO_RUNNING, 0];
                    Modern::GO_STATUS
                } else {
                    Modern::GO_START
                }
            }
            Legacy::GO_START_LABEL => {
                self.check_string(e, a[2])?;
                let m = self.proc_thread.get(p).copied().unwrap_or(0);
                let start = at(e.ts(), m, p, g as i64, Modern::GO_START, args);
                self.queue.push_back(at(e.ts(), m, p, g as i64, Modern::GO_LABEL, [a[2], 0, 0, 0]));
                return Ok(Some(start));
            }
            Legacy::GO_END => Modern::GO_DESTROY,
            Legacy::GO_STOP => self.block(&mut args, FOREVER, stack, Modern::GO_BLOCK),
            Legacy::GO_SCHED => self.block(&mut args, GOSCHED, stack, Modern::GO_STOP),
            Legacy::GO_PREEMPT => self.block(&mut args, PREEMPTED, stack, Modern::GO_STOP),
            Legacy::GO_SLEEP => self.block(&mut args, SLEEP, stack, Modern::GO_BLOCK),
            Legacy::GO_BLOCK => self.block(&mut args, EMPTY, stack, Modern::GO_BLOCK),
            Legacy::GO_BLOCK_SEND => self.block(&mut args, CHAN_SEND, stack, Modern::GO_BLOCK),
            Legacy::GO_BLOCK_RECV => self.block(&mut args, CHAN_RECV, stack, Modern::GO_BLOCK),
            Legacy::GO_BLOCK_SELECT => self.block(&mut args, SELECT, stack, Modern::GO_BLOCK),
            Legacy::GO_BLOCK_SYNC => self.block(&mut args, SYNC, stack, Modern::GO_BLOCK),
            Legacy::GO_BLOCK_COND => self.block(&mut args, COND, stack, Modern::GO_BLOCK),
            Legacy::GO_BLOCK_NET => self.block(&mut args, NETWORK, stack, Modern::GO_BLOCK),
            Legacy::GO_BLOCK_GC => self.block(&mut args, ASSIST_WAIT, stack, Modern::GO_BLOCK),
            Legacy::GO_UNBLOCK => {
                args[2] = stack;
                Modern::GO_UNBLOCK
            }
            Legacy::GO_SYS_CALL => {
                args = [0, stack, 0, 0];
                if self.blocking[index / 64] & (1 << (index % 64)) == 0 {
                    // A syscall that did not block: 1 ns long.
                    let m = self.proc_thread.get(p).copied().unwrap_or(0);
                    let begin = at(e.ts(), m, p, g as i64, Modern::GO_SYSCALL_BEGIN, args);
                    let end = e.ts().wrapping_add(1);
                    self.queue.push_back(at(end, m, p, g as i64, Modern::GO_SYSCALL_END, [0; 4]));
                    return Ok(Some(begin));
                }
                Modern::GO_SYSCALL_BEGIN
            }
            Legacy::GO_SYS_EXIT => Modern::GO_SYSCALL_END_BLOCKED,
            Legacy::GO_SYS_BLOCK => return Ok(None),
            Legacy::GO_WAITING | Legacy::GO_IN_SYSCALL => {
                self.created.remove(&a[0]);
                let status = if t == Legacy::GO_WAITING { GO_WAITING } else { GO_SYSCALL };
                args = [a[0], u64::MAX, status, 0];
                Modern::GO_STATUS
            }
            Legacy::HEAP_ALLOC => Modern::HEAP_ALLOC,
            Legacy::HEAP_GOAL => Modern::HEAP_GOAL,
            Legacy::GC_MARK_ASSIST_START => {
                args[0] = stack;
                Modern::GC_MARK_ASSIST_BEGIN
            }
            Legacy::GC_MARK_ASSIST_DONE => Modern::GC_MARK_ASSIST_END,
            Legacy::USER_TASK_CREATE => {
                self.check_string(e, a[2])?;
                let parent = if a[1] == 0 { NO_TASK } else { a[1] };
                self.tasks.insert(a[0], (a[2], a[1]));
                args = [a[0], parent, a[2], stack];
                Modern::USER_TASK_BEGIN
            }
            Legacy::USER_TASK_END => {
                let (name, parent) = self.tasks.remove(&a[0]).unwrap_or((0, NO_TASK));
                let name = self.source.string(name);
                args = [a[0], stack, parent, self.tables.add_extra(name)];
                Modern::USER_TASK_END
            }
            Legacy::USER_REGION => {
                self.check_string(e, a[2])?;
                args = [a[0], a[2], stack, 0];
                match a[1] {
                    0 => Modern::USER_REGION_BEGIN,
                    1 => Modern::USER_REGION_END,
                    // Go's validation rejects other modes before the conversion.
                    _ => return Ok(None),
                }
            }
            Legacy::USER_LOG => {
                self.check_string(e, a[1])?;
                args = [a[0], a[1], self.message_base + a[2], stack];
                Modern::USER_LOG
            }
            Legacy::CPU_SAMPLE => {
                // Go keeps the sample's P as a 32-bit number.
                let p = p as i32 as i64;
                let g = if g == 0 { NONE } else { g as i64 };
                return Ok(Some(at(
                    e.ts(),
                    NONE,
                    p,
                    g,
                    Modern::CPU_SAMPLE,
                    [stack, u64::MAX, p as u64, g as u64],
                )));
            }
            _ => return Err(Error::new(e.offset(), ErrorKind::NotConvertible { code: t.code() })),
        };
        for &i in Event::table_refs(code.code()).0 {
            self.check_stack(e, args[i])?;
        }
        let m = if p == -1 { NONE } else { self.proc_thread.get(p).copied().unwrap_or(NONE) };
        if t == Legacy::PROC_STOP {
            self.proc_thread.remove(p);
        }
        let g = if g == 0 { NONE } else { g as i64 };
        Ok(Some(at(e.ts(), m, p, g, code, args)))
    }

    /// A blocking or stopping event: Go's reason string, the event's stack.
    fn block(&self, args: &mut [u64; 4], reason: usize, stack: u64, code: Modern) -> Modern {
        *args = [self.builtin(reason), stack, 0, 0];
        code
    }

    /// Fails as Go's printing fails on a stack whose frames name undefined strings.
    fn check_stack(&self, e: &LegacyEvent, stack: u64) -> Result<(), Error> {
        match self.bad_stacks.get(&stack) {
            Some(&id) if stack != 0 => Err(undefined(e, "string", id)),
            _ => Ok(()),
        }
    }

    /// Fails as Go's printing fails on an undefined string.
    fn check_string(&self, e: &LegacyEvent, id: u64) -> Result<(), Error> {
        match self.tables.string(id) {
            Some(_) => Ok(()),
            None => Err(undefined(e, "string", id)),
        }
    }
}

/// A modern event.
fn at(time: i64, m: i64, p: i64, g: i64, code: Modern, args: [u64; 4]) -> Event {
    Event { time, g, p, m, args, code: code.code() }
}

/// Sync event number `n`.
fn sync_event(time: i64, n: u64) -> Event {
    Event { time, g: NONE, p: NONE, m: NONE, args: [n, 0, 0, 0], code: SYNC_CODE }
}

#[cold]
fn undefined(e: &LegacyEvent, table: &'static str, id: u64) -> Error {
    Error::new(e.offset(), ErrorKind::ConvertedUndefined { table, id })
}

/// The index into the stop-the-world names of [`BUILTIN`] (past `STW_BASE`) of a `kind`
/// argument: Go 1.21 numbers 17 reasons, earlier versions two (0: mark termination, 1: sweep
/// termination); others are unknown (0).
fn stw_reason(version: Version, kind: u64) -> usize {
    if version >= Version::Go1_21 {
        if kind < 17 {
            kind as usize
        } else {
            0
        }
    } else if kind <= 1 {
        kind as usize + 1
    } else {
        0
    }
}

/// One bit per event: set for a `GoSysCall` whose goroutine's next event is a `GoSysBlock`;
/// and the offset of the last event (0 without events).
fn blocking_syscalls(
    events: impl Iterator<Item = Result<LegacyEvent, Error>>,
) -> Result<(Vec<u64>, u64), Error> {
    let mut bits = Vec::new();
    // The last `GoSysCall` of each goroutine whose next event is not seen yet.
    let mut open: FastMap<u64, usize> = FastMap::default();
    let mut end = 0;
    for (i, e) in events.enumerate() {
        let e = e?;
        if i % 64 == 0 {
            bits.push(0);
        }
        let t = e.event_type();
        if let Some(call) = open.remove(&e.g()) {
            if t == Legacy::GO_SYS_BLOCK {
                bits[call / 64] |= 1 << (call % 64);
            }
        }
        if t == Legacy::GO_SYS_CALL {
            open.insert(e.g(), i);
        }
        end = e.offset();
    }
    Ok((bits, end))
}
