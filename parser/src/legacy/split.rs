//! The whole-trace parse on two threads ([`Options::threads`](crate::Options::threads)), in two
//! stages, each the same calls in the same order as on one thread, split between two states
//! that do not share anything; so the events, the tables and the verdict are the same.
//!
//! **Reading** ([`read_in_two`]): this thread reads the records and takes them through the
//! census; a second one takes them, in the same order, through the structure pass. The first
//! record that either rejects decides, the census before the structure pass on the same record,
//! the census's checks on the whole file last. Records go over in chunks: the bytes of one
//! read of the input (about [`READ_CHUNK`](super::raw::READ_CHUNK); [`CHUNK_RECORDS`] records
//! at most) with where each record starts in them, at most [`QUEUE`] chunks waiting; emptied
//! chunks come back for reuse, so the input is never held whole. The structure pass has more
//! to do than the census: most of the memory its lists fill is mapped here, before it gets
//! there ([`MAPPED_QUARTERS`]).
//!
//! **Ordering** ([`order_in_two`], Go 1.7+): this thread merges the lists; the second one
//! converts the times and validates the ordered events, a chunk of the output at a time, as
//! soon as the chunk is final: its last event is no later than the last event merged and than
//! the least real time of the syscall exits still to merge (the structure pass notes it per
//! chunk of each list), so no event to come can go before it. A merge error beats a validation
//! error, as on one thread, where validation starts once the merge is done.
//!
//! The merge needs the head of every list (a P's first batch may be the file's last record), so
//! it cannot start before the reading ends.

use std::io::Read;
use std::sync::mpsc;

use gotrace_format::legacy::RawEvent;
use gotrace_format::{Error, Version};

use super::census::Census;
use super::dense::{Chunked, Pool, CHUNK};
use super::event::Event;
use super::order::{merger_1007, Normalise, SortedOut};
use super::raw::{InBlock, RawReader, Shape};
use super::structure::{Parts, Structure};
use super::validate::{Tables, Validator};

/// Records per chunk handed over at most (a chunk is the records of one read of the input,
/// about [`READ_CHUNK`](super::raw::READ_CHUNK) bytes, unless they are more).
const CHUNK_RECORDS: usize = 16 * 1024;

/// Chunks waiting for the structure pass at most.
const QUEUE: usize = 4;

/// Records held between the two threads at most: the chunks queued, the one being filled and
/// the one being taken, and those on their way back.
pub const READ_AHEAD: usize = (QUEUE + 3) * CHUNK_RECORDS;

/// Reads every record of `raw` through `census` here and `structure` on a second thread;
/// returns the structure once both accepted every record and the census the whole file.
pub(crate) fn read_in_two<R: Read>(
    raw: RawReader<R>,
    census: Census,
    structure: Structure,
) -> Result<Structure, Error> {
    read_into(raw, census, structure, Structure::add_noting::<true>, Structure::stock)
}

/// Of the event chunks the structure pass fills, the share this thread maps for it
/// ([`Pool::mapped_chunk`]), in quarters. Without them the structure pass has more to do than
/// the census (the page faults of its lists cost about as much as the values it decodes);
/// with all of them, less (`validate` of a 44 MB trace: the structure pass waited 100 ms for
/// the census with four quarters, 20 ms with three, the census 90 ms for it with two).
const MAPPED_QUARTERS: usize = 3;

/// A chunk of records handed over: their bytes (the first at file offset `base`), where each
/// record starts in them, and event chunks mapped for the structure pass's lists.
struct Chunk {
    bytes: Vec<u8>,
    base: u64,
    records: Vec<(Shape, usize)>,
    mapped: Vec<Vec<Event>>,
}

impl Chunk {
    fn new() -> Self {
        Chunk { bytes: Vec::new(), base: 0, records: Vec::new(), mapped: Vec::new() }
    }
}

/// [`read_in_two`], each record given to `add` with `state` on the second thread, and the
/// mapped event chunks to `stock` before the records that came with them.
fn read_into<R: Read, S: Send, A, K>(
    mut raw: RawReader<R>,
    mut census: Census,
    state: S,
    add: A,
    stock: K,
) -> Result<S, Error>
where
    A: Fn(&mut S, &RawEvent<'_>) -> Result<(), Error> + Send,
    K: Fn(&mut S, &mut Vec<Vec<Event>>) + Send,
{
    let version = raw.version();
    std::thread::scope(|scope| {
        let (chunks, taken) = mpsc::sync_channel::<Chunk>(QUEUE);
        let (give_back, returned) = mpsc::channel::<Chunk>();
        let worker = scope.spawn(move || {
            let mut state = state;
            for mut chunk in taken {
                stock(&mut state, &mut chunk.mapped);
                for &(shape, start) in &chunk.records {
                    add(&mut state, &shape.event(&chunk.bytes[start..], chunk.base + start as u64, version))?;
                }
                chunk.records.clear();
                // Once this thread has stopped reading, the chunks go unused: no matter.
                let _ = give_back.send(chunk);
            }
            Ok::<S, Error>(state)
        });
        // The first error here, if any: the census's or the raw reader's.
        let mut failed = None;
        let mut chunk = Chunk::new();
        // Event chunks mapped so far, for the event records the census took (each becomes an
        // event of a list; the other records none: mapping for them would let a file of strings
        // map memory for nothing).
        let mut mapped = 0;
        let mut send = |chunk: &mut Chunk, raw: &mut RawReader<R>, events: u64| {
            let next = returned.try_recv().unwrap_or_else(|_| Chunk::new());
            let mut full = std::mem::replace(chunk, next);
            while mapped < events as usize * MAPPED_QUARTERS / 4 / CHUNK {
                full.mapped.push(Pool::mapped_chunk());
                mapped += 1;
            }
            (full.bytes, full.base) = raw.take_block(std::mem::take(&mut chunk.bytes));
            // An error when the structure pass stopped: its error comes first in the file.
            chunks.send(full).is_ok()
        };
        loop {
            let (shape, start) = match raw.next_in_block() {
                Ok(InBlock::Record(shape, start)) => (shape, start),
                Ok(InBlock::Full) => {
                    if send(&mut chunk, &mut raw, census.events()) {
                        continue;
                    }
                    break;
                }
                Ok(InBlock::End) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            crate::steps::add(1);
            let event =
                shape.event(&raw.buffer()[start..], raw.offset() - u64::from(shape.consumed), version);
            if let Err(e) = census.add(&event) {
                failed = Some(e);
                break;
            }
            chunk.records.push((shape, start));
            if chunk.records.len() == CHUNK_RECORDS && !send(&mut chunk, &mut raw, census.events()) {
                break;
            }
        }
        if !chunk.records.is_empty() {
            send(&mut chunk, &mut raw, census.events());
        }
        drop(chunks);
        if failed.is_none() {
            failed = census.finish(raw.offset()).err();
        }
        let state = match worker.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match failed {
            Some(e) => Err(e),
            None => Ok(state),
        }
    })
}

/// Lists up to which [`order_in_two`] takes a trace (it looks at every list once per chunk of
/// output); beyond, hostile input, one thread orders.
const MAX_LISTS: usize = 1024;

/// True when [`order_in_two`] takes the trace of `parts`: Go 1.7+, no futile wakeup to remove
/// (their removal needs the whole order), not too many lists.
pub(crate) fn can_order_in_two(parts: &Parts) -> bool {
    parts.version >= Version::Go1_7 && parts.futile == 0 && parts.lists.len() <= MAX_LISTS
}

/// Orders the events of `parts` (its lists are consumed), converts their times and validates
/// them: what `order` and `validate` do on one thread, the validation on a second one.
pub(crate) fn order_in_two(parts: &mut Parts) -> Result<Chunked<Event>, Error> {
    let lists = std::mem::take(&mut parts.lists);
    // Per list, per count of chunks left, the least real time of the syscall exits to come
    // (the sort of the CPU samples changes no list's chunk count, and they have no exits).
    let floors: Vec<Vec<i64>> = lists.iter().map(|l| l.floors()).collect();
    let mut merger = merger_1007(lists);
    let mut out = SortedOut::new(parts.events);
    let Parts { version, strings, messages, stacks, frequency, timer_goroutines, pool, .. } = parts;
    let tables = Tables { version: *version, strings, messages, stacks };
    let (frequency, timers) = (*frequency, &timer_goroutines[..]);
    std::thread::scope(|scope| {
        let (send, chunks) = mpsc::channel::<Vec<Event>>();
        let validating = scope.spawn(move || validate_chunks(&chunks, tables, frequency, timers));
        let merged = (|| {
            let mut seen = 0;
            while merger.next_with(pool, |ev, pool| out.push(ev, pool))?.is_some() {
                if out.chunks() == seen {
                    continue;
                }
                // A chunk was begun: the one before may be final.
                let bound = merger
                    .sources()
                    .zip(&floors)
                    .filter(|(cursor, _)| cursor.peek().is_some())
                    .map(|(cursor, floors)| floors[cursor.chunks_left()])
                    .fold(merger.last_ts(), i64::min);
                while let Some(chunk) = out.take_final(bound) {
                    // Sent to a thread that stopped (on an error, or a panic seen below): dropped.
                    let _ = send.send(chunk);
                }
                seen = out.chunks();
            }
            merger.finish()
        })();
        if merged.is_ok() {
            for chunk in out.finish().into_chunks() {
                let _ = send.send(chunk);
            }
        }
        drop(send);
        let validated = match validating.join() {
            Ok(validated) => validated,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        merged?;
        validated
    })
}

/// The second thread of [`order_in_two`]: takes the chunks of the final order as they come,
/// converts their times (from the first event's) and validates them.
fn validate_chunks(
    chunks: &mpsc::Receiver<Vec<Event>>,
    mut tables: Tables<'_>,
    frequency: u64,
    timers: &[u64],
) -> Result<Chunked<Event>, Error> {
    let mut events = Chunked::default();
    let mut validator = Validator::new(tables.version);
    let mut normalise = None;
    for chunk in chunks {
        let Some(first) = chunk.first() else { continue };
        let normalise = normalise.get_or_insert_with(|| Normalise::new(first.ts, frequency, timers));
        events.append_chunk(chunk);
        let c = events.chunk_count() - 1;
        // On an error the chunks still coming are dropped with the receiver.
        validator.chunk(events.chunks_mut(), c, &mut tables, normalise)?;
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use gotrace_format::legacy::EventType;
    use gotrace_format::ErrorKind;

    use super::super::raw::RawEvents;
    use super::*;

    fn trace() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/stress_1_19_good")).unwrap()
    }

    /// Reads `data` into a count with `add`; the mapped chunks must be empty ones of full
    /// capacity.
    fn read(
        data: &[u8],
        add: impl Fn(&mut u64, &RawEvent<'_>) -> Result<(), Error> + Send + Sync,
    ) -> Result<u64, Error> {
        let raw = RawReader::new(data).unwrap();
        let census = Census::new(raw.version());
        let stock = |_: &mut u64, mapped: &mut Vec<Vec<Event>>| {
            assert!(mapped.iter().all(|c| c.is_empty() && c.capacity() == CHUNK));
            mapped.clear();
        };
        read_into(raw, census, 0u64, add, stock)
    }

    /// The event chunks mapped for `data`'s records.
    fn mapped(data: &[u8]) -> usize {
        let got = std::sync::atomic::AtomicUsize::new(0);
        let raw = RawReader::new(data).unwrap();
        let census = Census::new(raw.version());
        let stock = |_: &mut u64, mapped: &mut Vec<Vec<Event>>| {
            got.fetch_add(mapped.len(), std::sync::atomic::Ordering::Relaxed);
            mapped.clear();
        };
        let _ = read_into(raw, census, 0u64, |_, _| Ok(()), stock);
        got.into_inner()
    }

    /// Chunks are mapped for the event records (three quarters of what they fill), none for
    /// the others: a file of 40,000 strings maps nothing.
    #[test]
    fn chunks_are_mapped_for_events_only() {
        let data = trace();
        let events =
            RawEvents::new(&data).unwrap().filter(|e| e.as_ref().unwrap().event_type().has_timestamp());
        let expected = events.count() * MAPPED_QUARTERS / 4 / CHUNK;
        assert!(expected > 0);
        assert_eq!(mapped(&data), expected);
        // A batch (P 0, tick 1), then strings 1, 2, ... of one byte each.
        let mut strings = Version::Go1_19.header().to_vec();
        strings.extend([0x41, 0, 1]);
        for id in 1..=40_000u32 {
            strings.push(EventType::STRING.code());
            gotrace_format::varint::write(&mut strings, u64::from(id));
            strings.extend([1, b'x']);
        }
        assert!(RawEvents::new(&strings).unwrap().take(40_001).all(|e| e.is_ok()));
        assert_eq!(mapped(&strings), 0);
    }

    #[test]
    fn every_record_goes_over_in_order() {
        let data = trace();
        let records = RawEvents::new(&data).unwrap().count() as u64;
        assert!(records > 3 * CHUNK_RECORDS as u64);
        let offsets: Vec<u64> = RawEvents::new(&data).unwrap().map(|e| e.unwrap().offset()).collect();
        let taken = read(&data, move |n, e| {
            assert_eq!(e.offset(), offsets[*n as usize]);
            *n += 1;
            Ok(())
        });
        assert_eq!(taken.unwrap(), records);
    }

    #[test]
    fn the_first_error_in_the_file_wins() {
        let data = trace();
        let offsets: Vec<u64> = RawEvents::new(&data).unwrap().map(|e| e.unwrap().offset()).collect();
        // The second thread's error, early: it wins over the census's, later (the file cut).
        let at = offsets[100];
        let cut = &data[..offsets[offsets.len() - 10] as usize + 1];
        let fail = move |_: &mut u64, e: &RawEvent<'_>| {
            if e.offset() == at {
                Err(Error::new(at, ErrorKind::TraceEmpty))
            } else {
                Ok(())
            }
        };
        assert_eq!(read(cut, fail).unwrap_err(), Error::new(at, ErrorKind::TraceEmpty));
        // The census's (this thread's) error at the cut, when the other thread finds none.
        let one = crate::legacy::Trace::from_slice(cut).unwrap_err();
        assert_eq!(read(cut, |_, _| Ok(())).unwrap_err(), one);
    }

    /// The parts of the trace `name` of the test data, read on one thread.
    fn parts(name: &str) -> Parts {
        let path = format!("{}/../corpus/go-testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        let data = std::fs::read(path).unwrap();
        let raw = RawEvents::new(&data).unwrap();
        let mut structure = Structure::new(raw.version());
        for event in raw {
            structure.add_noting::<true>(&event.unwrap()).unwrap();
        }
        structure.finish()
    }

    #[test]
    fn go_1_7_and_later_order_on_two_threads_as_on_one() {
        assert!(!can_order_in_two(&parts("stress_1_5_good")));
        for name in ["stress_1_7_good", "stress_1_11_good", "stress_1_19_good", "stress_1_21_good"] {
            let mut two = parts(name);
            assert!(can_order_in_two(&two), "{name}");
            let two = order_in_two(&mut two).unwrap().into_vec();
            let mut one = parts(name);
            let (mut events, normalise) = super::super::order::order(&mut one).unwrap();
            let Parts { version, strings, messages, stacks, .. } = &mut one;
            let tables = Tables { version: *version, strings, messages, stacks };
            super::super::validate::validate(&mut events, tables, &normalise).unwrap();
            assert!(two.len() > CHUNK, "{name}: more than one chunk of output");
            assert_eq!(two, events.into_vec(), "{name}");
        }
    }

    #[test]
    fn a_panic_of_the_second_thread_comes_back() {
        let data = trace();
        let result = std::panic::catch_unwind(|| {
            read(&data, |n, _| {
                *n += 1;
                assert!(*n < 5000, "the test's panic");
                Ok(())
            })
        });
        assert!(result.is_err());
    }
}
