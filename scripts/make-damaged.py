#!/usr/bin/env python3
"""Makes corpus/damaged/: legacy corpus traces damaged in known ways, each with Go's verdict.

    python3 scripts/make-damaged.py            # needs Go 1.19, 1.21 and 1.27 (scripts/install-go-toolchains.sh)
    python3 scripts/make-damaged.py --hand-legacy   # corpus/hand-legacy/ alone (needs nothing)

Record boundaries and values come from `gotrace dump --raw` (built first, or $GOTRACE). Every file is written
to corpus/damaged/NAME; corpus/damaged/verdicts.tsv gets one line per file:
    name  base  go-version  go-exit  go-message  description  gotrace  gotrace-strict
where go-message is Go's `failed to parse trace: ...` text (empty when Go accepts), and the last two
are what `gotrace validate` and `gotrace validate --strict` say (`ok`, or the error line).

corpus/damaged-modern/ (and corpus/altered-modern/, for what Go reads) gets the same for modern
traces (Go 1.22+), with the verdict of Go 1.27's
`go tool trace -d=parsed` (the message is its whole error text, newlines and tabs written as \\n
and \\t, backslashes as \\\\).

A few alterations leave a well-formed trace a runtime could have written (a bit flipped inside a
name or a timestamp delta, a record a program may write twice): no reader can see them. Those go
to corpus/altered/ instead (ALTERED below says why each is well-formed), with a verdicts.tsv of the
same form, so that every file of corpus/damaged/ is damage `gotrace validate --strict` must reject.

corpus/hand-legacy/ gets well-formed legacy traces built here to reach what no runtime writes (times
at the top of i64's range); scripts/record-corpus.sh records Go's goldens for them as for any legacy
trace of the corpus.
"""
import os
import random
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "corpus", "damaged")
OUT_ALTERED = os.path.join(ROOT, "corpus", "altered")
# Alterations that leave a well-formed trace, and why no check can tell them from a real one.
ALTERED = {
    "deleted-gowaiting": "a goroutine that stays runnable, never scheduled, is a state a short trace shows",
    "twice-syscall": "two fast syscalls in a row, equally long, are what a loop of syscalls writes",
    "twice-taskend": "user code may end a task twice; the runtime writes both ends",
    "flip-utr19-2": "a character changed inside a function name",
    "flip-http7-1": "a character changed inside a file name",
    "flip-http7-0": "a timestamp delta changed (294 to 1318 ticks)",
    "flip-http11-0": "a timestamp delta changed (5 to 13 ticks)",
    "flip-http11-2": "a frame's PC changed",
}


def find_go(version):
    """The go command of Go `version`, found as scripts/go-toolchains.sh finds it."""
    lib = os.path.join(ROOT, "scripts", "go-toolchains.sh")
    p = subprocess.run(["bash", "-c", '. "$0" && find_go "$1"', lib, version], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"make-damaged: Go {version} is not installed (scripts/install-go-toolchains.sh)")
    return p.stdout.strip()


GO = {1019: find_go("1.19"), 1021: find_go("1.21"), 1027: find_go("1.27")}
OUT_MODERN = os.path.join(ROOT, "corpus", "damaged-modern")
OUT_MODERN_ALTERED = os.path.join(ROOT, "corpus", "altered-modern")
OUT_HAND_LEGACY = os.path.join(ROOT, "corpus", "hand-legacy")


def uv(v, width=None):
    """LEB128 encoding of v, padded to width bytes if given."""
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v == 0 and (width is None or len(out) + 1 >= width):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def gotrace():
    if os.environ.get("GOTRACE"):
        return os.environ["GOTRACE"]
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "gotrace-cli"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "gotrace")


class Trace:
    """A base trace: its bytes and its records (offset, end, name, values, type byte)."""

    def __init__(self, tool, rel):
        self.rel = rel
        self.data = open(os.path.join(ROOT, "corpus", rel), "rb").read()
        head = self.data[:16].rstrip(b"\0").decode()
        major, minor = head.split()[1].split(".")
        self.ver = int(major) * 1000 + int(minor)
        dump = subprocess.run([tool, "dump", "--raw", os.path.join(ROOT, "corpus", rel)],
                              capture_output=True, text=True, errors="replace", check=True).stdout
        self.recs = []
        for line in dump.splitlines():
            parts = line.split(" ")
            if not parts[0].isdigit():
                continue
            off, name = int(parts[0]), parts[1]
            vals = []
            for p in parts[2:]:
                m = re.match(r"^(\w+)=(-?\d+)$", p)
                if m:
                    vals.append((m.group(1), int(m.group(2))))
            self.recs.append({"off": off, "name": name, "vals": vals})
        for i, r in enumerate(self.recs):
            r["end"] = self.recs[i + 1]["off"] if i + 1 < len(self.recs) else len(self.data)
            r["type"] = self.data[r["off"]]

    def find(self, name, nth=0, pred=lambda r: True):
        hits = [r for r in self.recs if r["name"] == name and pred(r)]
        return hits[nth] if len(hits) > nth else None

    def bytes_of(self, r):
        return self.data[r["off"]:r["end"]]

    def splice(self, start, end, new):
        return self.data[:start] + new + self.data[end:]

    def encode(self, r, vals):
        """Re-encodes an event record (not String/Stack/UserLog) with new values."""
        t = r["type"] & 0x3F
        body = b"".join(uv(v & (2**64 - 1)) for v in vals)
        if len(vals) <= 3 and r["type"] >> 6 != 3:
            return bytes([t | ((len(vals) - 1) << 6)]) + body
        return bytes([t | 0xC0]) + uv(len(body)) + body


def ev_bytes(t, vals, old):
    """An event record as the runtime writes it: type byte with the count code (values beyond the
    first, or beyond the first two in Go 1.5), inline up to code 2, else a length prefix."""
    body = b"".join(uv(v & (2**64 - 1)) for v in vals)
    code = len(vals) - (2 if old else 1)
    if 0 <= code <= 2:
        return bytes([t | code << 6]) + body
    return bytes([t | 0xC0]) + uv(len(body)) + body


# Event type codes (Go's runtime/trace.go).
EV = {"Batch": 1, "Frequency": 2, "ProcStart": 5, "ProcStop": 6, "GCStart": 7, "GCDone": 8, "GoCreate": 13,
      "GoStart": 14, "GoSched": 17, "GoBlock": 20, "GoUnblock": 21, "GoSysCall": 28, "GoSysExit": 29,
      "GoWaiting": 31, "GoInSyscall": 32, "GoStartLocal": 38, "CPUSample": 49}


def build(ver, batches, freq=1000000):
    """A hand-built trace of version 1005 or 1019: batches of (p, seq, ticks, events), each event
    (name, seq delta, time delta, args); Go 1.19 batches ignore seq and events their seq delta.
    The clock runs at freq ticks per second."""
    old = ver == 1005
    out = bytearray((b"go 1.5 trace" if old else b"go 1.19 trace").ljust(16, b"\0"))
    for p, seq, ticks, events in batches:
        out += ev_bytes(EV["Batch"], [p, seq, ticks] if old else [p, ticks], old)
        for name, ds, dt, args in events:
            out += ev_bytes(EV[name], ([ds] if old else []) + [dt] + args, old)
    out += ev_bytes(EV["Frequency"], [freq, 0] if old else [freq], old)
    return bytes(out)


def hand_built():
    """Traces that reach the validation messages editing a real trace cannot reach without breaking
    the ordering first: (name, version, bytes, description). Go 1.5 traces are ordered by global
    sequence numbers alone, so two batches of one P can interleave with the batches of another
    and a P's running goroutine (as its batch stream says) can differ from what the events
    before it in sequence order did; Go 1.19 ones exercise what the causal merge lets through."""
    create15 = ("GoCreate", 1, 1, [5, 0x1000, 0])
    start15 = ("GoStart", 1, 1, [5])
    cases = []
    # g 5 starts on P 0, then (a second batch of P 0, earlier in sequence) yields; P 0's first
    # batch goes on as if g 5 still ran.
    cases.append(("hand-g-not-running", 1005, build(1005, [
        (0, 0, 100, [create15, start15, ("GoSysCall", 8, 100, [0])]),
        (0, 4, 150, [("GoSched", 1, 0, [0])]),
    ]), "1.5, hand-built: a GoSysCall of g 5 after g 5 yielded (P 0's batches interleave by sequence)"))
    cases.append(("hand-p-not-running-g", 1005, build(1005, [
        (0, 0, 100, [create15, start15, ("GoSysCall", 8, 100, [0])]),
        (0, 2, 150, [("GoSched", 1, 0, [0])]),
        (1, 3, 160, [("GoStart", 1, 1, [5])]),
    ]), "1.5, hand-built: a GoSysCall on P 0 of g 5, which runs on P 1 by then"))
    cases.append(("hand-not-running-while-unpark", 1005, build(1005, [
        (0, 0, 100, [create15, ("GoCreate", 1, 1, [6, 0x1000, 0]), ("GoStart", 1, 1, [5]),
                     ("GoUnblock", 7, 100, [6, 0])]),
        (0, 4, 150, [("GoSched", 1, 0, [0])]),
    ]), "1.5, hand-built: a GoUnblock by g 5 after g 5 yielded"))
    cases.append(("hand-p-not-running-g-while-unpark", 1005, build(1005, [
        (0, 0, 100, [create15, ("GoCreate", 1, 1, [6, 0x1000, 0]), ("GoStart", 1, 1, [5]),
                     ("GoUnblock", 7, 100, [6, 0])]),
        (0, 3, 150, [("GoSched", 1, 0, [0])]),
        (1, 4, 160, [("GoStart", 1, 1, [5])]),
    ]), "1.5, hand-built: a GoUnblock on P 0 by g 5, which runs on P 1 by then"))
    cases.append(("hand-not-waiting-before-unpark", 1005, build(1005, [
        (0, 0, 100, [create15, ("GoCreate", 1, 1, [6, 0x1000, 0]), ("GoStart", 1, 1, [5]),
                     ("GoUnblock", 1, 1, [6, 0])]),
    ]), "1.5, hand-built: g 5 unblocks g 6, which was created and never blocked"))
    cases.append(("hand-not-runnable-before-waiting", 1005, build(1005, [
        (0, 0, 100, [create15, start15, ("GoWaiting", 1, 1, [5])]),
    ]), "1.5, hand-built: a GoWaiting of g 5 while it runs"))
    cases.append(("hand-not-runnable-before-insyscall", 1005, build(1005, [
        (0, 0, 100, [create15, start15, ("GoInSyscall", 1, 1, [5])]),
    ]), "1.5, hand-built: a GoInSyscall of g 5 while it runs"))
    cases.append(("hand-not-runnable-before-start", 1005, build(1005, [
        (0, 0, 100, [create15, start15, ("GoStart", 1, 1, [5])]),
    ]), "1.5, hand-built: g 5 started twice"))
    ps = ("ProcStart", 0, 1, [1])
    cases.append(("hand-stray-syscall-exit", 1019, build(1019, [
        (0, 0, 100, [ps, ("GoCreate", 0, 1, [5, 0, 0]), ("GoStartLocal", 0, 1, [5]), ("GoBlock", 0, 1, [0]),
                     ("GoSysExit", 0, 1, [5, 2, 102])]),
    ]), "1.19, hand-built: a GoSysExit (with its real time) of g 5, which never entered a syscall"))
    cases.append(("hand-gc-not-ended", 1019, build(1019, [
        (0, 0, 100, [ps, ("GCStart", 0, 1, [0, 0]), ("GCStart", 0, 1, [1, 0])]),
    ]), "1.19, hand-built: a second GCStart (GC sequence 1) without a GCDone"))
    cases.append(("hand-procstop-running-g", 1019, build(1019, [
        (0, 0, 100, [ps, ("GoCreate", 0, 1, [5, 0, 0]), ("GoStartLocal", 0, 1, [5]), ("ProcStop", 0, 1, [])]),
    ]), "1.19, hand-built: P 0 stops while g 5 runs on it"))
    cases.append(("hand-g-already-exists", 1019, build(1019, [
        (0, 0, 100, [ps, ("CPUSample", 0, 1, [101, 0, 5, 0]), ("GoCreate", 0, 1, [5, 0, 0])]),
    ]), "1.19, hand-built: a CPU sample names g 5, then g 5 is created"))
    return cases


def hand_legacy():
    """Well-formed Go 1.19 traces whose times reach i64's top: (name, bytes). Each is one batch:
    P 0 starts, runs GC cycles and stops, with the clock at 10 ns a tick. The first cycle ends at
    2^63 - 1024 ns, the largest float64 below 2^63; the events after it are 1 tick apart, so their nanoseconds round to that
    same float or to 2^63 (out of range: i64::MIN for Go on amd64), and the conversion to Go 1.22's
    event model forces each to 1 ns after the one before it. "sync-wraps" has 1023 of them, so that
    the last event is at i64::MAX and the closing Sync wraps; "time-wraps" has 1031, so that the
    forced times themselves wrap."""
    top = 2**63 - 1024
    first_end = next(d for d in range(top // 10 - 200, top // 10 + 200) if float(d) * 10.0 == top)

    def gc_cycles(forced):
        # P 0 starts, runs the cycles and stops: the stop is the last forced event.
        events = [("ProcStart", 0, 1, [1]), ("GCStart", 0, 1, [0, 0]), ("GCDone", 0, first_end - 1, [])]
        for seq in range(1, forced // 2 + 1):
            events += [("GCStart", 0, 1, [seq, 0]), ("GCDone", 0, 1, [])]
        events += [("ProcStop", 0, 1, [])]
        return build(1019, [(0, 0, 0, events)], freq=100_000_000)

    return [("sync-wraps.trace", gc_cycles(1022)), ("time-wraps.trace", gc_cycles(1030))]


def write_hand_legacy():
    os.makedirs(OUT_HAND_LEGACY, exist_ok=True)
    for name, data in hand_legacy():
        with open(os.path.join(OUT_HAND_LEGACY, name), "wb") as f:
            f.write(data)
        print(f"{name:32} {len(data)} bytes")


HEADER = "name\tbase\tgo\tgo_exit\tgo_message\tdescription\tgotrace\tgotrace_strict"


def escape(text):
    """A text for a TSV field: backslashes, newlines and tabs as \\\\, \\n and \\t."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def our_verdicts(tool, path):
    """What `gotrace validate` and `validate --strict` say: `ok`, or their error line."""
    out = []
    for args in [["validate"], ["validate", "--strict"]]:
        p = subprocess.run([tool] + args + [path], capture_output=True)
        if p.returncode not in (0, 1):
            sys.exit(f"{path}: gotrace {' '.join(args)} exited {p.returncode}")
        msg = p.stderr.decode("utf-8", "replace")
        out.append("ok" if p.returncode == 0 else escape(msg[:-1] if msg.endswith("\n") else msg))
    return out


def bit_flips(T, keys, per_trace, seed, add):
    """`per_trace` files per base trace of `keys`, each with one bit flipped in a record other
    than the first, the record, byte and bit drawn from a generator seeded with `seed`."""
    rng = random.Random(seed)
    for key in keys:
        t = T[key]
        for i in range(per_trace):
            r = rng.choice(t.recs[1:])
            pos = rng.randrange(r["off"], r["end"])
            bit = 1 << rng.randrange(8)
            d = bytearray(t.data)
            d[pos] ^= bit
            add(f"flip-{key}-{i}", key, bytes(d), f"bit {bit:#04x} flipped at offset {pos} (in a {r['name']} record at {r['off']})")


def dummy_binary():
    """A tiny program, for Go's tool, which refuses Go 1.5/1.6 traces without a binary (it only
    symbolises PCs with it)."""
    d = tempfile.mkdtemp(prefix="gotrace-dummy-")
    with open(os.path.join(d, "main.go"), "w") as f:
        f.write("package main\n\nfunc main() {}\n")
    env = dict(os.environ, GOCACHE=os.path.join(tempfile.gettempdir(), "gotrace-gocache"), GO111MODULE="off")
    subprocess.run([GO[1019], "build", "-trimpath", "-o", os.path.join(d, "dummy"), "main.go"], cwd=d, env=env, check=True)
    return os.path.join(d, "dummy")


def go_verdict(ver, path, binary=None):
    go = GO[1021 if ver == 1021 else 1019]
    env = dict(os.environ, GOCACHE=os.path.join(tempfile.gettempdir(), "gotrace-gocache"))
    args = [go, "tool", "trace", "-d"] + ([binary] if ver < 1007 else []) + [path]
    p = subprocess.run(args, capture_output=True, text=True, errors="replace", env=env)
    msg = ""
    for line in p.stderr.splitlines():
        if line.startswith("failed to parse trace: "):
            msg = line[len("failed to parse trace: "):]
            break
    if p.returncode != 0 and not msg:
        msg = (p.stderr.strip().splitlines() or ["?"])[-1]
        if "panic" in p.stderr:
            msg = "panic: " + next(l for l in p.stderr.splitlines() if l.startswith("panic"))[7:]
    return p.returncode, msg.replace("\t", " ")


def main():
    write_hand_legacy()
    if sys.argv[1:] == ["--hand-legacy"]:
        return 0
    tool = gotrace()
    write_modern(tool)
    bases = {
        "utr19": "go-testdata/user_task_region_1_19_good",
        "ss19": "go-testdata/stress_start_stop_1_19_good",
        "http21": "go-testdata/http_1_21_good",
        "utr21": "go-testdata/user_task_region_1_21_good",
        "ss10": "go-testdata/stress_start_stop_1_10_good",
        "http11": "go-testdata/http_1_11_good",
        "http7": "go-testdata/http_1_7_good",
        "cpu21": "recorded/go1.21/cpuprof.trace",
        "file19": "recorded/go1.19/fileio.trace",
        "ann19": "recorded/go1.19/annotations.trace",
    }
    T = {k: Trace(tool, v) for k, v in bases.items()}
    cases = []  # (name, base key, bytes, description)

    def add(name, key, data, desc):
        if data is not None:
            cases.append((name, key, data, desc))

    u, s, h, c = T["utr19"], T["ss19"], T["http21"], T["cpu21"]
    # --- whole file and header
    add("empty", "utr19", b"", "empty file")
    add("header-only", "utr19", u.data[:16], "the 16-byte header and nothing else")
    add("header-cut", "utr19", u.data[:10], "file cut inside the header")
    add("bad-magic", "utr19", b"Go" + u.data[2:], "header starts with 'Go' instead of 'go'")
    add("version-1.20", "utr19", b"go 1.20 trace\0\0\0" + u.data[16:], "header names 1.20, a version no Go wrote")
    add("version-1.19-on-1.21", "utr21", b"go 1.19 trace\0\0\0" + T["utr21"].data[16:], "a 1.21 body under a 1.19 header")
    # --- truncation
    for i, frac in enumerate([0.25, 0.5, 0.75]):
        r = s.recs[int(len(s.recs) * frac)]
        mid = r["off"] + max(1, (r["end"] - r["off"]) // 2) if r["end"] - r["off"] > 1 else None
        if mid is not None:
            add(f"cut-inside-record-{i}", "ss19", s.data[:mid], f"cut inside a {r['name']} record at {mid}")
        add(f"cut-at-boundary-{i}", "ss19", s.data[:r["off"]], f"cut at the record boundary {r['off']} ({r['name']} follows)")
    log = u.find("UserLog")
    add("cut-inside-userlog-message", "utr19", u.data[:log["end"] - 3], "cut inside a UserLog message (Go ignores read errors there)")
    add("cut-after-userlog-values", "utr19", u.data[:log["off"] + 6], "cut right after a UserLog record's values, before the message length")
    freq = s.find("Frequency")
    add("cut-before-frequency", "ss19", s.data[:freq["off"]], "cut just before the Frequency record")
    add("cut-after-frequency", "ss19", s.data[:freq["end"]], "cut just after the Frequency record: stacks and strings lost")
    # --- types and counts
    gs = u.find("GoStart")
    add("type-0", "utr19", u.splice(gs["off"], gs["off"] + 1, bytes([gs["type"] & 0xC0])), "a type byte with type 0")
    add("type-50", "utr19", u.splice(gs["off"], gs["off"] + 1, bytes([(gs["type"] & 0xC0) | 50])), "a type byte with type 50")
    add("type-63", "utr19", u.splice(gs["off"], gs["off"] + 1, bytes([(gs["type"] & 0xC0) | 63])), "a type byte with type 63")
    h11 = T["http11"]
    g11 = h11.find("GoStart")
    add("cpusample-in-1.11", "http11", h11.splice(g11["off"], g11["off"] + 1, bytes([(g11["type"] & 0xC0) | 49])), "type 49 (CPUSample) in a 1.11 trace")
    add("count-code-low", "utr19", u.splice(gs["off"], gs["off"] + 1, bytes([gs["type"] & 0x3F | 0x40])), "a GoStart with count code 1 (2 values instead of 3)")
    unb = s.find("GoUnblock")
    ub = s.bytes_of(unb)
    add("length-plus-one", "ss19", s.splice(unb["off"], unb["end"], ub[:1] + bytes([ub[1] + 1]) + ub[2:]), "a length prefix one more than its values")
    add("length-minus-one", "ss19", s.splice(unb["off"], unb["end"], ub[:1] + bytes([ub[1] - 1]) + ub[2:]), "a length prefix one less than its values")
    add("length-2-40", "ss19", s.splice(unb["off"], unb["end"], ub[:1] + uv(2**40) + ub[2:]), "a length prefix of 2^40")
    add("length-2-63", "ss19", s.splice(unb["off"], unb["end"], ub[:1] + uv(2**63) + ub[2:]), "a length prefix of 2^63")
    add("varint-11-bytes", "utr19", u.splice(gs["off"] + 1, gs["off"] + 2, b"\x80" * 10 + b"\x01"), "an 11-byte varint as a GoStart's first value")
    dt = u.data[gs["off"] + 1:gs["end"]]
    first = gs["vals"][0][1]
    over = bytearray(uv(first, 10))
    over[9] |= 0x7E
    add("varint-beyond-64-bits", "utr19", u.splice(gs["off"] + 1, gs["off"] + 1 + len(uv(first)), bytes(over)), "a 10-byte varint with bits beyond 64 (Go drops them)")
    # --- stacks and strings
    stk = u.find("Stack")
    sb = u.bytes_of(stk)
    vals = [v for _, v in stk["vals"]]
    body = b"".join(uv(v) for v in [vals[0], 1001] + vals[2:])
    add("stack-1001-frames", "utr19", u.splice(stk["off"], stk["end"], b"\xc3" + uv(len(body)) + body), "a stack record claiming 1001 frames")
    body = b"".join(uv(v) for v in vals[:-1])
    add("stack-short", "utr19", u.splice(stk["off"], stk["end"], b"\xc3" + uv(len(body)) + body), "a stack record one value short")
    body = b"".join(uv(v) for v in [0] + vals[1:])
    add("stack-id-0", "utr19", u.splice(stk["off"], stk["end"], b"\xc3" + uv(len(body)) + body), "a stack record with id 0 (Go ignores it)")
    add("stack-missing", "utr19", u.splice(stk["off"], stk["end"], b""), "a stack record deleted")
    add("stack-duplicated", "utr19", u.splice(stk["end"], stk["end"], sb), "a stack record written twice")
    st = u.find("String")
    stb = u.bytes_of(st)
    add("string-id-0", "utr19", u.splice(st["off"], st["end"], b"\x25\x00" + stb[2:]), "a string record with id 0")
    add("string-len-0", "utr19", u.splice(st["off"], st["end"], stb[:2] + b"\x00"), "a string record of length 0")
    add("string-len-1000001", "utr19", u.splice(st["off"], st["end"], stb[:2] + uv(1000001)), "a string record of length 1000001")
    add("string-duplicated", "utr19", u.splice(st["end"], st["end"], stb), "a string record written twice")
    add("string-missing", "utr19", u.splice(st["off"], st["end"], b""), "a string record deleted (references resolve to \"\")")
    # --- frequency, STW kinds
    fb = s.bytes_of(freq)
    add("frequency-0", "ss19", s.splice(freq["off"], freq["end"], fb[:1] + b"\x00"), "frequency 0")
    add("frequency-1", "ss19", s.splice(freq["off"], freq["end"], fb[:1] + b"\x01"), "frequency 1 tick per second")
    s10 = T["ss10"]
    stw = s10.find("GCSTWStart")
    add("stw-kind-2-in-1.10", "ss10", s10.splice(stw["off"], stw["end"], s10.encode(stw, [v for _, v in stw["vals"][:-1]] + [2])), "an STW kind 2 in a 1.10 trace")
    hs = h.find("STWStart")
    add("stw-kind-99-in-1.21", "http21", h.splice(hs["off"], hs["end"], h.encode(hs, [v for _, v in hs["vals"][:-1]] + [99])), "an STW kind 99 in a 1.21 trace (Go 1.21: 'unknown')")
    # --- batches and events
    b0 = u.recs[0]
    add("first-batch-missing", "utr19", u.splice(b0["off"], b0["end"], b""), "the first Batch record deleted: its events come before any batch")
    batches = [r for r in s.recs if r["name"] == "Batch"]
    mid = batches[len(batches) // 2]
    nxt = next((r for r in s.recs if r["off"] > mid["off"] and r["name"] == "Batch"), None)
    end = nxt["off"] if nxt else len(s.data)
    add("batch-deleted", "ss19", s.splice(mid["off"], end, b""), "a whole batch deleted")
    add("batch-duplicated", "ss19", s.splice(end, end, s.data[mid["off"]:end]), "a whole batch written twice")
    gst = s.find("GoStart", 3)
    add("event-deleted", "ss19", s.splice(gst["off"], gst["end"], b""), "one GoStart deleted")
    add("event-duplicated", "ss19", s.splice(gst["end"], gst["end"], s.bytes_of(gst)), "one GoStart written twice in a row")
    v = [x for _, x in gst["vals"]]
    add("seq-bumped", "ss19", s.splice(gst["off"], gst["end"], s.encode(gst, v[:2] + [v[2] + 1])), "a GoStart's sequence number increased by one")
    g2 = s.find("GoStart", 1, lambda r: r["vals"][1][1] == v[1] and r["off"] != gst["off"])
    if g2 is not None:
        v2 = [x for _, x in g2["vals"]]
        d = s.splice(g2["off"], g2["end"], s.encode(g2, v2[:2] + [v[2]]))
        # The first edit keeps offsets only if widths match; do the later one first.
        lo, hi = sorted([gst, g2], key=lambda r: r["off"])
        e_lo = s.encode(lo, [x for _, x in lo["vals"]][:2] + [[x for _, x in hi["vals"]][2]])
        e_hi = s.encode(hi, [x for _, x in hi["vals"]][:2] + [[x for _, x in lo["vals"]][2]])
        d = s.data[:lo["off"]] + e_lo + s.data[lo["end"]:hi["off"]] + e_hi + s.data[hi["end"]:]
        add("seq-swapped", "ss19", d, "the sequence numbers of two GoStarts of one goroutine swapped")
    add("dt-huge", "ss19", s.splice(gst["off"], gst["end"], s.encode(gst, [v[0] + 10**9] + v[1:])), "a GoStart's timestamp delta increased by 10^9 ticks")
    pstart = s.find("ProcStart", 5)
    pv = [x for _, x in pstart["vals"]]
    add("dt-zero-batch-start", "ss19", s.splice(pstart["off"], pstart["end"], s.encode(pstart, [0] + pv[1:])), "a ProcStart's timestamp delta set to 0")
    bt = batches[1]
    bv = [x for _, x in bt["vals"]]
    add("batch-ticks-earlier", "ss19", s.splice(bt["off"], bt["end"], s.encode(bt, [bv[0] & (2**64 - 1), max(1, bv[1] - 10**9)])), "a batch's base timestamp moved 10^9 ticks earlier")
    sx = s.find("GoSysExit")
    if sx is not None:
        xv = [x for _, x in sx["vals"]]
        add("sysexit-local", "ss19", s.splice(sx["off"], sx["end"], bytes([0x80 | 40]) + b"".join(uv(x) for x in [xv[0], xv[1], xv[3]])), "a GoSysExit rewritten as GoSysExitLocal (no runtime writes it)")
    gc = s.find("GoCreate", 1)  # the first one already names g 1
    gv = [x for _, x in gc["vals"]]
    add("gocreate-existing-g", "ss19", s.splice(gc["off"], gc["end"], s.encode(gc, [gv[0], 1] + gv[2:])), "a second GoCreate naming goroutine 1, which the first one created")
    ge = s.find("GoEnd")
    if ge is not None:
        add("goend-deleted", "ss19", s.splice(ge["off"], ge["end"], b""), "a GoEnd deleted")
    cs = c.find("CPUSample")
    if cs is not None:
        cv = [x for _, x in cs["vals"]]
        add("cpusample-p-huge", "cpu21", c.splice(cs["off"], cs["end"], c.encode(cs, cv[:2] + [10**6] + cv[3:])), "a CPUSample on P 1000000")
    # --- validation: records written twice or altered so that ordering still succeeds but the
    # goroutine, P, GC, STW, sweep, assist, task or region state is wrong
    f19, a19 = T["file19"], T["ann19"]

    def twice(key, t, name, what, nth=0):
        r = t.find(name, nth)
        if r is not None:
            add(f"twice-{what}", key, t.splice(r["end"], r["end"], t.bytes_of(r)), f"a {name} record written twice in a row")

    twice("ss19", s, "ProcStart", "procstart", 3)
    twice("ss19", s, "ProcStop", "procstop", 3)
    twice("ss19", s, "GCDone", "gcdone")
    twice("ss19", s, "GCSTWStart", "stwstart")
    twice("ss19", s, "GCSTWDone", "stwdone")
    twice("ss19", s, "GCSweepStart", "sweepstart")
    twice("ss19", s, "GCSweepDone", "sweepdone")
    twice("file19", f19, "GCMarkAssistStart", "assiststart")
    twice("ss19", s, "GoSched", "gosched", 2)
    twice("file19", f19, "GoSysCall", "syscall", 2)
    twice("file19", f19, "GoEnd", "goend")
    twice("ann19", a19, "UserTaskCreate", "taskcreate")
    twice("ann19", a19, "UserTaskEnd", "taskend")
    twice("ss19", s, "GCMarkAssistStart", "assiststart")

    def deleted(key, t, name, what, nth=0, pred=lambda r: True):
        r = t.find(name, nth, pred)
        if r is not None:
            add(f"deleted-{what}", key, t.splice(r["off"], r["end"], b""), f"a {name} record deleted")

    deleted("ss19", s, "GCDone", "gcdone")
    deleted("file19", f19, "GoSysBlock", "sysblock")
    deleted("file19", f19, "GoEnd", "goend")
    deleted("ss19", s, "GoBlock", "goblock", 5)
    deleted("ss19", s, "GoWaiting", "gowaiting")
    deleted("ss19", s, "ProcStop", "procstop", 2)
    deleted("ss19", s, "GCSTWDone", "stwdone")
    sx = f19.find("GoSysExit")
    if sx is not None:
        xv = [x for _, x in sx["vals"]]
        add("sysexit-as-local", "file19", f19.splice(sx["off"], sx["end"], bytes([0x80 | 40]) + b"".join(uv(x) for x in [xv[0], xv[1], xv[3]])), "a GoSysExit rewritten as GoSysExitLocal (no runtime writes it)")
    reg = a19.find("UserRegion", 0, lambda r: r["vals"][2][1] == 0)
    if reg is not None:
        rv = [x for _, x in reg["vals"]]
        add("region-mode-2", "ann19", a19.splice(reg["off"], reg["end"], a19.encode(reg, rv[:2] + [2] + rv[3:])), "a UserRegion with mode 2")
    end = a19.find("UserRegion", 0, lambda r: r["vals"][2][1] == 1)
    if end is not None:
        ev = [x for _, x in end["vals"]]
        add("region-end-renamed", "ann19", a19.splice(end["off"], end["end"], a19.encode(end, ev[:3] + [ev[3] + 1] + ev[4:])), "a UserRegion end naming another region")
    # --- deterministic bit flips in varints of small traces
    bit_flips(T, ["utr19", "http21", "http7", "http11"], 3, 1, add)

    files = [(name, T[key].ver, T[key].rel, data, desc) for name, key, data, desc in cases]
    files += [(name, ver, "hand-built", data, desc) for name, ver, data, desc in hand_built()]
    binary = dummy_binary()

    tables = {OUT: [], OUT_ALTERED: []}
    for out in tables:
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(out):
            if f != "verdicts-parsed.tsv":  # Go 1.27's verdicts, scripts/record-corpus.sh writes them
                os.remove(os.path.join(out, f))
    for name, ver, rel, data, desc in files:
        out = OUT_ALTERED if name in ALTERED else OUT
        if name in ALTERED:
            desc = f"{desc}: {ALTERED[name]}"
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(data)
        code, msg = go_verdict(ver, path, binary)
        gover = "1.21" if ver == 1021 else "1.19"
        tables[out].append("\t".join([name, rel, gover, str(code), msg, desc] + our_verdicts(tool, path)))
        print(f"{name:32} go{gover} exit {code} {msg}")
    missing = set(ALTERED) - {r.split("\t")[0] for r in tables[OUT_ALTERED]}
    assert not missing, f"ALTERED names files no longer made: {sorted(missing)}"
    for out, rows in tables.items():
        with open(os.path.join(out, "verdicts.tsv"), "w") as f:
            f.write("\n".join([HEADER] + rows) + "\n")

def modern_verdict(path):
    """Go 1.27's `go tool trace -d=parsed`: exit status and its error text, escaped for the TSV."""
    env = dict(os.environ, GOCACHE=os.path.join(tempfile.gettempdir(), "gotrace-gocache"))
    p = subprocess.run([GO[1027], "tool", "trace", "-d=parsed", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=env)
    msg = p.stderr.decode("utf-8", "replace")
    if msg.endswith("\n"):
        msg = msg[:-1]
    return p.returncode, escape(msg)


def batch_header(r, **change):
    """An EventBatch header record with some fields changed (the size padded to 10 bytes, as the
    runtime writes it)."""
    v = dict(r["vals"])
    v.update(change)
    return bytes([1]) + uv(v["gen"]) + uv(v["m"]) + uv(v["time"]) + uv(v["size"], 10)


def modern_cases(tool):
    bases = {
        "m22": "recorded/go1.22/annotations.trace",
        "m23": "recorded/go1.23/timers.trace",
        "m26": "recorded/go1.26/cpuprof.trace",
        "m27": "recorded/go1.27/annotations.trace",
    }
    T = {k: Trace(tool, v) for k, v in bases.items()}
    for t in T.values():
        for r in t.recs:
            if r["name"] == "EventBatch":
                assert batch_header(r) == t.data[r["off"]:r["off"] + len(batch_header(r))], t.rel
    cases = []

    def add(name, key, data, desc):
        if data is not None:
            cases.append((name, key, data, desc))

    def batches(t):
        return [r for r in t.recs if r["name"] == "EventBatch"]

    def batch_span(t, b):
        """Start and end of a batch: its header and body."""
        hdr = len(batch_header(b))
        return b["off"], b["off"] + hdr + dict(b["vals"])["size"]

    def batch_of(t, r):
        """The batch that holds record `r`."""
        return max((b for b in batches(t) if b["off"] < r["off"]), key=lambda b: b["off"])

    def batch_holding(t, name):
        """The batch that holds the first record named `name`."""
        r = t.find(name)
        return None if r is None else batch_of(t, r)

    def event_batch(t, nth=0):
        """The nth batch of timed events (not a table, sync or frequency batch)."""
        tables = {"Strings", "Stacks", "CPUSamples", "Frequency", "Sync", "EndOfGeneration"}
        out = []
        for i, r in enumerate(t.recs):
            if r["name"] == "EventBatch" and i + 1 < len(t.recs) and t.recs[i + 1]["name"] not in tables:
                out.append(r)
        return out[nth] if len(out) > nth else None

    m22, m23, m26, m27 = T["m22"], T["m23"], T["m26"], T["m27"]
    # --- header
    add("header-only", "m23", m23.data[:16], "the 16-byte header of a 1.23 trace and nothing else")
    add("version-1.24", "m23", b"go 1.24 trace\0\0\0" + m23.data[16:], "header names 1.24, a version no Go wrote")
    add("version-1.22-on-1.26", "m27", b"go 1.22 trace\0\0\0" + m27.data[16:], "a 1.26 body under a 1.22 header")
    add("junk-before-batch", "m23", m23.data[:16] + b"\x42" + m23.data[16:], "a byte that starts no batch right after the header")
    # --- truncation: inside records at several places, inside a batch header, at batch boundaries
    for key in ["m22", "m23", "m27"]:
        t = T[key]
        for i, frac in enumerate([0.1, 0.3, 0.5, 0.7, 0.9]):
            r = t.recs[int(len(t.recs) * frac)]
            if r["end"] - r["off"] > 1:
                mid = r["off"] + (r["end"] - r["off"]) // 2
                add(f"cut-inside-record-{key}-{i}", key, t.data[:mid], f"cut inside a {r['name']} record at {mid}")
        b = event_batch(t, 1)
        add(f"cut-inside-batch-header-{key}", key, t.data[:b["off"] + 5], f"cut 5 bytes into the EventBatch header at {b['off']}")
        add(f"cut-at-batch-{key}", key, t.data[:b["off"]], f"cut just before the EventBatch at {b['off']}")
    # --- batch sizes and fields
    b = event_batch(m23)
    start, end = batch_span(m23, b)
    hdr = len(batch_header(b))
    for name, size in [("2p40", 2**40), ("2p63", 2**63), ("65537", 65537)]:
        add(f"batch-size-{name}", "m23", m23.splice(b["off"], b["off"] + hdr, batch_header(b, size=size)), f"an EventBatch size of {size}")
    add("batch-size-short", "m23", m23.splice(b["off"], b["off"] + hdr, batch_header(b, size=dict(b["vals"])["size"] - 1)), "an EventBatch one byte shorter than its events")
    add("batch-gen-0", "m23", m23.splice(b["off"], b["off"] + hdr, batch_header(b, gen=0)), "an EventBatch of generation 0")
    add("batch-gen-2", "m23", m23.splice(b["off"], b["off"] + hdr, batch_header(b, gen=2)), "one EventBatch moved to generation 2 (the others stay in 1)")
    add("batch-gen-2p63", "m23", m23.splice(b["off"], b["off"] + hdr, batch_header(b, gen=2**63)), "an EventBatch of generation 2^63")
    add("batch-time-0", "m23", m23.splice(b["off"], b["off"] + hdr, batch_header(b, time=0)), "an EventBatch whose base time is 0")
    add("batch-m-other", "m23", m23.splice(b["off"], b["off"] + hdr, batch_header(b, m=12345)), "an EventBatch moved to a thread that never appears")
    # --- batches deleted or doubled
    for key in ["m23", "m27"]:
        t = T[key]
        for what, rec in [("frequency", "Frequency"), ("strings", "Strings"), ("stacks", "Stacks")]:
            bb = batch_holding(t, rec)
            if bb is not None:
                s0, e0 = batch_span(t, bb)
                add(f"batch-deleted-{what}-{key}", key, t.splice(s0, e0, b""), f"the batch of the {rec} record deleted")
                add(f"batch-doubled-{what}-{key}", key, t.splice(e0, e0, t.data[s0:e0]), f"the batch of the {rec} record written twice")
        s0, e0 = batch_span(t, event_batch(t, 1))
        add(f"batch-deleted-events-{key}", key, t.splice(s0, e0, b""), "the second batch of events deleted")
        add(f"batch-doubled-events-{key}", key, t.splice(e0, e0, t.data[s0:e0]), "the second batch of events written twice")
    bb = batch_holding(m26, "CPUSamples")
    if bb is not None:
        s0, e0 = batch_span(m26, bb)
        add("batch-doubled-cpusamples-m26", "m26", m26.splice(e0, e0, m26.data[s0:e0]), "the CPU-sample batch written twice")
    eog = m27.find("EndOfGeneration")
    if eog is not None:
        add("end-of-generation-deleted", "m27", m27.splice(eog["off"], eog["end"], b""), "the EndOfGeneration record deleted")
        add("end-of-generation-doubled", "m27", m27.splice(eog["end"], eog["end"], m27.bytes_of(eog)), "the EndOfGeneration record written twice")
    # --- tables
    st = m23.find("String")
    sv = dict(st["vals"])
    for name, n in [("2p40", 2**40), ("1025", 1025)]:
        # type, id, then the length: only the length changes, the bytes stay.
        body = m23.bytes_of(st)
        idlen = len(uv(sv["id"]))
        old_len_bytes = 1 + idlen
        j, shift, old = old_len_bytes, 0, 0
        while True:
            c = body[j]
            old |= (c & 0x7F) << shift
            j += 1
            shift += 7
            if c < 0x80:
                break
        new = body[:old_len_bytes] + uv(n) + body[j:]
        add(f"string-length-{name}", "m23", m23.splice(st["off"], st["end"], new), f"a String record whose length says {n}")
    add("string-id-doubled", "m23", m23.splice(st["end"], st["end"], m23.bytes_of(st)), "a String record written twice in its batch")
    sk = m23.find("Stack")
    kv = dict(sk["vals"])
    kbody = m23.bytes_of(sk)
    head = 1 + len(uv(kv["id"]))
    for name, n in [("129", 129), ("2p40", 2**40)]:
        new = kbody[:head] + uv(n) + kbody[head + len(uv(kv["nframes"])):]
        add(f"stack-frames-{name}", "m23", m23.splice(sk["off"], sk["end"], new), f"a Stack record claiming {n} frames")
    add("stack-id-doubled", "m23", m23.splice(sk["end"], sk["end"], m23.bytes_of(sk)), "a Stack record written twice in its batch")
    fr = m23.find("Frequency")
    add("frequency-0", "m23", m23.splice(fr["off"], fr["end"], bytes([fr["type"]]) + uv(0)), "a frequency of 0")
    # --- events
    eb = event_batch(m23)
    first = next(r for r in m23.recs if r["off"] > eb["off"])
    add("unknown-event-type", "m23", m23.data[:first["off"]] + bytes([0x7E]) + m23.data[first["off"] + 1:], "the first event of a batch gets type 126, which no version defines")
    for key, t in [("m23", m23), ("m27", m27)]:
        for name, nth in [("GoStart", 3), ("GoBlock", 3), ("GoUnblock", 2), ("ProcStart", 2), ("GoCreate", 1)]:
            r = t.find(name, nth)
            if r is None:
                continue
            # Inside a batch, a record's bytes move and the batch size no longer fits: fix it.
            bb = batch_of(t, r)
            size = dict(bb["vals"])["size"]
            hl = len(batch_header(bb))
            n = r["end"] - r["off"]
            for what, delta, body in [("deleted", -n, b""), ("doubled", n, t.bytes_of(r) * 2)]:
                d = t.data[:bb["off"]] + batch_header(bb, size=size + delta) + t.data[bb["off"] + hl:r["off"]] + body + t.data[r["end"]:]
                add(f"{what}-{name.lower()}-{key}", key, d, f"a {name} record {what} (its batch's size adjusted)")
    # --- deterministic bit flips
    bit_flips(T, ["m22", "m23", "m26", "m27"], 4, 2, add)
    return [(name, T[key].rel, data, desc) for name, key, data, desc in cases]


def write_modern(tool):
    """Writes the modern cases: those Go 1.27 rejects to corpus/damaged-modern/, those it reads
    (the alteration left a well-formed trace) to corpus/altered-modern/, where `validate
    --strict` still rejects those no runtime writes."""
    tables = {OUT_MODERN: [], OUT_MODERN_ALTERED: []}
    for out in tables:
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(out):
            if f != "verdicts-parsed.tsv":  # Go 1.27's verdicts, scripts/record-corpus.sh writes them
                os.remove(os.path.join(out, f))
    for name, rel, data, desc in modern_cases(tool):
        path = os.path.join(OUT_MODERN, name)
        with open(path, "wb") as f:
            f.write(data)
        code, msg = modern_verdict(path)
        ours = our_verdicts(tool, path)
        out = OUT_MODERN
        if code == 0:
            out = OUT_MODERN_ALTERED
            os.rename(path, os.path.join(out, name))
            if ours[1] == "ok":
                desc += ": still a well-formed trace, one a runtime could have written"
            else:
                desc += ": Go reads it, but no runtime writes it (strict rejects it)"
        tables[out].append("\t".join([name, rel, "1.27", str(code), msg, desc] + ours))
        print(f"{name:32} go1.27 exit {code} {msg[:100]}")
    for out, rows in tables.items():
        with open(os.path.join(out, "verdicts.tsv"), "w") as f:
            f.write("\n".join([HEADER] + rows) + "\n")

if __name__ == "__main__":
    sys.exit(main())
