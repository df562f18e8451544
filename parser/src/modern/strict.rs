//! Strict mode on modern traces: what no Go 1.22 – 1.27 runtime writes, though Go 1.27's
//! reader reads it, checked over the raw records in one pass of its own (the reader's hot
//! path does none of it).
//!
//! The runtime's trace writer (`runtime/tracebuf.go` and its 1.22 – 1.26 forms):
//! - writes every value as a minimal varint, but the size of each batch (`EventBatch`'s `size`,
//!   `ExperimentalBatch`'s data length), which it reserves before the body and fills in after
//!   it, always in 10 bytes;
//! - stamps every timed event at least one tick after the one before it in its batch (and the
//!   first after the batch's time), so no timestamp delta is 0;
//! - numbers generations one by one (`traceNextGen`), each starting where the last ended;
//! - writes the frequency of its clock, nanoseconds divided by 64 (or the CPU's ticks), never
//!   below a million ticks per second;
//! - stamps each batch with that clock (`traceClockNow`: the monotonic clock or the CPU's
//!   counter, both past 0 long before a program runs), never 0;
//! - writes each CPU profile sample once: one signal per thread and sampling period, so no two
//!   samples of a generation share their thread and tick.

use std::collections::HashSet;

use gotrace_format::modern::{self, EventType, RawEvent};
use gotrace_format::varint::MAX_LEN;
use gotrace_format::{Error, ErrorKind};

/// The slowest clock a runtime writes: a tick per microsecond.
const MIN_FREQUENCY: u64 = 1_000_000;

/// The strict checks, fed the raw records of a trace in file order.
///
/// ```
/// use gotrace_parser::modern::{RawEvents, Strict};
/// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/recorded/go1.23/timers.trace"))?;
/// let mut strict = Strict::new();
/// for record in RawEvents::new(&data)? {
///     strict.check(&record?)?;
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Strict {
    /// The generation of the last batch.
    gen: Option<u64>,
    /// (thread, time) of the generation's CPU samples.
    samples: HashSet<(u64, u64)>,
}

impl Strict {
    /// Checks for a trace's first record.
    #[must_use]
    pub fn new() -> Strict {
        Strict::default()
    }

    /// Checks one record (the next in file order): an error at its offset if no runtime writes
    /// it.
    pub fn check(&mut self, record: &RawEvent<'_>) -> Result<(), Error> {
        let fail = |kind| Err(Error::new(record.offset(), kind));
        let t = record.event_type();
        let batch = t == EventType::EVENT_BATCH || t == EventType::EXPERIMENTAL_BATCH;
        for (i, v) in record.varints().enumerate() {
            if t == EventType::EVENT_BATCH && i == 3 {
                if usize::from(v.width()) != MAX_LEN {
                    let kind = modern::ErrorKind::UnpaddedBatchSize { size: v.value(), width: v.width() };
                    return fail(ErrorKind::Modern(kind));
                }
            } else if !v.is_minimal() {
                return fail(ErrorKind::NonMinimalVarint);
            }
        }
        if let Some(len) = record.data_len() {
            if t == EventType::EXPERIMENTAL_BATCH {
                if usize::from(len.width()) != MAX_LEN {
                    let kind = modern::ErrorKind::UnpaddedBatchSize { size: len.value(), width: len.width() };
                    return fail(ErrorKind::Modern(kind));
                }
            } else if !len.is_minimal() {
                return fail(ErrorKind::NonMinimalVarint);
            }
        }
        if batch {
            let gen = record.arg(0).unwrap_or(0);
            if let Some(prev) = self.gen.filter(|&prev| gen != prev && gen != prev + 1) {
                return fail(ErrorKind::Modern(modern::ErrorKind::GenerationGap { prev, gen }));
            }
            if self.gen != Some(gen) {
                self.samples.clear();
            }
            self.gen = Some(gen);
            if record.arg(2) == Some(0) {
                return fail(ErrorKind::Modern(modern::ErrorKind::BatchAtTickZero));
            }
        } else if t == EventType::CPU_SAMPLE {
            let (time, m) = (record.arg(0).unwrap_or(0), record.arg(1).unwrap_or(0));
            if !self.samples.insert((m, time)) {
                return fail(ErrorKind::Modern(modern::ErrorKind::RepeatedCpuSample { m, time }));
            }
        } else if t == EventType::FREQUENCY {
            let freq = record.arg(0).unwrap_or(0);
            if freq < MIN_FREQUENCY {
                return fail(ErrorKind::FrequencyTooLow { freq });
            }
        } else if t.is_timed() && record.arg(0) == Some(0) {
            return fail(ErrorKind::ZeroTimeDelta);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gotrace_format::Version;

    /// A Go 1.23 trace: the header, then `body`.
    fn trace(body: &[u8]) -> Vec<u8> {
        let mut t = Version::Go1_23.header().to_vec();
        t.extend_from_slice(body);
        t
    }

    /// An `EventBatch` header of generation `gen`, thread 0, time `time` (its varint bytes),
    /// its size `size` padded to 10 bytes as the runtime writes it.
    fn batch(gen: u8, time: &[u8], size: u8) -> Vec<u8> {
        let mut b = vec![EventType::EVENT_BATCH.code(), gen, 0];
        b.extend_from_slice(time);
        b.extend_from_slice(&[0x80 | size, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
        b
    }

    /// The messages of the strict errors over every record of `trace`, fed to `strict`.
    fn errors(strict: &mut Strict, trace: &[u8]) -> Vec<String> {
        crate::modern::RawEvents::new(trace)
            .unwrap()
            .filter_map(|r| strict.check(&r.unwrap()).err().map(|e| e.message()))
            .collect()
    }

    #[test]
    fn batch_sizes_padded_and_everything_else_minimal() {
        // EventBatch gen=1 m=0 time=5, size 3 padded to 10 bytes; then HeapAlloc dt=1 bytes=7.
        let mut body = batch(1, &[5], 3);
        body.extend_from_slice(&[EventType::HEAP_ALLOC.code(), 1, 7]);
        assert!(errors(&mut Strict::new(), &trace(&body)).is_empty());
        // The same batch with a minimal size, or a padded time.
        let t = trace(&[EventType::EVENT_BATCH.code(), 1, 0, 5, 3, EventType::HEAP_ALLOC.code(), 1, 7]);
        assert_eq!(errors(&mut Strict::new(), &t), ["batch size 3 encoded in 1 bytes, not the runtime's 10"]);
        let mut body = batch(1, &[0x85, 0x00], 3);
        body.extend_from_slice(&[EventType::HEAP_ALLOC.code(), 1, 7]);
        assert_eq!(errors(&mut Strict::new(), &trace(&body)), ["value not minimally encoded"]);
    }

    #[test]
    fn zero_deltas_slow_clocks_and_generation_gaps() {
        let mut body = batch(1, &[5], 3);
        body.extend_from_slice(&[EventType::HEAP_ALLOC.code(), 0, 7]);
        assert_eq!(errors(&mut Strict::new(), &trace(&body)), ["timestamp delta 0"]);
        // A batch at tick 2^64 - 1 and a frequency of 1 000 000 pass; 999 999 does not.
        let mut body = batch(1, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 4);
        body.extend_from_slice(&[EventType::FREQUENCY.code(), 0xc0, 0x84, 0x3d]);
        assert!(errors(&mut Strict::new(), &trace(&body)).is_empty());
        let mut body = batch(1, &[5], 4);
        body.extend_from_slice(&[EventType::FREQUENCY.code(), 0xbf, 0x84, 0x3d]);
        assert_eq!(
            errors(&mut Strict::new(), &trace(&body)),
            ["frequency 999999 below 1000000 ticks per second"]
        );
        // Empty batches of generations 1, 1, 2 pass; then one of generation 4 does not.
        let mut strict = Strict::new();
        for gen in [1, 1, 2] {
            assert!(errors(&mut strict, &trace(&batch(gen, &[5], 0))).is_empty());
        }
        assert_eq!(errors(&mut strict, &trace(&batch(4, &[5], 0))), ["generation 4 follows generation 2"]);
    }
}
