#!/usr/bin/env python3
"""The cost of ACL checks side by side with redis-server: GET and SET as the default user and as
a restricted user, at P=1 and P=16.

redis-benchmark (50 clients, `-t get,set`, 100,000 random keys `key:__rand_int__`) runs in two
modes on each server: as the default user (no ACL setup: every command and key allowed, the
checks' fast path) and as user `bench` (`--user bench -a benchpw`), made before the runs with
about 20 rules (see RULES). Its key patterns put `~key:*`, the only one matching the benchmark's
keys, last: every command walks nine patterns (two of them read- or write-only) before the
match, as a real user with several key prefixes would. The user may also run what
redis-benchmark sends before the test (AUTH, CONFIG GET save / appendonly); after each
restricted run the server's ACL LOG must be empty (no denial, no failed AUTH), and a SET of a
key outside the patterns must be refused with NOPERM, or the script stops.

Servers are started fresh in every round and alternated (redis then lode); the two modes are
interleaved on each. GET runs on keys that exist (an unmeasured SET fill first, as the default
user). Throughput is the best of --rounds, server CPU per request (/proc/<pid>/stat) the lowest.
Reported: requests/s and CPU µs/request per server and mode, lode/redis ratios, and per server
the ACL overhead = default rps / restricted rps (and the same for CPU per request, which shows
the cost where throughput is bound by redis-benchmark's own core).

Usage: bench/acl.py [--lode target/release/lode-server] [--requests 200000] [--rounds 3]
                    [--pin]
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (Server, pinned, the CPU reader)
import scripting  # noqa: E402  (one redis-benchmark run: rps, CPU per request)

USER, PASSWORD = "bench", "benchpw"
RULES = ("on >benchpw ~other:* %R~ro:* %W~wo:* ~a* ~b* ~c* ~d* ~e* ~f* ~key:* resetchannels "
         "&chan:* -@all +@string +@hash +@list +@keyspace -keys -scan +ping +hello "
         "+client|setname +config|get +auth").split()
TESTS = ["get", "set"]
PIPELINES = [1, 16]
MODES = ["default", "restricted"]


def as_user(server, *args):
    return subprocess.run(["redis-cli", "--no-auth-warning", "--user", USER, "--pass", PASSWORD,
                           "-p", str(server.port), *args],
                          capture_output=True, text=True).stdout.strip()


def make_user(server):
    """Creates the restricted user and checks that it is both usable and restricted."""
    if server.cli("ACL", "SETUSER", USER, *RULES) != "OK":
        raise RuntimeError(f"{server.name}: ACL SETUSER failed")
    if as_user(server, "SET", "key:check", "1") != "OK":
        raise RuntimeError(f"{server.name}: user {USER} cannot SET key:check")
    refused = as_user(server, "SET", "x", "1")
    if not refused.startswith("NOPERM"):
        raise RuntimeError(f"{server.name}: SET x as {USER} answered {refused!r}, not NOPERM")
    server.cli("ACL", "LOG", "RESET")


def bench(server, mode, test, pipeline, requests):
    """One measured run: requests per second and server CPU microseconds per request."""
    server.cli("FLUSHALL")
    if test == "get":  # GETs of keys that exist
        subprocess.run(["redis-benchmark", "-p", str(server.port), "-t", "set", "-n", "200000",
                        "-c", "50", "-P", "16", "-r", "100000", "-q"], capture_output=True,
                       check=True)
    connect = ["-p", str(server.port)]
    if mode == "restricted":
        connect += ["--user", USER, "-a", PASSWORD]
    result = scripting.bench(server, ["-t", test], pipeline, requests, 100000, connect)
    if mode == "restricted":
        log = server.cli("ACL", "LOG")
        if log:
            raise RuntimeError(f"{server.name}: ACL denials during {test} P={pipeline}: {log!r}")
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lode", default="target/release/lode-server")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pin", action="store_true",
                    help="servers on CPU 0, redis-benchmark on CPU 1")
    args = ap.parse_args()
    compare.PIN = args.pin
    results = {}
    for _ in range(args.rounds):
        for name, argv in (("redis", ["redis-server"]), ("lode", [args.lode])):
            s = compare.Server(name, argv)
            try:
                make_user(s)
                for test in TESTS:
                    for p in PIPELINES:
                        for mode in MODES:
                            r = bench(s, mode, test, p, args.requests)
                            results.setdefault((test, p, mode, name), []).append(r)
                            print(f"# {name} {test} P={p} {mode}: {r[0]:.0f} rps "
                                  f"{r[1]:.2f} us/req", file=sys.stderr)
            finally:
                s.stop()

    def best(test, p, mode, name):
        runs = results[(test, p, mode, name)]
        return max(x[0] for x in runs), min(x[1] for x in runs)

    pin = "; servers on CPU 0, redis-benchmark on CPU 1" if args.pin else ""
    print(f"Best of {args.rounds} rounds (servers alternated, fresh each round){pin}.\n")
    print(f"redis-benchmark, 50 clients, {args.requests} requests, 100,000 keys; restricted = "
          f"--user {USER} ({len(RULES)} rules, ~key:* the 10th key pattern)")
    print(f"{'workload':<12}{'P':>4}{'mode':>12}{'redis rps':>12}{'lode rps':>12}{'ratio':>8}"
          f"{'redis us/req':>14}{'lode us/req':>13}{'ratio':>8}")
    for test in TESTS:
        for p in PIPELINES:
            for mode in MODES:
                rr, rc = best(test, p, mode, "redis")
                lr, lc = best(test, p, mode, "lode")
                print(f"{test.upper():<12}{p:>4}{mode:>12}{rr:>12.0f}{lr:>12.0f}{lr / rr:>8.2f}"
                      f"{rc:>14.2f}{lc:>13.2f}{lc / rc:>8.2f}")
    print("\nACL overhead: default rps / restricted rps (and restricted / default CPU per request)")
    print(f"{'workload':<12}{'P':>4}{'redis rps':>12}{'lode rps':>12}{'redis CPU':>12}"
          f"{'lode CPU':>12}")
    for test in TESTS:
        for p in PIPELINES:
            row = []
            for name in ("redis", "lode"):
                (dr, dc), (rr, rc) = [best(test, p, m, name) for m in MODES]
                row.append((dr / rr, rc / dc))
            print(f"{test.upper():<12}{p:>4}{row[0][0]:>12.3f}{row[1][0]:>12.3f}"
                  f"{row[0][1]:>12.3f}{row[1][1]:>12.3f}")


if __name__ == "__main__":
    main()
