//! A counting global allocator for the writer's memory tests (`writer_alloc.rs`,
//! `modern_writer_alloc.rs`): allocations per thread, bytes live in the process and their peak,
//! and allocations made while the thread holds the tracer's pool lock. A test binary opts in
//! with `#[global_allocator] static A: counting::Counting = counting::Counting;`; its tests take
//! [`serial`] first, since the process-wide counters are shared.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static UNDER_POOL_LOCK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

/// The allocator: the system's, counted.
pub struct Counting;

// SAFETY: every call is forwarded to the system allocator unchanged; the bookkeeping touches
// atomics and a const-initialised thread-local without destructor only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn note(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
    let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
    if gotrace::writer::holding_pool_lock() {
        UNDER_POOL_LOCK.fetch_add(1, Ordering::Relaxed);
    }
}

/// One test at a time.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Allocations this thread made so far.
pub fn thread_allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// Bytes allocated and not yet freed, in the whole process.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a new peak from the bytes live now, and returns them.
pub fn reset_peak() -> usize {
    let base = live();
    PEAK.store(base, Ordering::Relaxed);
    base
}

/// Most bytes live at once since [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Allocations made so far by threads holding the pool lock (debug builds track the lock).
pub fn under_pool_lock() -> usize {
    UNDER_POOL_LOCK.load(Ordering::Relaxed)
}
