//! Router-level tests of the fidelity fixes found by the replay test (issue 12 item 2): public
//! clients refused client credentials, third-party clients refused Management API grants, `q` and
//! `external_client_id` on `GET /clients`, `per_page=0` where Auth0's document refuses it, SPA,
//! native and third-party client defaults, and clients' `signing_keys` (the JWKS certificate).

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

#[tokio::test]
async fn public_and_third_party_clients_get_auth0s_defaults() {
    let t = setup();
    let web = [
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
    ];
    let public = ["authorization_code", "implicit", "refresh_token"];
    // (sent, token_endpoint_auth_method, grant_types, oidc_conformant, third_party_security_mode,
    //  refresh_token (rotation_type, expiration_type)); [TF] TestAccClientSkipPrompt,
    // TestAccClientMobile, TestAccDataClients, TestAccClient_ThirdPartySecurityMode
    let cases = [
        (
            json!({"name": "m2m", "app_type": "non_interactive"}),
            Value::Null,
            json!(web),
            false,
            Value::Null,
            ("non-rotating", "non-expiring"),
        ),
        (
            json!({"name": "spa", "app_type": "spa"}),
            json!("none"),
            json!(public),
            false,
            Value::Null,
            ("non-rotating", "non-expiring"),
        ),
        (
            json!({"name": "native", "app_type": "native", "token_endpoint_auth_method": "none"}),
            json!("none"),
            json!(public),
            false,
            Value::Null,
            ("non-rotating", "non-expiring"),
        ),
        (
            json!({"name": "none", "token_endpoint_auth_method": "none"}),
            json!("none"),
            json!(public),
            false,
            Value::Null,
            ("non-rotating", "non-expiring"),
        ),
        (
            json!({"name": "spa+grants", "app_type": "spa", "grant_types": ["authorization_code"]}),
            json!("none"),
            json!(["authorization_code"]),
            false,
            Value::Null,
            ("non-rotating", "non-expiring"),
        ),
        (
            json!({"name": "post spa", "app_type": "spa", "token_endpoint_auth_method": "client_secret_post"}),
            json!("client_secret_post"),
            json!(web),
            false,
            Value::Null,
            ("non-rotating", "non-expiring"),
        ),
        (
            json!({"name": "3p spa", "app_type": "spa", "is_first_party": false, "token_endpoint_auth_method": "none"}),
            json!("none"),
            json!(public),
            true,
            json!("permissive"),
            ("rotating", "expiring"),
        ),
        (
            json!({"name": "3p web", "app_type": "regular_web", "is_first_party": false, "third_party_security_mode": "strict"}),
            Value::Null,
            json!(web),
            true,
            json!("strict"),
            ("non-rotating", "expiring"),
        ),
    ];
    for (body, method, grants, oidc, mode, (rotation, expiration)) in cases {
        let name = body["name"].clone();
        let r = t.send(Method::POST, "/api/v2/clients", body).await;
        assert_eq!(r.status, 201, "{name}: {}", r.body);
        let c = &r.body;
        let got = (
            c.get("token_endpoint_auth_method")
                .cloned()
                .unwrap_or(Value::Null),
            c["grant_types"].clone(),
            c["oidc_conformant"].as_bool(),
            c.get("third_party_security_mode")
                .cloned()
                .unwrap_or(Value::Null),
            c["refresh_token"]["rotation_type"].as_str(),
            c["refresh_token"]["expiration_type"].as_str(),
        );
        let want = (
            method,
            grants,
            Some(oidc),
            mode,
            Some(rotation),
            Some(expiration),
        );
        assert_eq!(got, want, "{name}");
    }
}

#[tokio::test]
async fn clients_carry_the_signing_keys_certificate_of_the_jwks() {
    let t = setup();
    let r = t
        .send(Method::POST, "/api/v2/clients", json!({"name": "a"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["client_id"].as_str().expect("id").to_string();
    let keys = &r.body["signing_keys"];
    assert_eq!(keys.as_array().map(Vec::len), Some(1), "{keys}");
    let cert = keys[0]["cert"].as_str().expect("cert");
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----\n"), "{cert}");
    assert!(
        keys[0]["pkcs7"]
            .as_str()
            .is_some_and(|p| p.starts_with("-----BEGIN PKCS7-----\n"))
    );
    assert_eq!(keys[0]["subject"], "deprecated");
    assert!(keys[0].get("key").is_none(), "never the private key");
    // The same certificate as the JWKS `x5c`.
    let jwks = t.get("/.well-known/jwks.json").await.body;
    let x5c = jwks["keys"][0]["x5c"][0].as_str().expect("x5c");
    let body: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(body, x5c);
    assert!(
        jwks["keys"][0]["x5t"]
            .as_str()
            .is_some_and(|s| s.len() == 27)
    );
    // The bootstrap and global clients have it too; a token without read:client_keys does not
    // see it.
    let all = t.get("/api/v2/clients").await.body;
    assert!(
        all.as_array()
            .expect("list")
            .iter()
            .all(|c| c["signing_keys"] == *keys)
    );
    let narrow = super::router_tests::mint(&t.app, "read:clients", 60);
    let r = t
        .req(
            Method::GET,
            &format!("/api/v2/clients/{id}"),
            Some(&narrow),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("signing_keys").is_none(), "{}", r.body);
}

#[tokio::test]
async fn settings_of_2025_are_accepted_and_null_clears_addons() {
    let t = setup();
    // (path of the create, body, key the answer must hold): found by the replay test
    // (terraform TestAccClientFedCMLogin, TestAccResourceServerOnlineAccess,
    // TestAccClientIdentityAssertionAuthorizationGrant).
    let cases = [
        (
            "/api/v2/clients",
            json!({"name": "fedcm", "fedcm_login": {"google": {"is_enabled": true}}}),
            "fedcm_login",
        ),
        (
            "/api/v2/clients",
            json!({"name": "jag", "identity_assertion_authorization_grant": {"active": true}}),
            "identity_assertion_authorization_grant",
        ),
        (
            "/api/v2/resource-servers",
            json!({"identifier": "https://online.example/", "allow_online_access": true,
                   "allow_online_access_with_ephemeral_sessions": true}),
            "allow_online_access",
        ),
    ];
    for (path, body, key) in cases {
        let r = t.send(Method::POST, path, body).await;
        assert_eq!(r.status, 201, "{key}: {}", r.body);
        assert!(r.body.get(key).is_some(), "{key} kept: {}", r.body);
    }
    let (id, _) = client(&t, json!({"name": "sso", "addons": {"samlp": {}}})).await;
    let path = format!("/api/v2/clients/{id}");
    let r = t.send(Method::PATCH, &path, json!({"addons": null})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.get("addons").is_none(),
        "null clears addons: {}",
        r.body
    );
    let vault = json!({"token_vault_privileged_access": {"ip_allowlist": ["10.0.0.1"]}});
    let r = t.send(Method::PATCH, &path, vault).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["token_vault_privileged_access"]["ip_allowlist"][0],
        "10.0.0.1"
    );
    let r = t.send(Method::PATCH, &path, json!({"addons": 3})).await;
    assert_eq!(r.status, 400, "still an object or null: {}", r.body);
}
