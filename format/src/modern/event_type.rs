//! The modern event types (Go 1.22 – 1.27) as data: codes, names, argument names, the version
//! that introduced each, and how each is laid out on the wire.

use crate::Version;

/// The type of a modern raw record: its first byte.
///
/// Codes 1 – 52 are the base table (1 – 8 structural, 9 – 48 timed events, 49 – 52 batch and
/// generation framing), 128 – 136 the events of the AllocFree experiment; everything else is
/// unassigned. Only assigned codes can be held; [`EventType::from_code`] checks the version too.
///
/// ```
/// use gotrace_format::{modern::EventType, Version};
/// let t = EventType::from_code(14, Version::Go1_22).unwrap();
/// assert_eq!(t, EventType::GO_CREATE);
/// assert_eq!(t.name(), "GoCreate");
/// assert_eq!(t.arg_names(), ["dt", "new_g", "new_stack", "stack"]);
/// assert!(t.is_timed());
/// assert_eq!(EventType::from_code(45, Version::Go1_22), None); // GoSwitch is 1.23+
/// assert_eq!(EventType::from_code(50, Version::Go1_25), Some(EventType::SYNC));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventType(u8);

const TIMED: u8 = 1;
const DATA: u8 = 2;
const STACK: u8 = 4;
const BATCH: u8 = 8;

struct Spec {
    name: &'static str,
    since: Version,
    args: &'static [&'static str],
    flags: u8,
}

const fn spec(name: &'static str, since: Version, args: &'static [&'static str], flags: u8) -> Spec {
    Spec { name, since, args, flags }
}

use Version::{Go1_22, Go1_23, Go1_25, Go1_26};

/// Codes 0 – 52. Names and argument names are those `go tool trace -d=wire` of Go 1.27 prints
/// (`dt` is the timestamp delta of a timed event). Entry 0 is the invalid type `None`, which
/// [`EventType::from_code`] never returns.
const BASE: [Spec; 53] = [
    spec("None", Go1_22, &[], 0),
    spec("EventBatch", Go1_22, &["gen", "m", "time", "size"], BATCH),
    spec("Stacks", Go1_22, &[], 0),
    spec("Stack", Go1_22, &["id", "nframes"], STACK),
    spec("Strings", Go1_22, &[], 0),
    spec("String", Go1_22, &["id"], DATA),
    spec("CPUSamples", Go1_22, &[], 0),
    spec("CPUSample", Go1_22, &["time", "m", "p", "g", "stack"], 0),
    spec("Frequency", Go1_22, &["freq"], 0),
    spec("ProcsChange", Go1_22, &["dt", "procs_value", "stack"], TIMED),
    spec("ProcStart", Go1_22, &["dt", "p", "p_seq"], TIMED),
    spec("ProcStop", Go1_22, &["dt"], TIMED),
    spec("ProcSteal", Go1_22, &["dt", "p", "p_seq", "m"], TIMED),
    spec("ProcStatus", Go1_22, &["dt", "p", "pstatus"], TIMED),
    spec("GoCreate", Go1_22, &["dt", "new_g", "new_stack", "stack"], TIMED),
    spec("GoCreateSyscall", Go1_22, &["dt", "new_g"], TIMED),
    spec("GoStart", Go1_22, &["dt", "g", "g_seq"], TIMED),
    spec("GoDestroy", Go1_22, &["dt"], TIMED),
    spec("GoDestroySyscall", Go1_22, &["dt"], TIMED),
    spec("GoStop", Go1_22, &["dt", "reason_string", "stack"], TIMED),
    spec("GoBlock", Go1_22, &["dt", "reason_string", "stack"], TIMED),
    spec("GoUnblock", Go1_22, &["dt", "g", "g_seq", "stack"], TIMED),
    spec("GoSyscallBegin", Go1_22, &["dt", "p_seq", "stack"], TIMED),
    spec("GoSyscallEnd", Go1_22, &["dt"], TIMED),
    spec("GoSyscallEndBlocked", Go1_22, &["dt"], TIMED),
    spec("GoStatus", Go1_22, &["dt", "g", "m", "gstatus"], TIMED),
    spec("STWBegin", Go1_22, &["dt", "kind_string", "stack"], TIMED),
    spec("STWEnd", Go1_22, &["dt"], TIMED),
    spec("GCActive", Go1_22, &["dt", "gc_seq"], TIMED),
    spec("GCBegin", Go1_22, &["dt", "gc_seq", "stack"], TIMED),
    spec("GCEnd", Go1_22, &["dt", "gc_seq"], TIMED),
    spec("GCSweepActive", Go1_22, &["dt", "p"], TIMED),
    spec("GCSweepBegin", Go1_22, &["dt", "stack"], TIMED),
    spec("GCSweepEnd", Go1_22, &["dt", "swept_value", "reclaimed_value"], TIMED),
    spec("GCMarkAssistActive", Go1_22, &["dt", "g"], TIMED),
    spec("GCMarkAssistBegin", Go1_22, &["dt", "stack"], TIMED),
    spec("GCMarkAssistEnd", Go1_22, &["dt"], TIMED),
    spec("HeapAlloc", Go1_22, &["dt", "heapalloc_value"], TIMED),
    spec("HeapGoal", Go1_22, &["dt", "heapgoal_value"], TIMED),
    spec("GoLabel", Go1_22, &["dt", "label_string"], TIMED),
    spec("UserTaskBegin", Go1_22, &["dt", "task", "parent_task", "name_string", "stack"], TIMED),
    spec("UserTaskEnd", Go1_22, &["dt", "task", "stack"], TIMED),
    spec("UserRegionBegin", Go1_22, &["dt", "task", "name_string", "stack"], TIMED),
    spec("UserRegionEnd", Go1_22, &["dt", "task", "name_string", "stack"], TIMED),
    spec("UserLog", Go1_22, &["dt", "task", "key_string", "value_string", "stack"], TIMED),
    spec("GoSwitch", Go1_23, &["dt", "g", "g_seq"], TIMED),
    spec("GoSwitchDestroy", Go1_23, &["dt", "g", "g_seq"], TIMED),
    spec("GoCreateBlocked", Go1_23, &["dt", "new_g", "new_stack", "stack"], TIMED),
    spec("GoStatusStack", Go1_23, &["dt", "g", "m", "gstatus", "stack"], TIMED),
    spec("ExperimentalBatch", Go1_23, &["exp", "gen", "m", "time"], DATA | BATCH),
    spec("Sync", Go1_25, &[], 0),
    spec("ClockSnapshot", Go1_25, &["dt", "mono", "sec", "nsec"], TIMED),
    spec("EndOfGeneration", Go1_26, &[], 0),
];

/// Codes 128 – 136: the AllocFree experiment (experiment 1, `GODEBUG=traceallocfree=1`).
const ALLOC_FREE: [Spec; 9] = [
    spec("Span", Go1_23, &["dt", "id", "npages_value", "kindclass"], TIMED),
    spec("SpanAlloc", Go1_23, &["dt", "id", "npages_value", "kindclass"], TIMED),
    spec("SpanFree", Go1_23, &["dt", "id"], TIMED),
    spec("HeapObject", Go1_23, &["dt", "id", "type"], TIMED),
    spec("HeapObjectAlloc", Go1_23, &["dt", "id", "type"], TIMED),
    spec("HeapObjectFree", Go1_23, &["dt", "id"], TIMED),
    spec("GoroutineStack", Go1_23, &["dt", "id", "order"], TIMED),
    spec("GoroutineStackAlloc", Go1_23, &["dt", "id", "order"], TIMED),
    spec("GoroutineStackFree", Go1_23, &["dt", "id"], TIMED),
];

/// First code of the experimental events.
const EXPERIMENTAL_BASE: u8 = 128;

/// The names of the four values of each stack frame, in wire order.
pub const FRAME_FIELDS: [&str; 4] = ["pc", "func", "file", "line"];

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal,)*) => {
        impl EventType {
            $($(#[$doc])* pub const $name: EventType = EventType($code);)*
        }
    };
}

codes! {
    /// Start of a batch: `[gen, m, time, size]`, then `size` bytes of body.
    EVENT_BATCH = 1,
    /// First byte of a stack table batch.
    STACKS = 2,
    /// A stack: `[id, nframes]`, then `nframes` × `[pc, func, file, line]`.
    STACK = 3,
    /// First byte of a string table batch.
    STRINGS = 4,
    /// A string: `[id]`, then a length and the bytes.
    STRING = 5,
    /// First byte of a CPU sample batch.
    CPU_SAMPLES = 6,
    /// A CPU sample: `[time, m, p, g, stack]`.
    CPU_SAMPLE = 7,
    /// Clock units per second: `[freq]` (the first byte of a frequency batch in 22 and 23).
    FREQUENCY = 8,
    /// GOMAXPROCS.
    PROCS_CHANGE = 9,
    /// A P starts.
    PROC_START = 10,
    /// A P stops.
    PROC_STOP = 11,
    /// A P is stolen from a thread in a syscall.
    PROC_STEAL = 12,
    /// A P's status at the start of a generation.
    PROC_STATUS = 13,
    /// A goroutine is created.
    GO_CREATE = 14,
    /// A goroutine appears in a syscall (cgo callback).
    GO_CREATE_SYSCALL = 15,
    /// A goroutine starts running.
    GO_START = 16,
    /// The running goroutine ends.
    GO_DESTROY = 17,
    /// A goroutine ends in a syscall.
    GO_DESTROY_SYSCALL = 18,
    /// The running goroutine yields but stays runnable.
    GO_STOP = 19,
    /// The running goroutine blocks.
    GO_BLOCK = 20,
    /// A goroutine is unblocked.
    GO_UNBLOCK = 21,
    /// The running goroutine enters a syscall.
    GO_SYSCALL_BEGIN = 22,
    /// A syscall returns, the P kept.
    GO_SYSCALL_END = 23,
    /// A syscall returns, the P lost.
    GO_SYSCALL_END_BLOCKED = 24,
    /// A goroutine's status at the start of a generation.
    GO_STATUS = 25,
    /// Stop-the-world begins.
    STW_BEGIN = 26,
    /// Stop-the-world ends.
    STW_END = 27,
    /// A GC mark phase is in progress.
    GC_ACTIVE = 28,
    /// A GC mark phase begins.
    GC_BEGIN = 29,
    /// A GC mark phase ends.
    GC_END = 30,
    /// A P is sweeping.
    GC_SWEEP_ACTIVE = 31,
    /// Sweeping begins.
    GC_SWEEP_BEGIN = 32,
    /// Sweeping ends.
    GC_SWEEP_END = 33,
    /// A goroutine is in a mark assist.
    GC_MARK_ASSIST_ACTIVE = 34,
    /// A mark assist begins.
    GC_MARK_ASSIST_BEGIN = 35,
    /// A mark assist ends.
    GC_MARK_ASSIST_END = 36,
    /// Live heap bytes.
    HEAP_ALLOC = 37,
    /// Heap goal bytes.
    HEAP_GOAL = 38,
    /// A label for the running goroutine.
    GO_LABEL = 39,
    /// `trace.NewTask`.
    USER_TASK_BEGIN = 40,
    /// `Task.End`.
    USER_TASK_END = 41,
    /// A region begins.
    USER_REGION_BEGIN = 42,
    /// A region ends.
    USER_REGION_END = 43,
    /// `trace.Log`.
    USER_LOG = 44,
    /// A coroutine switch (1.23+).
    GO_SWITCH = 45,
    /// A coroutine switch that ends the running goroutine (1.23+).
    GO_SWITCH_DESTROY = 46,
    /// A goroutine is created blocked (1.23+).
    GO_CREATE_BLOCKED = 47,
    /// A goroutine's status with its stack (1.23+).
    GO_STATUS_STACK = 48,
    /// Start of an experimental batch: one raw byte (the experiment), `[gen, m, time, size]`,
    /// then `size` opaque bytes (1.23+).
    EXPERIMENTAL_BATCH = 49,
    /// First byte of a sync batch (25+).
    SYNC = 50,
    /// Trace, monotonic and wall clocks: `[dt, mono, sec, nsec]` (25+).
    CLOCK_SNAPSHOT = 51,
    /// The lone byte after every generation (26).
    END_OF_GENERATION = 52,
    /// AllocFree: a heap span exists.
    SPAN = 128,
    /// AllocFree: a span is allocated.
    SPAN_ALLOC = 129,
    /// AllocFree: a span is freed.
    SPAN_FREE = 130,
    /// AllocFree: a heap object exists.
    HEAP_OBJECT = 131,
    /// AllocFree: an object is allocated.
    HEAP_OBJECT_ALLOC = 132,
    /// AllocFree: an object is freed.
    HEAP_OBJECT_FREE = 133,
    /// AllocFree: a goroutine stack exists.
    GOROUTINE_STACK = 134,
    /// AllocFree: a goroutine stack is allocated.
    GOROUTINE_STACK_ALLOC = 135,
    /// AllocFree: a goroutine stack is freed.
    GOROUTINE_STACK_FREE = 136,
}

fn spec_of(code: u8) -> Option<&'static Spec> {
    match code {
        1..=52 => Some(&BASE[usize::from(code)]),
        128..=136 => Some(&ALLOC_FREE[usize::from(code - EXPERIMENTAL_BASE)]),
        _ => None,
    }
}

impl EventType {
    /// The type with this code in a trace of `version`: `None` for unassigned codes, for types
    /// introduced after `version` (a 1.23 type in a 1.22 trace) and for every legacy version.
    ///
    /// This is the set gotrace's raw reader accepts: what the Go releases writing `version`
    /// write. It differs from Go 1.27's raw reader (`go tool trace -d=wire`) in one place only,
    /// the experimental events of 23 and 25 traces (see [`EventType::in_go_wire_table`]).
    #[must_use]
    #[inline]
    pub fn from_code(code: u8, version: Version) -> Option<EventType> {
        match spec_of(code) {
            Some(s) if s.since <= version && !version.is_legacy() => Some(EventType(code)),
            _ => None,
        }
    }

    /// The type with this code, which the caller knows to exist (the readers checked it).
    #[must_use]
    #[inline]
    pub(crate) const fn from_code_unchecked(code: u8) -> EventType {
        EventType(code)
    }

    /// The type with this name in `version` (see [`EventType::from_code`]).
    ///
    /// ```
    /// use gotrace_format::{modern::EventType, Version};
    /// assert_eq!(EventType::from_name("GoStart", Version::Go1_23), Some(EventType::GO_START));
    /// assert_eq!(EventType::from_name("Sync", Version::Go1_23), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str, version: Version) -> Option<EventType> {
        EventType::all(version).find(|t| t.name() == name)
    }

    /// Every type of `version`, by code.
    pub fn all(version: Version) -> impl Iterator<Item = EventType> {
        (1..=u8::MAX).filter_map(move |c| EventType::from_code(c, version))
    }

    /// The numeric code (the type byte).
    #[must_use]
    #[inline]
    pub const fn code(self) -> u8 {
        self.0
    }

    #[inline]
    fn spec(self) -> &'static Spec {
        match spec_of(self.0) {
            Some(s) => s,
            None => &BASE[0],
        }
    }

    /// Go's name of the type.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The version that introduced the type.
    #[must_use]
    pub fn since(self) -> Version {
        self.spec().since
    }

    /// Names of the arguments, in wire order, as the text form writes them (`dt` first for a
    /// timed event; a stack's frames and a string's bytes follow the arguments).
    #[must_use]
    pub fn arg_names(self) -> &'static [&'static str] {
        self.spec().args
    }

    /// True for the events that sit in event batches and carry a timestamp delta `dt`
    /// (9 – 48, 128 – 136, and `ClockSnapshot`).
    #[must_use]
    #[inline]
    pub fn is_timed(self) -> bool {
        self.spec().flags & TIMED != 0
    }

    /// True when bytes follow the arguments, after their length: `String`, whose length is a
    /// varint of its own, and `ExperimentalBatch`, whose length is its `size`.
    #[must_use]
    #[inline]
    pub fn has_data(self) -> bool {
        self.spec().flags & DATA != 0
    }

    /// True for `Stack`: `nframes` × 4 values follow the arguments.
    #[must_use]
    #[inline]
    pub fn is_stack(self) -> bool {
        self.spec().flags & STACK != 0
    }

    /// True for the batch headers, `EventBatch` and `ExperimentalBatch`.
    #[must_use]
    #[inline]
    pub fn is_batch_header(self) -> bool {
        self.spec().flags & BATCH != 0
    }

    /// True for the events of an experiment (codes 128 and up).
    #[must_use]
    pub fn is_experimental(self) -> bool {
        self.0 >= EXPERIMENTAL_BASE
    }

    /// Number of varints after the type byte (and, for `ExperimentalBatch`, after its
    /// experiment byte), not counting a stack's frames nor a data length.
    #[must_use]
    #[inline]
    pub fn varint_count(self) -> usize {
        self.arg_names().len() - usize::from(self == EventType::EXPERIMENTAL_BATCH)
    }

    /// True when Go 1.27's raw reader (`go tool trace -d=wire`, and its text reader) knows the
    /// type in a trace of `version`: each version there owns a prefix of Go's table — up to
    /// `UserLog` for 22, `ExperimentalBatch` for 23, `ClockSnapshot` for 25, everything for 26 —
    /// so Go 1.27 cannot dump the experimental events of a 23 or 25 trace.
    ///
    /// ```
    /// use gotrace_format::{modern::EventType, Version};
    /// assert!(EventType::SPAN_ALLOC.in_go_wire_table(Version::Go1_26));
    /// assert!(!EventType::SPAN_ALLOC.in_go_wire_table(Version::Go1_23));
    /// assert!(EventType::EXPERIMENTAL_BATCH.in_go_wire_table(Version::Go1_23));
    /// ```
    #[must_use]
    pub fn in_go_wire_table(self, version: Version) -> bool {
        let last = match version {
            Version::Go1_22 => EventType::USER_LOG,
            Version::Go1_23 => EventType::EXPERIMENTAL_BATCH,
            Version::Go1_25 => EventType::CLOCK_SNAPSHOT,
            Version::Go1_26 => EventType::GOROUTINE_STACK_FREE,
            _ => return false,
        };
        EventType::from_code(self.0, version).is_some() && self <= last
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_per_version() {
        // 22: 1–44; 23: 1–49 and 128–136; 25: adds 50, 51; 26: adds 52.
        assert_eq!(EventType::all(Version::Go1_22).count(), 44);
        assert_eq!(EventType::all(Version::Go1_23).count(), 49 + 9);
        assert_eq!(EventType::all(Version::Go1_25).count(), 51 + 9);
        assert_eq!(EventType::all(Version::Go1_26).count(), 52 + 9);
        assert_eq!(EventType::all(Version::Go1_21).count(), 0);
        assert_eq!(EventType::from_code(0, Version::Go1_26), None);
        assert_eq!(EventType::from_code(53, Version::Go1_26), None);
        assert_eq!(EventType::from_code(137, Version::Go1_26), None);
        let wire = |v| EventType::all(v).filter(|t| t.in_go_wire_table(v)).count();
        assert_eq!(
            [Version::Go1_22, Version::Go1_23, Version::Go1_25, Version::Go1_26].map(wire),
            [44, 49, 51, 61]
        );
    }

    #[test]
    fn layout_flags() {
        let timed: Vec<u8> =
            EventType::all(Version::Go1_26).filter(|t| t.is_timed()).map(EventType::code).collect();
        let mut want: Vec<u8> = (9..=48).chain([51]).chain(128..=136).collect();
        want.sort_unstable();
        assert_eq!(timed, want);
        for t in EventType::all(Version::Go1_26) {
            assert_eq!(t.is_timed(), t.arg_names().first() == Some(&"dt"), "{t}");
            assert_eq!(EventType::from_name(t.name(), Version::Go1_26), Some(t));
        }
        assert_eq!(EventType::EXPERIMENTAL_BATCH.varint_count(), 3);
        assert_eq!(EventType::EVENT_BATCH.varint_count(), 4);
        assert!(EventType::STRING.has_data() && EventType::STACK.is_stack());
        assert_eq!(EventType::GO_STATUS_STACK.name(), "GoStatusStack");
        assert_eq!(EventType::GOROUTINE_STACK_FREE.name(), "GoroutineStackFree");
    }
}
