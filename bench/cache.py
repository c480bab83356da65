#!/usr/bin/env python3
"""The cache benchmark (issue 16): lode and redis-server as caches at equal `maxmemory`.

A Zipf(0.99) key popularity over about 10x more keys than fit in `maxmemory 100mb`; each request
is a GET, and a miss is followed by a SET of the key (100-byte value), as a look-aside cache
does. For each eviction policy (allkeys-lru, allkeys-lfu, and allkeys-random as the baseline)
both servers are started fresh (`maxmemory 100mb`, `maxmemory-policy <p>`, `save ''`,
`appendonly no`, everything else at its default, e.g. maxmemory-samples 5), one at a time and
in alternating order, and driven by the load generator `lode-cache-load` (bench/cache-load/, a
Rust workspace member): C connections, one thread each, pipelining P GETs and then the SETs of
their misses. A warm-up of W requests (not measured) fills the cache and lets evictions reach
their steady state; the R measured requests that follow give the hit rate, requests per
second, and the server's CPU per request (from /proc/<pid>/stat, as compare.py reads it). At the
end of each run the server's `evicted_keys`, `used_memory`, RSS and DBSIZE are read.

Each LFU run starts just after a wall-clock minute begins (see align_to_minute), so its
counters do not decay in the middle of it; this adds up to a minute of waiting per LFU run
(not with --quick).

The key stream is deterministic (fixed seed, a fixed share of requests per connection; key
`key:<(rank * 2654435761) mod N>`, so popularity does not follow the key order). Hit rates are
the mean of the rounds (their spread is shown); requests/s and CPU come from each server's
best round. "CPU busy" is the share of the measured phase's wall time that the server and the
load generator each spent on a CPU: the server near 100% is the bottleneck, as it should be
(well below, another process took its CPU). The "ideal" line is the hit rate of a cache that
holds exactly the most popular keys, as many as redis-server held at the end: the best any
policy that does not know the future can do on this stream of independent requests.

--fit first loads 1,000,000 keys into each server without a limit and prints used_memory per key
and how many keys would fit in `maxmemory`. The default N, 5,650,000, is ten times the ~565,000
keys of 100 bytes that redis-server holds at `maxmemory 100mb` (lode holds ~573,500: its keys
cost a little less). --quick runs a short sanity check: 1,000,000 keys, `maxmemory 20mb`, one
round.

Usage: bench/cache.py [--pin] [--quick] [--fit] [--policies allkeys-lru,allkeys-lfu,allkeys-random]
                      [--keys 5650000] [--value-size 100] [--maxmemory 100mb]
                      [--connections 8] [--pipeline 64] [--warmup 3000000] [--requests 3000000]
                      [--rounds 2] [--lode target/release/lode-server] [--redis redis-server]
                      [--load target/release/lode-cache-load]

Build first: cargo build --release -p lode-server -p lode-cache-load
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (Server, pinned, the CPU and RSS readers, pipe_commands)
from compare import Server, pinned  # noqa: E402

ZIPF = 0.99
SEED = 1


def info_fields(server, section):
    """One INFO section as a dict of strings."""
    fields = {}
    for line in server.cli("INFO", section).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v.strip()
    return fields


def start(name, argv, args, policy):
    return Server(name, argv, extra=["--maxmemory", args.maxmemory,
                                     "--maxmemory-policy", policy])


def run_load(server, args):
    """One warm-up plus measured run of the generator against a fresh server."""
    out = subprocess.run(
        pinned([args.load, "--port", str(server.port), "--keys", str(args.keys),
                "--value-size", str(args.value_size), "--connections", str(args.connections),
                "--pipeline", str(args.pipeline), "--warmup", str(args.warmup),
                "--requests", str(args.requests), "--zipf", str(ZIPF), "--seed", str(SEED),
                "--server-pid", str(server.proc.pid)], 1),
        capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{server.name}: lode-cache-load failed: {out.stderr.strip()}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if r["bad_replies"] or r["set_errors"]:
        raise RuntimeError(f"{server.name}: {r['bad_replies']} bad replies, "
                           f"{r['set_errors']} failed SETs")
    stats = info_fields(server, "stats")
    memory = info_fields(server, "memory")
    r["evicted_keys"] = int(stats.get("evicted_keys", 0))
    r["used_memory"] = int(memory.get("used_memory", 0))
    r["rss"] = server.rss_bytes()
    r["dbsize"] = int(server.cli("DBSIZE") or 0)
    return r


def align_to_minute():
    """Waits until just after the wall clock's next minute begins (now, if it just began).

    LFU counters decay by one per `lfu-decay-time` minutes of the wall clock (Redis's
    LFUTimeElapsed over unixtime/60, which lode follows), so a minute boundary inside a run
    lowers every key's counter at once, and fresh keys (which start at 5) suddenly outrank the
    old ones that fell to 4. Runs with a boundary in their warm-up or measured phase came out
    up to 0.25 points lower than identical runs without one, on either server. Starting each LFU
    run just after a boundary keeps one out of runs shorter than a minute."""
    second = time.time() % 60
    if second > 1.0:
        time.sleep(60.2 - second)


def ideal_hit_rate(keys, held):
    """Hit rate of a cache holding exactly the `held` most popular of `keys` keys."""
    top = total = 0.0
    for k in range(1, keys + 1):
        p = k ** -ZIPF
        total += p
        if k == held:
            top = total
    return top / total if held < keys else 1.0


def fit(args, servers):
    """used_memory per key after loading 1,000,000 keys, and how many fit in maxmemory. Under
    load a server holds somewhat fewer (its clients' buffers count too): the DBSIZE at the end
    of each run is what it really held."""
    n = 1000000
    limit = parse_size(args.maxmemory)
    print(f"Keys of {args.value_size} bytes that fit in maxmemory {args.maxmemory} "
          f"(used_memory after loading {n} keys without a limit):\n")
    print("| server | used_memory empty | bytes/key | keys that fit |")
    print("|---|---|---|---|")
    for name, argv in servers:
        s = Server(name, argv)
        try:
            empty = int(info_fields(s, "memory")["used_memory"])
            value = b"v" * args.value_size
            compare.pipe_commands(s, ([b"SET", b"key:%d" % i, value] for i in range(n)))
            per_key = (int(info_fields(s, "memory")["used_memory"]) - empty) / n
            print(f"| {name} | {empty} | {per_key:.1f} | {int((limit - empty) / per_key)} |")
        finally:
            s.stop()
    print()


def parse_size(text):
    units = {"kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3, "k": 1000, "m": 1000 ** 2, "g": 1000 ** 3}
    t = text.lower()
    for suffix, mult in units.items():
        if t.endswith(suffix) and t[:-len(suffix)].isdigit():
            return int(t[:-len(suffix)]) * mult
    return int(t)


def per_request(run, key):
    """A run's CPU seconds (`key`) per measured request, in µs."""
    return (run[key] or 0) / run["requests"] * 1e6


def busy(run, key):
    """The share of the measured phase's wall time that `key`'s process spent on a CPU."""
    return f"{(run[key] or 0) / run['seconds'] * 100:.0f}%"


def mean(xs):
    return sum(xs) / len(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--lode", default=os.path.join(root, "target", "release", "lode-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--load", default=os.path.join(root, "target", "release", "lode-cache-load"),
                    help="the load generator (cargo build --release -p lode-cache-load)")
    ap.add_argument("--policies", default="allkeys-lru,allkeys-lfu,allkeys-random")
    ap.add_argument("--keys", type=int, default=5650000, help="N: distinct keys")
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--maxmemory", default="100mb")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--pipeline", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=3000000, help="unmeasured requests first")
    ap.add_argument("--requests", type=int, default=3000000, help="measured requests")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pin", action="store_true",
                    help="pin the servers to CPU 0 and the load generator to CPU 1")
    ap.add_argument("--quick", action="store_true",
                    help="a short sanity run: 1,000,000 keys, maxmemory 20mb, one round")
    ap.add_argument("--fit", action="store_true",
                    help="first measure how many keys fit in maxmemory in each server")
    args = ap.parse_args()
    if args.quick:
        args.keys, args.maxmemory, args.rounds = 1000000, "20mb", 1
        args.warmup, args.requests = 600000, 400000
    compare.PIN = args.pin
    for path in (args.lode, args.load):
        if not os.access(path, os.X_OK):
            sys.exit(f"{path} not found: cargo build --release -p lode-server -p lode-cache-load")

    servers = [("redis", [args.redis]), ("lode", [args.lode])]
    if args.fit:
        fit(args, servers)
    results = {}  # (policy, name) -> [run, ...]
    started = time.time()
    for policy in args.policies.split(","):
        for rnd in range(args.rounds):
            # Alternate who goes first, so drift in the machine's load hits both alike.
            order = servers if rnd % 2 == 0 else servers[::-1]
            for name, argv in order:
                aligned = "lfu" in policy and not args.quick
                if aligned:
                    align_to_minute()
                began = time.time()
                s = start(name, argv, args, policy)
                try:
                    r = run_load(s, args)
                finally:
                    s.stop()
                if aligned and int(began // 60) != int(time.time() // 60):
                    print(f"# {policy} round {rnd + 1} {name}: the run crossed a minute boundary "
                          "(its LFU counters decayed during it)", file=sys.stderr)
                results.setdefault((policy, name), []).append(r)
                print(f"# {policy} round {rnd + 1} {name}: hit rate {r['hit_rate']:.4f}, "
                      f"{r['requests_per_second']:.0f} req/s, {time.time() - started:.0f} s",
                      file=sys.stderr)

    pin = ", servers pinned to CPU 0 and the load generator to CPU 1" if args.pin else ""
    print(f"Zipf({ZIPF}) over {args.keys} keys, {args.value_size}-byte values, maxmemory "
          f"{args.maxmemory}; lode-cache-load -c {args.connections} -P {args.pipeline}, "
          f"{args.warmup} warm-up + {args.requests} measured requests (GET, SET on a miss); "
          f"{args.rounds} alternating round(s) on fresh servers{pin}\n")
    print("| policy | server | hit rate (rounds' range) | req/s | ratio to redis | server CPU µs/req "
          "| server / load CPU busy | evicted_keys | dbsize | used_memory MB | RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ideal_held = []
    for policy in args.policies.split(","):
        best = {}
        for name, _ in servers:
            runs = results[(policy, name)]
            best[name] = max(runs, key=lambda r: r["requests_per_second"])
        for name, _ in servers:
            runs = results[(policy, name)]
            b = best[name]
            rates = [r["hit_rate"] for r in runs]
            if name == "redis":
                ideal_held.append(b["dbsize"])
            print(f"| {policy} | {name} | {mean(rates):.4f} ({min(rates):.4f}–{max(rates):.4f}) "
                  f"| {b['requests_per_second']:.0f} "
                  f"| {b['requests_per_second'] / best['redis']['requests_per_second']:.2f} "
                  f"| {per_request(b, 'server_cpu_seconds'):.2f} "
                  f"| {busy(b, 'server_cpu_seconds')} / {busy(b, 'client_cpu_seconds')} "
                  f"| {b['evicted_keys']} | {b['dbsize']} | {b['used_memory'] / 2**20:.1f} "
                  f"| {b['rss'] / 2**20:.1f} |")
    held = int(mean(ideal_held))
    print(f"\nIdeal (the {held} most popular keys held, as many as redis-server held): "
          f"hit rate {ideal_hit_rate(args.keys, held):.4f}")


if __name__ == "__main__":
    main()
