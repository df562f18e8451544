//! The legacy → modern conversion over the bounded-memory reader (`Converter::from_readers`,
//! what `gotrace dump --parsed` runs on a legacy trace read from a pipe or on one core) against the conversion of the parsed
//! trace (`Converter::new`, held to Go 1.27 by the goldens of `tests/legacy_parsed.rs`): the
//! same events, or the same error at the same offset, on every legacy corpus trace and every
//! damaged and altered file; and the memory it holds: on a large synthetic trace, a small
//! fraction of what the conversion of the parsed trace holds.

mod common;

use std::io::Cursor;

use common::{alloc_track, altered, damaged, legacy_corpus, name, read};
use gotrace::parser::convert::{Converter, Source};
use gotrace::parser::legacy::{OrderedReader, Trace};
use gotrace::selfcheck;
use gotrace::writer::synth::{self, SynthOptions};

#[global_allocator]
static ALLOC: alloc_track::Tracking = alloc_track::Tracking;

/// Both conversions of `data` agree ([`selfcheck::legacy_convert`]); whether it converted to
/// the end.
fn same(label: &str, data: &[u8]) -> bool {
    // Shown with the panic's message when the check fails.
    eprintln!("{label}");
    selfcheck::legacy_convert(data)
}

#[test]
fn bounded_conversion_equals_the_parsed_traces_on_every_corpus_trace() {
    let mut converted = 0;
    for path in legacy_corpus() {
        converted += usize::from(same(&name(&path), &read(&path)));
    }
    // Go's canned traces of 1.5 - 1.21 and the recordings of Go 1.19 and 1.21.
    assert!(converted >= 45, "{converted} traces converted");
}

#[test]
fn bounded_conversion_equals_the_parsed_traces_on_every_damaged_file() {
    let (mut files, mut failed) = (0, 0);
    for verdict in damaged().into_iter().chain(altered()) {
        files += 1;
        failed += usize::from(!same(&verdict.name, &read(&verdict.path)));
    }
    // Most damaged files fail in the ordering or validation; some fail in the conversion
    // itself (undefined stacks and strings, futile wakeups in a 1.11+ trace).
    assert!(files >= 100 && failed >= 80, "{files} files, {failed} failed");
}

/// The events a conversion gives.
fn count<S: Source>(mut converter: Converter<S>) -> usize {
    let mut n = 0;
    while converter.next_event().expect("a synthetic trace converts").is_some() {
        n += 1;
    }
    n
}

#[test]
fn bounded_conversion_holds_a_fraction_of_the_parsed_traces_memory() {
    // 4 Ps, 2000 goroutines, 1.2 M events: about 9 MB of trace, 67 MB of events parsed.
    let options = SynthOptions { procs: 4, goroutines: 2000, events: 1_200_000, ..SynthOptions::default() };
    let (data, _) = synth::run(Vec::new(), &options).expect("synth");

    alloc_track::reset();
    let trace = Trace::from_slice(&data).expect("a synthetic trace parses");
    let n_whole = count(Converter::new(&trace).expect("converts"));
    let whole_peak = alloc_track::peak();
    drop(trace);

    // What one reader holds at most, by its own accounting (which the tests of
    // `tests/bounded.rs` hold to the bound it documents).
    alloc_track::reset();
    let mut reader = OrderedReader::new(Cursor::new(&data)).expect("reads");
    let first_pass = alloc_track::peak();
    let total = reader.total_events();
    for e in reader.by_ref() {
        e.expect("orders");
    }
    let reader_peak = reader.peak_bytes();
    drop(reader);

    alloc_track::reset();
    let scan = OrderedReader::new(Cursor::new(&data)).expect("reads");
    let events = OrderedReader::new(Cursor::new(&data)).expect("reads");
    let n_bounded = count(Converter::from_readers(scan, events).expect("converts"));
    let bounded_peak = alloc_track::peak();

    assert_eq!(n_bounded, n_whole);
    assert!(n_whole > 1_000_000, "{n_whole} events");
    // The parsed trace holds its events (56 bytes each) and more.
    assert!(whole_peak > total * 56, "whole {whole_peak} bytes for {total} events");
    // One reader's peak (the first reader's merge), the other's first pass (its index and
    // tables, built before the first reader is read), a bit per event and the conversion's
    // own tables and goroutines (within 1 MiB here): not the events.
    let bound = reader_peak + first_pass + total / 8 + (1 << 20);
    assert!(bounded_peak <= bound, "bounded {bounded_peak} bytes, bound {bound}");
    assert!(bounded_peak * 2 < whole_peak, "bounded {bounded_peak} bytes, whole {whole_peak}");
}
