//! Cut traces, absurd lengths and bad varints: the readers never panic, report the record at
//! fault, follow Go's verdicts, and never allocate in proportion to a length they were told.

mod common;

use common::{alloc_track, assert_reads_as, census, uv, visit, Shape, TraceBuilder, SHAPES};
use gotrace::format::legacy::{EventType, RawEvent};
use gotrace::format::{Category, Error, ErrorKind, Version};
use gotrace::parser::legacy::{RawEvents, READ_CHUNK};
use gotrace::parser::Options;

#[global_allocator]
static ALLOC: alloc_track::Tracking = alloc_track::Tracking;

const MIB: usize = 1 << 20;

/// Cuts `data` at every length in `cuts` and checks what every shape in `shapes` reads.
fn check_every_cut(label: &str, data: &[u8], cuts: std::ops::Range<usize>, shapes: &[Shape]) {
    let full: Vec<RawEvent<'_>> = RawEvents::new(data).unwrap().map(Result::unwrap).collect();
    let strict = Options::default().strict(true);
    let mut user_log_cuts = 0;
    let mut boundary_cuts = 0;
    for cut in cuts {
        let prefix = &data[..cut];
        let label = format!("{label} cut at {cut}");
        if cut < 16 {
            // Spec 1.1: a short file is "failed to read header".
            let want = Error::new(cut as u64, ErrorKind::HeaderTruncated { read: cut as u8 });
            for &shape in shapes {
                assert_reads_as(shape, prefix, Options::default(), &[], Some(want), &label);
            }
            assert_reads_as(Shape::Slice, prefix, strict, &[], Some(want), &label);
            continue;
        }
        // Records wholly before the cut, and the record the cut falls in, if any.
        let k = full.iter().take_while(|e| e.offset() + e.encoded_len() as u64 <= cut as u64).count();
        let inside = full.get(k).filter(|e| e.offset() < cut as u64);
        let before = &full[..k];
        match inside {
            None => {
                // At a record boundary: a clean read of exactly the records before the cut.
                boundary_cuts += 1;
                for &shape in shapes {
                    assert_reads_as(shape, prefix, Options::default(), before, None, &label);
                }
                assert_reads_as(Shape::Slice, prefix, strict, before, None, &label);
                check_census_verdict(&label, prefix, before);
            }
            Some(r) if r.event_type() == EventType::USER_LOG && cut - r.offset() as usize >= head_len(r) => {
                // Inside a UserLog message: Go ignores the damage (spec 2.6); the event comes
                // back with what there is of its message. Strict mode reports it.
                user_log_cuts += 1;
                let got: Vec<RawEvent<'_>> = RawEvents::new(prefix).unwrap().map(Result::unwrap).collect();
                assert_eq!(got.len(), k + 1, "{label}: records");
                assert_eq!(&got[..k], before, "{label}");
                let e = got[k];
                assert_eq!(
                    (e.offset(), e.type_byte(), e.length(), e.value_bytes()),
                    (r.offset(), r.type_byte(), r.length(), r.value_bytes()),
                    "{label}: the cut UserLog"
                );
                assert_eq!(e.offset() + e.encoded_len() as u64, cut as u64, "{label}: it ends at the cut");
                if let Some(t) = e.text() {
                    assert!(!t.is_complete(), "{label}: a cut message is not complete");
                    assert!(r.text().unwrap().bytes().starts_with(t.bytes()), "{label}: message bytes");
                } else {
                    assert_eq!(
                        cut - r.offset() as usize,
                        head_len(r),
                        "{label}: no text only when cut before it"
                    );
                }
                for &shape in shapes {
                    assert_reads_as(shape, prefix, Options::default(), &got, None, &label);
                }
                let want = Error::new(r.offset(), ErrorKind::MessageDamaged);
                for shape in [Shape::Slice, Shape::PushBy(7), Shape::StreamBy(7)] {
                    assert_reads_as(shape, prefix, strict, before, Some(want), &format!("{label} strict"));
                }
                check_census_verdict(&label, prefix, &got);
            }
            Some(r) => {
                // Strictly inside a record: truncated, reported at the record's start.
                let got = RawEvents::new(prefix).unwrap().find_map(Result::err).expect("an error");
                assert_eq!(got.kind().category(), Category::Truncated, "{label}: {got}");
                assert_eq!(got.offset(), r.offset(), "{label}: {got}");
                assert_eq!(got.kind(), ErrorKind::Truncated { event: Some(r.event_type()) }, "{label}");
                for &shape in shapes {
                    assert_reads_as(shape, prefix, Options::default(), before, Some(got), &label);
                }
                assert_reads_as(Shape::Slice, prefix, strict, before, Some(got), &label);
            }
        }
    }
    assert!(boundary_cuts > 0, "{label}: no boundary among the cuts");
    let has_user_log = full.iter().any(|e| e.event_type() == EventType::USER_LOG);
    assert_eq!(user_log_cuts > 0, has_user_log, "{label}: UserLog cuts {user_log_cuts}");
}

/// Bytes of a record before its `UserLog` message.
fn head_len(e: &RawEvent<'_>) -> usize {
    1 + e.length().map_or(0, |l| usize::from(l.width())) + e.value_bytes().len()
}

/// A prefix cut at a record boundary reads cleanly; Go's verdict on it comes from the census
/// (spec 6): `trace is empty` without events, else `no EvFrequency event` without Frequency.
fn check_census_verdict(label: &str, prefix: &[u8], events: &[RawEvent<'_>]) {
    let len = prefix.len() as u64;
    let has_event = events.iter().any(|e| e.event_type().has_timestamp());
    let has_frequency = events.iter().any(|e| e.event_type() == EventType::FREQUENCY);
    let got = census(prefix, Options::default()).map(|_| ());
    let want = if !has_event {
        Err(Error::new(len, ErrorKind::TraceEmpty))
    } else if !has_frequency {
        Err(Error::new(len, ErrorKind::NoFrequency))
    } else {
        Ok(())
    };
    assert_eq!(got, want, "{label}: census verdict");
}

#[test]
fn every_cut_of_user_task_region_1_19() {
    let data = common::testdata("user_task_region_1_19_good");
    assert_eq!(data.len(), 1922);
    check_every_cut("user_task_region_1_19_good", &data, 0..data.len() + 1, &SHAPES);
}

#[test]
fn every_cut_of_user_task_region_1_21() {
    let data = common::testdata("user_task_region_1_21_good");
    check_every_cut("user_task_region_1_21_good", &data, 0..data.len() + 1, &SHAPES);
}

#[test]
fn every_cut_of_user_task_region_1_11() {
    let data = common::testdata("user_task_region_1_11_good");
    check_every_cut("user_task_region_1_11_good", &data, 0..data.len() + 1, &SHAPES);
}

#[test]
fn every_cut_of_the_small_http_traces() {
    for name in ["http_1_7_good", "http_1_9_good", "http_1_10_good", "http_1_11_good"] {
        let data = common::testdata(name);
        check_every_cut(name, &data, 0..data.len() + 1, &SHAPES);
    }
}

#[test]
fn every_cut_of_the_first_2k_of_http_1_5() {
    // Go 1.5: Frequency is the last record, so every prefix lacks it.
    let data = common::testdata("http_1_5_good");
    check_every_cut("http_1_5_good", &data, 0..2048, &SHAPES);
}

#[test]
fn cut_through_the_footer_of_http_1_19() {
    // The tail of http_1_19_good (spec 2.7): the p=-1 batch at 8206, the loose Frequency at
    // 8230, then the stack-dump batch: cuts before 8235 lack the frequency, cuts after have it.
    let data = common::testdata("http_1_19_good");
    check_every_cut("http_1_19_good", &data, 8190..8340, &SHAPES);
    check_census_verdict(
        "http_1_19_good cut at 8235",
        &data[..8235],
        &RawEvents::new(&data[..8235]).unwrap().map(Result::unwrap).collect::<Vec<_>>(),
    );
    assert!(census(&data[..8235], Options::default()).is_ok());
    assert_eq!(census(&data[..8230], Options::default()).unwrap_err().kind(), ErrorKind::NoFrequency);
}

/// Reads `data` in every shape, default and strict options, measuring the largest single
/// allocation; returns the error (the same in every shape) and that allocation.
fn read_measured(data: &[u8], options: Options) -> (Option<Error>, usize) {
    let mut first: Option<Option<Error>> = None;
    let mut largest = 0;
    for shape in [Shape::Slice, Shape::Stream, Shape::StreamBy(7), Shape::PushBy(4096), Shape::PushBy(1)] {
        let ((_, error), size) = alloc_track::measure(|| visit(shape, data, options, |_| {}));
        largest = largest.max(size);
        match &first {
            None => first = Some(error),
            Some(e) => assert_eq!(*e, error, "{shape:?}"),
        }
    }
    (first.unwrap(), largest)
}

/// A trace whose second record is a `Stack` with length prefix `len` and a few bytes after.
fn huge_stack_length(len: &[u8]) -> Vec<u8> {
    let mut b = TraceBuilder::new(Version::Go1_19);
    b.raw(&[0xc3]);
    b.raw(len);
    b.raw(&[1, 1, 2, 3, 4, 5]);
    b.build()
}

#[test]
fn huge_length_prefixes_are_errors_without_allocation() {
    let u64_max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    for (len, bytes) in [(1u64 << 40, uv(1 << 40)), (1 << 63, uv(1 << 63)), (u64::MAX, u64_max.to_vec())] {
        let data = huge_stack_length(&bytes);
        for options in [Options::default(), Options::default().strict(true)] {
            let (error, largest) = read_measured(&data, options);
            let error = error.expect("an error");
            assert_eq!(error.offset(), 16, "length {len}");
            // 40 020 = (2 + 4 * 1000) values of at most 10 bytes: no valid stack is longer.
            assert_eq!(
                error.kind(),
                ErrorKind::LengthTooLarge { event: EventType::STACK, len, max: 40_020 },
                "length {len}"
            );
            assert!(largest < MIB, "length {len}: an allocation of {largest} bytes");
        }
    }
    // An ordinary length-prefixed event (GoCreate: at most 4 values of 10 bytes).
    let mut b = common::minimal_1_19();
    let at = b.raw(&[0xcd]);
    b.raw(&uv(1 << 40));
    b.raw(&[1, 2, 3, 4]);
    let (error, largest) = read_measured(&b.build(), Options::default());
    assert_eq!(
        error,
        Some(Error::new(
            at,
            ErrorKind::LengthTooLarge { event: EventType::GO_CREATE, len: 1 << 40, max: 40 }
        ))
    );
    assert!(largest < MIB, "an allocation of {largest} bytes");
}

#[test]
fn huge_string_and_message_lengths_allocate_nothing() {
    // String length 2^40: Go's "too large length" (spec 2.4), found before any byte is read.
    let mut b = common::minimal_1_19();
    let at = b.raw(&[0x25, 0x01]);
    b.raw(&uv(1 << 40));
    b.raw(b"abc");
    let (error, largest) = read_measured(&b.build(), Options::default());
    assert_eq!(error, Some(Error::new(at, ErrorKind::StringTooLong { len: 1 << 40 })));
    assert!(largest < MIB, "an allocation of {largest} bytes");

    // UserLog message length 2^40: Go ignores it and reads on right after the length
    // (spec 2.6); strict mode reports it. Here nothing follows, so the default read ends.
    let mut b = TraceBuilder::new(Version::Go1_19);
    b.batch(0, 1000);
    let at = b.event(EventType::USER_LOG, &[1, 0, 0, 0]);
    b.raw(&uv(1 << 40));
    let data = b.build();
    let (error, largest) = read_measured(&data, Options::default());
    assert_eq!(error, None);
    assert!(largest < MIB, "an allocation of {largest} bytes");
    let ev = RawEvents::new(&data).unwrap().nth(1).unwrap().unwrap();
    assert_eq!(ev.offset(), at);
    let text = ev.text().expect("the damaged message is kept");
    assert!(!text.is_complete());
    assert_eq!(text.len_varint().value(), 1 << 40);
    assert!(text.bytes().is_empty());
    let (error, largest) = read_measured(&data, Options::default().strict(true));
    assert_eq!(error, Some(Error::new(at, ErrorKind::MessageDamaged)));
    assert!(largest < MIB, "an allocation of {largest} bytes");
}

#[test]
fn largest_valid_string_is_buffered_within_the_documented_bound() {
    // A 1 000 000-byte string (Go's limit) cut short: the streaming reader must buffer the
    // record to see that it is cut, but no more than the record plus one read chunk
    // (RawReader's memory contract).
    let mut b = common::minimal_1_19();
    let at = b.raw(&[0x25, 0x01]);
    b.raw(&uv(1_000_000));
    let record = 1 + 1 + 3 + 1_000_000;
    b.raw(&vec![b'x'; 999_000]);
    let data = b.build();
    let whole = alloc_track::measure(|| stream_until_error(&data[..]));
    let trickled =
        alloc_track::measure(|| stream_until_error(gotrace::selfcheck::Trickle::new(&data[..], &[4096])));
    for (what, ((error, peak), largest)) in [("whole", whole), ("4096 per read", trickled)] {
        assert_eq!(error, Error::new(at, ErrorKind::Truncated { event: Some(EventType::STRING) }), "{what}");
        assert!(peak <= record + READ_CHUNK, "{what}: peak buffer {peak}");
        // The buffer's length keeps the bound; its allocation must too (a Vec grown by
        // doubling would hold up to twice the record).
        assert!(
            largest <= record + READ_CHUNK,
            "{what}: RawReader made an allocation of {largest} bytes for a {record}-byte record \
             (contract: at most record + READ_CHUNK = {})",
            record + READ_CHUNK
        );
    }
}

/// Streams `reader` to its first error; that error and the peak buffer length.
fn stream_until_error<R: std::io::Read>(reader: R) -> (Error, usize) {
    let mut r = gotrace::parser::legacy::RawReader::new(reader).expect("header");
    loop {
        match r.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("a cut record must be an error"),
            Err(e) => return (e, r.peak_buffer_len()),
        }
    }
}

#[test]
fn eleven_byte_varint_is_a_bad_value_at_its_record() {
    // Spec 2.1: Go reads at most 10 bytes; a 10th byte with 0x80 set is "bad value".
    let mut b = common::minimal_1_19();
    let at = b.raw(&[0x45]); // ProcStart [dt, thread]
    b.raw(&[0x80; 10]);
    b.raw(&[0x01, 0x01]);
    let data = b.build();
    for options in [Options::default(), Options::default().strict(true)] {
        let before: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().take(3).map(Result::unwrap).collect();
        for shape in SHAPES {
            assert_reads_as(
                shape,
                &data,
                options,
                &before,
                Some(Error::new(at, ErrorKind::BadVarint)),
                "11-byte varint",
            );
        }
    }
}

#[test]
fn bits_beyond_64_are_dropped_by_default_and_refused_when_strict() {
    // Spec 2.1: in the 10th byte only bit 0 counts; Go drops the rest silently.
    let mut b = common::minimal_1_19();
    let at = b.raw(&[0x45]); // ProcStart [dt, thread]
    b.raw(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    b.raw(&[0x07]);
    let data = b.build();
    let events: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
    assert_eq!(events.len(), 4);
    assert_eq!(events[3].offset(), at);
    assert_eq!(events[3].values().collect::<Vec<_>>(), [u64::MAX, 7]);
    for shape in SHAPES {
        assert_reads_as(shape, &data, Options::default(), &events, None, "overflowing varint");
        assert_reads_as(
            shape,
            &data,
            Options::default().strict(true),
            &events[..3],
            Some(Error::new(at, ErrorKind::VarintOverflow)),
            "overflowing varint, strict",
        );
    }
    // The dropped bits are kept for a byte-exact rewrite.
    let mut w = gotrace::writer::RawWriter::new(Vec::new(), Version::Go1_19).unwrap();
    for e in &events {
        w.write(e).unwrap();
    }
    assert_eq!(w.finish().unwrap(), data);
}

#[test]
fn damaged_user_log_messages_are_kept_and_round_trip() {
    for (name, at, data) in common::damaged_user_logs() {
        let reference: Vec<RawEvent<'_>> = RawEvents::new(&data).unwrap().map(Result::unwrap).collect();
        for shape in SHAPES {
            assert_reads_as(shape, &data, Options::default(), &reference, None, name);
        }
        let log = reference.iter().find(|e| e.offset() == at).expect("the UserLog");
        assert_eq!(log.event_type(), EventType::USER_LOG, "{name}");
        assert!(!log.text().is_some_and(|t| t.is_complete()), "{name}: the message is damaged");
        // Where Go reads on, so do we: a ProcStop right after the damage.
        if let Some(next) = reference.iter().find(|e| e.offset() > at) {
            assert_eq!(next.event_type(), EventType::PROC_STOP, "{name}");
            assert_eq!(next.offset(), at + log.encoded_len() as u64, "{name}");
        }
        // Byte-exact rewrite of the damage.
        let mut w = gotrace::writer::RawWriter::new(Vec::new(), Version::Go1_19).unwrap();
        for e in &reference {
            w.write(e).unwrap();
        }
        assert!(w.finish().unwrap() == data, "{name}: rewrite differs");
        // Strict mode reports it at the UserLog.
        let before: Vec<RawEvent<'_>> = reference.iter().take_while(|e| e.offset() < at).copied().collect();
        for shape in SHAPES {
            assert_reads_as(
                shape,
                &data,
                Options::default().strict(true),
                &before,
                Some(Error::new(at, ErrorKind::MessageDamaged)),
                name,
            );
        }
    }
    // Go's offsets for the record after the damage (checked with Go 1.19's `go tool trace -d`):
    // 37 after a 3-byte length over 1 000 000.
    let (_, at, data) = &common::damaged_user_logs()[1];
    assert_eq!(*at, 28);
    let next = RawEvents::new(data).unwrap().map(Result::unwrap).find(|e| e.offset() > *at).unwrap();
    assert_eq!(next.offset(), 37);
}
