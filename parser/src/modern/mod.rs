//! Modern traces (Go 1.22 – 1.27): raw records in file order, their text form, and the
//! ordered high-level events ([`Reader`]).
//!
//! The raw readers check what a record's bytes can say on their own: batch headers (the body's
//! size at most 64 KiB, every batch complete), the events of each body (type known to the
//! version, its values inside the body, no value beyond 64 bits), and `EndOfGeneration` bytes
//! in version 26. [`Reader`] reads generations, their tables and clocks, orders the events as
//! Go 1.27's reader does and returns them in Go's high-level model ([`Event`]).

mod event;
mod frontier;
pub(crate) use event::wire_status;
mod generation;
pub(crate) mod ids;
mod order;
mod raw;
mod reader;
mod split;
mod strict;
mod text;

pub use event::{
    Event, EventKind, GoState, Log, Metric, ProcState, Range, RangeName, Region, Resource, StackId,
    StackText, StateTransition, Sync, Task, NO_TASK,
};
pub use generation::{ClockSnapshot, Frame, Tables};
pub use raw::{Chunk, RawEvents, RawParser, RawReader, READ_CHUNK};
pub use reader::Reader;
pub use strict::Strict;
pub use text::{ArgFault, TextError, TextErrorKind, TextReader, MAX_LINE};
