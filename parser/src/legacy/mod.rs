//! Legacy traces (Go 1.5 – 1.21): raw records, the file-level checks of Go's reader, and the
//! ordered, validated events, read whole ([`Trace`]) or in bounded memory ([`OrderedReader`]).

mod ahead;
mod bounded;
mod census;
mod dense;
mod event;
mod floor;
mod futile;
mod order;
mod raw;
mod split;
mod structure;
mod trace;
mod validate;

pub use bounded::{Input, OrderedReader, SeekInput, SliceInput};
pub use census::{Census, TypeStats};
pub use event::{Event, StackId, GC_P, MAX_OFFSET, MAX_P, NETPOLL_P, PROFILE_P, SYSCALL_P, TIMER_P};
pub use raw::{Chunk, RawEvents, RawParser, RawReader, READ_CHUNK};
pub use split::READ_AHEAD;
pub use trace::{Frame, Trace};

pub(crate) use structure::{Messages, Stacks, Strings};
