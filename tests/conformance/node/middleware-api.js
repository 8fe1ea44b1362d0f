// An API protected by Auth0's own middleware, express-oauth2-jwt-bearer, the way Auth0's quickstart
// writes it: `auth({ issuerBaseURL, audience })` finds the JWKS through the issuer's
// /.well-known/openid-configuration, then `requiredScopes(...)` per route.
// Environment: ISSUER_BASE_URL (https://127.0.0.1:PORT, the emulator), ORDERS and ORDERS_AT (API
// identifiers), NODE_EXTRA_CA_CERTS (the emulator's certificate). Listens on 127.0.0.1:0 and prints
// `listening http://127.0.0.1:PORT`. Started by middleware.test.js; it must not know any token.
"use strict";

const express = require("express");
const { auth, requiredScopes } = require("express-oauth2-jwt-bearer");

const issuerBaseURL = process.env.ISSUER_BASE_URL;
const orders = auth({ issuerBaseURL, audience: process.env.ORDERS });
// RFC 9068 profile, enforced: header `typ: at+jwt` and the claims iat, sub, client_id, jti required.
const ordersAt = auth({ issuerBaseURL, audience: process.env.ORDERS_AT, strict: true });

/** What the route saw of the verified token. */
const claims = (req, res) => {
  const { iss, sub, aud, azp, client_id: clientId, scope } = req.auth.payload;
  res.json({ iss, sub, aud, azp, client_id: clientId, scope, typ: req.auth.header.typ });
};

const app = express();
app.get("/orders", orders, requiredScopes("read:orders"), claims);
app.post("/orders", orders, requiredScopes("write:orders"), (req, res) => res.status(201).json({ created: true }));
app.get("/at/orders", ordersAt, requiredScopes("read:orders"), claims);
app.post("/at/orders", ordersAt, requiredScopes("write:orders"), (req, res) => res.status(201).json({ created: true }));

// The middleware's errors carry status, code and the WWW-Authenticate header; keep all three.
app.use((err, req, res, _next) => {
  res.status(err.status || 500);
  if (err.headers) res.set(err.headers);
  res.json({ error: err.code || "server_error", error_description: err.message });
});

const server = app.listen(0, "127.0.0.1", () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`);
});
