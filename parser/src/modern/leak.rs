//! Texts of error messages that quote the trace (a string's bytes, a region's name), made
//! `'static` so that errors stay `Copy`. A process leaks at most [`BUDGET`] bytes this way;
//! beyond, messages are cut to their first bytes and `…`.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes the process may leak for error texts.
const BUDGET: usize = 1 << 20;
/// Longest text kept.
const MAX_TEXT: usize = 4096;

static USED: AtomicUsize = AtomicUsize::new(0);

/// `text` as a `'static` string, cut to fit the budget.
pub(crate) fn leak_text(text: String) -> &'static str {
    let left = BUDGET.saturating_sub(USED.load(Ordering::Relaxed)).min(MAX_TEXT);
    let text = if text.len() <= left {
        text
    } else {
        let mut cut = left.saturating_sub(3).min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &text[..cut])
    };
    USED.fetch_add(text.len(), Ordering::Relaxed);
    Box::leak(text.into_boxed_str())
}
