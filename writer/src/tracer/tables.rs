//! The string and stack tables, each under its own lock, held only for the lookup or insert.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;

use super::buffer::BUFFER_SIZE;
use super::lockorder::{Rank, RankedMutex};
use crate::encoder::{check_stack, max_string_len};
use crate::Error;

/// The id of an interned string; [`StringId::EMPTY`] (0) is "" and is never written.
///
/// Ids come from [`Proc::string`](crate::Proc::string), which writes the string's record the
/// first time, so every id a trace uses is defined in it.
///
/// ```
/// assert_eq!(gotrace_writer::StringId::EMPTY.get(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StringId(pub(crate) u64);

impl StringId {
    /// The empty string.
    pub const EMPTY: StringId = StringId(0);

    /// The id as written in the trace.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// The id of an interned stack; [`StackId::NONE`] (0) means "no stack".
///
/// Ids come from [`Tracer::stack`](crate::Tracer::stack); the stack records are written with
/// the footer, so every id a trace uses is defined in it.
///
/// ```
/// assert_eq!(gotrace_writer::StackId::NONE.get(), 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackId(pub(crate) u64);

impl StackId {
    /// No stack.
    pub const NONE: StackId = StackId(0);

    /// The id as written in the trace.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// One frame of a stack to intern: program counter, function, file, line.
///
/// ```
/// let f = gotrace_writer::Frame { pc: 0x4a1f20, func: "main.main", file: "/app/main.go", line: 12 };
/// assert_eq!(f.func, "main.main");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Frame<'a> {
    /// Program counter.
    pub pc: u64,
    /// Function name.
    pub func: &'a str,
    /// File name.
    pub file: &'a str,
    /// Line number.
    pub line: u64,
}

/// A frame as the stack table keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct OwnedFrame {
    pub(crate) pc: u64,
    pub(crate) func: Box<str>,
    pub(crate) file: Box<str>,
    pub(crate) line: u64,
}

impl OwnedFrame {
    fn is(&self, f: &Frame<'_>) -> bool {
        self.pc == f.pc && self.line == f.line && *self.func == *f.func && *self.file == *f.file
    }
}

/// Longest string a record holds: what fits in an empty buffer after a batch header. Longer
/// strings are cut to it, as the runtime cuts strings to the room of its buffer.
pub(crate) const MAX_TEXT: usize = BUFFER_SIZE - 64;

/// Cuts `text` to [`MAX_TEXT`] bytes.
pub(crate) fn clip(text: &[u8]) -> &[u8] {
    &text[..text.len().min(MAX_TEXT)]
}

const _: () = assert!(max_string_len(MAX_TEXT) + 21 <= BUFFER_SIZE);

/// Strings by text; ids from 1 in order of first use.
#[derive(Debug)]
pub(crate) struct Strings {
    map: RankedMutex<HashMap<Box<str>, u64>>,
}

impl Strings {
    pub(crate) fn new() -> Strings {
        Strings { map: RankedMutex::new(Rank::Strings, HashMap::new()) }
    }

    /// The id of `text`, and whether this call defined it (then the caller writes the record).
    /// The lock is released on return.
    pub(crate) fn intern(&self, text: &str) -> (StringId, bool) {
        if text.is_empty() {
            return (StringId::EMPTY, false);
        }
        let mut map = self.map.lock();
        if let Some(&id) = map.get(text) {
            return (StringId(id), false);
        }
        let id = map.len() as u64 + 1;
        map.insert(text.into(), id);
        (StringId(id), true)
    }
}

#[derive(Debug, Default)]
struct StackTable {
    /// Stacks by id − 1.
    stacks: Vec<Box<[OwnedFrame]>>,
    /// Ids by hash of the frames.
    index: HashMap<u64, Vec<u64>>,
}

/// Stacks by frames; ids from 1 in order of first use.
#[derive(Debug)]
pub(crate) struct Stacks {
    table: RankedMutex<StackTable>,
    hasher: RandomState,
}

impl Stacks {
    pub(crate) fn new() -> Stacks {
        Stacks { table: RankedMutex::new(Rank::Stacks, StackTable::default()), hasher: RandomState::new() }
    }

    /// The id of the stack `frames` (innermost first), inserted if new. Finding a known stack
    /// does not allocate.
    pub(crate) fn intern(&self, frames: &[Frame<'_>]) -> Result<StackId, Error> {
        check_stack(1, frames.len())?;
        let hash = self.hasher.hash_one(frames);
        let mut t = self.table.lock();
        if let Some(ids) = t.index.get(&hash) {
            for &id in ids {
                let known = &t.stacks[id as usize - 1];
                if known.len() == frames.len() && known.iter().zip(frames).all(|(k, f)| k.is(f)) {
                    return Ok(StackId(id));
                }
            }
        }
        let owned: Box<[OwnedFrame]> = frames
            .iter()
            .map(|f| OwnedFrame { pc: f.pc, func: f.func.into(), file: f.file.into(), line: f.line })
            .collect();
        t.stacks.push(owned);
        let id = t.stacks.len() as u64;
        t.index.entry(hash).or_default().push(id);
        Ok(StackId(id))
    }

    /// Every stack, by id (for the dump at the end).
    pub(crate) fn take_all(&self) -> Vec<Box<[OwnedFrame]>> {
        std::mem::take(&mut self.table.lock().stacks)
    }
}
