//! The generation pass's own batch: the statuses no thread answers for, in a batch of no thread
//! (the runtime's global status writer), one tick apart after the generation's last event.

use super::batch::BatchBuffer;
use super::book::GoRecord;
use super::tables::UsedIds;
use super::thread::TYPES;
use crate::modern::encoder::{put_event, Event, GoStatus, ProcStatus, Wire, MAX_EVENT_LEN, NO_THREAD};
use crate::tracer::pool::Pool;

/// Timed events of the pass, into `tail`.
pub(crate) struct StatusBatch<'a> {
    tail: &'a mut BatchBuffer,
    pool: &'a Pool,
    gen: u64,
    /// Tick of the last event (the batch starts after it).
    last: u64,
    counts: &'a mut [u64; TYPES],
    /// Events written.
    pub(crate) written: u64,
}

impl<'a> StatusBatch<'a> {
    /// Statuses of generation `gen` in a batch at tick `time`, one tick apart after it.
    pub(crate) fn new(
        tail: &'a mut BatchBuffer,
        pool: &'a Pool,
        gen: u64,
        time: u64,
        counts: &'a mut [u64; TYPES],
    ) -> StatusBatch<'a> {
        StatusBatch { tail, pool, gen, last: time, counts, written: 0 }
    }

    fn put(&mut self, event: &Event) {
        let wire = Wire::of(event);
        // A batch opened here starts at the last tick.
        let _ = self.tail.room(self.pool, MAX_EVENT_LEN, self.gen, NO_THREAD, self.last, None);
        self.tail.buf.put(|dst| put_event(dst, 1, &wire));
        self.last += 1;
        self.counts[usize::from(wire.event_type.code())] += 1;
        self.written += 1;
    }

    /// P `p`, idle or (`abandoned`) in a syscall on a thread no one can name.
    pub(crate) fn proc(&mut self, p: u32, abandoned: bool) {
        let status = if abandoned { ProcStatus::SyscallAbandoned } else { ProcStatus::Idle };
        self.put(&Event::ProcStatus { p: u64::from(p), status });
    }

    /// Goroutine `g`'s status (with its stack if it has one, which `used` gets), and
    /// `GCMarkAssistActive` if it assists the GC.
    pub(crate) fn go(&mut self, g: &GoRecord, used: &mut UsedIds) {
        let m = if g.status == GoStatus::Syscall { g.m } else { NO_THREAD };
        let event = if g.stack == 0 {
            Event::GoStatus { g: g.g, m, status: g.status }
        } else {
            Event::GoStatusStack { g: g.g, m, status: g.status, stack: g.stack }
        };
        used.mark(event.refs());
        self.put(&event);
        if g.assisting {
            self.put(&Event::GcMarkAssistActive { g: g.g });
        }
    }

    /// Closes the batch; returns the first tick after it.
    pub(crate) fn finish(self) -> u64 {
        self.tail.close();
        self.last + 1
    }
}
