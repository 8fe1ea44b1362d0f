//! Seeding a tenant with many managed applications through the real Management API, and the
//! config that matches them (so that a plan right after is empty).
//!
//! Shared by the integration tests (`support::seed`) and the benchmark (`examples/bench/`
//! includes this file by path), so it depends only on crates both have: reqwest, serde_json,
//! futures. Must not assert: it returns errors as strings.

use std::fmt::Write as _;

use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

/// What to create.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    /// The config's `project` (owner part of the ownership marker).
    pub project: String,
    /// Managed M2M applications.
    pub apps: usize,
    /// Custom APIs; application `i` is granted API `i % apis`.
    pub apis: usize,
    /// Requests in flight while seeding.
    pub concurrency: usize,
}

impl Shape {
    /// `apps` applications, each with one grant, over `apis` APIs, project `bench`.
    pub(crate) fn new(apps: usize, apis: usize) -> Shape {
        Shape {
            project: "bench".into(),
            apps,
            apis: apis.max(1),
            concurrency: 16,
        }
    }

    /// Identifier of custom API `i`.
    pub(crate) fn api_identifier(&self, i: usize) -> String {
        format!("https://api-{i:03}.bench.example/")
    }

    /// Key (and name) of application `i`.
    pub(crate) fn app_key(&self, i: usize) -> String {
        format!("app-{i:05}")
    }

    /// The config that matches what [`seed`] creates; `domain` is written as is (e.g.
    /// `${AUTH0_DOMAIN}` or `local`).
    pub(crate) fn config_yaml(&self, domain: &str) -> String {
        self.config_yaml_with(domain, |_| false)
    }

    /// Scopes of application `i`'s grant: `read:data`, plus `write:data` when `widened(i)`.
    pub(crate) fn grant_scopes(&self, i: usize, widened: impl Fn(usize) -> bool) -> &'static str {
        if widened(i) {
            "[read:data, write:data]"
        } else {
            "[read:data]"
        }
    }

    /// [`Shape::config_yaml`] where the grants of the applications `widened` picks also get
    /// `write:data` (a change of those grants, nothing else).
    pub(crate) fn config_yaml_with(&self, domain: &str, widened: impl Fn(usize) -> bool) -> String {
        let mut y = format!(
            "version: 1\nproject: {}\ntenant:\n  domain: {domain}\nsettings:\n  max_deletes: 5\napis:\n",
            self.project
        );
        for i in 0..self.apis {
            let _ = write!(
                y,
                "  - identifier: {}\n    name: Bench API {i}\n    scopes:\n      - value: read:data\n        description: Read data\n      - value: write:data\n        description: Write data\n",
                self.api_identifier(i)
            );
        }
        y.push_str("applications:\n");
        for i in 0..self.apps {
            let key = self.app_key(i);
            let _ = write!(
                y,
                "  - name: {key}\n    grants:\n      - api: {}\n        scopes: {}\n",
                self.api_identifier(i % self.apis),
                self.grant_scopes(i, &widened)
            );
        }
        y
    }
}

/// A Management API endpoint with a bearer token.
#[derive(Clone)]
pub(crate) struct Api {
    /// HTTP client (trusting the tenant's certificate if needed).
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT` or `https://…`.
    pub base_url: String,
    /// Management API token with create scopes.
    pub token: String,
}

impl Api {
    /// `POST {path}` with a JSON body; the created object.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let r = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let status = r.status();
        let text = r.text().await.map_err(|e| format!("POST {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("POST {path}: {e}"))
    }
}

/// What [`seed`] created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seeded {
    /// Applications created.
    pub apps: usize,
    /// Grants created.
    pub grants: usize,
    /// APIs created.
    pub apis: usize,
}

/// Creates the APIs, then the applications with their ownership marker and one grant each,
/// `shape.concurrency` requests at a time.
pub(crate) async fn seed(api: &Api, shape: &Shape) -> Result<Seeded, String> {
    let limit = shape.concurrency.max(1);
    futures::stream::iter(0..shape.apis)
        .map(|i| {
            let body = json!({
                "identifier": shape.api_identifier(i),
                "name": format!("Bench API {i}"),
                "scopes": [
                    {"value": "read:data", "description": "Read data"},
                    {"value": "write:data", "description": "Write data"},
                ],
            });
            async move { api.post("/api/v2/resource-servers", &body).await }
        })
        .buffer_unordered(limit)
        .try_collect::<Vec<_>>()
        .await?;
    futures::stream::iter(0..shape.apps)
        .map(|i| async move {
            let key = shape.app_key(i);
            let client = api
                .post(
                    "/api/v2/clients",
                    &json!({
                        "name": key,
                        "app_type": "non_interactive",
                        "grant_types": ["client_credentials"],
                        "token_endpoint_auth_method": "client_secret_post",
                        "client_metadata": {(m2mctl::model::MARKER_KEY): format!("{}:{key}", shape.project)},
                    }),
                )
                .await?;
            let client_id = client["client_id"].as_str().ok_or("no client_id")?;
            let grant = json!({
                "client_id": client_id,
                "audience": shape.api_identifier(i % shape.apis),
                "scope": ["read:data"],
            });
            api.post("/api/v2/client-grants", &grant).await
        })
        .buffer_unordered(limit)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(Seeded {
        apps: shape.apps,
        grants: shape.apps,
        apis: shape.apis,
    })
}
