#!/usr/bin/env bash
# Conformance: auth0-deploy-cli 8.x (`a0deploy`) export + import against `m2mctl emulator --tls`.
# Installs auth0-deploy-cli@8 into a temp folder (or uses A0DEPLOY_DIR, a folder where it is already
# installed), starts a fresh emulator, then:
#   1. seeds an API, an M2M client and a grant through the Management API (mgmt.py seed);
#   2. a0deploy export --format yaml, checks exit 0 and that the seeded objects are in tenant.yaml;
#   3. a0deploy import of import.yaml (an API, a client, a grant by client name), checks exit 0 and that
#      the objects exist with the right fields (mgmt.py check-import);
#   4. the same import again (a0deploy's update path: PATCH every object), checks exit 0 and no duplicates.
# Each a0deploy import costs ~15-40 s of CPU and ~2 GB of RAM at peak (its ajv schema validation; see
# research/a0deploy-measured.md). run.sh calls this script unless CONFORMANCE_DEPLOY_CLI=0.
# Standalone: tests/conformance/deploy-cli.sh   (builds m2mctl unless M2MCTL_BIN is set)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

M2MCTL=${M2MCTL:-$(m2mctl_bin)}
export M2MCTL
TMP=$(mktemp -d "${TMPDIR:-/tmp}/m2mctl-a0deploy.XXXXXX")
cleanup() {
  stop_emulator
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

A0DIR=${A0DEPLOY_DIR:-$TMP/a0deploy}
if [ ! -x "$A0DIR/node_modules/.bin/a0deploy" ]; then
  echo "-- npm install auth0-deploy-cli@8 into $A0DIR"
  mkdir -p "$A0DIR"
  npm install --prefix "$A0DIR" --no-audit --no-fund --loglevel=error 'auth0-deploy-cli@8' >/dev/null
fi
A0="$A0DIR/node_modules/.bin/a0deploy"
echo "a0deploy $("$A0" --version)"

start_emulator "$TMP"
export NODE_EXTRA_CA_CERTS=$EMU_CERT
export AUTH0_INCLUDED_ONLY='["clients","clientGrants","resourceServers"]'
cat >"$TMP/config.json" <<JSON
{
  "AUTH0_DOMAIN": "$EMU_DOMAIN",
  "AUTH0_CLIENT_ID": "$EMU_CLIENT_ID",
  "AUTH0_CLIENT_SECRET": "$EMU_CLIENT_SECRET"
}
JSON

run_a0() { # run_a0 LABEL args... ; prints the tail of its log and fails on non-zero exit
  local label=$1 rc=0 t0 t1
  shift
  t0=$(date +%s)
  "$A0" "$@" -c "$TMP/config.json" </dev/null >"$TMP/$label.log" 2>&1 || rc=$?
  t1=$(date +%s)
  echo "   a0deploy $label: exit $rc in $((t1 - t0)) s; last lines:"
  tail -n 6 "$TMP/$label.log" | sed 's/^/     | /'
  if [ "$rc" -ne 0 ]; then
    echo "FAIL: a0deploy $label exited $rc; full log:" >&2
    cat "$TMP/$label.log" >&2
    return 1
  fi
}

echo "-- seed through the Management API"
python3 "$HERE/mgmt.py" seed

echo "-- a0deploy export --format yaml"
run_a0 export export --format yaml --output_folder "$TMP/export"
test -s "$TMP/export/tenant.yaml" || { echo "FAIL: export wrote no tenant.yaml" >&2; exit 1; }
node -e '
const yaml = require(process.argv[1] + "/node_modules/js-yaml");
const fs = require("fs");
process.stdout.write(JSON.stringify(yaml.load(fs.readFileSync(process.argv[2], "utf8"))));
' "$A0DIR" "$TMP/export/tenant.yaml" >"$TMP/export.json"
python3 "$HERE/mgmt.py" check-export "$TMP/export.json"

cat >"$TMP/import.yaml" <<'YAML'
resourceServers:
  - name: Local Test API
    identifier: https://api.local.test/
    signing_alg: RS256
    token_lifetime: 7200
    scopes:
      - value: read:things
        description: Read things
      - value: write:things
        description: Write things
clients:
  - name: Local M2M App
    app_type: non_interactive
    grant_types:
      - client_credentials
clientGrants:
  - client_id: Local M2M App
    audience: https://api.local.test/
    scope: [read:things, write:things]
YAML

echo "-- a0deploy import (create)"
run_a0 import-create import --input_file "$TMP/import.yaml"
python3 "$HERE/mgmt.py" check-import

echo "-- a0deploy import again (update path)"
run_a0 import-update import --input_file "$TMP/import.yaml"
python3 "$HERE/mgmt.py" check-import

python3 "$HERE/mgmt.py" stats
echo "-- deploy-cli conformance ok"
