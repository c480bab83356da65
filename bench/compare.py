#!/usr/bin/env python3
"""Side-by-side benchmark of lode and redis-server on the same machine, in the same sitting.

Starts both servers on free loopback ports, runs redis-benchmark against each in alternation
(throughput, p99, server CPU per request from /proc/<pid>/stat), then loads 1,000,000 keys with
32-byte values into each and reports RSS per key, and with --collections loads 100,000 hashes of 10
fields, 100,000 sets of 10 members, 100,000 sorted sets of 10 members and one list of 1,000,000
elements (each dataset alone, on freshly started servers) and reports RSS per element once RSS
has settled. Prints Markdown tables.

Pop tests (rpop, lpop, spop, zpopmin) first fill their key with an unmeasured run of the matching
push test, so they pop real elements. redis-benchmark runs its own LPUSH before lrange_* tests:
their CPU per request includes those pushes, for both servers alike.

With --transports, lode is measured on each of its transports beside redis-server: tokio,
uring (io_uring), quic (redis-benchmark talks to a local `lode-server --quic-bridge`, which
carries each client over QUIC to lode; the bridge gets the client's CPU, and the CPU column is
the server's alone). The first transport listed is the one memory is measured on.

--value-size sets the loaded values' length (32 by default; 100 exceeds Redis's 44-byte embstr
limit). --only throughput or --only memory runs just the redis-benchmark tests or just the loads.

Usage: bench/compare.py [--lode target/release/lode-server] [--requests 200000] [--rounds 2]
                        [--tests set,get,incr,mset] [--pipelines 1,16] [--keys 1000000]
                        [--value-size 32] [--only throughput|memory]
                        [--collections] [--pin] [--transports tokio,uring,quic]
                        [--io-threads 1]
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not become ready")


PIN = False  # --pin: servers on CPU 0, redis-benchmark on CPU 1 (no fight over one core)


def pinned(argv, cpu):
    return ["taskset", "-c", str(cpu)] + argv if PIN else argv


class Server:
    def __init__(self, name, argv, extra=(), dir=None):
        """`extra`: options after the defaults (they win); `dir`: an existing data dir."""
        self.name = name
        self.port = free_port()
        self.bench_port = self.port  # where redis-benchmark connects (a bridge's port for QUIC)
        self.bridge = None
        self.dir = dir or tempfile.mkdtemp(prefix=f"bench-{name}-")
        self.proc = subprocess.Popen(
            pinned(argv, 0) + ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", self.dir] + list(extra),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.port)

    def add_bridge(self, lode, quic_port, ca_file):
        """Puts a QUIC bridge in front: redis-benchmark then reaches the server through it.
        The bridge runs on the client's CPU: it is the client side of an edge deployment."""
        self.bench_port = free_port()
        self.bridge = subprocess.Popen(
            pinned([lode, "--quic-bridge", f"127.0.0.1:{self.bench_port}",
                    f"127.0.0.1:{quic_port}", "--tls-ca-cert-file", ca_file], 1),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.bench_port)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args],
                              capture_output=True, text=True).stdout.strip()

    def stop(self):
        if self.bridge is not None:
            self.bridge.kill()
            self.bridge.wait()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# The push test whose run fills the key a pop test pops from.
FILL_FIRST = {"rpop": "lpush", "lpop": "lpush", "spop": "sadd", "zpopmin": "zadd"}


def run_benchmark(server, test, pipeline, requests, clients):
    server.cli("FLUSHALL")
    if test in FILL_FIRST:
        subprocess.run(["redis-benchmark", "-p", str(server.bench_port), "-t", FILL_FIRST[test],
                        "-n", str(requests), "-c", str(clients), "-P", "16", "-r", "100000", "-q"],
                       capture_output=True, check=True)
    cpu0 = server.cpu_seconds()
    out = subprocess.run(
        pinned(["redis-benchmark", "-p", str(server.bench_port), "-t", test, "-n", str(requests),
                "-c", str(clients), "-P", str(pipeline), "-r", "100000", "--csv"], 1),
        capture_output=True, text=True).stdout
    cpu = server.cpu_seconds() - cpu0
    for line in out.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if cells and cells[0].lower().startswith(test.lower()):
            rps = float(cells[1])
            p99 = float(cells[6])
            return rps, p99, cpu / requests * 1e6
    raise RuntimeError(f"no result for {test} from redis-benchmark: {out!r}")


def load_keys(server, n, value_size):
    """Loads n keys through the normal SET path with redis-cli --pipe; returns RSS per key."""
    server.cli("FLUSHALL")
    time.sleep(0.5)
    before = server.rss_bytes()
    value = b"x" * value_size
    pipe_commands(server, ([b"SET", b"key:%012d" % i, value] for i in range(n)))
    size = int(server.cli("DBSIZE") or 0)
    if size != n:
        raise RuntimeError(f"{server.name}: loaded {size} keys, expected {n}")
    time.sleep(0.5)
    return (server.rss_bytes() - before) / n, server.rss_bytes() / n


def pipe_commands(server, commands):
    """Sends an iterable of argument lists through redis-cli --pipe."""
    with tempfile.TemporaryFile() as f:
        chunk = []
        for args in commands:
            frame = [b"*%d\r\n" % len(args)]
            for a in args:
                frame.append(b"$%d\r\n%s\r\n" % (len(a), a))
            chunk.append(b"".join(frame))
            if len(chunk) == 10000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
        f.seek(0)
        subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], stdin=f,
                       stdout=subprocess.DEVNULL, check=True)


def collection_datasets(n_keys=100000, per_key=10, list_len=1000000):
    """(name, element count, commands) for each collection dataset."""
    def hashes():
        for i in range(n_keys):
            args = [b"HSET", b"hash:%08d" % i]
            for j in range(per_key):
                args += [b"field:%d" % j, b"value:%08d" % (i * per_key + j)]
            yield args

    def sets():
        for i in range(n_keys):
            yield [b"SADD", b"set:%08d" % i] + [b"member:%08d" % (i * per_key + j) for j in range(per_key)]

    def zsets():
        for i in range(n_keys):
            args = [b"ZADD", b"zset:%08d" % i]
            for j in range(per_key):
                args += [b"%d" % (i * per_key + j), b"member:%08d" % (i * per_key + j)]
            yield args

    def one_list():
        for i in range(0, list_len, 100):
            yield [b"RPUSH", b"list"] + [b"element:%08d" % k for k in range(i, i + 100)]

    return [
        (f"{n_keys} hashes x {per_key} fields", n_keys * per_key, hashes),
        (f"{n_keys} sets x {per_key} members", n_keys * per_key, sets),
        (f"{n_keys} zsets x {per_key} members", n_keys * per_key, zsets),
        (f"1 list x {list_len} elements", list_len, one_list),
    ]


def settle_rss(server, limit=30.0):
    """Waits until RSS stops moving (two readings 2 s apart within 64 KiB), up to `limit`
    seconds: allocators return freed pages on a decay timer (jemalloc: 10 s), so RSS right
    after a load includes garbage that is about to go. Steady state is what is compared."""
    deadline = time.time() + limit
    last = server.rss_bytes()
    while time.time() < deadline:
        time.sleep(2)
        now = server.rss_bytes()
        if abs(now - last) < 64 * 1024:
            return
        last = now


def load_collection(server, commands, elements):
    """Loads one dataset into an empty server; returns (RSS delta per element, encoding)."""
    server.cli("FLUSHALL")
    time.sleep(0.5)
    before = server.rss_bytes()
    pipe_commands(server, commands())
    settle_rss(server)
    key = server.cli("RANDOMKEY")
    return (server.rss_bytes() - before) / elements, server.cli("OBJECT", "ENCODING", key)


def make_certs(folder):
    """A throwaway CA and a server certificate for 127.0.0.1, for the QUIC transport."""
    run = lambda *a: subprocess.run(["openssl", *a], cwd=folder, check=True, capture_output=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-days", "2", "-subj", "/CN=lode-bench-ca", "-keyout", "ca.key",
        "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign")
    run("req", *ec, "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(folder, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")
    return {k: os.path.join(folder, f) for k, f in
            (("ca", "ca.pem"), ("cert", "server.pem"), ("key", "server.key"))}


def lode_server(lode, transport, certs, threads):
    """lode on one transport: `tokio`, `uring`, or `quic` (Tokio TCP for control, clients
    through a local QUIC bridge)."""
    engine = "uring" if transport == "uring" else "tokio"
    argv = [lode, "--io-engine", engine, "--io-threads", str(threads)]
    if transport != "quic":
        return Server(f"lode-{transport}", argv)
    quic_port = free_port()
    srv = Server("lode-quic", argv + ["--quic-port", str(quic_port), "--tls-cert-file",
                                      certs["cert"], "--tls-key-file", certs["key"],
                                      "--tls-auth-clients", "no"])
    srv.add_bridge(lode, quic_port, certs["ca"])
    return srv


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--lode", default=os.path.join(root, "target", "release", "lode-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--tests", default="set,get,incr,mset")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--value-size", type=int, default=32,
                    help="length of each loaded key's value in bytes")
    ap.add_argument("--only", choices=["throughput", "memory"],
                    help="run only the redis-benchmark tests, or only the memory loads")
    ap.add_argument("--collections", action="store_true",
                    help="also measure RSS per element of hashes, sets, zsets and a list")
    ap.add_argument("--pin", action="store_true",
                    help="pin the servers to CPU 0 and redis-benchmark to CPU 1")
    ap.add_argument("--transports", default="tokio",
                    help="lode transports to measure: tokio,uring,quic (quic = through a local "
                         "lode --quic-bridge, which runs beside the client)")
    ap.add_argument("--io-threads", type=int, default=1,
                    help="lode's io-threads (1 = one worker, like Redis's one event loop)")
    args = ap.parse_args()
    global PIN
    PIN = args.pin

    transports = args.transports.split(",")
    certs = make_certs(tempfile.mkdtemp(prefix="bench-certs-")) if "quic" in transports else None
    redis = Server("redis", [args.redis])
    lodes = []
    try:
        lodes = [lode_server(args.lode, t, certs, args.io_threads) for t in transports]
        lode = lodes[0]
        rows = []
        pipelines = [] if args.only == "memory" else [int(p) for p in args.pipelines.split(",")]
        for pipeline in pipelines:
            for test in args.tests.split(","):
                best = {}
                for _ in range(args.rounds):
                    for srv in [redis] + lodes:  # alternate so drift hits all alike
                        r = run_benchmark(srv, test, pipeline, args.requests, args.clients)
                        if srv.name not in best or r[0] > best[srv.name][0]:
                            best[srv.name] = r
                rows.append((test, pipeline, best))
                shown = ", ".join(f"{n} {v[0]:.0f} rps" for n, v in best.items())
                print(f"# {test} P={pipeline}: {shown}", file=sys.stderr)
        pin = ", servers pinned to CPU 0 and the client to CPU 1" if PIN else ""
        if rows:
            print(f"redis-benchmark -c {args.clients} -n {args.requests}, best of {args.rounds} alternating rounds{pin}\n")
            print("| test | P | server | req/s | ratio to redis | p99 ms | server CPU µs/req |")
            print("|---|---|---|---|---|---|---|")
        for test, p, best in rows:
            r = best["redis"]
            for name in ["redis"] + [s.name for s in lodes]:
                v = best[name]
                print(f"| {test} | {p} | {name} | {v[0]:.0f} | {v[0] / r[0]:.2f} | {v[1]:.3f} | {v[2]:.2f} |")
        if args.keys > 0 and args.only != "throughput":
            ld, lt = load_keys(lode, args.keys, args.value_size)
            rd, rt = load_keys(redis, args.keys, args.value_size)
            print(f"\nMemory after loading {args.keys} keys with {args.value_size}-byte values (RSS delta per key; total RSS per key):\n")
            print("| server | RSS delta bytes/key | total RSS bytes/key |")
            print("|---|---|---|")
            print(f"| lode | {ld:.1f} | {lt:.1f} |")
            print(f"| redis | {rd:.1f} | {rt:.1f} |")
            print(f"| ratio | {ld / rd:.2f} | {lt / rt:.2f} |")
        if args.collections and args.only != "throughput":
            print("\nMemory per collection element (RSS delta from an empty server after loading the dataset alone):\n")
            print("| dataset | lode bytes/element | redis bytes/element | ratio | lode encoding | redis encoding |")
            print("|---|---|---|---|---|---|")
            for name, elements, commands in collection_datasets():
                # Fresh servers per dataset: memory freed by an earlier dataset and kept by
                # the allocator would otherwise hide the next one's cost.
                fresh = [Server("lode", [args.lode, "--io-engine", transports[0]
                                          if transports[0] != "quic" else "tokio"]),
                         Server("redis", [args.redis])]
                try:
                    (lb, le), (rb, re_) = [load_collection(s, commands, elements) for s in fresh]
                finally:
                    for s in fresh:
                        s.stop()
                print(f"| {name} | {lb:.1f} | {rb:.1f} | {lb / rb:.2f} | {le} | {re_} |")
    finally:
        for s in lodes:
            s.stop()
        redis.stop()


if __name__ == "__main__":
    main()
