//! Raw decode throughput of the reader shapes on corpus traces, legacy and modern.
//!
//! `cargo bench --bench raw`; set `GOTRACE_BENCH_FILE` (a legacy trace) or
//! `GOTRACE_BENCH_MODERN_FILE` (a Go 1.22+ trace) to time a large trace of your own
//! (scripts/make-big-trace.sh makes one).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gotrace::parser::legacy::{RawEvents, RawReader};
use gotrace::parser::modern;

fn input() -> (String, Vec<u8>) {
    let path = std::env::var("GOTRACE_BENCH_FILE").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/go-testdata/http_1_19_good").to_string()
    });
    let bytes = std::fs::read(&path).expect("read the bench trace");
    (path, bytes)
}

fn raw(c: &mut Criterion) {
    let (path, bytes) = input();
    let mut g = c.benchmark_group(format!("raw {}", path.rsplit('/').next().unwrap_or(&path)));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("slice", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for ev in RawEvents::new(black_box(&bytes)).unwrap() {
                n += u64::from(ev.unwrap().value_count());
            }
            n
        })
    });
    g.bench_function("stream", |b| {
        b.iter(|| {
            let mut r = RawReader::new(black_box(&bytes[..])).unwrap();
            let mut n = 0u64;
            while let Some(ev) = r.next_event().unwrap() {
                n += u64::from(ev.value_count());
            }
            n
        })
    });
    g.finish();
}

fn raw_modern(c: &mut Criterion) {
    let path = std::env::var("GOTRACE_BENCH_MODERN_FILE").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/recorded/go1.23/gcpressure.trace").to_string()
    });
    let bytes = std::fs::read(&path).expect("read the bench trace");
    let mut g = c.benchmark_group(format!("modern raw {}", path.rsplit('/').next().unwrap_or(&path)));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("slice", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for ev in modern::RawEvents::new(black_box(&bytes)).unwrap() {
                n += u64::from(ev.unwrap().arg_count());
            }
            n
        })
    });
    g.bench_function("stream", |b| {
        b.iter(|| {
            let mut r = modern::RawReader::new(black_box(&bytes[..])).unwrap();
            let mut n = 0u64;
            while let Some(ev) = r.next_event().unwrap() {
                n += u64::from(ev.arg_count());
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, raw, raw_modern);
criterion_main!(benches);
