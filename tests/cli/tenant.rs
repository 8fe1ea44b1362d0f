//! The tenant client against the emulator over real loopback: floor request counts, TLS with
//! `--ca-cert`, typed errors without tokens, secrets and tokens, and the embedded local tenant.

use futures::StreamExt;
use m2mctl::cli::TenantArgs;
use m2mctl::commands;
use m2mctl::model::{AuthMethod, Domain};
use m2mctl::settings::{Env, TenantSettings};
use m2mctl::tenant::{self, Client, Credentials, Error, Options, Secret, TenantUrl};
use serde_json::json;

use crate::support::{Options as TenantOptions, Tenant};

/// A client authenticated as the emulator's bootstrap app (client credentials).
pub(crate) async fn client_for(t: &Tenant, options: &Options) -> Client {
    let url = TenantUrl::parse(&t.auth0_domain()).expect("domain");
    let creds = Credentials::ClientCredentials {
        client_id: t.client_id(),
        client_secret: Secret::new(t.client_secret()),
    };
    Client::connect(url, creds, options)
        .await
        .expect("connects")
}

fn m2m_client(name: &str) -> serde_json::Value {
    json!({
        "name": name,
        "app_type": "non_interactive",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_post",
        "client_metadata": { "m2mctl": format!("test:{name}") },
    })
}

fn api(identifier: &str, scopes: &[&str]) -> serde_json::Value {
    let scopes: Vec<_> = scopes
        .iter()
        .map(|s| json!({"value": s, "description": s}))
        .collect();
    json!({ "identifier": identifier, "name": identifier, "scopes": scopes })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_state_of_250_clients_and_grants_costs_exactly_the_floor() {
    let t = Tenant::start().await;
    let c = client_for(&t, &Options::default()).await;
    let orders = "https://orders.example.com/";
    c.create_api(&api(orders, &["read:orders"]))
        .await
        .expect("api");
    let created: Vec<_> = futures::stream::iter(0..248)
        .map(|i| {
            let c = c.clone();
            async move {
                let client = c
                    .create_client(&m2m_client(&format!("app-{i}")))
                    .await
                    .expect("client");
                let scopes = ["read:orders".to_string()];
                c.create_grant(&grant_body(&client.client_id, orders, &scopes))
                    .await
                    .expect("grant");
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert_eq!(created.len(), 248);

    t.reset_stats().await;
    let state = c.read_state().await.expect("read");
    assert_eq!(state.clients.len(), 250, "global + bootstrap + 248");
    assert!(state.grants.len() >= 249);
    assert!(
        state
            .apis
            .iter()
            .any(|a| a.is_system && a.identifier == t.management_audience())
    );
    assert!(
        state
            .clients
            .iter()
            .any(|c| c.marker().is_some_and(|m| m.key == "app-7"))
    );
    let floor = tenant::floor_requests(state.clients.len(), state.grants.len(), state.apis.len());
    assert_eq!(floor, 3 + 3 + 1);
    let stats = t.stats().await;
    assert_eq!(stats["total"], floor as u64, "{stats}");
    assert_eq!(stats["by_route"]["GET /api/v2/clients 200"], 3);
    assert_eq!(stats["by_route"]["GET /api/v2/client-grants 200"], 3);
    assert_eq!(stats["by_route"]["GET /api/v2/resource-servers 200"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_return_typed_objects_and_lookups_find_them() {
    let t = Tenant::start().await;
    let c = client_for(&t, &Options::default()).await;
    assert_eq!(c.self_client_id(), Some(t.client_id().as_str()));
    assert!(c.scopes().contains("create:clients") && c.scopes().contains("read:client_keys"));

    let identifier = "https://billing.example.com/v1?x=1";
    let created = c
        .create_api(&api(identifier, &["a", "b"]))
        .await
        .expect("api");
    let updated = c
        .update_api(identifier, &json!({"token_lifetime": 7200}))
        .await
        .expect("patch by identifier");
    assert_eq!(
        (updated.id.as_str(), updated.token_lifetime),
        (created.id.as_str(), Some(7200))
    );
    assert_eq!(
        c.get_api(identifier).await.expect("get").map(|a| a.id),
        Some(created.id)
    );
    assert!(
        c.get_api("https://nope.example.com/")
            .await
            .expect("get")
            .is_none()
    );

    let app = c
        .create_client(&m2m_client("billing"))
        .await
        .expect("client");
    let patched = c
        .update_client(&app.client_id, &json!({"description": "nightly"}))
        .await
        .expect("patch");
    assert_eq!(patched.description.as_deref(), Some("nightly"));
    let scopes = ["a".to_string(), "b".to_string()];
    let grant = c
        .create_grant(&grant_body(&app.client_id, identifier, &scopes))
        .await
        .expect("grant");
    let found = c
        .find_grant(&app.client_id, identifier)
        .await
        .expect("find");
    assert_eq!(
        found.as_ref().map(|g| g.id.as_str()),
        Some(grant.id.as_str())
    );
    let g2 = c
        .update_grant(&grant.id, &json!({ "scope": &scopes[..1] }))
        .await
        .expect("update grant");
    assert_eq!(g2.scope, ["a"]);
    c.delete_grant(&grant.id).await.expect("delete grant");
    assert!(
        c.find_grant(&app.client_id, identifier)
            .await
            .expect("find")
            .is_none()
    );
    c.delete_client(&app.client_id).await.expect("delete");
    c.delete_client(&app.client_id)
        .await
        .expect("delete again is fine");
    assert!(c.get_client(&app.client_id).await.expect("get").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_tokens_and_jwks_for_both_auth_methods() {
    let t = Tenant::start().await;
    let c = client_for(&t, &Options::default()).await;
    let audience = "https://orders.example.com/";
    c.create_api(&api(audience, &["read:orders", "write:orders"]))
        .await
        .expect("api");
    for method in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        let mut body = m2m_client(method.as_str());
        body["token_endpoint_auth_method"] = json!(method.as_str());
        let app = c.create_client(&body).await.expect("client");
        let scopes = ["read:orders".to_string()];
        c.create_grant(&grant_body(&app.client_id, audience, &scopes))
            .await
            .expect("grant");
        let keys = c.client_keys(&app.client_id).await.expect("keys");
        assert_eq!(keys.auth_method, Some(method));
        let token = c
            .oauth_token(&app.client_id, &keys.client_secret, audience, method)
            .await
            .expect("token");
        assert_eq!(token.scope.iter().collect::<Vec<_>>(), ["read:orders"]);
        assert!(token.expires_in > 0);
        assert!(!format!("{token:?}").contains(token.access_token.expose()));

        let wrong = Secret::new("not-the-secret");
        let err = c
            .oauth_token(&app.client_id, &wrong, audience, method)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::OAuth { status: 401, .. }), "{err}");
        assert!(!err.to_string().contains("not-the-secret"));
        let err = c
            .oauth_token(
                &app.client_id,
                &keys.client_secret,
                &t.management_audience(),
                method,
            )
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("access_denied") && text.contains('"'),
            "quoted: {text}"
        );
        assert!(!text.contains(keys.client_secret.expose()));
    }
    let jwks = c.jwks().await.expect("jwks");
    assert!(!jwks.keys.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_carry_auth0_message_code_and_help_but_never_the_token() {
    let t = Tenant::start().await;
    let c = client_for(&t, &Options::default()).await;
    let err = c
        .update_client("does-not-exist", &json!({"description": "x"}))
        .await
        .unwrap_err();
    let Error::Api {
        status,
        ref message,
        ref error_code,
        path,
        method,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        (method, path, status),
        ("PATCH", "/api/v2/clients/{id}", 404)
    );
    assert_eq!(message, "The client does not exist");
    assert_eq!(error_code.as_deref(), Some("inexistent_client"));

    // a narrow token: only read:clients on the Management API
    let reader = c
        .create_client(&m2m_client("reader"))
        .await
        .expect("client");
    let scopes = ["read:clients".to_string()];
    c.create_grant(&grant_body(
        &reader.client_id,
        &t.management_audience(),
        &scopes,
    ))
    .await
    .expect("grant");
    let secret = c.client_secret(&reader.client_id).await.expect("secret");
    let token = c
        .oauth_token(
            &reader.client_id,
            &secret,
            &t.management_audience(),
            AuthMethod::ClientSecretPost,
        )
        .await
        .expect("token");
    let url = TenantUrl::parse(&t.auth0_domain()).expect("domain");
    let narrow = Client::connect(
        url,
        Credentials::AccessToken(token.access_token.clone()),
        &Options::default(),
    )
    .await
    .expect("connect with token");
    assert_eq!(narrow.self_client_id(), Some(reader.client_id.as_str()));
    assert_eq!(narrow.scopes().iter().collect::<Vec<_>>(), ["read:clients"]);
    let err = narrow.create_client(&m2m_client("nope")).await.unwrap_err();
    let report = format!("{:?}", miette::Report::new(err));
    assert!(
        report.contains("403") && report.contains("insufficient_scope"),
        "{report}"
    );
    assert!(report.contains("create:clients"), "{report}");
    assert!(!report.contains(token.access_token.expose()));
    let err = narrow.client_keys(&reader.client_id).await.unwrap_err();
    assert!(matches!(err, Error::ClientKeys { .. }), "{err:?}");
    assert!(
        err.to_string().contains("403"),
        "Auth0 refuses the field: {err}"
    );
    let help = miette::Diagnostic::help(&err)
        .map(|h| h.to_string())
        .unwrap_or_default();
    assert!(help.contains("read:client_keys"), "{err} / {help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_needs_the_ca_cert_and_works_with_it() {
    let t = Tenant::with(TenantOptions {
        tls: true,
        ..TenantOptions::default()
    })
    .await;
    let ca = t.ca_cert_path().expect("ca").to_path_buf();
    let with_ca = Options {
        ca_cert: Some(ca),
        ..Options::default()
    };
    let c = client_for(&t, &with_ca).await;
    assert!(c.tenant().origin().starts_with("https://127.0.0.1:"));
    assert_eq!(c.read_state().await.expect("read").clients.len(), 2);

    let url = TenantUrl::parse(&t.domain()).expect("domain");
    let creds = Credentials::ClientCredentials {
        client_id: t.client_id(),
        client_secret: Secret::new(t.client_secret()),
    };
    let err = Client::connect(url, creds, &Options::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    let help = miette::Diagnostic::help(&err)
        .map(|h| h.to_string())
        .unwrap_or_default();
    assert!(help.contains("--ca-cert FILE"), "{help}");
    assert!(help.contains("M2MCTL_CA_CERT"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_tenant_starts_persists_and_closes() {
    let dir = tempfile::tempdir().expect("dir");
    let args = TenantArgs {
        ca_cert: None,
        max_rps: None,
        allow_domain_override: false,
        no_cache: true,
        timeout: m2mctl::cli::Deadline::default(),
    };
    // The settings stage, then the command layer's connect: it starts the embedded tenant.
    let settings = TenantSettings::resolve(&args, &Env::default());
    let conn = commands::connect(&Domain::Local, &settings, dir.path())
        .await
        .expect("local");
    assert!(conn.is_local());
    let first = conn.client().tenant().clone();
    let app = conn
        .client()
        .create_client(&m2m_client("kept"))
        .await
        .expect("create");
    conn.close().await.expect("close");
    assert!(dir.path().join(commands::LOCAL_STATE_FILE).is_file());

    let conn = commands::connect(&Domain::Local, &settings, dir.path())
        .await
        .expect("again");
    assert_eq!(
        conn.client().tenant(),
        &first,
        "same port again while it is free"
    );
    let state = conn.client().read_state().await.expect("read");
    assert!(state.clients.iter().any(|c| c.client_id == app.client_id));
    conn.close().await.expect("close");
}

/// The body of `POST /client-grants` for a client, an API and scopes.
fn grant_body(client_id: &str, audience: &str, scopes: &[String]) -> serde_json::Value {
    json!({ "client_id": client_id, "audience": audience, "scope": scopes })
}
