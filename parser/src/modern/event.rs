//! The high-level events of a modern trace, as Go 1.27's `internal/trace` models them: a kind
//! (sync, metric, label, stack sample, range begin/active/end, task begin/end, region
//! begin/end, log, state transition, experimental), the thread, P and goroutine it happened
//! on, a time in nanoseconds, and details decoded on demand.
//!
//! An [`Event`] is small, `Copy` and holds no pointer: strings and stacks are ids into the
//! [`Tables`] of its generation, which the [`Reader`](super::Reader) keeps until the next
//! `Sync` event.

use std::fmt::Write as _;
use std::num::NonZeroU64;

use gotrace_format::decimal;
use gotrace_format::modern::EventType;
use gotrace_format::quote::quote_to;

use super::generation::{ClockSnapshot, Tables};

/// The type code of the synthetic `Sync` events (Go's `evSync`).
pub(crate) const SYNC: u8 = 255;

/// What an event is, as Go's `trace.EventKind` classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A generation boundary (the first event, one per generation, the last event).
    Sync,
    /// A metric sample: GOMAXPROCS, heap objects, heap goal.
    Metric,
    /// A label for a goroutine.
    Label,
    /// A CPU profile sample.
    StackSample,
    /// A range (STW, GC mark, sweep, mark assist) begins.
    RangeBegin,
    /// A range was in progress when the generation began.
    RangeActive,
    /// A range ends.
    RangeEnd,
    /// A user task begins.
    TaskBegin,
    /// A user task ends.
    TaskEnd,
    /// A user region begins.
    RegionBegin,
    /// A user region ends.
    RegionEnd,
    /// A user log message.
    Log,
    /// A goroutine or a P changes state.
    StateTransition,
    /// An event of an experiment.
    Experimental,
}

impl EventKind {
    /// Every kind, in the order of Go's `trace.EventKind` values (without its `EventBad`).
    ///
    /// ```
    /// use gotrace_parser::modern::EventKind;
    /// assert_eq!(EventKind::ALL.len(), 14);
    /// assert!(EventKind::ALL.iter().enumerate().all(|(i, &k)| k as usize == i));
    /// assert_eq!(EventKind::ALL[13].name(), "Experimental");
    /// ```
    pub const ALL: [EventKind; 14] = [
        EventKind::Sync,
        EventKind::Metric,
        EventKind::Label,
        EventKind::StackSample,
        EventKind::RangeBegin,
        EventKind::RangeActive,
        EventKind::RangeEnd,
        EventKind::TaskBegin,
        EventKind::TaskEnd,
        EventKind::RegionBegin,
        EventKind::RegionEnd,
        EventKind::Log,
        EventKind::StateTransition,
        EventKind::Experimental,
    ];

    /// Go's name of the kind.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Sync => "Sync",
            EventKind::Metric => "Metric",
            EventKind::Label => "Label",
            EventKind::StackSample => "StackSample",
            EventKind::RangeBegin => "RangeBegin",
            EventKind::RangeActive => "RangeActive",
            EventKind::RangeEnd => "RangeEnd",
            EventKind::TaskBegin => "TaskBegin",
            EventKind::TaskEnd => "TaskEnd",
            EventKind::RegionBegin => "RegionBegin",
            EventKind::RegionEnd => "RegionEnd",
            EventKind::Log => "Log",
            EventKind::StateTransition => "StateTransition",
            EventKind::Experimental => "Experimental",
        }
    }

    /// The kind of wire type `code` (`None` for types that are no event of their own).
    #[must_use]
    pub(crate) fn of_code(code: u8) -> Option<EventKind> {
        use EventKind::*;
        Some(match code {
            SYNC => Sync,
            7 => StackSample,
            9 | 37 | 38 => Metric,
            10..=25 | 45..=48 => StateTransition,
            26 | 29 | 32 | 35 => RangeBegin,
            28 | 31 | 34 => RangeActive,
            27 | 30 | 33 | 36 => RangeEnd,
            39 => Label,
            40 => TaskBegin,
            41 => TaskEnd,
            42 => RegionBegin,
            43 => RegionEnd,
            44 => Log,
            128..=136 => Experimental,
            _ => return None,
        })
    }
}

/// The id of a stack in its generation's [`Tables`] (never 0: 0 is "no stack").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StackId(NonZeroU64);

impl StackId {
    /// The id.
    #[must_use]
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

/// What an event is about: a goroutine, a P, a thread, or nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// No resource (the GC mark phase's scope).
    None,
    /// A goroutine.
    Goroutine(i64),
    /// A P.
    Proc(i64),
    /// A thread.
    Thread(i64),
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::None => f.write_str("None"),
            Resource::Goroutine(id) => write!(f, "Goroutine({id})"),
            Resource::Proc(id) => write!(f, "Proc({id})"),
            Resource::Thread(id) => write!(f, "Thread({id})"),
        }
    }
}

/// The state of a goroutine, as Go's `trace.GoState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GoState {
    /// Nothing is known yet (first generation).
    Undetermined,
    /// The goroutine does not exist.
    NotExist,
    /// Runnable, not running.
    Runnable,
    /// Running.
    Running,
    /// Blocked.
    Waiting,
    /// In a system call.
    Syscall,
    /// A value no state has.
    Bad,
}

impl GoState {
    pub(crate) fn from_u8(v: u64) -> GoState {
        [
            GoState::Undetermined,
            GoState::NotExist,
            GoState::Runnable,
            GoState::Running,
            GoState::Waiting,
            GoState::Syscall,
        ]
        .get(v as usize)
        .copied()
        .unwrap_or(GoState::Bad)
    }

    /// Go's name of the state.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            GoState::Undetermined => "Undetermined",
            GoState::NotExist => "NotExist",
            GoState::Runnable => "Runnable",
            GoState::Running => "Running",
            GoState::Waiting => "Waiting",
            GoState::Syscall => "Syscall",
            GoState::Bad => "Bad",
        }
    }
}

/// The state of a P, as Go's `trace.ProcState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcState {
    /// Nothing is known yet (first generation).
    Undetermined,
    /// The P does not exist.
    NotExist,
    /// Running (or in a syscall).
    Running,
    /// Idle.
    Idle,
    /// A value no state has.
    Bad,
}

impl ProcState {
    pub(crate) fn from_u8(v: u64) -> ProcState {
        [ProcState::Undetermined, ProcState::NotExist, ProcState::Running, ProcState::Idle]
            .get(v as usize)
            .copied()
            .unwrap_or(ProcState::Bad)
    }

    /// Go's name of the state.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ProcState::Undetermined => "Undetermined",
            ProcState::NotExist => "NotExist",
            ProcState::Running => "Running",
            ProcState::Idle => "Idle",
            ProcState::Bad => "Bad",
        }
    }
}

/// The state a wire goroutine status stands for.
/// Go's wire statuses of goroutines (`GoStatus`'s `gstatus`) and Ps (`ProcStatus`'s `pstatus`).
pub(crate) mod wire_status {
    pub const GO_RUNNABLE: u64 = 1;
    pub const GO_RUNNING: u64 = 2;
    pub const GO_SYSCALL: u64 = 3;
    pub const GO_WAITING: u64 = 4;
    pub const PROC_RUNNING: u64 = 1;
    pub const PROC_IDLE: u64 = 2;
    pub const PROC_SYSCALL: u64 = 3;
    pub const PROC_SYSCALL_ABANDONED: u64 = 4;
}

/// The state a wire goroutine status stands for.
pub(crate) fn go_state_of_status(status: u64) -> u64 {
    // Runnable, Running, Syscall, Waiting -> GoState values.
    [0, 2, 3, 5, 4].get(status as usize).copied().unwrap_or(0)
}

/// The state a wire P status stands for.
pub(crate) fn proc_state_of_status(status: u64) -> u64 {
    // Running, Idle, Syscall (running), SyscallAbandoned (idle) -> ProcState values.
    [0, 2, 3, 2, 3].get(status as usize).copied().unwrap_or(0)
}

/// A change of state of a goroutine or a P.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateTransition<'a> {
    /// The goroutine or P.
    pub resource: Resource,
    /// Before and after, for a goroutine.
    pub go: Option<(GoState, GoState)>,
    /// Before and after, for a P.
    pub proc: Option<(ProcState, ProcState)>,
    /// Why (a goroutine that stops or blocks).
    pub reason: &'a [u8],
    /// The stack of the goroutine the transition is about, where the trace records it (for a
    /// created goroutine, its start; `Some(None)`: a stack field holding 0).
    pub stack: Option<Option<StackId>>,
}

/// The name of a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeName<'a> {
    /// `stop-the-world (KIND)`.
    StopTheWorld(&'a [u8]),
    /// `GC concurrent mark phase`.
    GcMark,
    /// `GC incremental sweep`.
    GcSweep,
    /// `GC mark assist`.
    GcMarkAssist,
}

impl std::fmt::Display for RangeName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RangeName::StopTheWorld(kind) => write!(f, "stop-the-world ({})", String::from_utf8_lossy(kind)),
            RangeName::GcMark => f.write_str("GC concurrent mark phase"),
            RangeName::GcSweep => f.write_str("GC incremental sweep"),
            RangeName::GcMarkAssist => f.write_str("GC mark assist"),
        }
    }
}

/// A range event's name and scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range<'a> {
    /// The name.
    pub name: RangeName<'a>,
    /// What it is about.
    pub scope: Resource,
}

/// A user task (`ID`, parent `NO_TASK` when none, type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task<'a> {
    /// The task.
    pub id: u64,
    /// Its parent, [`NO_TASK`] for none.
    pub parent: u64,
    /// Its type (empty for a task begun before the trace).
    pub kind: &'a [u8],
}

/// No task (Go's `NoTask`).
pub const NO_TASK: u64 = u64::MAX;

/// A user region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region<'a> {
    /// Its task (0: the background task).
    pub task: u64,
    /// Its type.
    pub kind: &'a [u8],
}

/// A user log message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Log<'a> {
    /// Its task.
    pub task: u64,
    /// Its category.
    pub category: &'a [u8],
    /// The message.
    pub message: &'a [u8],
}

/// A metric sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// Go's name of the metric (`/sched/gomaxprocs:threads`, ...).
    pub name: &'static str,
    /// The value.
    pub value: u64,
}

/// A sync event: its number (from 1) and its generation's clock snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sync {
    /// 1 for the first.
    pub n: u64,
    /// The clock snapshot (versions 25 and 26, not on the last sync).
    pub clock: Option<ClockSnapshot>,
}

/// One event of the ordered trace.
///
/// ```
/// use gotrace_parser::modern::{EventKind, Reader};
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/recorded/go1.22/timers.trace"))?;
/// let mut reader = Reader::new(std::io::BufReader::new(file))?;
/// let first = reader.next_event()?.unwrap();
/// assert_eq!(first.kind(), EventKind::Sync);
/// let mut transitions = 0;
/// while let Some(event) = reader.next_event()? {
///     if let Some(t) = event.state_transition(reader.tables()) {
///         transitions += usize::from(t.go.is_some());
///     }
/// }
/// assert!(transitions > 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub(crate) time: i64,
    pub(crate) g: i64,
    pub(crate) p: i64,
    pub(crate) m: i64,
    pub(crate) args: [u64; 4],
    pub(crate) code: u8,
}

/// [`Event::table_refs`] of each code.
static TABLE_REFS: [(&[usize], &[usize]); 256] = {
    const fn refs(code: u8) -> (&'static [usize], &'static [usize]) {
        match code {
            9 | 41 => (&[1], &[]),
            14 | 47 => (&[2, 1], &[]),
            19 | 20 | 26 => (&[1], &[0]),
            21 => (&[2], &[]),
            22 | 29 => (&[1], &[]),
            32 | 35 => (&[0], &[]),
            39 => (&[], &[0]),
            40 => (&[3], &[2]),
            42 | 43 => (&[2], &[1]),
            44 => (&[3], &[1, 2]),
            48 => (&[3], &[]),
            _ => (&[], &[]),
        }
    }
    let mut t: [(&[usize], &[usize]); 256] = [(&[], &[]); 256];
    let mut code = 0;
    while code < 256 {
        t[code] = refs(code as u8);
        code += 1;
    }
    t
};

/// [`Event::table_mask`] of each code.
static TABLE_MASKS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut code = 0;
    while code < 256 {
        let (stacks, strings) = TABLE_REFS[code];
        let mut i = 0;
        while i < stacks.len() {
            t[code] |= 1 << stacks[i];
            i += 1;
        }
        let mut i = 0;
        while i < strings.len() {
            t[code] |= 0x10 << strings[i];
            i += 1;
        }
        code += 1;
    }
    t
};

const NONE: i64 = -1;

fn opt(id: i64) -> Option<i64> {
    (id != NONE).then_some(id)
}

impl Event {
    /// A placeholder (the slots of an empty queue).
    pub(crate) const EMPTY: Event = Event { time: 0, g: NONE, p: NONE, m: NONE, args: [0; 4], code: SYNC };

    /// The event's kind.
    #[must_use]
    #[inline]
    pub fn kind(&self) -> EventKind {
        EventKind::of_code(self.code).unwrap_or(EventKind::Experimental)
    }

    /// Nanoseconds, increasing through the trace.
    #[must_use]
    #[inline]
    pub fn time(&self) -> i64 {
        self.time
    }

    /// The goroutine it happened on.
    #[must_use]
    pub fn goroutine(&self) -> Option<i64> {
        opt(self.g)
    }

    /// The P it happened on.
    #[must_use]
    pub fn proc(&self) -> Option<i64> {
        opt(self.p)
    }

    /// The thread it happened on.
    #[must_use]
    pub fn thread(&self) -> Option<i64> {
        opt(self.m)
    }

    /// The wire event behind it (`None` for a `Sync`).
    #[must_use]
    pub fn event_type(&self) -> Option<EventType> {
        EventType::from_code(self.code, gotrace_format::Version::Go1_26)
    }

    /// The index in `args` of the stack Go's `Event.Stack` reports, for each type.
    fn stack_arg(code: u8) -> Option<usize> {
        Some(match code {
            32 | 35 => 0,
            9 | 19 | 20 | 22 | 26 | 29 | 41 => 1,
            14 | 21 | 42 | 43 | 47 => 2,
            40 | 44 | 48 => 3,
            _ => return None,
        })
    }

    /// The stack the event was recorded with (for a stack sample, the sampled stack).
    #[must_use]
    pub fn stack(&self) -> Option<StackId> {
        if self.code == 7 {
            return NonZeroU64::new(self.args[0]).map(StackId);
        }
        Event::stack_arg(self.code).and_then(|i| NonZeroU64::new(self.args[i]).map(StackId))
    }

    /// Whether Go prints a `Stack=` section: a stack sample always does, even with stack 0.
    fn prints_stack(&self) -> Option<u64> {
        match self.code {
            7 => Some(self.args[0]),
            c => Event::stack_arg(c).map(|i| self.args[i]).filter(|&id| id != 0),
        }
    }

    /// The stack and string ids the event references, for Go's table check: `(stacks,
    /// strings)` as indices into `args`.
    #[inline]
    pub(crate) fn table_refs(code: u8) -> (&'static [usize], &'static [usize]) {
        TABLE_REFS[usize::from(code)]
    }

    /// [`Event::table_refs`] as bits: bit `i` for a stack id in `args[i]`, bit `4 + i` for a
    /// string id.
    #[inline]
    pub(crate) const fn table_mask(code: u8) -> u8 {
        TABLE_MASKS[code as usize]
    }
    /// The metric of a `Metric` event.
    #[must_use]
    pub fn metric(&self) -> Option<Metric> {
        let name = match self.code {
            9 => "/sched/gomaxprocs:threads",
            37 => "/memory/classes/heap/objects:bytes",
            38 => "/gc/heap/goal:bytes",
            _ => return None,
        };
        Some(Metric { name, value: self.args[0] })
    }

    /// The label of a `Label` event, and its goroutine.
    #[must_use]
    pub fn label<'t>(&self, tables: &'t Tables) -> Option<(&'t [u8], Resource)> {
        (self.code == 39).then(|| (tables.string(self.args[0]).unwrap_or(b""), Resource::Goroutine(self.g)))
    }

    /// The range of a range event.
    #[must_use]
    pub fn range<'t>(&self, tables: &'t Tables) -> Option<Range<'t>> {
        Some(match self.code {
            26 | 27 => Range {
                name: RangeName::StopTheWorld(tables.string(self.args[0]).unwrap_or(b"")),
                scope: Resource::Goroutine(self.g),
            },
            28..=30 => Range { name: RangeName::GcMark, scope: Resource::None },
            31 => Range { name: RangeName::GcSweep, scope: Resource::Proc(self.args[0] as i64) },
            32 | 33 => Range { name: RangeName::GcSweep, scope: Resource::Proc(self.p) },
            34 => Range { name: RangeName::GcMarkAssist, scope: Resource::Goroutine(self.args[0] as i64) },
            35 | 36 => Range { name: RangeName::GcMarkAssist, scope: Resource::Goroutine(self.g) },
            _ => return None,
        })
    }

    /// The attributes of a sweep's end: bytes swept, bytes reclaimed.
    #[must_use]
    pub fn sweep_attributes(&self) -> Option<(u64, u64)> {
        (self.code == 33).then_some((self.args[0], self.args[1]))
    }

    /// The task of a task event.
    #[must_use]
    pub fn task<'t>(&self, tables: &'t Tables) -> Option<Task<'t>> {
        match self.code {
            40 => Some(Task {
                id: self.args[0],
                parent: self.args[1],
                kind: tables.string(self.args[2]).unwrap_or(b""),
            }),
            41 => Some(Task { id: self.args[0], parent: self.args[2], kind: tables.extra(self.args[3]) }),
            _ => None,
        }
    }

    /// The region of a region event.
    #[must_use]
    pub fn region<'t>(&self, tables: &'t Tables) -> Option<Region<'t>> {
        matches!(self.code, 42 | 43)
            .then(|| Region { task: self.args[0], kind: tables.string(self.args[1]).unwrap_or(b"") })
    }

    /// The message of a log event.
    #[must_use]
    pub fn log<'t>(&self, tables: &'t Tables) -> Option<Log<'t>> {
        (self.code == 44).then(|| Log {
            task: self.args[0],
            category: tables.string(self.args[1]).unwrap_or(b""),
            message: tables.string(self.args[2]).unwrap_or(b""),
        })
    }

    /// The sync of a `Sync` event; `tables` are the reader's when the event was returned.
    #[must_use]
    pub fn sync(&self, tables: &Tables) -> Option<Sync> {
        (self.code == SYNC).then(|| Sync {
            n: self.args[0],
            clock: if self.args[1] != 0 { tables.clock_snapshot() } else { None },
        })
    }

    /// The transition of a state-transition event.
    #[must_use]
    pub fn state_transition<'t>(&self, tables: &'t Tables) -> Option<StateTransition<'t>> {
        let a = self.args;
        let go = |g: i64, from: GoState, to: GoState| StateTransition {
            resource: Resource::Goroutine(g),
            go: Some((from, to)),
            proc: None,
            reason: b"",
            stack: None,
        };
        let proc = |p: i64, from: ProcState, to: ProcState| StateTransition {
            resource: Resource::Proc(p),
            go: None,
            proc: Some((from, to)),
            reason: b"",
            stack: None,
        };
        let own_stack = Some(self.stack());
        let reason = tables.string(a[0]).unwrap_or(b"");
        use GoState as G;
        use ProcState as P;
        Some(match self.code {
            10 => proc(a[0] as i64, P::Idle, P::Running),
            11 => proc(self.p, P::Running, P::Idle),
            12 => {
                let before = if a[3] == 4 { P::Idle } else { P::Running };
                proc(a[0] as i64, before, P::Idle)
            }
            13 => proc(a[0] as i64, ProcState::from_u8(a[2]), ProcState::from_u8(proc_state_of_status(a[1]))),
            14 | 47 => {
                let to = if self.code == 47 { G::Waiting } else { G::Runnable };
                StateTransition {
                    stack: Some(NonZeroU64::new(a[1]).map(StackId)),
                    ..go(a[0] as i64, G::NotExist, to)
                }
            }
            15 => go(a[0] as i64, G::NotExist, G::Syscall),
            16 => go(a[0] as i64, G::Runnable, G::Running),
            17 => go(self.g, G::Running, G::NotExist),
            18 => go(self.g, G::Syscall, G::NotExist),
            19 => StateTransition { reason, stack: own_stack, ..go(self.g, G::Running, G::Runnable) },
            20 => StateTransition { reason, stack: own_stack, ..go(self.g, G::Running, G::Waiting) },
            21 | 45 | 46 => go(a[0] as i64, G::Waiting, G::Runnable),
            22 => StateTransition { stack: own_stack, ..go(self.g, G::Running, G::Syscall) },
            23 => go(self.g, G::Syscall, G::Running),
            24 => go(self.g, G::Syscall, G::Runnable),
            25 | 48 => {
                let (from, to) = (a[2] >> 32, a[2] & 0xffff_ffff);
                let t = go(a[0] as i64, GoState::from_u8(from), GoState::from_u8(go_state_of_status(to)));
                StateTransition { stack: own_stack, ..t }
            }
            _ => return None,
        })
    }

    /// The experiment's name, the event's name and its arguments, for an experimental event.
    #[must_use]
    pub fn experimental(
        &self,
    ) -> Option<(&'static str, &'static str, impl Iterator<Item = (&'static str, u64)>)> {
        if self.kind() != EventKind::Experimental {
            return None;
        }
        let t = self.event_type()?;
        let names = &t.arg_names()[1..];
        let args = self.args;
        Some(("AllocFree", t.name(), names.iter().enumerate().map(move |(i, &n)| (n, args[i]))))
    }

    /// Appends the event as Go 1.27's `Event.String` prints it (what `go tool trace -d=parsed`
    /// prints for each event, without the newline).
    ///
    /// ```
    /// use gotrace_parser::modern::Reader;
    /// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/recorded/go1.27/timers.trace"))?;
    /// let mut reader = Reader::new(std::io::BufReader::new(file))?;
    /// let first = reader.next_event()?.unwrap();
    /// let mut line = Vec::new();
    /// first.write_go(reader.tables(), &mut line);
    /// assert!(line.starts_with(b"M=-1 P=-1 G=-1 Sync Time="));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_go(&self, tables: &Tables, out: &mut Vec<u8>) {
        self.write_go_with(tables, &mut StackText::default(), out);
    }

    /// [`Event::write_go`], the stacks' text cached in `stacks` (see [`StackText`]).
    pub fn write_go_with(&self, tables: &Tables, stacks: &mut StackText, out: &mut Vec<u8>) {
        out.extend_from_slice(b"M=");
        push_i64(out, self.m);
        out.extend_from_slice(b" P=");
        push_i64(out, self.p);
        out.extend_from_slice(b" G=");
        push_i64(out, self.g);
        out.push(b' ');
        out.extend_from_slice(self.kind().name().as_bytes());
        out.extend_from_slice(b" Time=");
        push_i64(out, self.time);
        match self.kind() {
            EventKind::Metric => {
                if let Some(m) = self.metric() {
                    out.extend_from_slice(b" Name=");
                    push_quoted(out, m.name.as_bytes());
                    out.extend_from_slice(b" Value=");
                    push_value(out, m.value);
                }
            }
            EventKind::Label => {
                if let Some((label, r)) = self.label(tables) {
                    out.extend_from_slice(b" Label=");
                    push_quoted(out, label);
                    out.extend_from_slice(b" Resource=");
                    push_resource(out, r);
                }
            }
            EventKind::RangeBegin | EventKind::RangeActive | EventKind::RangeEnd => {
                if let Some(r) = self.range(tables) {
                    out.extend_from_slice(b" Name=");
                    match r.name {
                        RangeName::StopTheWorld(kind) => {
                            let mut name = b"stop-the-world (".to_vec();
                            name.extend_from_slice(kind);
                            name.push(b')');
                            push_quoted(out, &name);
                        }
                        RangeName::GcMark => out.extend_from_slice(b"\"GC concurrent mark phase\""),
                        RangeName::GcSweep => out.extend_from_slice(b"\"GC incremental sweep\""),
                        RangeName::GcMarkAssist => out.extend_from_slice(b"\"GC mark assist\""),
                    }
                    out.extend_from_slice(b" Scope=");
                    push_resource(out, r.scope);
                    if self.kind() == EventKind::RangeEnd {
                        out.extend_from_slice(b" Attributes=[");
                        if let Some((swept, reclaimed)) = self.sweep_attributes() {
                            out.extend_from_slice(b"\"bytes swept\"=");
                            push_value(out, swept);
                            out.extend_from_slice(b" \"bytes reclaimed\"=");
                            push_value(out, reclaimed);
                        }
                        out.push(b']');
                    }
                }
            }
            EventKind::TaskBegin | EventKind::TaskEnd => {
                if let Some(t) = self.task(tables) {
                    out.extend_from_slice(b" ID=");
                    push_u64(out, t.id);
                    out.extend_from_slice(b" Parent=");
                    push_u64(out, t.parent);
                    out.extend_from_slice(b" Type=");
                    push_quoted(out, t.kind);
                }
            }
            EventKind::RegionBegin | EventKind::RegionEnd => {
                if let Some(r) = self.region(tables) {
                    out.extend_from_slice(b" Task=");
                    push_u64(out, r.task);
                    out.extend_from_slice(b" Type=");
                    push_quoted(out, r.kind);
                }
            }
            EventKind::Log => {
                if let Some(l) = self.log(tables) {
                    out.extend_from_slice(b" Task=");
                    push_u64(out, l.task);
                    out.extend_from_slice(b" Category=");
                    push_quoted(out, l.category);
                    out.extend_from_slice(b" Message=");
                    push_quoted(out, l.message);
                }
            }
            EventKind::StateTransition => {
                if let Some(s) = self.state_transition(tables) {
                    match (s.resource, s.go, s.proc) {
                        (Resource::Goroutine(id), Some((from, to)), _) => {
                            out.extend_from_slice(b" GoID=");
                            push_i64(out, id);
                            out.push(b' ');
                            out.extend_from_slice(from.name().as_bytes());
                            out.extend_from_slice(b"->");
                            out.extend_from_slice(to.name().as_bytes());
                        }
                        (Resource::Proc(id), _, Some((from, to))) => {
                            out.extend_from_slice(b" ProcID=");
                            push_i64(out, id);
                            out.push(b' ');
                            out.extend_from_slice(from.name().as_bytes());
                            out.extend_from_slice(b"->");
                            out.extend_from_slice(to.name().as_bytes());
                        }
                        _ => {}
                    }
                    out.extend_from_slice(b" Reason=");
                    push_quoted(out, s.reason);
                    // Go prints a transition stack whenever the transition has one: a
                    // creation always (its stack field, even 0), others when non-zero.
                    let shown = match (self.code, s.stack) {
                        (14 | 47, _) => Some(self.args[1]),
                        (_, Some(Some(id))) => Some(id.get()),
                        _ => None,
                    };
                    if let Some(id) = shown {
                        out.extend_from_slice(b"\nTransitionStack=\n");
                        stacks.write(tables, id, out);
                    }
                }
            }
            EventKind::Experimental => {
                if let Some((_, name, args)) = self.experimental() {
                    out.extend_from_slice(b" Name=");
                    out.extend_from_slice(name.as_bytes());
                    out.extend_from_slice(b" Args=[");
                    for (i, (arg, v)) in args.enumerate() {
                        if i != 0 {
                            out.extend_from_slice(b", ");
                        }
                        out.extend_from_slice(arg.as_bytes());
                        out.push(b'=');
                        if arg.ends_with("string") {
                            out.extend_from_slice(tables.string(v).unwrap_or(b""));
                        } else {
                            push_value(out, v);
                        }
                    }
                    out.push(b']');
                }
            }
            EventKind::Sync => {
                if let Some(s) = self.sync(tables) {
                    out.extend_from_slice(b" N=");
                    push_u64(out, s.n);
                    if let Some(c) = s.clock {
                        out.extend_from_slice(b" Trace=");
                        push_i64(out, c.trace);
                        out.extend_from_slice(b" Mono=");
                        push_u64(out, c.mono);
                        out.extend_from_slice(b" Wall=");
                        let mut wall = String::new();
                        write_rfc3339_nano(c.sec, c.nsec, &mut wall);
                        out.extend_from_slice(wall.as_bytes());
                    }
                }
            }
            EventKind::StackSample => {}
        }
        if let Some(id) = self.prints_stack() {
            out.extend_from_slice(b"\nStack=\n");
            stacks.write(tables, id, out);
        }
    }
}

/// The text of the stacks of one generation as Go prints them, formatted once per stack: a
/// cache for [`Event::write_go_with`], emptied when the tables change.
///
/// ```
/// use gotrace_parser::modern::{Reader, StackText};
/// let file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/recorded/go1.23/locks.trace"))?;
/// let mut reader = Reader::new(std::io::BufReader::new(file))?;
/// let (mut cache, mut a, mut b) = (StackText::default(), Vec::new(), Vec::new());
/// while let Some(event) = reader.next_event()? {
///     event.write_go_with(reader.tables(), &mut cache, &mut a);
///     event.write_go(reader.tables(), &mut b);
/// }
/// assert_eq!(a, b);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct StackText {
    serial: u64,
    spans: crate::hash::FastMap<u64, (usize, usize)>,
    text: Vec<u8>,
}

impl StackText {
    fn write(&mut self, tables: &Tables, id: u64, out: &mut Vec<u8>) {
        if id == 0 {
            return;
        }
        if self.serial != tables.serial() || tables.serial() == 0 {
            self.serial = tables.serial();
            self.spans.clear();
            self.text.clear();
        }
        let (start, end) = match self.spans.get(&id) {
            Some(&span) => span,
            None => {
                let start = self.text.len();
                write_frames(tables, id, &mut self.text);
                let span = (start, self.text.len());
                self.spans.insert(id, span);
                span
            }
        };
        out.extend_from_slice(&self.text[start..end]);
    }
}

/// Appends the decimal digits of `v`.
#[inline]
fn push_u64(out: &mut Vec<u8>, v: u64) {
    decimal::push(out, v);
}

#[inline]
fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Go's `Value{Uint64(N)}`.
fn push_value(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(b"Value{Uint64(");
    push_u64(out, v);
    out.extend_from_slice(b")}");
}

fn push_resource(out: &mut Vec<u8>, r: Resource) {
    let (name, id) = match r {
        Resource::None => {
            out.extend_from_slice(b"None");
            return;
        }
        Resource::Goroutine(id) => ("Goroutine(", id),
        Resource::Proc(id) => ("Proc(", id),
        Resource::Thread(id) => ("Thread(", id),
    };
    out.extend_from_slice(name.as_bytes());
    push_i64(out, id);
    out.push(b')');
}

/// `bytes` quoted as Go's `%q` quotes them; printable ASCII without quotes or backslashes is
/// copied as it is.
#[inline]
fn push_quoted(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        let mut s = String::new();
        quote_to(&mut s, bytes);
        out.extend_from_slice(s.as_bytes());
    }
}

/// The frames of stack `id` as Go's `printStack` writes them with a tab prefix.
fn write_frames(tables: &Tables, id: u64, out: &mut Vec<u8>) {
    let Some(id) = NonZeroU64::new(id).map(StackId) else { return };
    for f in tables.frames(id) {
        out.push(b'\t');
        out.extend_from_slice(f.func);
        out.extend_from_slice(b" @ 0x");
        push_hex(out, f.pc);
        out.extend_from_slice(b"\n\t\t");
        out.extend_from_slice(f.file);
        out.push(b':');
        push_u64(out, f.line);
        out.push(b'\n');
    }
}

fn push_hex(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Days since 1970-01-01 to a civil date (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `time.Unix(sec, nsec).Format(time.RFC3339Nano)` in UTC.
fn write_rfc3339_nano(sec: i64, nsec: i64, out: &mut String) {
    let sec = sec.wrapping_add(nsec.div_euclid(1_000_000_000));
    let nsec = nsec.rem_euclid(1_000_000_000);
    let (days, rem) = (sec.div_euclid(86_400), sec.rem_euclid(86_400));
    let (y, mo, d) = civil(days);
    let _ = write!(out, "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60);
    if nsec != 0 {
        let mut frac = format!("{nsec:09}");
        while frac.ends_with('0') {
            frac.pop();
        }
        out.push('.');
        out.push_str(&frac);
    }
    out.push('Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_masks_are_the_table_refs() {
        for code in 0..=255u8 {
            let (stacks, strings) = Event::table_refs(code);
            let want =
                stacks.iter().fold(0u8, |m, &i| m | 1 << i) | strings.iter().fold(0u8, |m, &i| m | 0x10 << i);
            assert_eq!(Event::table_mask(code), want, "{code}");
        }
    }

    #[test]
    fn wall_clock_like_go() {
        let mut s = String::new();
        write_rfc3339_nano(1_700_000_000, 123_450_000, &mut s);
        assert_eq!(s, "2023-11-14T22:13:20.12345Z");
        s.clear();
        write_rfc3339_nano(0, 0, &mut s);
        assert_eq!(s, "1970-01-01T00:00:00Z");
    }
}
