#!/usr/bin/env python3
"""abuse.py - hostile clients against a running parkstatd, and what it must hold.

    abuse.py --port PORT --pid PID --token TOKEN --src SRC [--no-rss] [--phases LIST]

Attackers connect from 127.0.0.2 and up (loopback only); the measuring client,
from 127.0.0.1 in a process of its own (abuse.py --probe PORT), asks /healthz
every 20 ms on a new connection the whole time.
The daemon's RSS is read from /proc/PID/status (VmRSS, VmHWM) every 100 ms.

Phases (all by default, in this order; --phases picks some):
  hold      300 connections each holding a request line and 8 headers: the RSS
            per held connection, against docs/API.md's per-connection figure
  limits    40 connections from one address: 32 held, 8 closed at once
  bombs     parameter bombs (33, 300, 1000 parameters), huge and many headers,
            bad percent-encoding and %00, every endpoint with an unknown
            parameter, all while 300 slowloris connections from 10 addresses
            trickle a header line every 3 s
  unfiltered  /api/v1/observations without filters on the 2 M-row store, 16
            clients at once, beside 1000 concurrent clients from 50 addresses

Asserts, printing every number: each request answered 2xx/4xx (the status a
check names, where it names one) or, for slowloris, closed by the header
timeout (10 s, 408 or end of stream); none hung; RSS growth (VmHWM at the end
minus VmRSS at the start) < 64 MB; /healthz p99 < 100 ms while the attacks
run. Exit 0 when all hold, 1 otherwise. Bounded: every socket has a timeout,
and each phase a fixed count.
"""
import argparse
import asyncio
import gzip
import json
import re
import select
import socket
import subprocess
import sys
import threading
import time

RSS_LIMIT_MB = 64
P99_LIMIT_MS = 100
HEADER_TIMEOUT_S = 10  # api/api_priv.h API_HEADER_TIMEOUT_S, checked against docs below
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def status_of(data):
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    return int(m.group(1)) if m else None


def request(port, raw, src="127.0.0.2", timeout=10.0, want_body=False):
    """Sends raw bytes on a new connection from src; returns (status, seconds, body bytes).
    status None: closed without an answer; 'hung': no answer within timeout."""
    t0 = time.monotonic()
    s = socket.socket()
    s.settimeout(timeout)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
                if m and len(body) >= int(m.group(1)):
                    break
        return status_of(data), time.monotonic() - t0, data
    except socket.timeout:
        return "hung", time.monotonic() - t0, b""
    except (ConnectionResetError, BrokenPipeError):
        return None, time.monotonic() - t0, b""
    finally:
        s.close()


def get(path, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n" % (path, extra)).encode()


class Monitor:
    """The measuring client and the RSS sampler, on threads of their own."""

    def __init__(self, port, pid):
        self.port, self.pid = port, pid
        self.samples = []  # (time, seconds or None for failed)
        self.rss = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.probe), threading.Thread(target=self.sample)]

    def status(self):
        out = {}
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])  # kB
        return out

    def probe(self):
        # In a process of its own: a thread here would wait for the GIL behind
        # the crowd's event loop and the 16 readers, and measure this client.
        child = subprocess.Popen([sys.executable, __file__, "--probe", str(self.port)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.stop.wait()
        child.stdin.close()
        for line in child.stdout:
            t, secs = line.split()
            self.samples.append((float(t), None if secs == "-" else float(secs)))
        child.wait()

    def sample(self):
        while not self.stop.is_set():
            self.rss.append(self.status()["VmRSS"])
            time.sleep(0.1)

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()


def probe_main(port):
    """The measuring client's process: /healthz every 20 ms on a new connection
    until stdin closes; prints "monotonic-time seconds" per probe ("-": failed).
    CLOCK_MONOTONIC is the same clock in every process of the machine."""
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    out = []
    while not done.is_set():
        st, secs, _ = request(port, get("/healthz"), src="127.0.0.1", timeout=5)
        out.append("%f %s" % (time.monotonic(), repr(secs) if st == 200 else "-"))
        time.sleep(0.02)
    print("\n".join(out), flush=True)


def p99(values):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * 0.99))]


# ---- phases ----------------------------------------------------------------

def hold_connections(port, n, addrs, send):
    """Opens n connections spread over addrs, each sending send; returns the sockets."""
    socks = []
    for i in range(n):
        s = socket.socket()
        s.settimeout(5)
        s.bind((addrs[i % len(addrs)], 0))
        s.connect(("127.0.0.1", port))
        if send:
            s.sendall(send)
        socks.append(s)
    return socks


def phase_hold(args, mon):
    """RSS per connection holding a request line and headers."""
    addrs = ["127.0.0.%d" % (20 + i) for i in range(10)]
    time.sleep(0.5)
    before = mon.status()["VmRSS"]
    line = b"GET /api/v1/units HTTP/1.1\r\nHost: t\r\n" + b"".join(
        b"X-Hold-%d: %s\r\n" % (i, b"v" * 200) for i in range(8))
    socks = hold_connections(args.port, 300, addrs, line)
    time.sleep(1.5)
    after = mon.status()["VmRSS"]
    for s in socks:
        s.close()
    per = (after - before) * 1024 / 300
    doc = documented_per_connection(args.src)
    print("hold: 300 connections held: RSS %d -> %d kB, %.1f KiB per connection (documented: at most %d KiB)"
          % (before, after, per / 1024, doc), flush=True)
    if per > doc * 1024 and not args.no_rss:
        fail("per-connection memory %.1f KiB over the documented %d KiB" % (per / 1024, doc))


def phase_limits(port):
    """40 connections from one address: API_MAX_PER_IP (32) held, the rest closed at once."""
    socks = hold_connections(port, 40, ["127.0.0.30"], None)
    time.sleep(1)  # well within the 10 s the held ones may stay silent
    readable, _, _ = select.select(socks, [], [], 0)
    closed = 0
    for s in readable:
        try:
            closed += s.recv(1) == b""
        except ConnectionResetError:
            closed += 1
    # Another address still gets in.
    st, _, _ = request(port, get("/api/v1/units"), src="127.0.0.31", timeout=5)
    for s in socks:
        s.close()
    print("limits: 40 connections from 127.0.0.30: %d closed at once, %d held; 127.0.0.31 got %s"
          % (closed, 40 - closed, st), flush=True)
    if closed != 8:
        fail("per-address limit: %d of 40 closed at once, expected 8 (32 allowed)" % closed)
    if st != 200:
        fail("another address was refused while one was at its limit: %s" % st)


def slowloris(port, n, results):
    """n connections from 127.0.0.2..11 sending a header line every 3 s until closed."""
    addrs = ["127.0.0.%d" % (2 + i) for i in range(10)]

    def one(i):
        s = socket.socket()
        s.settimeout(3)
        t0 = time.monotonic()
        try:
            s.bind((addrs[i % len(addrs)], 0))
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /api/v1/units HTTP/1.1\r\nHost: t\r\n")
            k = 0
            while time.monotonic() - t0 < 40:
                try:
                    data = s.recv(4096)
                    results.append(("closed", status_of(data), time.monotonic() - t0))
                    return
                except socket.timeout:
                    pass
                s.sendall(b"X-Slow-%d: still here\r\n" % k)
                k += 1
            results.append(("hung", None, time.monotonic() - t0))
        except (ConnectionResetError, BrokenPipeError):
            results.append(("closed", None, time.monotonic() - t0))
        finally:
            s.close()

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    return ts


ENDPOINTS = [  # (method, path): every route of api/server.c
    ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/api/v1/units"),
    ("GET", "/api/v1/indicators"), ("GET", "/api/v1/observations"), ("GET", "/api/v1/indices"),
    ("GET", "/api/v1/indices/monitoring"), ("GET", "/api/v1/rankings/monitoring"),
    ("GET", "/api/v1/sources"), ("POST", "/api/v1/sources/none/pull"), ("GET", "/api/v1/runs"),
    ("GET", "/api/v1/series"), ("GET", "/api/v1/rejects"), ("POST", "/api/v1/recompute"),
    ("GET", "/"), ("GET", "/assets/app.js"),
]


def bomb_requests(token, strict):
    """(name, raw request, expected status or None for any 2xx/4xx)."""
    out = []
    for n in (33, 300):
        q = "&".join("p%d=1" % i for i in range(n))
        out.append(("%d parameters" % n, get("/api/v1/units?" + q), 400))
    out.append(("1000 empty-named parameters", get("/api/v1/units?" + "&".join("a" * 1000)), 400))
    out.append(("400 headers", get("/healthz", "".join("X-H%d: v\r\n" % i for i in range(400))), 431))
    out.append(("a 20 KB header", get("/healthz", "X-Big: %s\r\n" % ("b" * 20000)), 431))
    out.append(("a 4 KB cookie", get("/api/v1/units", "Cookie: %s\r\n" % ("c=" + "d" * 4000)), 200))
    out.append(("a 9000-byte target", get("/api/v1/units?x=" + "y" * 9000), 414))
    bad = ["/api/v1/units?format=%zz", "/api/v1/observations?unit=%", "/api/v1/observations?unit=%4",
           "/api/v1/observations?unit=%00", "/api/v1/observations?unit=e00001%00x",
           "/api/v1/observations?unit=%ff%fe", "/api/v1/observations?indicator=%e4%b8",
           "/api/v1/observations?%00=1", "/api/v1/units%00", "/api/v1/%ff"]
    for path in bad:
        # Strict (api/params.c): each is a 400 naming the place.
        out.append(("bad encoding " + path, get(path), 400 if strict else None))
    for method, path in ENDPOINTS:
        auth = "Authorization: Bearer %s\r\n" % token if method == "POST" else ""
        raw = ("%s %s?bogus=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n%s\r\n"
               % (method, path, auth)).encode()
        out.append(("unknown parameter on %s %s" % (method, path), raw, 400 if strict else None))
    return out


def phase_bombs(args, rounds):
    slow = []
    nslow = 30 if args.leak_run else 300
    ts = slowloris(args.port, nslow, slow)
    checks = bomb_requests(args.token, args.strict)
    counts = {}
    lock = threading.Lock()

    # Most of all, the request that used to hang and leak: 300 parameters.
    bomb = [c for c in checks if c[0] == "300 parameters"] * 10

    def worker(w):
        for r in range(rounds):
            for name, raw, want in checks + bomb:
                st, secs, _ = request(args.port, raw, src="127.0.0.%d" % (40 + w), timeout=10)
                ok = (st == want) if want else (isinstance(st, int) and 200 <= st < 500)
                with lock:
                    counts[name] = counts.get(name, 0) + 1
                    if not ok:
                        fail("%s: answered %s in %.2f s, expected %s" % (name, st, secs, want or "2xx/4xx"))

    t0 = time.monotonic()
    ws = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    sent = sum(counts.values())
    print("bombs: %d requests (%d kinds, %d rounds, 4 clients), %d of them with 300 parameters, "
          "in %.1f s" % (sent, len(checks), rounds, counts.get("300 parameters", 0),
                         time.monotonic() - t0), flush=True)
    for t in ts:
        t.join()
    closed = [r for r in slow if r[0] == "closed"]
    slack = 10 if args.leak_run else 3
    late = [r for r in closed if not HEADER_TIMEOUT_S - 0.5 <= r[2] <= HEADER_TIMEOUT_S + slack]
    with408 = sum(1 for r in closed if r[1] == 408)
    print("slowloris: %d connections, %d closed by the server (%d with 408) after %.1f..%.1f s, %d hung"
          % (len(slow), len(closed), with408, min((r[2] for r in closed), default=0),
             max((r[2] for r in closed), default=0), len(slow) - len(closed)), flush=True)
    if len(slow) != nslow or len(closed) != nslow:
        fail("slowloris: %d of %d connections closed by the server" % (len(closed), nslow))
    if late:
        fail("slowloris: %d connections closed outside %.1f..%d s"
             % (len(late), HEADER_TIMEOUT_S - 0.5, HEADER_TIMEOUT_S + slack))
    if with408 < nslow * 0.95:
        fail("slowloris: only %d of %d were told 408" % (with408, nslow))


async def crowd(port, n, naddr, paths):
    """n clients at once from naddr addresses: all connect, then all ask."""
    conns = []
    go = asyncio.Event()
    results = []

    async def one(i):
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(
                "127.0.0.1", port, local_addr=("127.0.1.%d" % (1 + i % naddr), 0)), 10)
        except (OSError, asyncio.TimeoutError) as e:
            results.append(("connect", repr(e)))
            return
        conns.append(w)
        await go.wait()
        path = paths[i % len(paths)]
        try:
            w.write(get(path))
            data = await asyncio.wait_for(r.read(), 30)
            results.append((path, status_of(data)))
        except (OSError, asyncio.TimeoutError) as e:
            results.append((path, repr(e)))
        finally:
            w.close()

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    while len(conns) + len(results) < n:
        await asyncio.sleep(0.05)
    held = len(conns)
    go.set()
    await asyncio.gather(*tasks)
    return held, results


def phase_crowd(args, with_unfiltered):
    big = []

    def unfiltered(w):
        # Default pages, then the largest pages (limit=10000) following the
        # cursor, half of them gzipped.
        cursor = None
        for k in range(6):
            enc = "Accept-Encoding: gzip\r\n" if (w + k) % 2 else ""
            path = "/api/v1/observations"
            if k >= 3:
                path += "?limit=10000" + ("&cursor=" + cursor if cursor else "")
            st, secs, data = request(args.port, get(path, enc), src="127.0.0.13", timeout=60)
            page = page_of(data) if st == 200 else None
            big.append((st, secs, len(data), page and page[:3]))
            cursor = page[3] if page and k >= 3 else None

    ws = [threading.Thread(target=unfiltered, args=(w,)) for w in range(16 if with_unfiltered else 0)]
    for w in ws:
        w.start()
    paths = ["/api/v1/units", "/api/v1/indicators", "/healthz",
             "/api/v1/observations?unit=e00001&indicator=m01", "/api/v1/runs"]
    t0 = time.monotonic()
    held, res = asyncio.run(crowd(args.port, 1000, 50, paths))
    ok = sum(1 for _, st in res if st == 200)
    print("crowd: 1000 clients from 50 addresses, %d connected at once, %d answered 200 in %.1f s"
          % (held, ok, time.monotonic() - t0), flush=True)
    bad = [r for r in res if r[1] != 200]
    if held != 1000 or bad:
        fail("crowd: %d connected, %d not answered 200: %s" % (held, len(bad), bad[:5]))
    for w in ws:
        w.join()
    if not with_unfiltered:
        return
    sizes = sorted(n for _, _, n, _ in big)
    print("unfiltered: %d queries on the 2 M-row store: statuses %s, %.1f s max, answers %d..%d "
          "bytes, pages %s" % (len(big), sorted(set(str(s) for s, _, _, _ in big)),
                               max(s for _, s, _, _ in big), sizes[0], sizes[-1],
                               sorted(set(str(p) for _, _, _, p in big))), flush=True)
    for st, secs, n, page in big:
        if st not in (200, 413):
            fail("unfiltered observations answered %s after %.1f s" % (st, secs))
        if n > 16 << 20:
            fail("unfiltered observations answer of %d bytes: not bounded" % n)
        # The store holds 2 000 000 current rows (test_abuse.sh counts them):
        # a page says so, and holds no more rows than its limit.
        if st == 200 and (not page or page[0] != 2000000 or not 0 < page[1] <= page[2]):
            fail("unfiltered observations: page (total, rows, limit) = %s" % (page,))


def page_of(data):
    """(page.total, rows, page.limit, page.next) of a JSON list answer, gzipped or not; None if
    unreadable."""
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        if re.search(rb"\r\ncontent-encoding: *gzip", head, re.I):
            body = gzip.decompress(body)
        doc = json.loads(body)
        return (doc["page"]["total"], len(doc["data"]), doc["page"]["limit"], doc["page"]["next"])
    except (ValueError, KeyError, TypeError, OSError):
        return None


def documented_per_connection(src):
    """The per-connection figure of docs/API.md, checked against api/api_priv.h."""
    doc = open(src + "/docs/API.md", encoding="utf-8").read()
    hdr = open(src + "/api/api_priv.h", encoding="utf-8").read()
    defs = {k: v for k, v in re.findall(r"#define (API_\w+)\s+\(?\(?(?:size_t\))?(\d+)", hdr)}
    m = re.search(r"Per connection the API holds at most \*\*(\d+) KiB\*\*", doc)
    if not m:
        fail("docs/API.md: no 'Per connection the API holds at most **N KiB**'")
        return 0
    per = int(m.group(1))
    m = re.search(r"#define API_CONN_MEMORY \(\(size_t\)(\d+) << 10\)", hdr)
    pool_kib = int(m.group(1)) if m else 1 << 20
    # pool + MHD's record (~1 KiB) + target copy (API_MAX_URI + 1) + state
    need = pool_kib + 1 + (int(defs["API_MAX_URI"]) + 1 + 512 + 1023) // 1024
    if per < need:
        fail("docs/API.md says %d KiB per connection; the code's parts add up to %d KiB" % (per, need))
    for name, text in (("API_MAX_CONNECTIONS", r"connections open at once \| (\d+)"),
                       ("API_MAX_PER_IP", r"connections from one address \| (\d+)"),
                       ("API_HEADER_TIMEOUT_S", r"request line and headers \| (\d+) s"),
                       ("API_BODY_TIMEOUT_S", r"request body \| (\d+) s"),
                       ("API_IDLE_TIMEOUT_S", r"silence in either direction \| (\d+) s"),
                       ("API_MAX_URI", r"request-target \(path and query\) \| (\d+) bytes"),
                       ("API_MAX_PARAMS", r"query parameters \| (\d+)")):
        m = re.search(text, doc)
        if not m or m.group(1) != defs.get(name):
            fail("docs/API.md Limits: %s is %s in the code, %s in the table"
                 % (name, defs.get(name), m and m.group(1)))
    if defs.get("API_HEADER_TIMEOUT_S") != str(HEADER_TIMEOUT_S):
        fail("abuse.py expects a %d s header timeout" % HEADER_TIMEOUT_S)
    return per


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        probe_main(int(sys.argv[2]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--no-rss", action="store_true", help="report RSS, do not assert it (sanitizers)")
    ap.add_argument("--strict", action="store_true",
                    help="bad encodings and unknown parameters must be 400")
    ap.add_argument("--phases", default="hold,limits,bombs,crowd,unfiltered")
    ap.add_argument("--leak-run", action="store_true",
                    help="under valgrind: answers checked, time and memory not, 30 slowloris")
    ap.add_argument("--rounds", type=int, default=70)
    args = ap.parse_args()
    phases = args.phases.split(",")

    mon = Monitor(args.port, args.pid)
    start = mon.status()
    mon.start()
    t_attack = time.monotonic()
    if "hold" in phases:
        phase_hold(args, mon)
    if "limits" in phases:
        phase_limits(args.port)
    if "bombs" in phases:
        phase_bombs(args, args.rounds)
    if "crowd" in phases or "unfiltered" in phases:
        phase_crowd(args, "unfiltered" in phases)
    mon.finish()
    end = mon.status()

    lat = [s for t, s in mon.samples if t >= t_attack]
    failed = sum(1 for s in lat if s is None)
    ms = [s * 1000 for s in lat if s is not None]
    worst = p99([s * 1000 if s is not None else 1e9 for s in lat]) if lat else 1e9
    print("healthz: %d probes during %.0f s of attacks, %d failed, p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(lat), time.monotonic() - t_attack, failed, sorted(ms)[len(ms) // 2] if ms else 0,
             worst, max(ms) if ms else 0), flush=True)
    if (failed or worst >= P99_LIMIT_MS) and not args.leak_run:
        fail("/healthz p99 %.1f ms (limit %d), %d probes failed" % (worst, P99_LIMIT_MS, failed))
    growth = (end["VmHWM"] - start["VmRSS"]) / 1024
    print("rss: %.1f MB at the start, %.1f MB peak (VmHWM), %.1f MB at the end: growth %.1f MB"
          % (start["VmRSS"] / 1024, end["VmHWM"] / 1024, end["VmRSS"] / 1024, growth), flush=True)
    if growth >= RSS_LIMIT_MB:
        if args.no_rss or args.leak_run:
            print("rss: not asserted in this build (sanitizer allocator)", flush=True)
        else:
            fail("RSS grew %.1f MB (limit %d MB)" % (growth, RSS_LIMIT_MB))
    print("abuse: %s" % ("ok" if not failures else "%d failures" % len(failures)), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
