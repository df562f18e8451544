//! The tracer: the Go runtime's concurrent trace writer, in Rust.
//!
//! - Each producer holds a [`Proc`] (a P) that owns a 64 KiB buffer and encodes into it
//!   without locking.
//! - A full buffer goes to a FIFO queue and is replaced from a free list, under the pool lock;
//!   that lock is a leaf (see [`lockorder`](self::lockorder) and spec §12.9).
//! - A consumer thread drains full buffers to the sink while producers keep writing (the
//!   runtime's `ReadTrace`), sleeping on a condition variable when there is nothing to write.
//! - Strings and stacks are interned in tables with their own locks, released before anything
//!   is written; a string's record goes into the buffer of the P that used it first, the stack
//!   table is dumped at the end with the frequency footer.
//!
//! Lock ranks, lowest first: no-P buffer, CPU-sample buffer, P slots, GC/STW state, strings,
//! stacks, pool. A thread only takes locks of increasing rank; the pool lock is never held while
//! taking another, and nothing allocates, logs, panics, does I/O, emits events or waits under
//! it (the pool module says how). Debug builds check the order on every acquisition and on every
//! event write.
//!
//! Memory: at most [`TracerOptions::buffer_limit`] buffers of 64 KiB exist at once, plus the
//! string and stack tables. A producer that needs a buffer when all exist waits until the
//! consumer has written one (a sink slower than the producers slows them down; it never makes
//! memory grow).

pub(crate) mod buffer;
pub(crate) mod lockorder;
mod options;
pub(crate) mod pool;
mod proc;
pub(crate) mod state;
mod stats;
mod tables;

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use gotrace_format::legacy::EventType;
use gotrace_format::varint::MAX_LEN;
use gotrace_format::Version;

use buffer::Buffer;
pub use buffer::BUFFER_SIZE;
use lockorder::{Rank, RankedMutex};
pub use options::TracerOptions;
use pool::Pool;
pub use proc::Proc;
use proc::ProcState;
pub use state::{
    BlockReason, GcCycle, GcWorker, GoId, InSyscall, Region, Runnable, Stw, Task, TaskId, Waiting,
};
pub use stats::{EventKind, Stats};
pub use tables::{Frame, StackId, StringId};
use tables::{Stacks, Strings};

use crate::encoder::{put_frequency, Encoder, Event, StackFrame, Wire};
use crate::{Error, StateError};

#[derive(Debug)]
struct Slot {
    taken: bool,
    saved: Option<ProcState>,
}

#[derive(Debug, Default)]
struct World {
    gc_running: bool,
    gc_seq: u64,
    gc_floor: u64,
    stw_running: bool,
    stw_floor: u64,
}

/// What the producers, the consumer and the tracer share.
#[derive(Debug)]
pub(crate) struct Shared {
    version: Version,
    frequency: u64,
    pool: Pool,
    strings: Strings,
    stacks: Stacks,
    slots: RankedMutex<Vec<Slot>>,
    world: RankedMutex<World>,
    no_p: RankedMutex<ProcState>,
    profile: RankedMutex<ProcState>,
    next_g: AtomicU64,
    next_task: AtomicU64,
    bytes_written: AtomicU64,
}

impl Shared {
    fn new_goroutine_id(&self) -> u64 {
        self.next_g.fetch_add(1, Ordering::Relaxed)
    }

    fn new_task_id(&self) -> u64 {
        self.next_task.fetch_add(1, Ordering::Relaxed)
    }

    fn return_proc(&self, p: u32, st: ProcState) {
        let mut slots = self.slots.lock();
        let slot = &mut slots[p as usize];
        slot.saved = Some(st);
        slot.taken = false;
    }

    fn world_begin_gc(&self) -> Result<(u64, u64), StateError> {
        let mut w = self.world.lock();
        if w.gc_running {
            return Err(StateError::GcRunning);
        }
        w.gc_running = true;
        w.gc_seq += 1;
        Ok((w.gc_seq - 1, w.gc_floor))
    }

    fn world_end_gc(&self, tick: u64) {
        let mut w = self.world.lock();
        w.gc_running = false;
        // The next cycle starts a tick later: on another P at the same tick, it could be
        // ordered before this end.
        w.gc_floor = tick + 1;
    }

    fn world_begin_stw(&self) -> Result<u64, StateError> {
        let mut w = self.world.lock();
        if w.stw_running {
            return Err(StateError::StwRunning);
        }
        w.stw_running = true;
        Ok(w.stw_floor)
    }

    fn world_end_stw(&self, tick: u64) {
        let mut w = self.world.lock();
        w.stw_running = false;
        // As for GC cycles: the next stop starts a tick later.
        w.stw_floor = tick + 1;
    }
}

/// The concurrent trace writer: hands out P handles to producer threads, drains their full
/// buffers to a sink on a consumer thread of its own, and writes the footer on
/// [`finish`](Tracer::finish).
///
/// The sink gets the 16-byte header, then whole buffers (each one batch), then the footer:
/// Go 1.19 a loose `Frequency` record and the stack table in `Batch p=0` buffers; Go 1.21 one
/// `Batch p=0` starting with `Frequency`, then the stack table — as the runtime writes them.
///
/// ```
/// use gotrace_writer::{Frame, StackId, Tracer, TracerOptions};
/// use gotrace_format::Version;
/// let tracer = Tracer::new(Vec::new(), TracerOptions::new(Version::Go1_21).procs(4))?;
/// let main = tracer.stack(&[Frame { pc: 0x401000, func: "main.main", file: "main.go", line: 3 }])?;
/// std::thread::scope(|s| {
///     for p in 0..4 {
///         let mut proc = tracer.proc(p).unwrap();
///         s.spawn(move || {
///             proc.proc_start(1000, u64::from(p)).unwrap();
///             for i in 0..1000u64 {
///                 let g = proc.go_create(1001 + 3 * i, main, StackId::NONE).unwrap();
///                 proc.go_start(1002 + 3 * i, g).unwrap();
///                 proc.go_end(1003 + 3 * i).unwrap();
///             }
///         });
///     }
/// });
/// assert_eq!(tracer.stats().events(), 4 * (1 + 3 * 1000));
/// let trace: Vec<u8> = tracer.finish()?;
/// assert_eq!(&trace[..16], b"go 1.21 trace\0\0\0");
/// # Ok::<(), gotrace_writer::Error>(())
/// ```
#[derive(Debug)]
pub struct Tracer<W: Write + Send + 'static> {
    shared: Arc<Shared>,
    consumer: Consumer<W>,
}

impl<W: Write + Send + 'static> Tracer<W> {
    /// Starts tracing into `out`: the consumer thread writes the header and then buffers as
    /// they fill. Errors: [`Error::UnsupportedVersion`], [`Error::Io`] if the thread cannot be
    /// spawned.
    pub fn new(out: W, options: TracerOptions) -> Result<Tracer<W>, Error> {
        let version = Encoder::new(options.version)?.version();
        let slots = (0..options.procs).map(|_| Slot { taken: false, saved: None }).collect();
        let shared = Arc::new(Shared {
            version,
            frequency: options.frequency,
            pool: Pool::new(options.buffer_limit()),
            strings: Strings::new(),
            stacks: Stacks::new(),
            slots: RankedMutex::new(Rank::Slots, slots),
            world: RankedMutex::new(Rank::World, World::default()),
            no_p: RankedMutex::new(Rank::NoP, ProcState::new(-1)),
            profile: RankedMutex::new(Rank::Profile, ProcState::new(0)),
            next_g: AtomicU64::new(1),
            next_task: AtomicU64::new(1),
            bytes_written: AtomicU64::new(0),
        });
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

    /// The handle of P `p`, for one producer at a time; it resumes where the previous holder
    /// left (buffer, clock, running goroutine). Errors: [`Error::ProcOutOfRange`],
    /// [`Error::ProcTaken`].
    pub fn proc(&self, p: u32) -> Result<Proc<'_>, Error> {
        let mut slots = self.shared.slots.lock();
        let procs = slots.len() as u32;
        let slot = slots.get_mut(p as usize).ok_or(Error::ProcOutOfRange { p, procs })?;
        if slot.taken {
            return Err(Error::ProcTaken { p });
        }
        slot.taken = true;
        let st = slot.saved.take().unwrap_or_else(|| ProcState::new(i64::from(p)));
        drop(slots);
        Ok(Proc::new(&self.shared, st, p))
    }

    /// Runs `f` with the no-P handle: events written by a thread that holds no P (its batches
    /// say P −1), such as a network poller unblocking goroutines. The no-P buffer's lock is
    /// held meanwhile (it ranks lowest: `f` may take P handles and intern stacks, but must not
    /// call `with_no_p` again).
    ///
    /// ```
    /// # use gotrace_writer::{BlockReason, Frame, StackId, Tracer, TracerOptions};
    /// # let tracer = Tracer::new(Vec::new(), TracerOptions::default())?;
    /// # let start = tracer.stack(&[Frame { pc: 1, func: "main.f", file: "f.go", line: 1 }])?;
    /// let mut p = tracer.proc(0)?;
    /// p.proc_start(10, 0)?;
    /// let g = p.go_create(11, start, StackId::NONE)?;
    /// p.go_start(12, g).map_err(|r| r.error)?;
    /// let g = p.go_block(13, BlockReason::Net, StackId::NONE)?;
    /// let g = tracer.with_no_p(|no_p| no_p.go_unblock(20, g, StackId::NONE));
    /// p.go_start(21, g).map_err(|r| r.error)?;
    /// # Ok::<(), gotrace_writer::Error>(())
    /// ```
    pub fn with_no_p<R>(&self, f: impl FnOnce(&mut Proc<'_>) -> R) -> R {
        let mut guard = self.shared.no_p.lock();
        let st = std::mem::replace(&mut *guard, ProcState::new(-1));
        let mut proc = Proc::no_p(&self.shared, st);
        let result = f(&mut proc);
        *guard = proc.into_state();
        result
    }

    /// The id of the stack `frames` (innermost first), interned in the stack table (its own
    /// lock, held for the lookup only; finding a known stack does not allocate). Stack records
    /// are written with the footer. Errors: [`Error::StackEmpty`], [`Error::StackTooDeep`].
    pub fn stack(&self, frames: &[Frame<'_>]) -> Result<StackId, Error> {
        self.shared.stacks.intern(frames)
    }

    /// A CPU profile sample taken at `real_ticks` on P `p` (`None`: a thread without a P)
    /// running goroutine `g`: `CPUSample`, written into the CPU-sample buffer (batch P 0), as
    /// the runtime writes samples late, apart from the Ps' events.
    pub fn cpu_sample(&self, real_ticks: u64, p: Option<u32>, g: Option<GoId>, stack: StackId) {
        let event = Event::CpuSample {
            real_ticks,
            p: p.map_or(-1, i64::from),
            g: g.map_or(0, GoId::get),
            stack: stack.get(),
        };
        if let Ok(wire) = Wire::of(&event, self.shared.version) {
            self.shared.profile.lock().write(&self.shared, real_ticks, &wire, None);
        }
    }

    /// Figures so far (events of P handles still held are counted once they are dropped).
    #[must_use]
    pub fn stats(&self) -> Stats {
        let mut stats = Stats::new(&self.shared.pool, self.shared.bytes_written.load(Ordering::Relaxed));
        for slot in self.shared.slots.lock().iter() {
            if let Some(st) = &slot.saved {
                stats.add(&st.counts);
            }
        }
        stats.add(&self.shared.no_p.lock().counts);
        stats.add(&self.shared.profile.lock().counts);
        stats.cpu_samples = stats.count(EventType::CPU_SAMPLE);
        stats
    }

    /// Queues every buffer (the Ps' in P order, then the no-P and CPU-sample buffers), writes
    /// the footer (frequency and stack table), waits for the consumer to write everything, and
    /// returns the sink. Errors: the sink's first error ([`Error::Io`], or
    /// [`Error::SinkPanicked`]); every buffer is released either way.
    pub fn finish(mut self) -> Result<W, Error> {
        let shared = &*self.shared;
        let states: Vec<ProcState> =
            shared.slots.lock().iter_mut().filter_map(|slot| slot.saved.take()).collect();
        let mut max_tick = 0;
        let mut give_back = |st: ProcState| {
            max_tick = max_tick.max(st.last);
            shared.pool.give_back(st.buf);
        };
        states.into_iter().for_each(&mut give_back);
        give_back(std::mem::replace(&mut *shared.no_p.lock(), ProcState::new(-1)));
        give_back(std::mem::replace(&mut *shared.profile.lock(), ProcState::new(0)));

        // The footer, in the dump buffers of P 0.
        let mut dump = ProcState::new(0);
        dump.last = max_tick + 1;
        let frequency = |dst: &mut [u8]| put_frequency(dst, shared.frequency);
        if shared.version >= Version::Go1_21 {
            dump.write_record(shared, 1 + MAX_LEN, frequency);
        } else {
            // Go 1.19: a loose record, outside any batch, before the stack dump.
            let mut buf = shared.pool.exchange(Buffer::placeholder());
            buf.put(frequency);
            shared.pool.give_back(buf);
        }
        for (index, frames) in shared.stacks.take_all().iter().enumerate() {
            let mut ids = Vec::with_capacity(frames.len());
            for f in frames.iter() {
                let mut string = |text: &str| {
                    let (id, new) = shared.strings.intern(text);
                    if new {
                        dump.write_string(shared, id, text);
                    }
                    id.get()
                };
                let func = string(&f.func);
                let file = string(&f.file);
                ids.push(StackFrame { pc: f.pc, func, file, line: f.line });
            }
            dump.write_stack(shared, index as u64 + 1, &ids);
        }
        shared.pool.give_back(std::mem::take(&mut dump.buf));
        self.consumer.join(&self.shared.pool)
    }
}

impl<W: Write + Send + 'static> Drop for Tracer<W> {
    /// A tracer dropped without [`finish`](Tracer::finish) stops its consumer (the trace
    /// lacks its footer).
    fn drop(&mut self) {
        let _ = self.consumer.join(&self.shared.pool);
    }
}

/// The consumer thread of a tracer, legacy or modern, until joined.
#[derive(Debug)]
pub(crate) struct Consumer<W>(Option<JoinHandle<Result<W, Error>>>);

impl<W: Send + 'static> Consumer<W> {
    /// Spawns the consumer thread running `run` (a [`consume`]). Errors: [`Error::Io`] if the
    /// thread cannot be spawned.
    pub(crate) fn spawn(
        run: impl FnOnce() -> Result<W, Error> + Send + 'static,
    ) -> Result<Consumer<W>, Error> {
        let handle = std::thread::Builder::new().name("gotrace-consumer".into()).spawn(run);
        Ok(Consumer(Some(handle.map_err(Error::Io)?)))
    }

    /// Shuts `pool` down and waits for the consumer; returns its result the first time
    /// ([`Error::SinkPanicked`] after).
    pub(crate) fn join(&mut self, pool: &Pool) -> Result<W, Error> {
        pool.shut_down();
        match self.0.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) | None => Err(Error::SinkPanicked),
        }
    }
}

/// The consumer: writes `header`, then every full buffer in queue order, until shut down,
/// counting bytes in `written`. After a sink error it keeps recycling buffers (dropping their
/// bytes) so that producers never wait for it, and returns that error at the end. The legacy
/// and the modern tracer share it.
pub(crate) fn consume<W: Write>(
    pool: &Pool,
    header: &[u8],
    written: &AtomicU64,
    mut out: W,
) -> Result<W, Error> {
    let mut failure = write_guarded(&mut out, header).err();
    if failure.is_some() {
        pool.fail();
    } else {
        written.fetch_add(header.len() as u64, Ordering::Relaxed);
    }
    let mut done = None;
    while let Some(buf) = pool.next_full(done.take()) {
        if failure.is_none() {
            match write_guarded(&mut out, buf.bytes()) {
                Ok(()) => {
                    written.fetch_add(buf.bytes().len() as u64, Ordering::Relaxed);
                }
                Err(e) => {
                    failure = Some(e);
                    pool.fail();
                }
            }
        }
        done = Some(buf);
    }
    if failure.is_none() {
        failure = match catch_unwind(AssertUnwindSafe(|| out.flush())) {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(Error::Io(e)),
            Err(_) => Some(Error::SinkPanicked),
        };
    }
    match failure {
        None => Ok(out),
        Some(e) => Err(e),
    }
}

/// `out.write_all(bytes)`, with a panic of the sink turned into an error.
fn write_guarded<W: Write>(out: &mut W, bytes: &[u8]) -> Result<(), Error> {
    match catch_unwind(AssertUnwindSafe(|| out.write_all(bytes))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Error::Io(e)),
        Err(_) => Err(Error::SinkPanicked),
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    /// The pool lock is a leaf: writing an event while holding it is a violation, caught even
    /// though the buffer has room (no flush, so the lock would not actually be taken).
    #[test]
    #[should_panic(expected = "lock order violation: acquiring Pool")]
    fn an_event_under_the_pool_lock_fires_without_a_flush() {
        let tracer = Tracer::new(std::io::sink(), TracerOptions::default()).unwrap();
        let mut p = tracer.proc(0).unwrap();
        p.heap_alloc(1, 1);
        tracer.shared.pool.with_lock_held(|| p.heap_alloc(2, 2));
    }

    /// Interning a string takes the strings lock, which ranks below the pool lock.
    #[test]
    #[should_panic(expected = "lock order violation: acquiring Strings")]
    fn interning_under_the_pool_lock_fires() {
        let tracer = Tracer::new(std::io::sink(), TracerOptions::default()).unwrap();
        let mut p = tracer.proc(0).unwrap();
        tracer.shared.pool.with_lock_held(|| p.string("x"));
    }

    /// The orders the tracer itself uses pass: the no-P lock, then a flush under it.
    #[test]
    fn the_tracer_s_own_orders_pass() {
        let tracer = Tracer::new(std::io::sink(), TracerOptions::default()).unwrap();
        tracer.with_no_p(|p| {
            for i in 0..100_000 {
                p.heap_alloc(i, i);
            }
            let _ = p.string("under the no-P lock");
        });
        assert!(tracer.stats().events() == 100_000);
        tracer.finish().unwrap();
    }
}
