//! The legacy event types (Go 1.5 – 1.21) as data: codes, names, arguments, versions.

use crate::Version;

/// The type of a legacy raw record: the low 6 bits of its first byte.
///
/// Only codes that exist in some version can be held; [`EventType::from_code`] checks the
/// version too.
///
/// ```
/// use gotrace_format::{legacy::EventType, Version};
/// let t = EventType::from_code(13, Version::Go1_19).unwrap();
/// assert_eq!(t, EventType::GO_CREATE);
/// assert_eq!(t.name(Version::Go1_19), "GoCreate");
/// assert_eq!(t.arg_names(), ["g", "stack"]);
/// assert!(t.has_stack());
/// assert_eq!(t.value_count(Version::Go1_19), Some(4)); // ts delta, g, new stack, stack
/// assert_eq!(EventType::from_code(49, Version::Go1_11), None); // CPUSample is 1.19+
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventType(u8);

struct Spec {
    name: &'static str,
    since: Version,
    stack: bool,
    args: &'static [&'static str],
    sargs: &'static [&'static str],
}

const fn spec(
    name: &'static str,
    since: Version,
    stack: bool,
    args: &'static [&'static str],
    sargs: &'static [&'static str],
) -> Spec {
    Spec { name, since, stack, args, sargs }
}

use Version::{Go1_11, Go1_19, Go1_5, Go1_7, Go1_8, Go1_9};

/// Indexed by code; entry 0 is the invalid type "None". Names and argument names are those of
/// Go 1.19's parser (the names `go tool trace -d` prints).
const SPECS: [Spec; 50] = [
    spec("None", Go1_5, false, &[], &[]),
    spec("Batch", Go1_5, false, &["p", "ticks"], &[]),
    spec("Frequency", Go1_5, false, &["freq"], &[]),
    spec("Stack", Go1_5, false, &["id", "siz"], &[]),
    spec("Gomaxprocs", Go1_5, true, &["procs"], &[]),
    spec("ProcStart", Go1_5, false, &["thread"], &[]),
    spec("ProcStop", Go1_5, false, &[], &[]),
    spec("GCStart", Go1_5, true, &["seq"], &[]),
    spec("GCDone", Go1_5, false, &[], &[]),
    spec("GCSTWStart", Go1_5, false, &["kindid"], &["kind"]),
    spec("GCSTWDone", Go1_5, false, &[], &[]),
    spec("GCSweepStart", Go1_5, true, &[], &[]),
    spec("GCSweepDone", Go1_5, false, &["swept", "reclaimed"], &[]),
    spec("GoCreate", Go1_5, true, &["g", "stack"], &[]),
    spec("GoStart", Go1_5, false, &["g", "seq"], &[]),
    spec("GoEnd", Go1_5, false, &[], &[]),
    spec("GoStop", Go1_5, true, &[], &[]),
    spec("GoSched", Go1_5, true, &[], &[]),
    spec("GoPreempt", Go1_5, true, &[], &[]),
    spec("GoSleep", Go1_5, true, &[], &[]),
    spec("GoBlock", Go1_5, true, &[], &[]),
    spec("GoUnblock", Go1_5, true, &["g", "seq"], &[]),
    spec("GoBlockSend", Go1_5, true, &[], &[]),
    spec("GoBlockRecv", Go1_5, true, &[], &[]),
    spec("GoBlockSelect", Go1_5, true, &[], &[]),
    spec("GoBlockSync", Go1_5, true, &[], &[]),
    spec("GoBlockCond", Go1_5, true, &[], &[]),
    spec("GoBlockNet", Go1_5, true, &[], &[]),
    spec("GoSysCall", Go1_5, true, &[], &[]),
    spec("GoSysExit", Go1_5, false, &["g", "seq", "ts"], &[]),
    spec("GoSysBlock", Go1_5, false, &[], &[]),
    spec("GoWaiting", Go1_5, false, &["g"], &[]),
    spec("GoInSyscall", Go1_5, false, &["g"], &[]),
    spec("HeapAlloc", Go1_5, false, &["mem"], &[]),
    spec("HeapGoal", Go1_5, false, &["mem"], &[]),
    spec("TimerGoroutine", Go1_5, false, &["g"], &[]),
    spec("FutileWakeup", Go1_5, false, &[], &[]),
    spec("String", Go1_7, false, &[], &[]),
    spec("GoStartLocal", Go1_7, false, &["g"], &[]),
    spec("GoUnblockLocal", Go1_7, true, &["g"], &[]),
    spec("GoSysExitLocal", Go1_7, false, &["g", "ts"], &[]),
    spec("GoStartLabel", Go1_8, false, &["g", "seq", "labelid"], &["label"]),
    spec("GoBlockGC", Go1_8, true, &[], &[]),
    spec("GCMarkAssistStart", Go1_9, true, &[], &[]),
    spec("GCMarkAssistDone", Go1_9, false, &[], &[]),
    spec("UserTaskCreate", Go1_11, true, &["taskid", "pid", "typeid"], &["name"]),
    spec("UserTaskEnd", Go1_11, true, &["taskid"], &[]),
    spec("UserRegion", Go1_11, true, &["taskid", "mode", "typeid"], &["name"]),
    spec("UserLog", Go1_11, true, &["id", "keyid"], &["category", "message"]),
    spec("CPUSample", Go1_19, true, &["ts", "p", "g"], &[]),
];

/// Largest number of frames Go accepts in a stack record.
pub const MAX_STACK_FRAMES: u64 = 1000;

/// Largest length Go accepts for a string record or a `UserLog` message.
pub const MAX_STRING_LEN: u64 = 1_000_000;

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal,)*) => {
        impl EventType {
            $($(#[$doc])* pub const $name: EventType = EventType($code);)*
        }
    };
}

codes! {
    /// Start of a batch: `[p, ticks]`.
    BATCH = 1,
    /// Tick frequency: `[ticks per second]`.
    FREQUENCY = 2,
    /// A stack: `[id, n, frames…]`.
    STACK = 3,
    /// GOMAXPROCS value.
    GOMAXPROCS = 4,
    /// A P starts.
    PROC_START = 5,
    /// A P stops.
    PROC_STOP = 6,
    /// GC starts.
    GC_START = 7,
    /// GC ends.
    GC_DONE = 8,
    /// Stop-the-world starts (`GCSTWStart`, `STWStart` in Go 1.21).
    STW_START = 9,
    /// Stop-the-world ends.
    STW_DONE = 10,
    /// Sweep starts.
    GC_SWEEP_START = 11,
    /// Sweep ends.
    GC_SWEEP_DONE = 12,
    /// A goroutine is created.
    GO_CREATE = 13,
    /// A goroutine starts running.
    GO_START = 14,
    /// A goroutine ends.
    GO_END = 15,
    /// A goroutine stops forever (`select {}`).
    GO_STOP = 16,
    /// A goroutine yields.
    GO_SCHED = 17,
    /// A goroutine is preempted.
    GO_PREEMPT = 18,
    /// A goroutine sleeps.
    GO_SLEEP = 19,
    /// A goroutine blocks.
    GO_BLOCK = 20,
    /// A goroutine is unblocked.
    GO_UNBLOCK = 21,
    /// Blocks on a channel send.
    GO_BLOCK_SEND = 22,
    /// Blocks on a channel receive.
    GO_BLOCK_RECV = 23,
    /// Blocks in select.
    GO_BLOCK_SELECT = 24,
    /// Blocks on a mutex.
    GO_BLOCK_SYNC = 25,
    /// Blocks on a condition variable.
    GO_BLOCK_COND = 26,
    /// Blocks on the network.
    GO_BLOCK_NET = 27,
    /// Enters a syscall.
    GO_SYS_CALL = 28,
    /// Returns from a syscall.
    GO_SYS_EXIT = 29,
    /// A syscall blocks.
    GO_SYS_BLOCK = 30,
    /// A goroutine was blocked when tracing started.
    GO_WAITING = 31,
    /// A goroutine was in a syscall when tracing started.
    GO_IN_SYSCALL = 32,
    /// Live heap size.
    HEAP_ALLOC = 33,
    /// Next GC goal.
    HEAP_GOAL = 34,
    /// Declares a timer goroutine (Go ≤ 1.13).
    TIMER_GOROUTINE = 35,
    /// The previous wakeup was futile.
    FUTILE_WAKEUP = 36,
    /// A string table entry: `[id]` + text.
    STRING = 37,
    /// `GoStart` on the P of the goroutine's previous event.
    GO_START_LOCAL = 38,
    /// `GoUnblock` on the P of the goroutine's previous event.
    GO_UNBLOCK_LOCAL = 39,
    /// `GoSysExit` on the P of the goroutine's previous event.
    GO_SYS_EXIT_LOCAL = 40,
    /// `GoStart` with a label (GC workers).
    GO_START_LABEL = 41,
    /// Blocks on GC assist.
    GO_BLOCK_GC = 42,
    /// Mark assist starts.
    GC_MARK_ASSIST_START = 43,
    /// Mark assist ends.
    GC_MARK_ASSIST_DONE = 44,
    /// `trace.NewTask`.
    USER_TASK_CREATE = 45,
    /// A task ends.
    USER_TASK_END = 46,
    /// A region starts or ends.
    USER_REGION = 47,
    /// `trace.Log`: `[ts, task, key, stack]` + message.
    USER_LOG = 48,
    /// A CPU profile sample.
    CPU_SAMPLE = 49,
}

impl EventType {
    /// Number of type codes (one past the largest).
    pub const COUNT: u8 = 50;

    /// The type with this code in `version`: `None` for 0, codes ≥ 50, and types introduced
    /// after `version` (all of which Go rejects as "unknown event type"), and for every code of
    /// a modern version (see [`crate::modern::EventType`]).
    #[must_use]
    #[inline]
    pub fn from_code(code: u8, version: Version) -> Option<EventType> {
        if code == 0
            || code >= Self::COUNT
            || SPECS[usize::from(code)].since > version
            || !version.is_legacy()
        {
            None
        } else {
            Some(EventType(code))
        }
    }

    /// The type with `code`, a code that [`EventType::code`] gave (the parser's events keep
    /// their type as its code): no check of the version, and in release builds none of the
    /// code, for the readers' hot paths. Any other code is a bug of the caller's: debug builds
    /// panic here, release builds give a type whose queries may panic.
    ///
    /// ```
    /// use gotrace_format::legacy::EventType;
    /// let code = EventType::GO_START.code();
    /// assert_eq!(EventType::from_code_unchecked(code), EventType::GO_START);
    /// ```
    #[must_use]
    #[inline]
    pub const fn from_code_unchecked(code: u8) -> EventType {
        debug_assert!(code != 0 && code < Self::COUNT, "no legacy event type has this code");
        EventType(code)
    }

    /// Every type that exists in `version`, by code.
    pub fn all(version: Version) -> impl Iterator<Item = EventType> {
        (1..Self::COUNT).filter_map(move |c| EventType::from_code(c, version))
    }

    /// The numeric code.
    #[must_use]
    #[inline]
    pub const fn code(self) -> u8 {
        self.0
    }

    #[inline]
    fn spec(self) -> &'static Spec {
        &SPECS[self.0 as usize]
    }

    /// Go's name for the type in the parser of the release that reads `version`: Go 1.21
    /// renamed `GCSTWStart`/`GCSTWDone` to `STWStart`/`STWDone`.
    #[must_use]
    pub fn name(self, version: Version) -> &'static str {
        match (self, version >= Version::Go1_21) {
            (EventType::STW_START, true) => "STWStart",
            (EventType::STW_DONE, true) => "STWDone",
            _ => self.spec().name,
        }
    }

    /// Go 1.19's name for the type.
    #[must_use]
    pub fn name_1_19(self) -> &'static str {
        self.spec().name
    }

    /// The version that introduced the type.
    #[must_use]
    pub fn since(self) -> Version {
        self.spec().since
    }

    /// Names Go's `-d` output gives the event's arguments.
    #[must_use]
    pub fn arg_names(self) -> &'static [&'static str] {
        self.spec().args
    }

    /// Names of the string arguments Go's parser derives (`-d` prints them after the others).
    #[must_use]
    pub fn string_arg_names(self) -> &'static [&'static str] {
        self.spec().sargs
    }

    /// True when the last value is a stack id.
    #[must_use]
    pub fn has_stack(self) -> bool {
        self.spec().stack
    }

    /// True for the records that are not events: batch headers, frequency, stacks, strings and
    /// timer goroutines carry no timestamp.
    #[must_use]
    #[inline]
    pub fn has_timestamp(self) -> bool {
        !matches!(
            self,
            EventType::BATCH
                | EventType::FREQUENCY
                | EventType::STACK
                | EventType::TIMER_GOROUTINE
                | EventType::STRING
        )
    }

    /// True for the types whose record is followed by a length-prefixed text outside the
    /// values: `UserLog` (its message). String records hold their text as well, after `[id]`.
    #[must_use]
    pub fn has_text(self) -> bool {
        matches!(self, EventType::USER_LOG | EventType::STRING)
    }

    /// Number of values a record of this type holds in `version`, as Go checks it; `None` for
    /// `Stack` (it depends on the frame count) and `String` (not a value record).
    #[must_use]
    pub fn value_count(self, version: Version) -> Option<u32> {
        if matches!(self, EventType::STACK | EventType::STRING) {
            return None;
        }
        let old = version < Version::Go1_7;
        let mut n = self.arg_names().len() as u32 + u32::from(self.has_stack());
        if !self.has_timestamp() {
            return Some(n + u32::from(old));
        }
        n += 1 + u32::from(old);
        n -= match self {
            EventType::GC_SWEEP_DONE if version < Version::Go1_9 => 2,
            EventType::GC_START | EventType::GO_START | EventType::GO_UNBLOCK if old => 1,
            EventType::STW_START if version < Version::Go1_10 => 1,
            _ => 0,
        };
        Some(n)
    }

    /// The name of the `index`-th value of a record of this type in `version`, as `gotrace dump
    /// --raw` prints it: `dseq` (1.5 sequence delta), `dt` (timestamp delta), Go's argument
    /// names, `stk` (stack id). Stack records: `id`, `n`, then `pc`, `func`, `file`, `line` per
    /// frame (`pc` only in 1.5).
    ///
    /// ```
    /// use gotrace_format::{legacy::EventType, Version};
    /// let names: Vec<_> = (0..4).map(|i| EventType::GO_CREATE.value_name(Version::Go1_19, i)).collect();
    /// assert_eq!(names, ["dt", "g", "stack", "stk"]);
    /// assert_eq!(EventType::BATCH.value_name(Version::Go1_5, 1), "seq");
    /// ```
    #[must_use]
    pub fn value_name(self, version: Version, index: usize) -> &'static str {
        let old = version < Version::Go1_7;
        match self {
            EventType::STACK => {
                const FRAME: [&str; 4] = ["pc", "func", "file", "line"];
                match index {
                    0 => "id",
                    1 => "n",
                    _ if old => "pc",
                    i => FRAME[(i - 2) % 4],
                }
            }
            EventType::STRING => "id",
            EventType::BATCH if old => ["p", "seq", "ticks"].get(index).copied().unwrap_or("?"),
            EventType::FREQUENCY | EventType::TIMER_GOROUTINE if old && index == 1 => "unused",
            t if !t.has_timestamp() => t.arg_names().get(index).copied().unwrap_or("?"),
            t => {
                let mut i = index;
                if old {
                    if i == 0 {
                        return "dseq";
                    }
                    i -= 1;
                }
                if i == 0 {
                    return "dt";
                }
                i -= 1;
                let args = t.wire_arg_names(version);
                match args.get(i) {
                    Some(name) => name,
                    None if t.has_stack() && i == args.len() => "stk",
                    None => "?",
                }
            }
        }
    }

    /// Go's argument names minus those the type did not have yet in `version`.
    fn wire_arg_names(self, version: Version) -> &'static [&'static str] {
        let args = self.arg_names();
        match self {
            EventType::GC_SWEEP_DONE if version < Version::Go1_9 => &[],
            EventType::STW_START if version < Version::Go1_10 => &[],
            EventType::GC_START if version < Version::Go1_7 => &[],
            EventType::GO_START | EventType::GO_UNBLOCK if version < Version::Go1_7 => &["g"],
            _ => args,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_counts_match_go_rules() {
        // Hand-checked against Go's argNum and the spec's table 4.2.
        let v = Version::Go1_19;
        assert_eq!(EventType::BATCH.value_count(v), Some(2));
        assert_eq!(EventType::BATCH.value_count(Version::Go1_5), Some(3));
        assert_eq!(EventType::GO_CREATE.value_count(Version::Go1_5), Some(5));
        assert_eq!(EventType::GO_START.value_count(Version::Go1_5), Some(3));
        assert_eq!(EventType::GO_SYS_EXIT.value_count(Version::Go1_5), Some(5));
        assert_eq!(EventType::GC_SWEEP_DONE.value_count(Version::Go1_8), Some(1));
        assert_eq!(EventType::GC_SWEEP_DONE.value_count(Version::Go1_9), Some(3));
        assert_eq!(EventType::STW_START.value_count(Version::Go1_9), Some(1));
        assert_eq!(EventType::STW_START.value_count(Version::Go1_10), Some(2));
        assert_eq!(EventType::USER_LOG.value_count(v), Some(4));
        assert_eq!(EventType::CPU_SAMPLE.value_count(v), Some(5));
        assert_eq!(EventType::STACK.value_count(v), None);
    }

    #[test]
    fn value_names_cover_every_value() {
        for version in Version::LEGACY {
            for t in EventType::all(version) {
                if let Some(n) = t.value_count(version) {
                    for i in 0..n as usize {
                        assert_ne!(t.value_name(version, i), "?", "{t:?} {version} {i}");
                    }
                    assert_eq!(t.value_name(version, n as usize), "?", "{t:?} {version}");
                }
            }
        }
    }

    #[test]
    fn names_per_release() {
        assert_eq!(EventType::STW_START.name(Version::Go1_19), "GCSTWStart");
        assert_eq!(EventType::STW_DONE.name(Version::Go1_21), "STWDone");
        assert_eq!(EventType::all(Version::Go1_5).count(), 36);
        assert_eq!(EventType::all(Version::Go1_21).count(), 49);
        assert_eq!(EventType::all(Version::Go1_22).count(), 0, "no legacy type in a modern trace");
    }
}
