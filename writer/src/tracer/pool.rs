//! The buffer pool: free list, full queue, and the consumer hand-off, under one leaf lock.
//!
//! Everything done under the pool lock is an O(1) move of a buffer between two collections whose
//! capacity was reserved up front (so a push never reallocates), a counter update, or a flag.
//! Nothing under it allocates, logs, panics, does I/O, emits events or takes another lock.
//! New buffers are allocated after the lock is released (a slot is reserved under it), and
//! condition variables are signalled after it is released; threads that must wait do so on a
//! condition variable, which releases the lock while they sleep.

use std::collections::VecDeque;
use std::sync::Condvar;

use super::buffer::Buffer;
use super::lockorder::{Rank, RankedMutex};

#[derive(Debug)]
struct State {
    /// Empty buffers (LIFO).
    free: Vec<Buffer>,
    /// Full buffers waiting for the consumer (FIFO).
    full: VecDeque<Buffer>,
    /// Buffers in existence.
    allocated: usize,
    /// Largest `allocated` seen.
    peak: usize,
    /// Times a producer waited for a buffer because `allocated` had reached the cap.
    waits: u64,
    /// Producers sleeping on `free_ready`.
    producers_waiting: usize,
    /// The consumer sleeps on `full_ready`.
    consumer_waiting: bool,
    /// No more full buffers will come.
    shutdown: bool,
    /// The sink failed: full buffers are dropped instead of queued.
    failed: bool,
}

/// The pool. `max` bounds the buffers in existence.
#[derive(Debug)]
pub(crate) struct Pool {
    state: RankedMutex<State>,
    full_ready: Condvar,
    free_ready: Condvar,
    max: usize,
}

/// Figures of the pool.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PoolStats {
    pub(crate) allocated: usize,
    pub(crate) peak: usize,
    pub(crate) waits: u64,
}

/// What a producer got under the lock.
enum Got {
    Buffer(Buffer),
    /// A slot was reserved: allocate after unlocking.
    Allocate,
}

impl Pool {
    /// A pool of at most `max` buffers; both collections reserve room for all of them now, so
    /// that no push under the lock ever reallocates (a test's counting allocator checks it).
    pub(crate) fn new(max: usize) -> Pool {
        let state = State {
            free: Vec::with_capacity(max),
            full: VecDeque::with_capacity(max),
            allocated: 0,
            peak: 0,
            waits: 0,
            producers_waiting: 0,
            consumer_waiting: false,
            shutdown: false,
            failed: false,
        };
        Pool {
            state: RankedMutex::new(Rank::Pool, state),
            full_ready: Condvar::new(),
            free_ready: Condvar::new(),
            max,
        }
    }

    /// The cap on buffers in existence.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Queues `buf` for the consumer if it holds bytes, and returns an empty buffer: from the
    /// free list, newly allocated (outside the lock) while below the cap, else once the
    /// consumer has recycled one. After a sink failure the bytes are dropped and `buf` comes
    /// back cleared.
    pub(crate) fn exchange(&self, mut buf: Buffer) -> Buffer {
        let mut wake_consumer = false;
        let mut st = self.state.lock();
        if !buf.is_empty() {
            if st.failed {
                buf.clear();
                return buf;
            }
            st.full.push_back(buf);
            wake_consumer = st.consumer_waiting;
        } else if buf.is_real() {
            return buf;
        }
        let got = loop {
            if let Some(b) = st.free.pop() {
                break Got::Buffer(b);
            }
            if st.allocated < self.max {
                st.allocated += 1;
                st.peak = st.peak.max(st.allocated);
                break Got::Allocate;
            }
            // At the cap: the consumer must recycle a buffer first.
            st.waits += 1;
            st.producers_waiting += 1;
            if st.consumer_waiting {
                self.full_ready.notify_one();
            }
            st = st.wait(&self.free_ready);
            st.producers_waiting -= 1;
        };
        drop(st);
        if wake_consumer {
            self.full_ready.notify_one();
        }
        match got {
            Got::Buffer(b) => b,
            Got::Allocate => Buffer::new(),
        }
    }

    /// Hands `buf` over for good: queued if it holds bytes, else put on the free list.
    pub(crate) fn give_back(&self, mut buf: Buffer) {
        if !buf.is_real() {
            return;
        }
        let mut st = self.state.lock();
        let (wake_consumer, wake_producer);
        if !buf.is_empty() && !st.failed {
            st.full.push_back(buf);
            (wake_consumer, wake_producer) = (st.consumer_waiting, false);
        } else {
            buf.clear();
            st.free.push(buf);
            (wake_consumer, wake_producer) = (false, st.producers_waiting > 0);
        }
        drop(st);
        if wake_consumer {
            self.full_ready.notify_one();
        }
        if wake_producer {
            self.free_ready.notify_one();
        }
    }

    /// The consumer's step: recycles `done` (the buffer it wrote last) and returns the next
    /// full buffer, waiting while none is queued; `None` once shut down and drained.
    pub(crate) fn next_full(&self, done: Option<Buffer>) -> Option<Buffer> {
        let mut st = self.state.lock();
        let mut wake_producer = false;
        if let Some(mut b) = done {
            b.clear();
            st.free.push(b);
            wake_producer = st.producers_waiting > 0;
        }
        let next = loop {
            if let Some(b) = st.full.pop_front() {
                break Some(b);
            }
            if st.shutdown {
                break None;
            }
            if wake_producer {
                // Before sleeping: a producer may be waiting for the buffer just recycled.
                self.free_ready.notify_one();
                wake_producer = false;
            }
            st.consumer_waiting = true;
            st = st.wait(&self.full_ready);
            st.consumer_waiting = false;
        };
        drop(st);
        if wake_producer {
            self.free_ready.notify_one();
        }
        next
    }

    /// The sink failed: drop every queued buffer's bytes and every later one's.
    pub(crate) fn fail(&self) {
        let mut st = self.state.lock();
        st.failed = true;
        while let Some(mut b) = st.full.pop_front() {
            b.clear();
            st.free.push(b);
        }
        let wake = st.producers_waiting > 0;
        drop(st);
        if wake {
            self.free_ready.notify_all();
        }
    }

    /// No more buffers will be queued: the consumer ends once the queue is drained.
    pub(crate) fn shut_down(&self) {
        let mut st = self.state.lock();
        st.shutdown = true;
        drop(st);
        self.full_ready.notify_all();
    }

    /// Runs `f` while holding the pool lock (tests of the lock order).
    #[cfg(all(test, debug_assertions))]
    pub(crate) fn with_lock_held<R>(&self, f: impl FnOnce() -> R) -> R {
        let _held = self.state.lock();
        f()
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let st = self.state.lock();
        PoolStats { allocated: st.allocated, peak: st.peak, waits: st.waits }
    }
}
