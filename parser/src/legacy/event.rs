//! The ordered event of a legacy trace: compact (56 bytes), pointer-free, `Copy`.

use gotrace_format::legacy::EventType;
use gotrace_format::{Error, ErrorKind, Limit, Version};

/// The pseudo-P of `GoUnblock` events performed by a timer goroutine (Go ≤ 1.13).
///
/// ```
/// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/stress_1_9_good"))?;
/// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
/// use gotrace_parser::legacy::TIMER_P;
/// assert!(trace.events().any(|e| e.p() == TIMER_P && e.name(trace.version()) == "GoUnblock"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const TIMER_P: i64 = 1_000_001;
/// The pseudo-P of `GoUnblock` events of goroutines blocked on the network poller.
///
/// ```
/// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
/// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
/// use gotrace_parser::legacy::NETPOLL_P;
/// assert!(trace.events().any(|e| e.p() == NETPOLL_P && e.name(trace.version()) == "GoUnblock"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const NETPOLL_P: i64 = 1_000_002;
/// The pseudo-P of every `GoSysExit`.
///
/// ```
/// assert_eq!(gotrace_parser::legacy::SYSCALL_P, 1_000_003);
/// ```
pub const SYSCALL_P: i64 = 1_000_003;
/// The pseudo-P of every `GCStart`.
///
/// ```
/// assert_eq!(gotrace_parser::legacy::GC_P, 1_000_004);
/// ```
pub const GC_P: i64 = 1_000_004;
/// The batch key of CPU samples (never an event's P).
///
/// ```
/// assert_eq!(gotrace_parser::legacy::PROFILE_P, 1_000_005);
/// ```
pub const PROFILE_P: i64 = 1_000_005;
/// The first pseudo-P (`FakeP`, never assigned).
const FAKE_P: i64 = 1_000_000;

/// Bits of the packed word holding the P code.
const P_BITS: u32 = 18;
/// Bits holding the type code.
const TYPE_BITS: u32 = 6;
/// Bits holding the byte offset.
const OFFSET_BITS: u32 = 64 - P_BITS - TYPE_BITS;
/// Codes of the six pseudo-Ps, at the top of the code space.
const PSEUDO_BASE: u32 = (1 << P_BITS) - 6;
/// Code of a P that only a CPU sample names (taken from its argument).
const P_FROM_ARG: u32 = PSEUDO_BASE - 1;

/// The largest P id an event can carry (Go has no limit; no runtime comes near): a batch of a
/// larger P fails with [`ErrorKind::LimitExceeded`].
///
/// ```
/// assert!(gotrace_parser::legacy::MAX_P > 200_000);
/// ```
pub const MAX_P: i64 = P_FROM_ARG as i64 - 2;
/// The largest byte offset an event can have (1 TiB): a bigger file fails with
/// [`ErrorKind::LimitExceeded`].
///
/// ```
/// assert_eq!(gotrace_parser::legacy::MAX_OFFSET, (1 << 40) - 1);
/// ```
pub const MAX_OFFSET: u64 = (1 << OFFSET_BITS) - 1;

/// "No event" in a link, "no stack" in a stack handle.
pub(crate) const NONE: u32 = u32::MAX;

/// A P id as a dense code: −1 → 0, p → p + 1, the pseudo-Ps at the top.
#[inline]
pub(crate) fn p_code(p: i64) -> Option<u32> {
    if (-1..=MAX_P).contains(&p) {
        Some((p + 1) as u32)
    } else if (FAKE_P..=PROFILE_P).contains(&p) {
        Some(PSEUDO_BASE + (p - FAKE_P) as u32)
    } else {
        None
    }
}

#[inline]
fn p_of_code(code: u32) -> i64 {
    if code >= PSEUDO_BASE {
        FAKE_P + i64::from(code - PSEUDO_BASE)
    } else {
        i64::from(code) - 1
    }
}

/// A stack of a parsed trace: a handle to resolve with [`Trace::stack`](super::Trace::stack).
///
/// Handles are not Go's stack ids: [`Trace::stack_id`](super::Trace::stack_id) gives that back.
/// Go 1.5/1.6 traces also have synthetic one-frame stacks (a goroutine's start PC) that have
/// no id.
///
/// ```
/// use gotrace_parser::legacy::StackId;
/// assert!(StackId::NONE.is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackId(pub(crate) u32);

impl StackId {
    /// No stack.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// use gotrace_parser::legacy::StackId;
    /// assert_eq!(trace.stack(StackId::NONE).count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const NONE: StackId = StackId(0);

    /// True for [`StackId::NONE`].
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let end = trace.events().find(|e| e.name(trace.version()) == "GoEnd").unwrap();
    /// assert!(end.stack().is_none()); // GoEnd has no stack
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}

/// One event of an ordered legacy trace, as Go's parser (`internal/trace`) gives it: time in
/// nanoseconds since the first event, type (Local types already rewritten), P (possibly a
/// pseudo-P such as [`SYSCALL_P`]), goroutine, byte offset, three arguments, stack, and the
/// index of the linked event.
///
/// 56 bytes, no pointer: strings and stacks are ids resolved through the
/// [`Trace`](super::Trace) that holds the event.
///
/// ```
/// use gotrace_parser::legacy::Trace;
/// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
/// let trace = Trace::from_slice(&data)?;
/// let first = trace.events().next().unwrap();
/// assert_eq!(first.ts(), 0);
/// assert_eq!(first.name(trace.version()), "GoCreate");
/// assert_eq!((first.p(), first.g(), first.offset()), (1, 0, 1772));
/// assert_eq!(first.args(), [1, 2, 0]); // g=1 stack=2
/// let started = trace.event(first.link().unwrap()).unwrap();
/// assert_eq!(started.name(trace.version()), "GoStart");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Ticks until the ordering is done, then nanoseconds since the first event.
    pub(crate) ts: i64,
    pub(crate) g: u64,
    /// Go's `Args`; for `UserLog`, `args[2]` holds the index of its message instead, for GC
    /// and STW starts and ends the goroutine running on the P (their `g` is 0).
    pub(crate) args: [u64; 3],
    /// Offset (high bits), type code, P code (low bits).
    packed: u64,
    pub(crate) stack: u32,
    pub(crate) link: u32,
}

const _: () = assert!(std::mem::size_of::<Event>() == 56);

impl Event {
    /// A new event; fails when the offset or P is beyond what the packing holds.
    #[cfg(test)]
    pub(crate) fn new(offset: u64, t: EventType, p: i64, g: u64, ts: i64) -> Result<Event, Error> {
        Event::with_p_code(offset, t, p_code(p), p, g, ts)
    }

    /// A new event on P `p`, whose [`p_code`] is `code` (computed once for many events); fails
    /// when the offset or P is beyond what the packing holds.
    #[inline]
    pub(crate) fn with_p_code(
        offset: u64,
        t: EventType,
        code: Option<u32>,
        p: i64,
        g: u64,
        ts: i64,
    ) -> Result<Event, Error> {
        if offset > MAX_OFFSET {
            return Err(limit(offset, Limit::Offset, offset, MAX_OFFSET));
        }
        let Some(code) = code else {
            return Err(limit(offset, Limit::ProcId, p as u64, MAX_P as u64));
        };
        Ok(Event { ts, g, args: [0; 3], packed: pack(offset, t.code(), code), stack: 0, link: NONE })
    }

    /// Time in nanoseconds since the first event of the trace.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let times: Vec<i64> = trace.events().map(|e| e.ts()).collect();
    /// assert_eq!(times[0], 0);
    /// assert!(times.windows(2).all(|w| w[0] <= w[1]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn ts(&self) -> i64 {
        self.ts
    }

    /// The type (Go's `Type`: `GoStartLocal`, `GoUnblockLocal` and `GoSysExitLocal` appear as
    /// `GoStart`, `GoUnblock`, `GoSysExit`).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// use gotrace_format::legacy::EventType;
    /// assert_eq!(trace.event(0).unwrap().event_type(), EventType::GO_CREATE);
    /// assert!(trace.events().all(|e| e.event_type() != EventType::GO_START_LOCAL));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn event_type(&self) -> EventType {
        // The code is one an `EventType` gave (`Event::with_p_code`, `Event::set_type`).
        EventType::from_code_unchecked(self.type_code())
    }

    /// Go's name of the type, in the parser that reads `version` (Go 1.21 says `STWStart`).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// use gotrace_format::Version;
    /// let stw = trace.events().find(|e| e.name(Version::Go1_19) == "GCSTWStart").unwrap();
    /// assert_eq!(stw.name(Version::Go1_21), "STWStart");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn name(&self, version: Version) -> &'static str {
        self.event_type().name(version)
    }

    #[inline]
    pub(crate) fn type_code(&self) -> u8 {
        ((self.packed >> P_BITS) & ((1 << TYPE_BITS) - 1)) as u8
    }

    #[inline]
    pub(crate) fn set_type(&mut self, t: EventType) {
        let (offset, code) = (self.offset(), self.packed as u32 & ((1 << P_BITS) - 1));
        self.packed = pack(offset, t.code(), code);
    }

    /// The P: an id, −1 for events written without a P, or a pseudo-P ([`TIMER_P`],
    /// [`NETPOLL_P`], [`SYSCALL_P`], [`GC_P`]); for `CPUSample`, the sampled P.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// use gotrace_parser::legacy::{GC_P, SYSCALL_P};
    /// let exit = trace.events().find(|e| e.name(trace.version()) == "GoSysExit").unwrap();
    /// assert_eq!(exit.p(), SYSCALL_P);
    /// assert!(trace.events().filter(|e| e.name(trace.version()) == "GCStart").all(|e| e.p() == GC_P));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn p(&self) -> i64 {
        let code = self.p_code();
        if code == P_FROM_ARG {
            self.args[1] as i64
        } else {
            p_of_code(code)
        }
    }

    #[inline]
    pub(crate) fn p_code(&self) -> u32 {
        self.packed as u32 & ((1 << P_BITS) - 1)
    }

    /// Sets the P; values beyond the code space are kept for CPU samples only (read back from
    /// their argument).
    #[inline]
    pub(crate) fn set_p(&mut self, p: i64) {
        let code = p_code(p).unwrap_or(P_FROM_ARG);
        self.packed = pack(self.offset(), self.type_code(), code);
    }

    /// The goroutine the event happened on (0: none).
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let start = trace.events().find(|e| e.name(trace.version()) == "GoStart").unwrap();
    /// assert_eq!(start.g(), start.args()[0]); // the goroutine that starts
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn g(&self) -> u64 {
        self.g
    }

    /// Byte offset of the event's record in the file.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// assert_eq!(trace.event(0).unwrap().offset(), 1772);
    /// assert_eq!(data[1772] & 0x3f, 13); // a GoCreate record
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn offset(&self) -> u64 {
        self.packed >> (P_BITS + TYPE_BITS)
    }

    /// Go's `Args`: the type's arguments in the order of
    /// [`EventType::arg_names`], unused slots 0.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let create = trace.event(0).unwrap();
    /// assert_eq!(create.event_type().arg_names(), ["g", "stack"]);
    /// assert_eq!(create.args(), [1, 2, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn args(&self) -> [u64; 3] {
        let mut args = self.args;
        let t = self.type_code();
        if t == EventType::USER_LOG.code()
            || (EventType::GC_START.code()..=EventType::STW_DONE.code()).contains(&t)
        {
            args[2] = 0;
        }
        args
    }

    /// The event's stack (Go's `StkID`, resolved with [`Trace::stack`](super::Trace::stack)).
    /// The first `GoStart` of a goroutine created in the trace carries the stack of its start
    /// function.
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let create = trace.event(0).unwrap();
    /// let start = trace.event(create.link().unwrap()).unwrap();
    /// let frame = trace.stack(start.stack()).next().unwrap();
    /// assert!(!frame.func.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn stack(&self) -> StackId {
        StackId(self.stack)
    }

    /// Index of the linked event in the trace (Go's `Link`): for a `GoStart`, the event that
    /// ends the run; for a `GoCreate`, the first start; for a block, the unblock; …
    ///
    /// ```
    /// # let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// # let trace = gotrace_parser::legacy::Trace::from_slice(&data)?;
    /// let start = trace.events().find(|e| e.name(trace.version()) == "GoStart").unwrap();
    /// let end = trace.event(start.link().unwrap()).unwrap();
    /// assert_eq!(end.g(), start.g());
    /// assert!(end.ts() >= start.ts());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn link(&self) -> Option<usize> {
        (self.link != NONE).then_some(self.link as usize)
    }
}

#[inline]
fn pack(offset: u64, type_code: u8, p_code: u32) -> u64 {
    offset << (P_BITS + TYPE_BITS) | u64::from(type_code) << P_BITS | u64::from(p_code)
}

#[cold]
fn limit(offset: u64, what: Limit, value: u64, max: u64) -> Error {
    Error::new(offset, ErrorKind::LimitExceeded { what, value, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_is_compact() {
        assert!(std::mem::size_of::<Event>() <= 56);
    }

    #[test]
    fn every_type_round_trips() {
        for t in EventType::all(Version::Go1_21) {
            let e = Event::new(3, t, 0, 0, 0).unwrap();
            assert_eq!(e.event_type(), t);
        }
    }

    #[test]
    fn packing_round_trips() {
        for p in [-1, 0, 1, 7, MAX_P, TIMER_P, NETPOLL_P, SYSCALL_P, GC_P, PROFILE_P] {
            let mut e = Event::new(MAX_OFFSET, EventType::GO_SYS_EXIT, p, 3, 5).unwrap();
            assert_eq!((e.p(), e.offset(), e.event_type()), (p, MAX_OFFSET, EventType::GO_SYS_EXIT));
            e.set_type(EventType::GO_START);
            e.set_p(SYSCALL_P);
            assert_eq!((e.p(), e.offset(), e.event_type()), (SYSCALL_P, MAX_OFFSET, EventType::GO_START));
        }
        assert!(Event::new(0, EventType::GO_END, MAX_P + 1, 0, 0).is_err());
        assert!(Event::new(MAX_OFFSET + 1, EventType::GO_END, 0, 0, 0).is_err());
        let mut sample = Event::new(9, EventType::CPU_SAMPLE, 0, 0, 0).unwrap();
        sample.args[1] = 1 << 40;
        sample.set_p(1 << 40);
        assert_eq!(sample.p(), 1 << 40);
    }
}
