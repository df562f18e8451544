//! The decoding of batches in the second pass of the bounded-memory reader: [`decode`], done
//! where the merge needs a batch, or on a second thread ahead of it ([`Ahead`]).
//!
//! Ahead of the merge, each list has at most one batch asked for and not yet taken: when the
//! merge takes a list's batch, the list's next one is asked for, so that the thread decodes it
//! while the merge works through the one taken. A list's batches are decoded in order (each
//! goes on from the state its predecessor left), the lists in the order they are asked for.
//! The memory held stays within one more decoded batch per list than decoding in place holds,
//! and the thread's read buffer and copy of the stack handles.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::Scope;

use gotrace_format::legacy::EventType;
use gotrace_format::{Error, Version};

use super::bounded::Input;
use super::event::{Event, PROFILE_P};
use super::floor::{early_key, Key};
use super::order::seq_1005;
use super::raw::RawEvents;
use super::structure::{read_values, BatchRef, BatchState, StackLookup, MAX_VALUES};
use crate::Options;

/// The events of one decoded batch of a list.
#[derive(Debug, Default)]
pub(super) struct Decoded {
    pub events: Vec<Event>,
    /// Go 1.5/1.6: the events' sequence numbers.
    pub seqs: Vec<i64>,
    /// The positions in `events` of the events with an early key, each with its key.
    pub marks: Vec<(u32, Key)>,
}

impl Decoded {
    pub fn clear(&mut self) {
        self.events.clear();
        self.seqs.clear();
        self.marks.clear();
    }

    pub fn bytes_held(&self) -> usize {
        self.events.capacity() * std::mem::size_of::<Event>()
            + self.seqs.capacity() * 8
            + self.marks.capacity() * std::mem::size_of::<(u32, Key)>()
    }
}

/// What decoding a batch needs besides its bytes and its list's state.
#[derive(Clone, Copy)]
pub(super) struct Decoding<'a> {
    pub version: Version,
    pub options: Options,
    pub stacks: &'a StackLookup,
}

/// Decodes `bytes`, the batch `batch` of a list, into `out` (after what it holds), going on
/// from `state` (the list's state after its batch before).
pub(super) fn decode(
    bytes: &[u8],
    batch: &BatchRef,
    with: Decoding<'_>,
    state: &mut BatchState,
    out: &mut Decoded,
) -> Result<(), Error> {
    let Decoding { version, options, stacks } = with;
    let old = version < Version::Go1_7;
    let mut message = batch.messages;
    for raw in RawEvents::resume(bytes, batch.start, version, options) {
        let raw = raw?;
        let t = raw.event_type();
        let mut v = [0u64; MAX_VALUES];
        let n = read_values(raw.value_bytes(), &mut v);
        if t.has_timestamp() {
            let next_message = |_: &[u8]| {
                message += 1;
                message - 1
            };
            let (key, mut ev, seq, stack) = state.event(&raw, t, &mut v, n, old, next_message)?;
            ev.stack = stacks.lookup(stack);
            if key == PROFILE_P {
                continue;
            }
            let mut old_seq = None;
            if old {
                let seq = seq_1005(&mut ev, seq);
                out.seqs.push(seq);
                old_seq = Some(seq);
            }
            if let Some(key) = early_key(&ev, old_seq) {
                out.marks.push((out.events.len() as u32, key));
            }
            out.events.push(ev);
        } else if t == EventType::BATCH {
            state.start(&v, old);
        }
    }
    Ok(())
}

/// A batch asked of the thread: list `list`'s `batch`, to decode into `into` (emptied buffers
/// given back for reuse).
struct Ask {
    list: u32,
    batch: BatchRef,
    into: Decoded,
}

/// The thread's answer to an [`Ask`], and the bytes of its read buffer after it.
struct Answer {
    list: u32,
    decoded: Result<Decoded, Error>,
    read_buffer: usize,
}

/// Where a list's batch ahead is.
enum Slot {
    /// None is asked for.
    Idle,
    /// Asked for and not received: the bytes of the buffers given with the ask.
    Asked(usize),
    /// Received and not taken.
    Ready(Result<Decoded, Error>),
}

/// The merge's end of the decoding thread.
pub(super) struct Ahead {
    asks: Sender<Ask>,
    answers: Receiver<Answer>,
    /// Per list: where its batch ahead is.
    slots: Vec<Slot>,
    /// The bytes of the buffers away from the lists (asked for, or received and not taken),
    /// of the thread's read buffer, and of its copy of the stack handles, as this end learns
    /// them: a buffer is counted at the bytes it had when asked until its answer is received.
    /// Answers come in the order of the asks, and each wait for one ends once it is received,
    /// so the figures at each step of the merge do not depend on the thread's pace.
    away: usize,
    read_buffer: usize,
    lookups: usize,
}

impl Ahead {
    /// Starts the thread in `scope`: it reads `input`, and decodes each list's batches going on
    /// from `states` (the lists' states after the batches decoded so far).
    pub fn start<'scope, I: Input + Send + 'scope>(
        scope: &'scope Scope<'scope, '_>,
        mut input: I,
        version: Version,
        options: Options,
        stacks: StackLookup,
        mut states: Vec<BatchState>,
    ) -> Ahead {
        let (asks, asked) = channel::<Ask>();
        let (answer, answers) = channel();
        let lookups = stacks.bytes_held();
        let lists = states.len();
        scope.spawn(move || {
            let with = Decoding { version, options, stacks: &stacks };
            // Ends when the merge's end is dropped.
            for Ask { list, batch, mut into } in asked {
                let state = &mut states[list as usize];
                let decoded = input
                    .with_range(batch.start, batch.end, |bytes| decode(bytes, &batch, with, state, &mut into))
                    .map(|()| into);
                let read_buffer = input.bytes_held();
                if answer.send(Answer { list, decoded, read_buffer }).is_err() {
                    break;
                }
            }
        });
        Ahead {
            asks,
            answers,
            slots: (0..lists).map(|_| Slot::Idle).collect(),
            away: 0,
            read_buffer: 0,
            lookups,
        }
    }

    /// Asks for list `list`'s batch `batch`, to decode into `into` (emptied here).
    pub fn ask(&mut self, list: u32, batch: BatchRef, mut into: Decoded) {
        into.clear();
        let bytes = into.bytes_held();
        self.slots[list as usize] = Slot::Asked(bytes);
        self.away += bytes;
        // The thread ends only when this end is dropped, or after a panic, which the scope
        // raises again on its way out; `take` reports it.
        let _ = self.asks.send(Ask { list, batch, into });
    }

    /// The batch last asked for list `list`, waiting for it if need be.
    pub fn take(&mut self, list: u32) -> Result<Decoded, Error> {
        loop {
            match std::mem::replace(&mut self.slots[list as usize], Slot::Idle) {
                Slot::Ready(decoded) => {
                    self.away -= decoded.as_ref().map_or(0, Decoded::bytes_held);
                    return decoded;
                }
                asked @ Slot::Asked(_) => self.slots[list as usize] = asked,
                // Waiting for a batch not asked for would never end.
                Slot::Idle => panic!("batch {list} taken before it was asked for"),
            }
            let Ok(Answer { list, decoded, read_buffer }) = self.answers.recv() else {
                // Only a panic of the thread ends it while this end is alive.
                panic!("the thread decoding batches ahead stopped");
            };
            if let Slot::Asked(bytes) = self.slots[list as usize] {
                self.away -= bytes;
            }
            self.away += decoded.as_ref().map_or(0, Decoded::bytes_held);
            self.read_buffer = read_buffer;
            self.slots[list as usize] = Slot::Ready(decoded);
        }
    }

    /// Bytes of the buffers the lists do not hold, as this end knows them (see `away`).
    pub fn bytes_away(&self) -> usize {
        self.away + self.read_buffer + self.lookups
    }
}
