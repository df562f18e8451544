//! Comparing `-d` outputs: Go's order among events with equal time stamps varies from run to
//! run (spec §7.6), so each run of events with one time stamp is compared as a multiset.
#![allow(dead_code)]

/// Splits `-d` output into events: an event line starts `TS NAME p=`; a line that does not
/// continues the previous event (user strings are printed raw and may hold line ends).
pub fn events(out: &[u8]) -> Vec<&[u8]> {
    let mut events: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in out.split_inclusive(|&b| b == b'\n') {
        if pos > start && starts_event(line) {
            events.push(&out[start..pos]);
            start = pos;
        }
        pos += line.len();
    }
    if pos > start {
        events.push(&out[start..pos]);
    }
    events
}

fn starts_event(line: &[u8]) -> bool {
    let mut words = line.splitn(4, |&b| b == b' ');
    let ts = words.next().unwrap_or_default();
    let ts = ts.strip_prefix(b"-").unwrap_or(ts);
    let name = words.next().unwrap_or_default();
    !ts.is_empty()
        && ts.iter().all(u8::is_ascii_digit)
        && !name.is_empty()
        && name.iter().all(u8::is_ascii_alphanumeric)
        && words.next().is_some_and(|w| w.starts_with(b"p="))
}

fn ts(event: &[u8]) -> &[u8] {
    event.split(|&b| b == b' ').next().unwrap_or_default()
}

/// The runs of equal time stamps, each sorted.
fn groups(out: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut groups: Vec<Vec<&[u8]>> = Vec::new();
    for event in events(out) {
        match groups.last_mut() {
            Some(g) if ts(g[0]) == ts(event) => g.push(event),
            _ => groups.push(vec![event]),
        }
    }
    for g in &mut groups {
        g.sort_unstable();
    }
    groups
}

/// `None` when `ours` equals `go`'s output up to the order within runs of equal time stamps;
/// else where they part.
pub fn compare(ours: &[u8], go: &[u8]) -> Option<String> {
    let (a, b) = (groups(ours), groups(go));
    let show = |g: Option<&Vec<&[u8]>>| match g {
        Some(g) => g.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect::<String>(),
        None => "(end)\n".to_string(),
    };
    (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)).map(|i| {
        format!("event group {i} differs\n--- gotrace:\n{}--- go:\n{}", show(a.get(i)), show(b.get(i)))
    })
}
