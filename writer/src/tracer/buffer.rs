//! Trace buffers: fixed 64 KiB blocks, each written out whole as one batch.

/// Bytes of a trace buffer (the runtime's buffers are 64 KiB too, header included).
pub const BUFFER_SIZE: usize = 64 * 1024;

/// A fixed-size block of trace bytes and how much of it is used. A placeholder (no storage)
/// stands for "no buffer yet" without allocating.
#[derive(Debug, Default)]
pub(crate) struct Buffer {
    data: Box<[u8]>,
    len: usize,
}

impl Buffer {
    /// A new, empty 64 KiB buffer (the only allocation of the tracer's write path).
    pub(crate) fn new() -> Buffer {
        Buffer { data: vec![0; BUFFER_SIZE].into_boxed_slice(), len: 0 }
    }

    /// "No buffer": no storage, no room.
    pub(crate) fn placeholder() -> Buffer {
        Buffer::default()
    }

    /// True for a buffer with storage.
    pub(crate) fn is_real(&self) -> bool {
        !self.data.is_empty()
    }

    /// True when nothing was written.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Free bytes.
    #[inline(always)]
    pub(crate) fn room(&self) -> usize {
        self.data.len() - self.len
    }

    /// The bytes written.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }

    /// Forgets what was written.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// The free bytes, to encode into; then [`advance`](Buffer::advance) by what was written.
    #[inline(always)]
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        &mut self.data[self.len..]
    }

    /// Keeps `n` more bytes as written.
    #[inline(always)]
    pub(crate) fn advance(&mut self, n: usize) {
        self.len += n;
    }

    /// The bytes written, to patch a field written earlier (a batch size known at its end).
    pub(crate) fn written_mut(&mut self) -> &mut [u8] {
        &mut self.data[..self.len]
    }

    /// Runs `put` on the free bytes and keeps the `n` it reports written.
    #[inline(always)]
    pub(crate) fn put(&mut self, put: impl FnOnce(&mut [u8]) -> usize) {
        let n = put(&mut self.data[self.len..]);
        self.len += n;
    }
}
