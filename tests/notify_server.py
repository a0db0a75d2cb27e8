#!/usr/bin/env python3
"""A webhook receiver for the notify tests, on 127.0.0.1 only.

usage: notify_server.py PORTFILE BODYFILE [LIFETIME_S]

Listens on an ephemeral port of 127.0.0.1, writes the port to PORTFILE once it
accepts connections, and exits after LIFETIME_S seconds (default 60) so a test
that dies cannot leave it behind for long. Each POST:
  /fail  -> 500
  /slow  -> waits 5 s, then 200 (for client timeouts)
  other  -> 200 if the body is JSON sent as application/json (the body is
            written to BODYFILE, replacing the last one), else 400 (the body
            goes to BODYFILE.invalid)
"""
import http.server
import json
import os
import sys
import threading
import time


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Handler(http.server.BaseHTTPRequestHandler):
    body_file = ""

    def log_message(self, *args):  # keep the test output quiet
        pass

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok" if status < 300 else b"no")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path.startswith("/fail"):
            self.answer(500)
            return
        if self.path.startswith("/slow"):
            time.sleep(5)
            self.answer(200)
            return
        try:
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
                raise ValueError("not application/json")
            json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            write_atomically(self.body_file + ".invalid", body)
            self.answer(400)
            return
        write_atomically(self.body_file, body)
        self.answer(200)


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 64
    port_file, Handler.body_file = sys.argv[1], sys.argv[2]
    lifetime = float(sys.argv[3]) if len(sys.argv) == 4 else 60.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Timer(lifetime, lambda: os._exit(0)).start()
    write_atomically(port_file, str(server.server_address[1]).encode())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
