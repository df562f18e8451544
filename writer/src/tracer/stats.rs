//! Figures of a tracer, legacy or modern.

use std::marker::PhantomData;

use gotrace_format::{legacy, modern};

use super::pool::Pool;

/// The event types of a format, by which [`Stats`] counts: the legacy format's
/// ([`gotrace_format::legacy::EventType`]) and the modern one's
/// ([`gotrace_format::modern::EventType`]).
pub trait EventKind: Copy + private::Sealed {
    /// The type's code on the wire.
    fn code(self) -> u8;
}

impl EventKind for legacy::EventType {
    fn code(self) -> u8 {
        legacy::EventType::code(self)
    }
}

impl EventKind for modern::EventType {
    fn code(self) -> u8 {
        modern::EventType::code(self)
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for gotrace_format::legacy::EventType {}
    impl Sealed for gotrace_format::modern::EventType {}
}

/// Figures of a tracer: events written by type (legacy: by the P handles returned so far, the
/// no-P buffer and the CPU samples; modern: by the thread handles returned so far), CPU
/// samples, generations, buffers, bytes written. `T` is the format's event type.
///
/// ```
/// # use gotrace_writer::{Tracer, TracerOptions};
/// # use gotrace_format::legacy::EventType;
/// let tracer = Tracer::new(Vec::new(), TracerOptions::default())?;
/// tracer.proc(0)?.heap_alloc(10, 4096);
/// let stats = tracer.stats();
/// assert_eq!(stats.events(), 1);
/// assert_eq!(stats.count(EventType::HEAP_ALLOC), 1);
/// assert_eq!((stats.cpu_samples, stats.generations), (0, 0));
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Stats<T: EventKind = legacy::EventType> {
    counts: [u64; 256],
    /// CPU samples written.
    pub cpu_samples: u64,
    /// Generations closed so far (legacy traces have none).
    pub generations: u64,
    /// Buffers in existence now.
    pub buffers: usize,
    /// Most buffers in existence at once.
    pub peak_buffers: usize,
    /// The cap on buffers.
    pub buffer_limit: usize,
    /// Times a producer waited for the consumer to free a buffer.
    pub buffer_waits: u64,
    /// Bytes written to the sink so far.
    pub bytes_written: u64,
    kind: PhantomData<T>,
}

impl<T: EventKind> Stats<T> {
    /// The figures of `pool` with `bytes_written`, no events yet.
    pub(crate) fn new(pool: &Pool, bytes_written: u64) -> Stats<T> {
        let buffers = pool.stats();
        Stats {
            counts: [0; 256],
            cpu_samples: 0,
            generations: 0,
            buffers: buffers.allocated,
            peak_buffers: buffers.peak,
            buffer_limit: pool.max(),
            buffer_waits: buffers.waits,
            bytes_written,
            kind: PhantomData,
        }
    }

    /// Adds event counts, by type code.
    pub(crate) fn add(&mut self, counts: &[u64]) {
        self.counts.iter_mut().zip(counts).for_each(|(t, n)| *t += n);
    }

    /// Events written (timestamped records: no batch, string, stack or frequency records;
    /// legacy: the `CPUSample` records too).
    #[must_use]
    pub fn events(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Events of type `t` written.
    #[must_use]
    pub fn count(&self, t: T) -> u64 {
        self.counts[usize::from(t.code())]
    }
}
