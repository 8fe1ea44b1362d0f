#!/usr/bin/env bash
# Middleware conformance: Auth0's own token-verifying middleware for Node, express-oauth2-jwt-bearer,
# protecting an express API declared in an m2mctl config (docs/conformance-node-middleware.md).
#   A config with two APIs (orders: read:orders + write:orders; orders-at: the same scopes, switched
#   to Auth0's RFC 9068 token dialect through `m2mctl api`) and one application granted only
#   read:orders on each; `m2mctl apply` against `m2mctl emulator --tls --state`; tokens from
#   `m2mctl token`; node/middleware.test.js starts node/middleware-api.js (issuerBaseURL = the
#   emulator: discovery + JWKS over TLS) and asserts what it accepts and rejects.
# Run by run.sh after `npm ci` in node/, with M2MCTL set; standalone: M2MCTL=... middleware.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
M2MCTL=${M2MCTL:-$(m2mctl_bin)}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/m2mctl-middleware.XXXXXX")
cleanup() {
  stop_emulator
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ORDERS=https://orders.example.com/
ORDERS_AT=https://orders-at.example.com/
mkdir -p "$TMP/.m2mctl"
cat >"$TMP/m2mctl.yaml" <<YAML
version: 1
project: middleware
tenant:
  domain: local
apis:
  - identifier: $ORDERS
    scopes:
      - value: read:orders
      - value: write:orders
  - identifier: $ORDERS_AT
    scopes:
      - value: read:orders
      - value: write:orders
applications:
  - name: orders-reader
    grants:
      - api: $ORDERS
        scopes: [read:orders]
      - api: $ORDERS_AT
        scopes: [read:orders]
YAML

# Runs m2mctl in the config's directory; its stderr goes to the console only when it fails.
m2m() {
  (cd "$TMP" && "$M2MCTL" "$@") 2>"$TMP/m2mctl.err" || {
    echo "m2mctl $* failed:" >&2
    cat "$TMP/m2mctl.err" >&2
    return 1
  }
}

start_emulator "$TMP" --state "$TMP/.m2mctl/local-tenant.json"
export M2MCTL_CA_CERT=$EMU_CERT
m2m apply --auto-approve >/dev/null
eval "$(m2m credentials orders-reader --format env)"
if [ "$AUTH0_DOMAIN" != "$EMU_DOMAIN" ]; then
  echo "AUTH0_DOMAIN=$AUTH0_DOMAIN, expected the served emulator $EMU_DOMAIN" >&2
  exit 1
fi

# orders-at: a default-dialect token first (the strict RFC 9068 service must refuse it), then the
# API switched to `token_dialect: rfc9068_profile` (m2mctl's config has no such key) and a new token.
AT_JWT_TOKEN=$(m2m token orders-reader --api "$ORDERS_AT" --raw --no-cache)
AT_ID=$(m2m api /api/v2/resource-servers --paginate |
  python3 -c 'import json, sys; print(next(r["id"] for r in json.load(sys.stdin) if r["identifier"] == sys.argv[1]))' "$ORDERS_AT")
m2m api PATCH "resource-servers/$AT_ID" -d '{"token_dialect": "rfc9068_profile"}' >/dev/null

ORDERS_TOKEN=$(m2m token orders-reader --api "$ORDERS" --raw --no-cache)
AT_TOKEN=$(m2m token orders-reader --api "$ORDERS_AT" --raw --no-cache)
export ORDERS ORDERS_AT ORDERS_TOKEN AT_TOKEN AT_JWT_TOKEN
export CLIENT_ID=$M2M_ORDERS_READER_CLIENT_ID ISSUER_BASE_URL="https://$AUTH0_DOMAIN"
(cd "$HERE/node" && NODE_EXTRA_CA_CERTS=$EMU_CERT node middleware.test.js)
