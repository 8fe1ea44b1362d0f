#!/usr/bin/env bash
# Benchmark of `m2mctl emulator`: requests/s for a 100-client page from a 10,000-client tenant, and
# the emulator's memory at that size.
#
#   examples/bench-emulator.sh            # release build, 10,000 clients, 20 s of wrk per mode
#   CLIENTS=2000 DURATION=10 CONNECTIONS=32 examples/bench-emulator.sh
#   M2MCTL_BIN=target/release/m2mctl examples/bench-emulator.sh   # skip the build
#
# What it does:
#   1. cargo build --release (unless M2MCTL_BIN is set);
#   2. starts `m2mctl emulator --listen 127.0.0.1:0` (plain HTTP; then again with --tls for the TLS row),
#      with fixed bootstrap credentials, and takes a Management API token from /oauth/token;
#   3. seeds CLIENTS clients with POST /api/v2/clients (16 concurrent keep-alive connections);
#   4. runs wrk (2 threads, CONNECTIONS connections, DURATION s) on
#      GET /api/v2/clients?per_page=100&page=N&include_totals=true with N spread over every page;
#   5. checks through GET /__m2mctl/stats that every counted request answered 200, and reads
#      VmRSS / VmHWM of the emulator from /proc/PID/status.
# Needs: cargo, python3, curl, wrk (apt-get install wrk).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLIENTS=${CLIENTS:-10000}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
CLIENT_ID=benchBootstrapClient000000000001
CLIENT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

if [ -n "${M2MCTL_BIN:-}" ]; then
  BIN=$M2MCTL_BIN
else
  BIN=$(cd "$ROOT" && cargo build --locked --release --bin m2mctl --message-format=json-render-diagnostics |
    python3 -c 'import json,sys
exe=[m["executable"] for m in map(json.loads, sys.stdin) if m.get("reason")=="compiler-artifact" and m.get("executable")]
print(exe[-1])')
fi
echo "binary: $BIN ($("$BIN" --version))"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/m2mctl-bench.XXXXXX")
PID=""
stop() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    wait "$PID" 2>/dev/null || true
  fi
  PID=""
}
trap 'stop; rm -rf "$TMP"' EXIT

mem() { # mem LABEL: RSS figures of the emulator
  awk -v l="$1" 'BEGIN {printf "%s", l} /^VmRSS|^VmHWM/ {printf " %s %.1f MB", $1, $2/1024} END {print ""}' "/proc/$PID/status"
}

start() { # start MODE(http|https)
  local flags=() url="" i
  [ "$1" = https ] && flags=(--tls --cert-out "$TMP/cert.pem")
  "$BIN" emulator --listen 127.0.0.1:0 "${flags[@]}" \
    --bootstrap-client-id "$CLIENT_ID" --bootstrap-client-secret "$CLIENT_SECRET" >"$TMP/emulator-$1.log" 2>&1 &
  PID=$!
  for i in $(seq 1 300); do
    url=$(grep -oE "$1://127\.0\.0\.1:[0-9]+" "$TMP/emulator-$1.log" | head -n1 || true)
    if [ -n "$url" ] && curl -fsS -o /dev/null -k "$url/.well-known/jwks.json" 2>/dev/null; then
      BASE=$url
      return
    fi
    sleep 0.1
  done
  echo "emulator did not come up; log:" >&2
  cat "$TMP/emulator-$1.log" >&2
  exit 1
}

seed() { # seed N: POST N clients, prints the elapsed time; sets TOKEN
  TOKEN=$(curl -fsS -k "$BASE/oauth/token" -H 'content-type: application/json' \
    -d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$CLIENT_ID\",\"client_secret\":\"$CLIENT_SECRET\",\"audience\":\"https://${BASE#*://}/api/v2/\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  BASE=$BASE TOKEN=$TOKEN N=$1 python3 - <<'PY'
import concurrent.futures, http.client, json, os, ssl, threading, time, urllib.parse
u = urllib.parse.urlsplit(os.environ["BASE"]); n = int(os.environ["N"]); tok = os.environ["TOKEN"]
local = threading.local()
def conn():
    if not hasattr(local, "c"):
        if u.scheme == "https":
            local.c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl._create_unverified_context())
        else:
            local.c = http.client.HTTPConnection(u.hostname, u.port)
    return local.c
def create(i):
    body = json.dumps({"name": f"bench-client-{i:05d}", "app_type": "non_interactive",
                       "grant_types": ["client_credentials"], "description": f"benchmark client {i}",
                       "client_metadata": {"team": f"team-{i % 50}"}})
    c = conn()
    c.request("POST", "/api/v2/clients", body, {"authorization": f"Bearer {tok}", "content-type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 201:
        raise SystemExit(f"create {i}: HTTP {r.status}")
t0 = time.time()
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    list(ex.map(create, range(n)))
dt = time.time() - t0
print(f"seeded {n} clients in {dt:.1f} s ({n/dt:.0f} creates/s, python client, 16 connections)")
PY
}

bench() { # bench MODE
  local pages=$(( (CLIENTS + 2 + 99) / 100 ))
  cat >"$TMP/pages.lua" <<LUA
local n = 0
request = function()
  local page = n % $pages
  n = n + 1
  return wrk.format("GET", "/api/v2/clients?per_page=100&page=" .. page .. "&include_totals=true")
end
LUA
  # sanity: one page has 100 clients and the right total
  curl -fsS -k "$BASE/api/v2/clients?per_page=100&page=1&include_totals=true" -H "authorization: Bearer $TOKEN" |
    python3 -c "import json,sys; b=json.load(sys.stdin); t=$CLIENTS+2; assert b['total']==t and len(b['clients'])==min(100,max(0,t-100)), (len(b['clients']), b['total']); print('page check: page 1 has', len(b['clients']), 'clients, total', t)"
  local bytes
  bytes=$(curl -fsS -k -o /dev/null -w '%{size_download}' "$BASE/api/v2/clients?per_page=100&page=1&include_totals=true" -H "authorization: Bearer $TOKEN")
  echo "one page is $bytes bytes"
  curl -fsS -k -X POST "$BASE/__m2mctl/stats/reset" >/dev/null
  echo "== wrk $1: $THREADS threads, $CONNECTIONS connections, ${DURATION}s, pages 0..$((pages - 1))"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$TMP/pages.lua" \
    -H "Authorization: Bearer $TOKEN" "$BASE" | tee "$TMP/wrk-$1.txt"
  curl -fsS -k "$BASE/__m2mctl/stats" >"$TMP/stats.json"
  if grep -q 'Non-2xx' "$TMP/wrk-$1.txt"; then
    echo "FAIL: wrk saw non-2xx answers" >&2
    exit 1
  fi
  python3 - "$TMP/stats.json" "$TMP/wrk-$1.txt" <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
done = int(re.search(r"(\d+) requests in", open(sys.argv[2]).read()).group(1))
ok = sum(v for k, v in s["by_route"].items() if k == "GET /api/v2/clients 200")
print(f"emulator counted {s['total']} requests, {ok} of them GET /api/v2/clients 200")
bad = {k: v for k, v in s["by_route"].items() if not k.endswith(" 200")}
if bad:
    sys.exit(f"non-200 answers during the load: {bad}")
if ok < done:
    sys.exit(f"wrk completed {done} requests but the emulator counted only {ok} GET /api/v2/clients 200")
PY
  mem "after load ($1):"
}

for mode in http https; do
  start "$mode"
  mem "fresh ($mode):"
  seed "$CLIENTS"
  mem "after seeding ($mode):"
  bench "$mode"
  stop
done
