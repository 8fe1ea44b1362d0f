//! 2026 tenant shapes through the binary, on an emulator started from a state file written with
//! the shape: the My Account API listed before the Management API, a user-access grant beside a
//! client grant of the same (application, API), a private-key-JWT M2M client exported and adopted,
//! an SPA carrying grants, and a grant with organization settings (exported, kept when the config
//! is silent, managed when it sets them). Each ends with an empty plan and, where tokens apply,
//! `--verify`.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{self, Run, Tenant};

/// A TLS emulator loaded from a state file that `shape` edited (given the file's domain), plus the
/// directory holding that file.
struct Shaped {
    tenant: Tenant,
    _state: tempfile::TempDir,
}

impl Shaped {
    async fn start(shape: impl FnOnce(&mut Value, &str)) -> Shaped {
        let state = tempfile::tempdir().expect("temp dir");
        let path: PathBuf = state.path().join("state.json");
        let first = Tenant::with(support::Options {
            state: Some(path.clone()),
            ..support::Options::default()
        })
        .await;
        first.shutdown().await;
        let mut file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let domain = file["domain"].as_str().unwrap().to_string();
        shape(&mut file, &domain);
        std::fs::write(&path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
        let tenant = Tenant::with(support::Options {
            tls: true,
            state: Some(path),
            ..support::Options::default()
        })
        .await;
        Shaped {
            tenant,
            _state: state,
        }
    }

    fn config(&self, yaml: &str) {
        std::fs::write(self.tenant.dir().join("m2mctl.yaml"), yaml).unwrap();
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.tenant.m2mctl(args).await
    }

    /// `GET /api/v2/{path}` with the bootstrap app's token.
    async fn get(&self, path: &str) -> Value {
        let token = self.tenant.management_token().await;
        let response = self
            .tenant
            .http()
            .get(format!("{}/api/v2/{path}", self.tenant.base_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// `{method} /api/v2/{path}` with a JSON body; returns the parsed answer.
    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let token = self.tenant.management_token().await;
        let response = self
            .tenant
            .http()
            .request(method, format!("{}/api/v2/{path}", self.tenant.base_url()))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// The raw text of every grant of a client, by id (as the Management API serves them).
    async fn grants_of(&self, client_id: &str) -> Vec<Value> {
        let all = self
            .get(&format!("client-grants?client_id={client_id}"))
            .await;
        all.as_array().unwrap().clone()
    }

    /// Asserts `plan --detailed-exitcode` finds nothing to do.
    async fn assert_plan_empty(&self) {
        let plan = self.run(&["plan", "--detailed-exitcode"]).await;
        assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    }
}

fn text(run: &Run) -> String {
    format!("exit {}\n{}\n{}", run.code, run.stdout, run.stderr)
}

/// Adds a record to one of the state file's tables, at `index` (`None`: at the end).
fn insert(file: &mut Value, table: &str, index: Option<usize>, record: Value) {
    let rows = file[table].as_array_mut().expect("table");
    rows.insert(index.unwrap_or(rows.len()), record);
}

/// Auth0's My Account API as 2026 tenants hold it: a second system API.
fn my_account_api(domain: &str) -> Value {
    json!({
        "id": "6650b1a1f0e4a2c3d4e5f601",
        "name": "Auth0 My Account API",
        "identifier": format!("https://{domain}/me/"),
        "is_system": true,
        "allow_offline_access": false,
        "skip_consent_for_verifiable_first_party_clients": false,
        "token_lifetime": 600,
        "token_lifetime_for_web": 600,
        "signing_alg": "RS256",
        "scopes": [{"value": "read:me:authentication_methods", "description": "Read authentication methods"}]
    })
}

const ORDERS: &str = "https://orders.shapes.example/";

fn orders_api() -> Value {
    json!({
        "id": "6650b1a1f0e4a2c3d4e5f602",
        "name": "Orders",
        "identifier": ORDERS,
        "allow_offline_access": false,
        "token_lifetime": 86400,
        "signing_alg": "RS256",
        "scopes": [{"value": "read:orders", "description": "Read orders"}, {"value": "write:orders", "description": "Write orders"}]
    })
}

fn config(extra_orders_scope: bool) -> String {
    let scopes = if extra_orders_scope {
        "[read:orders, write:orders]"
    } else {
        "[read:orders]"
    };
    format!(
        "version: 1\nproject: shapes\ntenant:\n  domain: ${{AUTH0_DOMAIN}}\napis:\n  - identifier: {ORDERS}\n    external: true\napplications:\n  - name: worker\n    grants:\n      - api: management\n        scopes: [read:clients]\n      - api: {ORDERS}\n        scopes: {scopes}\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn my_account_api_listed_first_does_not_hide_the_management_api() {
    let t = Shaped::start(|file, domain| {
        insert(file, "resource_servers", Some(0), my_account_api(domain));
        insert(file, "resource_servers", None, orders_api());
    })
    .await;
    let listed = t.get("resource-servers").await;
    assert_eq!(listed[0]["name"], "Auth0 My Account API", "{listed}");
    t.config(&config(false));
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    t.assert_plan_empty().await;

    let run = t
        .run(&[
            "token",
            "worker",
            "--api",
            "management",
            "--verify",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", text(&run));
    let tokens: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(tokens.len(), 1, "{}", run.stdout);
    let want = format!("https://{}/api/v2/", t.tenant.domain());
    assert_eq!(tokens[0]["audience"], want.as_str(), "{}", run.stdout);
    assert!(run.stderr.contains("verified 1 token"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_grant_beside_the_client_grant_survives_apply_byte_for_byte() {
    let t = Shaped::start(|file, domain| {
        insert(file, "resource_servers", Some(0), my_account_api(domain));
        insert(file, "resource_servers", None, orders_api());
    })
    .await;
    t.config(&config(false));
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    let clients = t.get("clients?fields=client_id,name").await;
    let worker = clients
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "worker")
        .expect("worker")["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = t
        .send(
            reqwest::Method::POST,
            "client-grants",
            json!({"client_id": worker, "audience": ORDERS, "scope": ["read:orders"], "subject_type": "user"}),
        )
        .await;
    // The client grant gets organization settings from elsewhere (the Dashboard): kept as is.
    let client_grant = t
        .grants_of(&worker)
        .await
        .into_iter()
        .find(|g| g["audience"] == ORDERS && g["subject_type"] == "client")
        .expect("client grant");
    let id = client_grant["id"].as_str().unwrap();
    t.send(
        reqwest::Method::PATCH,
        &format!("client-grants/{id}"),
        json!({"organization_usage": "allow", "allow_any_organization": true}),
    )
    .await;
    let before = t.grants_of(&worker).await;
    t.assert_plan_empty().await;

    t.config(&config(true));
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    let after = t.grants_of(&worker).await;
    let by_id = |list: &[Value], id: &Value| list.iter().find(|g| g["id"] == *id).cloned();
    assert_eq!(
        by_id(&after, &user["id"]).map(|g| g.to_string()),
        by_id(&before, &user["id"]).map(|g| g.to_string()),
        "the user grant changed"
    );
    let updated = by_id(&after, &client_grant["id"]).expect("client grant");
    assert_eq!(updated["scope"], json!(["read:orders", "write:orders"]));
    assert_eq!(updated["organization_usage"], "allow");
    assert_eq!(updated["allow_any_organization"], true);
    t.assert_plan_empty().await;
}

/// A machine-to-machine client authenticating with a private key JWT, as Auth0 serves it: the
/// credential by id only, and no `token_endpoint_auth_method`.
fn signer(domain: &str, file: &mut Value) {
    let methods =
        json!({"private_key_jwt": {"credentials": [{"id": "cred_1a2b3c4d5e6f7g8h9i0j"}]}});
    insert(
        file,
        "clients",
        None,
        json!({
            "tenant": "local", "global": false, "name": "Signer", "client_id": "SignerClient0000000000000000000A",
            "client_secret": "not-used-by-a-private-key-jwt-client-000000000000000000000000000",
            "app_type": "non_interactive", "grant_types": ["client_credentials"],
            "is_first_party": true, "oidc_conformant": true,
            "jwt_configuration": {"alg": "RS256", "lifetime_in_seconds": 36000, "secret_encoded": false},
            "client_authentication_methods": methods
        }),
    );
    insert(
        file,
        "client_grants",
        None,
        json!({"id": "cgr_signer0000000001", "client_id": "SignerClient0000000000000000000A",
            "audience": format!("https://{domain}/api/v2/"), "scope": ["read:clients"], "subject_type": "client"}),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_key_jwt_client_is_exported_and_adopted_without_changing_its_auth_method() {
    let t = Shaped::start(|file, domain| signer(domain, file)).await;
    let original = t.get("clients/SignerClient0000000000000000000A").await;
    let export = t.run(&["export", "--project", "shapes"]).await;
    assert_eq!(export.code, 0, "{}", text(&export));
    let yaml = std::fs::read_to_string(t.tenant.dir().join("m2mctl.yaml")).unwrap();
    assert!(
        yaml.contains("client_id: SignerClient0000000000000000000A"),
        "{yaml}"
    );
    assert!(!yaml.contains("token_endpoint_auth_method"), "{yaml}");

    let plan = t.run(&["plan"]).await;
    assert_eq!(plan.code, 0, "{}", text(&plan));
    let shown = text(&plan);
    assert!(shown.contains("private_key_jwt"), "{shown}");
    assert!(!shown.contains("token_endpoint_auth_method"), "{shown}");
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    t.assert_plan_empty().await;

    let adopted = t.get("clients/SignerClient0000000000000000000A").await;
    assert_eq!(
        adopted["client_authentication_methods"],
        original["client_authentication_methods"]
    );
    assert!(
        adopted.get("token_endpoint_auth_method").is_none(),
        "{adopted}"
    );
    assert_eq!(adopted["client_metadata"]["m2mctl"], "shapes:signer");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_spa_carrying_grants_is_never_exported_nor_touched() {
    let spa_id = "SpaClient000000000000000000000AA";
    let t = Shaped::start(|file, domain| {
        insert(file, "resource_servers", Some(0), my_account_api(domain));
        insert(file, "resource_servers", None, orders_api());
        insert(
            file,
            "clients",
            None,
            json!({"tenant": "local", "global": false, "name": "worker", "client_id": spa_id,
                "app_type": "spa", "token_endpoint_auth_method": "none", "oidc_conformant": true,
                "grant_types": ["authorization_code", "implicit", "refresh_token"],
                "callbacks": ["https://app.shapes.example/callback"]}),
        );
        for (id, audience, subject) in [
            ("cgr_spa0000000000001", ORDERS.to_string(), "client"),
            (
                "cgr_spa0000000000002",
                format!("https://{domain}/me/"),
                "user",
            ),
        ] {
            insert(
                file,
                "client_grants",
                None,
                json!({"id": id, "client_id": spa_id, "audience": audience,
                    "scope": ["read:orders"], "subject_type": subject}),
            );
        }
    })
    .await;
    let spa_before = t.get(&format!("clients/{spa_id}")).await;
    let grants_before = t.grants_of(spa_id).await;
    let export = t.run(&["export", "-o", "-"]).await;
    assert_eq!(export.code, 0, "{}", text(&export));
    assert!(!export.stdout.contains(spa_id), "{}", export.stdout);

    // A managed app named like the SPA is refused rather than taking the SPA over.
    t.config(&config(false));
    let refused = t.run(&["plan"]).await;
    assert_ne!(refused.code, 0, "{}", text(&refused));
    assert!(text(&refused).contains(spa_id), "{}", text(&refused));
    t.config(&config(false).replace("name: worker", "name: backend"));
    let applied = t.run(&["apply", "--auto-approve", "--prune"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    t.assert_plan_empty().await;
    assert_eq!(t.get(&format!("clients/{spa_id}")).await, spa_before);
    assert_eq!(t.grants_of(spa_id).await, grants_before);
}

/// An M2M client whose grant to the orders API requires an organization (set in the Dashboard),
/// as a 2026 tenant serves it.
fn partner(file: &mut Value) {
    insert(file, "resource_servers", None, orders_api());
    insert(
        file,
        "clients",
        None,
        json!({
            "tenant": "local", "global": false, "name": "Partner sync",
            "client_id": "PartnerClient000000000000000000A",
            "client_secret": "partner-secret-0000000000000000000000000000000000000000000000000",
            "app_type": "non_interactive", "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_post", "is_first_party": true
        }),
    );
    insert(
        file,
        "client_grants",
        None,
        json!({"id": "cgr_partner000000001", "client_id": "PartnerClient000000000000000000A",
            "audience": ORDERS, "scope": ["read:orders"], "organization_usage": "require",
            "allow_any_organization": false, "subject_type": "client"}),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn grants_with_organization_settings_are_exported_kept_and_managed() {
    let t = Shaped::start(|file, _| partner(file)).await;
    let grant = || async { t.get("client-grants/cgr_partner000000001").await };
    let export = t.run(&["export", "--project", "shapes"]).await;
    assert_eq!(export.code, 0, "{}", text(&export));
    let path = t.tenant.dir().join("m2mctl.yaml");
    let yaml = std::fs::read_to_string(&path).unwrap();
    assert!(yaml.contains("organization_usage: require"), "{yaml}");
    assert!(!yaml.contains("allow_any_organization"), "{yaml}");
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    t.assert_plan_empty().await;
    let before = grant().await;
    assert_eq!(before["organization_usage"], "require", "{before}");

    // Without the keys the config does not manage them: no diff, the tenant's values stay.
    let unmanaged = yaml.replace("    organization_usage: require\n", "");
    assert_ne!(unmanaged, yaml);
    std::fs::write(&path, &unmanaged).unwrap();
    t.assert_plan_empty().await;
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    assert_eq!(grant().await, before);

    // Managed: `allow` with any organization, sent in the grant's PATCH.
    let managed = yaml.replace(
        "    organization_usage: require\n",
        "    organization_usage: allow\n    allow_any_organization: true\n",
    );
    std::fs::write(&path, &managed).unwrap();
    let plan = t.run(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(plan.code, 2, "{}", text(&plan));
    assert!(
        plan.stdout
            .contains(r#"organization_usage: "require" -> "allow""#),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("allow_any_organization: false -> true"),
        "{}",
        plan.stdout
    );
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    let after = grant().await;
    assert_eq!(after["organization_usage"], "allow", "{after}");
    assert_eq!(after["allow_any_organization"], true, "{after}");
    assert_eq!(after["scope"], before["scope"]);
    t.assert_plan_empty().await;
}
