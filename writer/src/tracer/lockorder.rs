//! Lock ranks and their check (debug builds): the lesson of Go CL 418956.
//!
//! Every lock of the tracer has a rank; a thread may only take a lock of a higher rank than
//! every lock it holds. The pool lock ranks highest: it is a leaf, taken under any other lock
//! and never holding one. In debug builds each acquisition is checked, and so is every event
//! write — an event write *may* flush, i.e. take the pool lock, so the order is asserted even
//! when the slow path is not taken (Go 1.21's "may acquire" annotation). A violation panics
//! (before the lock is taken). Release builds compile the checks away.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The tracer's locks, lowest rank first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    /// The buffer of events written without a P (Go's `bufLock`).
    NoP = 0,
    /// The CPU-sample buffer.
    Profile,
    /// The P slots (who holds which P; a P's state between holders).
    Slots,
    /// The global GC and stop-the-world state.
    World,
    /// The string table.
    Strings,
    /// The stack table.
    Stacks,
    /// The buffer pool: free list and full queue (Go's `trace.lock`). A leaf.
    Pool,
}

#[cfg(debug_assertions)]
mod held {
    use std::cell::Cell;

    use super::Rank;

    thread_local! {
        /// Bit `r` set while this thread holds a lock of rank `r`.
        static HELD: Cell<u8> = const { Cell::new(0) };
    }

    pub(super) fn get() -> u8 {
        HELD.with(Cell::get)
    }

    pub(super) fn set(bits: u8) {
        HELD.with(|h| h.set(bits));
    }

    pub(super) fn check(rank: Rank) {
        let held = get();
        let at_or_above = held & !((1u8 << rank as u8) - 1);
        if at_or_above != 0 {
            violation(rank, at_or_above);
        }
    }

    #[cold]
    #[inline(never)]
    fn violation(rank: Rank, held: u8) -> ! {
        let highest = (0..8).rev().find(|b| held & (1 << b) != 0).unwrap_or(0);
        panic!(
            "gotrace-writer lock order violation: acquiring {rank:?} while holding a lock of rank {highest} \
             (the pool lock is a leaf; see spec §12.9)"
        );
    }
}

/// Asserts (debug builds) that this thread may take a lock of `rank` now: it holds no lock of
/// that rank or above. Called on every event write for [`Rank::Pool`].
#[inline(always)]
pub(crate) fn may_acquire(rank: Rank) {
    #[cfg(debug_assertions)]
    held::check(rank);
    #[cfg(not(debug_assertions))]
    let _ = rank;
}

/// True while this thread holds the pool lock (debug builds; always false in release builds).
///
/// Nothing may allocate, log, panic, do I/O or wait under that lock: a test's global allocator
/// can call this to prove that no allocation happens there.
///
/// ```
/// assert!(!gotrace_writer::holding_pool_lock());
/// ```
#[must_use]
#[inline]
pub fn holding_pool_lock() -> bool {
    #[cfg(debug_assertions)]
    {
        held::get() & (1 << Rank::Pool as u8) != 0
    }
    #[cfg(not(debug_assertions))]
    {
        false
    }
}

/// A mutex with a rank, checked on every acquisition in debug builds. Poisoning is ignored:
/// nothing panics while holding a tracer lock, and the data stays consistent if a user's
/// callback panicked elsewhere.
#[derive(Debug)]
pub(crate) struct RankedMutex<T> {
    rank: Rank,
    inner: Mutex<T>,
}

/// The guard of a [`RankedMutex`].
pub(crate) struct RankedGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    _held: Held,
}

/// Marks a rank held by this thread until dropped.
struct Held {
    #[cfg(debug_assertions)]
    rank: Rank,
}

impl Held {
    #[inline]
    fn take(rank: Rank) -> Held {
        may_acquire(rank);
        #[cfg(debug_assertions)]
        {
            held::set(held::get() | (1 << rank as u8));
            Held { rank }
        }
        #[cfg(not(debug_assertions))]
        Held {}
    }
}

impl Drop for Held {
    #[inline]
    fn drop(&mut self) {
        #[cfg(debug_assertions)]
        held::set(held::get() & !(1 << self.rank as u8));
    }
}

impl<T> RankedMutex<T> {
    pub(crate) const fn new(rank: Rank, value: T) -> RankedMutex<T> {
        RankedMutex { rank, inner: Mutex::new(value) }
    }

    /// Locks, after checking (debug builds) that the rank order allows it.
    #[inline]
    pub(crate) fn lock(&self) -> RankedGuard<'_, T> {
        let held = Held::take(self.rank);
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        RankedGuard { guard, _held: held }
    }
}

impl<'a, T> RankedGuard<'a, T> {
    /// Waits on `cv`, which releases the lock while this thread sleeps (the lock is never held
    /// by a sleeping thread) and takes it again before returning.
    pub(crate) fn wait(self, cv: &Condvar) -> RankedGuard<'a, T> {
        let RankedGuard { guard, _held } = self;
        let guard = cv.wait(guard).unwrap_or_else(PoisonError::into_inner);
        RankedGuard { guard, _held }
    }
}

impl<T> std::ops::Deref for RankedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> std::ops::DerefMut for RankedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    #[test]
    fn increasing_ranks_are_allowed() {
        let strings = RankedMutex::new(Rank::Strings, ());
        let pool = RankedMutex::new(Rank::Pool, ());
        let s = strings.lock();
        let p = pool.lock();
        assert!(holding_pool_lock());
        drop(p);
        drop(s);
        assert!(!holding_pool_lock());
        // Taken again in any order once released.
        drop(pool.lock());
        drop(strings.lock());
    }

    #[test]
    #[should_panic(expected = "lock order violation: acquiring Strings")]
    fn taking_a_lock_under_the_pool_lock_fires() {
        let strings = RankedMutex::new(Rank::Strings, ());
        let pool = RankedMutex::new(Rank::Pool, ());
        let _p = pool.lock();
        let _s = strings.lock();
    }

    #[test]
    #[should_panic(expected = "lock order violation: acquiring Pool")]
    fn the_pool_lock_is_not_reentrant() {
        let pool = RankedMutex::new(Rank::Pool, ());
        let _p = pool.lock();
        may_acquire(Rank::Pool);
    }
}
