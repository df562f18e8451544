//! The modern ordered reader's work, counted in steps (`gotrace_parser::steps`: each event
//! offered to the ordering), never timed: on every modern corpus trace and every file of
//! corpus/damaged-modern and corpus/altered-modern, a few steps per input byte. An event the
//! ordering refuses is offered again after another thread's event is taken, as in Go's reader.

mod common;
mod modern_common;

use gotrace::parser::modern::Reader;
use gotrace::parser::steps;

/// Steps of reading `data` to its end or its first error, per input byte.
fn steps_per_byte(data: &[u8]) -> f64 {
    let _ = steps::take();
    if let Ok(mut reader) = Reader::new(data) {
        while let Ok(Some(_)) = reader.next_event() {}
    }
    steps::take() as f64 / data.len() as f64
}

#[test]
fn a_few_steps_per_byte_on_every_modern_file() {
    let mut files = modern_common::modern_corpus();
    files.extend(common::damaged_modern().into_iter().map(|v| v.path));
    files.extend(common::altered_modern().into_iter().map(|v| v.path));
    let mut worst = (0.0, String::new());
    for path in &files {
        let s = steps_per_byte(&common::read(path));
        if s > worst.0 {
            worst = (s, common::name(path));
        }
    }
    println!("{} files, at most {:.3} steps per byte ({})", files.len(), worst.0, worst.1);
    // An event takes at least 2 bytes, and is offered about once.
    assert!(worst.0 <= 1.0, "{}: {} steps per byte", worst.1, worst.0);
    assert!(worst.0 > 0.0);
}
