//! `m2mctl api` through the real binary against the emulator: pages of a 250-client tenant in one
//! array (offset and checkpoint), `-i`, bodies from `-d`, a managed application's token, and a 403
//! that names the missing scope and the config line that grants it.

use serde_json::{Value, json};

use crate::support::seed::Api;
use crate::support::{Options, Tenant};

async fn seed_api(t: &Tenant) -> Api {
    Api {
        http: t.http(),
        base_url: t.base_url(),
        token: t.management_token().await,
    }
}

/// Creates clients until the tenant holds `n` (it starts with its bootstrap clients).
async fn fill_clients(t: &Tenant, api: &Api, n: usize) {
    let total: Value = t
        .http()
        .get(format!(
            "{}/api/v2/clients?include_totals=true&per_page=1",
            t.base_url()
        ))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let have = total["total"].as_u64().unwrap() as usize;
    for i in have..n {
        let body = json!({"name": format!("bulk-{i:03}"), "app_type": "non_interactive"});
        api.post("/api/v2/clients", &body).await.expect("create");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginate_returns_every_client_of_a_250_client_tenant_in_one_array() {
    let t = Tenant::start().await;
    let api = seed_api(&t).await;
    fill_clients(&t, &api, 250).await;
    t.reset_stats().await;
    let run = t
        .m2mctl(&[
            "api",
            "GET",
            "/api/v2/clients?fields=client_id,name",
            "--paginate",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all: Value = serde_json::from_str(&run.stdout).expect("one JSON array");
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 250);
    let mut ids: Vec<&str> = all
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250, "no client twice");
    // 250 clients at 100 a page: 3 list requests, whatever else the command needed.
    assert_eq!(t.count("GET /api/v2/clients 200").await, 3);

    // Without --paginate: the first page only, as Auth0 answers it.
    let one = t.m2mctl(&["api", "clients"]).await;
    assert_eq!(one.code, 0, "{}", one.stderr);
    let page: Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(page.as_array().unwrap().len(), 50, "Auth0's default page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginate_follows_checkpoints_with_from_and_take() {
    let t = Tenant::start().await;
    let api = seed_api(&t).await;
    let target = json!({"identifier": "https://orders.example.com/", "name": "Orders", "scopes": [{"value": "read:orders"}]});
    api.post("/api/v2/resource-servers", &target).await.unwrap();
    for i in 0..25 {
        let c = api
            .post(
                "/api/v2/clients",
                &json!({"name": format!("c{i}"), "app_type": "non_interactive"}),
            )
            .await
            .unwrap();
        let grant = json!({"client_id": c["client_id"], "audience": "https://orders.example.com/", "scope": ["read:orders"]});
        api.post("/api/v2/client-grants", &grant).await.unwrap();
    }
    t.reset_stats().await;
    let run = t
        .m2mctl(&[
            "api",
            "/api/v2/client-grants?audience=https://orders.example.com/&take=10",
            "--paginate",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 25);
    assert_eq!(
        t.count("GET /api/v2/client-grants 200").await,
        3,
        "10 + 10 + 5"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_shows_status_and_rate_limit_headers_and_data_sends_a_body() {
    let t = Tenant::with(Options {
        rate_limit: Some((1000.0, 1000)),
        ..Options::default()
    })
    .await;
    let run = t
        .m2mctl(&[
            "api",
            "-i",
            "POST",
            "/api/v2/resource-servers",
            "-d",
            r#"{"identifier":"https://inline.example.com/","name":"Inline"}"#,
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (head, body) = run
        .stdout
        .split_once("\n\n")
        .expect("headers, blank line, body");
    assert!(head.starts_with("HTTP 201 Created\n"), "{head}");
    assert!(head.contains("x-ratelimit-limit: "), "{head}");
    assert!(head.contains("x-ratelimit-remaining: "), "{head}");
    let created: Value = serde_json::from_str(body).unwrap();
    assert_eq!(created["identifier"], "https://inline.example.com/");

    std::fs::write(
        t.dir().join("api.json"),
        r#"{"identifier":"https://file.example.com/","name":"From a file"}"#,
    )
    .unwrap();
    let run = t
        .m2mctl(&["api", "/api/v2/resource-servers", "-d", "@api.json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("From a file"), "{}", run.stdout);

    let bad = t.m2mctl(&["api", "resource-servers", "-d", "{nope"]).await;
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("not JSON"), "{}", bad.stderr);
    let missing = t.m2mctl(&["api", "/api/v2/nothing/here"]).await;
    assert_eq!(missing.code, 1, "exit 1 on 404: {}", missing.stdout);
    assert!(missing.stderr.contains("HTTP 404"), "{}", missing.stderr);
}

const READER: &str = "version: 1
project: api-test
tenant:
  domain: ${AUTH0_DOMAIN}
apis:
  - identifier: https://orders.example.com/
    scopes:
      - value: read:orders
applications:
  - name: reader
    grants:
      - api: management
        endpoints: [\"GET /api/v2/clients\"]
  - name: orders-only
    grants:
      - api: https://orders.example.com/
        scopes: [read:orders]
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_app_uses_its_token_and_a_403_names_the_scope_and_the_config_line() {
    let t = Tenant::start().await;
    std::fs::write(t.dir().join("m2mctl.yaml"), READER).unwrap();
    let apply = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.stderr);

    let ok = t
        .m2mctl(&["api", "--as", "reader", "/api/v2/clients"])
        .await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("\"reader\""), "{}", ok.stdout);

    let denied = t
        .m2mctl(&["api", "--as", "reader", "GET", "/api/v2/resource-servers"])
        .await;
    assert_eq!(denied.code, 1, "{}", denied.stdout);
    // the body on stdout; on stderr the status and which line of the config to change
    let shown = format!("{}--- stderr\n{}", denied.stdout, denied.stderr);
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("api_as_app_403", shown));

    let no_grant = t
        .m2mctl(&["api", "--as", "orders-only", "/api/v2/clients"])
        .await;
    assert_eq!(no_grant.code, 1, "{}", no_grant.stdout);
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("api_as_app_without_management_grant", no_grant.stderr));

    // A declared API's token goes to the full URL given (here the emulator, which rejects an
    // orders token on its Management API: 401, exit 1).
    let url = format!("{}/api/v2/clients", t.base_url());
    let foreign = t
        .m2mctl(&[
            "api",
            "--as",
            "orders-only",
            "--api",
            "https://orders.example.com/",
            &url,
        ])
        .await;
    assert_eq!(foreign.code, 1, "{}", foreign.stdout);
    assert!(foreign.stderr.contains("HTTP 401"), "{}", foreign.stderr);
}
