//! Validation and linking (spec §9, Go's `postProcessTrace`): the state of every goroutine and
//! P replayed over the ordered events, Go's errors in Go's words, the links between events,
//! the pseudo-Ps `GCP` and `NetpollP`, and the start stack of each goroutine's first start.

use gotrace_format::legacy::EventType;
use gotrace_format::{Error, ErrorKind, Version, Violation};

use super::dense::{Chunked, IdMap, TidyMap, CHUNK};
use super::event::{Event, GC_P, NETPOLL_P, NONE, TIMER_P};
use super::order::Normalise;
use super::structure::{Messages, Stacks, Strings};
use super::trace::write_line;
use crate::leak::leak_text;

const DEAD: u8 = 0;
const RUNNABLE: u8 = 1;
const RUNNING: u8 = 2;
const WAITING: u8 = 3;

/// A goroutine: its state and the open events waiting for a link.
#[derive(Clone, Copy, Debug)]
struct GDesc {
    /// Go's map has an entry (every goroutine an event ran on gets one).
    exists: bool,
    state: u8,
    /// The type of `ev`, when there is one.
    ev_type: EventType,
    /// Created in the trace and not started yet (the stack of its start is in
    /// [`Validator::start_fns`]).
    created: bool,
    /// The last state-changing event, linked to what resolves it.
    ev: u32,
    start: u32,
    assist: u32,
}

const NEW_G: GDesc = GDesc {
    exists: false,
    state: DEAD,
    ev_type: EventType::BATCH,
    created: false,
    ev: NONE,
    start: NONE,
    assist: NONE,
};

#[derive(Clone, Copy, Debug)]
struct PDesc {
    running: bool,
    g: u64,
    stw: u32,
    sweep: u32,
}

const NEW_P: PDesc = PDesc { running: false, g: 0, stw: NONE, sweep: NONE };

/// The tables the events refer to.
pub(crate) struct Tables<'a> {
    pub version: Version,
    pub strings: &'a Strings,
    pub messages: &'a Messages,
    pub stacks: &'a mut Stacks,
}

/// Where links go: the validator links an earlier event (by index in final order) to the
/// event it is at.
pub(crate) trait Links {
    /// Event `from` links to event `to` (the current one).
    fn link(&mut self, from: u32, to: u32);
}

/// The events before the current one, in place: the full chunks before its own, and the
/// events of its chunk before it.
struct Earlier<'a> {
    chunks: &'a mut [Vec<Event>],
    current: &'a mut [Event],
}

impl Links for Earlier<'_> {
    /// Sets the link of the earlier event `from`.
    #[inline]
    fn link(&mut self, from: u32, to: u32) {
        let (chunk, i) = (from as usize / CHUNK, from as usize % CHUNK);
        let event = match self.chunks.get_mut(chunk) {
            Some(events) => events.get_mut(i),
            None => self.current.get_mut(i),
        };
        if let Some(e) = event {
            e.link = to;
        }
    }
}

/// Converts the times of `events` (in final order) to nanoseconds and assigns the timer and
/// syscall pseudo-Ps ([`Normalise`]); replays the goroutine and P states over them,
/// sets the links, moves `GCStart` to `GCP` and network unblocks to `NetpollP`, and gives each
/// goroutine's first start the stack of its start function.
pub(crate) fn validate(
    events: &mut Chunked<Event>,
    mut tables: Tables<'_>,
    normalise: &Normalise,
) -> Result<(), Error> {
    let mut validator = Validator::new(tables.version);
    let chunks = events.chunks_mut();
    for c in 0..chunks.len() {
        validator.chunk(chunks, c, &mut tables, normalise)?;
    }
    Ok(())
}

/// The state replayed over the events, one event at a time ([`Validator::step`]): goroutines,
/// Ps, the open GC, STW, tasks and regions. It keeps what later errors and links need of
/// earlier events (a created goroutine's start stack, the type of a goroutine's last event,
/// the events of open tasks and regions), so that it never looks back at the events: the
/// bounded-memory mode has let them go.
pub(crate) struct Validator {
    version: Version,
    gs: IdMap<GDesc>,
    ps: IdMap<PDesc>,
    /// Goroutines created and not started yet: the stack of their start function.
    start_fns: TidyMap<u64, u64>,
    /// Open tasks: the creating event (its index, and itself for the error of a conflict).
    tasks: TidyMap<u64, (u32, Event)>,
    regions: Regions,
    gc: u32,
    stw: u32,
    per_p_stw: bool,
}

impl Validator {
    pub fn new(version: Version) -> Validator {
        let mut gs: IdMap<GDesc> = IdMap::new(NEW_G);
        gs.set(0, GDesc { exists: true, state: RUNNING, ..NEW_G });
        Validator {
            version,
            gs,
            ps: IdMap::new(NEW_P),
            start_fns: TidyMap::default(),
            tasks: TidyMap::default(),
            regions: Regions::new(),
            gc: NONE,
            stw: NONE,
            per_p_stw: version < Version::Go1_10,
        }
    }

    /// Bytes held.
    pub fn bytes_held(&self) -> usize {
        self.gs.bytes_held()
            + self.ps.bytes_held()
            + self.start_fns.bytes_held()
            + self.tasks.bytes_held()
            + self.regions.bytes_held()
    }

    /// [`validate`] of the events of chunk `c` of `chunks` (those before it were, and are all
    /// full).
    pub fn chunk(
        &mut self,
        chunks: &mut [Vec<Event>],
        c: usize,
        tables: &mut Tables<'_>,
        normalise: &Normalise,
    ) -> Result<(), Error> {
        let (done, rest) = chunks.split_at_mut(c);
        let Some(chunk) = rest.first_mut() else { return Ok(()) };
        let base = (c * CHUNK) as u32;
        for i in 0..chunk.len() {
            let (before, at) = chunk.split_at_mut(i);
            let Some(ev) = at.first_mut() else { break };
            normalise.apply(ev);
            self.step(base + i as u32, ev, tables, &mut Earlier { chunks: done, current: before })?;
        }
        Ok(())
    }

    /// Takes event `idx` (times already converted), checks it against the state, updates the
    /// state and `ev` (its P, its start stack), and makes the links that end at it.
    #[inline]
    pub fn step(
        &mut self,
        idx: u32,
        ev: &mut Event,
        tables: &mut Tables<'_>,
        links: &mut impl Links,
    ) -> Result<(), Error> {
        let version = self.version;
        let t = ev.event_type();
        // The other goroutine of a creation or an unblock, read before the event's own
        // goroutine is borrowed; written after it (it is never the event's own: a running
        // goroutine exists, and a waiting one is not running, so both fail before).
        let mut other = match t {
            EventType::GO_CREATE | EventType::GO_UNBLOCK => self.gs.get(ev.args[0]),
            _ => NEW_G,
        };
        let mut write_other = false;
        let p_code = ev.p_code();
        // The event's goroutine and P, changed in place (on an error the state is dropped).
        let g = self.gs.get_mut(ev.g);
        let p = self.ps.get_mut(u64::from(p_code));
        let fail = |ev: &Event, violation| {
            Err(Error::new(ev.offset(), ErrorKind::Invalid { violation, offset: ev.offset(), time: ev.ts }))
        };
        let check_running = |ev: &Event, g: &GDesc, p: &PDesc, allow_g0: bool| {
            if g.state != RUNNING {
                fail(ev, Violation::GNotRunning { g: ev.g, event: t })
            } else if p.g != ev.g {
                fail(ev, Violation::PNotRunningG { p: ev.p(), g: ev.g, event: t })
            } else if !allow_g0 && ev.g == 0 {
                fail(ev, Violation::GZero { event: t })
            } else {
                Ok(())
            }
        };
        let mut link = |from: u32| {
            if from != NONE {
                links.link(from, idx);
            }
        };
        match t {
            EventType::PROC_START => {
                if p.running {
                    return fail(ev, Violation::PRunningBeforeStart { p: ev.p() });
                }
                p.running = true;
            }
            EventType::PROC_STOP => {
                if !p.running {
                    return fail(ev, Violation::PNotRunningBeforeStop { p: ev.p() });
                }
                if p.g != 0 {
                    return fail(ev, Violation::PRunningGDuringStop { p: ev.p(), g: p.g });
                }
                p.running = false;
            }
            EventType::GC_START => {
                if self.gc != NONE {
                    return fail(ev, Violation::GcNotEnded);
                }
                self.gc = idx;
                ev.set_p(GC_P);
            }
            EventType::GC_DONE => {
                if self.gc == NONE {
                    return fail(ev, Violation::BogusGcEnd);
                }
                link(self.gc);
                self.gc = NONE;
            }
            EventType::STW_START => {
                let open = if self.per_p_stw { &mut p.stw } else { &mut self.stw };
                if *open != NONE {
                    return fail(ev, Violation::StwNotEnded);
                }
                *open = idx;
            }
            EventType::STW_DONE => {
                let open = if self.per_p_stw { &mut p.stw } else { &mut self.stw };
                if *open == NONE {
                    return fail(ev, Violation::BogusStwEnd);
                }
                link(*open);
                *open = NONE;
            }
            EventType::GC_SWEEP_START => {
                if p.sweep != NONE {
                    return fail(ev, Violation::SweepNotEnded);
                }
                p.sweep = idx;
            }
            EventType::GC_MARK_ASSIST_START => {
                if g.assist != NONE {
                    return fail(ev, Violation::MarkAssistNotEnded);
                }
                g.assist = idx;
            }
            EventType::GC_MARK_ASSIST_DONE => {
                // An assist may have begun before the trace did.
                link(g.assist);
                g.assist = NONE;
            }
            EventType::GC_SWEEP_DONE => {
                if p.sweep == NONE {
                    return fail(ev, Violation::BogusSweepEnd);
                }
                link(p.sweep);
                p.sweep = NONE;
            }
            EventType::GO_WAITING | EventType::GO_IN_SYSCALL => {
                if g.state != RUNNABLE {
                    let violation = if t == EventType::GO_WAITING {
                        Violation::NotRunnableBeforeWaiting { g: ev.g }
                    } else {
                        Violation::NotRunnableBeforeInSyscall { g: ev.g }
                    };
                    return fail(ev, violation);
                }
                g.state = WAITING;
                (g.ev, g.ev_type) = (idx, t);
            }
            EventType::GO_CREATE => {
                check_running(ev, g, p, true)?;
                if other.exists {
                    return fail(ev, Violation::GAlreadyExists { g: ev.args[0] });
                }
                other = GDesc { exists: true, state: RUNNABLE, ev: idx, ev_type: t, created: true, ..NEW_G };
                write_other = true;
                self.start_fns.insert(ev.args[0], ev.args[1]);
            }
            EventType::GO_START | EventType::GO_START_LABEL => {
                if g.state != RUNNABLE {
                    return fail(ev, Violation::NotRunnableBeforeStart { g: ev.g });
                }
                if p.g != 0 {
                    return fail(ev, Violation::PAlreadyRunning { p: ev.p(), running: p.g, g: ev.g });
                }
                g.state = RUNNING;
                g.start = idx;
                p.g = ev.g;
                if g.created {
                    let start_fn = self.start_fns.remove(&ev.g).unwrap_or(0);
                    ev.stack = if version < Version::Go1_7 {
                        // The start PC, plus one: Go's symboliser takes return addresses.
                        tables.stacks.synthetic(start_fn.wrapping_add(1))
                    } else {
                        tables.stacks.handle(start_fn)
                    };
                    g.created = false;
                }
                link(g.ev);
                g.ev = NONE;
            }
            EventType::GO_END | EventType::GO_STOP => {
                check_running(ev, g, p, false)?;
                link(g.start);
                g.start = NONE;
                g.state = DEAD;
                p.g = 0;
                if t == EventType::GO_END {
                    while let Some((r, _)) = self.regions.pop(ev.g) {
                        link(r);
                    }
                }
            }
            EventType::GO_SCHED | EventType::GO_PREEMPT => {
                check_running(ev, g, p, false)?;
                g.state = RUNNABLE;
                link(g.start);
                g.start = NONE;
                p.g = 0;
                (g.ev, g.ev_type) = (idx, t);
            }
            EventType::GO_UNBLOCK => {
                if g.state != RUNNING {
                    return fail(ev, Violation::NotRunningWhileUnpark { g: ev.g });
                }
                if ev.p() != TIMER_P && p.g != ev.g {
                    return fail(ev, Violation::PNotRunningGWhileUnpark { p: ev.p(), g: ev.g });
                }
                let g1 = &mut other;
                if g1.state != WAITING {
                    return fail(ev, Violation::NotWaitingBeforeUnpark { g: ev.args[0] });
                }
                if g1.ev != NONE && g1.ev_type == EventType::GO_BLOCK_NET && ev.p() != TIMER_P {
                    ev.set_p(NETPOLL_P);
                }
                link(g1.ev);
                g1.state = RUNNABLE;
                (g1.ev, g1.ev_type) = (idx, t);
                g1.exists = true;
                write_other = true;
            }
            EventType::GO_SYS_CALL => {
                check_running(ev, g, p, false)?;
                (g.ev, g.ev_type) = (idx, t);
            }
            EventType::GO_SYS_BLOCK => {
                check_running(ev, g, p, false)?;
                g.state = WAITING;
                link(g.start);
                g.start = NONE;
                p.g = 0;
            }
            EventType::GO_SYS_EXIT => {
                if g.state != WAITING {
                    return fail(ev, Violation::NotWaitingDuringSyscallExit { g: ev.g });
                }
                if g.ev != NONE && g.ev_type == EventType::GO_SYS_CALL {
                    link(g.ev);
                }
                g.state = RUNNABLE;
                (g.ev, g.ev_type) = (idx, t);
            }
            EventType::GO_SLEEP
            | EventType::GO_BLOCK
            | EventType::GO_BLOCK_SEND
            | EventType::GO_BLOCK_RECV
            | EventType::GO_BLOCK_SELECT
            | EventType::GO_BLOCK_SYNC
            | EventType::GO_BLOCK_COND
            | EventType::GO_BLOCK_NET
            | EventType::GO_BLOCK_GC => {
                check_running(ev, g, p, false)?;
                g.state = WAITING;
                (g.ev, g.ev_type) = (idx, t);
                link(g.start);
                g.start = NONE;
                p.g = 0;
            }
            EventType::USER_TASK_CREATE => {
                let id = ev.args[0];
                if let Some((_, previous)) = self.tasks.get(&id) {
                    let text = |e: &Event| quoted_line(e, tables);
                    return Err(Error::new(
                        ev.offset(),
                        ErrorKind::TaskConflict { id, event: text(ev), previous: text(previous) },
                    ));
                }
                self.tasks.insert(id, (idx, *ev));
            }
            EventType::USER_TASK_END => {
                if let Some((create, _)) = self.tasks.remove(&ev.args[0]) {
                    link(create);
                }
            }
            EventType::USER_REGION => match ev.args[1] {
                0 => self.regions.push(ev.g, idx, *ev),
                1 => {
                    // Popped before the checks: on an error the state is dropped.
                    if let Some((start_idx, start)) = self.regions.pop(ev.g) {
                        let strings = tables.strings;
                        let same_name = start.args[2] == ev.args[2]
                            || strings.get(start.args[2]) == strings.get(ev.args[2]);
                        if start.args[0] != ev.args[0] || !same_name {
                            return Err(Error::new(
                                ev.offset(),
                                ErrorKind::RegionMisuse {
                                    g: ev.g,
                                    end: quoted_line(ev, tables),
                                    start: quoted_line(start, tables),
                                },
                            ));
                        }
                        link(start_idx);
                    }
                }
                _ => {
                    let event = quoted_line(ev, tables);
                    return Err(Error::new(ev.offset(), ErrorKind::InvalidRegionMode { event }));
                }
            },
            _ => {}
        }
        g.exists = true;
        if write_other {
            self.gs.set(ev.args[0], other);
        }
        // Go writes the P's record back under the event's final P (GCP, NetpollP): the events
        // that move to one leave their P's record as it was, and copy it there.
        if ev.p_code() != p_code {
            let copy = *p;
            self.ps.set(u64::from(ev.p_code()), copy);
        }
        Ok(())
    }
}

/// The open regions of every goroutine (Go's `activeRegions`): one stack per goroutine,
/// threaded through a shared arena of nodes (reused once popped).
struct Regions {
    /// Per goroutine, the node of its innermost open region.
    top: IdMap<u32>,
    /// Region start (index and event), node below.
    nodes: Vec<(u32, Event, u32)>,
    /// Popped nodes, for reuse.
    free: Vec<u32>,
}

impl Regions {
    fn new() -> Regions {
        Regions { top: IdMap::new(NONE), nodes: Vec::new(), free: Vec::new() }
    }

    fn bytes_held(&self) -> usize {
        self.top.bytes_held()
            + self.nodes.capacity() * std::mem::size_of::<(u32, Event, u32)>()
            + self.free.capacity() * 4
    }

    #[inline(always)]
    fn push(&mut self, g: u64, idx: u32, event: Event) {
        let top = self.top.get_mut(g);
        let node = (idx, event, *top);
        *top = match self.free.pop() {
            Some(n) => {
                self.nodes[n as usize] = node;
                n
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() as u32 - 1
            }
        };
    }

    /// Closes the innermost open region of `g`; returns its start (its index, and the event,
    /// which stays in place until the next push).
    #[inline(always)]
    fn pop(&mut self, g: u64) -> Option<(u32, &Event)> {
        // Looked up before it is set: goroutines without regions get no page.
        let node = self.top.get(g);
        let (idx, event, below) = self.nodes.get(node as usize)?;
        self.top.set(g, *below);
        self.free.push(node);
        Some((*idx, event))
    }
}

/// The event as `go tool trace -d` prints it, quoted as Go's `%q`, kept for the life of the
/// program (see [`intern`]).
fn quoted_line(ev: &Event, tables: &Tables<'_>) -> &'static str {
    let mut line = Vec::new();
    write_line(&mut line, ev, tables.version, tables.strings, tables.messages);
    let mut quoted = String::with_capacity(line.len() + 2);
    go_quote(&mut quoted, &line);
    leak_text(quoted)
}

/// Appends `bytes` as Go's `strconv.Quote` writes them: printable characters as they are,
/// `\a \b \f \n \r \t \v \\ \"`, `\xNN` for other ASCII controls and invalid bytes, `\uNNNN` or
/// `\UNNNNNNNN` for other non-printable characters (as far as Rust's standard library can tell
/// them: unassigned code points pass as they are).
fn go_quote(out: &mut String, bytes: &[u8]) {
    use std::fmt::Write;
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            let _ = match c {
                '\x07' => write!(out, "\\a"),
                '\x08' => write!(out, "\\b"),
                '\x0c' => write!(out, "\\f"),
                '\n' => write!(out, "\\n"),
                '\r' => write!(out, "\\r"),
                '\t' => write!(out, "\\t"),
                '\x0b' => write!(out, "\\v"),
                '\\' => write!(out, "\\\\"),
                '"' => write!(out, "\\\""),
                c if c < ' ' || c == '\x7f' => write!(out, "\\x{:02x}", c as u32),
                c if printable(c) => write!(out, "{c}"),
                c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32),
                c => write!(out, "\\U{:08x}", c as u32),
            };
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
}

/// Go's `unicode.IsPrint` as far as std knows: no controls, no white space but the space, no
/// format, private-use or non-characters.
fn printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let u = c as u32;
    let format = matches!(u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f | 0x202a..=0x202e
        | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb | 0x110bd | 0x110cd
        | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f);
    let private = matches!(u, 0xe000..=0xf8ff | 0xf0000..=0x10ffff | 0xfdd0..=0xfdef) || u & 0xfffe == 0xfffe;
    !(c.is_control() || c.is_whitespace() || format || private)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        let q = |b: &[u8]| {
            let mut s = String::new();
            go_quote(&mut s, b);
            s
        };
        assert_eq!(q(b"0 UserTaskCreate p=0 name=a\"b\n"), r#""0 UserTaskCreate p=0 name=a\"b\n""#);
        assert_eq!(q(b"\xff\x00\x7f"), r#""\xff\x00\x7f""#);
        assert_eq!(q("日本 \u{200b}\u{10fffd}".as_bytes()), "\"日本 \\u200b\\U0010fffd\"");
    }
}
