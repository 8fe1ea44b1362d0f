#!/usr/bin/env bash
# Conformance session, run by .ci/run: Auth0's own clients against `m2mctl emulator --tls`.
#   1. auth0-python 6.x (pytest, tests/conformance/test_auth0_python.py), then service.sh (a local
#      tenant served by `emulator --state`, a client from `credentials --format env`, and
#      auth0-api-python verifying its token through discovery)
#   2. the Node SDK auth0 7.x (tests/conformance/node/sdk.test.js), then middleware.sh (Auth0's
#      express-oauth2-jwt-bearer protecting an API declared in an m2mctl config, given `m2mctl token`s)
#   3. the deploy CLI auth0-deploy-cli 8.x (tests/conformance/deploy-cli.sh): about 40 s, ~2 GB RAM at
#      peak (a0deploy's own schema validation); CONFORMANCE_DEPLOY_CLI=0 skips it
# Each step gets a fresh emulator (the tests assert exact counts on a fresh tenant).
# Skip the Node step with CONFORMANCE_NODE=0. Use a prebuilt binary with M2MCTL_BIN=path.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

echo "-- building m2mctl"
M2MCTL=$(m2mctl_bin)
export M2MCTL
echo "using $M2MCTL"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/m2mctl-conformance.XXXXXX")
cleanup() {
  stop_emulator
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "-- python venv ($HERE/.venv)"
VENV="$HERE/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
"$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -iE '^(auth0-python|pytest|pyjwt|httpx|requests) ' || true

echo "-- auth0-python against the emulator"
mkdir -p "$TMP/py"
start_emulator "$TMP/py"
SSL_CERT_FILE=$EMU_CERT REQUESTS_CA_BUNDLE=$EMU_CERT \
  "$VENV/bin/python" -m pytest -p no:cacheprovider -q -rA "$HERE/test_auth0_python.py"
stop_emulator

echo "-- services: a served local tenant, credentials --format env, discovery (auth0-api-python)"
M2MCTL=$M2MCTL PY="$VENV/bin/python" "$HERE/service.sh"

if [ "${CONFORMANCE_NODE:-1}" != 0 ]; then
  echo "-- node SDK (auth0 7.x) against the emulator"
  (cd "$HERE/node" && npm ci --no-audit --no-fund --loglevel=error)
  (cd "$HERE/node" && node -e 'for (const p of ["auth0", "express-oauth2-jwt-bearer", "express"]) console.log(p + " " + require(p + "/package.json").version)')
  mkdir -p "$TMP/node"
  start_emulator "$TMP/node"
  (cd "$HERE/node" && NODE_EXTRA_CA_CERTS=$EMU_CERT node sdk.test.js)
  stop_emulator
  echo "-- express-oauth2-jwt-bearer: an API of m2mctl.yaml, issuerBaseURL = the emulator, m2mctl tokens"
  M2MCTL=$M2MCTL "$HERE/middleware.sh"
fi

if [ "${CONFORMANCE_DEPLOY_CLI:-1}" != 0 ]; then
  echo "-- auth0-deploy-cli against the emulator"
  "$HERE/deploy-cli.sh"
fi
echo "-- conformance ok"
