//! What the generation pass reads of every P and goroutine (the runtime's `allp` and `allgs`):
//! the generation of its last status and where it is, kept by the operations that move it.
//!
//! The operations store with relaxed atomics; the pass reads only while every thread handle in
//! use waits at the generation barrier, whose lock orders those stores before its reads. A
//! status is acquired once per generation (`acquire`), by the operation or the pass that writes
//! it, as the runtime's `statusTraced` bits are.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

use crate::modern::encoder::GoStatus;

/// Where a P is, as the pass needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Idle: in a [`Proc`](super::Proc) handle (or never handed out).
    Idle,
    /// Held by a thread, which writes its status.
    Thread,
    /// Left in a blocking syscall by thread `m`, neither stolen nor taken back: thread `m` writes
    /// its status (`Syscall`).
    Released(u64),
    /// Its syscall's goroutine left the thread without it (the reader then holds it for
    /// abandoned): `SyscallAbandoned` until it is stolen.
    Abandoned,
}

impl Place {
    fn word(self) -> u64 {
        match self {
            Place::Idle => 0,
            Place::Thread => 1,
            Place::Abandoned => 2,
            Place::Released(m) => 3 + m,
        }
    }

    fn of(word: u64) -> Place {
        match word {
            0 => Place::Idle,
            1 => Place::Thread,
            2 => Place::Abandoned,
            w => Place::Released(w - 3),
        }
    }
}

#[derive(Debug, Default)]
struct Entry {
    /// Generation of its last status (0: none yet).
    status_gen: AtomicU64,
    /// P: a [`Place`]; goroutine: a packed [`GoRecord`].
    state: AtomicU64,
    /// Goroutine: the stack it waits at (0: none).
    stack: AtomicU64,
    /// Goroutine: its id.
    id: AtomicU64,
}

impl Entry {
    /// True (and the status is this caller's to write) if `gen` has none yet: one load on the
    /// common path (the status already written), else a swap, so that of two threads that may
    /// both state a P (its thread in a syscall, and one stealing it) only one does.
    #[inline]
    fn acquire(&self, gen: u64) -> bool {
        self.status_gen.load(Relaxed) != gen && self.status_gen.swap(gen, Relaxed) != gen
    }
}

/// The Ps, by id.
#[derive(Debug)]
pub(crate) struct ProcBook {
    entries: Box<[Entry]>,
}

impl ProcBook {
    /// `procs` idle Ps without a status.
    pub(crate) fn new(procs: u32) -> ProcBook {
        ProcBook { entries: (0..procs).map(|_| Entry::default()).collect() }
    }

    /// True if P `p` has no status in `gen` yet; it has one now (the caller writes it).
    pub(crate) fn acquire(&self, p: u32, gen: u64) -> bool {
        self.entries[p as usize].acquire(gen)
    }

    pub(crate) fn place(&self, p: u32) -> Place {
        Place::of(self.entries[p as usize].state.load(Relaxed))
    }

    pub(crate) fn set_place(&self, p: u32, place: Place) {
        self.entries[p as usize].state.store(place.word(), Relaxed);
    }

    /// The Ps without a status in `gen` that no thread answers for (idle, abandoned), each
    /// acquired: `(p, abandoned)`.
    pub(crate) fn each_unowned(&self, gen: u64, mut f: impl FnMut(u32, bool)) {
        for (p, e) in self.entries.iter().enumerate() {
            let place = Place::of(e.state.load(Relaxed));
            if matches!(place, Place::Idle | Place::Abandoned) && e.acquire(gen) {
                f(p as u32, place == Place::Abandoned);
            }
        }
    }
}

/// A live goroutine as the pass writes its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GoRecord {
    pub(crate) g: u64,
    pub(crate) status: GoStatus,
    /// The thread it runs or is in a syscall on (`Running`, `Syscall`).
    pub(crate) m: u64,
    pub(crate) stack: u64,
    pub(crate) assisting: bool,
}

const KIND_BITS: u32 = 3;
const ASSIST: u64 = 1 << KIND_BITS;
const M_SHIFT: u32 = KIND_BITS + 1;

fn pack(status: Option<GoStatus>, m: u64, assisting: bool) -> u64 {
    let kind = status.map_or(0, |s| s as u64);
    kind | if assisting { ASSIST } else { 0 } | m.min(u64::MAX >> M_SHIFT) << M_SHIFT
}

fn status_of(kind: u64) -> Option<GoStatus> {
    match kind {
        1 => Some(GoStatus::Runnable),
        2 => Some(GoStatus::Running),
        3 => Some(GoStatus::Syscall),
        4 => Some(GoStatus::Waiting),
        _ => None,
    }
}

/// Entries per chunk of the goroutine table.
const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;
/// Chunks of the goroutine table.
const CHUNKS: usize = 1 << 14;

/// Slots the goroutine book holds: the most goroutines alive at once (2^26).
pub(crate) const SLOTS: u64 = (CHUNKS * CHUNK) as u64;

/// The goroutines, by slot (the runtime's `g`: a goroutine's slot is another's once it ends),
/// in chunks made as slots are first needed: one allocation of 128 KiB per 4096 goroutines
/// alive at once, kept to the trace's end. Each thread reuses the slots of the goroutines that
/// end on it.
#[derive(Debug)]
pub(crate) struct GoBook {
    chunks: Box<[OnceLock<Box<[Entry]>>]>,
    /// Slots handed out so far.
    slots: AtomicU64,
}

impl GoBook {
    pub(crate) fn new() -> GoBook {
        GoBook { chunks: (0..CHUNKS).map(|_| OnceLock::new()).collect(), slots: AtomicU64::new(0) }
    }

    /// A slot never used.
    pub(crate) fn fresh_slot(&self) -> u64 {
        self.slots.fetch_add(1, Relaxed)
    }

    /// The entry of slot `g`, its chunk made if `make`.
    #[inline]
    fn entry(&self, g: u64, make: bool) -> Option<&Entry> {
        let (chunk, i) = ((g >> CHUNK_BITS) as usize, (g as usize) & (CHUNK - 1));
        let slot = self.chunks.get(chunk)?;
        let entries = if make {
            slot.get_or_init(|| (0..CHUNK).map(|_| Entry::default()).collect())
        } else {
            slot.get()?
        };
        entries.get(i)
    }

    /// Goroutine `id` comes into being in slot `g` (below [`SLOTS`]) in `gen` with its status
    /// known there (a creation): false if the slot is out of the table's range.
    pub(crate) fn create(&self, g: u64, id: u64, gen: u64, status: GoStatus, m: u64, stack: u64) -> bool {
        let Some(e) = self.entry(g, true) else { return false };
        e.id.store(id, Relaxed);
        e.status_gen.store(gen, Relaxed);
        e.stack.store(stack, Relaxed);
        e.state.store(pack(Some(status), m, false), Relaxed);
        true
    }

    /// The goroutine of slot `g` is now `status` (`None`: it ended), on thread `m`, waiting at
    /// `stack`.
    #[inline]
    pub(crate) fn set(&self, g: u64, status: Option<GoStatus>, m: u64, stack: u64, assisting: bool) {
        if let Some(e) = self.entry(g, false) {
            e.stack.store(stack, Relaxed);
            e.state.store(pack(status, m, assisting), Relaxed);
        }
    }

    /// The goroutine of slot `g` is now `status` on thread `m`, where it keeps its stack.
    #[inline]
    pub(crate) fn set_status(&self, g: u64, status: GoStatus, m: u64, assisting: bool) {
        if let Some(e) = self.entry(g, false) {
            e.state.store(pack(Some(status), m, assisting), Relaxed);
        }
    }

    /// True if the goroutine of slot `g` has no status in `gen` yet; it has one now (the
    /// caller writes it).
    #[inline]
    pub(crate) fn acquire(&self, g: u64, gen: u64) -> bool {
        self.entry(g, false).is_some_and(|e| e.acquire(gen))
    }

    /// The live goroutines without a status in `gen` and on no thread that answers for them
    /// (runnable, waiting, or in a syscall on a thread without its P), by slot, each acquired.
    pub(crate) fn each_untraced(&self, gen: u64, mut f: impl FnMut(GoRecord)) {
        let end = self.slots.load(Relaxed).min(SLOTS) as usize;
        for (c, chunk) in self.chunks.iter().take(end.div_ceil(CHUNK)).enumerate() {
            let Some(entries) = chunk.get() else { continue };
            for (i, e) in entries.iter().enumerate() {
                if c * CHUNK + i >= end {
                    return;
                }
                let word = e.state.load(Relaxed);
                let Some(status) = status_of(word & (ASSIST - 1)) else { continue };
                if status == GoStatus::Running || e.status_gen.load(Relaxed) == gen {
                    continue;
                }
                e.status_gen.store(gen, Relaxed);
                let (g, m, stack) = (e.id.load(Relaxed), word >> M_SHIFT, e.stack.load(Relaxed));
                f(GoRecord { g, status, m, stack, assisting: word & ASSIST != 0 });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_goroutine_is_acquired_once_per_generation_and_listed_while_untraced() {
        let book = GoBook::new();
        let slot = book.fresh_slot();
        assert!(book.create(slot, 5, 1, GoStatus::Runnable, 0, 7));
        assert!(!book.acquire(slot, 1), "creation is its status");
        let mut seen = Vec::new();
        book.each_untraced(2, |r| seen.push(r));
        assert_eq!(seen, [GoRecord { g: 5, status: GoStatus::Runnable, m: 0, stack: 7, assisting: false }]);
        assert!(!book.acquire(slot, 2), "the pass acquired it");
        book.set(slot, Some(GoStatus::Syscall), 3, 9, true);
        seen.clear();
        book.each_untraced(3, |r| seen.push(r));
        assert_eq!(seen, [GoRecord { g: 5, status: GoStatus::Syscall, m: 3, stack: 9, assisting: true }]);
        book.set(slot, None, 0, 0, false);
        seen.clear();
        book.each_untraced(4, |r| seen.push(r));
        assert!(seen.is_empty(), "an ended goroutine has no status");
        // Its slot, reused, is another goroutine's.
        assert!(book.create(slot, 6, 4, GoStatus::Waiting, 0, 0));
        book.each_untraced(5, |r| seen.push(r));
        assert_eq!(seen, [GoRecord { g: 6, status: GoStatus::Waiting, m: 0, stack: 0, assisting: false }]);
        assert!(!book.create(SLOTS, 7, 1, GoStatus::Runnable, 0, 0));
    }

    #[test]
    fn ps_by_place() {
        let book = ProcBook::new(3);
        book.set_place(1, Place::Thread);
        book.set_place(2, Place::Released(4));
        assert_eq!(book.place(2), Place::Released(4));
        let mut seen = Vec::new();
        book.each_unowned(1, |p, abandoned| seen.push((p, abandoned)));
        assert_eq!(seen, [(0, false)]);
        book.set_place(2, Place::Abandoned);
        seen.clear();
        book.each_unowned(1, |p, abandoned| seen.push((p, abandoned)));
        assert_eq!(seen, [(2, true)], "P 0 already has its status in generation 1");
    }
}
