//! Seeds an emulator tenant the way `apply` would (APIs, marked clients, grants) through the
//! Management API over real HTTPS, so the `token` tests do not depend on `apply`.

use serde_json::{Value, json};

use crate::support;

/// The project of the test config (part of the ownership marker).
pub(super) const PROJECT: &str = "tokentest";

/// A Management API session as the emulator's bootstrap client.
pub(super) struct Seeder {
    base: String,
    http: reqwest::Client,
    bearer: String,
}

/// A created application.
#[derive(Debug, Clone)]
pub(super) struct App {
    pub client_id: String,
    pub client_secret: String,
}

impl Seeder {
    /// A session as the tenant's bootstrap client (all Management API scopes).
    pub(super) async fn new(tenant: &support::Tenant) -> Seeder {
        Seeder {
            base: tenant.base_url().trim_end_matches('/').to_string(),
            http: tenant.http(),
            bearer: tenant.management_token().await,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.bearer);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let reply = req.send().await.unwrap();
        let status = reply.status();
        let text = reply.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// `POST /api/v2/resource-servers`.
    pub(super) async fn api(&self, identifier: &str, scopes: &[&str], lifetime: u32) {
        let scopes: Vec<Value> = scopes
            .iter()
            .map(|s| json!({"value": s, "description": s}))
            .collect();
        let body = json!({
            "identifier": identifier, "name": identifier, "scopes": scopes,
            "token_lifetime": lifetime, "token_lifetime_for_web": lifetime,
            "signing_alg": "RS256",
        });
        self.call(
            reqwest::Method::POST,
            "/api/v2/resource-servers",
            Some(body),
        )
        .await;
    }

    /// `POST /api/v2/clients` with the ownership marker `PROJECT:key`.
    pub(super) async fn app(&self, key: &str, name: &str, auth_method: &str) -> App {
        let body = json!({
            "name": name, "app_type": "non_interactive",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": auth_method,
            "client_metadata": {"m2mctl": format!("{PROJECT}:{key}")},
        });
        let client = self
            .call(reqwest::Method::POST, "/api/v2/clients", Some(body))
            .await;
        App {
            client_id: client["client_id"].as_str().unwrap().to_string(),
            client_secret: client["client_secret"].as_str().unwrap().to_string(),
        }
    }

    /// `POST /api/v2/client-grants`; returns the grant id.
    pub(super) async fn grant(&self, client_id: &str, audience: &str, scopes: &[&str]) -> String {
        let body = json!({"client_id": client_id, "audience": audience, "scope": scopes});
        let grant = self
            .call(reqwest::Method::POST, "/api/v2/client-grants", Some(body))
            .await;
        grant["id"].as_str().unwrap().to_string()
    }

    /// `PATCH /api/v2/client-grants/{id}`: changes a grant behind m2mctl's back.
    pub(super) async fn set_grant_scopes(&self, id: &str, scopes: &[&str]) {
        let body = json!({"scope": scopes});
        self.call(
            reqwest::Method::PATCH,
            &format!("/api/v2/client-grants/{id}"),
            Some(body),
        )
        .await;
    }

    /// `PATCH /api/v2/resource-servers/{identifier}` (Auth0 accepts the encoded identifier).
    pub(super) async fn patch_api(&self, identifier: &str, body: Value) {
        let id: String = url::form_urlencoded::byte_serialize(identifier.as_bytes()).collect();
        let path = format!("/api/v2/resource-servers/{id}");
        self.call(reqwest::Method::PATCH, &path, Some(body)).await;
    }

    /// `PATCH /api/v2/clients/{id}`.
    pub(super) async fn patch_client(&self, id: &str, body: Value) {
        self.call(
            reqwest::Method::PATCH,
            &format!("/api/v2/clients/{id}"),
            Some(body),
        )
        .await;
    }

    /// `DELETE /api/v2/client-grants/{id}`.
    pub(super) async fn delete_grant(&self, id: &str) {
        self.call(
            reqwest::Method::DELETE,
            &format!("/api/v2/client-grants/{id}"),
            None,
        )
        .await;
    }

    /// The Management API audience of this tenant.
    pub(super) fn management(&self) -> String {
        format!("{}/api/v2/", self.base)
    }
}

/// The test config: two APIs, two applications (one per auth method), four grants; with
/// `unapplied`, a third application that is not in the tenant.
pub(super) fn config_yaml(unapplied: bool) -> String {
    let extra = if unapplied { UNAPPLIED } else { "" };
    format!(
        r#"version: 1
project: {PROJECT}
tenant:
  domain: ${{AUTH0_DOMAIN:-local}}
apis:
  - identifier: https://orders.example.com/
    name: Orders API
    token_lifetime: 3600
    scopes:
      - value: read:orders
      - value: write:orders
  - identifier: https://reports.example.com/
    name: Reports API
    token_lifetime: 7200
    scopes:
      - value: read:reports
applications:
  - name: Billing Worker
    key: billing
    grants:
      - api: https://orders.example.com/
        scopes: [read:orders, write:orders]
      - api: management
        scopes: [read:clients]
  - name: reporter
    token_endpoint_auth_method: client_secret_basic
    grants:
      - api: https://reports.example.com/
        scopes: [read:reports]
      - api: https://orders.example.com/
        scopes: [read:orders]
{extra}"#
    )
}

const UNAPPLIED: &str = "  - name: not-yet-applied
    grants:
      - api: https://orders.example.com/
        scopes: [read:orders]
";

/// What [`seed`] created.
pub(super) struct Seeded {
    pub billing: App,
    pub reporter: App,
    /// The grant of `billing` on the orders API.
    pub billing_orders_grant: String,
}

/// Creates what `apply` would for [`config_yaml`], except the `not-yet-applied` application.
pub(super) async fn seed(s: &Seeder) -> Seeded {
    s.api(
        "https://orders.example.com/",
        &["read:orders", "write:orders"],
        3600,
    )
    .await;
    s.api("https://reports.example.com/", &["read:reports"], 7200)
        .await;
    let billing = s
        .app("billing", "Billing Worker", "client_secret_post")
        .await;
    let reporter = s.app("reporter", "reporter", "client_secret_basic").await;
    let billing_orders_grant = s
        .grant(
            &billing.client_id,
            "https://orders.example.com/",
            &["read:orders", "write:orders"],
        )
        .await;
    s.grant(&billing.client_id, &s.management(), &["read:clients"])
        .await;
    s.grant(
        &reporter.client_id,
        "https://reports.example.com/",
        &["read:reports"],
    )
    .await;
    s.grant(
        &reporter.client_id,
        "https://orders.example.com/",
        &["read:orders"],
    )
    .await;
    Seeded {
        billing,
        reporter,
        billing_orders_grant,
    }
}
