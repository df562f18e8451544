//! The legacy layout (Go 1.5 – 1.21): event types and raw records.

mod event_type;
mod raw;
mod stw;

pub use event_type::{EventType, MAX_STACK_FRAMES, MAX_STRING_LEN};
pub use raw::{RawEvent, Text};
pub use stw::StwReason;
