#!/usr/bin/env python3
"""Replication side by side with redis-server, in one sitting (reuses compare.py's harness).

Four primary -> replica pairs: lode -> redis, redis -> redis, redis -> lode, lode -> lode.

1. Full sync: the primary is loaded with `DEBUG POPULATE <keys> key 32`, then the replica runs
   REPLICAOF; the time from REPLICAOF until the replica's INFO replication shows
   master_link_status:up and its DBSIZE equals <keys>.
2. Steady state: a replica attached and synced to an empty primary, then
   `redis-benchmark -t set -n 1000000 -P 16 -c 50 -r 1000000` against the primary. Reports the
   benchmark's req/s, the lag (time from the benchmark's end until the replica's
   slave_repl_offset reaches the primary's master_repl_offset read at that instant), and the
   total time from the benchmark's start until the replica has caught up. Before the benchmark
   one SET is waited for on the replica, so the stream is known to flow; the time from link up
   to that write's arrival is shown too (a Redis primary starts the stream after a diskless sync
   only on the replica's first REPLCONF ACK, which a Redis replica sends at once).

Every round starts fresh servers (empty data dirs, no save points, no AOF); the pairs alternate
within a round so drift hits all alike; the best of --rounds is shown (lowest sync time; for the
steady state, the round with the lowest total time). Both primaries run with
`repl-diskless-sync-delay 0` (Redis 7.0 would otherwise wait 5 s for more replicas before a
diskless sync); everything else is each server's default (Redis 7.0: diskless sync on the primary,
disk load on the replica; lode's primary sends a `$<len>` RDB, so only redis -> lode reads an
EOF-marked payload). Ratios are lode's pairs against redis -> redis.

With --pin, both servers run on CPU 0 (primary and replica share it) and redis-benchmark, the
redis-cli calls and this script's polling on CPU 1.

Usage: bench/replication.py [--lode target/release/lode-server] [--keys 1000000] [--rounds 2]
                            [--requests 1000000] [--pin] [--only sync|steady] [--io-threads 1]
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
from compare import Server, pinned  # noqa: E402

PAIRS = [("lode", "redis"), ("redis", "redis"), ("redis", "lode"), ("lode", "lode")]
IO_THREADS = 1  # lode's --io-threads (1 = one worker, like Redis's one event loop)


class Conn:
    """One RESP connection kept open for polling (a redis-cli per poll costs milliseconds)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise RuntimeError("connection closed")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise RuntimeError(f"unexpected reply {line!r}")

    def call(self, *args):
        frame = [b"*%d\r\n" % len(args)]
        for a in args:
            a = str(a).encode()
            frame.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(frame))
        return self._reply()

    def info(self, section):
        out = {}
        for line in str(self.call("INFO", section)).splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                out[k] = v
        return out

    def close(self):
        self.sock.close()


class Node(Server):
    """compare.Server, but listed in the fleet before it is waited for, so a server that never
    becomes ready is killed too."""

    def __init__(self, name, argv, extra, fleet):
        self.name = name
        self.port = compare.free_port()
        self.bench_port = self.port
        self.bridge = None
        self.dir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        self.proc = subprocess.Popen(
            pinned(argv, 0) + ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", self.dir] + list(extra),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fleet.servers.append(self)
        compare.wait_ready(self.port)


class Fleet:
    """Every server started, so all are stopped (and their dirs removed) even on error."""

    def __init__(self, binary_of):
        self.binary_of = binary_of
        self.servers = []

    def start(self, kind, role):
        extra = ["--enable-debug-command", "yes"]
        if role == "primary":
            extra += ["--repl-diskless-sync-delay", "0"]
        argv = [self.binary_of[kind]]
        if kind == "lode":
            argv += ["--io-engine", "tokio", "--io-threads", str(IO_THREADS)]
        return Node(f"{kind}-{role}", argv, extra, self)

    def stop(self, srv):
        if srv in self.servers:
            self.servers.remove(srv)
            srv.stop()
            shutil.rmtree(srv.dir, ignore_errors=True)

    def stop_all(self):
        for srv in list(self.servers):
            try:
                self.stop(srv)
            except Exception as e:  # keep stopping the others
                print(f"# stopping {srv.name} (pid {srv.proc.pid}): {e}", file=sys.stderr)


def wait_synced(replica_conn, keys, timeout):
    """Polls until master_link_status:up and DBSIZE == keys; returns the time it happened."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if replica_conn.info("replication").get("master_link_status") == "up":
                if replica_conn.call("DBSIZE") == keys:
                    return time.time()
        except (RuntimeError, ValueError):
            pass
        time.sleep(0.002)
    raise RuntimeError(f"replica not synced with {keys} keys after {timeout} s")


def full_sync(fleet, primary_kind, replica_kind, keys):
    primary = fleet.start(primary_kind, "primary")
    replica = fleet.start(replica_kind, "replica")
    try:
        p = Conn(primary.port)
        reply = p.call("DEBUG", "POPULATE", keys, "key", 32)
        if p.call("DBSIZE") != keys:
            raise RuntimeError(f"{primary.name}: DEBUG POPULATE answered {reply!r}, "
                               f"DBSIZE {p.call('DBSIZE')}")
        p.close()
        r = Conn(replica.port)
        t0 = time.time()
        reply = r.call("REPLICAOF", "127.0.0.1", primary.port)
        if reply != "OK":
            raise RuntimeError(f"{replica.name}: REPLICAOF answered {reply!r}")
        t1 = wait_synced(r, keys, timeout=300)
        r.close()
        return t1 - t0
    finally:
        fleet.stop(replica)
        fleet.stop(primary)


def replica_offset(info):
    v = info.get("slave_repl_offset") or info.get("master_repl_offset")
    return int(v) if v is not None else -1


def wait_offset(replica_conn, target, deadline):
    """Polls the replica until its processed offset reaches `target`; returns when."""
    while replica_offset(replica_conn.info("replication")) < target:
        if time.time() > deadline:
            raise RuntimeError(f"replica did not reach offset {target}")
        time.sleep(0.001)
    return time.time()


def steady_state(fleet, primary_kind, replica_kind, requests):
    primary = fleet.start(primary_kind, "primary")
    replica = fleet.start(replica_kind, "replica")
    try:
        r = Conn(replica.port)
        if r.call("REPLICAOF", "127.0.0.1", primary.port) != "OK":
            raise RuntimeError(f"{replica.name}: REPLICAOF refused")
        t_up = wait_synced(r, 0, timeout=60)
        p = Conn(primary.port)
        # One write, waited for on the replica: the stream flows before the benchmark starts
        # (a Redis primary holds it after a diskless sync until the replica's first ACK).
        p.call("SET", "bench:probe", "1")
        wait_offset(r, int(p.info("replication")["master_repl_offset"]), t_up + 60)
        first_write = time.time() - t_up
        t0 = time.time()
        out = subprocess.run(
            pinned(["redis-benchmark", "-p", str(primary.port), "-t", "set", "-n", str(requests),
                    "-c", "50", "-P", "16", "-r", "1000000", "--csv"], 1),
            capture_output=True, text=True).stdout
        t_end = time.time()
        target = int(p.info("replication")["master_repl_offset"])
        t_caught = wait_offset(r, target, t_end + 300)
        rps = None
        for line in out.splitlines():
            cells = [c.strip('"') for c in line.split(",")]
            if cells and cells[0].lower().startswith("set"):
                rps = float(cells[1])
        if rps is None:
            raise RuntimeError(f"no SET result from redis-benchmark: {out!r}")
        p_keys, r_keys = p.call("DBSIZE"), r.call("DBSIZE")
        if p_keys != r_keys:
            raise RuntimeError(f"DBSIZE differs after catch-up: primary {p_keys}, "
                               f"replica {r_keys}")
        p.close()
        r.close()
        return rps, t_caught - t_end, t_caught - t0, target, first_write
    finally:
        fleet.stop(replica)
        fleet.stop(primary)


def label(pair):
    return f"{pair[0]} → {pair[1]}"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--lode", default=os.path.join(root, "target", "release", "lode-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--requests", type=int, default=1000000,
                    help="redis-benchmark -n for the steady-state test")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pin", action="store_true",
                    help="servers on CPU 0, redis-benchmark and this script on CPU 1")
    ap.add_argument("--io-threads", type=int, default=1)
    ap.add_argument("--only", choices=["sync", "steady"])
    args = ap.parse_args()
    global IO_THREADS
    IO_THREADS = args.io_threads
    compare.PIN = args.pin
    if args.pin:
        os.sched_setaffinity(0, {1})  # the polling client (and redis-cli children) on CPU 1
    fleet = Fleet({"redis": args.redis, "lode": args.lode})
    # SIGTERM / SIGHUP end the run through the `finally` below, which stops the servers.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    pin = "; servers pinned to CPU 0, clients to CPU 1" if args.pin else ""
    try:
        if args.only != "steady":
            best = {}
            for rnd in range(args.rounds):
                for pair in PAIRS:
                    s = full_sync(fleet, *pair, args.keys)
                    print(f"# round {rnd + 1} full sync {label(pair)}: {s:.3f} s", file=sys.stderr)
                    best[pair] = min(best.get(pair, s), s)
            base = best[("redis", "redis")]
            print(f"\n## Full sync of {args.keys} keys (DEBUG POPULATE {args.keys} key 32), "
                  f"best of {args.rounds}{pin}\n")
            print("| primary → replica | REPLICAOF to link up + all keys, s | ratio to redis → redis |")
            print("|---|---|---|")
            for pair in PAIRS:
                print(f"| {label(pair)} | {best[pair]:.3f} | {best[pair] / base:.2f} |")
            sys.stdout.flush()
        if args.only != "sync":
            best = {}
            for rnd in range(args.rounds):
                for pair in PAIRS:
                    res = steady_state(fleet, *pair, args.requests)
                    print(f"# round {rnd + 1} steady {label(pair)}: {res[0]:.0f} rps, lag "
                          f"{res[1] * 1000:.1f} ms, total {res[2]:.3f} s, offset {res[3]}, "
                          f"first write after link up {res[4] * 1000:.1f} ms",
                          file=sys.stderr)
                    if pair not in best or res[2] < best[pair][2]:
                        best[pair] = res
            base = best[("redis", "redis")]
            print(f"\n## Steady-state replication: redis-benchmark -t set -n {args.requests} "
                  f"-P 16 -c 50 -r 1000000 against the primary, replica attached; best of "
                  f"{args.rounds} by total time{pin}\n")
            print("| primary → replica | req/s | req/s ratio | replica lag after benchmark, ms "
                  "| total written + replicated, s | total ratio | stream bytes "
                  "| first write on replica after link up, ms |")
            print("|---|---|---|---|---|---|---|---|")
            for pair in PAIRS:
                rps, lag, total, offset, first = best[pair]
                print(f"| {label(pair)} | {rps:.0f} | {rps / base[0]:.2f} | {lag * 1000:.1f} | "
                      f"{total:.3f} | {total / base[2]:.2f} | {offset} | {first * 1000:.1f} |")
    finally:
        fleet.stop_all()


if __name__ == "__main__":
    main()
