//! The modern string and stack tables: interned once for the whole trace, each under its own
//! lock held for the lookup or insert only (ids stay the same from one generation to the next,
//! so handles never go stale); each generation's tables hold only the strings and stacks its
//! events use ([`Used`]), as the runtime's do.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use gotrace_format::modern::{MAX_STACK_FRAMES, MAX_STRING_LEN};

use crate::tracer::lockorder::{Rank, RankedMutex};
use crate::{Frame, StackFrame, StackId, StringId};

/// A general string as the runtime keeps it: its first 1024 bytes (cut at a character
/// boundary).
pub(crate) fn head(text: &str) -> &str {
    let mut end = text.len().min(MAX_STRING_LEN as usize);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A function or file name as the runtime keeps it: its last 1024 bytes.
fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(MAX_STRING_LEN as usize);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// A set of table ids (strings or stacks) used in a generation: a bit per id. Marking an id
/// below the capacity it was made with allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Used(Vec<u64>);

impl Used {
    /// Room for ids below 4096 without allocating.
    pub(crate) fn new() -> Used {
        Used(vec![0; 64])
    }

    /// Marks `id` (0, no id, is never marked).
    #[inline(always)]
    pub(crate) fn mark(&mut self, id: u64) {
        if id != 0 {
            let word = (id / 64) as usize;
            if word >= self.0.len() {
                self.grow(word);
            }
            self.0[word] |= 1 << (id % 64);
        }
    }

    #[cold]
    fn grow(&mut self, word: usize) {
        self.0.resize((word + 1).next_power_of_two(), 0);
    }

    pub(crate) fn contains(&self, id: u64) -> bool {
        self.0.get((id / 64) as usize).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Adds the ids of `other`, which is left empty (its room kept).
    pub(crate) fn take_from(&mut self, other: &mut Used) {
        if other.0.len() > self.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (w, o) in self.0.iter_mut().zip(other.0.iter_mut()) {
            *w |= std::mem::take(o);
        }
    }

    /// Empties the set (its room kept).
    pub(crate) fn clear(&mut self) {
        self.0.iter_mut().for_each(|w| *w = 0);
    }
}

/// The ids a generation's events use: stacks and strings.
#[derive(Debug, Default)]
pub(crate) struct UsedIds {
    pub(crate) stacks: Used,
    pub(crate) strings: Used,
}

impl UsedIds {
    pub(crate) fn new() -> UsedIds {
        UsedIds { stacks: Used::new(), strings: Used::new() }
    }

    /// Marks what an event refers to ([`Event::refs`](crate::modern::Event)).
    #[inline(always)]
    pub(crate) fn mark(&mut self, (stacks, string): ([u64; 2], u64)) {
        self.stacks.mark(stacks[0]);
        self.stacks.mark(stacks[1]);
        self.strings.mark(string);
    }

    /// Adds the ids of `other`, which is left empty.
    pub(crate) fn take_from(&mut self, other: &mut UsedIds) {
        self.stacks.take_from(&mut other.stacks);
        self.strings.take_from(&mut other.strings);
    }

    pub(crate) fn clear(&mut self) {
        self.stacks.clear();
        self.strings.clear();
    }
}

/// Strings by text, and fresh ids for log messages (which the runtime never de-duplicates).
#[derive(Debug)]
pub(crate) struct Strings {
    index: RankedMutex<HashMap<Box<str>, u64>>,
    next: AtomicU64,
}

impl Strings {
    pub(crate) fn new() -> Strings {
        Strings { index: RankedMutex::new(Rank::Strings, HashMap::new()), next: AtomicU64::new(1) }
    }

    /// The id of `text` (its first 1024 bytes), interned for the whole trace.
    pub(crate) fn intern(&self, text: &str) -> StringId {
        let text = head(text);
        if text.is_empty() {
            return StringId::EMPTY;
        }
        let mut index = self.index.lock();
        if let Some(&id) = index.get(text) {
            return StringId(id);
        }
        let id = self.fresh();
        index.insert(text.into(), id);
        StringId(id)
    }

    /// A new id no interned string has (for a log message, written in its generation only).
    pub(crate) fn fresh(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Calls `f` with every interned string in `used` and its id (the table lock held
    /// meanwhile).
    pub(crate) fn each_used(&self, used: &Used, mut f: impl FnMut(u64, &str)) {
        let index = self.index.lock();
        for (text, &id) in index.iter().filter(|(_, &id)| used.contains(id)) {
            f(id, text);
        }
    }
}

#[derive(Debug, Default)]
struct StackTable {
    /// Stacks by id − 1.
    stacks: Vec<Box<[StackFrame]>>,
    /// Ids by hash of the frames.
    index: HashMap<u64, Vec<u64>>,
}

/// Stacks by frames (their names as string ids); ids from 1 in order of first use.
#[derive(Debug)]
pub(crate) struct Stacks {
    table: RankedMutex<StackTable>,
    hasher: RandomState,
}

impl Stacks {
    pub(crate) fn new() -> Stacks {
        Stacks { table: RankedMutex::new(Rank::Stacks, StackTable::default()), hasher: RandomState::new() }
    }

    /// The id of the stack `frames` (innermost first, at most 128 kept, as the runtime keeps
    /// them), its names interned in `strings` first. Finding a known stack allocates nothing.
    pub(crate) fn intern(&self, strings: &Strings, frames: &[Frame<'_>]) -> StackId {
        if frames.is_empty() {
            return StackId::NONE;
        }
        let frames = &frames[..frames.len().min(MAX_STACK_FRAMES as usize)];
        let mut ids = [StackFrame { pc: 0, func: 0, file: 0, line: 0 }; MAX_STACK_FRAMES as usize];
        for (id, f) in ids.iter_mut().zip(frames) {
            *id = StackFrame {
                pc: f.pc,
                func: strings.intern(tail(f.func)).get(),
                file: strings.intern(tail(f.file)).get(),
                line: f.line,
            };
        }
        let ids = &ids[..frames.len()];
        let hash = self.hasher.hash_one(ids);
        let mut t = self.table.lock();
        if let Some(known) = t.index.get(&hash) {
            if let Some(&id) = known.iter().find(|&&id| *t.stacks[id as usize - 1] == *ids) {
                return StackId(id);
            }
        }
        t.stacks.push(ids.into());
        let id = t.stacks.len() as u64;
        t.index.entry(hash).or_default().push(id);
        StackId(id)
    }

    /// Calls `f` with every stack in `used` and its id (the table lock held meanwhile).
    pub(crate) fn each_used(&self, used: &Used, mut f: impl FnMut(u64, &[StackFrame])) {
        let t = self.table.lock();
        for (i, frames) in t.stacks.iter().enumerate() {
            let id = i as u64 + 1;
            if used.contains(id) {
                f(id, frames);
            }
        }
    }
}
