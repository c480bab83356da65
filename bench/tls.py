#!/usr/bin/env python3
"""TLS over TCP side by side with redis-server (issue 15): GET and SET through `tls-port`.

Both servers get the same throwaway CA and server certificate (made with the openssl CLI, RSA
2048 as Redis's utils/gen-test-certs.sh makes them), `tls-port` on a free port and
`tls-auth-clients no` (so redis-benchmark needs no client certificate); redis-benchmark
(50 clients, --tls --cacert) runs GET and SET at P=1 and P=16, 100,000 random keys. Each run
opens its 50 connections anew, so the handshakes are in the figures, as in any benchmark of
short runs; with --requests large enough they are a small part of them.

Servers are started fresh in every round and alternated (redis then lode); throughput is the
best of --rounds, server CPU per request (/proc/<pid>/stat) the lowest.

Usage: bench/tls.py [--lode target/release/lode-server] [--requests 200000] [--rounds 3]
                    [--io-engine tokio|uring] [--plain] [--pin]
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (Server, free_port, pinned, the CPU reader)
import scripting  # noqa: E402  (one redis-benchmark run: rps, CPU per request)

TESTS = ["get", "set"]
PIPELINES = [1, 16]


def make_certs(dir):
    """A CA and a server certificate for localhost/127.0.0.1 in `dir`: (ca, cert, key)."""
    ca, ca_key = os.path.join(dir, "ca.crt"), os.path.join(dir, "ca.key")
    cert, key = os.path.join(dir, "server.crt"), os.path.join(dir, "server.key")
    ext = os.path.join(dir, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nkeyUsage=digitalSignature,"
                "keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run = lambda *argv: subprocess.run(argv, check=True, capture_output=True)  # noqa: E731
    run("openssl", "genrsa", "-out", ca_key, "2048")
    run("openssl", "req", "-x509", "-new", "-nodes", "-sha256", "-key", ca_key, "-days", "2",
        "-subj", "/O=lode bench/CN=bench CA", "-out", ca)
    run("openssl", "genrsa", "-out", key, "2048")
    csr = subprocess.run(["openssl", "req", "-new", "-sha256", "-subj", "/O=lode bench/CN=localhost",
                          "-key", key], check=True, capture_output=True).stdout
    subprocess.run(["openssl", "x509", "-req", "-sha256", "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert],
                   input=csr, check=True, capture_output=True)
    return ca, cert, key


def bench(server, port, ca, test, pipeline, requests, tls=True):
    """One redis-benchmark run: requests per second and server CPU microseconds per request."""
    server.cli("FLUSHALL")
    if test == "get":  # GETs of keys that exist
        subprocess.run(["redis-benchmark", "-p", str(server.port), "-t", "set", "-n", "200000",
                        "-c", "50", "-P", "16", "-r", "100000", "-q"], capture_output=True,
                       check=True)
    connect = ["-p", str(port)] + (["--tls", "--cacert", ca] if tls else [])
    return scripting.bench(server, ["-t", test], pipeline, requests, 100000, connect)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lode", default="target/release/lode-server")
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--io-engine", default="tokio", choices=["tokio", "uring"])
    ap.add_argument("--plain", action="store_true", help="also measure plain TCP, for the cost")
    ap.add_argument("--pin", action="store_true",
                    help="servers on CPU 0, redis-benchmark on CPU 1")
    args = ap.parse_args()
    compare.PIN = args.pin
    certs = tempfile.mkdtemp(prefix="bench-tls-")
    ca, cert, key = make_certs(certs)
    modes = [("TLS", True)] + ([("TCP", False)] if args.plain else [])
    results = {}

    def note(mode, test, p, name, value):
        results.setdefault((mode, test, p, name), []).append(value)

    for _ in range(args.rounds):
        for name, argv in (("redis", ["redis-server"]),
                           ("lode", [args.lode, "--io-engine", args.io_engine])):
            tls_port = compare.free_port()
            s = compare.Server(name, argv, extra=[
                "--tls-port", str(tls_port), "--tls-cert-file", cert, "--tls-key-file", key,
                "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"])
            try:
                for mode, tls in modes:
                    for test in TESTS:
                        for p in PIPELINES:
                            port = tls_port if tls else s.port
                            note(mode, test, p, name,
                                 bench(s, port, ca, test, p, args.requests, tls))
            finally:
                s.stop()

    pin = "; servers on CPU 0, redis-benchmark on CPU 1" if args.pin else ""
    print(f"Best of {args.rounds} rounds (servers alternated, fresh each round){pin}; lode on "
          f"{args.io_engine}.\n")
    print(f"redis-benchmark, 50 clients, {args.requests} requests, 100,000 keys")
    print(f"{'workload':<12}{'P':>4}{'redis rps':>12}{'lode rps':>12}{'ratio':>8}"
          f"{'redis us/req':>14}{'lode us/req':>13}")
    for mode, _ in modes:
        for test in TESTS:
            for p in PIPELINES:
                r, lo = results[(mode, test, p, "redis")], results[(mode, test, p, "lode")]
                rr, lr = max(x[0] for x in r), max(x[0] for x in lo)
                rc, lc = min(x[1] for x in r), min(x[1] for x in lo)
                label = f"{test.upper()} {mode}"
                print(f"{label:<12}{p:>4}{rr:>12.0f}{lr:>12.0f}{lr / rr:>8.2f}{rc:>14.2f}"
                      f"{lc:>13.2f}")


if __name__ == "__main__":
    main()
