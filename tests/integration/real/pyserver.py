#!/usr/bin/python3
"""An echo server on Python's socketserver: every byte comes back, then the
server closes (socketserver shuts the connection down, then closes it).
  pyserver.py threading|forking PORT"""
import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


# socketserver listens with a backlog of 5: 20 clients at a time overflow
# it, and the kernel then resets a connection now and then (a SYN cookie
# that fails), with or without the library. A server under load sets more.
class Threading(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 128


class Forking(socketserver.ForkingTCPServer):
    max_children = 100
    request_queue_size = 128


kind, port = sys.argv[1], int(sys.argv[2])
server = (Threading if kind == "threading" else Forking)(("127.0.0.1", port), Echo)
print("listening %d" % port, flush=True)
server.serve_forever()
