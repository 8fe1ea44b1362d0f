#!/usr/bin/env bash
# Benchmark of `m2mctl apply`: create N apps + N grants (+1 API) against the emulator rate limited
# like a small Auth0 tenant (--rate-limit 16 --burst 50), then compare the wall time with the floor
# (writes / 16 s) and report 429s and retries.
#
#   cargo build --release && examples/bench/apply-1000.sh [N]
#
# Needs bash, curl and jq. Prints one summary line; the emulator runs in memory and is stopped.
set -euo pipefail
N=${1:-1000}
RATE=16
BURST=50
BIN=${M2MCTL:-$(dirname "$0")/../../target/release/m2mctl}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORK=$(mktemp -d)
trap 'kill "$EMU" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"

PORT=$((20000 + RANDOM % 20000))
"$BIN" emulator --listen "127.0.0.1:$PORT" --rate-limit "$RATE" --burst "$BURST" \
  --bootstrap-client-id benchclient000000000000000000000 \
  --bootstrap-client-secret benchsecret-0123456789abcdefghijklmnopqrstuvwxyz >emulator.log 2>&1 &
EMU=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/__m2mctl/stats" >/dev/null && break; sleep 0.1; done

{
  printf 'version: 1\nproject: bench\ntenant:\n  domain: ${AUTH0_DOMAIN}\n'
  printf 'apis:\n  - identifier: https://bench.example.com/\n    name: Bench API\n'
  printf '    scopes:\n      - value: read:bench\n        description: Read\n'
  printf 'applications:\n'
  for i in $(seq -w 1 "$N"); do
    printf '  - name: bench-%s\n    grants:\n      - api: https://bench.example.com/\n        scopes: [read:bench]\n' "$i"
  done
} >m2mctl.yaml

export AUTH0_DOMAIN="http://127.0.0.1:$PORT"
export AUTH0_CLIENT_ID=benchclient000000000000000000000
export AUTH0_CLIENT_SECRET=benchsecret-0123456789abcdefghijklmnopqrstuvwxyz
curl -sf -X POST "http://127.0.0.1:$PORT/__m2mctl/stats/reset" >/dev/null

START=$(date +%s.%N)
"$BIN" apply --auto-approve >plan.txt 2>apply.err || { tail -20 apply.err; exit 1; }
END=$(date +%s.%N)
STATS=$(curl -sf "http://127.0.0.1:$PORT/__m2mctl/stats")
"$BIN" plan --detailed-exitcode >/dev/null 2>&1 || { echo "plan after apply is not empty"; exit 1; }
tail -1 apply.err
WRITES=$(jq '[.by_route | to_entries[] | select(.key | test("^POST /api/v2.* 201$")) | .value] | add' <<<"$STATS")
THROTTLED=$(jq '[.by_route | to_entries[] | select(.key | test(" 429$")) | .value] | add // 0' <<<"$STATS")
jq -r '.by_route | to_entries[] | "  \(.key): \(.value)"' <<<"$STATS"
awk -v s="$START" -v e="$END" -v w="$WRITES" -v r="$RATE" -v t="$THROTTLED" 'BEGIN {
  wall = e - s; floor = w / r;
  printf "apply of %d writes: wall %.1f s, floor %.1f s (writes / %d rps), ratio %.3f, 429s received %d\n",
    w, wall, floor, r, wall / floor, t }'
