//! Removal of futile wakeups (spec §8): a goroutine woken up only to block again at once,
//! which the runtime marks with a `FutileWakeup` event before the new block. The wakeup (the
//! unblock, the starts and preemptions after it, the `FutileWakeup`) and the block go.

use std::collections::HashMap;

use gotrace_format::legacy::EventType;

use super::dense::Chunked;
use super::event::Event;

/// Removes the futile wakeup sequences of `events` (in their final order). Nothing to do, and
/// nothing done, when the trace has no `FutileWakeup` event.
pub(crate) fn remove_futile(events: &mut Chunked<Event>) {
    #[derive(Default)]
    struct Wakeup {
        futile: bool,
        events: Vec<u32>,
    }
    let mut gs: HashMap<u64, Wakeup> = HashMap::new();
    let mut doomed: Vec<u32> = Vec::new();
    for i in 0..events.len() {
        let ev = events.at(i);
        match ev.event_type() {
            EventType::GO_UNBLOCK => gs.entry(ev.args[0]).or_default().events = vec![i as u32],
            t @ (EventType::GO_START | EventType::GO_PREEMPT | EventType::FUTILE_WAKEUP) => {
                let w = gs.entry(ev.g).or_default();
                w.events.push(i as u32);
                w.futile |= t == EventType::FUTILE_WAKEUP;
            }
            EventType::GO_BLOCK
            | EventType::GO_BLOCK_SEND
            | EventType::GO_BLOCK_RECV
            | EventType::GO_BLOCK_SELECT
            | EventType::GO_BLOCK_SYNC
            | EventType::GO_BLOCK_COND => {
                if let Some(w) = gs.remove(&ev.g) {
                    if w.futile {
                        doomed.push(i as u32);
                        doomed.extend(w.events);
                    }
                }
            }
            _ => {}
        }
    }
    if doomed.is_empty() {
        return;
    }
    doomed.sort_unstable();
    doomed.dedup();
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
