#!/usr/bin/env python3
"""Redis streams side by side with redis-server (issue 14's workloads).

- xadd: redis-benchmark (50 clients) `XADD s:bench * f1 v1 f2 v2 f3 v3` (auto ids, one growing
  stream, deleted before each run) at P=1 and P=16.
- groups: `s:group` is pre-filled with --entries entries `f1 v1 f2 v2 f3 v3` (auto ids) and gets
  group `g` at id 0; then 10 consumer processes (one connection each, TCP_NODELAY) loop
  `XREADGROUP GROUP g c<i> COUNT 10 STREAMS s:group >` and `XACK s:group g <the ids it got>`
  until XREADGROUP answers nil (stream drained). Each XACK is sent in the same write as the next
  XREADGROUP (one round trip per batch of 10), the same for both servers. Reports entries read
  and acked per second of wall clock (from the release of all consumers to the last one's exit),
  server CPU per entry (/proc/<pid>/stat), and the consumers' own CPU per entry (if that nears
  one core's worth of the wall time, the client is the limit). Checks that every entry was
  acked once and that XPENDING is empty afterwards.
- xrange: `s:range` holds 10,000 entries `f1 v1 f2 v2 f3 v3` with ids 1000000000000-0 ..
  1000000009999-0; redis-benchmark (50 clients) runs `XRANGE s:range - + COUNT 100` (always the
  first 100) and `XRANGE s:range 1__rand_int__ + COUNT 100` with -r 9900 (a random start:
  `1` followed by 12 random digits is an id of the stream, so every call returns 100 entries),
  at P=1 and P=16, with --requests / 4 requests (each returns 100 entries). redis-benchmark
  parses every reply (~700 elements), so near 20k req/s it is the limit on its core: then the
  server CPU per request is the comparison that counts.
- memory: on freshly started servers, RSS (VmRSS of /proc/<pid>/status) is read 11 s after
  start (past jemalloc's 10 s decay of pages freed at startup) once settled; then 1,000,000
  `XADD s:mem * a 1 b 2 c 3` are loaded with redis-cli --pipe, and once RSS has settled again
  (compare.settle_rss) the delta / 1,000,000 is the RSS per entry. Also `MEMORY USAGE s:mem`
  (default SAMPLES 5) and `MEMORY USAGE s:mem SAMPLES 0` (every node).

Servers are started fresh in every round and alternated (redis then lode); throughput is the best
of --rounds, CPU per request / entry the lowest, memory the lowest of the rounds.

Usage: bench/streams.py [--lode target/release/lode-server] [--requests 200000] [--rounds 2]
                        [--entries 1000000] [--only xadd,groups,xrange,memory] [--pin]
"""
import argparse
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (Server, pinned, settle_rss, the CPU and RSS readers)
from analytics import encode  # noqa: E402  (one command as RESP)
from scripting import bench  # noqa: E402  (one redis-benchmark run: rps, CPU per request)

FIELDS = ["f1", "v1", "f2", "v2", "f3", "v3"]
CONSUMERS = 10
RANGE_ENTRIES = 10_000
RANGE_BASE = 10**12  # ids RANGE_BASE + i; "1" + 12 random digits is one of them
MEM_ENTRIES = 1_000_000

XRANGE_WORKLOADS = [
    ("XRANGE - + COUNT 100", ["xrange", "s:range", "-", "+", "count", "100"]),
    ("XRANGE rand COUNT 100", ["xrange", "s:range", "1__rand_int__", "+", "count", "100"]),
]


def pipe(server, blob):
    """Sends raw RESP through redis-cli --pipe (it exits non-zero on an error reply)."""
    with tempfile.TemporaryFile() as f:
        f.write(blob)
        f.seek(0)
        subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], stdin=f,
                       stdout=subprocess.DEVNULL, check=True)


def xadd_blob(key, n, fields=FIELDS):
    return encode("XADD", key, "*", *fields) * n


def xlen(server, key):
    return int(server.cli("XLEN", key) or 0)


# --- consumer groups ------------------------------------------------------------------------

# A reply to the pipelined [XACK] + XREADGROUP: the XACK's integer (if one was sent), then nil
# (drained) or [[key, [entries]]] with the entry count.
HEAD = re.compile(rb"(?::(\d+)\r\n)?\*(?:(-1)\r\n|1\r\n\*2\r\n\$\d+\r\n[^\r\n]*\r\n\*(\d+)\r\n)")
# One entry: [id, [f1, v1, f2, v2, f3, v3]] (no value holds CR or LF).
ENTRY = re.compile(rb"\*2\r\n\$\d+\r\n(\d+-\d+)\r\n\*%d\r\n(?:\$\d+\r\n[^\r\n]*\r\n){%d}"
                   % (len(FIELDS), len(FIELDS)))


def consumer(port, key, index, go, results, pin):
    """One consumer connection: loops until the group has nothing new; puts (entries received,
    entries acked, CPU seconds) on `results`."""
    if pin:
        os.sched_setaffinity(0, {1})
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    read = encode("XREADGROUP", "GROUP", "g", f"c{index}", "COUNT", "10", "STREAMS", key, ">")
    ack_head = b"$4\r\nXACK\r\n" + encode(key, "g")[4:]  # XACK key g, without the array header
    received = acked = 0
    ack = b""
    go.wait()
    cpu0 = time.process_time()
    while True:
        s.sendall(ack + read)
        buf = s.recv(1 << 16)
        while True:
            m = HEAD.match(buf)
            if m is not None and (m.group(1) is not None) == bool(ack):
                if m.group(2) is not None:  # nil: drained
                    ids = None
                    break
                ids = ENTRY.findall(buf, m.end())
                if len(ids) == int(m.group(3)):
                    break
            chunk = s.recv(1 << 16)
            if not chunk:
                raise RuntimeError("connection closed")
            buf += chunk
        if m.group(1) is not None:
            acked += int(m.group(1))
        if ids is None:
            break
        received += len(ids)
        ack = b"*%d\r\n" % (len(ids) + 3) + ack_head + b"".join(
            b"$%d\r\n%s\r\n" % (len(i), i) for i in ids)
    s.close()
    results.put((received, acked, time.process_time() - cpu0))


def groups(server, n, pin):
    """Drains an n-entry stream with CONSUMERS consumers: (entries/s, server CPU µs per entry,
    client CPU µs per entry)."""
    key = "s:group"
    server.cli("DEL", key)
    pipe(server, xadd_blob(key, n))
    if xlen(server, key) != n:
        raise RuntimeError(f"{server.name}: {key} has {xlen(server, key)} entries, expected {n}")
    if server.cli("XGROUP", "CREATE", key, "g", "0") != "OK":
        raise RuntimeError(f"{server.name}: XGROUP CREATE failed")
    ctx = multiprocessing.get_context("fork")
    go, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=consumer, args=(server.port, key, i, go, results, pin))
             for i in range(CONSUMERS)]
    for p in procs:
        p.start()
    time.sleep(0.5)  # all connected and waiting
    cpu0 = server.cpu_seconds()
    start = time.time()
    go.set()
    done = [results.get(timeout=600) for _ in procs]
    elapsed = time.time() - start
    cpu = server.cpu_seconds() - cpu0
    for p in procs:
        p.join()
    received = sum(d[0] for d in done)
    acked = sum(d[1] for d in done)
    pending = server.cli("XPENDING", key, "g").split("\n")[0]
    if received != n or acked != n or pending != "0":
        raise RuntimeError(f"{server.name}: received {received}, acked {acked}, pending "
                           f"{pending}, expected {n}")
    client = sum(d[2] for d in done)
    return n / elapsed, cpu / n * 1e6, client / n * 1e6


# --- memory ---------------------------------------------------------------------------------

def memory(server):
    """(RSS bytes per entry, MEMORY USAGE, MEMORY USAGE SAMPLES 0) of MEM_ENTRIES entries."""
    # Startup frees a few MB that jemalloc hands back only after its 10 s decay, sometimes
    # after two equal readings 2 s apart: a baseline taken earlier would be up to 2.4 MB high.
    time.sleep(11)
    compare.settle_rss(server)
    before = server.rss_bytes()
    pipe(server, xadd_blob("s:mem", MEM_ENTRIES, ["a", "1", "b", "2", "c", "3"]))
    if xlen(server, "s:mem") != MEM_ENTRIES:
        raise RuntimeError(f"{server.name}: s:mem has {xlen(server, 's:mem')} entries")
    compare.settle_rss(server)
    per_entry = (server.rss_bytes() - before) / MEM_ENTRIES
    return (per_entry, int(server.cli("MEMORY", "USAGE", "s:mem")),
            int(server.cli("MEMORY", "USAGE", "s:mem", "SAMPLES", "0")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lode", default="target/release/lode-server")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--entries", type=int, default=1000000,
                    help="entries the consumer-group test drains")
    ap.add_argument("--only", default="xadd,groups,xrange,memory")
    ap.add_argument("--pin", action="store_true",
                    help="servers on CPU 0, redis-benchmark and the consumers on CPU 1")
    args = ap.parse_args()
    compare.PIN = args.pin
    only = args.only.split(",")
    results = {}

    def note(label, p, name, value):
        results.setdefault((label, p, name), []).append(value)
        print(f"# {label} P={p} {name}: {value}", file=sys.stderr)

    for _ in range(args.rounds):
        for name, argv in (("redis", ["redis-server"]), ("lode", [args.lode])):
            if "memory" in only:  # on a fresh server of its own: nothing freed before it
                s = compare.Server(name, argv)
                try:
                    note("memory", 0, name, memory(s))
                finally:
                    s.stop()
            s = compare.Server(name, argv)
            try:
                if "xadd" in only:
                    for p in (1, 16):
                        s.cli("DEL", "s:bench")
                        note("XADD", p, name, bench(s, ["xadd", "s:bench", "*"] + FIELDS, p,
                                                    args.requests))
                if "groups" in only:
                    note("XREADGROUP+XACK", 1, name, groups(s, args.entries, args.pin))
                if "xrange" in only:
                    pipe(s, b"".join(encode("XADD", "s:range", f"{RANGE_BASE + i}-0", *FIELDS)
                                     for i in range(RANGE_ENTRIES)))
                    for label, cmd in XRANGE_WORKLOADS:
                        for p in (1, 16):
                            note(label, p, name, bench(s, cmd, p, args.requests // 4,
                                                       keyspace=RANGE_ENTRIES - 100))
            finally:
                s.stop()

    pin = "; servers on CPU 0, clients on CPU 1" if args.pin else ""
    print(f"Best of {args.rounds} rounds (servers alternated, fresh each round){pin}.\n")
    rows = []
    if "xadd" in only:
        rows += [("XADD", p) for p in (1, 16)]
    if "xrange" in only:
        rows += [(label, p) for label, _ in XRANGE_WORKLOADS for p in (1, 16)]
    if rows:
        print(f"redis-benchmark, 50 clients, {args.requests} requests "
              f"(XRANGE: {args.requests // 4})")
        print(f"{'workload':<24}{'P':>4}{'redis rps':>12}{'lode rps':>12}{'ratio':>8}"
              f"{'redis us/req':>14}{'lode us/req':>13}")
        for label, p in rows:
            r, lo = results[(label, p, "redis")], results[(label, p, "lode")]
            rr, lr = max(x[0] for x in r), max(x[0] for x in lo)
            rc, lc = min(x[1] for x in r), min(x[1] for x in lo)
            print(f"{label:<24}{p:>4}{rr:>12.0f}{lr:>12.0f}{lr / rr:>8.2f}{rc:>14.2f}{lc:>13.2f}")
        print()
    if "groups" in only:
        r, lo = results[("XREADGROUP+XACK", 1, "redis")], results[("XREADGROUP+XACK", 1, "lode")]
        print(f"Consumer group: {CONSUMERS} consumers drain {args.entries} entries "
              f"(XREADGROUP COUNT 10 + XACK per round trip)")
        print(f"{'':<24}{'':>4}{'redis e/s':>12}{'lode e/s':>12}{'ratio':>8}"
              f"{'redis us/e':>14}{'lode us/e':>13}{'client us/e r/l':>18}")
        rr, lr = max(x[0] for x in r), max(x[0] for x in lo)
        rc, lc = min(x[1] for x in r), min(x[1] for x in lo)
        cr, cl = min(x[2] for x in r), min(x[2] for x in lo)
        print(f"{'XREADGROUP+XACK':<24}{'':>4}{rr:>12.0f}{lr:>12.0f}{lr / rr:>8.2f}{rc:>14.2f}"
              f"{lc:>13.2f}{f'{cr:.2f}/{cl:.2f}':>18}")
        print()
    if "memory" in only:
        r, lo = results[("memory", 0, "redis")], results[("memory", 0, "lode")]
        print(f"Memory: {MEM_ENTRIES} x XADD s:mem * a 1 b 2 c 3 (lowest of the rounds)")
        print(f"{'':<24}{'redis':>12}{'lode':>12}{'ratio':>8}")
        for i, label in enumerate(("RSS bytes/entry", "MEMORY USAGE", "MEMORY USAGE SAMPLES 0")):
            rv, lv = min(x[i] for x in r), min(x[i] for x in lo)
            print(f"{label:<24}{rv:>12.1f}{lv:>12.1f}{lv / rv:>8.2f}")


if __name__ == "__main__":
    main()
