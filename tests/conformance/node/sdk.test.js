// Conformance session, Node side: Auth0's Node SDK (`auth0` 7.x) against `m2mctl emulator --tls`.
// Follows the flow of research/real-clients.md §3 on a fresh emulator and asserts every result.
// Environment: EMU_DOMAIN (127.0.0.1:PORT), EMU_CLIENT_ID / EMU_CLIENT_SECRET (bootstrap app),
// NODE_EXTRA_CA_CERTS (the emulator's certificate). Run by tests/conformance/run.sh.
"use strict";

const assert = require("node:assert/strict");
const { ManagementClient } = require("auth0");

const DOMAIN = required("EMU_DOMAIN");
const BOOT_ID = required("EMU_CLIENT_ID");
const BOOT_SECRET = required("EMU_CLIENT_SECRET");
const MGMT_AUD = `https://${DOMAIN}/api/v2/`;
const API_ID = "https://node-sdk.api.local/";
const N_CLIENTS = 45;
const N_EXTRA_GRANTS = 20;

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`missing environment variable ${name}`);
  return v;
}

let steps = 0;
function ok(msg) {
  steps += 1;
  console.log(`ok ${steps} - ${msg}`);
}

/** Awaits a call that must fail with HTTP `status`; returns the parsed error body. */
async function expectError(status, fn) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected HTTP ${status}, the call succeeded`);
  assert.equal(err.statusCode, status, `expected ${status}, got ${err.statusCode}: ${err.message}`);
  const body = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
  assert.equal(body.statusCode, status, JSON.stringify(body));
  return body;
}

/** POST /oauth/token the way the SDK's own TokenProvider does it (form body). */
async function token(clientId, clientSecret, audience) {
  const res = await fetch(`https://${DOMAIN}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, audience }),
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

async function main() {
  const mgmt = new ManagementClient({ domain: DOMAIN, clientId: BOOT_ID, clientSecret: BOOT_SECRET });

  // Fresh tenant: the bootstrap app + the global client.
  const first = await mgmt.clients.list({ per_page: 50 });
  assert.equal(first.response.total, 2, JSON.stringify(first.data.map((c) => c.name)));
  assert.ok(first.data.some((c) => c.client_id === BOOT_ID));
  assert.equal(first.data.filter((c) => c.global === true).length, 1);
  ok("ManagementClient with client credentials; fresh tenant has 2 clients (bootstrap + global)");

  // 45 clients, listed 20 per page.
  const created = [];
  for (let i = 0; i < N_CLIENTS; i++) {
    const c = await mgmt.clients.create({
      name: `node-bulk-${String(i).padStart(2, "0")}`,
      app_type: "non_interactive",
      grant_types: ["client_credentials"],
    });
    assert.ok(c.client_id && c.client_secret, JSON.stringify(c));
    assert.equal(c.app_type, "non_interactive");
    created.push(c.client_id);
  }
  assert.equal(new Set(created).size, N_CLIENTS);
  ok(`created ${N_CLIENTS} clients`);

  const total = N_CLIENTS + 2;
  const sizes = [];
  let page = await mgmt.clients.list({ per_page: 20 });
  for (;;) {
    sizes.push(page.data.length);
    assert.equal(page.response.total, total);
    if (!page.hasNextPage()) break;
    page = await page.getNextPage();
  }
  assert.deepEqual(sizes, [20, 20, 7]);
  const seen = [];
  for await (const c of await mgmt.clients.list({ per_page: 20 })) seen.push(c.client_id);
  assert.equal(seen.length, total);
  assert.equal(new Set(seen).size, total);
  assert.ok(created.every((id) => seen.includes(id)));
  ok(`clients.list({per_page:20}): pages ${JSON.stringify(sizes)}, for-await saw ${seen.length} distinct`);

  // No per_page: the SDK sends per_page=50 and stops on an empty page.
  const all = [];
  for await (const c of await mgmt.clients.list()) all.push(c.client_id);
  assert.equal(all.length, total);
  ok(`clients.list() default paging saw ${all.length}`);

  // API, M2M client, grant.
  const api = await mgmt.resourceServers.create({
    name: "Node SDK API",
    identifier: API_ID,
    scopes: [
      { value: "read:a", description: "Read A" },
      { value: "write:a", description: "Write A" },
    ],
  });
  assert.ok(api.id, "resource server id");
  assert.equal(api.identifier, API_ID);
  assert.deepEqual(api.scopes.map((s) => s.value), ["read:a", "write:a"]);
  assert.equal(api.token_lifetime, 86400, "default token_lifetime");
  assert.equal(api.signing_alg, "RS256");

  const app = await mgmt.clients.create({ name: "SDK M2M App", app_type: "non_interactive", grant_types: ["client_credentials"] });
  const grant = await mgmt.clientGrants.create({ client_id: app.client_id, audience: API_ID, scope: ["read:a"] });
  assert.ok(grant.id);
  assert.equal(grant.client_id, app.client_id);
  assert.equal(grant.audience, API_ID);
  assert.deepEqual(grant.scope, ["read:a"]);
  ok(`created resource server ${api.id}, client ${app.client_id}, grant ${grant.id}`);

  const t = await token(app.client_id, app.client_secret, API_ID);
  assert.equal(t.token_type, "Bearer");
  assert.equal(t.expires_in, 86400);
  assert.equal(t.scope, "read:a");
  const claims = JSON.parse(Buffer.from(t.access_token.split(".")[1], "base64url").toString());
  assert.equal(claims.sub, `${app.client_id}@clients`);
  assert.equal(claims.aud, API_ID);
  assert.equal(claims.iss, `https://${DOMAIN}/`);
  ok("the new app gets a token for the new API (scope read:a, 86400 s)");

  // Client grants, checkpoint pagination (take/from with `next`).
  for (const id of created.slice(0, N_EXTRA_GRANTS)) {
    await mgmt.clientGrants.create({ client_id: id, audience: API_ID, scope: ["read:a"] });
  }
  const grantTotal = N_EXTRA_GRANTS + 2; // + bootstrap grant + SDK M2M App grant
  const gsizes = [];
  const nexts = [];
  let gpage = await mgmt.clientGrants.list({ take: 10 });
  for (;;) {
    gsizes.push(gpage.data.length);
    nexts.push(gpage.response.next ?? null);
    if (!gpage.hasNextPage()) break;
    gpage = await gpage.getNextPage();
  }
  assert.deepEqual(gsizes, [10, 10, 2]);
  assert.ok(nexts[0] && nexts[1], "next on non-final pages");
  assert.ok(!nexts[2], "no next on the last page");
  const gseen = [];
  for await (const g of await mgmt.clientGrants.list({ take: 10 })) gseen.push(g.id);
  assert.equal(new Set(gseen).size, grantTotal);
  const byAud = [];
  for await (const g of await mgmt.clientGrants.list({ take: 10, audience: API_ID })) byAud.push(g);
  assert.equal(byAud.length, N_EXTRA_GRANTS + 1);
  ok(`clientGrants.list({take:10}): pages ${JSON.stringify(gsizes)}, ${gseen.length} distinct; audience filter ${byAud.length}`);

  // Get, patch, delete.
  const got = await mgmt.clients.get(app.client_id);
  assert.equal(got.name, "SDK M2M App");
  const patched = await mgmt.clients.update(app.client_id, { description: "patched by node", client_metadata: { team: "sdk" } });
  assert.equal(patched.description, "patched by node");
  assert.deepEqual(patched.client_metadata, { team: "sdk" });
  const g2 = await mgmt.clientGrants.update(grant.id, { scope: ["read:a", "write:a"] });
  assert.deepEqual(g2.scope, ["read:a", "write:a"]);
  const rs2 = await mgmt.resourceServers.update(api.id, { token_lifetime: 10800 });
  assert.equal(rs2.token_lifetime, 10800);
  const t2 = await token(app.client_id, app.client_secret, API_ID);
  assert.equal(t2.expires_in, 10800);
  assert.deepEqual(t2.scope.split(" ").sort(), ["read:a", "write:a"]);
  ok("get + patch client/grant/API; next token reflects them");

  await mgmt.clients.delete(app.client_id);
  const nf = await expectError(404, () => mgmt.clients.get(app.client_id));
  assert.equal(nf.errorCode, "inexistent_client");
  assert.equal(nf.error, "Not Found");
  const left = [];
  for await (const g of await mgmt.clientGrants.list({ client_id: app.client_id })) left.push(g);
  assert.equal(left.length, 0, "deleting a client deletes its grants");
  await mgmt.clients.delete(app.client_id); // idempotent
  ok("delete client: 204, then 404 inexistent_client, its grant gone, second delete 204");

  // Errors.
  const dup = await expectError(409, () => mgmt.clientGrants.create({ client_id: created[0], audience: API_ID, scope: ["read:a"] }));
  assert.equal(dup.error, "Conflict");
  ok(`duplicate grant: 409 ${JSON.stringify(dup)}`);

  const limited = await mgmt.clients.create({ name: "node-read-only", app_type: "non_interactive", grant_types: ["client_credentials"] });
  await mgmt.clientGrants.create({ client_id: limited.client_id, audience: MGMT_AUD, scope: ["read:clients"] });
  const ro = new ManagementClient({ domain: DOMAIN, clientId: limited.client_id, clientSecret: limited.client_secret });
  const roPage = await ro.clients.list({ per_page: 5 });
  assert.equal(roPage.data.length, 5);
  const fb = await expectError(403, () => ro.clientGrants.list());
  assert.equal(fb.errorCode, "insufficient_scope");
  assert.equal(fb.message, "Insufficient scope, expected any of: read:client_grants");
  ok(`token with only read:clients: list clients ok, list grants 403 ${JSON.stringify(fb)}`);

  const good = (await token(BOOT_ID, BOOT_SECRET, MGMT_AUD)).access_token;
  const [h, p, s] = good.split(".");
  const i = Math.floor(s.length / 2);
  const bad = `${h}.${p}.${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;
  const un = await expectError(401, () => new ManagementClient({ domain: DOMAIN, token: bad }).clients.get(BOOT_ID));
  assert.equal(un.error, "Unauthorized");
  const again = await new ManagementClient({ domain: DOMAIN, token: good }).clients.get(BOOT_ID);
  assert.equal(again.client_id, BOOT_ID);
  ok(`tampered signature: 401 ${JSON.stringify(un)}; the original token still works`);

  console.log(`node SDK conformance: ${steps} steps passed`);
}

main().catch((e) => {
  console.error("node SDK conformance FAILED:", e);
  process.exit(1);
});
