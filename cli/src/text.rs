//! `gotrace text`: a modern trace in the text form of Go's test traces (`Trace Go1.N`, then one
//! record per line), and back (`--to-binary`).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use gotrace_format::modern::{text_header, EmptyData, TextLines};
use gotrace_parser::modern::TextReader;
use gotrace_writer::RawWriter;

use crate::modern_raw::{stdout_failure, write_lines};
use crate::trace_file::TraceFile;
use crate::{io_failure, with_stdout, Failure};

/// Binary → text on stdout. Every record read is printed; a bad record then ends the output
/// with the usual error. Empty data is written `data=""` (Go leaves the line out and then
/// cannot read its own text back).
pub fn to_text(trace: &TraceFile) -> Result<(), Failure> {
    let mut reader = crate::modern_raw::open(trace)?;
    let version = reader.version();
    with_stdout(|out| {
        out.write_all(format!("{}\n", text_header(version)).as_bytes()).map_err(stdout_failure)?;
        write_lines(out, &mut reader, TextLines::new(version, EmptyData::Write), |_| Ok(()))
    })
}

/// Text → binary: every record encoded as Go's raw writer does (minimal varints, batch sizes
/// as the text gives them).
pub fn to_binary(text: &TraceFile, output: &Path) -> Result<(), Failure> {
    let input = text.path();
    let file = text.open()?;
    let bad = |e: gotrace_parser::modern::TextError| {
        if let gotrace_parser::modern::TextErrorKind::Io(kind) = e.kind() {
            return Failure::Io(format!("{}: {}", input.display(), std::io::Error::from(*kind)));
        }
        Failure::Text(format!("error at line {}: {}", e.line(), e.message()))
    };
    let mut reader = TextReader::new(BufReader::new(file)).map_err(bad)?;
    let out = File::create(output).map_err(io_failure(output))?;
    let mut writer = RawWriter::new(out, reader.version()).map_err(io_failure(output))?;
    while let Some(event) = reader.next_event().map_err(bad)? {
        writer.write(&event).map_err(io_failure(output))?;
    }
    writer.finish().map_err(io_failure(output))?;
    Ok(())
}
