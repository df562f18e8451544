//! The workload's stacks: runtime frames at the leaf, user frames above.

use super::rng::Rng;
use crate::{Error, Frame, StackId};

/// The stacks of the workload, by what the goroutine is doing.
#[derive(Debug)]
pub(crate) struct Stacks {
    /// One-frame stacks of start functions.
    pub(crate) starts: Vec<StackId>,
    /// Where goroutines are created.
    pub(crate) create: Vec<StackId>,
    pub(crate) send: Vec<StackId>,
    pub(crate) recv: Vec<StackId>,
    pub(crate) select: Vec<StackId>,
    pub(crate) sync: Vec<StackId>,
    pub(crate) cond: Vec<StackId>,
    pub(crate) other: Vec<StackId>,
    pub(crate) net: Vec<StackId>,
    pub(crate) sleep: Vec<StackId>,
    pub(crate) syscall: Vec<StackId>,
    pub(crate) sched: Vec<StackId>,
    pub(crate) gc: Vec<StackId>,
    pub(crate) user: Vec<StackId>,
    pub(crate) worker: StackId,
}

const USER_FUNCS: [&str; 12] = [
    "main.main",
    "main.(*server).handle",
    "main.(*server).serve",
    "main.worker",
    "main.producer",
    "main.consumer",
    "main.process",
    "main.(*cache).get",
    "main.(*cache).fill",
    "encoding/json.Marshal",
    "net/http.(*conn).serve",
    "net/http.HandlerFunc.ServeHTTP",
];

const START_FUNCS: [&str; 6] = [
    "main.worker",
    "main.producer",
    "main.consumer",
    "main.(*server).serve",
    "net/http.(*conn).serve",
    "main.main.func1",
];

fn file_of(func: &str) -> &'static str {
    match func.split('.').next().unwrap_or("") {
        "runtime" => "/usr/lib/go/src/runtime/proc.go",
        "sync" => "/usr/lib/go/src/sync/mutex.go",
        "net/http" => "/usr/lib/go/src/net/http/server.go",
        "encoding/json" => "/usr/lib/go/src/encoding/json/encode.go",
        "internal/poll" => "/usr/lib/go/src/internal/poll/fd_unix.go",
        "syscall" => "/usr/lib/go/src/syscall/syscall_linux.go",
        "time" => "/usr/lib/go/src/time/sleep.go",
        "os" => "/usr/lib/go/src/os/file.go",
        _ => "/app/main.go",
    }
}

/// A pseudo program counter for a function and line.
fn pc(func: &str, line: u64) -> u64 {
    let h =
        func.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    0x40_0000 + (h % 0x40_0000) + line * 4
}

impl Stacks {
    /// The workload's stacks, interned by `stack`.
    pub(crate) fn new(
        mut stack: impl FnMut(&[Frame<'_>]) -> Result<StackId, Error>,
        rng: &mut Rng,
    ) -> Result<Stacks, Error> {
        let mut make = |leaf: &[&str], n: usize| -> Result<Vec<StackId>, Error> {
            (0..n)
                .map(|_| {
                    // Runtime frames at the leaf, then 1 to 10 user frames.
                    let depth = 1 + rng.below(10) as usize;
                    let mut names: Vec<&str> = leaf.to_vec();
                    names.extend((0..depth).map(|_| rng.pick(&USER_FUNCS)));
                    let frames: Vec<Frame<'_>> = names
                        .iter()
                        .map(|&func| {
                            let line = 10 + rng.below(400);
                            Frame { pc: pc(func, line), func, file: file_of(func), line }
                        })
                        .collect();
                    stack(&frames)
                })
                .collect()
        };
        let stacks = Stacks {
            starts: Vec::new(),
            create: make(&[], 12)?,
            send: make(&["runtime.chansend1"], 8)?,
            recv: make(&["runtime.chanrecv1"], 8)?,
            select: make(&["runtime.selectgo"], 6)?,
            sync: make(&["sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock"], 6)?,
            cond: make(&["sync.(*Cond).Wait"], 4)?,
            other: make(&["sync.(*WaitGroup).Wait"], 4)?,
            net: make(
                &["internal/poll.(*pollDesc).wait", "internal/poll.(*FD).Read", "net.(*conn).Read"],
                6,
            )?,
            sleep: make(&["time.Sleep"], 6)?,
            syscall: make(&["syscall.Syscall", "syscall.read", "os.(*File).Read"], 8)?,
            sched: make(&["runtime.Gosched"], 6)?,
            gc: make(&["runtime.gcAssistAlloc", "runtime.mallocgc"], 6)?,
            user: make(&[], 16)?,
            worker: stack(&[Frame {
                pc: pc("runtime.gcBgMarkWorker", 1),
                func: "runtime.gcBgMarkWorker",
                file: file_of("runtime.gcBgMarkWorker"),
                line: 1200,
            }])?,
        };
        let starts = START_FUNCS
            .iter()
            .map(|&func| stack(&[Frame { pc: pc(func, 0), func, file: file_of(func), line: 1 }]))
            .collect::<Result<_, _>>()?;
        Ok(Stacks { starts, ..stacks })
    }
}
