#!/usr/bin/python3
"""The clients of the real-program tests (tests/integration/real-programs.sh).
Runs without the library. Every wait is bounded.

  client.py load  PROTO FILES HOST PORT --requests N --concurrency C --slow S
      N requests, C at a time, each on a connection of its own, then (at the
      same time) S slow readers of FILES/big (4 MiB), each reading 16 KiB
      at a time with a pause in between and a small receive buffer, so the
      server still has most of it queued when it closes. Every body must be
      byte-identical to its file (sha256). Prints
      "summary requests=N ok=K bad=B reset=R error=E" and
      "slow readers=S ok=K bad=B reset=R error=E seconds=T".
  client.py hold  PROTO FILES HOST PORT --n N
      N connections, each left in the middle of a request, prints
      "connected N" once each is being served, then reads until each ends
      and prints "ended eof=E reset=R error=X open=O"; keeps them all open
      (so the server's side of each stays a FIN-WAIT-2 socket) until killed
      or the timeout.
  client.py store PROTO FILES HOST PORT
      redis, memcached: stores every file under its own name.

PROTO: http (GET /NAME, Connection: close), echo (the file's bytes sent,
then a half close; the same bytes must come back, then EOF), redis (GET
NAME, QUIT), memcached (get NAME, quit), ssh (the version exchange, then a
half close: the server's banner line, then EOF; plus, with --sessions K, K
real sessions with dbclient that cat a file).
"""
import argparse
import errno
import hashlib
import os
import select
import socket
import subprocess
import sys
import threading
import time

SMALL = ["a", "b", "c"]  # 1 KiB, 16 KiB, 64 KiB (made by the test script)
CHUNK = 16384

args = None
files = {}
deadline = 0.0


def load_files():
    for name in SMALL + ["big"]:
        with open(os.path.join(args.files, name), "rb") as f:
            files[name] = f.read()


def remaining():
    return max(0.1, deadline - time.monotonic())


class Bad(Exception):
    pass


# Each client thread connects from an address of its own in 127.0.0.0/8:
# dropbear refuses more than 5 connections at a time that have not
# authenticated yet from one address (it closes them unread: resets).
local = threading.local()


def source_address():
    return getattr(local, "addr", "127.0.0.1")


def connect(rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source_address(), 0))
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(min(10.0, remaining()))
    s.connect((args.host, args.port))
    return s


def read_all(s, slow=False):
    """Reads until EOF. ECONNRESET propagates."""
    parts = []
    while True:
        b = s.recv(CHUNK if slow else 262144)
        if not b:
            return b"".join(parts)
        parts.append(b)
        if slow:
            time.sleep(args.slow_pause)


def request_bytes(name):
    if args.proto == "http":
        return b"GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % name.encode()
    if args.proto == "redis":
        n = name.encode()
        return b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n*1\r\n$4\r\nQUIT\r\n" % (len(n), n)
    if args.proto == "memcached":
        return b"get %s\r\nquit\r\n" % name.encode()
    raise ValueError(args.proto)


def check_response(name, got):
    want = files[name]
    if args.proto == "http":
        head, sep, body = got.partition(b"\r\n\r\n")
        if not sep:
            raise Bad("no end of headers in %d bytes" % len(got))
        status = head.split(b"\r\n", 1)[0]
        if b" 200 " not in status + b" ":
            raise Bad("status %r" % status)
    elif args.proto == "redis":
        prefix = b"$%d\r\n" % len(want)
        if not got.startswith(prefix):
            raise Bad("reply starts %r" % got[:40])
        body = got[len(prefix):len(prefix) + len(want)]
        if got[len(prefix) + len(body):] != b"\r\n+OK\r\n":
            raise Bad("reply ends %r after %d body bytes" % (got[len(prefix) + len(body):][:40], len(body)))
    elif args.proto == "memcached":
        prefix = b"VALUE %s 0 %d\r\n" % (name.encode(), len(want))
        if not got.startswith(prefix):
            raise Bad("reply starts %r" % got[:40])
        body = got[len(prefix):len(prefix) + len(want)]
        if got[len(prefix) + len(body):] != b"\r\nEND\r\n":
            raise Bad("reply ends %r after %d body bytes" % (got[len(prefix) + len(body):][:40], len(body)))
    else:
        body = got
    if hashlib.sha256(body).digest() != hashlib.sha256(want).digest():
        raise Bad("body of %s: %d bytes, want %d (sha256 differs)" % (name, len(body), len(want)))


def one_request(name, slow=False):
    if args.proto == "ssh":
        return one_ssh(name, slow)
    s = connect(rcvbuf=32768 if slow else None)
    try:
        if slow:
            s.settimeout(min(20.0, remaining()))
        if args.proto == "echo":
            data = files[name]
            err = []

            def sender():
                try:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                except OSError as e:
                    err.append(e)

            t = threading.Thread(target=sender, daemon=True)
            t.start()
            got = read_all(s, slow)
            t.join(remaining())
            if err:
                raise err[0]
        else:
            s.sendall(request_bytes(name))
            got = read_all(s, slow)
        check_response(name, got)
    finally:
        s.close()


def ssh_cmd(command):
    return ["dbclient", "-y", "-y", "-i", args.ssh_key, "-p", str(args.port),
            "-b", source_address(), "root@" + args.host, command]


def one_ssh(name, slow):
    if name.startswith("session:"):
        name = name.split(":", 1)[1]
        # Read at full speed even for a "slow" reader. dropbear 2022.83
        # now and then never closes a session's channel once the command
        # has exited (about 1 session in 50 here, and more when the client
        # reads slowly; without the library too): the client has every
        # byte and waits. Such a session is ended after 5 s and counts
        # when its bytes are all there; a reset makes dbclient exit 1.
        p = subprocess.Popen(ssh_cmd("cat " + os.path.join(args.files, name)),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            got, err = p.communicate(timeout=min(5.0, remaining()))
            st = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            got, err = p.communicate()
            st = 0
            print("# note: a dropbear session that sent %d bytes of %s did not end within 5 s" %
                  (len(got), name), file=sys.stderr)
        if st != 0:
            # dbclient says "Connection reset by peer" and exits 1 when it is reset
            raise Bad("dbclient exit %d: %s" % (st, err.decode(errors="replace").strip()[-200:]))
        if hashlib.sha256(got).digest() != hashlib.sha256(files[name]).digest():
            raise Bad("session body of %s: %d bytes, want %d" % (name, len(got), len(files[name])))
        return
    s = connect()
    try:
        s.sendall(b"SSH-2.0-notwtest\r\n")
        s.shutdown(socket.SHUT_WR)
        got = read_all(s)
        if not got.startswith(b"SSH-2.0-dropbear") or b"\r\n" not in got:
            raise Bad("banner %r" % got[:40])
    finally:
        s.close()


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = self.bad = self.reset = self.error = 0
        self.notes = []

    def run(self, name, slow=False):
        try:
            one_request(name, slow)
            kind = "ok"
        except Bad as e:
            kind, why = "bad", str(e)
        except ConnectionResetError as e:
            kind, why = "reset", str(e)
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.EPIPE):
                kind, why = "reset", str(e)
            else:
                kind, why = "error", "%s: %s" % (type(e).__name__, e)
        except subprocess.TimeoutExpired as e:
            kind, why = "error", str(e)
        with self.lock:
            setattr(self, kind, getattr(self, kind) + 1)
            if kind != "ok" and len(self.notes) < 5:
                self.notes.append("%s %s: %s" % (kind, name, why))


def cmd_load():
    load_files()
    requests = Tally()
    slow = Tally()
    names = [SMALL[i % len(SMALL)] for i in range(args.requests)]
    sessions = ["session:" + SMALL[i % len(SMALL)] for i in range(args.sessions)]
    lock = threading.Lock()

    def worker(k, it):
        local.addr = "127.0.0.%d" % (10 + k)
        while time.monotonic() < deadline:
            with lock:
                name = next(it, None)
            if name is None:
                return
            requests.run(name)

    slow_name = "session:big" if args.proto == "ssh" else "big"
    t0 = time.monotonic()
    def slow_reader(k):
        local.addr = "127.0.1.%d" % (10 + k)
        slow.run(slow_name, True)

    slow_threads = [threading.Thread(target=slow_reader, args=(k,), daemon=True)
                    for k in range(args.slow)]
    it = iter(names)
    threads = [threading.Thread(target=worker, args=(k, it), daemon=True)
               for k in range(args.concurrency)]
    if args.proto == "ssh":
        # The sessions after the version exchanges: dropbear closes, unread,
        # connections beyond 30 that have not authenticated yet.
        for t in threads:
            t.start()
        for t in threads:
            t.join(remaining())
        it = iter(sessions)
        threads = [threading.Thread(target=worker, args=(k, it), daemon=True)
                   for k in range(min(5, args.concurrency))]
    for t in slow_threads + threads:
        t.start()
    for t in threads:
        t.join(remaining())
    t_requests = time.monotonic() - t0
    for t in slow_threads:
        t.join(remaining())
    t_slow = time.monotonic() - t0
    done = requests.ok + requests.bad + requests.reset + requests.error
    for note in requests.notes + slow.notes:
        print("# " + note, file=sys.stderr)
    print("summary requests=%d ok=%d bad=%d reset=%d error=%d unfinished=%d seconds=%.1f" % (
        len(names) + len(sessions), requests.ok, requests.bad, requests.reset, requests.error,
        len(names) + len(sessions) - done, t_requests))
    print("slow readers=%d ok=%d bad=%d reset=%d error=%d seconds=%.1f" % (
        args.slow, slow.ok, slow.bad, slow.reset, slow.error, t_slow))
    sys.stdout.flush()
    os._exit(0)


def hold_start_bytes():
    return {
        "http": b"GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n",  # no end of headers yet
        "echo": b"held\n",
        "redis": b"*2\r\n$3\r\nGET\r\n",
        "memcached": b"get a",
        "ssh": b"",
    }[args.proto]


def cmd_hold():
    conns = []
    for i in range(args.n):
        local.addr = "127.0.2.%d" % (10 + i)
        s = connect()
        start = hold_start_bytes()
        if start:
            s.sendall(start)
        conns.append(s)
    # Wait for a first answer where the protocol gives one (the echo, the
    # server's banner): then a process is serving the connection.
    if args.proto in ("echo", "ssh"):
        for s in conns:
            s.settimeout(min(10.0, remaining()))
            s.recv(1, socket.MSG_PEEK)
    print("connected %d" % len(conns), flush=True)
    eof = reset = error = 0
    open_ = set(conns)
    for s in conns:
        s.setblocking(False)
    while open_ and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_), [], [], min(0.5, remaining()))
        for s in ready:
            try:
                b = s.recv(65536)
                if b:
                    continue
                eof += 1
            except BlockingIOError:
                continue
            except ConnectionResetError:
                reset += 1
            except OSError:
                error += 1
            open_.discard(s)
    print("ended eof=%d reset=%d error=%d open=%d" % (eof, reset, error, len(open_)), flush=True)
    # Keep every socket open: the server's side of a connection it closed
    # stays FIN-WAIT-2, which nothing from this side can disturb.
    time.sleep(remaining())
    os._exit(0)


def cmd_store():
    load_files()
    for name, data in files.items():
        s = connect()
        s.settimeout(10)
        try:
            if args.proto == "redis":
                n = name.encode()
                s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (len(n), n, len(data)) + data + b"\r\n")
                want = b"+OK\r\n"
            else:
                s.sendall(b"set %s 0 0 %d\r\n" % (name.encode(), len(data)) + data + b"\r\n")
                want = b"STORED\r\n"
            got = b""
            while not got.endswith(b"\r\n"):
                b = s.recv(1024)
                if not b:
                    break
                got += b
            if got != want:
                print("store %s: %r" % (name, got[:80]), file=sys.stderr)
                sys.exit(1)
        finally:
            s.close()
    print("stored %d" % len(files))


def main():
    global args, deadline
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["load", "hold", "store"])
    p.add_argument("proto", choices=["http", "echo", "redis", "memcached", "ssh"])
    p.add_argument("files")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--slow", type=int, default=0)
    p.add_argument("--slow-pause", type=float, default=0.008)
    p.add_argument("--sessions", type=int, default=0)
    p.add_argument("--ssh-key")
    p.add_argument("--n", type=int, default=5)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    deadline = time.monotonic() + args.timeout
    {"load": cmd_load, "hold": cmd_hold, "store": cmd_store}[args.mode]()


if __name__ == "__main__":
    main()
