//! Router-level tests of organizations and their client-grant associations (issue 12 item 3):
//! create/list/get/delete, names unique and well formed, associate/list/dissociate a grant with
//! Auth0's answers and errors, the reverse listing, and `q=client_grant.organization_id:`.

use axum::http::Method;
use serde_json::{Value, json};

use super::router_tests::{API, T, setup, urlenc};

async fn org(t: &T, name: &str) -> String {
    let r = t
        .send(
            Method::POST,
            "/api/v2/organizations",
            json!({"name": name, "display_name": "Test Organization", "branding": {"logo_url": "https://example.com/logo.gif"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

/// A client with a grant to the Management API carrying `extra` fields; (client id, grant id).
async fn granted(t: &T, extra: Value) -> (String, String) {
    let r = t
        .send(Method::POST, "/api/v2/clients", json!({"name": "m2m"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let client = r.body["client_id"].as_str().expect("id").to_string();
    let mut body = json!({"client_id": client, "audience": API, "scope": ["read:clients"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let g = t.send(Method::POST, "/api/v2/client-grants", body).await;
    assert_eq!(g.status, 201, "{}", g.body);
    (client, g.body["id"].as_str().expect("id").to_string())
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn organizations_are_created_listed_read_and_deleted_as_auth0_answers() {
    let t = setup();
    let r = t
        .send(
            Method::POST,
            "/api/v2/organizations",
            json!({"name": "test-organization297", "display_name": "Test Organization", "branding": {"logo_url": "https://example.com/logo.gif"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // go-auth0 TestClientGrantManager_Organizations.yaml, key order included.
    assert_eq!(keys(&r.body), ["id", "display_name", "name", "branding"]);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("org_") && id.len() == 20, "{id}");

    let cases = [
        (json!({"name": "test-organization297"}), 409),
        (json!({"name": "Upper"}), 400),
        (json!({"name": "-dash"}), 400),
        (json!({"name": "x".repeat(51)}), 400),
        (json!({"display_name": "no name"}), 400),
        (json!({"name": "ok", "members": []}), 400),
        (json!({"name": "second_org-2"}), 201),
    ];
    for (body, want) in cases {
        let r = t
            .send(Method::POST, "/api/v2/organizations", body.clone())
            .await;
        assert_eq!(r.status.as_u16(), want, "{body}: {}", r.body);
    }
    let r = t.get("/api/v2/organizations?include_totals=true").await;
    assert_eq!(r.body["total"], 2, "{}", r.body);
    let r = t.get(&format!("/api/v2/organizations/{id}")).await;
    assert_eq!(r.body["name"], "test-organization297");
    assert!(r.body.get("client_grants").is_none(), "{}", r.body);
    let r = t.get("/api/v2/organizations/org_0000000000000000").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "No organization found by that id");
    let path = format!("/api/v2/organizations/{id}");
    for _ in 0..2 {
        let r = t.req(Method::DELETE, &path, Some(&t.token), None).await;
        assert_eq!(r.status, 204);
    }
    assert_eq!(t.get(&path).await.status, 404);
}

#[tokio::test]
async fn client_grants_are_associated_listed_and_dissociated() {
    let t = setup();
    let org_id = org(&t, "test-organization299").await;
    let (client, grant) = granted(
        &t,
        json!({"organization_usage": "allow", "allow_any_organization": true}),
    )
    .await;
    let path = format!("/api/v2/organizations/{org_id}/client-grants");
    let r = t
        .send(Method::POST, &path, json!({"grant_id": grant}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // go-auth0 TestOrganizationManager_ClientGrantsWithOrg.yaml: keyed `grant_id`.
    assert_eq!(
        keys(&r.body),
        [
            "grant_id",
            "client_id",
            "audience",
            "scope",
            "organization_usage",
            "allow_any_organization"
        ]
    );
    let again = t
        .send(Method::POST, &path, json!({"grant_id": grant}))
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    for (body, want) in [
        (json!({"grant_id": "cgr_0000000000000000"}), 404),
        (json!({}), 400),
        (json!({"grant_id": grant, "x": 1}), 400),
    ] {
        let r = t.send(Method::POST, &path, body.clone()).await;
        assert_eq!(r.status.as_u16(), want, "{body}: {}", r.body);
    }
    let r = t
        .send(
            Method::POST,
            "/api/v2/organizations/org_0000000000000000/client-grants",
            json!({"grant_id": grant}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    let listed = t
        .get(&format!("{path}?grant_ids={grant}&include_totals=true"))
        .await;
    assert_eq!(listed.body["total"], 1, "{}", listed.body);
    assert_eq!(listed.body["client_grants"][0]["id"], grant.as_str());
    assert_eq!(
        listed.body["client_grants"][0]["subject_type"], "client",
        "{}",
        listed.body
    );
    let other = t
        .get(&format!("{path}?audience={}", urlenc("https://x/")))
        .await;
    assert_eq!(other.body, json!([]));
    let orgs = t
        .get(&format!(
            "/api/v2/client-grants/{grant}/organizations?include_totals=true&per_page=50"
        ))
        .await;
    assert_eq!(orgs.body["total"], 1, "{}", orgs.body);
    assert_eq!(orgs.body["organizations"][0]["id"], org_id.as_str());
    let q = urlenc(&format!("client_grant.organization_id:{org_id}"));
    let found = t.get(&format!("/api/v2/clients?q={q}&take=50")).await;
    assert_eq!(found.body["clients"][0]["client_id"], client.as_str());

    let one = format!("{path}/{grant}");
    let r = t.req(Method::DELETE, &one, Some(&t.token), None).await;
    assert_eq!(r.status, 204);
    let listed = t
        .get(&format!("{path}?grant_ids={grant}&include_totals=true"))
        .await;
    assert_eq!(listed.body["total"], 0, "{}", listed.body);
    let orgs = t
        .get(&format!("/api/v2/client-grants/{grant}/organizations"))
        .await;
    assert_eq!(orgs.body, json!([]));
}

#[tokio::test]
async fn a_deleted_grant_leaves_its_organizations() {
    let t = setup();
    let org_id = org(&t, "acme").await;
    let (_, grant) = granted(&t, json!({"organization_usage": "require"})).await;
    let path = format!("/api/v2/organizations/{org_id}/client-grants");
    let r = t
        .send(Method::POST, &path, json!({"grant_id": grant}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = t
        .req(
            Method::DELETE,
            &format!("/api/v2/client-grants/{grant}"),
            Some(&t.token),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(t.get(&path).await.body, json!([]));
    let r = t
        .get(&format!("/api/v2/client-grants/{grant}/organizations"))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test]
async fn organization_routes_need_their_scopes() {
    let t = setup();
    let token = super::router_tests::mint(&t.app, "read:clients", 60);
    for (method, uri) in [
        (Method::GET, "/api/v2/organizations"),
        (Method::POST, "/api/v2/organizations"),
        (Method::GET, "/api/v2/organizations/org_x/client-grants"),
        (Method::GET, "/api/v2/client-grants/cgr_x/organizations"),
    ] {
        let r = t
            .req(
                method.clone(),
                uri,
                Some(&token),
                Some(json!({"name": "n"})),
            )
            .await;
        assert_eq!(r.status, 403, "{method} {uri}: {}", r.body);
    }
}

#[tokio::test]
async fn grants_keep_organization_fields_as_auth0_does() {
    let t = setup();
    // Not sent: not shown (Auth0's default is `deny` and false, never written out).
    let (_, plain) = granted(&t, json!({})).await;
    let r = t.get(&format!("/api/v2/client-grants/{plain}")).await;
    assert!(r.body.get("organization_usage").is_none(), "{}", r.body);
    assert!(r.body.get("allow_any_organization").is_none(), "{}", r.body);
    let path = format!("/api/v2/client-grants/{plain}");
    let cases = [
        (json!({"organization_usage": "required"}), 400, None),
        (json!({"allow_any_organization": "yes"}), 400, None),
        (
            json!({"organization_usage": "require", "allow_any_organization": false}),
            200,
            Some(("require", Some(false))),
        ),
        (
            json!({"allow_any_organization": null}),
            200,
            Some(("require", None)),
        ),
        (json!({"organization_usage": null}), 200, None),
    ];
    for (body, want, shown) in cases {
        let r = t.send(Method::PATCH, &path, body.clone()).await;
        assert_eq!(r.status.as_u16(), want, "{body}: {}", r.body);
        if want != 200 {
            continue;
        }
        match shown {
            Some((usage, any)) => {
                assert_eq!(r.body["organization_usage"], usage, "{body}");
                assert_eq!(
                    r.body.get("allow_any_organization").cloned(),
                    any.map(Value::from)
                );
            }
            None => assert!(r.body.get("organization_usage").is_none(), "{}", r.body),
        }
    }
    // A third-party client may not open a grant to any organization.
    let r = t
        .send(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "tpc", "is_first_party": false}),
        )
        .await;
    let tpc = r.body["client_id"].as_str().expect("id").to_string();
    let rs = t
        .send(
            Method::POST,
            "/api/v2/resource-servers",
            json!({"identifier": "https://orders.example/"}),
        )
        .await;
    assert_eq!(rs.status, 201, "{}", rs.body);
    let body = json!({"client_id": tpc, "audience": "https://orders.example/", "scope": [],
        "organization_usage": "allow", "allow_any_organization": true});
    let r = t.send(Method::POST, "/api/v2/client-grants", body).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let body = json!({"client_id": tpc, "audience": "https://orders.example/", "scope": [],
        "organization_usage": "allow"});
    let r = t.send(Method::POST, "/api/v2/client-grants", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id");
    let r = t
        .send(
            Method::PATCH,
            &format!("/api/v2/client-grants/{id}"),
            json!({"allow_any_organization": true}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
}

/// A client with a secret and a grant to a custom API with `org` settings; (client id, secret,
/// grant id).
async fn m2m_with_grant(t: &T, name: &str, org: Value) -> (String, String, String) {
    let r = t
        .send(
            Method::POST,
            "/api/v2/clients",
            json!({"name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"]}),
        )
        .await;
    let client = r.body["client_id"].as_str().expect("id").to_string();
    let secret = r.body["client_secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let mut body = json!({"client_id": client, "audience": "https://orders.example/", "scope": ["read:orders"]});
    if let (Some(b), Some(o)) = (body.as_object_mut(), org.as_object()) {
        b.extend(o.clone());
    }
    let g = t.send(Method::POST, "/api/v2/client-grants", body).await;
    assert_eq!(g.status, 201, "{}", g.body);
    (
        client,
        secret,
        g.body["id"].as_str().expect("id").to_string(),
    )
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("jwt");
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("claims")
}

#[tokio::test]
async fn oauth_token_enforces_the_grants_organization_usage() {
    let t = setup();
    let rs = t
        .send(
            Method::POST,
            "/api/v2/resource-servers",
            json!({"identifier": "https://orders.example/", "scopes": [{"value": "read:orders"}]}),
        )
        .await;
    assert_eq!(rs.status, 201, "{}", rs.body);
    let acme = org(&t, "acme").await;
    org(&t, "other").await;
    let grants = [
        ("deny", json!({})),
        ("deny-explicit", json!({"organization_usage": "deny"})),
        ("allow", json!({"organization_usage": "allow"})),
        ("require", json!({"organization_usage": "require"})),
        (
            "require-any",
            json!({"organization_usage": "require", "allow_any_organization": true}),
        ),
    ];
    let mut clients = std::collections::HashMap::new();
    for (name, settings) in grants {
        let (id, secret, grant) = m2m_with_grant(&t, name, settings).await;
        // `allow` and `require` grants are associated with `acme` only.
        if name == "allow" || name == "require" {
            let r = t
                .send(
                    Method::POST,
                    &format!("/api/v2/organizations/{acme}/client-grants"),
                    json!({"grant_id": grant}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        clients.insert(name, (id, secret));
    }
    // (grant, organization asked, status, error, org_id expected)
    let acme_id = acme.as_str();
    type Case<'a> = (
        &'a str,
        Option<&'a str>,
        u16,
        Option<&'a str>,
        Option<&'a str>,
    );
    let cases: [Case; 14] = [
        ("deny", None, 200, None, None),
        ("deny", Some("acme"), 400, Some("invalid_request"), None),
        (
            "deny-explicit",
            Some(acme_id),
            400,
            Some("invalid_request"),
            None,
        ),
        ("allow", None, 200, None, None),
        ("allow", Some(acme_id), 200, None, Some(acme_id)),
        ("allow", Some("acme"), 200, None, Some(acme_id)),
        ("allow", Some("other"), 403, Some("access_denied"), None),
        ("allow", Some("nope"), 400, Some("invalid_request"), None),
        ("require", None, 400, Some("invalid_request"), None),
        ("require", Some("acme"), 200, None, Some(acme_id)),
        ("require", Some("other"), 403, Some("access_denied"), None),
        ("require-any", None, 400, Some("invalid_request"), None),
        ("require-any", Some("other"), 200, None, None),
        ("require-any", Some("acme"), 200, None, Some(acme_id)),
    ];
    for (grant, asked, status, error, org_id) in cases {
        let (id, secret) = &clients[grant];
        let mut form = format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}&audience={}",
            urlenc("https://orders.example/")
        );
        if let Some(asked) = asked {
            form.push_str(&format!("&organization={asked}"));
        }
        let r = t.form_token(&form, None).await;
        assert_eq!(r.status.as_u16(), status, "{grant} {asked:?}: {}", r.body);
        assert_eq!(r.body["error"].as_str(), error, "{grant} {asked:?}");
        if status != 200 {
            continue;
        }
        let claims = claims_of(r.body["access_token"].as_str().expect("token"));
        match (org_id, asked) {
            (Some(want), _) => {
                assert_eq!(claims["org_id"], want, "{grant} {asked:?}");
                assert_eq!(claims["org_name"], "acme");
            }
            (None, Some(_)) => assert_eq!(claims["org_name"], "other", "{claims}"),
            (None, None) => assert!(claims.get("org_id").is_none(), "{claims}"),
        }
    }
}
