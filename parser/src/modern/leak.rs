//! Texts of error messages that quote the trace (a string's bytes, a region's name), made
//! `'static` so that errors stay `Copy`. Each distinct text is kept once, for the life of the
//! process, in a registry that a static holds (so it is memory in use, not a leak: leak
//! checkers see it reachable); the registry holds at most [`BUDGET`] bytes, and beyond that
//! messages are cut to their first bytes and `…`.

use std::sync::{Mutex, PoisonError};

/// Bytes the registry may hold.
const BUDGET: usize = 1 << 20;
/// Longest text kept.
const MAX_TEXT: usize = 4096;

/// The texts kept so far, and their bytes.
static KEPT: Mutex<(Vec<&'static str>, usize)> = Mutex::new((Vec::new(), 0));

/// `text` as a `'static` string: the registry's copy if it holds one, else a new one, cut to fit
/// the budget.
pub(crate) fn leak_text(text: String) -> &'static str {
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    let (texts, used) = &mut *kept;
    if let Some(&same) = texts.iter().find(|&&t| t == text) {
        return same;
    }
    let left = BUDGET.saturating_sub(*used).min(MAX_TEXT);
    let text = if text.len() <= left {
        text
    } else if left < "…".len() {
        return "…";
    } else {
        let mut cut = (left - "…".len()).min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &text[..cut])
    };
    if let Some(&same) = texts.iter().find(|&&t| t == text) {
        return same;
    }
    *used += text.len();
    let text: &'static str = Box::leak(text.into_boxed_str());
    texts.push(text);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_copy_per_text_and_within_budget() {
        let a = leak_text("multiple strings with the same ID: id=1".to_string());
        let b = leak_text("multiple strings with the same ID: id=1".to_string());
        assert!(std::ptr::eq(a, b));
        for i in 0..2_000 {
            let t = leak_text(format!("{i:04}{}", "x".repeat(MAX_TEXT)));
            assert!(t.len() <= MAX_TEXT);
        }
        assert!(KEPT.lock().unwrap().1 <= BUDGET);
    }
}
