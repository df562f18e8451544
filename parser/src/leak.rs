//! Texts of error messages that quote the trace (an event, a string's bytes, a region's name),
//! made `'static` so that errors stay `Copy`. Each distinct text is kept once, for the life of
//! the process, in a registry that a static holds (memory in use, not a leak: leak checkers see
//! it reachable), of at most [`BUDGET`] bytes.
//!
//! A text longer than [`MAX_TEXT`] bytes is cut to that many. While the registry has room short
//! of its last [`RESERVE`] bytes, a text is kept as it is; after that, cut to its first [`CUT`]
//! bytes, while the reserve lasts; after that, it is `…` alone. Which of these a text becomes
//! depends on the text and on the registry's state when the text was first seen, never on how
//! many bytes are left: the same trace read twice in a row gives the same messages (the second
//! read finds the first one's copy), however full the registry is.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

/// Bytes the registry may hold.
const BUDGET: usize = 1 << 20;
/// The last bytes of the budget, kept for texts cut to [`CUT`] bytes.
const RESERVE: usize = 1 << 16;
/// Longest text kept.
const MAX_TEXT: usize = 4096;
/// Length of the texts kept once the registry is down to its reserve.
const CUT: usize = 64;

/// The registry of the process.
static KEPT: Mutex<Registry> = Mutex::new(Registry::new());

/// `text` as a `'static` string: the registry's copy if it holds one, else a new one, cut as the
/// module's documentation says.
pub(crate) fn leak_text(text: String) -> &'static str {
    KEPT.lock().unwrap_or_else(PoisonError::into_inner).keep(text)
}

/// The texts kept so far, and their bytes.
struct Registry {
    texts: BTreeSet<&'static str>,
    used: usize,
}

impl Registry {
    const fn new() -> Registry {
        Registry { texts: BTreeSet::new(), used: 0 }
    }

    /// [`leak_text`] with this registry.
    fn keep(&mut self, text: String) -> &'static str {
        let text = cut(text, MAX_TEXT);
        if let Some(&same) = self.texts.get(text.as_str()) {
            return same;
        }
        let text = if self.used + text.len() <= BUDGET - RESERVE {
            text
        } else {
            let short = cut(text, CUT);
            if let Some(&same) = self.texts.get(short.as_str()) {
                return same;
            }
            if self.used + short.len() > BUDGET {
                return "…";
            }
            short
        };
        self.used += text.len();
        let text: &'static str = Box::leak(text.into_boxed_str());
        self.texts.insert(text);
        text
    }
}

/// `text` if it has at most `max` bytes, else its first characters and `…`, `max` bytes at most.
fn cut(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max - "…".len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_copy_per_text_and_within_budget() {
        let a = leak_text("multiple strings with the same ID: id=1".to_string());
        let b = leak_text("multiple strings with the same ID: id=1".to_string());
        assert!(std::ptr::eq(a, b));
        let mut registry = Registry::new();
        for i in 0..2_000 {
            let t = registry.keep(format!("{i:04}{}", "x".repeat(MAX_TEXT)));
            assert!(t.len() <= MAX_TEXT);
        }
        assert!(registry.used <= BUDGET);
        assert_eq!(cut("日本語".to_string(), 7), "日…");
    }

    /// Past the point where the registry is full (a registry of the test's own, so that the
    /// texts get there whatever other tests of the process kept), the same text still gets the
    /// same copy, and each stage is reached: the cut of a text once depended on the bytes
    /// left, so a second read of a trace got a shorter message than the first (found by the
    /// modern_parse fuzz target, whose streamed read then failed "differently" from the
    /// in-memory one).
    #[test]
    fn a_text_gets_the_same_copy_again_past_the_budget() {
        let mut registry = Registry::new();
        let mut lengths = BTreeSet::new();
        for i in 0..2_000 {
            let text = format!("{i:05} again {}", "y".repeat(MAX_TEXT));
            let first = registry.keep(text.clone());
            let again = registry.keep(text);
            assert!(std::ptr::eq(first, again), "text {i}: {} then {} bytes", first.len(), again.len());
            lengths.insert(first.len());
        }
        assert_eq!(lengths.into_iter().collect::<Vec<_>>(), ["…".len(), CUT, MAX_TEXT]);
    }
}
