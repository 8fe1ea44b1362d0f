//! Router-level tests of `/api/v2/client-grants` and `/api/v2/resource-servers`.

use axum::http::Method;
use serde_json::json;

use super::router_tests::{API, setup, urlenc};

/// A client with a Management API grant of `read:clients`: (client id, grant id).
async fn client_with_grant(t: &super::router_tests::T) -> (String, String) {
    let c = t
        .send(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "w", "grant_types": ["client_credentials"]}),
        )
        .await
        .body;
    let cid = c["client_id"].as_str().expect("id").to_string();
    let r = t
        .send(
            Method::POST,
            "/api/v2/client-grants",
            json!({"client_id": cid, "audience": API, "scope": ["read:clients"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let gid = r.body["id"].as_str().expect("id").to_string();
    assert!(gid.starts_with("cgr_"));
    assert_eq!(
        r.body,
        json!({"id": gid, "client_id": cid, "audience": API, "scope": ["read:clients"], "subject_type": "client"})
    );
    (cid, gid)
}

#[tokio::test]
async fn client_grant_creates_conflict_coexist_and_refuse_as_auth0() {
    let t = setup();
    let (cid, _) = client_with_grant(&t).await;
    // (body, status, key of the answer, its value), in order: a user grant may sit beside the
    // client grant of the same (client, audience); a second client grant may not.
    let cases = [
        (
            json!({"client_id": cid, "audience": API, "scope": []}),
            409,
            "message",
            format!("A client grant already exists between {cid} and {API}"),
        ),
        (
            json!({"client_id": cid, "audience": API, "scope": [], "subject_type": "user"}),
            201,
            "subject_type",
            "user".to_string(),
        ),
        (
            json!({"client_id": "ghost", "audience": API}),
            404,
            "errorCode",
            "inexistent_client".to_string(),
        ),
        (
            json!({"client_id": cid, "audience": "https://none/"}),
            404,
            "message",
            "No resource with identifier https://none/".to_string(),
        ),
        (
            json!({"client_id": cid}),
            400,
            "message",
            "Payload validation error: 'Missing required property: audience'.".to_string(),
        ),
    ];
    for (body, status, key, want) in cases {
        let r = t
            .send(Method::POST, "/api/v2/client-grants", body.clone())
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body[key].as_str()),
            (status, Some(want.as_str())),
            "{body}"
        );
    }
    let r = t
        .get(&format!(
            "/api/v2/client-grants?client_id={cid}&audience={}&include_totals=true",
            urlenc(API)
        ))
        .await;
    assert_eq!(r.body["total"], 2, "the client grant and the user grant");
    let r = t.get("/api/v2/client-grants?take=1").await;
    assert_eq!(r.body["client_grants"].as_array().map(Vec::len), Some(1));
    let next = r.body["next"].as_str().expect("next").to_string();
    let r = t
        .get(&format!("/api/v2/client-grants?take=5&from={next}"))
        .await;
    assert_eq!(r.body["client_grants"].as_array().map(Vec::len), Some(2));
    assert!(r.body.get("next").is_none());
}

#[tokio::test]
async fn client_grant_patches_get_and_deletes_as_auth0() {
    let t = setup();
    let (cid, gid) = client_with_grant(&t).await;
    let path = format!("/api/v2/client-grants/{gid}");
    // (patch, status, `scope` after (None: absent), `allow_all_scopes` after): all scopes drop
    // the list; only the updatable fields may be sent, and at least one.
    let steps = [
        (
            json!({"scope": ["read:clients", "create:clients"]}),
            200,
            Some(json!(["read:clients", "create:clients"])),
            None,
        ),
        (json!({"allow_all_scopes": true}), 200, None, Some(true)),
        (
            json!({"allow_all_scopes": false, "scope": []}),
            200,
            Some(json!([])),
            Some(false),
        ),
        (json!({"audience": "x"}), 400, None, None),
        (json!({"client_id": "x"}), 400, None, None),
        (json!({}), 400, None, None),
    ];
    for (n, (body, status, scope, all)) in steps.into_iter().enumerate() {
        let r = t.send(Method::PATCH, &path, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "step {n} {body}: {}", r.body);
        if status == 400 {
            assert_eq!(r.body["errorCode"], "invalid_body", "step {n}");
            continue;
        }
        assert_eq!(r.body.get("scope").cloned(), scope, "step {n}");
        assert_eq!(r.body["allow_all_scopes"].as_bool(), all, "step {n}");
    }
    let r = t.get("/api/v2/client-grants/cgr_nope").await;
    assert_eq!(
        r.body,
        json!({"statusCode": 404, "error": "Not Found", "message": "The grant does not exist.", "errorCode": "inexistent_client_grant"})
    );
    let token = t.token.clone();
    for attempt in ["first", "again (idempotent)"] {
        let r = t.req(Method::DELETE, &path, Some(&token), None).await;
        assert_eq!(r.status, 204, "{attempt}");
    }
    // Deleting the client deletes its remaining grants.
    let user = json!({"client_id": cid, "audience": API, "scope": [], "subject_type": "user"});
    assert_eq!(
        t.send(Method::POST, "/api/v2/client-grants", user)
            .await
            .status,
        201
    );
    let client = format!("/api/v2/clients/{cid}");
    t.req(Method::DELETE, &client, Some(&token), None).await;
    let r = t
        .get(&format!("/api/v2/client-grants?client_id={cid}"))
        .await;
    assert_eq!(r.body, json!([]));
}

#[tokio::test]
async fn resource_servers_crud_system_api_and_errors() {
    let t = setup();
    let r = t
        .send(
            Method::POST,
            "/api/v2/resource-servers",
            json!({"name": "Orders", "identifier": "https://orders/"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 24);
    for (k, v) in [
        ("token_lifetime", json!(86400)),
        ("token_lifetime_for_web", json!(7200)),
        ("signing_alg", json!("RS256")),
        ("allow_offline_access", json!(false)),
        (
            "skip_consent_for_verifiable_first_party_clients",
            json!(false),
        ),
        (
            "subject_type_authorization",
            json!({"user": {"policy": "allow_all"}, "client": {"policy": "require_client_grant"}}),
        ),
    ] {
        assert_eq!(r.body[k], v, "{k}");
    }
    assert!(r.body.get("scopes").is_none());
    let r = t
        .send(
            Method::POST,
            "/api/v2/resource-servers",
            json!({"identifier": "https://orders/"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["message"].as_str()),
        (
            409,
            Some("A resource server with the same identifier already exists.")
        )
    );
    let by_ident = t
        .get(&format!(
            "/api/v2/resource-servers/{}",
            urlenc("https://orders/")
        ))
        .await;
    assert_eq!(by_ident.body["id"], id);
    let r = t.send(Method::PATCH, &format!("/api/v2/resource-servers/{id}"), json!({"scopes": [{"value": "read:orders", "description": "Read"}], "token_lifetime": 3600})).await;
    assert_eq!(
        (r.body["scopes"].clone(), r.body["token_lifetime"].clone()),
        (
            json!([{"value": "read:orders", "description": "Read"}]),
            json!(3600)
        )
    );
    let cases = [
        (
            json!({"identifier": "https://x/"}),
            "Payload validation error: 'Additional properties not allowed: identifier'.",
        ),
        (
            json!({"scopes": [{"description": "d"}]}),
            "Payload validation error: 'Missing required property: value' on property scopes.",
        ),
        (
            json!({"token_lifetime": 2_592_001}),
            "Payload validation error: 'Value 2592001 is greater than maximum 2592000' on property token_lifetime.",
        ),
    ];
    for (body, message) in cases {
        let r = t
            .send(
                Method::PATCH,
                &format!("/api/v2/resource-servers/{id}"),
                body.clone(),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body["message"].as_str()),
            (400, Some(message)),
            "{body}"
        );
    }
    // the system API: only its few mutable fields, never deleted
    let sys = format!("/api/v2/resource-servers/{}", urlenc(API));
    let r = t.get(&sys).await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["is_system"].as_bool()),
        (Some("Auth0 Management API"), Some(true))
    );
    assert_eq!(
        r.body["scopes"].as_array().map(Vec::len),
        Some(crate::scopes::MANAGEMENT_API_SCOPES.len())
    );
    assert_eq!(
        r.body["scopes"][0]["description"]
            .as_str()
            .map(|d| d.chars().next().is_some_and(char::is_uppercase)),
        Some(true)
    );
    let r = t.send(Method::PATCH, &sys, json!({"name": "x"})).await;
    assert_eq!(
        r.body["message"],
        "Payload validation error: 'Additional properties not allowed: name'."
    );
    let r = t.send(Method::PATCH, &sys, json!({"token_lifetime": 7200, "skip_consent_for_verifiable_first_party_clients": true})).await;
    assert_eq!(r.status, 200);
    let r = t
        .req(Method::DELETE, &sys, Some(&t.token.clone()), None)
        .await;
    assert_eq!(r.status, 400);
    // list shapes and identifiers filter
    let r = t
        .get("/api/v2/resource-servers?include_totals=true&per_page=1")
        .await;
    assert_eq!(
        (
            r.body["total"].clone(),
            r.body["resource_servers"].as_array().map(Vec::len)
        ),
        (json!(2), Some(1))
    );
    let r = t
        .get(&format!(
            "/api/v2/resource-servers?identifiers={}",
            urlenc("https://orders/")
        ))
        .await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1));
    // delete cascades to grants; unknown and repeated deletes answer 204
    t.send(
        Method::POST,
        "/api/v2/client-grants",
        json!({"client_id": "boot", "audience": "https://orders/", "scope": []}),
    )
    .await;
    let r = t
        .req(
            Method::DELETE,
            &format!("/api/v2/resource-servers/{id}"),
            Some(&t.token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(t.app.read().grant_for("boot", "https://orders/").is_none());
    let r = t
        .req(
            Method::DELETE,
            &format!("/api/v2/resource-servers/{id}"),
            Some(&t.token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = t.get(&format!("/api/v2/resource-servers/{id}")).await;
    assert_eq!(
        r.body,
        json!({"statusCode": 404, "error": "Not Found", "message": "The resource server does not exist", "errorCode": "inexistent_resource_server"})
    );
}
