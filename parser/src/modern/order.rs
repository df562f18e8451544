//! The ordering state machine of modern traces, with the semantics of Go 1.27's
//! `internal/trace` ordering: every thread's next event is offered in turn; an event whose
//! preconditions (a goroutine's or P's state and sequence number, the GC's sequence) do not
//! hold yet is refused and waits, one whose context is impossible is an error. Accepted events
//! (and the synthetic ones some imply: a coroutine switch blocks one goroutine and starts
//! another) are queued in order.

use gotrace_format::modern::{go_status_name, proc_status_name, EventType, OrderFault, Seq as FormatSeq};

use super::event::wire_status::*;
use super::event::{go_state_of_status, proc_state_of_status, Event};
use super::generation::Tables;
use super::split::{GoSnapshot, Ids, Misses, ProcSnapshot, Snapshot, Tracked};
use crate::hash::FastMap;
use crate::leak::leak_text;

const NONE: i64 = -1;

/// A timed event as read from a batch: type, time, arguments (without the timestamp delta).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BaseEvent {
    pub code: u8,
    pub time: i64,
    pub args: [u64; 4],
}

/// The thread, P and goroutine an event runs in (`-1`: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ctx {
    g: i64,
    p: i64,
    m: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    Not,
    May,
    Must,
}

const USER: (Need, Need, Need) = (Need::Must, Need::Must, Need::Must);

fn validate(ctx: Ctx, (m, p, g): (Need, Need, Need)) -> Result<(), OrderFault> {
    if m == Need::Must && ctx.m == NONE {
        return Err(OrderFault::ExpectedThread);
    }
    if p == Need::Must && ctx.p == NONE {
        return Err(OrderFault::ExpectedProc);
    } else if p == Need::Not && ctx.p != NONE {
        return Err(OrderFault::ExpectedNoProc);
    }
    if g == Need::Must && ctx.g == NONE {
        return Err(OrderFault::ExpectedGoroutine);
    } else if g == Need::Not && ctx.g != NONE {
        return Err(OrderFault::ExpectedNoGoroutine);
    }
    Ok(())
}

/// A sequence number within a generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Seq {
    gen: u64,
    seq: u64,
}

impl Seq {
    fn succeeds(self, prev: Seq) -> bool {
        self.gen == prev.gen && self.seq == prev.seq.wrapping_add(1)
    }
}

/// A range in flight: its begin type and description (an STW's kind: its string id in the
/// generation of the begin, as Go keeps it).
pub(super) type RangeKey = (u8, u64);

#[derive(Debug, Default)]
struct Ranges(Vec<RangeKey>);

impl Ranges {
    fn begin(&mut self, key: RangeKey) -> Result<(), OrderFault> {
        if self.0.contains(&key) {
            return Err(OrderFault::RangeInFlight { begin: ev_type(key.0) });
        }
        self.0.push(key);
        Ok(())
    }

    fn active(&mut self, key: RangeKey, first_gen: bool) -> Result<(), OrderFault> {
        if first_gen {
            if self.0.contains(&key) {
                return Err(OrderFault::RangeActiveTwice { begin: ev_type(key.0), desc: key.1 });
            }
            self.0.push(key);
        } else if !self.0.contains(&key) {
            let list: Vec<String> = self.0.iter().map(|&(t, d)| format!("{{{t} {d}}}")).collect();
            let text =
                format!("resource is missing active range: {} [{}]", ev_type(key.0).name(), list.join(" "));
            return Err(OrderFault::RangeNotActive { text: leak_text(text) });
        }
        Ok(())
    }

    /// Ends the range begun by `begin`; returns its description.
    fn end(&mut self, begin: u8) -> Result<u64, OrderFault> {
        match self.0.iter().position(|&(t, _)| t == begin) {
            Some(i) => Ok(self.0.swap_remove(i).1),
            None => Err(OrderFault::RangeNotInFlight { begin: ev_type(begin) }),
        }
    }
}

/// Ids below this are cached by [`Names`] in vectors indexed by id (others are looked up each
/// time: a hostile trace's huge ids cost no memory).
const CACHED: u64 = 1 << 16;

/// Sets `cache[key]` to `value` if `key` is below [`CACHED`], the vector grown with `none`.
fn cache<T: Copy>(cache: &mut Vec<T>, key: u64, value: T, none: T) {
    if key < CACHED {
        let at = key as usize;
        if cache.len() <= at {
            cache.resize(at + 1, none);
        }
        cache[at] = value;
    }
}

/// Strings kept across generations (task and region names), interned by content, with the
/// interned id of each string id of the current generation cached.
#[derive(Debug, Default)]
pub(crate) struct Names {
    ids: FastMap<Box<[u8]>, u32>,
    all: Vec<Box<[u8]>>,
    /// The serial of the tables the two caches below are for.
    serial: u64,
    /// The name of each string id of those tables met so far (by id; 0: not met), for the ids
    /// below [`CACHED`] (the runtime numbers a generation's strings from 1).
    by_string_id: Vec<u32>,
    /// The extra string id (in those tables) of each name added to them (by name), for the
    /// names below [`CACHED`].
    extra_ids: Vec<Option<u64>>,
}

impl Names {
    /// Empties the caches when `tables` are not those they were filled for (the reader calls
    /// it, through [`Ordering::use_tables`], whenever it installs a generation's tables).
    fn caches_for(&mut self, tables: &Tables) {
        if self.serial != tables.serial() {
            self.serial = tables.serial();
            self.by_string_id.clear();
            self.extra_ids.clear();
        }
    }

    /// The name of string `id` of `tables`, `None` if they define none.
    #[inline]
    fn of_string(&mut self, tables: &Tables, id: u64) -> Option<u32> {
        debug_assert_eq!(self.serial, tables.serial(), "caches of other tables");
        match self.by_string_id.get(id as usize) {
            Some(&name) if name != 0 => Some(name),
            _ => self.of_string_first(tables, id),
        }
    }

    /// [`Names::of_string`] on a string id not met yet in `tables`.
    #[cold]
    fn of_string_first(&mut self, tables: &Tables, id: u64) -> Option<u32> {
        let name = self.intern(tables.string(id)?);
        cache(&mut self.by_string_id, id, name, 0);
        Some(name)
    }

    /// The id of name `name` among the extra strings of `tables` (added on first use).
    #[inline]
    fn extra_id(&mut self, tables: &mut Tables, name: u32) -> u64 {
        debug_assert_eq!(self.serial, tables.serial(), "caches of other tables");
        match self.extra_ids.get(name as usize) {
            Some(&Some(id)) => id,
            _ => self.extra_id_first(tables, name),
        }
    }

    /// [`Names::extra_id`] on a name not given an id in `tables` yet.
    #[cold]
    fn extra_id_first(&mut self, tables: &mut Tables, name: u32) -> u64 {
        let id = tables.add_extra(self.get(name));
        cache(&mut self.extra_ids, u64::from(name), Some(id), None);
        id
    }

    fn intern(&mut self, s: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        self.all.push(s.into());
        let id = self.all.len() as u32;
        self.ids.insert(s.into(), id);
        id
    }

    fn get(&self, id: u32) -> &[u8] {
        if id == 0 {
            return b"";
        }
        &self.all[id as usize - 1]
    }
}

#[derive(Debug, Default)]
struct GState {
    status: u64,
    seq: Seq,
    /// Open regions: task and name.
    regions: Vec<(u64, u32)>,
    ranges: Ranges,
}

#[derive(Debug, Default)]
struct PState {
    status: u64,
    seq: Seq,
    ranges: Ranges,
}

#[derive(Clone, Copy, Debug)]
struct MState {
    g: i64,
    p: i64,
}

/// The threads the ordering has met, each in a slot that stays its own for the whole trace: a
/// cursor keeps the slot of its thread, so an event's own thread is found without hashing its
/// (large, OS-given) id.
#[derive(Debug, Default)]
struct Threads {
    /// Per slot: the thread's id and state (`None`: not met by the ordering yet).
    slots: Vec<(i64, Option<MState>)>,
    index: FastMap<i64, u32>,
    /// The threads looked up by id and missing, once logging is on.
    misses: Option<Ids>,
}

impl Threads {
    /// The slot of thread `m`, made (with no state) on first use.
    fn slot(&mut self, m: i64) -> usize {
        let next = self.slots.len() as u32;
        let slot = *self.index.entry(m).or_insert(next) as usize;
        if slot == self.slots.len() {
            self.slots.push((m, None));
        }
        slot
    }

    fn get(&mut self, m: i64) -> Option<&MState> {
        self.get_mut(m).map(|s| &*s)
    }

    fn get_mut(&mut self, m: i64) -> Option<&mut MState> {
        let state = match self.index.get(&m) {
            Some(&slot) => self.slots[slot as usize].1.as_mut(),
            None => None,
        };
        if state.is_none() {
            Ids::log(&mut self.misses, m);
        }
        state
    }

    fn insert(&mut self, m: i64, state: MState) {
        let slot = self.slot(m);
        self.slots[slot].1 = Some(state);
    }

    /// Every thread met, with its state.
    fn iter(&self) -> impl Iterator<Item = (i64, &MState)> + '_ {
        self.slots.iter().filter_map(|(m, s)| s.as_ref().map(|s| (*m, s)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gc {
    Undetermined,
    NotRunning,
    Running,
}

// States (event model values).
const GO_UNDETERMINED_STATE: u64 = 0;
const PROC_UNDETERMINED_STATE: u64 = 0;
const PROC_NOT_EXIST_STATE: u64 = 1;
const PROC_RUNNING_STATE: u64 = 2;
const PROC_IDLE_STATE: u64 = 3;

/// The ordering state of a whole trace.
#[derive(Debug)]
pub(crate) struct Ordering {
    g: Tracked<GState>,
    p: Tracked<PState>,
    m: Threads,
    /// The slot of the thread whose event `advance` is deciding on.
    slot: usize,
    tasks: Tracked<(u32, u64)>,
    names: Names,
    gc_seq: u64,
    gc: Gc,
    initial_gen: u64,
    /// Accepted events not yet taken: `queue[head..len]`.
    queue: [Event; QUEUE],
    len: usize,
    head: usize,
    /// What a second half of a split read missed after its warm-up (see [`super::split`]):
    /// the parts the maps do not log themselves.
    log: Option<Box<Misses>>,
}

/// The most events one step queues: the reader refills the queue only when it is empty, and a
/// step queues one event made outside the ordering or those of one accepted event (a coroutine
/// switch: the switch, the block or destroy it implies, and the start of the next goroutine).
const QUEUE: usize = 3;

impl Default for Ordering {
    fn default() -> Self {
        Ordering {
            g: Tracked::default(),
            p: Tracked::default(),
            m: Threads::default(),
            slot: 0,
            tasks: Tracked::default(),
            names: Names::default(),
            gc_seq: 0,
            gc: Gc::Undetermined,
            initial_gen: 0,
            queue: [Event::EMPTY; QUEUE],
            len: 0,
            head: 0,
            log: None,
        }
    }
}

/// A state the ordering keeps: a goroutine's, a P's, a thread's, or the GC's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Resource {
    G(i64),
    P(i64),
    M(i64),
    Gc,
}

/// What a refused event waits for: any change of a resource, or a change that leaves its
/// sequence number at `seq` (the one the event follows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Wait {
    Any(Resource),
    Seq(Resource, u64),
}

/// The type of a code the cursor accepted (every code the ordering sees is one).
pub(crate) fn ev_type(code: u8) -> EventType {
    EventType::from_code(code, gotrace_format::Version::Go1_26).unwrap_or(EventType::EVENT_BATCH)
}

/// What `advance` decided for one event: accepted (the thread's context updated) or not yet.
type Step = Result<bool, OrderFault>;

/// The entries of a map of the state, by increasing id.
fn by_id<T>(all: impl Iterator<Item = (i64, T)>) -> Vec<(i64, T)> {
    let mut all: Vec<(i64, T)> = all.collect();
    all.sort_unstable_by_key(|e| e.0);
    all
}

impl Ordering {
    /// Accepts the event: its thread (`new.m`, the event's own) is left in context `new`. An
    /// event that leaves its thread's context as [`Ordering::advance`] found it is accepted with
    /// a plain `Ok(true)` (no handler changes its own thread's state but through this).
    #[inline]
    fn accept(&mut self, new: Ctx) -> Step {
        if new.m != NONE {
            if let Some(ms) = &mut self.m.slots[self.slot].1 {
                ms.g = new.g;
                ms.p = new.p;
            }
        }
        Ok(true)
    }

    /// Go's dump of the ordering state after a failure to advance: the goroutines, Ps and threads
    /// it knows, then the GC. Go lists each in its maps' random order; here ids increase.
    #[cold]
    pub(crate) fn write_state(&self, out: &mut String) {
        use std::fmt::Write;
        let seq = |s: Seq| FormatSeq { gen: s.gen, seq: s.seq };
        for (id, g) in by_id(self.g.iter()) {
            let _ = writeln!(out, "G {id} [status={} seq={}]", go_status_name(g.status), seq(g.seq));
        }
        out.push('\n');
        for (id, p) in by_id(self.p.iter()) {
            let _ = writeln!(out, "P {id} [status={} seq={}]", proc_status_name(p.status), seq(p.seq));
        }
        out.push('\n');
        for (id, m) in by_id(self.m.iter()) {
            let _ = writeln!(out, "M {id} [g={} p={}]", m.g, m.p);
        }
        let gc = match self.gc {
            Gc::Undetermined => "Undetermined",
            Gc::NotRunning => "NotRunning",
            Gc::Running => "Running",
        };
        let _ = writeln!(out, "\nGC {} {gc}", self.gc_seq);
    }

    /// True when no accepted event waits to be taken.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head == self.len
    }

    /// Takes the next queued event, the queue not [`is_empty`](Ordering::is_empty) (its slot
    /// stays until [`Ordering::reset_queue`]).
    #[inline]
    pub fn pop(&mut self) -> &mut Event {
        debug_assert!(self.head < self.len, "no event queued");
        let at = self.head;
        self.head += 1;
        &mut self.queue[at]
    }

    /// Forgets the taken events (all of them: the queue [`is_empty`](Ordering::is_empty)).
    #[inline]
    pub fn reset_queue(&mut self) {
        self.len = 0;
        self.head = 0;
    }

    /// Queues an event made outside the ordering (a `Sync`, a CPU sample).
    #[inline]
    pub fn push_event(&mut self, ev: Event) {
        self.queue[self.len] = ev;
        self.len += 1;
    }

    #[inline]
    fn push(&mut self, ctx: Ctx, ev: &BaseEvent) {
        self.push_event(Event { time: ev.time, g: ctx.g, p: ctx.p, m: ctx.m, args: ev.args, code: ev.code });
    }

    fn push_made(&mut self, ctx: Ctx, code: u8, time: i64, args: [u64; 4]) {
        self.push_event(Event { time, g: ctx.g, p: ctx.p, m: ctx.m, args, code });
    }

    /// The goroutine and P of thread `m` (slot `slot`), `-1` where it has none or is unknown.
    pub(crate) fn context(&self, m: i64, slot: usize) -> (i64, i64) {
        match self.m.slots.get(slot) {
            Some(&(_, Some(ms))) if m != NONE => (ms.g, ms.p),
            _ => (NONE, NONE),
        }
    }

    /// What `ev`, just refused on thread `m` (slot `slot`), waits for: the states its refusal read
    /// (Go's conditions in the handlers: a goroutine's or P's status and sequence number, the GC
    /// sequence, the thread's own P or goroutine), so that it need not be offered again before
    /// one of them changes. `None` for an event that is never refused.
    pub(crate) fn waits(&self, ev: &BaseEvent, m: i64, slot: usize) -> Option<[Option<Wait>; 3]> {
        let (g, p) = self.context(m, slot);
        let own = (m != NONE).then_some(Wait::Any(Resource::M(m)));
        let follows = ev.args[1].wrapping_sub(1);
        Some(match ev.code {
            10 | 12 => [Some(Wait::Seq(Resource::P(ev.args[0] as i64), follows)), own, None],
            16 | 21 => [Some(Wait::Seq(Resource::G(ev.args[0] as i64), follows)), own, None],
            45 | 46 => [
                Some(Wait::Seq(Resource::G(ev.args[0] as i64), follows)),
                Some(Wait::Any(Resource::G(g))),
                own,
            ],
            24 => [Some(Wait::Any(Resource::P(p))), own, None],
            28..=30 => [Some(Wait::Seq(Resource::Gc, ev.args[0].wrapping_sub(1))), own, None],
            _ => return None,
        })
    }

    /// Every state accepting an event may have changed, from the first event it queued (in the
    /// context the event ran in, its arguments as the handler left them) and those after it: a
    /// superset, since the handlers write only the goroutine or P an event names or runs on, the
    /// thread a `GoStatus` or `ProcSteal` names, and the GC.
    pub(crate) fn changed(ev: &Event) -> [Resource; 7] {
        let [a0, a1, a2, _] = ev.args.map(|a| a as i64);
        use Resource::*;
        [G(ev.g), G(a0), P(ev.p), P(a0), M(a1), M(a2), Gc]
    }

    /// Events queued and not yet taken.
    pub(crate) fn queued(&self) -> usize {
        self.len - self.head
    }

    /// The `k`th event queued and not yet taken.
    pub(crate) fn queued_event(&self, k: usize) -> &Event {
        &self.queue[self.head + k]
    }

    /// The sequence number of `r` now (none for a thread or a state not known).
    pub(crate) fn seq_of(&self, r: Resource) -> Option<u64> {
        match r {
            Resource::G(id) => self.g.peek(id).map(|s| s.seq.seq),
            Resource::P(id) => self.p.peek(id).map(|s| s.seq.seq),
            Resource::Gc => Some(self.gc_seq),
            Resource::M(_) => None,
        }
    }

    /// Starts logging what the state is asked and does not know (see [`super::split`]).
    pub(crate) fn log_misses(&mut self) {
        self.g.log_misses();
        self.p.log_misses();
        self.tasks.log_misses();
        self.m.misses.get_or_insert_with(Ids::default);
        self.log.get_or_insert_with(Box::default);
    }

    /// What was logged since [`Ordering::log_misses`].
    pub(crate) fn take_log(&mut self) -> Misses {
        let mut log = self.log.take().map(|l| *l).unwrap_or_default();
        log.g = self.g.take_misses();
        log.p = self.p.take_misses();
        log.tasks = self.tasks.take_misses();
        log.m = self.m.misses.take().unwrap_or_default();
        log
    }

    /// The state as a [`Snapshot`]: entries sorted by id, names by content.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let names = &self.names;
        let g = self.g.iter().map(|(id, s)| {
            let regions = s.regions.iter().map(|&(task, name)| (task, names.get(name).into())).collect();
            let seq = (s.seq.gen, s.seq.seq);
            (id, GoSnapshot { status: s.status, seq, regions, ranges: s.ranges.0.clone() })
        });
        let p = self.p.iter().map(|(id, s)| {
            (id, ProcSnapshot { status: s.status, seq: (s.seq.gen, s.seq.seq), ranges: s.ranges.0.clone() })
        });
        let m = self.m.iter().map(|(id, s)| (id, (s.g, s.p)));
        let tasks = self.tasks.iter().map(|(id, &(name, parent))| (id, (names.get(name).into(), parent)));
        Snapshot {
            g: by_id(g),
            p: by_id(p),
            m: by_id(m),
            tasks: by_id(tasks),
            gc: (self.gc as u8, self.gc_seq),
        }
    }

    /// The tables of the events offered from now on (a new generation's).
    pub fn use_tables(&mut self, tables: &Tables) {
        self.names.caches_for(tables);
    }

    /// Generation `gen` has events to offer: the first such is the trace's initial generation
    /// (as Go takes the generation of the first event offered).
    pub fn begin_generation(&mut self, gen: u64) {
        if self.initial_gen == 0 {
            self.initial_gen = gen;
        }
    }

    /// The slot of thread `m` (not `-1`), to give [`Ordering::advance`] with each of its events.
    pub fn thread_slot(&mut self, m: i64) -> usize {
        self.m.slot(m)
    }

    /// Offers `ev`, the next event of thread `m` (whose slot is `slot` unless `m` is `-1`) in
    /// generation `gen`: `Ok(true)` when it was accepted (and queued), `Ok(false)` when it has
    /// to wait.
    #[inline(always)]
    pub fn advance(
        &mut self,
        ev: &mut BaseEvent,
        tables: &mut Tables,
        m: i64,
        slot: usize,
        gen: u64,
    ) -> Result<bool, OrderFault> {
        let cur = if m == NONE {
            Ctx { g: NONE, p: NONE, m }
        } else {
            self.slot = slot;
            let state = &mut self.m.slots[slot].1;
            if state.is_none() {
                if let Some(log) = &mut self.log {
                    log.m_own.insert(m);
                }
            }
            let ms = state.get_or_insert(MState { g: NONE, p: NONE });
            Ctx { g: ms.g, p: ms.p, m }
        };
        match ev.code {
            9 | 39 | 44 => self.annotation(ev, cur),
            10 => self.proc_start(ev, cur, gen),
            11 => self.proc_stop(ev, cur),
            12 => self.proc_steal(ev, cur, gen),
            13 => self.proc_status(ev, cur, gen),
            14 | 47 => self.go_create(ev, cur, gen),
            15 => self.go_create_syscall(ev, cur, gen),
            16 => self.go_start(ev, cur, gen),
            17 | 19 | 20 => self.go_stop_exec(ev, cur),
            18 => self.go_destroy_syscall(ev, cur),
            21 => self.go_unblock(ev, cur, gen),
            22 => self.go_syscall_begin(ev, cur, gen),
            23 => self.go_syscall_end(ev, cur),
            24 => self.go_syscall_end_blocked(ev, cur),
            25 | 48 => self.go_status(ev, cur, gen),
            26 | 35 => self.go_range_begin(ev, cur),
            27 | 36 => self.go_range_end(ev, cur),
            28 => self.gc_active(ev, cur, gen),
            29 => self.gc_begin(ev, cur),
            30 => self.gc_end(ev, cur),
            31 => self.sweep_active(ev, cur, gen),
            32 => self.sweep_begin(ev, cur),
            33 => self.sweep_end(ev, cur),
            34 => self.go_range_active(ev, cur, gen),
            37 | 38 => self.heap_metric(ev, cur),
            40 => self.task_begin(ev, cur, tables),
            41 => self.task_end(ev, cur, tables),
            42 | 43 => self.region(ev, cur, tables),
            45 | 46 => self.go_switch(ev, cur, gen),
            128..=136 => self.alloc_free(ev, cur),
            code => Err(OrderFault::BadEventType { code }),
        }
    }

    fn proc_status(&mut self, ev: &mut BaseEvent, mut cur: Ctx, gen: u64) -> Step {
        let pid = ev.args[0] as i64;
        let status = ev.args[1];
        if status >= 5 {
            return Err(OrderFault::InvalidProcStatus { p: ev.args[0], status });
        }
        let mut old = proc_state_of_status(status);
        let initial = self.initial_gen;
        match self.p.get_mut(pid) {
            Some(s) => {
                if status == PROC_SYSCALL_ABANDONED && s.status == PROC_SYSCALL {
                    old = PROC_RUNNING_STATE;
                    ev.args[1] = PROC_SYSCALL;
                } else if status == PROC_SYSCALL_ABANDONED && s.status == PROC_SYSCALL_ABANDONED {
                    old = PROC_IDLE_STATE;
                    ev.args[1] = PROC_SYSCALL_ABANDONED;
                } else if s.status != status {
                    return Err(OrderFault::InconsistentProcStatus {
                        p: ev.args[0],
                        old: s.status,
                        new: status,
                    });
                }
                s.seq = Seq { gen, seq: 0 };
            }
            None => {
                self.p.insert(pid, PState { status, seq: Seq { gen, seq: 0 }, ranges: Ranges::default() });
                old = if gen == initial { PROC_UNDETERMINED_STATE } else { PROC_NOT_EXIST_STATE };
            }
        }
        ev.args[2] = old;
        let mut new = cur;
        if status == PROC_RUNNING || status == PROC_SYSCALL {
            new.p = pid;
        }
        if status == PROC_SYSCALL_ABANDONED && old == PROC_RUNNING_STATE {
            // The P is being stolen from a thread in a syscall: the event is that thread's. Should
            // several threads claim the P, the lowest thread id wins (Go takes whichever its map
            // iteration meets last), so that the result does not depend on hash order.
            if let Some(log) = &mut self.log {
                log.steals.push(pid);
            }
            let Some((mid, ms)) = self.m.iter().filter(|(_, ms)| ms.p == pid).min_by_key(|&(mid, _)| mid)
            else {
                return Err(OrderFault::NoStolenContext { p: ev.args[0] });
            };
            cur = Ctx { m: mid, p: pid, g: ms.g };
        }
        self.push(cur, ev);
        self.accept(new)
    }

    fn proc_start(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        let pid = ev.args[0] as i64;
        let seq = Seq { gen, seq: ev.args[1] };
        match self.p.get_mut(pid) {
            Some(s) if s.status == PROC_IDLE && seq.succeeds(s.seq) && cur.p == NONE => {
                validate(cur, (Need::Must, Need::Not, Need::May))?;
                s.status = PROC_RUNNING;
                s.seq = seq;
            }
            _ => return Ok(false),
        }
        self.push(cur, ev);
        self.accept(Ctx { p: pid, ..cur })
    }

    fn proc_stop(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        let event = ev_type(ev.code);
        let Some(s) = self.p.get_mut(cur.p) else {
            return Err(OrderFault::ProcMissing { event, p: cur.p });
        };
        if s.status != PROC_RUNNING && s.status != PROC_SYSCALL {
            return Err(OrderFault::ProcNotRunning { event });
        }
        validate(cur, (Need::Must, Need::Must, Need::May))?;
        s.status = PROC_IDLE;
        self.push(cur, ev);
        self.accept(Ctx { p: NONE, ..cur })
    }

    fn proc_steal(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        let pid = ev.args[0] as i64;
        let seq = Seq { gen, seq: ev.args[1] };
        let old = match self.p.get_mut(pid) {
            Some(s)
                if (s.status == PROC_SYSCALL || s.status == PROC_SYSCALL_ABANDONED)
                    && seq.succeeds(s.seq) =>
            {
                validate(cur, (Need::Must, Need::May, Need::May))?;
                let old = s.status;
                s.status = PROC_IDLE;
                s.seq = seq;
                old
            }
            _ => return Ok(false),
        };
        ev.args[3] = old;
        if old == PROC_SYSCALL_ABANDONED {
            self.push(cur, ev);
            return Ok(true);
        }
        let mid = ev.args[2] as i64;
        if mid == cur.m {
            if cur.p != pid {
                return Err(OrderFault::SelfSteal { p: ev.args[0], m: ev.args[2], got: cur.p });
            }
            self.push(cur, ev);
            return self.accept(Ctx { p: NONE, ..cur });
        }
        let Some(ms) = self.m.get_mut(mid) else {
            return Err(OrderFault::StealUnknownThread { m: ev.args[2] });
        };
        if ms.p != pid {
            return Err(OrderFault::StealWrongProc { p: ev.args[0], m: ev.args[2], got: ms.p });
        }
        ms.p = NONE;
        self.push(cur, ev);
        Ok(true)
    }

    fn go_status(&mut self, ev: &mut BaseEvent, mut cur: Ctx, gen: u64) -> Step {
        let gid = ev.args[0] as i64;
        let mid = ev.args[1] as i64;
        let status = ev.args[2];
        if status >= 5 {
            return Err(OrderFault::InvalidGoStatus { g: ev.args[0], status });
        }
        let mut old = go_state_of_status(status);
        match self.g.get_mut(gid) {
            Some(s) => {
                if s.status != status {
                    return Err(OrderFault::InconsistentGoStatus {
                        g: ev.args[0],
                        old: s.status,
                        new: status,
                    });
                }
                s.seq = Seq { gen, seq: 0 };
            }
            None if gen == self.initial_gen => {
                self.g.insert(gid, GState { status, seq: Seq { gen, seq: 0 }, ..GState::default() });
                old = GO_UNDETERMINED_STATE;
            }
            None => return Err(OrderFault::NewGoroutineStatus { g: ev.args[0], status }),
        }
        ev.args[2] = old << 32 | status;
        let mut new = cur;
        match status {
            GO_RUNNING => new.g = gid,
            GO_SYSCALL => {
                if mid == NONE {
                    return Err(OrderFault::SyscallWithoutThread { g: ev.args[0] });
                }
                if mid == cur.m {
                    if gen != self.initial_gen && cur.g != gid {
                        return Err(OrderFault::SyscallThread { g: ev.args[0], has: cur.g });
                    }
                    new.g = gid;
                } else {
                    match self.m.get(mid) {
                        Some(ms) => {
                            if ms.g != gid {
                                return Err(OrderFault::SyscallThread { g: ev.args[0], has: ms.g });
                            }
                            cur.g = ms.g;
                        }
                        None => {
                            self.m.insert(mid, MState { g: gid, p: NONE });
                        }
                    }
                    cur.m = mid;
                }
            }
            _ => {}
        }
        self.push(cur, ev);
        self.accept(new)
    }

    #[inline]
    fn go_create(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        validate(cur, (Need::Must, Need::Must, Need::May))?;
        if let Some(s) = self.g.get(cur.g) {
            if s.status != GO_RUNNING {
                return Err(OrderFault::GoNotRunning { event: ev_type(ev.code) });
            }
        }
        let new_g = ev.args[0] as i64;
        if self.g.contains(new_g) {
            return Err(OrderFault::GoExists { g: ev.args[0] });
        }
        let status = if ev.code == EventType::GO_CREATE_BLOCKED.code() { GO_WAITING } else { GO_RUNNABLE };
        self.g.insert(new_g, GState { status, seq: Seq { gen, seq: 0 }, ..GState::default() });
        self.push(cur, ev);
        Ok(true)
    }

    /// The running goroutine's state, which must be `Running`.
    #[inline]
    fn running_g(&mut self, ev: &BaseEvent, cur: Ctx) -> Result<&mut GState, OrderFault> {
        validate(cur, USER)?;
        self.current_g_in(ev, cur, GO_RUNNING)
    }

    /// The current goroutine's state, which must be `status` (Go's "not running" otherwise).
    #[inline]
    fn current_g_in(&mut self, ev: &BaseEvent, cur: Ctx, status: u64) -> Result<&mut GState, OrderFault> {
        let event = ev_type(ev.code);
        let Some(s) = self.g.get_mut(cur.g) else {
            return Err(OrderFault::GoMissing { event, g: cur.g });
        };
        if s.status != status {
            return Err(OrderFault::GoNotRunning { event });
        }
        Ok(s)
    }

    #[inline(always)]
    fn go_stop_exec(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        let s = self.running_g(ev, cur)?;
        match ev.code {
            19 => s.status = GO_RUNNABLE,
            20 => s.status = GO_WAITING,
            _ => {
                self.g.remove(cur.g);
            }
        }
        self.push(cur, ev);
        self.accept(Ctx { g: NONE, ..cur })
    }

    #[inline(always)]
    fn go_start(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        let gid = ev.args[0] as i64;
        let seq = Seq { gen, seq: ev.args[1] };
        match self.g.get_mut(gid) {
            Some(s) if s.status == GO_RUNNABLE && seq.succeeds(s.seq) => {
                validate(cur, (Need::Must, Need::Must, Need::Not))?;
                s.status = GO_RUNNING;
                s.seq = seq;
            }
            _ => return Ok(false),
        }
        self.push(cur, ev);
        self.accept(Ctx { g: gid, ..cur })
    }

    #[inline]
    fn go_unblock(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        let gid = ev.args[0] as i64;
        let seq = Seq { gen, seq: ev.args[1] };
        match self.g.get_mut(gid) {
            Some(s) if s.status == GO_WAITING && seq.succeeds(s.seq) => {
                s.status = GO_RUNNABLE;
                s.seq = seq;
            }
            _ => return Ok(false),
        }
        self.push(cur, ev);
        Ok(true)
    }

    fn go_switch(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        self.running_g(ev, cur)?;
        let next = ev.args[0] as i64;
        let seq = Seq { gen, seq: ev.args[1] };
        match self.g.get(next) {
            Some(s) if s.status == GO_WAITING && seq.succeeds(s.seq) => {}
            _ => return Ok(false),
        }
        self.push(cur, ev);
        if ev.code == EventType::GO_SWITCH.code() {
            if let Some(s) = self.g.get_mut(cur.g) {
                s.status = GO_WAITING;
            }
            self.push_made(cur, EventType::GO_BLOCK.code(), ev.time, [0; 4]);
        } else {
            self.g.remove(cur.g);
            self.push_made(cur, EventType::GO_DESTROY.code(), ev.time, [0; 4]);
        }
        if let Some(s) = self.g.get_mut(next) {
            s.status = GO_RUNNING;
            s.seq = seq;
        }
        let start = Ctx { g: NONE, ..cur };
        self.push_made(start, EventType::GO_START.code(), ev.time, [ev.args[0], ev.args[1], 0, 0]);
        self.accept(Ctx { g: next, ..cur })
    }

    #[inline]
    fn go_syscall_begin(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        let event = ev_type(ev.code);
        let s = self.running_g(ev, cur)?;
        s.status = GO_SYSCALL;
        let Some(p) = self.p.get_mut(cur.p) else {
            return Err(OrderFault::ProcUninitialized { p: cur.p, event });
        };
        p.status = PROC_SYSCALL;
        let seq = Seq { gen, seq: ev.args[0] };
        if !seq.succeeds(p.seq) {
            return Err(OrderFault::SyscallSeq {
                event,
                from: gotrace_format::modern::Seq { gen: p.seq.gen, seq: p.seq.seq },
                to: gotrace_format::modern::Seq { gen, seq: ev.args[0] },
            });
        }
        p.seq = seq;
        self.push(cur, ev);
        Ok(true)
    }

    #[inline]
    fn go_syscall_end(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, USER)?;
        let event = ev_type(ev.code);
        self.current_g_in(ev, cur, GO_SYSCALL)?.status = GO_RUNNING;
        let Some(p) = self.p.get_mut(cur.p) else {
            return Err(OrderFault::ProcUninitialized { p: cur.p, event });
        };
        if p.status != PROC_SYSCALL {
            return Err(OrderFault::ProcNotSyscall { p: cur.p, got: p.status });
        }
        p.status = PROC_RUNNING;
        self.push(cur, ev);
        Ok(true)
    }

    fn go_syscall_end_blocked(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        if cur.p != NONE {
            let Some(p) = self.p.get(cur.p) else {
                return Err(OrderFault::ProcUninitialized { p: cur.p, event: ev_type(ev.code) });
            };
            if p.status == PROC_SYSCALL {
                // The P has not been stolen yet: wait for the steal.
                return Ok(false);
            }
        }
        validate(cur, (Need::Must, Need::May, Need::Must))?;
        self.current_g_in(ev, cur, GO_SYSCALL)?.status = GO_RUNNABLE;
        self.push(cur, ev);
        self.accept(Ctx { g: NONE, ..cur })
    }

    fn go_create_syscall(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        validate(cur, (Need::Must, Need::May, Need::Not))?;
        let new_g = ev.args[0] as i64;
        if self.g.contains(new_g) {
            return Err(OrderFault::GoExistsSyscall { g: ev.args[0] });
        }
        self.g.insert(new_g, GState { status: GO_SYSCALL, seq: Seq { gen, seq: 0 }, ..GState::default() });
        self.push(cur, ev);
        self.accept(Ctx { g: new_g, ..cur })
    }

    fn go_destroy_syscall(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, (Need::Must, Need::May, Need::Must))?;
        let event = ev_type(ev.code);
        let Some(s) = self.g.get(cur.g) else {
            return Err(OrderFault::GoMissing { event, g: cur.g });
        };
        if s.status != GO_SYSCALL {
            return Err(OrderFault::GoNotSyscall { event });
        }
        self.g.remove(cur.g);
        let mut new = Ctx { g: NONE, ..cur };
        if cur.p != NONE {
            let Some(p) = self.p.get_mut(cur.p) else {
                return Err(OrderFault::ProcInvalid { p: cur.p, event });
            };
            if p.status != PROC_SYSCALL {
                return Err(OrderFault::ProcUnexpected { p: cur.p, status: p.status, event });
            }
            p.status = PROC_SYSCALL_ABANDONED;
            new.p = NONE;
            self.push_made(cur, EventType::PROC_STEAL.code(), ev.time, [cur.p as u64, 0, 0, PROC_SYSCALL]);
        }
        self.push(cur, ev);
        self.accept(new)
    }

    #[inline(always)]
    fn task_begin(&mut self, ev: &mut BaseEvent, cur: Ctx, tables: &Tables) -> Step {
        let id = ev.args[0];
        if self.tasks.contains(id as i64) {
            return Err(OrderFault::TaskConflict { id });
        }
        let mut parent = ev.args[1];
        if parent == 0 {
            parent = u64::MAX;
            ev.args[1] = u64::MAX;
        }
        let name_id = ev.args[2];
        let Some(name) = self.names.of_string(tables, name_id) else {
            return Err(OrderFault::NameUndefined { id: name_id, event: ev_type(ev.code) });
        };
        self.tasks.insert(id as i64, (name, parent));
        validate(cur, USER)?;
        self.push(cur, ev);
        Ok(true)
    }

    #[inline(always)]
    fn task_end(&mut self, ev: &mut BaseEvent, cur: Ctx, tables: &mut Tables) -> Step {
        let id = ev.args[0];
        // A task not known (begun before the trace, or before a split read's warm-up) only
        // changes what the event says of it, never whether it is accepted: not a logged miss.
        match self.tasks.take_unlogged(id as i64) {
            Some((name, parent)) => {
                ev.args[2] = parent;
                ev.args[3] = self.names.extra_id(tables, name);
            }
            None => {
                ev.args[2] = u64::MAX;
                ev.args[3] = 0;
            }
        }
        validate(cur, USER)?;
        self.push(cur, ev);
        Ok(true)
    }

    #[inline(always)]
    fn region(&mut self, ev: &mut BaseEvent, cur: Ctx, tables: &Tables) -> Step {
        validate(cur, USER)?;
        let event = ev_type(ev.code);
        let task = ev.args[0];
        let name_id = ev.args[1];
        let Some(name) = self.names.of_string(tables, name_id) else {
            return Err(OrderFault::NameUndefined { id: name_id, event });
        };
        let Some(s) = self.g.get_mut(cur.g) else {
            return Err(OrderFault::RegionUnknownGoroutine { event, g: cur.g });
        };
        if ev.code == EventType::USER_REGION_BEGIN.code() {
            s.regions.push((task, name));
        } else if let Some(&top) = s.regions.last() {
            if top != (task, name) {
                let show =
                    |(t, n): (u64, u32)| format!("{{{t} {}}}", String::from_utf8_lossy(self.names.get(n)));
                let text = format!(
                    "misuse of region in goroutine {}: region end {} when the inner-most active region start event is {}",
                    cur.g,
                    show((task, name)),
                    show(top)
                );
                return Err(OrderFault::RegionMisuse { text: leak_text(text) });
            }
            s.regions.pop();
        } else if let Some(log) = &mut self.log {
            log.underflows.push((cur.g, task, self.names.get(name).into()));
        }
        self.push(cur, ev);
        Ok(true)
    }

    fn gc_active(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        let seq = ev.args[0];
        if gen == self.initial_gen {
            if self.gc != Gc::Undetermined {
                return Err(OrderFault::GcActiveNotFirst);
            }
            self.gc_seq = seq;
            self.gc = Gc::Running;
            self.push(cur, ev);
            return Ok(true);
        }
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok(false);
        }
        if self.gc != Gc::Running {
            return Err(OrderFault::GcActiveNotRunning);
        }
        self.gc_seq = seq;
        validate(cur, USER)?;
        self.push(cur, ev);
        Ok(true)
    }

    fn gc_begin(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        let seq = ev.args[0];
        if self.gc == Gc::Undetermined {
            self.gc_seq = seq;
            self.gc = Gc::Running;
            self.push(cur, ev);
            return Ok(true);
        }
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok(false);
        }
        if self.gc == Gc::Running {
            return Err(OrderFault::GcBeginRunning);
        }
        self.gc_seq = seq;
        self.gc = Gc::Running;
        validate(cur, USER)?;
        self.push(cur, ev);
        Ok(true)
    }

    fn gc_end(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        let seq = ev.args[0];
        if seq != self.gc_seq.wrapping_add(1) {
            return Ok(false);
        }
        match self.gc {
            Gc::NotRunning => return Err(OrderFault::GcEndNotRunning),
            Gc::Undetermined => return Err(OrderFault::GcEndUndetermined),
            Gc::Running => {}
        }
        self.gc_seq = seq;
        self.gc = Gc::NotRunning;
        validate(cur, USER)?;
        self.push(cur, ev);
        Ok(true)
    }

    #[inline]
    fn annotation(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, USER)?;
        self.push(cur, ev);
        Ok(true)
    }

    #[inline]
    fn heap_metric(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, (Need::Must, Need::Must, Need::May))?;
        self.push(cur, ev);
        Ok(true)
    }

    #[inline]
    fn sweep_begin(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, (Need::Must, Need::Must, Need::May))?;
        if let Some(p) = self.p.get_mut(cur.p) {
            p.ranges.begin((EventType::GC_SWEEP_BEGIN.code(), 0))?;
        }
        self.push(cur, ev);
        Ok(true)
    }

    fn sweep_active(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        let pid = ev.args[0] as i64;
        let first = gen == self.initial_gen;
        let Some(p) = self.p.get_mut(pid) else {
            return Err(OrderFault::SweepUnknownProc { p: ev.args[0] });
        };
        p.ranges.active((EventType::GC_SWEEP_BEGIN.code(), 0), first)?;
        self.push(cur, ev);
        Ok(true)
    }

    #[inline]
    fn sweep_end(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, (Need::Must, Need::Must, Need::May))?;
        if let Some(p) = self.p.get_mut(cur.p) {
            p.ranges.end(EventType::GC_SWEEP_BEGIN.code())?;
        }
        self.push(cur, ev);
        Ok(true)
    }

    fn go_range_begin(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, USER)?;
        let desc = if ev.code == EventType::STW_BEGIN.code() { ev.args[0] } else { 0 };
        let event = ev_type(ev.code);
        let Some(s) = self.g.get_mut(cur.g) else {
            return Err(OrderFault::RangeUnknownGoroutine { event, g: cur.g });
        };
        s.ranges.begin((ev.code, desc))?;
        self.push(cur, ev);
        Ok(true)
    }

    fn go_range_active(&mut self, ev: &mut BaseEvent, cur: Ctx, gen: u64) -> Step {
        let gid = ev.args[0] as i64;
        let first = gen == self.initial_gen;
        let Some(s) = self.g.get_mut(gid) else {
            return Err(OrderFault::RangeUninitialized { g: ev.args[0], event: ev_type(ev.code) });
        };
        s.ranges.active((EventType::GC_MARK_ASSIST_BEGIN.code(), 0), first)?;
        self.push(cur, ev);
        Ok(true)
    }

    fn go_range_end(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, USER)?;
        let event = ev_type(ev.code);
        let Some(s) = self.g.get_mut(cur.g) else {
            return Err(OrderFault::RangeUnknownGoroutine { event, g: cur.g });
        };
        let begin = if ev.code == EventType::STW_END.code() {
            EventType::STW_BEGIN.code()
        } else {
            EventType::GC_MARK_ASSIST_BEGIN.code()
        };
        let desc = s.ranges.end(begin)?;
        if ev.code == EventType::STW_END.code() {
            ev.args[0] = desc;
        }
        self.push(cur, ev);
        Ok(true)
    }

    fn alloc_free(&mut self, ev: &mut BaseEvent, cur: Ctx) -> Step {
        validate(cur, (Need::Must, Need::May, Need::May))?;
        self.push(cur, ev);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cache_ids_below_the_bound_only() {
        let mut v: Vec<Option<u64>> = Vec::new();
        cache(&mut v, 3, Some(7), None);
        assert_eq!(v, [None, None, None, Some(7)]);
        cache(&mut v, 1, Some(0), None);
        assert_eq!(v, [None, Some(0), None, Some(7)]);
        // A hostile id past the bound takes no memory: it is looked up each time instead.
        cache(&mut v, CACHED, Some(1), None);
        cache(&mut v, u64::MAX, Some(1), None);
        assert_eq!(v.len(), 4);
        cache(&mut v, CACHED - 1, Some(2), None);
        assert_eq!((v.len() as u64, v[v.len() - 1]), (CACHED, Some(2)));
    }
}
