//! The trace a command reads. A regular file is opened as often as the command needs (the
//! format is told from its header first; some commands read it twice). Anything else — a pipe
//! (`curl …/debug/pprof/trace | gotrace dump /dev/stdin`), a device — can be read only once, so
//! it is read into memory whole before the command starts.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use gotrace_format::{parse_header, HEADER_LEN};

use crate::{io_failure, Failure};

/// A trace to read: a regular file, or the bytes of an input that is not one.
#[derive(Debug)]
pub struct TraceFile {
    path: PathBuf,
    /// The whole input when it is not a regular file.
    data: Option<Vec<u8>>,
}

/// One read of a [`TraceFile`] from its first byte.
#[derive(Debug)]
pub enum Stream<'a> {
    File(File),
    Memory(Cursor<&'a [u8]>),
}

impl Read for Stream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::File(file) => file.read(buf),
            Stream::Memory(data) => data.read(buf),
        }
    }
}

impl Seek for Stream<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Stream::File(file) => file.seek(to),
            Stream::Memory(data) => data.seek(to),
        }
    }
}

impl TraceFile {
    /// The trace at `path`; an input that is not a regular file (nor a directory, nor missing:
    /// those fail as they always have, when opened) is read whole now.
    pub fn new(path: &Path) -> Result<TraceFile, Failure> {
        let once = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
        let data = if once { Some(std::fs::read(path).map_err(io_failure(path))?) } else { None };
        Ok(TraceFile { path: path.to_path_buf(), data })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The input's bytes, when it was read whole ([`TraceFile::new`]).
    pub fn in_memory(&self) -> Option<&[u8]> {
        self.data.as_deref()
    }

    /// The input's length in bytes.
    pub fn len(&self) -> Result<u64, Failure> {
        match &self.data {
            Some(data) => Ok(data.len() as u64),
            None => Ok(std::fs::metadata(&self.path).map_err(self.failure())?.len()),
        }
    }

    /// A read from the first byte.
    pub fn open(&self) -> Result<Stream<'_>, Failure> {
        match &self.data {
            Some(data) => Ok(Stream::Memory(Cursor::new(data))),
            None => Ok(Stream::File(File::open(&self.path).map_err(self.failure())?)),
        }
    }

    /// True when the input starts with the header of a modern trace. An input whose header is
    /// short or bad is not: the legacy path reports it as it always has.
    pub fn is_modern(&self) -> Result<bool, Failure> {
        let mut header = Vec::with_capacity(HEADER_LEN);
        self.open()?.take(HEADER_LEN as u64).read_to_end(&mut header).map_err(self.failure())?;
        Ok(header.first_chunk().is_some_and(|h| parse_header(h).is_ok_and(|v| !v.is_legacy())))
    }

    /// The failure of an I/O error on this input.
    pub fn failure(&self) -> impl Fn(io::Error) -> Failure + '_ {
        io_failure(&self.path)
    }
}
