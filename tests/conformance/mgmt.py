#!/usr/bin/env python3
"""Tiny Management API helper for the deploy-CLI conformance script (python3 stdlib only).

Usage (environment: EMU_DOMAIN, EMU_CLIENT_ID, EMU_CLIENT_SECRET, EMU_CERT):
  mgmt.py seed                      create the objects the export must show
  mgmt.py check-export FILE.json    the a0deploy export (tenant.yaml converted to JSON) holds them
  mgmt.py check-import              the objects of import.yaml exist with the right fields, once each
  mgmt.py stats                     print the emulator's per-route request counts

It talks to the emulator over TLS, trusting only EMU_CERT, and exits non-zero with a message on any
mismatch. It must not print secrets.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

DOMAIN = os.environ["EMU_DOMAIN"]
CTX = ssl.create_default_context(cafile=os.environ["EMU_CERT"])
BASE = f"https://{DOMAIN}"

SEED_API = "https://seeded.api.local/"
IMPORT_API = "https://api.local.test/"


def call(method: str, path: str, body=None, token: str | None = None, form: bool = False):
    data, headers = None, {}
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=30) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)


def token() -> str:
    status, body = call(
        "POST",
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": os.environ["EMU_CLIENT_ID"],
            "client_secret": os.environ["EMU_CLIENT_SECRET"],
            "audience": f"{BASE}/api/v2/",
        },
        form=True,
    )
    expect(status == 200, f"token: {status} {body}")
    return body["access_token"]


def expect(cond: bool, msg: str):
    if not cond:
        sys.exit(f"FAIL: {msg}")


def get_all(tok: str, path: str, key: str) -> list:
    items, page = [], 0
    while True:
        sep = "&" if "?" in path else "?"
        status, body = call("GET", f"{path}{sep}page={page}&per_page=100&include_totals=true", token=tok)
        expect(status == 200, f"GET {path}: {status} {body}")
        items.extend(body[key])
        if len(body[key]) < 100:
            return items
        page += 1


def seed():
    tok = token()
    st, api = call("POST", "/api/v2/resource-servers", {
        "name": "Seeded API", "identifier": SEED_API, "token_lifetime": 36000,
        "scopes": [{"value": "read:seed", "description": "Read seed"}]}, tok)
    expect(st == 201, f"create RS: {st} {api}")
    st, cl = call("POST", "/api/v2/clients", {
        "name": "Seeded M2M", "app_type": "non_interactive", "grant_types": ["client_credentials"]}, tok)
    expect(st == 201, f"create client: {st} {cl}")
    st, gr = call("POST", "/api/v2/client-grants", {
        "client_id": cl["client_id"], "audience": SEED_API, "scope": ["read:seed"]}, tok)
    expect(st == 201, f"create grant: {st} {gr}")
    print("seeded: resource server 'Seeded API', client 'Seeded M2M', grant Seeded M2M -> Seeded API [read:seed]")


def check_export(path: str):
    with open(path) as f:
        exp = json.load(f)
    rs = [r for r in exp.get("resourceServers") or [] if r.get("identifier") == SEED_API]
    expect(len(rs) == 1, f"exported resourceServers lack {SEED_API}: {exp.get('resourceServers')}")
    expect(rs[0].get("name") == "Seeded API" and rs[0].get("token_lifetime") == 36000, f"exported RS: {rs[0]}")
    expect([s.get("value") for s in rs[0].get("scopes", [])] == ["read:seed"], f"exported RS scopes: {rs[0]}")
    names = [c.get("name") for c in exp.get("clients") or []]
    expect("Seeded M2M" in names, f"exported clients lack 'Seeded M2M': {names}")
    expect("All Applications" not in names, "the global client must not be exported (is_global=false)")
    expect(not any(r.get("name") == "Auth0 Management API" for r in exp.get("resourceServers") or []),
           "a0deploy should have filtered the system API by name")
    grants = [g for g in exp.get("clientGrants") or [] if g.get("audience") == SEED_API]
    expect(len(grants) == 1, f"exported clientGrants lack the seeded grant: {exp.get('clientGrants')}")
    expect(grants[0].get("client_id") == "Seeded M2M", f"a0deploy maps grant client_id to the client name: {grants[0]}")
    expect(grants[0].get("scope") == ["read:seed"], f"exported grant scope: {grants[0]}")
    print(f"export ok: {len(exp.get('resourceServers') or [])} resourceServers, {len(names)} clients, "
          f"{len(exp.get('clientGrants') or [])} clientGrants; seeded objects present with their fields")


def check_import():
    tok = token()
    rs = [r for r in get_all(tok, "/api/v2/resource-servers", "resource_servers") if r["identifier"] == IMPORT_API]
    expect(len(rs) == 1, f"imported resource server {IMPORT_API}: found {len(rs)}")
    r = rs[0]
    expect(r["name"] == "Local Test API" and r["token_lifetime"] == 7200 and r["signing_alg"] == "RS256", f"RS: {r}")
    expect([s["value"] for s in r["scopes"]] == ["read:things", "write:things"], f"RS scopes: {r['scopes']}")
    clients = [c for c in get_all(tok, "/api/v2/clients", "clients") if c["name"] == "Local M2M App"]
    expect(len(clients) == 1, f"imported client 'Local M2M App': found {len(clients)}")
    c = clients[0]
    expect(c["app_type"] == "non_interactive" and c["grant_types"] == ["client_credentials"], f"client: {c['app_type']} {c['grant_types']}")
    q = urllib.parse.urlencode({"client_id": c["client_id"], "audience": IMPORT_API})
    st, grants = call("GET", f"/api/v2/client-grants?{q}", token=tok)
    expect(st == 200, f"grants: {st} {grants}")
    grants = grants["client_grants"] if isinstance(grants, dict) else grants
    expect(len(grants) == 1, f"imported grant: found {len(grants)}")
    expect(sorted(grants[0]["scope"]) == ["read:things", "write:things"], f"grant scope: {grants[0]['scope']}")
    # the seeded objects are still there (no AUTH0_ALLOW_DELETE), the deploying client untouched
    all_clients = get_all(tok, "/api/v2/clients", "clients")
    expect(any(x["name"] == "Seeded M2M" for x in all_clients), "seeded client vanished")
    expect(any(x["client_id"] == os.environ["EMU_CLIENT_ID"] for x in all_clients), "deploying client vanished")
    print(f"import ok: RS {r['id']} (7200 s, 2 scopes), client {c['client_id']}, grant {grants[0]['id']} "
          f"[{' '.join(sorted(grants[0]['scope']))}]; {len(all_clients)} clients in tenant")


def stats():
    st, body = call("GET", "/__m2mctl/stats")
    expect(st == 200, f"stats: {st} {body}")
    print(f"emulator stats: total {body.get('total')}")
    for route, n in sorted((body.get("by_route") or {}).items()):
        print(f"  {n:5d}  {route}")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "seed":
        seed()
    elif cmd == "check-export":
        check_export(sys.argv[2])
    elif cmd == "check-import":
        check_import()
    elif cmd == "stats":
        stats()
    else:
        sys.exit(__doc__)
