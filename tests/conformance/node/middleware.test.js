// Conformance session, Node side: Auth0's token-verifying middleware express-oauth2-jwt-bearer in
// front of an API declared in an m2mctl config, given tokens from `m2mctl token`.
// Starts middleware-api.js as its own process (issuerBaseURL = the emulator), calls it over loopback
// and asserts status, error code and WWW-Authenticate of every answer.
// Environment (set by ../middleware.sh): ISSUER_BASE_URL, ORDERS, ORDERS_AT, CLIENT_ID,
// ORDERS_TOKEN (orders, read:orders), AT_TOKEN (orders-at in the rfc9068_profile dialect),
// AT_JWT_TOKEN (orders-at, issued before the dialect switch), NODE_EXTRA_CA_CERTS.
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const path = require("node:path");
const readline = require("node:readline");

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`missing environment variable ${name}`);
  return v;
}
const ISSUER = `${required("ISSUER_BASE_URL")}/`;
const ORDERS = required("ORDERS");
const ORDERS_AT = required("ORDERS_AT");
const CLIENT_ID = required("CLIENT_ID");
const ORDERS_TOKEN = required("ORDERS_TOKEN");
const AT_TOKEN = required("AT_TOKEN");
const AT_JWT_TOKEN = required("AT_JWT_TOKEN");
const VERSION = require("express-oauth2-jwt-bearer/package.json").version;

let steps = 0;
function ok(msg) {
  steps += 1;
  console.log(`ok ${steps} - ${msg}`);
}

const b64json = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
const decode = (jwt) => {
  const [h, p] = jwt.split(".");
  return { header: b64json(h), payload: b64json(p) };
};

/** Starts the protected API; resolves with its base URL and the child process. */
function startApi() {
  const child = spawn(process.execPath, [path.join(__dirname, "middleware-api.js")], {
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`middleware-api.js did not listen within 30 s: ${stderr}`)), 30000);
    child.on("exit", (code) => reject(new Error(`middleware-api.js exited (${code}): ${stderr}`)));
    readline.createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (m) resolve({ base: m[1], child });
      else reject(new Error(`unexpected first line from middleware-api.js: ${line}`));
    });
  });
}

/** One call; returns status, WWW-Authenticate and the JSON body, and a description for messages. */
async function call(base, method, route, token) {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const res = await fetch(`${base}${route}`, { method, headers });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  const www = res.headers.get("www-authenticate");
  const seen = `${method} ${route}: got ${res.status}, WWW-Authenticate: ${www}, body: ${text}`;
  return { status: res.status, www, body, seen };
}

/** Asserts a refusal: status, the `error` code in body and header (none for a missing token). */
function refused(r, status, error, descriptionPart) {
  assert.equal(r.status, status, r.seen);
  assert.ok(r.www && r.www.startsWith('Bearer realm="api"'), r.seen);
  if (error) {
    assert.equal(r.body.error, error, r.seen);
    assert.ok(r.www.includes(`error="${error}"`), r.seen);
    assert.ok(r.body.error_description.includes(descriptionPart), `expected "${descriptionPart}"; ${r.seen}`);
  } else {
    assert.ok(!/\berror=/.test(r.www), `a request without a token gets no error code (RFC 6750 §3.1); ${r.seen}`);
  }
}

async function checks(base) {
  const t = decode(ORDERS_TOKEN);
  assert.equal(t.payload.aud, ORDERS, JSON.stringify(t.payload));
  assert.equal(t.payload.scope, "read:orders", JSON.stringify(t.payload));

  let r = await call(base, "GET", "/orders", ORDERS_TOKEN);
  assert.equal(r.status, 200, r.seen);
  assert.equal(r.body.iss, ISSUER, r.seen);
  assert.equal(r.body.sub, `${CLIENT_ID}@clients`, r.seen);
  assert.equal(r.body.azp, CLIENT_ID, r.seen);
  assert.equal(r.body.scope, "read:orders", r.seen);
  ok(`m2mctl token (read:orders) on GET /orders [read:orders]: 200, sub ${r.body.sub}`);

  r = await call(base, "POST", "/orders", ORDERS_TOKEN);
  refused(r, 403, "insufficient_scope", "Insufficient Scope");
  assert.ok(r.www.includes('scope="write:orders"'), r.seen);
  ok(`same token on POST /orders [write:orders]: 403, WWW-Authenticate: ${r.www}`);

  r = await call(base, "GET", "/orders", undefined);
  refused(r, 401, null);
  ok(`no token: 401, WWW-Authenticate: ${r.www}`);

  assert.equal(decode(AT_TOKEN).payload.aud, ORDERS_AT);
  r = await call(base, "GET", "/orders", AT_TOKEN);
  refused(r, 401, "invalid_token", "'aud'");
  ok(`token for ${ORDERS_AT} on GET /orders: 401 ${r.body.error} (${r.body.error_description})`);

  const [h, p, s] = ORDERS_TOKEN.split(".");
  const i = Math.floor(s.length / 2);
  const badSig = `${h}.${p}.${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;
  r = await call(base, "GET", "/orders", badSig);
  refused(r, 401, "invalid_token", "signature");
  ok(`one signature character changed: 401 ${r.body.error} (${r.body.error_description})`);

  const wider = Buffer.from(JSON.stringify({ ...t.payload, scope: "read:orders write:orders" })).toString("base64url");
  r = await call(base, "POST", "/orders", `${h}.${wider}.${s}`);
  refused(r, 401, "invalid_token", "signature");
  ok(`payload edited to add write:orders, POST /orders: 401 ${r.body.error} (${r.body.error_description})`);

  r = await call(base, "GET", "/orders", ORDERS_TOKEN);
  assert.equal(r.status, 200, r.seen);
  ok("the untouched token is still accepted after the refusals");

  r = await call(base, "GET", "/at/orders", AT_TOKEN);
  assert.equal(r.status, 200, r.seen);
  assert.equal(r.body.typ, "at+jwt", r.seen);
  assert.equal(r.body.client_id, CLIENT_ID, r.seen);
  assert.equal(r.body.azp, undefined, r.seen);
  assert.equal(r.body.scope, "read:orders", r.seen);
  ok(`rfc9068_profile token on GET /at/orders (strict: true): 200, typ ${r.body.typ}, client_id ${r.body.client_id}`);

  r = await call(base, "POST", "/at/orders", AT_TOKEN);
  refused(r, 403, "insufficient_scope", "Insufficient Scope");
  ok(`same token on POST /at/orders [write:orders]: 403 ${r.body.error}`);

  const old = decode(AT_JWT_TOKEN);
  assert.equal(old.payload.aud, ORDERS_AT, JSON.stringify(old.payload));
  assert.notEqual(old.header.typ, "at+jwt", JSON.stringify(old.header));
  r = await call(base, "GET", "/at/orders", AT_JWT_TOKEN);
  refused(r, 401, "invalid_token", "'typ'");
  ok(`access_token-dialect token (typ ${old.header.typ}) on the strict API: 401 (${r.body.error_description})`);
}

async function main() {
  const { base, child } = await startApi();
  try {
    await checks(base);
  } finally {
    child.removeAllListeners("exit");
    child.kill();
  }
  console.log(`node middleware conformance (express-oauth2-jwt-bearer ${VERSION}): ${steps} checks passed`);
}

main().catch((e) => {
  console.error("node middleware conformance FAILED:", e.message || e);
  process.exit(1);
});
