//! Writing and reading back: arbitrary records through the [`Encoder`], arbitrary calls of the
//! [`Tracer`]'s state model, read back by the raw reader and the ordered parser.

use arbitrary::{Arbitrary, Unstructured};
use gotrace_format::legacy::{EventType, RawEvent, StwReason};
use gotrace_format::Version;
use gotrace_parser::legacy::{RawEvents, Trace};
use gotrace_parser::Options;
use gotrace_writer::{
    BlockReason, Encoder, Event, Frame, GcCycle, GcWorker, InSyscall, Proc, Region, Runnable, StackFrame,
    StackId, StateError, Stw, Task, TaskId, Tracer, TracerOptions, Waiting,
};

/// One record for the [`Encoder`].
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
enum Record<'a> {
    Batch { p: i64, ticks: u64 },
    Event { dt: u64, event: Event<'a> },
    String { id: u64, text: &'a [u8] },
    Stack { id: u64, frames: Vec<StackFrame> },
    Frequency(u64),
    TimerGoroutine(u64),
}

/// Arbitrary records (and events) through the [`Encoder`] and, from the same bytes, arbitrary
/// calls of the [`Tracer`]'s state model; what is written reads back as what was written.
///
/// - Encoder: every record it accepts (a Go 1.19 or 1.21 trace, the first input byte says which)
///   is read back by the raw reader as the same record, field for field, decoded here
///   independently of the encoder; where the ordered parser accepts the bytes, it orders as
///   many events of each type as were written.
/// - Tracer: the trace is accepted, strict, by the raw reader and by the ordered parser, and
///   both count as many events of each type as the tracer says it wrote, and as many per P.
///
/// Panics when a property fails; any input is valid. Returns the events written.
///
/// ```
/// let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/write_read/xorshift-24-4096");
/// let written = gotrace::selfcheck::write_read(&std::fs::read(seed)?);
/// assert!(written.encoder.iter().sum::<usize>() > 10);
/// assert!(written.tracer.iter().sum::<usize>() > 10);
/// gotrace::selfcheck::write_read(b"any bytes at all");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_read(data: &[u8]) -> Written {
    let (mode, rest) = data.split_first().unwrap_or((&0, &[]));
    let version = if mode & 1 == 0 { Version::Go1_19 } else { Version::Go1_21 };
    Written {
        encoder: encoder_read(version, &mut Unstructured::new(rest)),
        tracer: tracer_read(version, &mut Unstructured::new(rest)),
    }
}

/// The events [`write_read`] wrote (and read back), per type code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// By the encoder.
    pub encoder: [usize; EventType::COUNT as usize],
    /// By the tracer.
    pub tracer: [usize; EventType::COUNT as usize],
}

fn encoder_read(version: Version, u: &mut Unstructured<'_>) -> [usize; EventType::COUNT as usize] {
    let enc = Encoder::new(version).expect("1.19 and 1.21 are written");
    let mut out = version.header().to_vec();
    let mut written = Vec::new();
    while !u.is_empty() {
        let Ok(record) = Record::arbitrary(u) else { break };
        let before = out.len();
        let accepted = match &record {
            Record::Batch { p, ticks } => {
                enc.batch(&mut out, *p, *ticks);
                true
            }
            Record::Event { dt, event } => enc.event(&mut out, *dt, event).is_ok(),
            Record::String { id, text } => enc.string(&mut out, *id, text).is_ok(),
            Record::Stack { id, frames } => enc.stack(&mut out, *id, frames).is_ok(),
            Record::Frequency(f) => {
                enc.frequency(&mut out, *f);
                true
            }
            Record::TimerGoroutine(g) => {
                enc.timer_goroutine(&mut out, *g);
                true
            }
        };
        if accepted {
            written.push(record);
        } else {
            assert_eq!(out.len(), before, "a refused record writes nothing");
        }
    }
    let events = RawEvents::new(&out).expect("the header");
    let mut read = 0;
    let mut counts = [0usize; EventType::COUNT as usize];
    for (i, ev) in events.enumerate() {
        let ev = ev.unwrap_or_else(|e| panic!("record {i} of {written:?}: {e}"));
        assert_eq!(Some(&decode(&ev)), written.get(i), "record {i}");
        counts[usize::from(ev.event_type().code())] += usize::from(ev.event_type().has_timestamp());
        read += 1;
    }
    assert_eq!(read, written.len(), "every record read back");
    // Rarely valid; when it is, the ordered events are the written ones (less futile wakeups,
    // which Go's parser removes with the unblock and the block they concern).
    if let Ok(trace) = Trace::from_slice(&out) {
        if counts[usize::from(EventType::FUTILE_WAKEUP.code())] == 0 {
            assert_eq!(type_counts(&trace), as_ordered(counts), "the ordered parser's events");
        }
    }
    counts
}

/// How many events of each type code the ordered parser gives.
fn type_counts(trace: &Trace) -> [usize; EventType::COUNT as usize] {
    let mut counts = [0; EventType::COUNT as usize];
    for ev in trace.events() {
        counts[usize::from(ev.event_type().code())] += 1;
    }
    counts
}

/// `counts` as the ordered parser gives them: Go's parser makes the `…Local` events of a
/// goroutine's previous P plain `GoStart`, `GoUnblock`, `GoSysExit`.
fn as_ordered(mut counts: [usize; EventType::COUNT as usize]) -> [usize; EventType::COUNT as usize] {
    use EventType as T;
    for (local, plain) in [
        (T::GO_START_LOCAL, T::GO_START),
        (T::GO_UNBLOCK_LOCAL, T::GO_UNBLOCK),
        (T::GO_SYS_EXIT_LOCAL, T::GO_SYS_EXIT),
    ] {
        counts[usize::from(plain.code())] += std::mem::take(&mut counts[usize::from(local.code())]);
    }
    counts
}

/// The record `ev` stands for, read by Go's argument names (the mirror of the encoder).
fn decode<'a>(ev: &RawEvent<'a>) -> Record<'a> {
    let v: Vec<u64> = ev.values().collect();
    let message = || ev.text().expect("a message").bytes();
    let version = ev.version();
    use EventType as T;
    let event = match ev.event_type() {
        T::BATCH => return Record::Batch { p: v[0] as i64, ticks: v[1] },
        T::FREQUENCY => return Record::Frequency(v[0]),
        T::TIMER_GOROUTINE => return Record::TimerGoroutine(v[0]),
        T::STRING => return Record::String { id: v[0], text: ev.text().expect("a text").bytes() },
        T::STACK => {
            assert_eq!(v.len() as u64, 2 + 4 * v[1], "frames of the stack record");
            let frames = v[2..]
                .chunks(4)
                .map(|f| StackFrame { pc: f[0], func: f[1], file: f[2], line: f[3] })
                .collect();
            return Record::Stack { id: v[0], frames };
        }
        T::GOMAXPROCS => Event::Gomaxprocs { procs: v[1], stack: v[2] },
        T::PROC_START => Event::ProcStart { thread: v[1] },
        T::PROC_STOP => Event::ProcStop,
        T::GC_START => Event::GcStart { seq: v[1], stack: v[2] },
        T::GC_DONE => Event::GcDone,
        T::STW_START => {
            Event::StwStart { reason: StwReason::from_code(v[1], version).expect("a reason the version has") }
        }
        T::STW_DONE => Event::StwDone,
        T::GC_SWEEP_START => Event::GcSweepStart { stack: v[1] },
        T::GC_SWEEP_DONE => Event::GcSweepDone { swept: v[1], reclaimed: v[2] },
        T::GO_CREATE => Event::GoCreate { g: v[1], start_stack: v[2], stack: v[3] },
        T::GO_START => Event::GoStart { g: v[1], seq: v[2] },
        T::GO_END => Event::GoEnd,
        T::GO_STOP => Event::GoStop { stack: v[1] },
        T::GO_SCHED => Event::GoSched { stack: v[1] },
        T::GO_PREEMPT => Event::GoPreempt { stack: v[1] },
        T::GO_SLEEP => Event::GoSleep { stack: v[1] },
        T::GO_BLOCK => Event::GoBlock { stack: v[1] },
        T::GO_UNBLOCK => Event::GoUnblock { g: v[1], seq: v[2], stack: v[3] },
        T::GO_BLOCK_SEND => Event::GoBlockSend { stack: v[1] },
        T::GO_BLOCK_RECV => Event::GoBlockRecv { stack: v[1] },
        T::GO_BLOCK_SELECT => Event::GoBlockSelect { stack: v[1] },
        T::GO_BLOCK_SYNC => Event::GoBlockSync { stack: v[1] },
        T::GO_BLOCK_COND => Event::GoBlockCond { stack: v[1] },
        T::GO_BLOCK_NET => Event::GoBlockNet { stack: v[1] },
        T::GO_SYS_CALL => Event::GoSysCall { stack: v[1] },
        T::GO_SYS_EXIT => Event::GoSysExit { g: v[1], seq: v[2], real_ticks: v[3] },
        T::GO_SYS_BLOCK => Event::GoSysBlock,
        T::GO_WAITING => Event::GoWaiting { g: v[1] },
        T::GO_IN_SYSCALL => Event::GoInSyscall { g: v[1] },
        T::HEAP_ALLOC => Event::HeapAlloc { mem: v[1] },
        T::HEAP_GOAL => Event::HeapGoal { mem: v[1] },
        T::FUTILE_WAKEUP => Event::FutileWakeup,
        T::GO_START_LOCAL => Event::GoStartLocal { g: v[1] },
        T::GO_UNBLOCK_LOCAL => Event::GoUnblockLocal { g: v[1], stack: v[2] },
        T::GO_SYS_EXIT_LOCAL => Event::GoSysExitLocal { g: v[1], real_ticks: v[2] },
        T::GO_START_LABEL => Event::GoStartLabel { g: v[1], seq: v[2], label: v[3] },
        T::GO_BLOCK_GC => Event::GoBlockGc { stack: v[1] },
        T::GC_MARK_ASSIST_START => Event::GcMarkAssistStart { stack: v[1] },
        T::GC_MARK_ASSIST_DONE => Event::GcMarkAssistDone,
        T::USER_TASK_CREATE => Event::UserTaskCreate { task: v[1], parent: v[2], name: v[3], stack: v[4] },
        T::USER_TASK_END => Event::UserTaskEnd { task: v[1], stack: v[2] },
        T::USER_REGION => Event::UserRegion { task: v[1], mode: v[2], name: v[3], stack: v[4] },
        T::USER_LOG => Event::UserLog { task: v[1], key: v[2], stack: v[3], message: message() },
        T::CPU_SAMPLE => Event::CpuSample { real_ticks: v[1], p: v[2] as i64, g: v[3], stack: v[4] },
        t => panic!("the encoder wrote no {t:?}"),
    };
    Record::Event { dt: v[0], event }
}

/// One call of the tracer's state model; `p` picks a P handle, `g`, `t` and `r` a goroutine,
/// task or region handle of the right kind, `stack` one of the interned stacks.
#[derive(Arbitrary, Debug)]
enum Call<'a> {
    Wait(u16),
    Stack { func: &'a str, depth: u8 },
    ProcStart { p: u8, thread: u8 },
    ProcStop { p: u8 },
    Gomaxprocs { p: u8, procs: u8, stack: u8 },
    Create { p: u8, how: u8, stack: u8 },
    Start { p: u8, g: u8 },
    StartLabel { p: u8, g: u8, worker: GcWorker },
    End { p: u8 },
    Stop { p: u8, stack: u8 },
    Sched { p: u8, stack: u8 },
    Preempt { p: u8, stack: u8 },
    Sleep { p: u8, stack: u8 },
    Block { p: u8, reason: BlockReason, stack: u8 },
    Unblock { p: Option<u8>, g: u8, stack: u8 },
    Syscall { p: u8, stack: u8 },
    SysBlock { p: u8 },
    SysExit { p: u8, g: u8, real: bool },
    GcStart { p: u8, stack: u8 },
    GcDone { p: u8 },
    StwStart { p: u8, reason: u8 },
    StwDone { p: u8 },
    SweepStart { p: u8, stack: u8 },
    SweepDone { p: u8, swept: u64, reclaimed: u64 },
    AssistStart { p: u8, stack: u8 },
    AssistDone { p: u8 },
    Heap { p: u8, goal: bool, bytes: u64 },
    TaskCreate { p: u8, parent: Option<u8>, name: &'a str, stack: u8 },
    TaskEnd { p: u8, t: u8, stack: u8 },
    RegionStart { p: u8, t: Option<u8>, name: &'a str, stack: u8 },
    RegionEnd { p: u8, r: u8, stack: u8 },
    Log { p: u8, t: Option<u8>, key: &'a str, message: &'a str, stack: u8 },
    CpuSample { p: Option<u8>, g: u8, stack: u8 },
}

/// A call the state model may refuse (a goroutine that is not running, a P not started…):
/// refused calls write nothing, which the checks see.
fn refusable<T>(_: Result<T, StateError>) {}

/// Takes the `i`-th handle (modulo their number) out of `v`, if there is one.
fn take<T>(v: &mut Vec<T>, i: u8) -> Option<T> {
    (!v.is_empty()).then(|| v.swap_remove(usize::from(i) % v.len()))
}

/// The `i`-th element of `v` (modulo its length), if there is one.
fn pick<T: Copy>(v: &[T], i: u8) -> Option<T> {
    (!v.is_empty()).then(|| v[usize::from(i) % v.len()])
}

/// The handles the calls play with.
#[derive(Default)]
struct Handles {
    stacks: Vec<StackId>,
    runnable: Vec<Runnable>,
    waiting: Vec<Waiting>,
    syscall: Vec<InSyscall>,
    tasks: Vec<Task>,
    regions: Vec<Region>,
    gc: Option<GcCycle>,
    stw: Option<Stw>,
}

impl Handles {
    fn stack(&self, i: u8) -> StackId {
        // One in eight: no stack.
        if i % 8 == 0 {
            StackId::NONE
        } else {
            pick(&self.stacks, i).unwrap_or(StackId::NONE)
        }
    }

    fn task(&self, i: Option<u8>) -> TaskId {
        i.and_then(|i| self.tasks.get(usize::from(i) % self.tasks.len().max(1)))
            .map_or(TaskId::BACKGROUND, Task::id)
    }
}

const PROCS: u32 = 3;

fn tracer_read(version: Version, u: &mut Unstructured<'_>) -> [usize; EventType::COUNT as usize] {
    let options = TracerOptions::new(version).procs(PROCS).frequency(15_625_000);
    let tracer = Tracer::new(Vec::new(), options).expect("a tracer");
    let mut procs: Vec<Proc<'_>> = (0..PROCS).map(|p| tracer.proc(p).expect("a P")).collect();
    let mut h = Handles::default();
    let main = Frame { pc: 0x401000, func: "main.main", file: "main.go", line: 10 };
    h.stacks.push(tracer.stack(&[main]).expect("a stack"));
    let mut now = 1_000u64;
    // As the runtime does when tracing starts.
    procs[0].gomaxprocs(now, PROCS, StackId::NONE);
    while !u.is_empty() {
        let Ok(call) = Call::arbitrary(u) else { break };
        now += 1;
        step(&tracer, &mut procs, &mut h, &mut now, call);
    }
    // What a runtime ends before it stops tracing (strict mode wants them ended).
    now += 1;
    if let Some(stw) = h.stw.take() {
        procs[0].stw_done(now, stw);
    }
    if let Some(cycle) = h.gc.take() {
        procs[0].gc_done(now, cycle);
    }
    for p in &mut procs {
        refusable(p.gc_sweep_done(now, 0, 0));
    }
    let per_p: Vec<u64> = procs.iter().map(Proc::events).collect();
    drop(procs);
    let stats = tracer.stats();
    drop(h);
    let trace = tracer.finish().expect("writing to memory");

    let strict = Options::default().strict(true);
    let mut counts = [0usize; EventType::COUNT as usize];
    let mut batch_p = None;
    let mut read_per_p = vec![0u64; PROCS as usize];
    for ev in RawEvents::with_options(&trace, strict).expect("the header") {
        let ev = ev.unwrap_or_else(|e| panic!("the tracer's trace does not read: {e}"));
        let t = ev.event_type();
        if t == EventType::BATCH {
            batch_p = ev.value(0);
        } else if t.has_timestamp() {
            counts[usize::from(t.code())] += 1;
            // CPU samples go to a buffer of their own, in batches of P 0.
            if t != EventType::CPU_SAMPLE {
                if let Some(n) = batch_p.and_then(|p| read_per_p.get_mut(p as usize)) {
                    *n += 1;
                }
            }
        }
    }
    for code in 1..EventType::COUNT {
        let t = EventType::from_code(code, version);
        let want = t.map_or(0, |t| stats.count(t)) as usize;
        assert_eq!(counts[usize::from(code)], want, "raw events of type {t:?}");
    }
    assert_eq!(read_per_p, per_p, "events per P");
    if counts.iter().all(|&n| n == 0) {
        let e = Trace::from_slice_with(&trace, strict).expect_err("no events");
        assert_eq!(e.message(), "trace is empty");
        return counts;
    }
    let ordered = Trace::from_slice_with(&trace, strict)
        .unwrap_or_else(|e| panic!("the tracer's trace does not order: {e}"));
    assert_eq!(type_counts(&ordered), as_ordered(counts), "the ordered parser's events");
    counts
}

fn step<'t, W: std::io::Write + Send + 'static>(
    tracer: &'t Tracer<W>,
    procs: &mut [Proc<'t>],
    h: &mut Handles,
    now: &mut u64,
    call: Call<'_>,
) {
    let ts = *now;
    let p = |i: u8| usize::from(i) % procs.len();
    match call {
        Call::Wait(d) => *now += u64::from(d),
        Call::Stack { func, depth } => {
            let frame = Frame { pc: 0x402000 + u64::from(depth), func, file: "f.go", line: u64::from(depth) };
            let frames = vec![frame; usize::from(depth % 8) + 1];
            h.stacks.push(tracer.stack(&frames).expect("1 to 8 frames"));
        }
        Call::ProcStart { p: i, thread } => refusable(procs[p(i)].proc_start(ts, u64::from(thread))),
        Call::ProcStop { p: i } => refusable(procs[p(i)].proc_stop(ts)),
        Call::Gomaxprocs { p: i, procs: n, stack } => {
            procs[p(i)].gomaxprocs(ts, u32::from(n), h.stack(stack))
        }
        Call::Create { p: i, how, stack } => {
            let start = pick(&h.stacks, how).expect("main.main");
            let stack = h.stack(stack);
            let pr = &mut procs[p(i)];
            match how % 3 {
                0 => h.runnable.extend(pr.go_create(ts, start, stack)),
                1 => h.waiting.extend(pr.go_create_waiting(ts, start, stack)),
                _ => h.syscall.extend(pr.go_create_in_syscall(ts, start, stack)),
            }
        }
        Call::Start { p: i, g } => {
            if let Some(g) = take(&mut h.runnable, g) {
                if let Err(refused) = procs[p(i)].go_start(ts, g) {
                    h.runnable.push(refused.handle);
                }
            }
        }
        Call::StartLabel { p: i, g, worker } => {
            if let Some(g) = take(&mut h.runnable, g) {
                if let Err(refused) = procs[p(i)].go_start_label(ts, g, worker) {
                    h.runnable.push(refused.handle);
                }
            }
        }
        Call::End { p: i } => refusable(procs[p(i)].go_end(ts)),
        Call::Stop { p: i, stack } => refusable(procs[p(i)].go_stop(ts, h.stack(stack))),
        Call::Sched { p: i, stack } => h.runnable.extend(procs[p(i)].go_sched(ts, h.stack(stack))),
        Call::Preempt { p: i, stack } => h.runnable.extend(procs[p(i)].go_preempt(ts, h.stack(stack))),
        Call::Sleep { p: i, stack } => h.waiting.extend(procs[p(i)].go_sleep(ts, h.stack(stack))),
        Call::Block { p: i, reason, stack } => {
            h.waiting.extend(procs[p(i)].go_block(ts, reason, h.stack(stack)))
        }
        Call::Unblock { p: i, g, stack } => {
            if let Some(g) = take(&mut h.waiting, g) {
                let stack = h.stack(stack);
                let g = match i {
                    Some(i) => procs[p(i)].go_unblock(ts, g, stack),
                    None => tracer.with_no_p(|no_p| no_p.go_unblock(ts, g, stack)),
                };
                h.runnable.push(g);
            }
        }
        Call::Syscall { p: i, stack } => refusable(procs[p(i)].go_syscall(ts, h.stack(stack))),
        Call::SysBlock { p: i } => h.syscall.extend(procs[p(i)].go_sys_block(ts)),
        Call::SysExit { p: i, g, real } => {
            if let Some(g) = take(&mut h.syscall, g) {
                h.runnable.push(procs[p(i)].go_sys_exit(ts, g, if real { ts } else { 0 }));
            }
        }
        Call::GcStart { p: i, stack } => {
            if h.gc.is_none() {
                h.gc = procs[p(i)].gc_start(ts, h.stack(stack)).ok();
            }
        }
        Call::GcDone { p: i } => {
            if let Some(cycle) = h.gc.take() {
                procs[p(i)].gc_done(ts, cycle);
            }
        }
        Call::StwStart { p: i, reason } => {
            if h.stw.is_none() {
                let reason = StwReason::from_code(u64::from(reason % 17), Version::Go1_21).expect("0 to 16");
                h.stw = procs[p(i)].stw_start(ts, reason).ok();
            }
        }
        Call::StwDone { p: i } => {
            if let Some(stw) = h.stw.take() {
                procs[p(i)].stw_done(ts, stw);
            }
        }
        Call::SweepStart { p: i, stack } => refusable(procs[p(i)].gc_sweep_start(ts, h.stack(stack))),
        Call::SweepDone { p: i, swept, reclaimed } => {
            refusable(procs[p(i)].gc_sweep_done(ts, swept, reclaimed))
        }
        Call::AssistStart { p: i, stack } => refusable(procs[p(i)].gc_mark_assist_start(ts, h.stack(stack))),
        Call::AssistDone { p: i } => refusable(procs[p(i)].gc_mark_assist_done(ts)),
        Call::Heap { p: i, goal: false, bytes } => procs[p(i)].heap_alloc(ts, bytes),
        Call::Heap { p: i, goal: true, bytes } => procs[p(i)].heap_goal(ts, bytes),
        Call::TaskCreate { p: i, parent, name, stack } => {
            let parent = h.task(parent);
            let pr = &mut procs[p(i)];
            let name = pr.string(name);
            let task = pr.task_create(ts, parent, name, h.stack(stack));
            h.tasks.push(task);
        }
        Call::TaskEnd { p: i, t, stack } => {
            if let Some(task) = take(&mut h.tasks, t) {
                procs[p(i)].task_end(ts, task, h.stack(stack));
            }
        }
        Call::RegionStart { p: i, t, name, stack } => {
            let task = h.task(t);
            let pr = &mut procs[p(i)];
            let name = pr.string(name);
            h.regions.extend(pr.region_start(ts, task, name, h.stack(stack)));
        }
        Call::RegionEnd { p: i, r, stack } => {
            if let Some(region) = take(&mut h.regions, r) {
                if let Err(refused) = procs[p(i)].region_end(ts, region, h.stack(stack)) {
                    h.regions.push(refused.handle);
                }
            }
        }
        Call::Log { p: i, t, key, message, stack } => {
            let task = h.task(t);
            let pr = &mut procs[p(i)];
            let key = pr.string(key);
            pr.log(ts, task, key, message, h.stack(stack));
        }
        Call::CpuSample { p: i, g, stack } => {
            let on = i.map(|i| p(i) as u32);
            let running = on.and_then(|q| procs[q as usize].running());
            let g = if g % 2 == 0 { running } else { None };
            tracer.cpu_sample(ts, on, g, h.stack(stack));
        }
    }
}
