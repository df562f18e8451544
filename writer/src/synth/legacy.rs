//! The legacy tracer's side of the workload: one producer per P, each holding its P for good
//! (an idle P stops and starts again on its thread); a goroutine in a blocking syscall loses
//! its P and comes back on whichever P its syscall's end finds (`GoSysExit`); the network
//! poller of a thread without a P writes into the no-P batch.

use std::io::Write;

use gotrace_format::legacy::StwReason;

use super::workload::{same_operations, take_due, Producer, Sched, G};
use crate::{
    BlockReason, Error, GcCycle, GcWorker, InSyscall, Proc, Region, Runnable, StackId, StringId, Stw, Task,
    TaskId, Tracer, Waiting,
};

/// What the legacy producers share: goroutines in blocking syscalls, until a tick.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) syscalls: Vec<(u64, G<InSyscall>)>,
}

/// A producer: a P and the tracer it writes to.
pub(crate) struct P<'t, W: Write + Send + 'static> {
    p: Proc<'t>,
    tracer: &'t Tracer<W>,
    index: u32,
}

impl<'t, W: Write + Send + 'static> P<'t, W> {
    /// The producer of P `index` (its thread has the same id).
    pub(crate) fn new(tracer: &'t Tracer<W>, index: u32) -> Result<P<'t, W>, Error> {
        Ok(P { p: tracer.proc(index)?, tracer, index })
    }
}

impl<W: Write + Send + 'static> Producer for P<'_, W> {
    type Shared = Shared;

    same_operations!(p);

    fn index(&self) -> u32 {
        self.index
    }

    fn go_end(&mut self, ts: u64) -> Result<(), Error> {
        Ok(self.p.go_end(ts)?)
    }

    fn poller_unblock(&mut self, ts: u64, g: Waiting) -> Runnable {
        self.tracer.with_no_p(|np| np.go_unblock(ts, g, StackId::NONE))
    }

    fn gc_sweep_begin(&mut self, ts: u64, stack: StackId) -> Result<(), Error> {
        Ok(self.p.gc_sweep_start(ts, stack)?)
    }

    fn gc_sweep_end(&mut self, ts: u64, swept: u64, reclaimed: u64) -> Result<(), Error> {
        Ok(self.p.gc_sweep_done(ts, swept, reclaimed)?)
    }

    fn gc_mark_assist_begin(&mut self, ts: u64, stack: StackId) -> Result<(), Error> {
        Ok(self.p.gc_mark_assist_start(ts, stack)?)
    }

    fn gc_mark_assist_end(&mut self, ts: u64) -> Result<(), Error> {
        Ok(self.p.gc_mark_assist_done(ts)?)
    }

    fn gc_begin(&mut self, ts: u64, stack: StackId) -> Result<GcCycle, Error> {
        Ok(self.p.gc_start(ts, stack)?)
    }

    fn gc_end(&mut self, ts: u64, cycle: GcCycle) -> Result<(), Error> {
        self.p.gc_done(ts, cycle);
        Ok(())
    }

    fn stw_begin(&mut self, ts: u64, reason: StwReason, _stack: StackId) -> Result<Stw, Error> {
        self.p.stw_start(ts, reason)
    }

    fn stw_end(&mut self, ts: u64, stw: Stw) -> Result<(), Error> {
        self.p.stw_done(ts, stw);
        Ok(())
    }

    fn heap_alloc(&mut self, ts: u64, bytes: u64) -> Result<(), Error> {
        self.p.heap_alloc(ts, bytes);
        Ok(())
    }

    fn heap_goal(&mut self, ts: u64, bytes: u64) -> Result<(), Error> {
        self.p.heap_goal(ts, bytes);
        Ok(())
    }

    fn task_begin(&mut self, ts: u64, parent: TaskId, name: StringId, stack: StackId) -> Result<Task, Error> {
        Ok(self.p.task_create(ts, parent, name, stack))
    }

    fn task_end(&mut self, ts: u64, task: Task, stack: StackId) -> Result<(), Error> {
        self.p.task_end(ts, task, stack);
        Ok(())
    }

    fn region_begin(&mut self, ts: u64, task: TaskId, name: StringId, at: StackId) -> Result<Region, Error> {
        Ok(self.p.region_start(ts, task, name, at)?)
    }

    fn log(&mut self, ts: u64, task: TaskId, key: StringId, text: &str, at: StackId) -> Result<(), Error> {
        self.p.log(ts, task, key, text, at);
        Ok(())
    }

    fn cpu_sample(&mut self, ts: u64, stack: StackId) {
        self.tracer.cpu_sample(ts, self.p.id(), self.p.running(), stack);
    }

    /// P 0 started at the trace's start; the others start now.
    fn begin(s: &mut Sched<'_, Self>) -> Result<(), Error> {
        if s.p.index != 0 {
            let t = s.tick(6);
            s.p.p.proc_start(t, u64::from(s.p.index))?;
        }
        Ok(())
    }

    fn schedule(_: &mut Sched<'_, Self>) -> Result<bool, Error> {
        Ok(true)
    }

    /// A finished syscall: the goroutine's thread got this P, `GoSysExit`, and it runs at once.
    fn syscalls(s: &mut Sched<'_, Self>, now: u64) -> Result<(), Error> {
        let back = take_due(&mut s.world.queues().own.syscalls, now, &mut s.rng);
        if let Some((real, g)) = back {
            let t = s.tick(4);
            let h = s.p.p.go_sys_exit(t, g.h, real);
            s.run_goroutine(G { h, task: g.task })?;
        }
        Ok(())
    }

    fn idle(s: &mut Sched<'_, Self>) -> Result<(), Error> {
        let t = s.tick(8);
        s.p.p.proc_stop(t)?;
        let t = s.tick(14);
        s.p.p.proc_start(t, u64::from(s.p.index))?;
        Ok(())
    }

    fn syscall(s: &mut Sched<'_, Self>, stack: StackId) -> Result<(), Error> {
        let t = s.tick(6);
        Ok(s.p.p.go_syscall(t, stack)?)
    }

    fn block_in_syscall(s: &mut Sched<'_, Self>, ts: u64, task: Option<Task>) -> Result<(), Error> {
        let stack = s.stack(|s| &s.syscall);
        s.p.p.go_syscall(ts, stack)?;
        let t = s.tick(6);
        let h = s.p.p.go_sys_block(t)?;
        let done = t + s.rng.ticks(16);
        s.world.queues().own.syscalls.push((done, G { h, task }));
        Ok(())
    }

    /// Go 1.19 and 1.21 have no coroutine switches.
    fn switch(_: &mut Sched<'_, Self>, _: &mut Option<Task>) -> Result<(), Error> {
        Ok(())
    }

    /// A GC cycle still running ends here (tracing stops with no GC running).
    fn finish(s: &mut Sched<'_, Self>) -> Result<(), Error> {
        let cycle = s.world.queues().gc.take();
        match cycle {
            Some(cycle) => s.end_gc(cycle),
            None => Ok(()),
        }
    }
}
