//! Raw records of legacy traces in file order, in three shapes: over a slice ([`RawEvents`]),
//! over `std::io::Read` ([`RawReader`]), and pushed in pieces ([`RawParser`]). All three share
//! one grammar and give the same events and the same errors at the same offsets.

mod grammar;
mod push;
mod slice;
mod stream;

pub(crate) use grammar::Shape;
pub use push::{Chunk, RawParser};
pub use slice::RawEvents;
pub(crate) use stream::InBlock;
pub use stream::{RawReader, READ_CHUNK};
