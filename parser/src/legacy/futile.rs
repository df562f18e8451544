//! Removal of futile wakeups (spec §8): a goroutine woken up only to block again at once,
//! which the runtime marks with a `FutileWakeup` event before the new block. The wakeup (the
//! unblock, the starts and preemptions after it, the `FutileWakeup`) and the block go.

use gotrace_format::legacy::EventType;

use super::dense::{Chunked, TidyMap};
use super::event::Event;

/// Finds the futile wakeup sequences of events seen in their final order: each event is
/// named by a key (its index, or its offset), and [`Futile::into_doomed`] gives the keys of the
/// events to remove.
pub(crate) struct Futile<K> {
    /// Per goroutine, its wakeup so far.
    gs: TidyMap<u64, Wakeup<K>>,
    doomed: Vec<K>,
}

struct Wakeup<K> {
    futile: bool,
    events: Vec<K>,
}

impl<K> Default for Wakeup<K> {
    fn default() -> Self {
        Wakeup { futile: false, events: Vec::new() }
    }
}

impl<K: Copy + Ord> Futile<K> {
    pub fn new() -> Futile<K> {
        Futile { gs: TidyMap::default(), doomed: Vec::new() }
    }

    /// Takes the next event in final order.
    #[inline]
    pub fn see(&mut self, key: K, ev: &Event) {
        match ev.event_type() {
            EventType::GO_UNBLOCK => {
                let w = self.gs.get_or_insert_with(ev.args[0], Wakeup::default);
                w.events.clear();
                w.events.push(key);
            }
            t @ (EventType::GO_START | EventType::GO_PREEMPT | EventType::FUTILE_WAKEUP) => {
                let w = self.gs.get_or_insert_with(ev.g, Wakeup::default);
                w.events.push(key);
                w.futile |= t == EventType::FUTILE_WAKEUP;
            }
            EventType::GO_BLOCK
            | EventType::GO_BLOCK_SEND
            | EventType::GO_BLOCK_RECV
            | EventType::GO_BLOCK_SELECT
            | EventType::GO_BLOCK_SYNC
            | EventType::GO_BLOCK_COND => {
                if let Some(w) = self.gs.remove(&ev.g) {
                    if w.futile {
                        self.doomed.push(key);
                        self.doomed.extend(w.events);
                    }
                }
            }
            _ => {}
        }
    }

    /// Bytes held: the map's table, the events of each wakeup, the doomed keys.
    pub fn bytes_held(&self) -> usize {
        let key = std::mem::size_of::<K>();
        self.gs.bytes_held()
            + self.gs.values().map(|w| w.events.capacity() * key).sum::<usize>()
            + self.doomed.capacity() * key
    }

    /// The keys of the events to remove, sorted.
    pub fn into_doomed(mut self) -> Vec<K> {
        self.doomed.sort_unstable();
        self.doomed.dedup();
        self.doomed
    }
}

/// Removes the futile wakeup sequences of `events` (in their final order).
pub(crate) fn remove_futile(events: &mut Chunked<Event>) {
    let mut futile = Futile::new();
    for i in 0..events.len() {
        futile.see(i as u32, &events.at(i));
    }
    let doomed = futile.into_doomed();
    if doomed.is_empty() {
        return;
    }
    let mut next = 0;
    let mut w = 0;
    for r in 0..events.len() {
        if next < doomed.len() && doomed[next] as usize == r {
            next += 1;
            continue;
        }
        let ev = events.at(r);
        events.set(w, ev);
        w += 1;
    }
    events.truncate(w);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: EventType, g: u64, arg: u64) -> Event {
        let mut e = Event::new(0, t, 0, g, 0).unwrap();
        e.args[0] = arg;
        e
    }

    #[test]
    fn removes_the_whole_sequence() {
        let mut events = Chunked::default();
        for e in [
            ev(EventType::GO_UNBLOCK, 1, 5),    // removed
            ev(EventType::GO_START, 5, 5),      // removed
            ev(EventType::GO_SCHED, 5, 0),      // kept
            ev(EventType::FUTILE_WAKEUP, 5, 0), // removed
            ev(EventType::GO_BLOCK_SEND, 5, 0), // removed
            ev(EventType::GO_START, 6, 6),      // kept: g 6 never futile
            ev(EventType::GO_BLOCK, 6, 0),      // kept
        ] {
            events.push(e);
        }
        remove_futile(&mut events);
        let left: Vec<_> = events.iter().map(|e| (e.event_type(), e.g())).collect();
        assert_eq!(left, [(EventType::GO_SCHED, 5), (EventType::GO_START, 6), (EventType::GO_BLOCK, 6)]);
    }
}
