#!/usr/bin/env python3
"""Scripting side by side with redis-server: EVALSHA and EVAL of a small script, FCALL of the
same as a function, and MULTI/EXEC of 5 commands, at P=1 and P=16.

The script is GET + INCR + EXPIRE on one key (of 1000 random keys), as rate limiters and
counters do. EVAL sends the whole body every time (a cache hit after the first). MULTI/EXEC is
measured in transactions per second: redis-benchmark sends MULTI, 5 commands and EXEC as one
pipeline step per client (`-P` counts transactions, each one 7 commands).

Each run reports requests per second (redis-benchmark, 50 clients) and server CPU per request
(from /proc/<pid>/stat), for lode and for redis-server, and lode's ratio.

Usage: bench/scripting.py [--lode target/release/lode-server] [--requests 200000] [--rounds 2]
                          [--pin]
"""
import argparse
import csv
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (Server, pinned, the CPU reader)

SCRIPT = ("local v = redis.call('get', KEYS[1]); redis.call('incr', KEYS[1]); "
          "redis.call('expire', KEYS[1], 100); return v")
LIBRARY = ("#!lua name=benchlib\n"
           "redis.register_function('counter', function(keys, args) " + SCRIPT.replace(
               "KEYS", "keys") + " end)")


def bench(server, argv, pipeline, requests, keyspace=1000, connect=None):
    """One redis-benchmark run of `argv` (50 clients, `__rand_int__` below `keyspace`):
    requests per second and server CPU microseconds per request. `connect`: how
    redis-benchmark reaches the server (default: the server's port)."""
    connect = connect or ["-p", str(server.port)]
    cpu0 = server.cpu_seconds()
    out = subprocess.run(
        compare.pinned(["redis-benchmark"] + connect + ["-n", str(requests),
                        "-c", "50", "-P", str(pipeline), "-r", str(keyspace), "--csv"] + argv, 1),
        capture_output=True, text=True).stdout
    cpu = server.cpu_seconds() - cpu0
    for cells in list(csv.reader(out.splitlines()))[1:]:
        if len(cells) > 1:
            return float(cells[1]), cpu / requests * 1e6
    raise RuntimeError(f"no result from redis-benchmark: {out!r}")


def workloads(server):
    sha = server.cli("SCRIPT", "LOAD", SCRIPT)
    server.cli("FUNCTION", "LOAD", "REPLACE", LIBRARY)
    return [
        ("EVALSHA", ["evalsha", sha, "1", "key:__rand_int__"]),
        ("EVAL", ["eval", SCRIPT, "1", "key:__rand_int__"]),
        ("FCALL", ["fcall", "counter", "1", "key:__rand_int__"]),
    ]


def multi_exec(server, pipeline, requests):
    """MULTI, GET, INCR, EXPIRE, SET, GET, EXEC: the script's work on one key plus a write and
    a read of another, as one transaction. Returns transactions per second and CPU per one."""
    cmds = [["multi"], ["get", "key:__rand_int__"], ["incr", "key:__rand_int__"],
            ["expire", "key:__rand_int__", "100"], ["set", "other:__rand_int__", "v"],
            ["get", "other:__rand_int__"], ["exec"]]
    # redis-benchmark sends one command line per request, so the 7 commands of a transaction
    # are driven over plain sockets here: 50 clients, `pipeline` transactions per write.
    def encode(key):
        return b"".join(
            b"*%d\r\n" % len(c) + b"".join(
                b"$%d\r\n%s\r\n" % (len(w), w)
                for w in (a.replace("__rand_int__", key).encode() for a in c))
            for c in cmds)
    frames = [encode("%06d" % i) for i in range(1000)]
    per_client = requests // 50
    cpu0 = server.cpu_seconds()
    start = time.time()

    def client():
        s = socket.create_connection(("127.0.0.1", server.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sent = 0
        while sent < per_client:
            n = min(pipeline, per_client - sent)
            s.sendall(b"".join(frames[(sent + i) % 1000] for i in range(n)))
            buf = b""
            # Each transaction answers +OK, 5 x +QUEUED, then EXEC's array of 5 replies (no
            # other reply here is an array): count those headers.
            while buf.count(b"*5\r\n") < n:
                chunk = s.recv(1 << 16)
                if not chunk:
                    raise RuntimeError("connection closed")
                buf += chunk
            sent += n
        s.close()

    threads = [threading.Thread(target=client) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - start
    cpu = server.cpu_seconds() - cpu0
    total = per_client * 50
    return total / elapsed, cpu / total * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lode", default="target/release/lode-server")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pin", action="store_true")
    args = ap.parse_args()
    compare.PIN = args.pin
    results = {}
    for rnd in range(args.rounds):
        for name, argv in (("redis", ["redis-server"]), ("lode", [args.lode])):
            s = compare.Server(name, argv)
            try:
                for label, cmd in workloads(s):
                    for p in (1, 16):
                        rps, cpu = bench(s, cmd, p, args.requests)
                        results.setdefault((label, p, name), []).append((rps, cpu))
                for p in (1, 16):
                    rps, cpu = multi_exec(s, p, args.requests // 4)
                    results.setdefault(("MULTI/EXEC x5", p, name), []).append((rps, cpu))
            finally:
                s.stop()
    print(f"{'workload':<16}{'P':>4}{'redis rps':>14}{'lode rps':>14}{'ratio':>8}"
          f"{'redis us/req':>14}{'lode us/req':>13}")
    for label in ("EVALSHA", "EVAL", "FCALL", "MULTI/EXEC x5"):
        for p in (1, 16):
            r = results[(label, p, "redis")]
            lo = results[(label, p, "lode")]
            rr = max(x[0] for x in r)
            lr = max(x[0] for x in lo)
            rc = min(x[1] for x in r)
            lc = min(x[1] for x in lo)
            print(f"{label:<16}{p:>4}{rr:>14.0f}{lr:>14.0f}{lr / rr:>8.2f}{rc:>14.2f}{lc:>13.2f}")


if __name__ == "__main__":
    main()
