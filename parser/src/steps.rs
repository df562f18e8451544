//! A count of the ordered parsers' elementary steps (legacy: records taken, events merged,
//! frontier entries compared, lists woken, events moved back; modern: events offered to the
//! ordering), for tests that bound the work per input
//! byte on hostile input without timing anything. Compiled in with the cargo feature
//! `count-steps` only; without it the counting compiles to nothing.
//!
//! ```
//! # #[cfg(feature = "count-steps")] {
//! let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
//! gotrace_parser::steps::take();
//! gotrace_parser::legacy::Trace::from_slice(&data)?;
//! let steps = gotrace_parser::steps::take();
//! assert!(steps > 0 && steps < 8 * data.len() as u64);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "count-steps")]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` steps (on this thread).
#[inline(always)]
pub(crate) fn add(n: usize) {
    #[cfg(feature = "count-steps")]
    STEPS.with(|s| s.set(s.get() + n as u64));
    #[cfg(not(feature = "count-steps"))]
    let _ = n;
}

/// The steps counted on this thread since the last call, and a new count from 0.
#[cfg(feature = "count-steps")]
#[must_use]
pub fn take() -> u64 {
    STEPS.with(|s| s.replace(0))
}
