//! Comparing `-d` outputs: Go's order among events with equal time stamps varies from run to
//! run (spec §7.6), so each run of events with one time stamp is compared as a multiset.
#![allow(dead_code)]

/// Splits `-d` output into events: an event line starts `TS NAME p=`; a line that does not
/// continues the previous event (user strings are printed raw and may hold line ends).
pub fn events(out: &[u8]) -> Vec<&[u8]> {
    split_events(out, starts_event)
}

/// Splits `out` into events, each from a line `starts` accepts to the next such line.
fn split_events(out: &[u8], starts: impl Fn(&[u8]) -> bool) -> Vec<&[u8]> {
    let mut events: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in out.split_inclusive(|&b| b == b'\n') {
        if pos > start && starts(line) {
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

/// Splits `-d=parsed` output into events: an event starts with a line `M=…`; stack lines and
/// blank lines belong to the event before them.
fn parsed_events(out: &[u8]) -> Vec<&[u8]> {
    split_events(out, |line| line.starts_with(b"M="))
}

/// An event of `-d=parsed` output without its ` Time=N`, and N.
fn without_time(event: &[u8]) -> (Vec<u8>, i64) {
    let key = b" Time=";
    let Some(at) = event.windows(key.len()).position(|w| w == key) else { return (event.to_vec(), i64::MIN) };
    let digits = event[at + key.len()..].iter().take_while(|&&b| b == b'-' || b.is_ascii_digit()).count();
    let time = std::str::from_utf8(&event[at + key.len()..at + key.len() + digits]).unwrap().parse().unwrap();
    let mut rest = event[..at].to_vec();
    rest.extend_from_slice(&event[at + key.len() + digits..]);
    (rest, time)
}

/// `None` when `ours` and `go`'s `-d=parsed` outputs of a converted legacy trace hold the
/// same multiset of events (each without its time) and the same multiset of times: Go breaks
/// ties between equal times at random and then moves events to make times increase, so two
/// runs of Go's tool differ in which event gets which of the times. Else where they part.
pub fn compare_parsed(ours: &[u8], go: &[u8]) -> Option<String> {
    let split = |out: &[u8]| {
        let (mut events, mut times): (Vec<Vec<u8>>, Vec<i64>) =
            parsed_events(out).into_iter().map(without_time).unzip();
        events.sort_unstable();
        times.sort_unstable();
        (events, times)
    };
    let ((a, ta), (b, tb)) = (split(ours), split(go));
    if a.len() != b.len() {
        return Some(format!("{} events, Go printed {}", a.len(), b.len()));
    }
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        let (x, y) = (String::from_utf8_lossy(&a[i]), String::from_utf8_lossy(&b[i]));
        return Some(format!("event {i} of the sorted events differs\n--- gotrace:\n{x}--- go:\n{y}"));
    }
    (ta != tb).then(|| {
        let i = (0..ta.len()).find(|&i| ta[i] != tb[i]).unwrap_or(0);
        format!("time {i} of the sorted times differs: {} vs Go's {}", ta[i], tb[i])
    })
}
