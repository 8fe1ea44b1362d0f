//! Router-level tests of the fidelity fixes found by the replay test (issue 12 item 2): public
//! clients refused client credentials, third-party clients refused Management API grants, `q` and
//! `external_client_id` on `GET /clients`, and `per_page=0` where Auth0's document refuses it.

use axum::http::Method;
use serde_json::{Value, json};

use super::router_tests::{API, setup, urlenc};

/// Creates a client with `body` plus a Management API grant when allowed; returns (id, secret).
async fn client(t: &super::router_tests::T, body: Value) -> (String, String) {
    let r = t.send(Method::POST, "/api/v2/clients", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["client_id"].as_str().expect("id").to_string();
    let secret = r.body["client_secret"]
        .as_str()
        .expect("secret")
        .to_string();
    (id, secret)
}

#[tokio::test]
async fn public_clients_get_no_client_credentials_token() {
    let t = setup();
    let cases = [
        (
            json!({"name": "m2m", "app_type": "non_interactive", "grant_types": ["client_credentials"]}),
            200,
        ),
        (
            json!({"name": "none", "token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]}),
            403,
        ),
        (
            json!({"name": "spa", "app_type": "spa", "grant_types": ["client_credentials"]}),
            403,
        ),
        (
            json!({"name": "native", "app_type": "native", "grant_types": ["client_credentials"]}),
            403,
        ),
    ];
    for (body, want) in cases {
        let name = body["name"].clone();
        let (id, secret) = client(&t, body).await;
        let grant = json!({"client_id": id, "audience": API, "scope": ["read:clients"]});
        let g = t.send(Method::POST, "/api/v2/client-grants", grant).await;
        assert_eq!(g.status, 201, "{}", g.body);
        let form = format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}&audience={}",
            urlenc(API)
        );
        let r = t.form_token(&form, None).await;
        assert_eq!(r.status.as_u16(), want, "{name}: {}", r.body);
        if want == 403 {
            assert_eq!(r.body["error"], "unauthorized_client", "{name}");
        }
    }
}

#[tokio::test]
async fn third_party_clients_get_no_management_api_grant() {
    let t = setup();
    let (id, _) = client(&t, json!({"name": "partner", "is_first_party": false})).await;
    let r = t
        .send(
            Method::POST,
            "/api/v2/client-grants",
            json!({"client_id": id, "audience": API, "scope": ["read:clients"]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "Client grants for this API cannot be created for third-party clients"
    );
    let api = json!({"identifier": "https://partner.example/", "name": "partner"});
    assert_eq!(
        t.send(Method::POST, "/api/v2/resource-servers", api)
            .await
            .status,
        201
    );
    let r = t
        .send(
            Method::POST,
            "/api/v2/client-grants",
            json!({"client_id": id, "audience": "https://partner.example/", "scope": []}),
        )
        .await;
    assert_eq!(r.status, 201, "other APIs stay grantable: {}", r.body);
}

#[tokio::test]
async fn clients_can_be_searched_by_q_and_external_client_id() {
    let t = setup();
    let (a, _) = client(&t, json!({"name": "a"})).await;
    // Only CIMD registration sets it (not modelled): put it in place directly.
    if let Some(c) = t.app.write().clients.get_mut(&a) {
        c.obj.insert("external_client_id".into(), "ext-1".into());
    }
    let (b, _) = client(&t, json!({"name": "b"})).await;
    let r = t
        .send(
            Method::POST,
            "/api/v2/client-grants",
            json!({"client_id": b, "audience": API, "scope": [], "organization_usage": "allow", "allow_any_organization": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let ids = |v: &Value| -> Vec<String> {
        let list = v.get("clients").unwrap_or(v);
        list.as_array()
            .expect("list")
            .iter()
            .map(|c| c["client_id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let r = t.get("/api/v2/clients?external_client_id=ext-1").await;
    assert_eq!((r.status.as_u16(), ids(&r.body)), (200, vec![a]));
    let q = urlenc("client_grant.allow_any_organization:true");
    let r = t.get(&format!("/api/v2/clients?q={q}&take=50")).await;
    assert_eq!((r.status.as_u16(), ids(&r.body)), (200, vec![b]));
    let q = urlenc("client_grant.organization_id:org_none");
    let r = t.get(&format!("/api/v2/clients?q={q}&take=50")).await;
    assert_eq!(
        (r.status.as_u16(), ids(&r.body)),
        (200, Vec::<String>::new())
    );
    let r = t
        .get(&format!("/api/v2/clients?q={}", urlenc("name:a")))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
}

#[tokio::test]
async fn per_page_zero_is_refused_where_auth0_refuses_it() {
    let t = setup();
    for (path, want) in [
        ("/api/v2/clients?per_page=0", 200),
        ("/api/v2/client-grants?per_page=0", 400),
        ("/api/v2/resource-servers?per_page=0", 400),
    ] {
        let r = t.get(path).await;
        assert_eq!(r.status.as_u16(), want, "{path}: {}", r.body);
    }
    let r = t.get("/api/v2/client-grants?per_page=0").await;
    assert_eq!(
        r.body["message"],
        "Query validation error: 'Value 0 is less than minimum 1' on property per_page."
    );
}
