//! Router-level tests of `/api/v2/clients`.

use axum::http::Method;
use serde_json::{Value, json};

use super::router_tests::{mint, setup};

#[tokio::test]
async fn client_create_defaults_get_patch_rotate_delete() {
    let t = setup();
    let r = t
        .send(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "worker", "app_type": "non_interactive",
        "client_metadata": {"team": "a", "keep": "1"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let c = r.body;
    let id = c["client_id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(c["client_secret"].as_str().map(str::len), Some(64));
    for (k, v) in [
        ("is_first_party", json!(true)),
        ("oidc_conformant", json!(false)),
        ("global", json!(false)),
        (
            "jwt_configuration",
            json!({"secret_encoded": false, "lifetime_in_seconds": 36000}),
        ),
        (
            "grant_types",
            json!([
                "authorization_code",
                "implicit",
                "refresh_token",
                "client_credentials"
            ]),
        ),
        ("sso_disabled", json!(false)),
        ("custom_login_page_on", json!(true)),
        ("tenant", json!("local")),
    ] {
        assert_eq!(c[k], v, "{k}");
    }
    assert!(c.get("token_endpoint_auth_method").is_none());
    let r = t
        .get(&format!(
            "/api/v2/clients/{id}?fields=client_id,name&include_fields=true"
        ))
        .await;
    assert_eq!(r.body, json!({"name": "worker", "client_id": id}));
    let r = t
        .get(&format!(
            "/api/v2/clients/{id}?fields=client_secret&include_fields=false"
        ))
        .await;
    assert!(r.body.get("client_secret").is_none() && r.body.get("name").is_some());

    let r = t.send(Method::PATCH, &format!("/api/v2/clients/{id}"),
        json!({"client_metadata": {"team": null, "new": "x"}, "description": "d", "token_endpoint_auth_method": "client_secret_post"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["client_metadata"], json!({"keep": "1", "new": "x"}));
    assert_eq!(r.body["description"], "d");
    assert_eq!(r.body["name"], "worker");
    let r = t
        .send(
            Method::PATCH,
            &format!("/api/v2/clients/{id}"),
            json!({"description": null}),
        )
        .await;
    assert!(r.body.get("description").is_none());

    let old = c["client_secret"].clone();
    let r = t
        .req(
            Method::POST,
            &format!("/api/v2/clients/{id}/rotate-secret"),
            Some(&t.token.clone()),
            Some(Value::Null),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_ne!(r.body["client_secret"], old);

    let r = t
        .req(
            Method::DELETE,
            &format!("/api/v2/clients/{id}"),
            Some(&t.token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(r.body, Value::Null);
    let r = t
        .req(
            Method::DELETE,
            &format!("/api/v2/clients/{id}"),
            Some(&t.token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "delete is idempotent");
    let r = t.get(&format!("/api/v2/clients/{id}")).await;
    assert_eq!(
        r.body,
        json!({"statusCode": 404, "error": "Not Found", "message": "The client does not exist", "errorCode": "inexistent_client"})
    );
    let r = t
        .req(
            Method::POST,
            &format!("/api/v2/clients/{id}/rotate-secret"),
            Some(&t.token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn client_validation_errors() {
    let t = setup();
    let cases = [
        (
            Method::POST,
            "/api/v2/clients",
            json!({"app_type": "spa"}),
            "Payload validation error: 'Missing required property: name'.",
        ),
        (
            Method::POST,
            "/api/v2/clients",
            json!({"name": "a", "bogus": 1}),
            "Payload validation error: 'Additional properties not allowed: bogus'.",
        ),
        (
            Method::POST,
            "/api/v2/clients",
            json!({"name": "<a>"}),
            "Payload validation error: 'String does not match pattern: ^[^<>]+$' on property name.",
        ),
        (
            Method::POST,
            "/api/v2/clients",
            json!({"name": "a", "description": "x".repeat(141)}),
            "Payload validation error: 'String is too long (141 chars), maximum 140' on property description.",
        ),
        (
            Method::POST,
            "/api/v2/clients",
            json!({"name": "a", "grant_types": ["implicit", "client_credentials", "client_credentials"]}),
            "Payload validation error: 'Array items are not unique (indexes 1 and 2)' on property grant_types.",
        ),
        (
            Method::POST,
            "/api/v2/clients",
            json!({"name": "a", "client_secret": "x"}),
            "Payload validation error: 'Additional properties not allowed: client_secret'.",
        ),
        (
            Method::PATCH,
            "/api/v2/clients/boot",
            json!({"client_id": "x"}),
            "Payload validation error: 'Additional properties not allowed: client_id'.",
        ),
        (
            Method::PATCH,
            "/api/v2/clients/boot",
            json!({"client_metadata": {"a": 1}}),
            "Payload validation error: 'Expected type string but found type integer (key a)' on property client_metadata.",
        ),
    ];
    for (method, uri, body, message) in cases {
        let r = t.send(method, uri, body.clone()).await;
        assert_eq!(
            (
                r.status.as_u16(),
                r.body["message"].as_str(),
                r.body["errorCode"].as_str()
            ),
            (400, Some(message), Some("invalid_body")),
            "{body}"
        );
    }
    let many: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("k{i}"), json!("v"))).collect();
    let r = t
        .send(
            Method::PATCH,
            "/api/v2/clients/boot",
            json!({"client_metadata": many}),
        )
        .await;
    assert_eq!(r.status, 400);
    let global = t
        .app
        .read()
        .clients
        .find(|c| c.bool("global") == Some(true))
        .and_then(|c| c.str("client_id").map(str::to_string))
        .expect("global");
    let r = t
        .req(
            Method::DELETE,
            &format!("/api/v2/clients/{global}"),
            Some(&t.token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn client_lists_pages_filters_and_visibility() {
    let t = setup();
    for i in 0..7 {
        let app_type = if i % 2 == 0 { "non_interactive" } else { "spa" };
        let r = t
            .send(
                Method::POST,
                "/api/v2/clients",
                json!({"name": format!("c{i}"), "app_type": app_type, "is_first_party": i != 3}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    // 9 clients: boot, c0..c6, global (Auth0 lists the global client last)
    let r = t.get("/api/v2/clients").await;
    assert_eq!(
        r.body.as_array().map(Vec::len),
        Some(9),
        "bare array without include_totals"
    );
    let r = t
        .get("/api/v2/clients?page=1&per_page=4&include_totals=true")
        .await;
    assert_eq!(
        (
            r.body["total"].clone(),
            r.body["start"].clone(),
            r.body["limit"].clone()
        ),
        (json!(9), json!(4), json!(4))
    );
    let names: Vec<&str> = r.body["clients"]
        .as_array()
        .expect("a")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["c3", "c4", "c5", "c6"]);
    let r = t
        .get("/api/v2/clients?page=9&per_page=4&include_totals=true")
        .await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.body["clients"].clone(),
            r.body["total"].clone()
        ),
        (200, json!([]), json!(9))
    );
    let r = t
        .get("/api/v2/clients?app_type=spa,non_interactive&include_totals=true&per_page=2")
        .await;
    assert_eq!(
        r.body["total"], 8,
        "totals after filters (boot is non_interactive, global has no app_type)"
    );
    let r = t
        .get("/api/v2/clients?app_type=spa&include_totals=true")
        .await;
    assert_eq!(r.body["total"], 3);
    let r = t
        .get("/api/v2/clients?is_global=false&include_totals=true")
        .await;
    assert_eq!(r.body["total"], 8);
    let r = t.get("/api/v2/clients?is_global=true").await;
    assert_eq!(r.body[0]["global"], true);
    let r = t
        .get("/api/v2/clients?is_first_party=false&include_totals=true")
        .await;
    assert_eq!(r.body["clients"][0]["name"], "c3");
    // checkpoint: take/from with next, include_totals ignored
    let mut seen = Vec::new();
    let mut from = String::new();
    loop {
        let r = t
            .get(&format!(
                "/api/v2/clients?take=4&include_totals=true&from={from}"
            ))
            .await;
        assert!(r.body.get("total").is_none());
        seen.extend(
            r.body["clients"]
                .as_array()
                .expect("a")
                .iter()
                .map(|c| c["client_id"].clone()),
        );
        match r.body["next"].as_str() {
            Some(next) => from = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9);
    // bad query strings
    for q in [
        "per_page=101",
        "page=-1",
        "include_totals=yes",
        "bogus=1",
        "app_type=tv",
        "from=zzz",
    ] {
        let r = t.get(&format!("/api/v2/clients?{q}")).await;
        assert_eq!(
            (r.status.as_u16(), r.body["errorCode"].as_str()),
            (400, Some("invalid_query_string")),
            "{q}"
        );
    }
    // secrets only with read:client_keys
    let plain = mint(&t.app, "read:clients", 60);
    let r = t
        .req(Method::GET, "/api/v2/clients/boot", Some(&plain), None)
        .await;
    assert!(r.body.get("client_secret").is_none() && r.body.get("grant_types").is_some());
    let keys = mint(&t.app, "read:client_keys", 60);
    let r = t
        .req(Method::GET, "/api/v2/clients/boot", Some(&keys), None)
        .await;
    assert_eq!(r.body["client_secret"], "secret");
    // asking for a key field by name without the scope for it is a 403, as on Auth0
    let forbidden = json!({"statusCode": 403, "error": "Forbidden",
        "message": "Some fields cannot be read with the permissions granted",
        "errorCode": "insufficient_scope"});
    for path in [
        "/api/v2/clients/boot?fields=client_secret",
        "/api/v2/clients/boot?fields=name,client_secret&include_fields=true",
        "/api/v2/clients?fields=client_id,signing_keys",
    ] {
        let r = t.req(Method::GET, path, Some(&plain), None).await;
        assert_eq!((r.status.as_u16(), &r.body), (403, &forbidden), "{path}");
        let r = t.req(Method::GET, path, Some(&keys), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    let r = t
        .req(
            Method::GET,
            "/api/v2/clients/boot?fields=client_secret&include_fields=false",
            Some(&plain),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "excluding a key field is fine: {}", r.body);
    let r = t
        .req(
            Method::GET,
            "/api/v2/clients/boot?fields=client_secret,name",
            Some(&keys),
            None,
        )
        .await;
    assert_eq!(r.body["client_secret"], "secret");
    let summary = mint(&t.app, "read:client_summary", 60);
    let r = t
        .req(
            Method::GET,
            "/api/v2/clients?per_page=1&page=1",
            Some(&summary),
            None,
        )
        .await;
    let keys: Vec<&String> = r.body[0].as_object().expect("o").keys().collect();
    assert_eq!(keys, ["name", "client_id", "app_type"]);
}
