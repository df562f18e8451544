//! Counts the raw records of a trace with the slice or the streaming reader, printing the time.
//! Legacy (Go 1.5 – 1.21) and modern (Go 1.22+) traces alike: the header chooses the reader.
//!
//! `cargo run --release --example rawcount -- slice|stream FILE`

use std::io::Read;
use std::time::Instant;

use gotrace::format::{parse_header, HEADER_LEN};
use gotrace::parser::{legacy, modern};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (mode, path) = match args.as_slice() {
        [_, mode, path] => (mode.as_str(), path.as_str()),
        _ => return Err("usage: rawcount slice|stream FILE".into()),
    };
    let mut header = [0u8; HEADER_LEN];
    std::fs::File::open(path)?.read_exact(&mut header)?;
    let is_modern = parse_header(&header).is_ok_and(|v| !v.is_legacy());
    let start = Instant::now();
    let (events, bytes) = match mode {
        "slice" => {
            let data = std::fs::read(path)?;
            let read = start.elapsed();
            let start = Instant::now();
            let mut n = 0u64;
            if is_modern {
                for ev in modern::RawEvents::new(&data)? {
                    ev?;
                    n += 1;
                }
            } else {
                for ev in legacy::RawEvents::new(&data)? {
                    ev?;
                    n += 1;
                }
            }
            report("slice (decode only)", n, data.len() as u64, start.elapsed(), Some(read));
            return Ok(());
        }
        "stream" if is_modern => {
            let mut r = modern::RawReader::new(std::fs::File::open(path)?)?;
            let mut n = 0u64;
            while r.next_event()?.is_some() {
                n += 1;
            }
            (n, r.offset())
        }
        "stream" => {
            let mut r = legacy::RawReader::new(std::fs::File::open(path)?)?;
            let mut n = 0u64;
            while r.next_event()?.is_some() {
                n += 1;
            }
            (n, r.offset())
        }
        _ => return Err("mode is slice or stream".into()),
    };
    report("stream (read + decode)", events, bytes, start.elapsed(), None);
    Ok(())
}

fn report(what: &str, events: u64, bytes: u64, t: std::time::Duration, read: Option<std::time::Duration>) {
    let s = t.as_secs_f64();
    print!(
        "{what}: {events} events, {bytes} bytes in {:.3} s: {:.0} MB/s, {:.1} M events/s",
        s,
        bytes as f64 / s / 1e6,
        events as f64 / s / 1e6
    );
    match read {
        Some(r) => println!(" (file read into memory in {:.3} s, not counted)", r.as_secs_f64()),
        None => println!(),
    }
}
