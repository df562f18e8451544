//! What the reorder window of the bounded-memory mode waits for: the least sort key that an
//! event not merged yet can have, known exactly from the first pass (spec §7.3, §7.4).
//!
//! The whole-file mode sorts the merged events by time (Go 1.7+: stably, so ties keep merge
//! order) once syscall exits got their real times, or (Go 1.5/1.6) by global sequence number
//! and offset. An event merged may go out as soon as no event still to merge sorts before it.
//!
//! - **Go 1.7+.** Events still to merge are not earlier than the last one merged (else the
//!   merge fails: time stamps out of order), but a `GoSysExit` whose real time (its third
//!   argument) replaces its time: that time is its *early key*.
//! - **Go 1.5/1.6.** The merge takes the lists' heads by sequence number, but nothing orders a
//!   list (exits take the sequence of their real exit, and damage may do anything): every event
//!   has an early key, its (sequence, offset).
//!
//! The first pass records, per batch, the least early key of its events ([`EarlyKeys`]); each
//! list then knows the least key of its batches still to decode, and of the rest of its decoded
//! batch; [`Floors`] keeps the least of the lists'.

use gotrace_format::legacy::{EventType, RawEvent};
use gotrace_format::{Version, HEADER_LEN};

use super::event::{Event, PROFILE_P};
use super::order::seq_1005;
use super::structure::{read_values, BatchRef, BatchState, MAX_VALUES};

/// A sort key: the time (Go 1.7+) or sequence number (Go 1.5/1.6), then the offset (0 for Go
/// 1.7+, whose ties go by merge order).
pub(crate) type Key = (i64, u64);

/// No key: after every other.
pub(crate) const NO_KEY: Key = (i64::MAX, u64::MAX);

/// The early key of `ev` (decoded, its type not yet rewritten by the merge): Go 1.7+ (`seq`
/// `None`), a syscall exit's real time when it has one; Go 1.5/1.6, its sequence number as
/// [`seq_1005`] gave it and its offset.
#[inline]
pub(crate) fn early_key(ev: &Event, seq: Option<i64>) -> Option<Key> {
    if let Some(seq) = seq {
        return Some((seq, ev.offset()));
    }
    match ev.event_type() {
        // The merge turns the local exit into `GoSysExit`, then takes the real time of either.
        EventType::GO_SYS_EXIT | EventType::GO_SYS_EXIT_LOCAL if ev.args[2] != 0 => {
            Some((ev.args[2] as i64, 0))
        }
        _ => None,
    }
}

/// The first pass's record of early keys: per batch that has any, its start and the least.
pub(crate) struct EarlyKeys {
    old: bool,
    /// Go 1.5/1.6: the batch state, for the sequence numbers.
    state: BatchState,
    /// The start of the batch records go to (events before any batch are P 0's, from the
    /// first record on, as the structure pass has it).
    batch: u64,
    least: Vec<(u64, Key)>,
}

impl EarlyKeys {
    pub fn new(version: Version) -> EarlyKeys {
        EarlyKeys {
            old: version < Version::Go1_7,
            state: BatchState::default(),
            batch: HEADER_LEN as u64,
            least: Vec::new(),
        }
    }

    /// Takes one record, after the structure pass took it (so it decodes).
    #[inline]
    pub fn see(&mut self, raw: &RawEvent<'_>) {
        let t = raw.event_type();
        let interesting = t == EventType::BATCH
            || if self.old {
                t.has_timestamp()
            } else {
                matches!(t, EventType::GO_SYS_EXIT | EventType::GO_SYS_EXIT_LOCAL)
            };
        if interesting {
            self.see_slow(raw, t);
        }
    }

    fn see_slow(&mut self, raw: &RawEvent<'_>, t: EventType) {
        let mut v = [0u64; MAX_VALUES];
        let n = read_values(raw.value_bytes(), &mut v);
        if t == EventType::BATCH {
            self.batch = raw.offset();
            self.state.start(&v, self.old);
            return;
        }
        let decoded = if self.old {
            self.state.event(raw, t, &mut v, n, true, |_| 0)
        } else {
            BatchState::default().event(raw, t, &mut v, n, false, |_| 0)
        };
        let Ok((list, mut ev, seq, _)) = decoded else { return };
        if list == PROFILE_P {
            // CPU samples are held whole; their keys are found then.
            return;
        }
        let seq = self.old.then(|| seq_1005(&mut ev, seq));
        let Some(key) = early_key(&ev, seq) else { return };
        match self.least.last_mut() {
            Some((start, least)) if *start == self.batch => *least = (*least).min(key),
            _ => self.least.push((self.batch, key)),
        }
    }

    /// For each batch of a list (in file order), the least early key of it and the batches
    /// after it.
    pub fn suffix(&self, batches: &[BatchRef]) -> Vec<Key> {
        let mut out = vec![NO_KEY; batches.len()];
        let mut least = NO_KEY;
        for (b, batch) in batches.iter().enumerate().rev() {
            if let Ok(i) = self.least.binary_search_by_key(&batch.start, |&(start, _)| start) {
                least = least.min(self.least[i].1);
            }
            out[b] = least;
        }
        out
    }

    pub fn bytes_held(&self) -> usize {
        self.least.capacity() * std::mem::size_of::<(u64, Key)>()
    }
}

/// The least key of each list, and the least of all: a tournament tree (one update walks up
/// from the list's leaf).
pub(crate) struct Floors {
    leaves: usize,
    tree: Vec<Key>,
}

impl Floors {
    pub fn new(lists: usize) -> Floors {
        let leaves = lists.next_power_of_two();
        Floors { leaves, tree: vec![NO_KEY; 2 * leaves] }
    }

    /// List `i`'s least key is now `key`.
    #[inline]
    pub fn set(&mut self, i: u32, key: Key) {
        let mut at = self.leaves + i as usize;
        self.tree[at] = key;
        while at > 1 {
            at /= 2;
            let least = self.tree[2 * at].min(self.tree[2 * at + 1]);
            if self.tree[at] == least {
                break;
            }
            self.tree[at] = least;
        }
    }

    /// The least key of all lists.
    #[inline]
    pub fn least(&self) -> Key {
        self.tree[1]
    }

    pub fn bytes_held(&self) -> usize {
        self.tree.capacity() * std::mem::size_of::<Key>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_keep_the_least() {
        let mut floors = Floors::new(5);
        assert_eq!(floors.least(), NO_KEY);
        for (i, t) in [(0, 50), (3, 20), (4, 40), (1, 30)] {
            floors.set(i, (t, 0));
        }
        assert_eq!(floors.least(), (20, 0));
        floors.set(3, NO_KEY);
        assert_eq!(floors.least(), (30, 0));
        floors.set(1, (60, 0));
        assert_eq!(floors.least(), (40, 0));
        floors.set(4, (10, 0));
        assert_eq!(floors.least(), (10, 0));
    }
}
