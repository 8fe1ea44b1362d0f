//! Seeding the messy tenant of the export tests through the real Management API: same-named
//! apps, scopes in odd orders, an API with a custom lifetime, a Management API grant, metadata,
//! a non-M2M app with a grant (the global client comes with every tenant); and the checks every
//! export test shares (no secret, the shape of the exported config).

use m2mctl::model::RemoteState;
use serde_json::{Value, json};

use crate::support::Tenant;

/// A seeded tenant and what the test must check afterwards.
pub(crate) struct Seeded {
    /// Client secrets of every seeded client (must never appear in an export).
    pub secrets: Vec<String>,
    /// Client ids of the objects that must stay byte-for-byte untouched (web app, global).
    pub untouched: Vec<String>,
    /// Number of M2M applications an export adopts.
    pub m2m: usize,
}

/// Management API calls with the bootstrap app's token.
pub(crate) struct Api<'t> {
    t: &'t Tenant,
    token: String,
}

impl<'t> Api<'t> {
    pub(crate) async fn new(t: &'t Tenant) -> Api<'t> {
        let token = t.management_token().await;
        Api { t, token }
    }

    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let url = format!("{}/api/v2/{path}", self.t.base_url());
        let mut request = self.t.http().request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// The whole tenant as `plan` sees it (one page each is enough for a small tenant).
    pub(crate) async fn read_state(&self) -> RemoteState {
        RemoteState {
            clients: list(self.get("clients?per_page=100").await),
            grants: list(self.get("client-grants?per_page=100").await),
            apis: list(self.get("resource-servers?per_page=100").await),
        }
    }

    /// A client as Auth0 returns it plus its grants, for before/after comparisons.
    pub(crate) async fn snapshot(&self, client_id: &str) -> Value {
        json!({
            "client": self.get(&format!("clients/{client_id}")).await,
            "grants": self.get(&format!("client-grants?client_id={client_id}")).await,
        })
    }

    /// [`Api::snapshot`] of each client, in order.
    pub(crate) async fn snapshots(&self, client_ids: &[String]) -> Vec<Value> {
        let mut all = Vec::with_capacity(client_ids.len());
        for id in client_ids {
            all.push(self.snapshot(id).await);
        }
        all
    }

    /// Asserts that each client (and its grants) is exactly as in `before`.
    pub(crate) async fn assert_unchanged(&self, client_ids: &[String], before: &[Value]) {
        for (id, before) in client_ids.iter().zip(before) {
            assert_eq!(&self.snapshot(id).await, before, "{id} changed");
        }
    }

    pub(crate) async fn m2m(&self, body: Value, secrets: &mut Vec<String>) -> String {
        let mut body = body;
        body["app_type"] = json!("non_interactive");
        body["grant_types"] = json!(["client_credentials"]);
        if body.get("token_endpoint_auth_method").is_none() {
            body["token_endpoint_auth_method"] = json!("client_secret_post");
        }
        let created = self.post("clients", body).await;
        secrets.push(created["client_secret"].as_str().expect("secret").into());
        created["client_id"].as_str().expect("id").into()
    }

    pub(crate) async fn grant(&self, client_id: &str, audience: &str, scope: &[&str]) {
        self.post(
            "client-grants",
            json!({"client_id": client_id, "audience": audience, "scope": scope}),
        )
        .await;
    }
}

fn list<T: serde::de::DeserializeOwned>(value: Value) -> Vec<T> {
    serde_json::from_value(value).expect("list shape")
}

pub(crate) const ORDERS: &str = "https://orders.example.com/";
pub(crate) const STOCK: &str = "https://stock.example.com/";

/// Seeds the messy tenant.
pub(crate) async fn seed(t: &Tenant) -> Seeded {
    let api = Api::new(t).await;
    let mut secrets = vec![t.client_secret()];
    let scope = |v: &str, d: &str| json!({"value": v, "description": d});
    api.post(
        "resource-servers",
        json!({
            "identifier": ORDERS, "name": "Orders API", "token_lifetime": 7200,
            "scopes": [scope("write:orders", "Write orders"), scope("read:orders", "Read orders"),
                       scope("delete:orders", "Delete orders")],
        }),
    )
    .await;
    api.post(
        "resource-servers",
        json!({
            "identifier": STOCK, "name": "Stock API",
            "scopes": [scope("read:stock", "Read stock"), scope("adjust:stock", "")],
        }),
    )
    .await;
    let mgmt = t.management_audience();

    let reporter_a = api.m2m(json!({"name": "Reporter"}), &mut secrets).await;
    let reporter_b = api
        .m2m(
            json!({"name": "Reporter", "description": "EU reports, ${NOT_A_VAR}"}),
            &mut secrets,
        )
        .await;
    let billing = api
        .m2m(
            json!({"name": "Billing Worker", "description": "Nightly billing",
                   "client_metadata": {"team": "billing", "tier": "gold"}}),
            &mut secrets,
        )
        .await;
    let ops = api
        .m2m(
            json!({"name": "Ops Bot", "token_endpoint_auth_method": "client_secret_basic"}),
            &mut secrets,
        )
        .await;
    api.grant(&reporter_a, ORDERS, &["write:orders", "read:orders"])
        .await;
    api.grant(&reporter_b, STOCK, &["read:stock", "adjust:stock"])
        .await;
    api.grant(&reporter_b, ORDERS, &["read:orders"]).await;
    api.grant(&billing, ORDERS, &["read:orders"]).await;
    api.grant(
        &ops,
        &mgmt,
        &["read:users", "read:clients", "update:clients"],
    )
    .await;

    let web = api
        .post(
            "clients",
            json!({
                "name": "Storefront", "app_type": "regular_web",
                "grant_types": ["authorization_code", "refresh_token"],
                "callbacks": ["https://shop.example.com/callback"],
            }),
        )
        .await;
    secrets.push(web["client_secret"].as_str().expect("secret").into());
    let web_id = web["client_id"].as_str().expect("id").to_string();
    api.grant(&web_id, STOCK, &["read:stock"]).await;
    let state = api.read_state().await;
    let global = state
        .clients
        .iter()
        .find(|c| c.global)
        .expect("global client");
    Seeded {
        secrets,
        untouched: vec![web_id, global.client_id.clone()],
        m2m: 4,
    }
}

/// Asserts that no seeded secret occurs in `text`.
pub(crate) fn assert_no_secret(seeded: &Seeded, text: &str) {
    for secret in &seeded.secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a client secret leaked:\n{text}"
        );
    }
}

pub(crate) fn assert_shape(text: &str) {
    assert!(
        text.starts_with("# yaml-language-server: $schema="),
        "{text}"
    );
    let loaded =
        m2mctl::config::load_str("export", text, &m2mctl::config::Vars::empty()).expect("valid");
    let desired = &loaded.desired;
    let reporters: Vec<_> = desired
        .applications
        .iter()
        .filter(|a| a.name == "Reporter")
        .collect();
    assert_eq!(reporters.len(), 2);
    assert_ne!(reporters[0].key, reporters[1].key);
    assert!(
        reporters
            .iter()
            .all(|a| a.key.starts_with("reporter-") && a.client_id.is_some())
    );
    let eu = reporters
        .iter()
        .find(|a| a.description.is_some())
        .expect("described twin");
    assert_eq!(eu.description.as_deref(), Some("EU reports, ${NOT_A_VAR}"));
    let orders = desired
        .apis
        .iter()
        .find(|a| a.identifier == ORDERS)
        .expect("orders");
    assert_eq!(orders.token_lifetime, Some(7200));
    assert_eq!(text.matches("token_lifetime: 7200").count(), 1, "{text}");
    let values: Vec<&str> = orders.scopes.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(values, ["delete:orders", "read:orders", "write:orders"]);
    let billing = desired
        .applications
        .iter()
        .find(|a| a.name == "Billing Worker")
        .expect("billing");
    assert_eq!(
        billing.metadata.get("tier").map(String::as_str),
        Some("gold")
    );
    let ops = desired
        .applications
        .iter()
        .find(|a| a.name == "Ops Bot")
        .expect("ops");
    assert_eq!(
        ops.auth_method,
        m2mctl::model::AuthMethod::ClientSecretBasic
    );
    assert_eq!(ops.grants[0].api, m2mctl::model::ApiRef::Management);
    assert!(desired.applications.iter().all(|a| a.name != "Storefront"));
}
