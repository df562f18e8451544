//! The body of the `write_read` fuzz target (`gotrace::selfcheck::write_read`) over a fixed set of
//! pseudo-random inputs, the committed seeds (`fuzz/seeds/write_read/*`) and the crashers the
//! fuzzer found (`fuzz/regressions/write_read/*`), so that stable `cargo test` keeps every
//! property it checks.

use std::path::Path;

use gotrace::format::legacy::EventType;
use gotrace::format::Version;
use gotrace::selfcheck::{self, Written};

/// `n` bytes of a xorshift sequence from `seed`.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn add(total: &mut Written, w: &Written) {
    for (t, n) in total.encoder.iter_mut().zip(w.encoder) {
        *t += n;
    }
    for (t, n) in total.tracer.iter_mut().zip(w.tracer) {
        *t += n;
    }
}

fn files(dir: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths: Vec<_> =
        std::fs::read_dir(&dir).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn pseudo_random_inputs_write_and_read_back_every_event_type() {
    let mut total = Written { encoder: [0; 50], tracer: [0; 50] };
    for seed in 0..400u64 {
        let len = [16, 64, 256, 1024, 4096][seed as usize % 5];
        add(&mut total, &selfcheck::write_read(&bytes(seed, len)));
    }
    // Every timed event type of Go 1.21 went through the encoder and was read back.
    for t in EventType::all(Version::Go1_21).filter(|t| t.has_timestamp()) {
        assert!(total.encoder[usize::from(t.code())] > 0, "the encoder never wrote {t:?}");
    }
    // The tracer's state model wrote all but the events it has no call for (FutileWakeup,
    // GoSysExitLocal, which no runtime writes).
    for t in EventType::all(Version::Go1_21).filter(|t| t.has_timestamp()) {
        let n = total.tracer[usize::from(t.code())];
        if [EventType::FUTILE_WAKEUP, EventType::GO_SYS_EXIT_LOCAL].contains(&t) {
            assert_eq!(n, 0, "{t:?}");
        } else {
            assert!(n > 0, "the tracer never wrote {t:?}");
        }
    }
}

#[test]
fn seeds_and_regressions() {
    let seeds = files("fuzz/seeds/write_read");
    assert!(!seeds.is_empty(), "the committed seeds are missing");
    for input in seeds.iter().chain(&files("fuzz/regressions/write_read")) {
        selfcheck::write_read(input);
    }
}
