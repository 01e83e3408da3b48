#!/usr/bin/env python3
"""A misbehaving park server for parkstat's collector tests (loopback only).

Paths (any suffix after the first segment is ignored, so URL templates work):
  /500/...        always 500
  /403/...        always 403
  /429/...        429 with Retry-After: 1 on the first request per path, then a good payload
  /flaky/...      503 twice per path, then a good payload
  /drip/...       200, then one byte every 0.5 s (a slow drip) for 60 s
  /hang/...       accepts the request and never answers (until the client gives up)
  /truncated/...  Content-Length: 1000 but only 40 bytes, then the connection closes
  /huge/...       a 100 MB body (streamed)
  /invalid/...    200 with a body that is not JSON
  /html/...       200, Content-Type text/html, an HTML error page
  /empty/...      200 with an empty body
  /stats          JSON: requests per first path segment

Usage: fault_server.py PORTFILE  -- binds 127.0.0.1:0, writes the port to PORTFILE.
Stops by itself after 600 s.
"""
import http.server
import json
import socketserver
import sys
import threading
import time

GOOD = json.dumps({"data": [{"park": "p01", "code": "revenue", "month": "2024-03",
                             "value": 5}]}).encode()
hits = {}
seen = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body=b"", ctype="application/json", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        kind = self.path.strip("/").split("/")[0].split("?")[0]
        with lock:
            hits[kind] = hits.get(kind, 0) + 1
            seen[self.path] = seen.get(self.path, 0) + 1
            n = seen[self.path]
        if kind == "stats":
            with lock:
                return self.send(200, json.dumps(hits).encode())
        if kind == "500":
            return self.send(500, b"internal error")
        if kind == "403":
            return self.send(403, b"forbidden")
        if kind == "429":
            if n == 1:
                return self.send(429, b"slow down", extra=[("Retry-After", "1")])
            return self.send(200, GOOD)
        if kind == "flaky":
            return self.send(503, b"later") if n <= 2 else self.send(200, GOOD)
        if kind == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "120")
            self.end_headers()
            for _ in range(120):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.5)
            return
        if kind == "hang":
            time.sleep(60)
            return
        if kind == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(GOOD[:40])
            self.wfile.flush()
            self.close_connection = True
            return
        if kind == "huge":
            size = 100 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(size // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if kind == "invalid":
            return self.send(200, b"{\"data\": [ {\"park\": ")
        if kind == "html":
            return self.send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        if kind == "empty":
            return self.send(200, b"")
        return self.send(404, b"not found")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    threading.Timer(600, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
