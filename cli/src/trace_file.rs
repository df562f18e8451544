//! The trace a command reads. A regular file is opened as often as the command needs (the
//! format is told from its header first; some commands read it twice). Anything else — a pipe
//! (`curl …/debug/pprof/trace | gotrace stats /dev/stdin`), a device — can be read only once:
//! its header is peeked when it is opened, and a streaming command then reads the header again
//! from memory and the rest from where the peek stopped ([`TraceFile::open`]), so that it holds
//! what it would hold on a file. Only the commands that read twice or seek read such an input
//! into memory whole first ([`TraceFile::open_seekable`]).

use std::cell::{OnceCell, RefCell};
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::thread::Scope;

use gotrace_format::{parse_header, HEADER_LEN};
use gotrace_parser::legacy::{OrderedReader, SeekInput};

use crate::{io_failure, Failure};

/// A trace to read: a regular file, or an input that can be read once.
#[derive(Debug)]
pub struct TraceFile {
    path: PathBuf,
    /// The input when it is not a regular file.
    once: Option<ReadOnce>,
}

/// An input that is not a regular file.
#[derive(Debug)]
struct ReadOnce {
    /// Its first bytes: the header, or all of a shorter input.
    head: Vec<u8>,
    /// The rest, until a read takes it.
    rest: RefCell<Option<File>>,
    /// The whole input, once a command that reads twice or seeks asked for it.
    whole: OnceCell<Vec<u8>>,
}

/// One read of a [`TraceFile`] from its first byte.
#[derive(Debug)]
pub enum Stream<'a> {
    /// A regular file, or an input read once that was read whole before.
    Seekable(Seekable<'a>),
    /// An input read once: the peeked header, then the rest.
    Once(io::Chain<&'a [u8], File>),
}

impl Read for Stream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Seekable(data) => data.read(buf),
            Stream::Once(data) => data.read(buf),
        }
    }
}

/// One read of a [`TraceFile`] that may seek: a regular file, or the whole input in memory.
#[derive(Debug)]
pub enum Seekable<'a> {
    File(File),
    Memory(Cursor<&'a [u8]>),
}

impl Read for Seekable<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Seekable::File(file) => file.read(buf),
            Seekable::Memory(data) => data.read(buf),
        }
    }
}

impl Seek for Seekable<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Seekable::File(file) => file.seek(to),
            Seekable::Memory(data) => data.seek(to),
        }
    }
}

impl TraceFile {
    /// The trace at `path`; an input that is not a regular file (nor a directory, nor missing:
    /// those fail as they always have, when opened) is opened now and its header read.
    pub fn new(path: &Path) -> Result<TraceFile, Failure> {
        let once = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
        let once = if once {
            let mut rest = File::open(path).map_err(io_failure(path))?;
            let mut head = Vec::with_capacity(HEADER_LEN);
            (&mut rest).take(HEADER_LEN as u64).read_to_end(&mut head).map_err(io_failure(path))?;
            Some(ReadOnce { head, rest: RefCell::new(Some(rest)), whole: OnceCell::new() })
        } else {
            None
        };
        Ok(TraceFile { path: path.to_path_buf(), once })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the input can be read only once (it is not a regular file): a command that
    /// reads it twice or seeks holds it whole in memory.
    pub fn reads_once(&self) -> bool {
        self.once.is_some()
    }

    /// The input's length in bytes (an input read once is read whole for it).
    pub fn len(&self) -> Result<u64, Failure> {
        match &self.once {
            Some(once) => Ok(self.whole(once)?.len() as u64),
            None => Ok(std::fs::metadata(&self.path).map_err(self.failure())?.len()),
        }
    }

    /// A read from the first byte, streamed. An input that can be read once streams once
    /// (a second read fails) unless it was read whole before.
    pub fn open(&self) -> Result<Stream<'_>, Failure> {
        match &self.once {
            Some(once) if once.whole.get().is_none() => {
                Ok(Stream::Once(once.head.as_slice().chain(self.take_rest(once)?)))
            }
            _ => Ok(Stream::Seekable(self.open_seekable()?)),
        }
    }

    /// A read from the first byte that may seek: an input that can be read once is read into
    /// memory whole first.
    pub fn open_seekable(&self) -> Result<Seekable<'_>, Failure> {
        match &self.once {
            Some(once) => Ok(Seekable::Memory(Cursor::new(self.whole(once)?))),
            None => Ok(Seekable::File(File::open(&self.path).map_err(self.failure())?)),
        }
    }

    /// The bounded-memory ordered reader of this (legacy) input, which reads it twice (an index
    /// of the batches, then the events: an input that can be read once is read whole first).
    /// With two cores or more, the second read decodes batches on a thread of `scope` while
    /// the caller's merges and validates.
    pub fn ordered_reader<'scope>(
        &'scope self,
        scope: &'scope Scope<'scope, '_>,
    ) -> Result<OrderedReader<SeekInput<Seekable<'scope>>>, Failure> {
        let reader = OrderedReader::new(self.open_seekable()?)?;
        Ok(if crate::dump::cores() > 1 { reader.decode_ahead(scope) } else { reader })
    }

    /// True when the input starts with the header of a modern trace. An input whose header is
    /// short or bad is not: the legacy path reports it as it always has.
    pub fn is_modern(&self) -> Result<bool, Failure> {
        let mut header = Vec::with_capacity(HEADER_LEN);
        match &self.once {
            Some(once) => header.extend_from_slice(&once.head),
            None => {
                let file = File::open(&self.path).map_err(self.failure())?;
                file.take(HEADER_LEN as u64).read_to_end(&mut header).map_err(self.failure())?;
            }
        }
        Ok(header.first_chunk().is_some_and(|h| parse_header(h).is_ok_and(|v| !v.is_legacy())))
    }

    /// The failure of an I/O error on this input.
    pub fn failure(&self) -> impl Fn(io::Error) -> Failure + '_ {
        io_failure(&self.path)
    }

    /// The rest of an input read once, after its header; a second call fails.
    fn take_rest(&self, once: &ReadOnce) -> Result<File, Failure> {
        once.rest.borrow_mut().take().ok_or_else(|| {
            Failure::Io(format!(
                "{}: an input that is not a regular file reads only once",
                self.path.display()
            ))
        })
    }

    /// The whole of an input read once, read into memory on the first call.
    fn whole<'a>(&self, once: &'a ReadOnce) -> Result<&'a [u8], Failure> {
        if let Some(data) = once.whole.get() {
            return Ok(data);
        }
        let mut data = once.head.clone();
        self.take_rest(once)?.read_to_end(&mut data).map_err(self.failure())?;
        Ok(once.whole.get_or_init(|| data))
    }
}
