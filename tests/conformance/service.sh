#!/usr/bin/env bash
# Service conformance: the local tenant served to other programs (docs/init-and-api.md).
#   `m2mctl emulator --state .m2mctl/local-tenant.json --tls` serves a config's local tenant; `m2mctl
#   apply` and `m2mctl credentials worker --format env` (domain: local) use that process; a client
#   (auth0-python) started only from those variables gets a token; a second process, an API using
#   auth0-api-python, verifies it through /.well-known/openid-configuration.
# Run by run.sh (after its venv step) with M2MCTL and PY set; standalone: M2MCTL=... PY=... service.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
M2MCTL=${M2MCTL:-$(m2mctl_bin)}
PY=${PY:-$HERE/.venv/bin/python}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/m2mctl-service.XXXXXX")
cleanup() {
  stop_emulator
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$TMP/.m2mctl"
cat >"$TMP/m2mctl.yaml" <<'YAML'
version: 1
project: service
tenant:
  domain: local
apis:
  - identifier: https://things.example.com/
    scopes:
      - value: read:things
applications:
  - name: worker
    grants:
      - api: https://things.example.com/
        scopes: [read:things]
YAML

start_emulator "$TMP" --state "$TMP/.m2mctl/local-tenant.json"
export M2MCTL_CA_CERT=$EMU_CERT
(cd "$TMP" && "$M2MCTL" apply --auto-approve) 2>"$TMP/apply.err" || {
  cat "$TMP/apply.err" >&2
  exit 1
}
grep -q "using the local tenant served at $EMU_BASE" "$TMP/apply.err" || {
  echo "apply did not use the served local tenant:" >&2
  cat "$TMP/apply.err" >&2
  exit 1
}
ENV_LINES=$(cd "$TMP" && "$M2MCTL" credentials worker --format env)
eval "$ENV_LINES"
if [ "$AUTH0_DOMAIN" != "$EMU_DOMAIN" ]; then
  echo "AUTH0_DOMAIN=$AUTH0_DOMAIN, expected the served emulator $EMU_DOMAIN" >&2
  exit 1
fi
export SSL_CERT_FILE=$EMU_CERT REQUESTS_CA_BUNDLE=$EMU_CERT
TOKEN=$("$PY" "$HERE/service_client.py")
"$PY" "$HERE/service_verify.py" "$TOKEN"
echo "service conformance ok"
