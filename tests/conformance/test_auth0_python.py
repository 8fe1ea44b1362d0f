"""Conformance session: auth0-python 6.x against `m2mctl emulator --tls`.

Run by tests/conformance/run.sh on a fresh emulator. Environment:
  EMU_DOMAIN (127.0.0.1:PORT), EMU_CLIENT_ID / EMU_CLIENT_SECRET (bootstrap app),
  SSL_CERT_FILE + REQUESTS_CA_BUNDLE (the emulator's certificate: httpx reads the first, requests the second).

The tests run in file order and share one tenant: the first one checks the fresh tenant, later ones
build on objects created earlier (module-level fixtures). Every call goes over real TLS to the
emulator through the SDK's public API; expected values come from research/auth0-api.md.
"""

from __future__ import annotations

import base64
import json
import os
import time

import jwt
import pytest
import requests
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.management import ManagementClient
from auth0.management.core.api_error import ApiError

DOMAIN = os.environ["EMU_DOMAIN"]
BOOT_ID = os.environ["EMU_CLIENT_ID"]
BOOT_SECRET = os.environ["EMU_CLIENT_SECRET"]
MGMT_AUD = f"https://{DOMAIN}/api/v2/"
ISSUER = f"https://{DOMAIN}/"
API_ID = "https://conformance.api.local/"
API_SCOPES = ["read:things", "write:things"]
# Lifetimes stay above the 7200 s default of `token_lifetime_for_web`: whether Auth0 accepts a smaller
# `token_lifetime` without an explicit web lifetime is not recorded (research/auth0-api.md §4.2).
N_CLIENTS = 45
N_EXTRA_GRANTS = 24  # grants from the first 24 bulk clients to the API, for checkpoint paging


def expect_api_error(status: int, call, *args, **kwargs) -> dict:
    """Runs a management call that must fail with `status`; returns the error body as a dict."""
    with pytest.raises(ApiError) as info:
        call(*args, **kwargs)
    err = info.value
    assert err.status_code == status, f"expected {status}, got {err.status_code}: {err.body}"
    body = err.body
    if isinstance(body, str):
        body = json.loads(body)
    assert isinstance(body, dict), f"error body is not a JSON object: {body!r}"
    return body


def assert_auth0_error(body: dict, status: int, error: str, error_code: str | None, message: str | None):
    """Auth0's Management API error shape: {statusCode, error, message, errorCode}."""
    assert body["statusCode"] == status, body
    assert body["error"] == error, body
    if error_code is not None:
        assert body.get("errorCode") == error_code, body
    if message is not None:
        assert body["message"] == message, body


def jwks() -> dict:
    resp = requests.get(f"https://{DOMAIN}/.well-known/jwks.json", timeout=10)
    assert resp.status_code == 200, resp.text
    keys = resp.json()["keys"]
    assert keys, "jwks has no keys"
    return {k["kid"]: k for k in keys}


def verify(token: str, audience: str) -> dict:
    """Real RS256 verification of `token` against the emulator's JWKS; returns the claims."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256", header
    assert header.get("typ") == "JWT", header
    keys = jwks()
    assert header.get("kid") in keys, f"kid {header.get('kid')} not in jwks {list(keys)}"
    jwk = keys[header["kid"]]
    assert jwk["kty"] == "RSA" and jwk.get("alg", "RS256") == "RS256", jwk
    key = jwt.PyJWK(jwk).key
    return jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=audience,
        issuer=ISSUER,
        options={"require": ["iss", "sub", "aud", "iat", "exp"]},
    )


def get_token(client_id: str, secret: str, audience: str) -> dict:
    return GetToken(DOMAIN, client_id, client_secret=secret).client_credentials(audience)


def tamper(token: str) -> str:
    """Flips one character in the middle of the signature (not the last, whose low bits may be padding)."""
    head, payload, sig = token.split(".")
    i = len(sig) // 2
    flipped = "A" if sig[i] != "A" else "B"
    bad = head + "." + payload + "." + sig[:i] + flipped + sig[i + 1 :]
    assert bad != token
    return bad


@pytest.fixture(scope="module")
def mgmt() -> ManagementClient:
    """ManagementClient with client credentials: its TokenProvider fetches the token (form POST)."""
    return ManagementClient(domain=DOMAIN, client_id=BOOT_ID, client_secret=BOOT_SECRET)


@pytest.fixture(scope="module")
def state() -> dict:
    """Objects created by earlier tests, for later ones."""
    return {}


# ---------------------------------------------------------------- tokens


def test_fresh_tenant_has_system_objects(mgmt):
    page = mgmt.clients.list(page=0, per_page=50, include_totals=True)
    clients = page.items
    assert int(page.response.total) == 2, [c.name for c in clients]
    by_id = {c.client_id: c for c in clients}
    assert BOOT_ID in by_id, "bootstrap client missing"
    assert by_id[BOOT_ID].app_type == "non_interactive"
    assert by_id[BOOT_ID].grant_types == ["client_credentials"]
    globals_ = [c for c in clients if c.global_]
    assert len(globals_) == 1, "a real tenant has exactly one global client"
    assert globals_[0].name == "All Applications"

    apis = list(mgmt.resource_servers.list(page=0, per_page=50, include_totals=True))
    system = [a for a in apis if a.identifier == MGMT_AUD]
    assert len(system) == 1, [a.identifier for a in apis]
    assert system[0].name == "Auth0 Management API"
    assert system[0].is_system is True

    grants = list(mgmt.client_grants.list(client_id=BOOT_ID))
    assert len(grants) == 1, grants
    assert grants[0].audience == MGMT_AUD
    assert "read:clients" in grants[0].scope and "create:client_grants" in grants[0].scope


def test_get_token_client_credentials_and_jwt_claims():
    t = get_token(BOOT_ID, BOOT_SECRET, MGMT_AUD)
    assert t["token_type"] == "Bearer"
    assert t["expires_in"] == 86400
    scopes = set(t["scope"].split())
    assert {"read:clients", "create:clients", "read:client_grants", "delete:clients"} <= scopes

    claims = verify(t["access_token"], MGMT_AUD)
    assert claims["iss"] == ISSUER
    assert claims["sub"] == f"{BOOT_ID}@clients"
    assert claims["aud"] == MGMT_AUD
    assert claims["azp"] == BOOT_ID
    assert claims["gty"] == "client-credentials"
    assert claims["exp"] - claims["iat"] == 86400 == t["expires_in"]
    assert abs(claims["iat"] - time.time()) < 120
    assert set(claims["scope"].split()) == scopes


def test_get_token_wrong_secret_is_401_access_denied():
    with pytest.raises(Auth0Error) as info:
        get_token(BOOT_ID, BOOT_SECRET + "x", MGMT_AUD)
    assert info.value.status_code == 401
    assert info.value.error_code == "access_denied"


def test_get_token_unknown_audience_is_403():
    with pytest.raises(Auth0Error) as info:
        get_token(BOOT_ID, BOOT_SECRET, "https://not-registered.example.com/")
    assert info.value.status_code == 403
    assert info.value.error_code == "access_denied"


def test_management_client_with_client_credentials(mgmt):
    boot = mgmt.clients.get(BOOT_ID)
    assert boot.client_id == BOOT_ID
    assert boot.app_type == "non_interactive"


# ---------------------------------------------------------------- clients: create 45, page 20


def test_create_45_clients_and_list_20_per_page(mgmt, state):
    created = []
    for i in range(N_CLIENTS):
        c = mgmt.clients.create(
            name=f"conformance-bulk-{i:02d}",
            app_type="non_interactive",
            grant_types=["client_credentials"],
            description=f"bulk client {i}",
        )
        assert c.client_id and len(c.client_id) >= 16, c
        assert c.client_secret and len(c.client_secret) >= 32
        assert c.name == f"conformance-bulk-{i:02d}"
        assert c.app_type == "non_interactive"
        assert c.grant_types == ["client_credentials"]
        created.append(c.client_id)
    assert len(set(created)) == N_CLIENTS, "client ids must be unique"
    state["bulk"] = created

    total = N_CLIENTS + 2  # + bootstrap app + global client
    pager = mgmt.clients.list(per_page=20, include_totals=True)
    sizes, seen = [], []
    for page in pager.iter_pages():
        sizes.append(len(page.items))
        seen.extend(c.client_id for c in page.items)
        assert int(page.response.total) == total
        assert int(page.response.limit) == 20
        assert int(page.response.start) == 20 * (len(sizes) - 1)
    assert sizes == [20, 20, 7], sizes
    assert len(seen) == len(set(seen)) == total, "no duplicates across pages"
    assert set(created) <= set(seen)
    assert BOOT_ID in seen

    # A page past the end comes back empty with 200 (the SDK stops on it).
    past = mgmt.clients.list(page=3, per_page=20, include_totals=True)
    assert past.items == [] and int(past.response.total) == total

    # Totals count after filters: is_global=false drops the global client.
    not_global = mgmt.clients.list(page=0, per_page=100, include_totals=True, is_global=False)
    assert int(not_global.response.total) == total - 1
    assert len(not_global.items) == total - 1
    assert all(not c.global_ for c in not_global.items)


# ---------------------------------------------------------------- API, M2M client, grant


def test_create_api_client_and_grant(mgmt, state):
    api = mgmt.resource_servers.create(
        identifier=API_ID,
        name="Conformance API",
        scopes=[{"value": s, "description": f"{s} scope"} for s in API_SCOPES],
        token_lifetime=36000,
    )
    assert api.id, "resource server id missing (a0deploy PATCHes /resource-servers/{id})"
    assert api.identifier == API_ID
    assert api.name == "Conformance API"
    assert api.token_lifetime == 36000
    assert api.signing_alg == "RS256"
    assert [s.value for s in api.scopes] == API_SCOPES
    state["api"] = api.id

    app = mgmt.clients.create(
        name="conformance-m2m",
        app_type="non_interactive",
        grant_types=["client_credentials"],
        client_metadata={"team": "conformance", "tier": "gold"},
    )
    assert app.client_id and app.client_secret
    assert app.client_metadata == {"team": "conformance", "tier": "gold"}
    state["app"] = (app.client_id, app.client_secret)

    grant = mgmt.client_grants.create(client_id=app.client_id, audience=API_ID, scope=["read:things"])
    assert grant.id and grant.id.startswith("cgr_"), grant.id
    assert grant.client_id == app.client_id
    assert grant.audience == API_ID
    assert grant.scope == ["read:things"]
    state["grant"] = grant.id


def test_token_for_custom_api_has_its_lifetime_and_scopes(state):
    cid, secret = state["app"]
    t = get_token(cid, secret, API_ID)
    assert t["expires_in"] == 36000
    assert t["scope"] == "read:things"
    claims = verify(t["access_token"], API_ID)
    assert claims["sub"] == f"{cid}@clients"
    assert claims["azp"] == cid
    assert claims["aud"] == API_ID
    assert claims["gty"] == "client-credentials"
    assert claims["exp"] - claims["iat"] == 36000


def test_token_for_api_without_grant_is_403(state):
    cid, secret = state["app"]
    with pytest.raises(Auth0Error) as info:
        get_token(cid, secret, MGMT_AUD)
    assert info.value.status_code == 403
    assert info.value.error_code == "access_denied"


# ---------------------------------------------------------------- grants: checkpoint pagination


def test_list_grants_checkpoint_take_from(mgmt, state):
    for cid in state["bulk"][:N_EXTRA_GRANTS]:
        g = mgmt.client_grants.create(client_id=cid, audience=API_ID, scope=["read:things"])
        assert g.client_id == cid and g.audience == API_ID
    total = N_EXTRA_GRANTS + 2  # + conformance-m2m's grant + the bootstrap grant

    # Manual chaining: pass each response's `next` back as `from`.
    sizes, seen, cursor, pages = [], [], None, 0
    while True:
        pages += 1
        assert pages <= 10, "checkpoint paging does not end"
        page = mgmt.client_grants.list(take=10, from_=cursor)
        sizes.append(len(page.items))
        seen.extend(g.id for g in page.items)
        cursor = page.response.next
        if not cursor:
            break
    assert sizes == [10, 10, 6], sizes
    assert len(seen) == len(set(seen)) == total

    # The SDK's own iterator follows `next` the same way.
    assert [g.id for g in mgmt.client_grants.list(take=10)] == seen

    # Filters: by audience and by client_id.
    by_aud = list(mgmt.client_grants.list(take=10, audience=API_ID))
    assert len(by_aud) == N_EXTRA_GRANTS + 1
    assert all(g.audience == API_ID for g in by_aud)
    by_client = list(mgmt.client_grants.list(client_id=state["app"][0]))
    assert [g.id for g in by_client] == [state["grant"]]


# ---------------------------------------------------------------- get, patch, delete


def test_get_and_patch(mgmt, state):
    cid, _ = state["app"]
    got = mgmt.clients.get(cid)
    assert got.name == "conformance-m2m"
    assert got.client_metadata == {"team": "conformance", "tier": "gold"}

    patched = mgmt.clients.update(cid, description="patched by auth0-python", client_metadata={"tier": None, "env": "ci"})
    assert patched.description == "patched by auth0-python"
    # metadata merge: null deletes a key, others are kept/added
    assert patched.client_metadata == {"team": "conformance", "env": "ci"}
    assert mgmt.clients.get(cid).description == "patched by auth0-python"

    g = mgmt.client_grants.update(state["grant"], scope=API_SCOPES)
    assert g.scope == API_SCOPES
    assert mgmt.client_grants.get(state["grant"]).scope == API_SCOPES

    api = mgmt.resource_servers.update(state["api"], token_lifetime=43200)
    assert api.token_lifetime == 43200
    assert mgmt.resource_servers.get(state["api"]).token_lifetime == 43200

    # The new lifetime and scopes show in the next token.
    t = get_token(cid, state["app"][1], API_ID)
    assert t["expires_in"] == 43200
    assert set(t["scope"].split()) == set(API_SCOPES)


def test_rotate_secret(mgmt, state):
    cid, old = state["app"]
    rotated = mgmt.clients.rotate_secret(cid)
    assert rotated.client_secret and rotated.client_secret != old
    with pytest.raises(Auth0Error) as info:
        get_token(cid, old, API_ID)
    assert info.value.status_code == 401
    assert get_token(cid, rotated.client_secret, API_ID)["access_token"]
    state["app"] = (cid, rotated.client_secret)


def test_delete(mgmt, state):
    # delete a grant
    victim = state["bulk"][0]
    [g] = list(mgmt.client_grants.list(client_id=victim))
    mgmt.client_grants.delete(g.id)
    body = expect_api_error(404, mgmt.client_grants.get, g.id)
    assert_auth0_error(body, 404, "Not Found", "inexistent_client_grant", None)

    # deleting a client deletes its grants
    victim2 = state["bulk"][1]
    assert len(list(mgmt.client_grants.list(client_id=victim2))) == 1
    mgmt.clients.delete(victim2)
    body = expect_api_error(404, mgmt.clients.get, victim2)
    assert_auth0_error(body, 404, "Not Found", "inexistent_client", None)
    assert list(mgmt.client_grants.list(client_id=victim2)) == []
    # DELETE is idempotent in Auth0: 204 again
    mgmt.clients.delete(victim2)

    # delete the API
    extra = mgmt.resource_servers.create(identifier="https://delete-me.api.local/", name="Delete me")
    mgmt.resource_servers.delete(extra.id)
    body = expect_api_error(404, mgmt.resource_servers.get, extra.id)
    assert_auth0_error(body, 404, "Not Found", "inexistent_resource_server", None)

    total = N_CLIENTS + 3 - 1  # bulk + m2m + bootstrap + global - deleted
    assert int(mgmt.clients.list(page=0, per_page=5, include_totals=True).response.total) == total


# ---------------------------------------------------------------- error cases


def test_404_inexistent_client(mgmt):
    body = expect_api_error(404, mgmt.clients.get, "doesNotExist0000000000000000000x")
    assert_auth0_error(body, 404, "Not Found", "inexistent_client", "The client does not exist")


def test_409_duplicate_grant(mgmt, state):
    body = expect_api_error(
        409, mgmt.client_grants.create, client_id=state["app"][0], audience=API_ID, scope=["read:things"]
    )
    assert_auth0_error(body, 409, "Conflict", None, None)
    assert body["message"], body
    # still exactly one grant for that pair
    assert len(list(mgmt.client_grants.list(client_id=state["app"][0], audience=API_ID))) == 1


def test_409_duplicate_resource_server(mgmt):
    body = expect_api_error(409, mgmt.resource_servers.create, identifier=API_ID, name="Again")
    assert_auth0_error(body, 409, "Conflict", None, None)


def test_400_invalid_body(mgmt):
    body = expect_api_error(
        400, mgmt.client_grants.create, client_id=BOOT_ID, audience=API_ID, scope=["read:things"],
        request_options={"additional_body_parameters": {"not_a_field": 1}},
    )
    assert_auth0_error(body, 400, "Bad Request", "invalid_body", None)
    assert body["message"].startswith("Payload validation error"), body


def test_403_insufficient_scope(mgmt):
    limited = mgmt.clients.create(name="conformance-read-only", app_type="non_interactive", grant_types=["client_credentials"])
    mgmt.client_grants.create(client_id=limited.client_id, audience=MGMT_AUD, scope=["read:clients"])
    t = get_token(limited.client_id, limited.client_secret, MGMT_AUD)
    assert t["scope"] == "read:clients"
    assert verify(t["access_token"], MGMT_AUD)["scope"] == "read:clients"

    ro = ManagementClient(domain=DOMAIN, token=t["access_token"])
    # allowed
    assert any(c.client_id == limited.client_id for c in ro.clients.list(per_page=100))
    # not allowed
    body = expect_api_error(403, lambda: list(ro.client_grants.list()))
    assert_auth0_error(body, 403, "Forbidden", "insufficient_scope", "Insufficient scope, expected any of: read:client_grants")
    body = expect_api_error(403, ro.clients.create, name="nope", app_type="non_interactive")
    assert_auth0_error(body, 403, "Forbidden", "insufficient_scope", "Insufficient scope, expected any of: create:clients")
    # nothing was created
    assert not [c for c in mgmt.clients.list(per_page=100) if c.name == "nope"]


def test_401_tampered_token():
    t = get_token(BOOT_ID, BOOT_SECRET, MGMT_AUD)["access_token"]
    bad = tamper(t)
    with pytest.raises(jwt.InvalidSignatureError):
        verify(bad, MGMT_AUD)
    body = expect_api_error(401, ManagementClient(domain=DOMAIN, token=bad).clients.get, BOOT_ID)
    assert_auth0_error(body, 401, "Unauthorized", None, None)
    assert "token" in body["message"].lower(), body
    # the untampered token still works
    assert ManagementClient(domain=DOMAIN, token=t).clients.get(BOOT_ID).client_id == BOOT_ID


def test_401_token_for_another_audience(state):
    cid, secret = state["app"]
    api_token = get_token(cid, secret, API_ID)["access_token"]
    body = expect_api_error(401, ManagementClient(domain=DOMAIN, token=api_token).clients.get, BOOT_ID)
    assert_auth0_error(body, 401, "Unauthorized", None, None)


def test_401_unsigned_token():
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": f"{BOOT_ID}@clients", "aud": MGMT_AUD, "iat": now, "exp": now + 600,
              "scope": "read:clients", "gty": "client-credentials", "azp": BOOT_ID}
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    none_token = enc({"alg": "none", "typ": "JWT"}) + "." + enc(claims) + "."
    body = expect_api_error(401, ManagementClient(domain=DOMAIN, token=none_token).clients.get, BOOT_ID)
    assert_auth0_error(body, 401, "Unauthorized", None, None)
