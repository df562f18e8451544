//! How to trace: the options of the legacy and the modern tracer.

use gotrace_format::Version;

/// How to trace: the version written, the numbers of Ps and (modern) threads, the clock, the
/// generations (modern), the buffer cap. One type for both tracers: the legacy
/// [`Tracer`](crate::Tracer) takes Go 1.19 and 1.21, the modern
/// [`Tracer`](crate::modern::Tracer) Go 1.23 and 1.26; legacy traces have no generations and no
/// thread handles (their producers are the Ps), so they leave `threads` and `generation_bytes`
/// unread.
///
/// ```
/// use gotrace_writer::TracerOptions;
/// use gotrace_format::Version;
/// let legacy = TracerOptions::new(Version::Go1_21).procs(8).frequency(15_625_000);
/// assert_eq!(legacy.buffer_limit(), 2 * 8 + 8); // per P
/// assert_eq!(legacy.max_buffers(4).buffer_limit(), 8 + 4); // never below procs + 4
/// let modern = TracerOptions::new(Version::Go1_26).threads(4).procs(2).generation_bytes(Some(1 << 20));
/// assert_eq!(modern.buffer_limit(), 2 * 4 + 8); // per thread
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct TracerOptions {
    pub(crate) version: Version,
    pub(crate) threads: u32,
    pub(crate) procs: u32,
    pub(crate) frequency: u64,
    pub(crate) generation_bytes: Option<u64>,
    pub(crate) max_buffers: Option<usize>,
}

impl Default for TracerOptions {
    /// Go 1.19 (see [`new`](Self::new)).
    fn default() -> TracerOptions {
        TracerOptions::new(Version::Go1_19)
    }
}

impl TracerOptions {
    /// Options for a trace of `version`: one P, one thread, the clock of that version's
    /// runtime (legacy: ticks of one nanosecond; modern: 15 625 000 units per second,
    /// `nanotime / 64`), generations of about 16 MiB.
    pub fn new(version: Version) -> TracerOptions {
        let frequency = if version.is_legacy() { 1_000_000_000 } else { 15_625_000 };
        TracerOptions {
            version,
            threads: 1,
            procs: 1,
            frequency,
            generation_bytes: Some(16 << 20),
            max_buffers: None,
        }
    }

    /// The version written.
    pub fn version(mut self, version: Version) -> TracerOptions {
        self.version = version;
        self
    }

    /// The number of threads (Ms) of a modern trace: ids `0..threads` for
    /// [`Tracer::thread`](crate::modern::Tracer::thread).
    pub fn threads(mut self, threads: u32) -> TracerOptions {
        self.threads = threads;
        self
    }

    /// The number of Ps (GOMAXPROCS): ids `0..procs` for [`Tracer::proc`](crate::Tracer::proc).
    pub fn procs(mut self, procs: u32) -> TracerOptions {
        self.procs = procs;
        self
    }

    /// Ticks per second: the unit of every `ts` given to the tracer, written in the trace.
    pub fn frequency(mut self, ticks_per_second: u64) -> TracerOptions {
        self.frequency = ticks_per_second;
        self
    }

    /// Modern traces: start a new generation once the threads have filled about this many
    /// bytes of buffers in the current one (`None`: only on
    /// [`Tracer::advance`](crate::modern::Tracer::advance)).
    pub fn generation_bytes(mut self, bytes: Option<u64>) -> TracerOptions {
        self.generation_bytes = bytes;
        self
    }

    /// The most buffers that may exist at once (see [`buffer_limit`](Self::buffer_limit)).
    pub fn max_buffers(mut self, buffers: usize) -> TracerOptions {
        self.max_buffers = Some(buffers);
        self
    }

    /// The cap on buffers in existence, by producer (a P in legacy traces, a thread in modern
    /// ones): `max_buffers` if given, but at least one per producer and what the tracer holds
    /// besides (legacy: the no-P buffer, the CPU-sample buffer, the one being written out, one
    /// to swap in; modern: the log strings, the CPU samples, the tables, the one being written
    /// out, one to swap in), else `2 × producers + 8`. Memory for buffers stays within this ×
    /// 64 KiB.
    #[must_use]
    pub fn buffer_limit(&self) -> usize {
        let (producers, besides) =
            if self.version.is_legacy() { (self.procs as usize, 4) } else { (self.threads as usize, 6) };
        self.max_buffers.map_or(2 * producers + 8, |m| m.max(producers + besides))
    }
}
