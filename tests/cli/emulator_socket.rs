//! The emulator over a real loopback socket: tokens, TLS with a pinned certificate, rate-limit
//! headers and 429s, lost responses, persistence and re-homing, corrupt state files.

use serde_json::{Value, json};

use crate::support::Tenant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_then_list_clients_over_http() {
    let t = Tenant::start().await;
    let token = t.management_token().await;
    let r = t
        .http()
        .get(format!(
            "{}/api/v2/clients?include_totals=true",
            t.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["total"], 2, "global client + bootstrap app: {body}");
    assert_eq!(t.count("POST /oauth/token 200").await, 1);
    assert_eq!(t.count("GET /api/v2/clients 200").await, 1);
    assert_eq!(t.stats().await["total"], 2);
    t.reset_stats().await;
    assert_eq!(t.stats().await, json!({"total": 0, "by_route": {}}));
}
