#!/usr/bin/env python3
"""Replays the string-command case scripts against a real redis-server, so every expectation the
unit tests hold lode to is first checked against Redis (format: see core/src/types/string/tests.rs).

    redis-server --port 16391 --bind 127.0.0.1 --save '' &
    python3 core/tools/replay_string_cases.py 16391 core/src/types/string/cases/*.txt

Destructive: runs FLUSHALL before every section. Exits non-zero on any mismatch.
"""
import socket
import sys
import time


def split_args(line):
    """Redis's sdssplitargs (the subset the scripts use: bare words, "..." and '...')."""
    out, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t\r\n":
            i += 1
        if i >= n:
            return out
        cur, in_dq, in_sq = bytearray(), False, False
        while True:
            c = line[i] if i < n else None
            if in_dq:
                if c is None:
                    raise ValueError("unbalanced quotes")
                if c == "\\" and line[i + 1:i + 2] == "x" and all(
                        ch in "0123456789abcdefABCDEF" for ch in line[i + 2:i + 4]) and len(line[i + 2:i + 4]) == 2:
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == "\\" and i + 1 < n:
                    i += 1
                    cur += {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b", "a": b"\a"}.get(
                        line[i], line[i].encode())
                elif c == '"':
                    i += 1
                    break
                else:
                    cur += c.encode()
            elif in_sq:
                if c is None:
                    raise ValueError("unbalanced quotes")
                if c == "\\" and line[i + 1:i + 2] == "'":
                    i += 1
                    cur += b"'"
                elif c == "'":
                    i += 1
                    break
                else:
                    cur += c.encode()
            else:
                if c is None:
                    break
                if c in " \n\r\t":
                    i += 1
                    break
                if c == '"':
                    in_dq = True
                elif c == "'":
                    in_sq = True
                else:
                    cur += c.encode()
            i += 1
        out.append(bytes(cur))


def unescape(s):
    out, i = bytearray(), 0
    b = s.encode()
    while i < len(b):
        if b[i:i + 1] == b"\\" and i + 1 < len(b):
            c = b[i + 1:i + 2]
            if c == b"x" and i + 4 <= len(b):
                try:
                    out.append(int(b[i + 2:i + 4], 16))
                    i += 4
                    continue
                except ValueError:
                    pass
            out += {b"r": b"\r", b"n": b"\n", b"t": b"\t"}.get(c, c)
            i += 2
        else:
            out += b[i:i + 1]
            i += 1
    return bytes(out)


def expected(s):
    if "\\r\\n" in s:
        return unescape(s)
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        body = unescape(s[1:-1])
        return b"$%d\r\n%s\r\n" % (len(body), body)
    return s.encode() + b"\r\n"


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def send(self, args):
        self.s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        return self.read_reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.s.recv(1 << 16)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def read_reply(self):
        line = self._line()
        t, rest = line[:1], line[1:-2]
        if t in b"$=" and rest != b"-1":
            n = int(rest) + 2
            while len(self.buf) < n:
                self.buf += self.s.recv(1 << 16)
            body, self.buf = self.buf[:n], self.buf[n:]
            return line + body
        if t in b"*%~>" and rest != b"-1":
            n = int(rest) * (2 if t == b"%" else 1)
            return line + b"".join(self.read_reply() for _ in range(n))
        return line


def run(conn, path):
    bad = 0
    skipping = False
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n").rstrip()
        where = "%s:%d" % (path, n)
        if line.startswith("## "):
            conn.send([b"FLUSHALL"])
            skipping = False
            continue
        if not line or line.startswith("#") or skipping:
            continue
        words = line.split()
        if words[0] == "@advance":
            time.sleep(int(words[1]) / 1000)
        elif words[0] == "@ttl":
            got = conn.send([b"TTL", words[1].encode()])
            if got != b":%s\r\n" % words[2].encode():
                bad += 1
                print("%s: TTL %s: want %s, got %r" % (where, words[1], words[2], got))
        elif words[0] == "@encoding":
            got = conn.send([b"OBJECT", b"ENCODING", words[1].encode()])
            want = expected('"%s"' % words[2])
            if got != want:
                bad += 1
                print("%s: encoding %s: want %s, got %r" % (where, words[1], words[2], got))
        elif words[0] == "@nonstring":
            conn.send([b"DEL", words[1].encode()])
            conn.send([b"LPUSH", words[1].encode(), b"x"])
        else:
            cmd, want = line.split(" => ", 1)
            got = conn.send(split_args(cmd))
            if got != expected(want):
                bad += 1
                print("%s: %s\n    want %r\n    got  %r" % (where, cmd, expected(want), got))
    return bad


def main():
    port = int(sys.argv[1])
    conn = Conn(port)
    bad = sum(run(conn, p) for p in sys.argv[2:])
    print("mismatches:", bad)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
