//! Least privilege from endpoints: `m2mctl scopes`, `endpoints:` on Management API grants through
//! `validate` and `plan` (the real binary against the emulator), checked against the spec.

use m2mctl::config::{self, Vars};
use m2mctl::model::ApiRef;

use crate::support::Tenant;

/// (endpoint as a user writes it, the canonical scope `management-api-oas.json` lists first).
const SPEC_CASES: &[(&str, &str)] = &[
    ("GET /api/v2/clients", "read:clients"),
    ("POST /api/v2/clients", "create:clients"),
    ("PATCH /api/v2/clients/{id}", "update:clients"),
    (
        "POST /api/v2/clients/{id}/rotate-secret",
        "update:client_keys",
    ),
    ("GET /api/v2/users", "read:users"),
    ("PATCH /api/v2/users/{id}", "update:users"),
    ("DELETE /api/v2/users/{id}", "delete:users"),
    ("GET /api/v2/client-grants", "read:client_grants"),
    ("POST /api/v2/client-grants", "create:client_grants"),
    ("GET /api/v2/resource-servers", "read:resource_servers"),
    ("GET /api/v2/roles", "read:roles"),
    ("GET /api/v2/logs", "read:logs"),
];

fn endpoints_config(domain: &str, endpoints: &[&str], scopes: &[&str]) -> String {
    let list = |items: &[&str]| {
        items
            .iter()
            .map(|e| format!("\"{e}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "version: 1\nproject: ep\ntenant:\n  domain: {domain}\napplications:\n  - name: reports\n    grants:\n      - api: management\n        scopes: [{}]\n        endpoints: [{}]\n",
        list(scopes),
        list(endpoints)
    )
}

#[test]
fn an_endpoints_grant_yields_the_spec_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m2mctl.yaml");
    let endpoints: Vec<&str> = SPEC_CASES.iter().map(|(e, _)| *e).collect();
    std::fs::write(&file, endpoints_config("local", &endpoints, &[])).unwrap();
    let loaded = config::load(&file, &Vars::empty()).expect("valid");
    let grant = &loaded.desired.applications[0].grants[0];
    assert_eq!(grant.api, ApiRef::Management);
    let mut want: Vec<&str> = SPEC_CASES.iter().map(|(_, s)| *s).collect();
    want.sort();
    want.dedup();
    let got: Vec<&str> = grant.scopes.iter().map(String::as_str).collect();
    assert_eq!(got, want);
    for ((input, scope), resolved) in SPEC_CASES.iter().zip(&grant.endpoints) {
        assert_eq!(resolved.endpoint, *input, "the spec's template");
        assert_eq!(resolved.scope, *scope, "{input}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_prints_each_endpoints_canonical_scope() {
    let t = Tenant::start().await;
    let inputs: Vec<&str> = SPEC_CASES.iter().map(|(e, _)| *e).collect();
    let mut args = vec!["scopes", "--format", "json"];
    args.extend(&inputs);
    let run = t.m2mctl(&args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let got: Vec<(&str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["endpoint"].as_str().unwrap(),
                r["scope"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, SPEC_CASES);

    let text = t.m2mctl(&["scopes", "get /users/auth0|42"]).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .starts_with("GET /api/v2/users/{id}  read:users  (also accepted: "),
        "{}",
        text.stdout
    );

    let unknown = t.m2mctl(&["scopes", "GET /api/v2/client"]).await;
    assert_eq!(unknown.code, 1);
    assert!(unknown.stdout.is_empty());
    assert!(
        unknown
            .stderr
            .contains("did you mean `GET /api/v2/clients` (Get clients)?"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_rejects_unknown_endpoints_and_endpoints_on_custom_apis() {
    let t = Tenant::start().await;
    let bad = endpoints_config("local", &["GET /api/v2/client", "PUT /api/v2/users"], &[]);
    std::fs::write(t.dir().join("m2mctl.yaml"), bad).unwrap();
    let run = t.m2mctl(&["validate"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `GET /api/v2/clients`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`/api/v2/users` allows GET, POST"),
        "{}",
        run.stderr
    );

    let custom = "version: 1\ntenant:\n  domain: local\napis:\n  - identifier: https://orders.example.com/\napplications:\n  - name: a\n    grants:\n      - api: https://orders.example.com/\n        endpoints: [\"GET /api/v2/clients\"]\n";
    std::fs::write(t.dir().join("m2mctl.yaml"), custom).unwrap();
    let run = t.m2mctl(&["validate"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("config::endpoints_not_management"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_shows_scopes_from_endpoints_and_warns_about_unneeded_ones() {
    let t = Tenant::start().await;
    let config = endpoints_config(
        "${AUTH0_DOMAIN}",
        &["GET /api/v2/users", "PATCH /api/v2/users/{id}"],
        &["read:logs", "update:users_app_metadata"],
    );
    std::fs::write(t.dir().join("m2mctl.yaml"), config).unwrap();
    let run = t.m2mctl(&["plan"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains(
            "Scopes from endpoints:\n  grant.reports -> management: GET /api/v2/users needs read:users\n  grant.reports -> management: PATCH /api/v2/users/{id} needs update:users\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("Warning: grant.reports -> management: no listed endpoint needs `read:logs`"),
        "{out}"
    );
    assert!(!out.contains("needs `update:users_app_metadata`"), "{out}");
    // The grant holds the declared scopes plus those the endpoints brought in.
    let json = t.m2mctl(&["plan", "--format", "json"]).await;
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["endpoint_scopes"][1],
        serde_json::json!({"address": "grant.reports -> management", "endpoint": "PATCH /api/v2/users/{id}", "scope": "update:users"})
    );
    let grant = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "grant")
        .expect("a grant create");
    let scope = grant["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "scope")
        .unwrap();
    assert_eq!(
        scope["after"],
        serde_json::json!([
            "read:logs",
            "read:users",
            "update:users",
            "update:users_app_metadata"
        ])
    );
}
