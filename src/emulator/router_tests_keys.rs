//! Router-level tests of `/api/v2/keys/signing*`: who may do what (scopes), what cannot be
//! revoked, and that clients' `signing_keys` follow the current key. The rotation itself, its
//! JWKS and its OpenAPI shapes are tested over real HTTP in `tests/replay/keys.rs`.

use axum::http::Method;
use serde_json::{Value, json};

use super::router_tests::{mint, setup};

#[tokio::test]
async fn signing_key_routes_want_their_scopes() {
    let t = setup();
    let kid = t.app.read().key.kid.clone();
    let (read, create, update) = (
        "read:signing_keys",
        "create:signing_keys",
        "update:signing_keys",
    );
    let one = format!("/api/v2/keys/signing/{kid}");
    let revoke = format!("/api/v2/keys/signing/{kid}/revoke");
    // (method, path, scopes of the token, status): rotation needs both create and update.
    let cases: [(Method, &str, String, u16); 8] = [
        (
            Method::GET,
            "/api/v2/keys/signing",
            "read:clients".into(),
            403,
        ),
        (Method::GET, "/api/v2/keys/signing", read.into(), 200),
        (Method::GET, &one, "read:clients".into(), 403),
        (Method::GET, &one, read.into(), 200),
        (
            Method::POST,
            "/api/v2/keys/signing/rotate",
            create.into(),
            403,
        ),
        (
            Method::POST,
            "/api/v2/keys/signing/rotate",
            update.into(),
            403,
        ),
        (Method::PUT, &revoke, read.into(), 403),
        (Method::PUT, &revoke, update.into(), 400),
    ];
    for (n, (method, path, scopes, want)) in cases.into_iter().enumerate() {
        let token = mint(&t.app, &scopes, 60);
        let r = t.req(method.clone(), path, Some(&token), None).await;
        assert_eq!(
            r.status.as_u16(),
            want,
            "case {n}: {method} {path} [{scopes}]: {}",
            r.body
        );
        if want == 403 {
            assert_eq!(r.body["errorCode"], "insufficient_scope", "case {n}");
        }
    }
    assert_eq!(t.app.read().key.kid, kid, "nothing rotated");
}

#[tokio::test]
async fn a_rotation_gives_clients_the_new_certificate() {
    let t = setup();
    let made = t
        .send(Method::POST, "/api/v2/clients", json!({"name": "svc"}))
        .await;
    let id = made.body["client_id"].as_str().expect("id").to_string();
    let cert = |body: &Value| body["signing_keys"][0]["cert"].as_str().map(str::to_string);
    let before = cert(&made.body).expect("a created client carries the certificate");
    let scopes = "create:signing_keys update:signing_keys read:clients read:client_keys";
    let token = mint(&t.app, scopes, 60);
    let r = t
        .req(
            Method::POST,
            "/api/v2/keys/signing/rotate",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let now = t
        .req(
            Method::GET,
            &format!("/api/v2/clients/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(cert(&now.body).as_deref(), r.body["cert"].as_str());
    assert_ne!(cert(&now.body), Some(before));
    let unknown = t
        .req(
            Method::PUT,
            "/api/v2/keys/signing/nope/revoke",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(unknown.status.as_u16(), 404, "{}", unknown.body);
}
