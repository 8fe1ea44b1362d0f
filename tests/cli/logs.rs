//! The emulator's tenant logs over real HTTP: every Management API write is a `sapi` entry
//! naming the client that made it (secrets stripped), every token exchange a `seccft` or
//! `feccft` entry; `GET /api/v2/logs` filters, pages and sorts as Auth0 does, and needs
//! `read:logs`.

use serde_json::{Value, json};

use crate::apply_kit::*;
use crate::support::Tenant;

async fn get(t: &Tenant, token: &str, path_and_query: &str) -> (u16, Value) {
    let r = t
        .http()
        .get(format!("{}{path_and_query}", t.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_exchanges_are_logged_and_served_like_auth0() {
    let t = Tenant::start().await;
    let token = t.management_token().await;
    let created = seed_client(
        &t,
        json!({"name": "worker", "app_type": "non_interactive", "grant_types": ["client_credentials"]}),
    )
    .await;
    let bad = t
        .token_for(&created, "wrong-secret", &t.management_audience())
        .await;
    assert_eq!(bad.status(), 401);

    let (status, sapi) = get(&t, &token, "/api/v2/logs?q=type:sapi").await;
    assert_eq!(status, 200, "{sapi}");
    let sapi = sapi.as_array().expect("array").clone();
    assert_eq!(sapi.len(), 1, "{sapi:#?}");
    let e = &sapi[0];
    assert_eq!(e["description"], "Create a Client");
    assert_eq!(e["client_id"], t.client_id().as_str());
    assert_eq!(e["details"]["request"]["method"], "post");
    assert_eq!(e["details"]["request"]["path"], "/api/v2/clients");
    assert_eq!(e["details"]["response"]["statusCode"], 201);
    assert_eq!(
        e["details"]["response"]["body"]["client_id"],
        created.as_str()
    );
    assert!(e["log_id"].as_str().is_some_and(|id| !id.is_empty()));
    let secret = clients(&t)
        .await
        .into_iter()
        .find(|c| c["client_id"] == created.as_str())
        .and_then(|c| c["client_secret"].as_str().map(str::to_string))
        .expect("secret");
    let all = get(&t, &token, "/api/v2/logs").await.1.to_string();
    assert!(!all.contains(&secret), "a client secret reached the logs");
    assert!(
        !all.contains(&t.client_secret()),
        "the bootstrap secret reached the logs"
    );

    // Two successful exchanges by the test (bootstrap token + `clients()`'s), one failure.
    let (_, ok) = get(
        &t,
        &token,
        &format!(
            "/api/v2/logs?q=type:seccft%20AND%20client_id:%22{}%22",
            t.client_id()
        ),
    )
    .await;
    assert!(!ok.as_array().unwrap().is_empty(), "{ok}");
    let (_, failed) = get(&t, &token, "/api/v2/logs?q=type:feccft").await;
    let failed = failed.as_array().unwrap().clone();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["client_id"], created.as_str());
    assert_eq!(failed[0]["client_name"], "worker");
    assert_eq!(failed[0]["audience"], t.management_audience().as_str());

    let (_, totals) = get(
        &t,
        &token,
        "/api/v2/logs?include_totals=true&per_page=1&page=0",
    )
    .await;
    assert_eq!(totals["limit"], 1);
    assert_eq!(totals["length"], 1);
    assert!(totals["total"].as_u64().unwrap() >= 3, "{totals}");
    let newest = totals["logs"][0].clone();
    let (_, oldest_first) = get(&t, &token, "/api/v2/logs?sort=date:1&per_page=100").await;
    let oldest_first = oldest_first.as_array().unwrap().clone();
    assert_eq!(oldest_first.last().unwrap()["log_id"], newest["log_id"]);

    let first = oldest_first[0]["log_id"].as_str().unwrap().to_string();
    let (_, after) = get(&t, &token, &format!("/api/v2/logs?from={first}&take=2")).await;
    let after = after.as_array().unwrap().clone();
    assert_eq!(after.len(), 2);
    assert_eq!(after[0]["log_id"], oldest_first[1]["log_id"]);

    let (status, one) = get(&t, &token, &format!("/api/v2/logs/{first}")).await;
    assert_eq!((status, &one["log_id"]), (200, &oldest_first[0]["log_id"]));
    let (status, _) = get(&t, &token, "/api/v2/logs/90020nope").await;
    assert_eq!(status, 404);
    let (status, err) = get(&t, &token, "/api/v2/logs?q=type:(sapi").await;
    assert_eq!(status, 400, "{err}");
    let (_, fields) = get(&t, &token, "/api/v2/logs?fields=type,log_id&per_page=1").await;
    let keys: Vec<&String> = fields[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["type", "log_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_logs_needs_read_logs() {
    let t = Tenant::start().await;
    let id = seed_client(
        &t,
        json!({"name": "no-logs", "app_type": "non_interactive", "grant_types": ["client_credentials"]}),
    )
    .await;
    let (status, text) = call(
        &t,
        "POST",
        "/api/v2/client-grants",
        Some(json!({"client_id": id, "audience": t.management_audience(), "scope": ["read:clients"]})),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let secret = clients(&t)
        .await
        .into_iter()
        .find(|c| c["client_id"] == id.as_str())
        .and_then(|c| c["client_secret"].as_str().map(str::to_string))
        .expect("secret");
    let r = t.token_for(&id, &secret, &t.management_audience()).await;
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = get(&t, &token, "/api/v2/logs").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errorCode"], "insufficient_scope");
}
