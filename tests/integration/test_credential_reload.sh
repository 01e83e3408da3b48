#!/usr/bin/env bash
# Source credentials are secrets read from files, and a reload (SIGHUP)
# reads them anew: after the bearer token file and the basic password file
# are rewritten and the daemon reloaded, the next pull sends the new ones (a
# test server records the Authorization header of every request, and answers
# 401 to the old credentials). A credential file unreadable at a reload fails
# the reload, and the running credentials stay in force.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20

month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
port=$(free_port)
api="http://127.0.0.1:$port"
echo tok >"$tmp/token"
echo "old-bearer" >"$tmp/bearer"
echo "old-pass" >"$tmp/pass"

# The park server: every request's path and Authorization header to auth.log;
# the credentials in $tmp/accept (one Authorization value a line) get the
# payload, others 401.
python3 - "$tmp" "$month" <<'EOF' &
import http.server, os, sys
tmp, month = sys.argv[1], sys.argv[2]
body = ('{"data": [{"park": "p01", "code": "revenue", "month": "%s", "value": 5}]}'
        % month).encode()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        auth = self.headers.get("Authorization", "-")
        with open(os.path.join(tmp, "auth.log"), "a") as f:
            f.write("%s %s\n" % (self.path.split("/")[1], auth))
        accept = open(os.path.join(tmp, "accept")).read().splitlines()
        code, out = (200, body) if auth in accept else (401, b"unauthorized")
        self.send_response(code)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(os.path.join(tmp, "park.port"), "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
pids+=($!)
basic() { printf 'Basic %s' "$(printf 'parks:%s' "$1" | base64)"; }
printf 'Bearer old-bearer\n%s\n' "$(basic old-pass)" >"$tmp/accept"
wait_for 10 test -s "$tmp/park.port" || fail "park server"
park="http://127.0.0.1:$(cat "$tmp/park.port")"

map='"mapping": {"records": "/data", "unit": "/park", "indicator": "/code", "period": "/month", "value": "/value"}'
cat >"$tmp/parkstat.json" <<EOF
{"database": "p.db", "server": {"listen": "127.0.0.1:$port", "token_file": "token"},
 "units": [{"id": "p01", "name": "P"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"}],
 "sources": [
   {"id": "bearer", "url": "$park/bearer/{period}", "format": "json", "frequency": "M",
    "first_period": "$month", "max_retries": 0, "auth": {"bearer_token_file": "bearer"}, $map},
   {"id": "basic", "url": "$park/basic/{period}", "format": "json", "frequency": "M",
    "first_period": "$month", "max_retries": 0,
    "auth": {"basic_user": "parks", "basic_password_file": "pass"}, $map}]}
EOF
"$bin/parkstatd" -c "$tmp/parkstat.json" 2>"$tmp/daemon.err" &
daemon=$!
pids+=("$daemon")
# last_auth SOURCE: the Authorization header of the source's newest request
last_auth() { grep "^$1 " "$tmp/auth.log" | tail -n 1 | cut -d' ' -f2-; }
outcome() { sqlite3 -batch -noheader "$tmp/p.db" \
    "SELECT outcome FROM run WHERE source = '$1' ORDER BY id DESC LIMIT 1" 2>/dev/null; }
first_pulls() { [[ $(outcome bearer) == ok && $(outcome basic) == ok ]]; }
wait_for 20 first_pulls || fail "first pulls: bearer $(outcome bearer), basic $(outcome basic)"
[[ $(last_auth bearer) == "Bearer old-bearer" ]] || fail "first bearer: $(last_auth bearer)"
[[ $(last_auth basic) == "$(basic old-pass)" ]] || fail "first basic: $(last_auth basic)"

# pull SOURCE: asks the daemon for a pull of the month, waits for its run
pull() {
    local runs
    runs=$(sqlite3 -batch -noheader "$tmp/p.db" "SELECT count(*) FROM run WHERE source = '$1'")
    [[ $(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer tok" \
        "$api/api/v1/sources/$1/pull?period=$month") == 202 ]] || fail "pull $1 refused"
    more() { (($(sqlite3 -batch -noheader "$tmp/p.db" "SELECT count(*) FROM run WHERE source = '$1'") > runs)); }
    wait_for 20 more "$1" || fail "no new run of $1"
}

# ---- rotate both secrets; the server takes only the new ones; reload
echo "new-bearer" >"$tmp/bearer"
echo "new-pass" >"$tmp/pass"
printf 'Bearer new-bearer\n%s\n' "$(basic new-pass)" >"$tmp/accept"
kill -HUP "$daemon"
wait_for 10 grep -q "configuration reloaded" "$tmp/daemon.err" || fail "no reload"
pull bearer
pull basic
[[ $(last_auth bearer) == "Bearer new-bearer" ]] || fail "bearer after the reload: $(last_auth bearer)"
[[ $(last_auth basic) == "$(basic new-pass)" ]] || fail "basic after the reload: $(last_auth basic)"
[[ $(outcome bearer) == ok && $(outcome basic) == ok ]] ||
    fail "pulls after the reload: bearer $(outcome bearer), basic $(outcome basic)"

# ---- an unreadable credential file fails the reload; the running secret stays
mv "$tmp/bearer" "$tmp/bearer.gone"
kill -HUP "$daemon"
wait_for 10 grep -q "reload failed" "$tmp/daemon.err" || fail "reload without the bearer file did not fail"
grep -q "bearer_token_file: cannot read .*bearer" "$tmp/daemon.err" || fail "the file is not named"
pull bearer
[[ $(last_auth bearer) == "Bearer new-bearer" ]] || fail "bearer after a failed reload: $(last_auth bearer)"
grep -q -e old-bearer -e new-bearer -e old-pass -e new-pass "$tmp/daemon.err" && fail "a secret in the log"
kill -TERM "$daemon"
wait "$daemon" || fail "exit status $?"
echo ok
