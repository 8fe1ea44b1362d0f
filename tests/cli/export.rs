//! `m2mctl export` round trip against a messy seeded emulator tenant: same-named apps, scopes in
//! odd orders, an API with a custom lifetime, a Management API grant, metadata, a non-M2M app,
//! the global client. Export → validate → the first plan is adoptions only.

use m2mctl::export::{self, Check, ExportOptions, Header};
use m2mctl::model::{Domain, RemoteState};
use m2mctl::plan::PlanOptions;
use serde_json::{Value, json};

use crate::support::Tenant;

/// A seeded tenant and what the test must check afterwards.
pub struct Seeded {
    /// Client secrets of every seeded client (must never appear in an export).
    pub secrets: Vec<String>,
    /// Client ids of the objects that must stay byte-for-byte untouched (web app, global).
    pub untouched: Vec<String>,
    /// Number of M2M applications an export adopts.
    pub m2m: usize,
}

/// Management API calls with the bootstrap app's token.
pub struct Api<'t> {
    t: &'t Tenant,
    token: String,
}

impl<'t> Api<'t> {
    pub async fn new(t: &'t Tenant) -> Api<'t> {
        let token = t.management_token().await;
        Api { t, token }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// The whole tenant as `plan` sees it (one page each is enough for a small tenant).
    pub async fn read_state(&self) -> RemoteState {
        RemoteState {
            clients: list(self.get("clients?per_page=100").await),
            grants: list(self.get("client-grants?per_page=100").await),
            apis: list(self.get("resource-servers?per_page=100").await),
        }
    }

    /// A client as Auth0 returns it plus its grants, for before/after comparisons.
    pub async fn snapshot(&self, client_id: &str) -> Value {
        json!({
            "client": self.get(&format!("clients/{client_id}")).await,
            "grants": self.get(&format!("client-grants?client_id={client_id}")).await,
        })
    }

    async fn m2m(&self, body: Value, secrets: &mut Vec<String>) -> String {
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

    async fn grant(&self, client_id: &str, audience: &str, scope: &[&str]) {
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

pub const ORDERS: &str = "https://orders.example.com/";
pub const STOCK: &str = "https://stock.example.com/";

/// Seeds the messy tenant.
pub async fn seed(t: &Tenant) -> Seeded {
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
pub fn assert_no_secret(seeded: &Seeded, text: &str) {
    for secret in &seeded.secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a client secret leaked:\n{text}"
        );
    }
}

#[tokio::test]
async fn export_of_a_messy_tenant_validates_and_plans_adoptions_only() {
    let t = Tenant::start().await;
    let seeded = seed(&t).await;
    let api = Api::new(&t).await;
    let remote = api.read_state().await;
    let options = ExportOptions {
        self_client_id: Some(t.client_id()),
        ..ExportOptions::new(Domain::Remote(t.auth0_domain()))
    };
    let built = export::build(&remote, &options);
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
    let header = Header {
        tenant: t.auth0_domain(),
        exported_at: "2025-01-02T03:04:05Z".into(),
    };
    let text = export::render(&built, &header).expect("render");
    assert_no_secret(&seeded, &text);
    assert!(
        !text.contains(&t.client_id()),
        "m2mctl's own client is not exported"
    );
    for id in &seeded.untouched {
        assert!(
            !text.contains(id.as_str()),
            "{id} must not be exported:\n{text}"
        );
    }
    let plan_options = PlanOptions {
        self_client_id: Some(t.client_id()),
        ..PlanOptions::default()
    };
    let check = export::check(&text, &remote, &plan_options);
    let Check::Planned { adoptions, extra } = &check else {
        panic!("{check:?}");
    };
    assert_eq!((*adoptions, extra.as_slice()), (seeded.m2m, &[][..]));

    std::fs::write(t.dir().join("m2mctl.yaml"), &text).expect("write");
    let run = t.m2mctl(&["validate"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("4 applications, 2 APIs, 5 grants"),
        "{}",
        run.stdout
    );
    assert_shape(&text);
}

/// The exported config keeps twins apart, writes lifetimes once per API, escapes `${`.
pub fn assert_shape(text: &str) {
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

#[tokio::test]
async fn export_command_writes_a_valid_file_and_never_overwrites_without_force() {
    let t = Tenant::start().await;
    let seeded = seed(&t).await;
    let api = Api::new(&t).await;
    let mut before = Vec::new();
    for id in &seeded.untouched {
        before.push(api.snapshot(id).await);
    }

    let run = t.m2mctl(&["export"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let text = std::fs::read_to_string(t.dir().join("m2mctl.yaml")).expect("written");
    assert_shape(&text);
    assert_no_secret(&seeded, &format!("{text}{}{}", run.stdout, run.stderr));
    let header = text.lines().nth(2).expect("header line");
    assert!(header.starts_with("# Exported by m2mctl "), "{header}");
    assert!(
        header.contains(&format!("from tenant `{}`", t.auth0_domain())),
        "{header}"
    );
    let stamp = header
        .rsplit(" at ")
        .next()
        .expect("time")
        .trim_end_matches('.');
    assert!(
        time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339).is_ok(),
        "{stamp}"
    );
    assert!(
        run.stderr
            .contains("exported 4 applications (4 to adopt), 2 APIs, 5 grants"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the first plan adopts 4 applications and changes nothing else"),
        "{}",
        run.stderr
    );
    let valid = t.m2mctl(&["validate"]).await;
    assert_eq!(valid.code, 0, "{}", valid.stderr);

    // An existing file is refused before any request, and left as it was.
    std::fs::write(t.dir().join("m2mctl.yaml"), "mine\n").expect("write");
    t.reset_stats().await;
    let again = t.m2mctl(&["export"]).await;
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("`m2mctl.yaml` already exists"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(t.dir().join("m2mctl.yaml")).expect("read"),
        "mine\n"
    );
    assert_eq!(
        t.stats().await["total"].as_u64().expect("total"),
        0,
        "no request before the refusal"
    );

    let forced = t.m2mctl(&["export", "--force"]).await;
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let rewritten = std::fs::read_to_string(t.dir().join("m2mctl.yaml")).expect("read");
    assert_eq!(
        body(&rewritten),
        body(&text),
        "deterministic apart from the time"
    );

    let stdout = t.m2mctl(&["export", "-o", "-"]).await;
    assert_eq!(stdout.code, 0, "{}", stdout.stderr);
    assert_eq!(body(&stdout.stdout), body(&text));
    assert!(stdout.stderr.contains("to stdout"), "{}", stdout.stderr);
    let leftovers: Vec<_> = std::fs::read_dir(t.dir())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    for (id, before) in seeded.untouched.iter().zip(before) {
        assert_eq!(api.snapshot(id).await, before, "{id} changed");
    }
}

/// The file without its header comment (which holds the export time).
fn body(text: &str) -> &str {
    text.split_once("\n\n").map_or(text, |(_, body)| body)
}

#[tokio::test]
async fn tenant_values_the_config_rejects_are_written_with_diagnostics_and_exit_1() {
    let t = Tenant::start().await;
    let api = Api::new(&t).await;
    let metadata: serde_json::Map<String, Value> =
        (0..10).map(|i| (format!("k{i}"), json!("v"))).collect();
    let mut secrets = Vec::new();
    api.m2m(
        json!({"name": "Crowded", "client_metadata": metadata}),
        &mut secrets,
    )
    .await;
    let run = t.m2mctl(&["export", "-o", "out.yaml"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("metadata keys"), "{}", run.stderr);
    assert!(
        run.stderr.contains("the exported config does not validate"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(t.dir().join("out.yaml")).expect("written anyway");
    assert!(text.contains("k9: v"), "{text}");
    assert!(!text.contains(&secrets[0]), "{text}");
}

#[tokio::test]
async fn bad_output_and_project_fail_before_any_request() {
    let t = Tenant::start().await;
    t.reset_stats().await;
    let run = t.m2mctl(&["export", "-o", "missing/dir/m.yaml"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("directory `missing/dir` does not exist"),
        "{}",
        run.stderr
    );
    let run = t.m2mctl(&["export", "--project", "a:b"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("invalid project name `a:b`"),
        "{}",
        run.stderr
    );
    assert_eq!(t.stats().await["total"].as_u64().expect("total"), 0);
}
