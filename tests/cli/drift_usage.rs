//! `drift` and `usage` end to end against an emulator: a change made through the Management API
//! by another client is reported with that client's id and name (exit 2), also without
//! `read:logs` (no authors, and why); token counts match the tokens requested here and the
//! unused application is flagged; `usage --plan` writes the config without the unused grant.

use serde_json::{Value, json};

use crate::apply_kit::*;
use crate::support::Tenant;

const CONFIG: &str = "version: 1
project: watch
tenant:
  domain: ${AUTH0_DOMAIN}
apis:
  - identifier: https://orders.example.com/
    scopes:
      - value: read:orders
applications:
  - name: worker
    description: processes orders
    grants:
      - api: https://orders.example.com/
        scopes: [read:orders]
  - name: idle
    grants:
      - api: https://orders.example.com/   # nobody has asked for a token in months
        scopes: [read:orders]
";

/// Creates a client with a Management API grant of `scopes`; returns its id and secret.
async fn actor(t: &Tenant, name: &str, scopes: &[&str]) -> (String, String) {
    let id = seed_client(
        t,
        json!({"name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"]}),
    )
    .await;
    let (status, text) = call(
        t,
        "POST",
        "/api/v2/client-grants",
        Some(json!({"client_id": id, "audience": t.management_audience(), "scope": scopes})),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let secret = clients(t)
        .await
        .into_iter()
        .find(|c| c["client_id"] == id.as_str())
        .and_then(|c| c["client_secret"].as_str().map(str::to_string))
        .expect("secret");
    (id, secret)
}

async fn token(t: &Tenant, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    t.token_for(id, secret, audience).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_names_the_client_that_changed_the_tenant() {
    let t = Tenant::start().await;
    write_config(&t, CONFIG);
    let apply = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let clean = t.m2mctl(&["drift"]).await;
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.starts_with("No drift"), "{}", clean.stdout);

    let worker = clients(&t)
        .await
        .into_iter()
        .find(|c| c["name"] == "worker")
        .and_then(|c| c["client_id"].as_str().map(str::to_string))
        .expect("worker");
    let (ops, ops_secret) = actor(&t, "ops-bot", &["update:clients"]).await;
    let reply = token(&t, &ops, &ops_secret, &t.management_audience()).await;
    let ops_token = reply.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let patched = t
        .http()
        .patch(format!("{}/api/v2/clients/{worker}", t.base_url()))
        .bearer_auth(&ops_token)
        .json(&json!({"description": "changed by hand"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    let drift = t.m2mctl(&["drift"]).await;
    assert_eq!(drift.code, 2, "{}\n{}", drift.stdout, drift.stderr);
    // the ids by name, so the snapshot says whose they are
    let named = drift
        .stdout
        .replace(&worker, "[WORKER_CLIENT_ID]")
        .replace(&ops, "[OPS_BOT_CLIENT_ID]");
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("drift_by_ops_bot", named));

    let json = t.m2mctl(&["drift", "--format", "json"]).await;
    assert_eq!(json.code, 2, "{}", json.stderr);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["drift"], true);
    let touched = &report["drifted"][0]["touched_by"];
    let by_ops: Vec<&Value> = touched
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["client_id"] == ops.as_str())
        .collect();
    assert_eq!(by_ops.len(), 1, "{touched:#}");
    assert_eq!(by_ops[0]["client_name"], "ops-bot");
    assert_eq!(by_ops[0]["operation"], "Update a Client");

    let md = t.m2mctl(&["drift", "--format", "markdown"]).await;
    assert_eq!(md.code, 2);
    assert!(
        md.stdout.contains("| when | who | operation | request |"),
        "{}",
        md.stdout
    );

    // A reader without read:logs: the drift, without authors, and why.
    let (reader, reader_secret) = actor(
        &t,
        "reader",
        &[
            "read:clients",
            "read:client_grants",
            "read:resource_servers",
        ],
    )
    .await;
    let blind = t
        .m2mctl_with(
            &["drift"],
            &[
                ("AUTH0_CLIENT_ID", reader.as_str()),
                ("AUTH0_CLIENT_SECRET", reader_secret.as_str()),
            ],
        )
        .await;
    assert_eq!(blind.code, 2, "{}\n{}", blind.stdout, blind.stderr);
    assert!(
        blind.stdout.contains("application.worker"),
        "{}",
        blind.stdout
    );
    assert!(
        blind.stdout.contains("the token lacks `read:logs`"),
        "{}",
        blind.stdout
    );
    assert!(!blind.stdout.contains("ops-bot"), "{}", blind.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_counts_the_tokens_requested_and_flags_the_unused_app() {
    let t = Tenant::start().await;
    write_config(&t, CONFIG);
    let apply = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let creds = t
        .m2mctl(&["credentials", "worker", "--format", "json"])
        .await;
    assert_eq!(creds.code, 0, "{}", creds.stderr);
    let creds: Vec<Value> = serde_json::from_str(&creds.stdout).unwrap();
    let id = creds[0]["client_id"].as_str().unwrap().to_string();
    let secret = creds[0]["client_secret"].as_str().unwrap().to_string();
    const TOKENS: usize = 3;
    for _ in 0..TOKENS {
        let r = token(&t, &id, &secret, "https://orders.example.com/").await;
        assert_eq!(r.status(), 200);
    }
    let bad = token(&t, &id, "not-the-secret", "https://orders.example.com/").await;
    assert_eq!(bad.status(), 401);

    let run = t
        .m2mctl(&[
            "usage",
            "--days",
            "7",
            "--format",
            "json",
            "--plan",
            "unused.yaml",
        ])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let app = |key: &str| {
        report["applications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .cloned()
            .unwrap()
    };
    let worker = app("worker");
    assert_eq!(worker["client_id"], id.as_str());
    assert_eq!(worker["tokens"], TOKENS);
    assert_eq!(worker["failures"], 1);
    assert_eq!(worker["unused"], false);
    assert_eq!(worker["grants"][0]["tokens"], TOKENS);
    let idle = app("idle");
    assert_eq!(
        (idle["tokens"].as_u64(), idle["unused"].as_bool()),
        (Some(0), Some(true))
    );
    assert_eq!(idle["grants"][0]["unused"], true);
    assert!(
        report["retention_note"]
            .as_str()
            .unwrap()
            .contains("Enterprise 30 d")
    );

    let text = t.m2mctl(&["usage", "--days", "7"]).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("UNUSED"), "{}", text.stdout);

    let edited = std::fs::read_to_string(t.dir().join("unused.yaml")).unwrap();
    assert!(!edited.contains("nobody has asked"), "{edited}");
    assert!(edited.contains("  - name: idle\n"), "{edited}");
    assert_eq!(
        edited.matches("- api: https://orders.example.com/").count(),
        1,
        "{edited}"
    );
    let plan = t.m2mctl(&["plan", "-f", "unused.yaml"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains("grant.idle -> https://orders.example.com/ will be deleted"),
        "{}",
        plan.stdout
    );
}
