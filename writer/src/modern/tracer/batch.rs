//! A buffer being filled with one batch: its header, the size patched in when it is handed on.

use crate::modern::encoder::{patch_size, put_batch_header, MAX_BATCH_HEADER_LEN};
use crate::tracer::buffer::Buffer;
use crate::tracer::pool::Pool;

/// A buffer and the batch open in it. Timed-event batches have no kind byte; table batches
/// start with theirs (`Strings`, `Stacks`, `CPUSamples`).
#[derive(Debug, Default)]
pub(crate) struct BatchBuffer {
    pub(crate) buf: Buffer,
    /// Where the open batch's body starts (`None`: no batch open).
    body: Option<usize>,
}

impl BatchBuffer {
    /// Closes the open batch (its size patched in), if any.
    pub(crate) fn close(&mut self) {
        if let Some(body) = self.body.take() {
            patch_size(self.buf.written_mut(), body);
        }
    }

    /// Makes room for `need` bytes in a batch of generation `gen` by thread `m` starting with
    /// `kind`: a new batch at `time` in a fresh buffer when the open one lacks room, or when
    /// none is open. Returns `None` when the open batch had room, else the bytes of the full
    /// buffer handed to the pool to make room (0 if none was).
    #[inline(always)]
    pub(crate) fn room(
        &mut self,
        pool: &Pool,
        need: usize,
        gen: u64,
        m: u64,
        time: u64,
        kind: Option<u8>,
    ) -> Option<usize> {
        if self.body.is_some() && self.buf.room() >= need {
            return None;
        }
        Some(self.start(pool, need, gen, m, time, kind))
    }

    #[cold]
    #[inline(never)]
    fn start(&mut self, pool: &Pool, need: usize, gen: u64, m: u64, time: u64, kind: Option<u8>) -> usize {
        self.close();
        let mut flushed = 0;
        if self.buf.room() < need + MAX_BATCH_HEADER_LEN + 1 {
            flushed = self.buf.bytes().len();
            let old = std::mem::take(&mut self.buf);
            self.buf = pool.exchange(old);
        }
        self.buf.put(|dst| put_batch_header(dst, gen, m, time));
        self.body = Some(self.buf.bytes().len());
        if let Some(k) = kind {
            self.buf.put(|dst| {
                dst[0] = k;
                1
            });
        }
        debug_assert!(self.buf.room() >= need);
        flushed
    }

    /// Appends bytes outside any batch (the `EndOfGeneration` byte), closing the open batch.
    pub(crate) fn put_loose(&mut self, pool: &Pool, bytes: &[u8]) {
        self.close();
        if self.buf.room() < bytes.len() {
            let old = std::mem::take(&mut self.buf);
            self.buf = pool.exchange(old);
        }
        self.buf.put(|dst| {
            dst[..bytes.len()].copy_from_slice(bytes);
            bytes.len()
        });
    }

    /// Closes the open batch and queues the buffer for the consumer (a buffer without bytes
    /// goes back to the free list); the batch buffer is left without one.
    pub(crate) fn hand_over(&mut self, pool: &Pool) {
        self.close();
        pool.give_back(std::mem::take(&mut self.buf));
    }
}
