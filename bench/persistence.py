#!/usr/bin/env python3
"""Persistence side by side with redis-server, in one sitting (reuses compare.py's harness):

1. SET throughput and p99 with the AOF on, `appendfsync everysec` and `always`, at pipeline
   depths 1 and 16 (50 clients); for lode also writes per fsync, from the AOF writer's log line
   at shutdown.
2. BGSAVE of 1,000,000 keys (32-byte values) while redis-benchmark writes: the benchmark's p99
   with and without the save running, and the peak memory of the server during the save as PSS
   (proportional set size) summed over the server and its children, so Redis's forked child
   counts for the pages it really copies and lode's snapshot for the chunks it holds.
3. Time to SAVE 1,000,000 keys, and to load them at start-up (until DBSIZE answers the count).

Usage: bench/persistence.py [--lode target/release/lode-server] [--keys 1000000] [--pin]
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
from compare import Server, pinned, pipe_commands  # noqa: E402


def start(name, binary, *extra):
    return Server(name, [binary], extra=list(extra))


def pss_bytes(pid):
    """PSS of `pid` and its descendants (a forked save child included)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return total


def bench_set(server, pipeline, requests, clients=50):
    out = subprocess.run(
        pinned(["redis-benchmark", "-p", str(server.port), "-t", "set", "-n", str(requests),
                "-c", str(clients), "-P", str(pipeline), "-r", "1000000", "--csv"], 1),
        capture_output=True, text=True).stdout
    for line in out.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if cells and cells[0].lower().startswith("set"):
            return float(cells[1]), float(cells[6])
    raise RuntimeError(f"no SET result: {out!r}")


def log_of(server):
    path = os.path.join(server.dir, "server.log")
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def aof_throughput(binary_of, requests):
    rows = []
    for policy in ("everysec", "always"):
        for pipeline in (1, 16):
            res = {}
            for name in ("redis", "lode"):
                srv = start(name, binary_of[name], "--appendonly", "yes",
                            "--appendfsync", policy, "--logfile", "server.log")
                res[name] = bench_set(srv, pipeline, requests)
                srv.stop()
                if name == "lode":
                    m = re.search(r"AOF writer: (\d+) writes, (\d+) fsyncs", log_of(srv))
                    res["per_fsync"] = (requests / max(1, int(m.group(2)))) if m else None
            rows.append((policy, pipeline, res))
    print("\n## SET with the AOF on (50 clients)\n")
    print("| appendfsync | P | redis rps | lode rps | lode/redis | redis p99 ms | lode p99 ms "
          "| lode SETs per fsync |")
    print("|---|---|---|---|---|---|---|---|")
    for policy, pipeline, r in rows:
        per = f"{r['per_fsync']:.1f}" if r.get("per_fsync") else "n/a"
        print(f"| {policy} | {pipeline} | {r['redis'][0]:.0f} | {r['lode'][0]:.0f} | "
              f"{r['lode'][0] / r['redis'][0]:.2f} | {r['redis'][1]:.3f} | {r['lode'][1]:.3f} "
              f"| {per} |")


def bgsave_under_writes(binary_of, keys):
    print(f"\n## BGSAVE of {keys} keys under writes (redis-benchmark SET, 50 clients, P=1)\n")
    print("| server | p99 ms without save | p99 ms during save | PSS before MB | peak PSS "
          "during save MB | save s |")
    print("|---|---|---|---|---|---|")
    for name in ("redis", "lode"):
        srv = start(name, binary_of[name])
        pipe_commands(srv, ([b"SET", b"key:%012d" % i, b"x" * 32] for i in range(keys)))
        time.sleep(1)
        _, p99_idle = bench_set(srv, 1, 200000)
        before = pss_bytes(srv.proc.pid)
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], pss_bytes(srv.proc.pid))
                time.sleep(0.01)
        t = threading.Thread(target=sample)
        t.start()
        result = {}

        def load():
            result["p99"] = bench_set(srv, 1, 400000)[1]
        b = threading.Thread(target=load)
        b.start()
        time.sleep(0.3)
        t0 = time.time()
        srv.cli("BGSAVE")
        while "rdb_bgsave_in_progress:1" in srv.cli("INFO", "persistence") or time.time() - t0 < 0.05:
            time.sleep(0.01)
        save_s = time.time() - t0
        b.join()
        done.set()
        t.join()
        print(f"| {name} | {p99_idle:.3f} | {result['p99']:.3f} | {before / 1e6:.0f} | "
              f"{peak[0] / 1e6:.0f} | {save_s:.2f} |")
        srv.stop()


def save_and_load(binary_of, keys):
    print(f"\n## SAVE and start-up load of {keys} keys (32-byte values)\n")
    print("| server | SAVE s | dump.rdb MB | load s |")
    print("|---|---|---|---|")
    for name in ("redis", "lode"):
        srv = start(name, binary_of[name])
        pipe_commands(srv, ([b"SET", b"key:%012d" % i, b"x" * 32] for i in range(keys)))
        t0 = time.time()
        srv.cli("SAVE")
        save_s = time.time() - t0
        size = os.path.getsize(os.path.join(srv.dir, "dump.rdb"))
        srv.cli("SHUTDOWN", "NOSAVE")
        srv.proc.wait()
        t0 = time.time()
        again = Server(name, [binary_of[name]], extra=[], dir=srv.dir)
        while again.cli("DBSIZE") != str(keys):
            time.sleep(0.005)
        load_s = time.time() - t0
        again.stop()
        print(f"| {name} | {save_s:.2f} | {size / 1e6:.1f} | {load_s:.2f} |")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--lode", default=os.path.join(root, "target", "release", "lode-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--pin", action="store_true")
    ap.add_argument("--skip", default="", help="comma-separated: aof,bgsave,load")
    args = ap.parse_args()
    compare.PIN = args.pin
    binary_of = {"redis": args.redis, "lode": args.lode}
    skip = set(args.skip.split(","))
    if "aof" not in skip:
        aof_throughput(binary_of, args.requests)
    if "bgsave" not in skip:
        bgsave_under_writes(binary_of, args.keys)
    if "load" not in skip:
        save_and_load(binary_of, args.keys)


if __name__ == "__main__":
    main()
