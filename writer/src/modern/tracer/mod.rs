//! The modern tracer: the Go 1.23 – 1.27 runtime's trace writer, in Rust.
//!
//! - Each producer thread holds a [`Thread`] (an M) that owns a 64 KiB buffer and encodes
//!   into it without locking; a thread may hold a P ([`Proc`]) and run a goroutine.
//! - Full buffers go through the legacy tracer's pool (free list, FIFO queue, one leaf lock:
//!   nothing under it allocates, does I/O, emits events or waits) to a consumer thread that
//!   writes them to the sink.
//! - Generations: every batch of generation N is queued before any of N + 1. An advance
//!   (asked for by [`Tracer::advance`], or by size, see [`TracerOptions::generation_bytes`])
//!   bumps an epoch that each thread reads (one relaxed load) before its next event: it hands its
//!   buffer over and waits until every thread handle in use has done so (or been dropped, or
//!   called [`Thread::safe_point`]); the last one closes the generation: it hands over the
//!   buffers of the threads not in use, the log strings and CPU samples, writes the string
//!   and stack tables (of what the generation used: each thread marks the ids its events
//!   refer to in a bit set of its own), the frequency batch (23) or the `EndOfGeneration` byte and the next
//!   generation's sync batch (26), and lets the others go on. A generation without events is
//!   not closed.
//! - Status: a thread's first event of a generation is preceded by the `ProcStatus` of its P
//!   and the `GoStatus` of its goroutine; a P or goroutine touched first in a generation gets
//!   its status just before (`ProcStatus` Idle before a `ProcStart`, `GoStatus` Runnable before
//!   a `GoStart`, Waiting before a `GoUnblock`, `ProcStatus` SyscallAbandoned before a steal),
//!   which resets its sequence number, as the runtime does; `GCSweepActive` and
//!   `GCMarkAssistActive` follow the status of a P that sweeps and of a goroutine in an assist.
//! - Every generation states every P and live goroutine, as the runtime's generation advance
//!   makes sure (a book of each one's place and last status generation, the runtime's `allp`
//!   and `allgs`, kept by the operations): at its end each thread writes, at its safe point,
//!   the statuses it answers for and lacks (its P, the P it left in a syscall until stolen, its
//!   goroutine if that has its P; the closer writes them for threads not in use), then the
//!   closer writes, in a batch of no thread after every other event, the status of each
//!   goroutine no thread answers for (runnable, waiting, in a syscall on a thread without its
//!   P), with the stack it waits at (`GoStatusStack`). The Ps no thread holds (idle, abandoned)
//!   get theirs in that batch in 26 (Go 1.26+: at the end); in 23 (Go 1.23, 1.24: at the next
//!   generation's start, and every P's at the trace's start) in a batch of no thread opening
//!   the next generation, with each thread's P in its own. A GC cycle that runs into a new
//!   generation is stated there (`GCActive`) by the first goroutine to run (at a thread's first
//!   event, an operation of its goroutine, a start, or the generation's end), so that a trace
//!   cut to start at any generation reads. GOMAXPROCS is stated (`ProcsChange`, the current value) once in every
//!   generation, before its first event by a running goroutine, where the runtime has the
//!   advancing goroutine state it. The runtime writes the idle Ps' statuses on the thread that
//!   advances; ours has no such thread, so they go in the batch of no thread.
//!
//! Lock ranks (the legacy tracer's, lowest first): log strings (`NoP`), CPU samples
//! (`Profile`), thread and P slots (`Slots`), GC/STW and generation state (`World`), strings,
//! stacks, pool. Waiting happens on condition variables with no other lock held.

mod batch;
mod book;
mod pass;
mod state;
mod tables;
mod thread;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar};

use gotrace_format::modern::EventType;
use gotrace_format::Version;

use self::batch::BatchBuffer;
use self::book::{GoBook, ProcBook};
use self::pass::StatusBatch;
use self::state::PState;
pub use self::state::{Proc, SyscallProc};
use self::tables::{Stacks, Strings, UsedIds};
pub use self::thread::Thread;
use self::thread::{MState, Pass, TYPES};
use crate::modern::encoder::{
    max_stack_len, max_string_len, put_cpu_sample, put_frequency, put_stack, put_string, put_sync,
    ClockSnapshot, CpuSample, Encoder, CPU_SAMPLE_LEN, NO_THREAD, SYNC_BODY_LEN,
};
use crate::tracer::lockorder::{Rank, RankedMutex};
use crate::tracer::pool::Pool;
pub use crate::tracer::state::{Runnable, Waiting};
use crate::tracer::{consume, Consumer};
use crate::{BlockReason, Error, Frame, GcWorker, GoId, StackId, StringId, TracerOptions};

/// Figures of a modern tracer: [`crate::Stats`] counting by modern event types.
///
/// ```
/// # use gotrace_writer::modern::{Tracer, TracerOptions};
/// use gotrace_format::{modern::EventType, Version};
/// let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_23))?;
/// let mut m = tracer.thread(0)?;
/// m.proc_start(10, tracer.proc(0)?).map_err(|r| r.error)?;
/// drop(m);
/// let stats = tracer.stats();
/// assert_eq!(stats.count(EventType::PROC_START), 1);
/// assert_eq!(stats.events(), 2); // and the P's ProcStatus
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
pub type Stats = crate::Stats<EventType>;

/// A thread's slot: its state while no handle holds it.
#[derive(Debug)]
struct Slot {
    state: Option<MState>,
}

/// GC and stop-the-world state.
#[derive(Debug, Default)]
pub(crate) struct World {
    pub(crate) gc_running: bool,
    /// The last GC sequence number used (every GC event uses one).
    pub(crate) gc_seq: u64,
    pub(crate) gc_floor: u64,
    /// The generation the running GC cycle is known in (its `GCBegin`'s, or a `GCActive`'s).
    pub(crate) gc_active_gen: u64,
    pub(crate) stw_running: bool,
    pub(crate) stw_floor: u64,
    /// GOMAXPROCS: the Ps at the start, then the last `ProcsChange`'s.
    pub(crate) procs: u64,
    /// The last generation with a `ProcsChange`.
    pub(crate) procs_gen: u64,
}

/// The generation barrier.
#[derive(Debug, Default)]
struct GenState {
    gen: u64,
    /// Advances asked for so far.
    epoch: u64,
    /// The epoch of the last advance completed.
    closed: u64,
    advancing: bool,
    /// The last acknowledgement came: the generation is being closed.
    closing: bool,
    /// Thread handles in use.
    taken: usize,
    /// Of those, the ones that handed their buffer over for this advance.
    acked: usize,
    /// Events of the acknowledged threads in this generation.
    events: u64,
    /// Stacks and strings the events of the acknowledged threads use.
    used: UsedIds,
    generations: u64,
    /// Events the generation passes wrote (in batches of no thread), by type.
    counts: Vec<u64>,
}

/// A table batch shared by the threads (log strings, CPU samples) and its generation.
#[derive(Debug)]
pub(crate) struct Shelf {
    pub(crate) batch: BatchBuffer,
    pub(crate) gen: u64,
    /// Stacks its records use.
    pub(crate) used: UsedIds,
}

/// The strings the runtime registers at the start of each generation, by use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reasons {
    pub(crate) block: [StringId; 9],
    pub(crate) gosched: StringId,
    pub(crate) preempted: StringId,
    pub(crate) workers: [StringId; 3],
}

impl Reasons {
    fn new(strings: &Strings) -> Reasons {
        let block = [
            BlockReason::Other,
            BlockReason::Send,
            BlockReason::Recv,
            BlockReason::Select,
            BlockReason::Sync,
            BlockReason::Cond,
            BlockReason::Net,
            BlockReason::Gc,
        ]
        .map(|r| strings.intern(block_reason(Some(r))));
        let sleep = strings.intern(block_reason(None));
        let mut all = [StringId::EMPTY; 9];
        all[..8].copy_from_slice(&block);
        all[8] = sleep;
        Reasons {
            block: all,
            gosched: strings.intern("runtime.Gosched"),
            preempted: strings.intern("preempted"),
            workers: [GcWorker::Dedicated, GcWorker::Fractional, GcWorker::Idle]
                .map(|w| strings.intern(w.label())),
        }
    }
}

/// The runtime's block reason string (`None`: a sleep).
pub(crate) fn block_reason(reason: Option<BlockReason>) -> &'static str {
    match reason {
        None => "sleep",
        Some(BlockReason::Send) => "chan send",
        Some(BlockReason::Recv) => "chan receive",
        Some(BlockReason::Select) => "select",
        Some(BlockReason::Sync) => "sync",
        Some(BlockReason::Cond) => "sync.(*Cond).Wait",
        Some(BlockReason::Net) => "network",
        Some(BlockReason::Gc) => "GC mark assist wait for work",
        Some(_) => "unspecified",
    }
}

/// The index of a block reason in [`Reasons::block`].
pub(crate) fn block_index(reason: Option<BlockReason>) -> usize {
    match reason {
        None => 8,
        Some(BlockReason::Send) => 1,
        Some(BlockReason::Recv) => 2,
        Some(BlockReason::Select) => 3,
        Some(BlockReason::Sync) => 4,
        Some(BlockReason::Cond) => 5,
        Some(BlockReason::Net) => 6,
        Some(BlockReason::Gc) => 7,
        Some(_) => 0,
    }
}

/// Unix time of the wall clock at clock 0 of synthetic sync batches (2026-01-01T00:00:00Z).
const WALL_BASE_SECONDS: u64 = 1_767_225_600;

/// What the producers, the consumer and the tracer share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) version: Version,
    frequency: u64,
    generation_bytes: u64,
    pub(crate) pool: Pool,
    pub(crate) strings: Strings,
    pub(crate) stacks: Stacks,
    pub(crate) reasons: Reasons,
    slots: RankedMutex<Vec<Slot>>,
    procs: RankedMutex<Vec<Option<PState>>>,
    /// Every P's place and status generation.
    pub(crate) proc_book: ProcBook,
    /// Every goroutine's state and status generation.
    pub(crate) go_book: GoBook,
    pub(crate) world: RankedMutex<World>,
    gen: RankedMutex<GenState>,
    opened: Condvar,
    /// Mirrors `GenState::epoch`: read before every event.
    pub(crate) epoch: AtomicU64,
    pub(crate) logs: RankedMutex<Shelf>,
    samples: RankedMutex<Shelf>,
    cpu_samples: AtomicU64,
    /// Buffer bytes filled in this generation.
    filled: AtomicU64,
    /// The latest tick handed over.
    clock: AtomicU64,
    next_g: AtomicU64,
    next_task: AtomicU64,
    bytes_written: AtomicU64,
}

impl Shared {
    pub(crate) fn new_goroutine_id(&self) -> u64 {
        self.next_g.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn new_task_id(&self) -> u64 {
        self.next_task.fetch_add(1, Ordering::Relaxed)
    }

    /// A thread handed over a full buffer of `bytes` whose last tick was `tick`: count it
    /// toward the generation's size.
    pub(crate) fn note_buffer(&self, tick: u64, bytes: usize) {
        self.clock.fetch_max(tick, Ordering::Relaxed);
        let bytes = bytes as u64;
        let filled = self.filled.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if filled >= self.generation_bytes && self.request_advance() {
            self.close(false);
        }
    }

    /// Asks for a new generation; returns true if no thread handle is in use (the caller
    /// closes the generation itself).
    fn request_advance(&self) -> bool {
        let mut st = self.gen.lock();
        if !st.advancing {
            st.advancing = true;
            st.acked = 0;
            st.epoch += 1;
            self.epoch.store(st.epoch, Ordering::Release);
            if st.taken == 0 {
                st.closing = true;
                return true;
            }
        }
        false
    }

    /// Thread `m` hands its buffer over for the pending advance and waits for the generation
    /// to close (closing it itself if it is the last).
    pub(crate) fn acknowledge(&self, m: &mut MState) {
        // The thread's safe point: the statuses it answers for, in the generation it leaves
        // (not counted as events: a generation of nothing else is not closed).
        let events = m.gen_events;
        m.own_statuses(self, Pass::End);
        m.gen_events = events;
        self.clock.fetch_max(m.last, Ordering::Relaxed);
        m.batch.hand_over(&self.pool);
        let mut st = self.gen.lock();
        st.events += std::mem::take(&mut m.gen_events);
        st.used.take_from(&mut m.used);
        st.acked += 1;
        let epoch = st.epoch;
        if st.acked == st.taken {
            st.closing = true;
            drop(st);
            self.close(false);
            st = self.gen.lock();
        } else {
            while st.closed < epoch {
                st = st.wait(&self.opened);
            }
        }
        if m.gen != st.gen {
            m.gen = st.gen;
            m.prelude = true;
        }
        m.epoch = epoch;
    }

    /// A thread handle is given back (its state already in its slot).
    fn release(&self) {
        let mut st = self.gen.lock();
        st.taken -= 1;
        let close = st.advancing && !st.closing && st.acked == st.taken;
        st.closing |= close;
        drop(st);
        if close {
            self.close(false);
        }
    }

    /// Closes the current generation (every thread handle in use has acknowledged): see the
    /// module docs. `last`: at the end of the trace, nothing is opened.
    fn close(&self, last: bool) {
        let (gen, epoch, mut events, mut used) = {
            let mut st = self.gen.lock();
            (st.gen, st.epoch, st.events, std::mem::take(&mut st.used))
        };
        let mut logs = self.logs.lock();
        let mut samples = self.samples.lock();
        let mut slots = self.slots.lock();
        for s in slots.iter_mut().filter_map(|s| s.state.as_mut()) {
            events += std::mem::take(&mut s.gen_events);
            used.take_from(&mut s.used);
            self.clock.fetch_max(s.last, Ordering::Relaxed);
        }
        used.take_from(&mut samples.used);
        let advance = events > 0;
        let next = if advance { gen + 1 } else { gen };
        // Go 1.26+ write every P's missing status at a generation's end, Go 1.23 at the next
        // one's start; both the goroutines' at the end (the last generation too).
        let modern_procs = self.version >= Version::Go1_26;
        let pass = advance || (last && modern_procs);
        let mut counts = [0u64; TYPES];
        let mut start_events = 0;
        if advance || last {
            for s in slots.iter_mut().filter_map(|s| s.state.as_mut()) {
                if pass {
                    s.own_statuses(self, Pass::End);
                    s.gen_events = 0;
                    used.take_from(&mut s.used);
                    self.clock.fetch_max(s.last, Ordering::Relaxed);
                }
                s.batch.hand_over(&self.pool);
            }
            logs.batch.hand_over(&self.pool);
            samples.batch.hand_over(&self.pool);
            let mut tail = BatchBuffer::default();
            let mut time = self.clock.load(Ordering::Relaxed) + 1;
            if pass {
                let mut statuses = StatusBatch::new(&mut tail, &self.pool, gen, time, &mut counts);
                if modern_procs {
                    self.proc_book.each_unowned(gen, |p, abandoned| statuses.proc(p, abandoned));
                }
                self.go_book.each_untraced(gen, |g| statuses.go(&g, &mut used));
                time = statuses.finish();
                self.write_tables(&mut tail, gen, time, &mut used);
            }
            if self.version >= Version::Go1_26 {
                tail.put_loose(&self.pool, &[EventType::END_OF_GENERATION.code()]);
                if !last {
                    self.write_sync(&mut tail, next, time + 1);
                }
            } else if advance && !last {
                start_events = self.start_statuses(&mut tail, next, time + 1, &mut counts);
            }
            tail.hand_over(&self.pool);
        }
        for s in slots.iter_mut().filter_map(|s| s.state.as_mut()) {
            s.epoch = epoch;
            if advance {
                s.gen = next;
                s.prelude = true;
                if !modern_procs && !last {
                    s.own_statuses(self, Pass::Procs);
                }
            }
        }
        logs.gen = next;
        samples.gen = next;
        drop((slots, samples, logs));
        self.filled.store(0, Ordering::Relaxed);
        used.clear();
        let mut st = self.gen.lock();
        st.used = used;
        st.gen = next;
        st.closed = epoch;
        st.advancing = false;
        st.closing = false;
        st.acked = 0;
        st.events = start_events;
        st.generations += u64::from(advance);
        st.counts.iter_mut().zip(counts).for_each(|(t, n)| *t += n);
        drop(st);
        self.opened.notify_all();
    }

    /// Go 1.23's pass at generation `gen`'s start: the status of each P no thread holds, at
    /// `time`; returns the events written.
    fn start_statuses(&self, tail: &mut BatchBuffer, gen: u64, time: u64, counts: &mut [u64; TYPES]) -> u64 {
        let mut statuses = StatusBatch::new(tail, &self.pool, gen, time, counts);
        self.proc_book.each_unowned(gen, |p, abandoned| statuses.proc(p, abandoned));
        let written = statuses.written;
        statuses.finish();
        written
    }

    /// Generation `gen`'s string and stack tables (the strings and stacks its events and CPU
    /// samples use, `used`, and the names of those stacks' frames) and, in 23, its frequency
    /// batch.
    fn write_tables(&self, tail: &mut BatchBuffer, gen: u64, time: u64, used: &mut UsedIds) {
        let pool = &self.pool;
        let UsedIds { stacks, strings } = used;
        self.stacks.each_used(stacks, |_, frames| {
            for f in frames {
                strings.mark(f.func);
                strings.mark(f.file);
            }
        });
        self.strings.each_used(strings, |id, text| {
            let text = text.as_bytes();
            let need = max_string_len(text.len());
            tail.room(pool, need, gen, NO_THREAD, time, Some(EventType::STRINGS.code()));
            tail.buf.put(|dst| put_string(dst, id, text));
        });
        tail.close();
        self.stacks.each_used(stacks, |id, frames| {
            let need = max_stack_len(frames.len());
            tail.room(pool, need, gen, NO_THREAD, time, Some(EventType::STACKS.code()));
            tail.buf.put(|dst| put_stack(dst, id, frames));
        });
        tail.close();
        if self.version < Version::Go1_25 {
            tail.room(pool, 1 + 10, gen, NO_THREAD, time, None);
            tail.buf.put(|dst| put_frequency(dst, self.frequency));
            tail.close();
        }
    }

    /// Generation `gen`'s sync batch (26): the frequency and a clock snapshot at `time`.
    fn write_sync(&self, tail: &mut BatchBuffer, gen: u64, time: u64) {
        let ns = u128::from(time + 1) * 1_000_000_000 / u128::from(self.frequency.max(1));
        let ns = u64::try_from(ns).unwrap_or(u64::MAX);
        let clock = ClockSnapshot {
            dt: 1,
            mono: ns,
            sec: WALL_BASE_SECONDS + ns / 1_000_000_000,
            nsec: ns % 1_000_000_000,
        };
        tail.room(&self.pool, SYNC_BODY_LEN, gen, NO_THREAD, time, None);
        tail.buf.put(|dst| put_sync(dst, self.frequency, &clock));
        tail.close();
    }
}

/// The concurrent modern trace writer: hands out thread handles ([`Thread`]) and P handles
/// ([`Proc`]), drains full buffers to a sink on a consumer thread, closes generations, and
/// writes the last one on [`finish`](Tracer::finish).
///
/// ```
/// use gotrace_writer::modern::{Tracer, TracerOptions};
/// use gotrace_writer::{BlockReason, Frame, StackId};
/// use gotrace_format::Version;
/// let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_26).threads(2).procs(2))?;
/// let main = tracer.stack(&[Frame { pc: 0x401000, func: "main.main", file: "main.go", line: 3 }]);
/// std::thread::scope(|s| {
///     for i in 0..2 {
///         let (mut m, p) = (tracer.thread(i).unwrap(), tracer.proc(i).unwrap());
///         s.spawn(move || {
///             m.proc_start(1000, p).unwrap();
///             for k in 0..1000u64 {
///                 let g = m.go_create(1001 + 3 * k, main, StackId::NONE).unwrap();
///                 m.go_start(1002 + 3 * k, g).unwrap();
///                 m.go_destroy(1003 + 3 * k).unwrap();
///             }
///         });
///     }
/// });
/// // Each thread's 2 + 3000 events, and GOMAXPROCS stated in each generation, as the runtime does.
/// let stats = tracer.stats();
/// let procs = stats.count(gotrace_format::modern::EventType::PROCS_CHANGE);
/// assert!(procs >= 1 && procs <= stats.generations + 1);
/// assert_eq!(stats.events(), 2 * (2 + 3 * 1000) + procs);
/// let trace: Vec<u8> = tracer.finish()?;
/// assert_eq!(&trace[..16], b"go 1.26 trace\0\0\0");
/// assert_eq!(trace.last(), Some(&0x34)); // EndOfGeneration
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Debug)]
pub struct Tracer<W: Write + Send + 'static> {
    shared: Arc<Shared>,
    consumer: Consumer<W>,
}

impl<W: Write + Send + 'static> Tracer<W> {
    /// Starts tracing into `out` in generation 1: the consumer thread writes the header, then
    /// buffers as they fill (in 26 the first is generation 1's sync batch). Errors:
    /// [`Error::UnsupportedModernVersion`], [`Error::Io`] if the thread cannot be spawned.
    pub fn new(out: W, options: TracerOptions) -> Result<Tracer<W>, Error> {
        let version = Encoder::new(options.version)?.version();
        let strings = Strings::new();
        let reasons = Reasons::new(&strings);
        let slots = (0..options.threads).map(|m| Slot { state: Some(MState::new(u64::from(m))) }).collect();
        let procs = (0..options.procs)
            .map(|id| Some(PState { id, seq: 0, seq_gen: 0, tick: 0, sweeping: false }))
            .collect();
        let shelf = || Shelf { batch: BatchBuffer::default(), gen: 1, used: UsedIds::new() };
        let shared = Arc::new(Shared {
            version,
            frequency: options.frequency,
            generation_bytes: options.generation_bytes.unwrap_or(u64::MAX),
            pool: Pool::new(options.buffer_limit()),
            strings,
            stacks: Stacks::new(),
            reasons,
            slots: RankedMutex::new(Rank::Slots, slots),
            procs: RankedMutex::new(Rank::Slots, procs),
            proc_book: ProcBook::new(options.procs),
            go_book: GoBook::new(),
            world: RankedMutex::new(
                Rank::World,
                World { procs: u64::from(options.procs), ..World::default() },
            ),
            gen: RankedMutex::new(
                Rank::World,
                GenState { gen: 1, used: UsedIds::new(), counts: vec![0; TYPES], ..GenState::default() },
            ),
            opened: Condvar::new(),
            epoch: AtomicU64::new(0),
            logs: RankedMutex::new(Rank::NoP, shelf()),
            samples: RankedMutex::new(Rank::Profile, shelf()),
            cpu_samples: AtomicU64::new(0),
            filled: AtomicU64::new(0),
            clock: AtomicU64::new(0),
            next_g: AtomicU64::new(1),
            next_task: AtomicU64::new(1),
            bytes_written: AtomicU64::new(0),
        });
        let mut first = BatchBuffer::default();
        if version >= Version::Go1_26 {
            shared.write_sync(&mut first, 1, 1);
        } else {
            // Go 1.23 starts tracing with the status of every P.
            let mut counts = [0; TYPES];
            let events = shared.start_statuses(&mut first, 1, 1, &mut counts);
            let mut st = shared.gen.lock();
            st.events = events;
            st.counts.iter_mut().zip(counts).for_each(|(t, n)| *t += n);
        }
        first.hand_over(&shared.pool);
        let consumer_shared = Arc::clone(&shared);
        let consumer = Consumer::spawn(move || {
            let header = consumer_shared.version.header();
            consume(&consumer_shared.pool, &header, &consumer_shared.bytes_written, out)
        })?;
        Ok(Tracer { shared, consumer })
    }

    /// The version written.
    #[must_use]
    pub fn version(&self) -> Version {
        self.shared.version
    }

    /// The current generation (from 1).
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.shared.gen.lock().gen
    }

    /// The handle of thread (M) `m`, for one producer at a time; it resumes where the previous
    /// holder left (buffer, clock, P, goroutine). Waits while a generation is being closed (a
    /// short wait: the closing thread waits for nothing but the consumer).
    /// Errors: [`Error::ThreadOutOfRange`], [`Error::ThreadTaken`].
    pub fn thread(&self, m: u32) -> Result<Thread<'_>, Error> {
        {
            let mut st = self.shared.gen.lock();
            while st.closing {
                st = st.wait(&self.shared.opened);
            }
            st.taken += 1;
        }
        let taken = {
            let mut slots = self.shared.slots.lock();
            let threads = slots.len() as u32;
            match slots.get_mut(m as usize) {
                None => Err(Error::ThreadOutOfRange { m, threads }),
                Some(slot) => slot.state.take().ok_or(Error::ThreadTaken { m }),
            }
        };
        match taken {
            Ok(state) => Ok(Thread::new(&self.shared, state)),
            Err(e) => {
                self.shared.release();
                Err(e)
            }
        }
    }

    /// The idle P `p`, once (later Ps come from stops and steals). Errors:
    /// [`Error::ProcOutOfRange`], [`Error::ProcTaken`].
    pub fn proc(&self, p: u32) -> Result<Proc, Error> {
        let mut procs = self.shared.procs.lock();
        let count = procs.len() as u32;
        let slot = procs.get_mut(p as usize).ok_or(Error::ProcOutOfRange { p, procs: count })?;
        slot.take().map(Proc).ok_or(Error::ProcTaken { p })
    }

    /// The id of the stack `frames` (innermost first; at most 128 are kept, function and file
    /// names keep their last 1024 bytes, as the runtime keeps them), interned for the whole
    /// trace (the id stays valid in every generation) and written in the stack table of each
    /// generation whose events use it. No frames: [`StackId::NONE`].
    pub fn stack(&self, frames: &[Frame<'_>]) -> StackId {
        self.shared.stacks.intern(&self.shared.strings, frames)
    }

    /// The id of `text` (its first 1024 bytes), interned for the whole trace (the id stays
    /// valid in every generation) and written in the string table of each generation whose
    /// events use it.
    pub fn string(&self, text: &str) -> StringId {
        self.shared.strings.intern(text)
    }

    /// A CPU profile sample at `time` (absolute, in clock units) on thread `m`, P `p` (`None`:
    /// the thread had none) running goroutine `g`, into the current generation's sample batch.
    pub fn cpu_sample(&self, time: u64, m: u32, p: Option<u32>, g: Option<GoId>, stack: StackId) {
        let sample = CpuSample {
            time,
            m: u64::from(m),
            p: p.map_or(NO_THREAD, u64::from),
            g: g.map_or(0, GoId::get),
            stack: stack.get(),
        };
        let mut shelf = self.shared.samples.lock();
        shelf.used.stacks.mark(sample.stack);
        let gen = shelf.gen;
        shelf.batch.room(
            &self.shared.pool,
            CPU_SAMPLE_LEN,
            gen,
            NO_THREAD,
            time,
            Some(EventType::CPU_SAMPLES.code()),
        );
        shelf.batch.buf.put(|dst| put_cpu_sample(dst, &sample));
        drop(shelf);
        self.shared.cpu_samples.fetch_add(1, Ordering::Relaxed);
    }

    /// Asks for a new generation: each thread handle in use switches before its next event
    /// (see the module docs); with none in use, it happens now.
    pub fn advance(&self) {
        if self.shared.request_advance() {
            self.shared.close(false);
        }
    }

    /// Figures so far (events of thread handles still held are counted once they are dropped).
    #[must_use]
    pub fn stats(&self) -> Stats {
        let mut stats = Stats::new(&self.shared.pool, self.shared.bytes_written.load(Ordering::Relaxed));
        for s in self.shared.slots.lock().iter().filter_map(|s| s.state.as_ref()) {
            stats.add(&s.counts);
        }
        let st = self.shared.gen.lock();
        stats.add(&st.counts);
        stats.generations = st.generations;
        drop(st);
        stats.cpu_samples = self.shared.cpu_samples.load(Ordering::Relaxed);
        stats
    }

    /// Closes the last generation (every handle has been dropped: they borrow the tracer),
    /// waits for the consumer to write everything, and returns the sink. Errors: the sink's
    /// first error ([`Error::Io`], or [`Error::SinkPanicked`]).
    pub fn finish(self) -> Result<W, Error> {
        self.finish_with_stats().map(|(out, _)| out)
    }

    /// [`finish`](Tracer::finish), and the figures of the whole trace: [`stats`](Tracer::stats)
    /// once the last generation is closed (with the statuses its end writes).
    ///
    /// ```
    /// # use gotrace_writer::modern::{Tracer, TracerOptions};
    /// use gotrace_format::{modern::EventType, Version};
    /// let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_26).procs(2))?;
    /// let mut m = tracer.thread(0)?;
    /// m.proc_start(10, tracer.proc(0)?).map_err(|r| r.error)?;
    /// drop(m);
    /// assert_eq!(tracer.stats().count(EventType::PROC_STATUS), 1);
    /// let (trace, stats) = tracer.finish_with_stats()?;
    /// assert_eq!(stats.count(EventType::PROC_STATUS), 2); // and idle P 1's, at the end
    /// assert_eq!(stats.bytes_written, trace.len() as u64);
    /// # Ok::<(), gotrace_writer::Error>(())
    /// ```
    pub fn finish_with_stats(mut self) -> Result<(W, Stats), Error> {
        self.shared.close(true);
        let out = self.consumer.join(&self.shared.pool)?;
        Ok((out, self.stats()))
    }
}

impl<W: Write + Send + 'static> Drop for Tracer<W> {
    /// A tracer dropped without [`finish`](Tracer::finish) stops its consumer (the last
    /// generation is lost).
    fn drop(&mut self) {
        let _ = self.consumer.join(&self.shared.pool);
    }
}

/// Gives a thread's state back to its slot.
pub(crate) fn return_thread(shared: &Shared, state: MState) {
    let m = state.m as usize;
    shared.slots.lock()[m].state = Some(state);
    shared.release();
}
