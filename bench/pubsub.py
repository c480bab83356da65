#!/usr/bin/env python3
"""Pub/Sub side by side with redis-server: fan-out, PUBLISH throughput, and a subscriber that
never reads.

1. Fan-out: S subscribers (default 100, then 1000) on one channel, one publisher (redis-benchmark,
   one connection, pipeline 16) publishing 64-byte messages. Reports delivered messages per
   second (from the first publish until every subscriber holds every message) and server CPU
   per delivered message (from /proc/<pid>/stat).
2. PUBLISH with no subscriber at P=1 and P=16 (redis-benchmark, 50 clients): requests per second
   and server CPU per request.
3. Flood: one subscriber that never reads, with `client-output-buffer-limit pubsub 32mb 8mb 60`
   (Redis's default), while a publisher sends 1 GB in 1 KiB messages. Reports whether the server
   disconnected the subscriber, and its RSS before, at the peak and after.

Usage: bench/pubsub.py [--lode target/release/lode-server] [--subscribers 100,1000]
                       [--deliveries 5000000] [--rounds 2] [--skip fanout,publish,flood] [--pin]
"""
import argparse
import os
import selectors
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (Server, pinned, the CPU and RSS readers)

PAYLOAD = b"x" * 64
CHANNEL = b"bench-channel"


def frame_len():
    """Bytes of one delivered message frame (RESP2)."""
    parts = [b"message", CHANNEL, PAYLOAD]
    return len(b"*3\r\n") + sum(len(b"$%d\r\n" % len(p)) + len(p) + 2 for p in parts)


def subscribe_all(port, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"SUBSCRIBE %s\r\n" % CHANNEL)
        socks.append(s)
    confirm = len(b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(CHANNEL), CHANNEL))
    for s in socks:
        got = b""
        while len(got) < confirm:
            got += s.recv(confirm - len(got))
    return socks


def drain(socks, expect_bytes, done):
    """Reads every subscriber until each has `expect_bytes`; records the finish time."""
    sel = selectors.DefaultSelector()
    left = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        left[s] = expect_bytes
    buf = bytearray(1 << 16)
    while left:
        for key, _ in sel.select(timeout=30):
            s = key.fileobj
            n = s.recv_into(buf)
            if n == 0:
                raise RuntimeError("a subscriber was disconnected")
            left[s] -= n
            if left[s] <= 0:
                sel.unregister(s)
                del left[s]
    done.append(time.perf_counter())


def publish_with_benchmark(server, requests, pipeline, clients):
    argv = compare.pinned(["redis-benchmark", "-p", str(server.port), "-n", str(requests),
                           "-c", str(clients), "-P", str(pipeline), "-q", "--csv",
                           "publish", CHANNEL.decode(), PAYLOAD.decode()], 1)
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    # CSV: "test","rps",...
    line = [l for l in out.splitlines() if l.startswith('"')][-1]
    return float(line.split(",")[1].strip('"'))


def fanout(server, subscribers, messages):
    socks = subscribe_all(server.port, subscribers)
    done = []
    reader = threading.Thread(target=drain, args=(socks, messages * frame_len(), done))
    reader.start()
    cpu0 = server.cpu_seconds()
    t0 = time.perf_counter()
    publish_with_benchmark(server, messages, 16, 1)
    reader.join()
    cpu = server.cpu_seconds() - cpu0
    for s in socks:
        s.close()
    delivered = subscribers * messages
    return delivered / (done[0] - t0), cpu / delivered * 1e9


def publish_empty(server, pipeline, requests):
    cpu0 = server.cpu_seconds()
    rps = publish_with_benchmark(server, requests, pipeline, 50)
    cpu = server.cpu_seconds() - cpu0
    return rps, cpu / requests * 1e9


def flood(server, total=1 << 30, size=1024):
    """One subscriber never reads while `total` bytes are published to it."""
    sub = socket.create_connection(("127.0.0.1", server.port))
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sub.sendall(b"SUBSCRIBE %s\r\n" % CHANNEL)
    time.sleep(0.2)
    rss0 = server.rss_bytes()
    peak = [rss0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], server.rss_bytes())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    pub = socket.create_connection(("127.0.0.1", server.port))
    msg = b"x" * size
    cmd = b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL, size, msg)
    batch = cmd * 256
    reply_reader = threading.Thread(target=lambda: _discard(pub))
    reply_reader.start()
    sent = 0
    while sent < total:
        pub.sendall(batch)
        sent += 256 * size
    pub.sendall(b"PING\r\n")
    time.sleep(1.0)
    stop.set()
    sampler.join()
    rss_after = server.rss_bytes()
    pub.shutdown(socket.SHUT_RDWR)  # wakes the reply reader
    reply_reader.join()
    pub.close()
    # Asked of the server: the subscriber's own socket may see its end of stream only much
    # later, as the kernel trickles what it still holds through the tiny window of a client
    # that does not read.
    disconnected = server.cli("PUBSUB", "NUMSUB", CHANNEL.decode()).splitlines()[-1] == "0"
    sub.close()
    return disconnected, rss0, peak[0], rss_after


def _discard(sock):
    try:
        while sock.recv(1 << 16):
            pass
    except OSError:
        pass


def mb(n):
    return f"{n / (1 << 20):.1f} MB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lode", default="target/release/lode-server")
    ap.add_argument("--subscribers", default="100,1000")
    ap.add_argument("--deliveries", type=int, default=5_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip", default="")
    ap.add_argument("--pin", action="store_true")
    args = ap.parse_args()
    compare.PIN = args.pin
    skip = set(filter(None, args.skip.split(",")))
    servers = [("redis", ["redis-server"]), ("lode", [args.lode])]

    if "fanout" not in skip:
        print("| subscribers | server | delivered msg/s | server CPU ns / delivered msg |")
        print("|---|---|---|---|")
        for n in map(int, args.subscribers.split(",")):
            messages = max(1000, args.deliveries // n)
            for name, argv in servers:
                s = compare.Server(name, argv)
                try:
                    best = max((fanout(s, n, messages) for _ in range(args.rounds)),
                               key=lambda r: r[0])
                finally:
                    s.stop()
                print(f"| {n} | {name} | {best[0]:,.0f} | {best[1]:.0f} |")
    if "publish" not in skip:
        print("\n| PUBLISH, 0 subscribers | server | requests/s | server CPU ns / request |")
        print("|---|---|---|---|")
        for p in (1, 16):
            for name, argv in servers:
                s = compare.Server(name, argv)
                try:
                    best = max((publish_empty(s, p, 200_000 * p) for _ in range(args.rounds)),
                               key=lambda r: r[0])
                finally:
                    s.stop()
                print(f"| P={p} | {name} | {best[0]:,.0f} | {best[1]:.0f} |")
    if "flood" not in skip:
        print("\n| flood 1 GB to a non-reading subscriber | server | disconnected | RSS before |"
              " RSS peak | RSS after |")
        print("|---|---|---|---|---|---|")
        for name, argv in servers:
            s = compare.Server(name, argv,
                               extra=["--client-output-buffer-limit", "pubsub 32mb 8mb 60"])
            try:
                closed, before, peak, after = flood(s)
            finally:
                s.stop()
            print(f"| 1 KiB messages | {name} | {'yes' if closed else 'NO'} | {mb(before)} |"
                  f" {mb(peak)} | {mb(after)} |")


if __name__ == "__main__":
    main()
