#!/usr/bin/env python3
"""Bitmaps, HyperLogLog and geo side by side with redis-server (issue 13's workloads).

Each server gets the same dataset, loaded over a pipelined socket from a fixed seed:
- bitmaps: two 1 MB strings of random bytes (`bm:a`, `bm:b`) and a 1 MB string of zeros whose
  last bit is set (`bm:z`), so BITPOS scans the whole value;
- HyperLogLog: three dense HLLs of 100,000 elements each (`hll:1`, `hll:2`, `hll:3`);
- geo: 100,000 points uniform over a 1 x 1 degree square (13..14 E, 38..39 N, ~110 x 87 km).

Then redis-benchmark (50 clients) runs each workload at the listed pipeline depths:
BITCOUNT, BITOP AND of two keys and BITPOS on the 1 MB values; PFADD of random elements into a
fresh key; PFCOUNT of one key (its cached cardinality, as clients see it) and of three keys (a
merge every call); GEOADD of random points (`__rand_int__` inside the coordinates); GEOSEARCH
BYRADIUS 2 km around random centres (~120 points each) with ASC, and with COUNT 10 ASC.

Reports requests per second and server CPU per request (/proc/<pid>/stat) for both servers and
lode's ratio (best of --rounds, servers alternated in each round).

Usage: bench/analytics.py [--lode target/release/lode-server] [--requests 20000] [--rounds 2]
                          [--only bitmaps,hll,geo] [--pin]
"""
import argparse
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (Server, pinned, the CPU reader)
from scripting import bench  # noqa: E402  (one redis-benchmark run: rps, CPU per request)

MB = 1 << 20


def encode(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def load(port, commands, batch=500):
    """Sends `commands` pipelined in batches and reads (and discards) one reply per command;
    an error reply stops the run."""
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    for i in range(0, len(commands), batch):
        chunk = commands[i:i + batch]
        s.sendall(b"".join(encode(*c) for c in chunk))
        for _ in chunk:
            read_reply(f)
    s.close()


def read_reply(f):
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"-":
        raise RuntimeError(f"error reply while loading: {rest!r}")
    if kind == b"$" and int(rest) >= 0:
        f.read(int(rest) + 2)
    elif kind == b"*":
        for _ in range(max(int(rest), 0)):
            read_reply(f)


def dataset(area):
    rng = random.Random(13)
    if area == "bitmaps":
        return [("SET", "bm:a", rng.randbytes(MB)), ("SET", "bm:b", rng.randbytes(MB)),
                ("SET", "bm:z", b"\0" * (MB - 1) + b"\x01")]
    if area == "hll":
        cmds = []
        for k in (1, 2, 3):
            elems = [f"e{k}:{i}" for i in range(100_000)]
            cmds += [("PFADD", f"hll:{k}", *elems[i:i + 1000]) for i in range(0, 100_000, 1000)]
        return cmds
    cmds = []
    for i in range(0, 100_000, 500):
        args = ["GEOADD", "pts"]
        for j in range(i, i + 500):
            args += [f"{13 + rng.random():.6f}", f"{38 + rng.random():.6f}", f"p{j}"]
        cmds.append(tuple(args))
    return cmds


# (area, label, redis-benchmark arguments). `__rand_int__` is 12 zero-padded digits, so
# "13.__rand_int__" is a longitude between 13 and 14.
WORKLOADS = [
    ("bitmaps", "BITCOUNT 1MB", ["bitcount", "bm:a"]),
    ("bitmaps", "BITOP AND 2x1MB", ["bitop", "and", "bm:dest", "bm:a", "bm:b"]),
    ("bitmaps", "BITPOS 1MB", ["bitpos", "bm:z", "1"]),
    ("hll", "PFADD", ["pfadd", "hll:new", "el:__rand_int__"]),
    ("hll", "PFCOUNT 1 key", ["pfcount", "hll:1"]),
    ("hll", "PFCOUNT 3 keys", ["pfcount", "hll:1", "hll:2", "hll:3"]),
    ("geo", "GEOADD", ["geoadd", "pts:new", "13.__rand_int__", "38.__rand_int__",
                       "m:__rand_int__"]),
    ("geo", "GEOSEARCH 2km", ["geosearch", "pts", "fromlonlat", "13.__rand_int__",
                              "38.__rand_int__", "byradius", "2", "km", "asc"]),
    ("geo", "GEOSEARCH 2km COUNT 10", ["geosearch", "pts", "fromlonlat", "13.__rand_int__",
                                       "38.__rand_int__", "byradius", "2", "km", "count", "10",
                                       "asc"]),
]

PIPELINES = {"bitmaps": (1,), "hll": (1, 16), "geo": (1, 16)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lode", default="target/release/lode-server")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", default="bitmaps,hll,geo")
    ap.add_argument("--pin", action="store_true")
    args = ap.parse_args()
    compare.PIN = args.pin
    areas = args.only.split(",")
    data = {area: dataset(area) for area in areas}
    results = {}
    for _ in range(args.rounds):
        for name, argv in (("redis", ["redis-server"]), ("lode", [args.lode])):
            s = compare.Server(name, argv)
            try:
                for area in areas:
                    load(s.port, data[area])
                for area, label, cmd in WORKLOADS:
                    if area not in areas:
                        continue
                    for p in PIPELINES[area]:
                        # 1 MB bitmaps are slow per request: fewer requests keep runs short.
                        n = args.requests // 10 if area == "bitmaps" else args.requests
                        # Random values over 10^12 spread the coordinates across the square.
                        run = bench(s, cmd, p, n, keyspace=10**12)
                        results.setdefault((label, p, name), []).append(run)
            finally:
                s.stop()
    print(f"{'workload':<24}{'P':>4}{'redis rps':>12}{'lode rps':>12}{'ratio':>8}"
          f"{'redis us/req':>14}{'lode us/req':>13}")
    for area, label, _ in WORKLOADS:
        if area not in areas:
            continue
        for p in PIPELINES[area]:
            r, lo = results[(label, p, "redis")], results[(label, p, "lode")]
            rr, lr = max(x[0] for x in r), max(x[0] for x in lo)
            rc, lc = min(x[1] for x in r), min(x[1] for x in lo)
            print(f"{label:<24}{p:>4}{rr:>12.0f}{lr:>12.0f}{lr / rr:>8.2f}{rc:>14.2f}{lc:>13.2f}")


if __name__ == "__main__":
    main()
