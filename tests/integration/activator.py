#!/usr/bin/env python3
"""A socket activator for linger-failsafe.sh: it holds a listener (as
systemd or inetd in "wait" mode do), without the library, and starts one
generation of a service after another on it, each
`close_paths accept-write FD`, with LD_PRELOAD as the test says per
generation. After each has printed "accepting", it connects, reads to the
end, and prints "gen N bytes M eof|reset". Every wait is bounded.

    activator.py PORT PROG LIBRARY lib|bare...
"""
import os
import socket
import subprocess
import sys


def read_all(port):
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    total = 0
    try:
        while True:
            data = c.recv(65536)
            if not data:
                return total, "eof"
            total += len(data)
    except ConnectionResetError:
        return total, "reset"
    except socket.timeout:
        return total, "timeout"
    finally:
        c.close()


def main():
    port, prog, library = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    for gen, kind in enumerate(sys.argv[4:], 1):
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        if kind == "lib":
            env["LD_PRELOAD"] = library
        child = subprocess.Popen([prog, "accept-write", str(listener.fileno())],
                                 pass_fds=(listener.fileno(),), env=env,
                                 stdout=subprocess.PIPE, text=True)
        line = child.stdout.readline().strip()
        if line != "accepting":
            print(f"gen {gen} did not start ({line!r})", flush=True)
            child.kill()
            return 1
        total, how = read_all(port)
        child.wait(timeout=10)
        print(f"gen {gen} bytes {total} {how}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
