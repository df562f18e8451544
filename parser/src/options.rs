//! How the readers read: strictness and limits.

use gotrace_format::legacy::{MAX_STACK_FRAMES, MAX_STRING_LEN};

/// How strictly to read, and within which limits.
///
/// ```
/// use gotrace_parser::{Limits, Options};
/// let options = Options::default().strict(true).limits(Limits::default().max_string_len(4096));
/// assert!(options.is_strict());
/// assert_eq!(options.get_limits().get_max_string_len(), 4096);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    strict: bool,
    limits: Limits,
    threads: usize,
}

impl Default for Options {
    /// Go's verdict, the default limits, one thread.
    fn default() -> Options {
        Options { strict: false, limits: Limits::default(), threads: 1 }
    }
}

impl Options {
    /// In strict mode the reader also rejects the damage Go's reader tolerates (see the README:
    /// varints with bits beyond 64, damaged `UserLog` messages, stack records with id 0 or no
    /// frames, duplicate stack ids, events before any batch, undefined string and stack
    /// references, unknown STW reasons) and what no runtime writes (see
    /// [`Census`](crate::legacy::Census): varints not in their shortest form, zero timestamp
    /// deltas from Go 1.11, frequencies below 1 MHz, Ps beyond GOMAXPROCS, GC cycles,
    /// stop-the-worlds or sweeps without their end). By default the verdict follows Go's.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Options {
        self.strict = strict;
        self
    }

    /// True in strict mode.
    #[must_use]
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Reads within `limits`.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Options {
        self.limits = limits;
        self
    }

    /// The limits.
    #[must_use]
    pub fn get_limits(&self) -> Limits {
        self.limits
    }

    /// How many threads a whole-trace parse of a legacy trace
    /// ([`legacy::Trace::parse_with`](crate::legacy::Trace::parse_with),
    /// [`legacy::Trace::from_slice_with`](crate::legacy::Trace::from_slice_with)) may use (0
    /// counts as 1; the default is 1, so that the library starts no thread unasked). With 2 or
    /// more, one thread reads and checks the records while a second builds the per-P event
    /// lists and tables from them, a block of the input at a time; then (Go 1.7+ traces
    /// without futile wakeups) one merges while the second validates each chunk of the order
    /// once it is final. The events, the tables and the errors (which one, at which offset) are
    /// those of one thread. Memory grows by the
    /// records in flight between the two: at most [`READ_AHEAD`](crate::legacy::READ_AHEAD)
    /// of them. No other reader uses more than one thread.
    ///
    /// ```
    /// use gotrace_parser::{legacy::Trace, Options};
    /// let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/go-testdata/http_1_19_good"))?;
    /// let one = Trace::from_slice_with(&data, Options::default())?;
    /// let two = Trace::from_slice_with(&data, Options::default().threads(2))?;
    /// assert_eq!(Options::default().threads(2).get_threads(), 2);
    /// assert!(one.events().eq(two.events()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Options {
        self.threads = threads.max(1);
        self
    }

    /// How many threads a parse may use (at least 1).
    #[must_use]
    pub fn get_threads(&self) -> usize {
        self.threads
    }
}

/// Caps on what one record, and a whole trace, may make the reader hold. A record over a limit
/// is a [`LimitExceeded`](gotrace_format::Category::LimitExceeded) error at its offset.
///
/// Per record, the defaults are Go's own limits (a string or `UserLog` message of 1 000 000
/// bytes, a stack of 1000 frames), beyond which Go's reader rejects a trace anyway; a caller
/// can only tighten them. With them, the largest record the streaming reader ever buffers is a
/// string of 1 000 000 bytes (plus its id and length).
///
/// Per trace (checked by the [`Census`](crate::legacy::Census), which every ordered parse
/// runs): events (default and most 2³² − 2, what the ordered parser indexes), batch records
/// (default 2³²), and the bytes the ordered parser holds for what it read — 56 bytes per
/// event (64 for Go 1.5/1.6), the bytes of every string and `UserLog` message plus 16, 32 per
/// stack frame plus 16 per stack — by default 16 GiB. These bound memory whatever the
/// input: every count grows by at most one per record, and records take at least one byte.
///
/// ```
/// use gotrace_parser::Limits;
/// let limits = Limits::default().max_stack_frames(64).max_bytes_held(1 << 30);
/// assert_eq!(limits.get_max_stack_frames(), 64);
/// assert_eq!(limits.get_max_string_len(), 1_000_000);
/// assert_eq!(limits.get_max_bytes_held(), 1 << 30);
/// assert_eq!(Limits::default().get_max_events(), (1 << 32) - 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_string_len: u64,
    max_stack_frames: u64,
    max_events: u64,
    max_batches: u64,
    max_bytes_held: u64,
}

/// The most events the ordered parser indexes (32-bit indices, one kept free).
const MAX_EVENTS: u64 = (1 << 32) - 2;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_string_len: MAX_STRING_LEN,
            max_stack_frames: MAX_STACK_FRAMES,
            max_events: MAX_EVENTS,
            max_batches: 1 << 32,
            max_bytes_held: 16 << 30,
        }
    }
}

impl Limits {
    /// Longest string record or `UserLog` message, in bytes (at most Go's 1 000 000).
    #[must_use]
    pub fn max_string_len(mut self, bytes: u64) -> Limits {
        self.max_string_len = bytes.min(MAX_STRING_LEN);
        self
    }

    /// Most frames in a stack record (at most Go's 1000).
    #[must_use]
    pub fn max_stack_frames(mut self, frames: u64) -> Limits {
        self.max_stack_frames = frames.min(MAX_STACK_FRAMES);
        self
    }

    /// Most events (records with a timestamp) in a trace (at most 2³² − 2).
    #[must_use]
    pub fn max_events(mut self, events: u64) -> Limits {
        self.max_events = events.min(MAX_EVENTS);
        self
    }

    /// Most batch records in a trace.
    #[must_use]
    pub fn max_batches(mut self, batches: u64) -> Limits {
        self.max_batches = batches;
        self
    }

    /// Most bytes the ordered parser may hold for the records read (see above).
    #[must_use]
    pub fn max_bytes_held(mut self, bytes: u64) -> Limits {
        self.max_bytes_held = bytes;
        self
    }

    /// Longest string record or `UserLog` message, in bytes.
    #[must_use]
    pub fn get_max_string_len(&self) -> u64 {
        self.max_string_len
    }

    /// Most frames in a stack record.
    #[must_use]
    pub fn get_max_stack_frames(&self) -> u64 {
        self.max_stack_frames
    }

    /// Most events in a trace.
    #[must_use]
    pub fn get_max_events(&self) -> u64 {
        self.max_events
    }

    /// Most batch records in a trace.
    #[must_use]
    pub fn get_max_batches(&self) -> u64 {
        self.max_batches
    }

    /// Most bytes the ordered parser may hold.
    #[must_use]
    pub fn get_max_bytes_held(&self) -> u64 {
        self.max_bytes_held
    }
}
