//! The signing-key routes (`/api/v2/keys/signing*`) and the JWKS through a rotation, over real
//! HTTP against a fresh emulator: every answer validates against Auth0's OpenAPI schema, and a
//! token stays verifiable by m2mctl's own `token --verify` check (the JWKS key named by its
//! `kid`) until its key is revoked.

use jsonwebtoken::jwk::JwkSet;
use m2mctl::emulator::{self, Emulator, EmulatorConfig};
use m2mctl::token::verify::{Signer, check_signature};
use reqwest::Method;
use serde_json::Value;

use super::openapi::Schemas;

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn call(&self, method: Method, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn jwks(&self) -> JwkSet {
        let r = self
            .http
            .get(format!("{}/.well-known/jwks.json", self.base))
            .send()
            .await
            .expect("jwks");
        r.json().await.expect("jwks json")
    }

    async fn token(&self, e: &Emulator) -> String {
        super::session::management_token(&self.http, e).await
    }
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .ok()
        .and_then(|h| h.kid)
        .expect("kid")
}

fn kids(jwks: &JwkSet) -> Vec<String> {
    jwks.keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_keys_rotate_and_revoke_in_auth0_shapes_and_tokens_keep_verifying() {
    let e = emulator::spawn(EmulatorConfig::local("127.0.0.1:0".parse().expect("addr")))
        .await
        .expect("emulator starts");
    let c = Client {
        http: reqwest::Client::new(),
        base: e.base_url().to_string(),
    };
    let mut schemas = Schemas::load();
    let mut valid = |route: &str, status: u16, body: &Value| {
        let errors = schemas
            .check(route, status, body)
            .expect("the document has a schema");
        assert!(errors.is_empty(), "{route} {status}: {errors:?}\n{body}");
    };

    let first = c.token(&e).await;
    let (status, keys) = c.call(Method::GET, "/api/v2/keys/signing", &first).await;
    assert_eq!(status, 200, "{keys}");
    valid("GET /api/v2/keys/signing", 200, &keys);
    let role = |keys: &Value, role: &str| -> Vec<String> {
        keys.as_array()
            .expect("array")
            .iter()
            .filter(|k| k[role] == true)
            .filter_map(|k| k["kid"].as_str().map(str::to_string))
            .collect()
    };
    let (current, next) = (role(&keys, "current"), role(&keys, "next"));
    assert_eq!((current.len(), next.len()), (1, 1), "{keys}");
    assert_eq!(
        current[0],
        kid(&first),
        "tokens are signed by the current key"
    );
    assert_eq!(
        kids(&c.jwks().await),
        [current[0].clone(), next[0].clone()],
        "the JWKS publishes the next key"
    );
    assert!(
        !keys.to_string().contains("PRIVATE KEY"),
        "no private key is ever answered"
    );
    let one = format!("/api/v2/keys/signing/{}", next[0]);
    let (status, body) = c.call(Method::GET, &one, &first).await;
    assert_eq!(
        (status, body["next"].clone()),
        (200, Value::Bool(true)),
        "{body}"
    );
    valid("GET /api/v2/keys/signing/{kid}", 200, &body);
    assert_eq!(
        c.call(Method::GET, "/api/v2/keys/signing/nope", &first)
            .await
            .0,
        404
    );

    let (status, rotated) = c
        .call(Method::POST, "/api/v2/keys/signing/rotate", &first)
        .await;
    assert_eq!(status, 201, "{rotated}");
    valid("POST /api/v2/keys/signing/rotate", 201, &rotated);
    assert_eq!(
        rotated["kid"],
        next[0].as_str(),
        "the next key became current"
    );
    let second = c.token(&e).await;
    assert_eq!(kid(&second), next[0]);
    let jwks = c.jwks().await;
    assert_eq!(jwks.keys.len(), 3, "current, new next, previous");
    for token in [&first, &second] {
        assert_eq!(
            check_signature(token, Signer::Jwks(&jwks)),
            None,
            "m2mctl's --verify check"
        );
    }
    let (status, _) = c.call(Method::GET, "/api/v2/clients", &first).await;
    assert_eq!(
        status, 200,
        "a token of the previous key is accepted until revoked"
    );

    let (_, keys) = c.call(Method::GET, "/api/v2/keys/signing", &second).await;
    valid("GET /api/v2/keys/signing", 200, &keys);
    assert_eq!(role(&keys, "previous"), current);
    let revoke = |kid: &str| format!("/api/v2/keys/signing/{kid}/revoke");
    let (status, body) = c.call(Method::PUT, &revoke(&next[0]), &second).await;
    assert_eq!(status, 400, "the current key cannot be revoked: {body}");
    let (status, body) = c.call(Method::PUT, &revoke(&current[0]), &second).await;
    assert_eq!(status, 200, "{body}");
    valid("PUT /api/v2/keys/signing/{kid}/revoke", 200, &body);
    let jwks = c.jwks().await;
    assert!(
        !kids(&jwks).contains(&current[0]),
        "a revoked key leaves the JWKS"
    );
    assert!(
        check_signature(&first, Signer::Jwks(&jwks)).is_some(),
        "its tokens no longer verify"
    );
    assert_eq!(check_signature(&second, Signer::Jwks(&jwks)), None);
    let (status, _) = c.call(Method::GET, "/api/v2/clients", &first).await;
    assert_eq!(status, 401, "nor does the Management API take them");
}
