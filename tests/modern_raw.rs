//! The modern raw layer (Go 1.22 – 1.27) on the recorded corpus and on hand-built damage: the
//! three reader shapes agree on every trace and every cut, the writer gives the bytes back, and
//! bad input yields the error Go's reader gives, at the offset of the record at fault.

mod modern_common;

use gotrace::format::modern::{BatchField, ErrorKind as Modern, EventType, RawEvent, ReadFault};
use gotrace::format::varint::Varint;
use gotrace::format::{Category, ErrorKind, Version};
use gotrace::parser::modern::RawEvents;
use gotrace::selfcheck::{self, read_modern, Feed};
use modern_common::{modern_corpus, name, read, RECORDED};

#[test]
fn corpus_headers_match_their_go() {
    for path in modern_corpus() {
        let data = read(&path);
        let dir = path.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        let want = RECORDED.iter().find(|(d, _)| *d == dir).unwrap().1;
        let events = RawEvents::new(&data).unwrap_or_else(|e| panic!("{}: {e}", name(&path)));
        assert_eq!(events.version().to_string(), want, "{}", name(&path));
    }
}

/// Every trace in pieces of odd sizes; byte by byte and whole, the smallest trace of each Go
/// release.
#[test]
fn every_shape_reads_the_corpus_alike() {
    let corpus = modern_corpus();
    let mut smallest = Vec::new();
    for (dir, _) in RECORDED {
        let mut in_dir: Vec<_> = corpus.iter().filter(|p| name(p).starts_with(&format!("{dir}/"))).collect();
        in_dir.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
        smallest.push(in_dir[0].clone());
    }
    for path in &corpus {
        let data = read(path);
        let want = fingerprint(&data, Feed::Slice);
        assert_eq!(want.3, None, "{}", name(path));
        assert!(want.1 > 100, "{}", name(path));
        assert_eq!(fingerprint(&data, Feed::Stream(&[3, 250, 1, 64])), want, "{} stream", name(path));
        assert_eq!(fingerprint(&data, Feed::Push(&[7, 300])), want, "{} push", name(path));
        if smallest.contains(path) {
            for chunks in [&[1usize][..], &[]] {
                assert_eq!(
                    fingerprint(&data, Feed::Stream(chunks)),
                    want,
                    "{} stream {chunks:?}",
                    name(path)
                );
                assert_eq!(fingerprint(&data, Feed::Push(chunks)), want, "{} push {chunks:?}", name(path));
            }
        }
    }
}

/// What a read gave, cheaply: version, record count, a hash of every record's offset and bytes,
/// the error.
fn fingerprint(data: &[u8], feed: Feed<'_>) -> (Option<Version>, usize, u64, Option<gotrace::format::Error>) {
    let (mut count, mut hash) = (0, 0xcbf2_9ce4_8422_2325u64);
    let (version, error) = selfcheck::visit_modern(data, feed, |ev| {
        count += 1;
        for &b in ev.offset().to_le_bytes().iter().chain(ev.bytes()) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    });
    (version, count, hash, error)
}

#[test]
fn rewrite_gives_every_corpus_trace_back() {
    for path in modern_corpus() {
        let data = read(&path);
        selfcheck::modern_raw_slice(&data);
        selfcheck::modern_roundtrip_raw(&data);
    }
}

/// What the runtime writes: batch sizes padded to 10 bytes, every other varint minimal; in
/// version 26 an `EndOfGeneration` byte after every generation, the last byte of the file.
#[test]
fn corpus_layout_is_the_runtimes() {
    for path in modern_corpus() {
        let data = read(&path);
        let events: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
        let version = events[0].version();
        let mut generations = 0;
        for ev in &events {
            let t = ev.event_type();
            let varints: Vec<Varint> = ev.varints().collect();
            for (i, v) in varints.iter().enumerate() {
                if t == EventType::EVENT_BATCH && i == 3 {
                    assert_eq!(v.width(), 10, "{} unpadded size in {ev:?}", name(&path));
                } else {
                    assert!(v.is_minimal(), "{} non-minimal varint in {ev:?}", name(&path));
                }
            }
            if let Some(len) = ev.data_len() {
                assert!(len.is_minimal() || t == EventType::EXPERIMENTAL_BATCH, "{}", name(&path));
            }
            generations += usize::from(t == EventType::END_OF_GENERATION);
        }
        assert_eq!(events[0].event_type(), EventType::EVENT_BATCH);
        if version == Version::Go1_26 {
            assert!(generations >= 1, "{}", name(&path));
            assert_eq!(events.last().unwrap().event_type(), EventType::END_OF_GENERATION, "{}", name(&path));
        } else {
            assert_eq!(generations, 0, "{}", name(&path));
        }
    }
}

/// Every cut of two small traces (one implicit-generation, one version 26): the shapes agree,
/// and a cut is either at a batch boundary (clean) or a truncation at the offset of the batch
/// it cuts.
#[test]
fn every_cut_is_a_truncation_or_a_boundary() {
    let smallest = |dir: &str| {
        let mut all: Vec<_> = modern_corpus().into_iter().filter(|p| name(p).starts_with(dir)).collect();
        all.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
        read(&all[0])
    };
    for data in [smallest("go1.23/"), smallest("go1.27/")] {
        let full = read_modern(&data, Feed::Slice);
        let boundaries: Vec<u64> = {
            let events: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
            let mut b = vec![16];
            let mut batch_end = 16;
            for ev in &events {
                let end = ev.offset() + ev.encoded_len() as u64;
                if ev.event_type() == EventType::EVENT_BATCH {
                    batch_end = end + ev.arg(3).unwrap();
                } else if end >= batch_end {
                    batch_end = end;
                }
                if end == batch_end {
                    b.push(end);
                }
            }
            b
        };
        for cut in 16..data.len() {
            let part = &data[..cut];
            let (mut count, mut end) = (0, 16);
            let (_, error) = selfcheck::visit_modern(part, Feed::Slice, |ev| {
                count += 1;
                end = ev.offset() + ev.encoded_len() as u64;
            });
            assert!(count <= full.records.len() && end <= cut as u64, "cut {cut}");
            if cut % 13 == 0 {
                let slice = read_modern(part, Feed::Slice);
                assert!(slice.records.iter().zip(&full.records).all(|(a, b)| a == b), "cut {cut}");
                assert_eq!(read_modern(part, Feed::Stream(&[64])), slice, "cut {cut}");
                assert_eq!(read_modern(part, Feed::Push(&[64])), slice, "cut {cut}");
            }
            match error {
                None => assert!(boundaries.contains(&(cut as u64)), "cut {cut} read cleanly"),
                Some(e) => {
                    assert_eq!(e.kind().category(), Category::Truncated, "cut {cut}: {e}");
                    assert!(!boundaries.contains(&(cut as u64)), "cut {cut}: {e}");
                    let batch = boundaries.iter().rev().find(|&&b| b < cut as u64).unwrap();
                    assert_eq!(e.offset(), *batch, "cut {cut}: {e}");
                }
            }
        }
    }
}

// ---- Hand-built traces ----

fn uv(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    gotrace::format::varint::write(&mut out, v);
    out
}

fn padded(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    Varint::padded(v, 10).encode(&mut out);
    out
}

/// A trace of `version`: the header, then `parts` concatenated.
fn trace(version: Version, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = version.header().to_vec();
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// An `EventBatch` header of m 1 at time 5 with a padded size, then `body`.
fn batch(body: &[u8]) -> Vec<u8> {
    let mut out = vec![1, 1, 1, 5];
    out.extend(padded(body.len() as u64));
    out.extend_from_slice(body);
    out
}

/// The error of the slice reader, checked against the two other shapes, with the records read
/// before it.
fn error_of(data: &[u8]) -> (usize, u64, ErrorKind) {
    let slice = read_modern(data, Feed::Slice);
    for chunks in [&[1usize][..], &[5, 3]] {
        assert_eq!(read_modern(data, Feed::Stream(chunks)), slice);
        assert_eq!(read_modern(data, Feed::Push(chunks)), slice);
    }
    let e = slice.error.expect("an error");
    (slice.records.len(), e.offset(), e.kind())
}

fn modern(kind: Modern) -> ErrorKind {
    ErrorKind::Modern(kind)
}

#[test]
fn batch_framing_errors() {
    let v = Version::Go1_23;
    // ProcStatus dt=1 p=0 pstatus=1.
    let proc_status: &[u8] = &[13, 1, 0, 1];
    let good = batch(proc_status);
    assert_eq!(read_modern(&trace(v, &[&good, &good]), Feed::Slice).records.len(), 4);

    // A byte that starts no batch.
    assert_eq!(error_of(&trace(v, &[&good, &[13]])), (2, 34, modern(Modern::ExpectedBatch { code: 13 })));
    // The end-of-generation byte is version 26's only.
    assert_eq!(error_of(&trace(v, &[&[52]])), (0, 16, modern(Modern::ExpectedBatch { code: 52 })));
    assert_eq!(read_modern(&trace(Version::Go1_26, &[&good, &[52]]), Feed::Slice).records.len(), 3);
    // Experimental batches are 23+.
    let exp = [&[49u8, 1, 1, 1, 5][..], &padded(2), &[7, 7]].concat();
    assert_eq!(read_modern(&trace(v, &[&exp]), Feed::Slice).error, None);
    assert_eq!(
        error_of(&trace(Version::Go1_22, &[&exp])),
        (0, 16, modern(Modern::ExpectedBatch { code: 49 }))
    );

    // A batch header cut in each field, or with a value beyond 64 bits.
    let cut = |n: usize| trace(v, &[&good[..n]]);
    let header = |field, fault| modern(Modern::BadBatchHeader { field, fault });
    assert_eq!(error_of(&cut(1)), (0, 16, header(BatchField::Gen, ReadFault::Eof)));
    assert_eq!(error_of(&cut(3)), (0, 16, header(BatchField::Time, ReadFault::Eof)));
    assert_eq!(error_of(&cut(5)), (0, 16, header(BatchField::Size, ReadFault::UnexpectedEof)));
    assert_eq!(error_of(&trace(v, &[&[49]])), (0, 16, header(BatchField::Experiment, ReadFault::Eof)));
    let overflow = [&[1u8, 1][..], &[0xff; 9], &[2], &[5, 0]].concat();
    assert_eq!(error_of(&trace(v, &[&overflow])), (0, 16, header(BatchField::M, ReadFault::Overflow)));
    let eleven = [&[1u8, 1, 1, 5][..], &[0x80; 11]].concat();
    assert_eq!(error_of(&trace(v, &[&eleven])), (0, 16, header(BatchField::Size, ReadFault::Overflow)));

    // Sizes beyond 64 KiB are refused before any byte of the body is read.
    for size in [65537, 1 << 40, u64::MAX] {
        let big = [&[1u8, 1, 1, 5][..], &uv(size), &[13, 1, 0, 1]].concat();
        assert_eq!(error_of(&trace(v, &[&good, &big])), (2, 34, modern(Modern::BatchTooLarge { size })));
    }
    let max = [&[1u8, 1, 1, 5][..], &uv(65536), &[11, 1]].concat();
    let (n, at, kind) = error_of(&trace(v, &[&max]));
    assert_eq!((n, at, kind), (2, 16, modern(Modern::BatchTruncated { read: 2, want: 65536 })));

    // A body cut short: the records before the cut, then the batch's truncation.
    let short = trace(v, &[&good, &good[..good.len() - 1]]);
    assert_eq!(error_of(&short), (3, 34, modern(Modern::BatchTruncated { read: 3, want: 4 })));
    let exp_short = trace(v, &[&exp[..exp.len() - 1]]);
    assert_eq!(error_of(&exp_short), (0, 16, modern(Modern::BatchTruncated { read: 1, want: 2 })));
}

#[test]
fn event_errors_inside_a_batch() {
    let v = Version::Go1_22;
    let at = |prefix: usize| 16 + 14 + prefix as u64;
    // Types the version does not have: 0, 45 (1.23+), 50 (25+), 128 (23+), 200.
    for code in [0u8, 45, 50, 128, 200] {
        let body = [13, 1, 0, 1, code, 1];
        let e = error_of(&trace(v, &[&batch(&body)]));
        assert_eq!(e, (2, at(4), modern(Modern::InvalidEventType { code })), "code {code}");
    }
    // A batch header inside a body.
    let e = error_of(&trace(Version::Go1_26, &[&batch(&[1, 1, 1, 5, 0])]));
    assert_eq!(e, (1, at(0), modern(Modern::BatchInsideBatch { code: 1 })));
    // An event that runs past the body: a value, a string, a stack's frames.
    let e = error_of(&trace(v, &[&batch(&[13, 1, 0]), &batch(&[11, 1])]));
    assert_eq!(e, (1, at(0), modern(Modern::EventOverrunsBatch { code: 13 })));
    let e = error_of(&trace(v, &[&batch(&[4, 5, 1, 3, b'a', b'b']), &batch(&[11, 1])]));
    assert_eq!(e, (2, at(1), modern(Modern::EventOverrunsBatch { code: 5 })));
    let e = error_of(&trace(v, &[&batch(&[2, 3, 1, 200, 1, 1, 1, 1]), &batch(&[11, 1])]));
    assert_eq!(e, (2, at(1), modern(Modern::EventOverrunsBatch { code: 3 })));
    // A value beyond 64 bits.
    let body = [&[11u8][..], &[0xff; 9], &[0x02]].concat();
    let e = error_of(&trace(v, &[&batch(&body)]));
    assert_eq!(e, (1, at(0), modern(Modern::VarintOverflow)));
    // Empty bodies and stacks without frames are fine at this layer.
    let ok = trace(v, &[&batch(&[]), &batch(&[2, 3, 1, 0]), &batch(&[4, 5, 1, 0])]);
    let out = read_modern(&ok, Feed::Slice);
    assert_eq!((out.records.len(), out.error), (7, None));
}

#[test]
fn legacy_headers_are_not_modern_and_back() {
    let legacy = common_header(Version::Go1_21);
    let e = RawEvents::new(&legacy).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedVersion { number: 1021 });
    let modern_trace = common_header(Version::Go1_23);
    let e = gotrace::parser::legacy::RawEvents::new(&modern_trace).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedVersion { number: 1023 });
    // Past 1.21 the wording is Go 1.27's (checked by hand: `go tool trace -d=parsed` on a
    // "go 1.24 trace" header, corpus/damaged-modern/version-1.24).
    assert_eq!(e.message(), "unknown or unsupported trace version go 1.23");
}

fn common_header(v: Version) -> Vec<u8> {
    v.header().to_vec()
}

/// Batch kinds on real traces: one clock batch per generation (`Frequency` in 22 and 23,
/// `Sync` in 26), stacks and strings in every generation, and in 26 one `EndOfGeneration`
/// per generation.
#[test]
fn batch_kinds_per_generation() {
    use gotrace::format::modern::BatchKind;
    use std::collections::{BTreeMap, BTreeSet};
    for path in modern_corpus() {
        let data = read(&path);
        let events: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
        let version = events[0].version();
        let mut kinds: BTreeMap<u64, Vec<BatchKind>> = BTreeMap::new();
        let mut ends = 0;
        for (i, ev) in events.iter().enumerate() {
            match ev.event_type() {
                EventType::EVENT_BATCH => {
                    let gen = ev.arg(0).unwrap();
                    let first = (ev.arg(3).unwrap() > 0).then(|| events[i + 1].code());
                    kinds.entry(gen).or_default().push(BatchKind::of_body(version, first));
                }
                EventType::END_OF_GENERATION => ends += 1,
                _ => {}
            }
        }
        let clock = if version < Version::Go1_25 { BatchKind::Frequency } else { BatchKind::Sync };
        for (gen, k) in &kinds {
            let set: BTreeSet<String> = k.iter().map(|k| format!("{k:?}")).collect();
            assert_eq!(k.iter().filter(|&&k| k == clock).count(), 1, "{} gen {gen}: {set:?}", name(&path));
            assert!(
                k.contains(&BatchKind::Stacks) && k.contains(&BatchKind::Strings),
                "{} gen {gen}",
                name(&path)
            );
            assert!(k.contains(&BatchKind::Events), "{} gen {gen}", name(&path));
        }
        if version == Version::Go1_26 {
            assert_eq!(ends, kinds.len(), "{}", name(&path));
        }
    }
}
