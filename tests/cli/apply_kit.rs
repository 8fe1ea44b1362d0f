//! Helpers of the apply tests: generated configs, raw Management API calls with the bootstrap
//! app's token, the writes a tenant received, and the secrets it holds (to prove none leaked).

use serde_json::Value;

use crate::support::{Run, Tenant};

/// The custom API every generated config declares.
pub(crate) const ORDERS: &str = "https://orders.example.com/";

/// One generated application.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub key: String,
    pub name: String,
    /// `(api, scopes)`; `api` may be `management`.
    pub grants: Vec<(String, Vec<String>)>,
}

impl App {
    /// An app with one `read:orders` grant.
    pub(crate) fn new(key: &str, name: &str) -> App {
        App {
            key: key.into(),
            name: name.into(),
            grants: vec![(ORDERS.into(), vec!["read:orders".into()])],
        }
    }
}

/// `n` apps `app000…` with alternating grants.
pub(crate) fn apps(n: usize) -> Vec<App> {
    (0..n)
        .map(|i| {
            let mut app = App::new(&format!("app{i:03}"), &format!("service {i:03}"));
            if i % 2 == 1 {
                app.grants[0].1.push("write:orders".into());
            }
            app
        })
        .collect()
}

/// A config on `${AUTH0_DOMAIN}` with the orders API and `apps`.
pub(crate) fn config(project: &str, apps: &[App]) -> String {
    let mut y = format!(
        "version: 1\nproject: {project}\ntenant:\n  domain: ${{AUTH0_DOMAIN}}\napis:\n  - identifier: {ORDERS}\n    name: Orders API\n    token_lifetime: 3600\n    scopes:\n      - value: read:orders\n        description: Read orders\n      - value: write:orders\n        description: Write orders\napplications:\n"
    );
    for a in apps {
        y.push_str(&format!("  - name: {}\n    key: {}\n", a.name, a.key));
        if !a.grants.is_empty() {
            y.push_str("    grants:\n");
        }
        for (api, scopes) in &a.grants {
            y.push_str(&format!(
                "      - api: {api}\n        scopes: [{}]\n",
                scopes.join(", ")
            ));
        }
    }
    y
}

/// Writes `m2mctl.yaml` in the tenant's working directory.
pub(crate) fn write_config(t: &Tenant, text: &str) {
    std::fs::write(t.dir().join("m2mctl.yaml"), text).expect("write config");
}

/// A raw Management API call with the bootstrap app's token: status and body text.
pub(crate) async fn call(
    t: &Tenant,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let token = t.management_token().await;
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = t
        .http()
        .request(method, format!("{}{path}", t.base_url()))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Creates a client as another tool would; returns its id.
pub(crate) async fn seed_client(t: &Tenant, body: Value) -> String {
    let (status, text) = call(t, "POST", "/api/v2/clients", Some(body)).await;
    assert_eq!(status, 201, "{text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["client_id"].as_str().expect("id").to_string()
}

/// An M2M client holding these Management API scopes: `(client_id, client_secret)`.
pub(crate) async fn limited_client(t: &Tenant, name: &str, scopes: &[&str]) -> (String, String) {
    let id = seed_client(
        t,
        serde_json::json!({"name": name, "app_type": "non_interactive",
        "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_post"}),
    )
    .await;
    let body =
        serde_json::json!({"client_id": id, "audience": t.management_audience(), "scope": scopes});
    let (status, text) = call(t, "POST", "/api/v2/client-grants", Some(body)).await;
    assert_eq!(status, 201, "{text}");
    let secret = clients(t)
        .await
        .into_iter()
        .find(|c| c["client_id"] == id.as_str())
        .and_then(|c| c["client_secret"].as_str().map(str::to_string))
        .expect("secret");
    (id, secret)
}

/// `GET /api/v2/clients/{id}` as raw bytes (for byte-for-byte comparisons).
pub(crate) async fn raw_client(t: &Tenant, id: &str) -> String {
    let (status, text) = call(t, "GET", &format!("/api/v2/clients/{id}"), None).await;
    assert_eq!(status, 200, "{text}");
    text
}

/// All clients (secrets included: the bootstrap token has `read:client_keys`).
pub(crate) async fn clients(t: &Tenant) -> Vec<Value> {
    let (status, text) = call(t, "GET", "/api/v2/clients?per_page=100&page=0", None).await;
    assert_eq!(status, 200, "{text}");
    let mut all: Vec<Value> = serde_json::from_str(&text).expect("json");
    let mut page = 1;
    while all.len() == 100 * page {
        let path = format!("/api/v2/clients?per_page=100&page={page}");
        let (_, text) = call(t, "GET", &path, None).await;
        let more: Vec<Value> = serde_json::from_str(&text).expect("json");
        all.extend(more);
        page += 1;
    }
    all
}

/// All client grants.
pub(crate) async fn grants(t: &Tenant) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 0.. {
        let path = format!("/api/v2/client-grants?per_page=100&page={page}");
        let (status, text) = call(t, "GET", &path, None).await;
        assert_eq!(status, 200, "{text}");
        let more: Vec<Value> = serde_json::from_str(&text).expect("json");
        let done = more.len() < 100;
        all.extend(more);
        if done {
            break;
        }
    }
    all
}

/// Write requests (`POST`/`PATCH`/`DELETE` on `/api/v2`) the tenant counted, with counts.
pub(crate) async fn writes(t: &Tenant) -> Vec<(String, u64)> {
    let stats = t.stats().await;
    let map = stats["by_route"].as_object().cloned().unwrap_or_default();
    map.into_iter()
        .filter(|(k, _)| {
            ["POST /api/v2", "PATCH /api/v2", "DELETE /api/v2"]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .map(|(k, v)| (k, v.as_u64().unwrap_or(0)))
        .collect()
}

/// The writes of one apply that took the lease, without the lease's own create and delete
/// (m2mctl never deletes APIs: the one `DELETE /resource-servers` is the lease's release).
pub(crate) async fn plan_writes(t: &Tenant) -> Vec<(String, u64)> {
    let mut w = writes(t).await;
    for lease in [
        "POST /api/v2/resource-servers 201",
        "DELETE /api/v2/resource-servers/{id} 204",
    ] {
        let at = w.iter().position(|(k, _)| k == lease);
        let at = at.unwrap_or_else(|| panic!("no lease write `{lease}` in {w:?}"));
        w[at].1 -= 1;
        if w[at].1 == 0 {
            w.remove(at);
        }
    }
    w
}

/// Fails when any client secret of the tenant (or the bootstrap secret) appears in `run`.
pub(crate) async fn assert_no_secret(t: &Tenant, run: &Run) {
    let mut secrets: Vec<String> = clients(t)
        .await
        .iter()
        .filter_map(|c| c["client_secret"].as_str().map(str::to_string))
        .collect();
    secrets.push(t.client_secret());
    for s in secrets.iter().filter(|s| s.len() >= 16) {
        assert!(
            !run.stdout.contains(s.as_str()),
            "a client secret is on stdout"
        );
        assert!(
            !run.stderr.contains(s.as_str()),
            "a client secret is on stderr"
        );
    }
}

/// Clients carrying `project`'s marker, by key (to find duplicates).
pub(crate) fn marked(clients: &[Value], project: &str) -> Vec<(String, String)> {
    let prefix = format!("{project}:");
    let mut out: Vec<(String, String)> = clients
        .iter()
        .filter_map(|c| {
            let m = c["client_metadata"]["m2mctl"].as_str()?;
            let key = m.strip_prefix(&prefix)?;
            Some((key.to_string(), c["client_id"].as_str()?.to_string()))
        })
        .collect();
    out.sort();
    out
}
