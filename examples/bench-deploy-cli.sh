#!/usr/bin/env bash
# m2mctl and the deploy CLI (auth0-deploy-cli 8.x, `a0deploy`) on the same desired states, side by
# side, in one run of the benchmark (examples/bench/main.rs).
#
#   examples/bench-deploy-cli.sh [bench flags...]       e.g. --sizes 100,500 --plan-sizes 5000
#
# 1. installs auth0-deploy-cli@8 from npm into a temporary folder (or uses A0DEPLOY_DIR, a folder
#    where it is already installed: A0DEPLOY_DIR/node_modules/.bin/a0deploy);
# 2. builds m2mctl and the benchmark in release mode (skip with BENCH_NO_BUILD=1);
# 3. runs the benchmark with --deploy-cli, which starts `m2mctl emulator` over TLS in-process for
#    every tenant and drives both tools against it; a0deploy trusts the emulator's certificate
#    through NODE_EXTRA_CA_CERTS and gets a config.json like research/a0deploy-measured.md §1.
# Tables go to stdout (tee them into a file), progress to stderr.
# Each a0deploy import costs ~40 s of CPU and ~1.9 GB of RAM whatever the size (ajv schema
# validation), plus ~requests/8 s (its own throttle): the default sizes take 30-60 minutes.
# Needs: node >= 20 with npm, GNU time (/usr/bin/time), cargo.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/m2mctl-bench-a0deploy.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

for tool in node npm /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-deploy-cli: \`$tool\` is needed" >&2; exit 1; }
done

A0DIR=${A0DEPLOY_DIR:-$TMP/a0deploy}
A0="$A0DIR/node_modules/.bin/a0deploy"
if [ ! -x "$A0" ]; then
  echo "-- npm install auth0-deploy-cli@8 into $A0DIR" >&2
  mkdir -p "$A0DIR"
  npm install --prefix "$A0DIR" --no-audit --no-fund --loglevel=error 'auth0-deploy-cli@8' >&2
fi
echo "-- a0deploy $("$A0" --version) (node $(node --version))" >&2

cd "$ROOT"
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  echo "-- cargo build --release --bins --examples" >&2
  cargo build --release --bins --examples >&2
fi
TARGET=$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
"$TARGET/release/examples/bench" --deploy-cli "$A0" "$@"
