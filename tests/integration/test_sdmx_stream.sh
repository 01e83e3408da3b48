#!/usr/bin/env bash
# test_sdmx_stream.sh - a large SDMX answer is streamed (issue 13, part 7):
# N observations (default 2,000,000: PARKS=20000 parks x 100 months) in the
# store, then at once
#   - a slow client reads an SDMX-ML answer over all of them a little at a
#     time (16 KiB every 20 ms) and keeps its connection open;
#   - a fast client reads the SDMX-CSV answer over all of them: every row
#     once, in key order, each value the one imported (p * 1000 + m + 0.5);
#   - /healthz and /api/v1/observations are asked again and again: each must
#     be answered within MAX_LATENCY_S (default 2 s) while both read;
#   - then the updatedAfter answer over every row (sorted by SQLite, which
#     must spill to a file, not to memory) is read whole;
#   - the daemon's RSS is sampled every 50 ms throughout: it may grow by at
#     most RSS_GROWTH_MB (default 50) over what it held before.
#   - 32 answers held open by clients that do not read: the 33rd is a 503,
#     /healthz still answers, and the slots come back when the clients go.
# The 24 M-row figure: bench/sdmx_stream.sh (docs/BENCHMARKS.md).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=${PARKSTAT_BIN:?}
with_tmp 20

parks=${PARKS:-20000}
months=${MONTHS:-100}
awk -v parks="$parks" 'BEGIN {
    printf "{\"database\": \"p.db\", \"units\": [{\"id\": \"city\", \"name\": \"City\"}"
    for (p = 1; p <= parks; p++) printf ", {\"id\": \"p%05d\", \"name\": \"Park %d\", \"parent\": \"city\"}", p, p
    printf "], \"indicators\": [{\"code\": \"rev\", \"name\": \"Revenue\", \"frequency\": \"M\", \"kind\": \"flow\", \"measure\": \"yuan\"}]}\n"
}' >"$tmp/parkstat.json"
awk -v parks="$parks" -v months="$months" 'BEGIN {
    print "unit,indicator,period,value"
    for (p = 1; p <= parks; p++)
        for (m = 0; m < months; m++)
            printf "p%05d,rev,%04d-%02d,%d.5\n", p, 1900 + int(m / 12), m % 12 + 1, p * 1000 + m
}' >"$tmp/obs.csv"
"$bin/parkstat" import --db "$tmp/p.db" --config "$tmp/parkstat.json" "$tmp/obs.csv" >/dev/null ||
    fail "import"
rm -f "$tmp/obs.csv"

port=$(free_port)
"$bin/parkstatd" -c "$tmp/parkstat.json" --listen "127.0.0.1:$port" 2>"$tmp/daemon.err" &
daemon=$!
pids+=("$daemon")
wait_for 10 curl -sf "http://127.0.0.1:$port/healthz" || fail "daemon did not answer /healthz"

# In the sanitizer build ASan's allocator keeps freed memory in quarantine
# (up to 256 MB), so the RSS says nothing about the daemon: there the growth
# is printed, not asserted (as in tests/abuse); the normal build asserts it.
growth_limit=${RSS_GROWTH_MB:-50}
if [[ ${PARKSTAT_SANITIZE:-OFF} == ON ]]; then
    echo "sanitizer build: RSS growth not asserted"
    growth_limit=inf
fi
python3 - "$port" "$daemon" "$parks" "$months" "$growth_limit" "${MAX_LATENCY_S:-2}" <<'PYEOF' ||
import http.client, socket, sys, threading, time
port, pid, parks, months = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
growth_mb, max_latency = float(sys.argv[5]), float(sys.argv[6])

def rss_kb():
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def ask(path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body

# warm up: the answers' code paths and the store's caches once, small
for p in ("/healthz", "/api/v1/observations?limit=5", "/sdmx/2.1/data/OBS/p00001..?format=sdmx-csv",
          "/sdmx/2.1/data/OBS/p00002.rev.M"):
    assert ask(p)[0] == 200, p
base = rss_kb()
peak = [base]
done = threading.Event()

def sampler():
    while not done.is_set():
        peak[0] = max(peak[0], rss_kb())
        time.sleep(0.05)

slow_got = [0]
def slow():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.sendall(b"GET /sdmx/2.1/data/OBS HTTP/1.1\r\nHost: x\r\n\r\n")
    # Short waits: on a loaded machine this client can reach the end of its
    # answer, and the connection then stays open (keep-alive) with nothing
    # more to read; done must still end it.
    s.settimeout(1)
    while not done.is_set():
        try:
            b = s.recv(16384)
        except socket.timeout:
            continue
        if not b:
            break
        slow_got[0] += len(b)
        time.sleep(0.02)
    s.close()

fast = {}
def fast_reader():
    t0 = time.time()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/sdmx/2.1/data/OBS?format=sdmx-csv")
    r = c.getresponse()
    assert r.status == 200, r.status
    assert r.getheader("Content-Type").startswith("application/vnd.sdmx.data+csv; version=1.0.0")
    head = r.readline()
    assert head == b"DATAFLOW,UNIT,INDICATOR,FREQ,TIME_PERIOD,OBS_VALUE,OBS_STATUS,UNIT_MEASURE,DECIMALS\r\n", head
    n, last, nbytes = 0, None, len(head)
    for line in r:
        nbytes += len(line)
        f = line.split(b",")
        p, per = int(f[1][1:]), f[4]
        m = (int(per[:4]) - 1900) * 12 + int(per[5:7]) - 1
        assert f[0] == b"PARKSTAT:OBS(1.0)" and f[2] == b"rev" and f[3] == b"M", line
        assert float(f[5]) == p * 1000 + m + 0.5, line
        key = (p, m)
        assert last is None or key > last, (last, key)
        last = key
        n += 1
    fast.update(rows=n, bytes=nbytes, seconds=time.time() - t0)

# Daemon threads: a failed assertion below ends the process (the sampler
# would otherwise keep it alive, and the test would hang, not fail).
threads = [threading.Thread(target=sampler, daemon=True), threading.Thread(target=slow, daemon=True)]
for t in threads:
    t.start()
time.sleep(0.5)   # the slow client is in its answer
ft = threading.Thread(target=fast_reader, daemon=True)
ft.start()
lat = []
while ft.is_alive() or len(lat) < 20:
    for p in ("/healthz", "/api/v1/observations?unit=p00042&limit=5"):
        t0 = time.time()
        code, body = ask(p)
        lat.append(time.time() - t0)
        assert code == 200, (p, code)
    time.sleep(0.05)
ft.join()
slow_mid = slow_got[0]
time.sleep(0.3)
assert slow_got[0] > slow_mid, "the slow client's answer stalled"
# vintages are sorted by SQLite: its sort spills to a file, not to memory
t0 = time.time()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("GET", "/sdmx/2.1/data/OBS?format=sdmx-csv-2.0&updatedAfter=1971-01-01T00:00:00Z")
r = c.getresponse()
assert r.status == 200, r.status
head = r.readline()
assert head.startswith(b"STRUCTURE,STRUCTURE_ID,ACTION,UNIT,"), head
first = r.readline()
assert first == b"dataflow,PARKSTAT:OBS(1.0),R,p00001,rev,M,1900-01,1000.5,,yuan,2\r\n", first
sorted_rows = 1
while True:
    chunk = r.read(1 << 20)
    if not chunk:
        break
    sorted_rows += chunk.count(b"\n")
sorted_s = time.time() - t0
done.set()
for t in threads:
    t.join()
assert fast.get("rows") == parks * months, fast
assert sorted_rows == parks * months, sorted_rows
growth = (peak[0] - base) / 1024
print("rows %d, %.1f MB of SDMX-CSV in %.1f s; slow client read %.1f MB meanwhile; "
      "updatedAfter (sorted) %d rows in %.1f s; "
      "RSS %.1f MB before, peak %.1f MB (+%.1f MB); %d requests beside, slowest %.3f s"
      % (fast["rows"], fast["bytes"] / 1e6, fast["seconds"], slow_got[0] / 1e6, sorted_rows,
         sorted_s, base / 1024, peak[0] / 1024, growth, len(lat), max(lat)))
assert growth < growth_mb, "RSS grew %.1f MB" % growth

# 32 answers held open by clients that do not read: the next is a 503 (an
# SDMX error message), the rest of the API still answers, and the slots come
# back when those clients go.
def conn(src):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(src, 0))
def status_line(s):
    got = b""
    while len(got) < 12:
        part = s.recv(12 - len(got))
        if not part:
            break
        got += part
    return got
# The answers of the clients above give their slots back once the server
# notices those clients went (its next write fails): a 503 here, within a
# few seconds of that, is a slot not yet given back, so that client retries.
held = []
for i in range(32):
    deadline = time.time() + 20
    while True:
        s = socket.socket()
        s.settimeout(30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind(("127.0.0.3", 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /sdmx/2.1/data/OBS?format=sdmx-csv HTTP/1.1\r\nHost: x\r\n\r\n")
        line = status_line(s)
        if line == b"HTTP/1.1 200":
            break
        s.close()
        assert line == b"HTTP/1.1 503" and time.time() < deadline, \
            "held answer %d did not start: %r" % (i, line)
        time.sleep(0.2)
    held.append(s)
c = conn("127.0.0.2")
c.request("GET", "/sdmx/2.1/data/OBS/p00001..")
r = c.getresponse()
body = r.read()
assert r.status == 503 and b'code="503"' in body, (r.status, body[:300])
c = conn("127.0.0.2")
c.request("GET", "/healthz")
assert c.getresponse().status == 200
for s in held:
    s.close()
for _ in range(50):
    c = conn("127.0.0.2")
    c.request("GET", "/sdmx/2.1/data/OBS/p00001..")
    r = c.getresponse()
    r.read()
    if r.status == 200:
        break
    time.sleep(0.1)
assert r.status == 200, "the slots did not come back: %d" % r.status
assert max(lat) < max_latency, "a request beside took %.3f s" % max(lat)
PYEOF
    fail "streaming"
grep -q "cut short" "$tmp/daemon.err" && fail "an answer was cut short"
echo "ok: SDMX answers stream in bounded memory"
