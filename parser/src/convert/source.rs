//! Where a [`Converter`](super::Converter) takes the ordered legacy events from: a parsed
//! [`Trace`], or the bounded-memory [`OrderedReader`].

use gotrace_format::{Error, Version};

use crate::legacy::{Event, Input, OrderedReader, StackId, Trace};

/// An ordered stream of legacy events with the trace's strings and stacks: [`TraceEvents`]
/// (a parsed [`Trace`]) or an [`OrderedReader`]. Sealed: the conversion relies on the events
/// being Go's ordered, validated ones.
///
/// ```
/// use gotrace_parser::{convert::Converter, legacy::OrderedReader};
/// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
/// let scan = OrderedReader::from_slice(&data)?;
/// let mut events = Converter::from_readers(scan, OrderedReader::from_slice(&data)?)?;
/// assert!(events.next_event()?.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Source: sealed::Sealed {}

pub(crate) mod sealed {
    use super::{Error, Event, StackId, Version};

    /// What the conversion reads of its source.
    pub trait Sealed {
        /// The trace's version.
        fn version(&self) -> Version;
        /// The next ordered event.
        fn next_legacy(&mut self) -> Result<Option<Event>, Error>;
        /// String `id` (empty when undefined).
        fn string(&self, id: u64) -> &[u8];
        /// Go's id of a stack.
        fn stack_id(&self, stack: StackId) -> u64;
    }
}

/// The events of a parsed [`Trace`], in order: the [`Source`] of
/// [`Converter::new`](super::Converter::new).
///
/// ```
/// use gotrace_parser::{convert::{Converter, TraceEvents}, legacy::Trace};
/// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
/// let trace = Trace::from_slice(&data)?;
/// let events: Converter<TraceEvents<'_>> = Converter::new(&trace)?;
/// assert!(events.tables().string(1).is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TraceEvents<'t> {
    pub(super) trace: &'t Trace,
    next: usize,
}

impl<'t> TraceEvents<'t> {
    pub(super) fn new(trace: &'t Trace) -> TraceEvents<'t> {
        TraceEvents { trace, next: 0 }
    }
}

impl Source for TraceEvents<'_> {}

impl sealed::Sealed for TraceEvents<'_> {
    fn version(&self) -> Version {
        self.trace.version()
    }

    fn next_legacy(&mut self) -> Result<Option<Event>, Error> {
        let event = self.trace.event(self.next).copied();
        self.next += usize::from(event.is_some());
        Ok(event)
    }

    fn string(&self, id: u64) -> &[u8] {
        self.trace.string(id)
    }

    fn stack_id(&self, stack: StackId) -> u64 {
        self.trace.stack_id(stack)
    }
}

impl<I: Input> Source for OrderedReader<I> {}

impl<I: Input> sealed::Sealed for OrderedReader<I> {
    fn version(&self) -> Version {
        OrderedReader::version(self)
    }

    fn next_legacy(&mut self) -> Result<Option<Event>, Error> {
        self.next().transpose()
    }

    fn string(&self, id: u64) -> &[u8] {
        OrderedReader::string(self, id)
    }

    fn stack_id(&self, stack: StackId) -> u64 {
        OrderedReader::stack_id(self, stack)
    }
}
