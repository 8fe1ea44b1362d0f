//! The objects a real tenant holds and the defaults Auth0 fills in on create (research/auth0-api.md
//! §2.3, §3.3, §4.2, §4.4).
//!
//! Owns the shapes of new clients, grants and resource servers. Must not validate input or store
//! anything; the endpoint modules do.

use serde_json::{Map, Value, json};

use crate::scopes::{MANAGEMENT_API_SCOPES, management_scope_description};

/// The `tenant` field of clients.
pub const TENANT_NAME: &str = "local";
/// Name of the system resource server.
pub const MANAGEMENT_API_NAME: &str = "Auth0 Management API";
/// `token_lifetime` default of resource servers.
pub const DEFAULT_TOKEN_LIFETIME: u64 = 86_400;

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A client created through `POST /clients`: Auth0's defaults (with the tenant's `signing_keys`),
/// then the sent fields on top.
pub fn new_client(
    client_id: &str,
    secret: &str,
    signing_keys: Option<&Value>,
    body: &Map<String, Value>,
) -> Map<String, Value> {
    let mut client = object(json!({
        "tenant": TENANT_NAME,
        "global": false,
        "is_token_endpoint_ip_header_trusted": false,
        "name": "",
        "client_id": client_id,
        "client_secret": secret,
        "is_first_party": true,
        "oidc_conformant": false,
        "callback_url_template": false,
        "sso_disabled": false,
        "cross_origin_authentication": false,
        "grant_types": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
        "custom_login_page_on": true,
        "refresh_token": {
            "rotation_type": "non-rotating",
            "expiration_type": "non-expiring",
            "leeway": 0,
            "token_lifetime": 2_592_000,
            "infinite_token_lifetime": true,
            "infinite_idle_token_lifetime": true,
            "idle_token_lifetime": 1_296_000
        }
    }));
    // A sent `jwt_configuration` replaces the default and gets only `secret_encoded` added.
    let jwt = match body.get("jwt_configuration") {
        Some(Value::Object(sent)) => {
            let mut jwt = object(json!({ "secret_encoded": false }));
            jwt.extend(sent.clone());
            jwt
        }
        _ => object(json!({ "secret_encoded": false, "lifetime_in_seconds": 36000 })),
    };
    client.insert("jwt_configuration".into(), Value::Object(jwt));
    if let Some(keys) = signing_keys {
        client.insert("signing_keys".into(), keys.clone());
    }
    public_and_third_party_defaults(&mut client, body);
    for (key, value) in body {
        if key != "jwt_configuration" && !value.is_null() {
            client.insert(key.clone(), value.clone());
        }
    }
    client
}

/// Grant types of a public client (SPA, native, `token_endpoint_auth_method: none`): no client
/// credentials ([TF] TestAccClientSkipPrompt, TestAccClientMobile, TestAccDataClients).
const PUBLIC_GRANT_TYPES: [&str; 3] = ["authorization_code", "implicit", "refresh_token"];

/// What Auth0 changes in a new client's defaults (before the sent fields go on top) for a SPA or
/// native app (`token_endpoint_auth_method: none`, no client-credentials grant) and for a
/// third-party app (OIDC conformant, `third_party_security_mode: permissive`, expiring refresh
/// tokens, rotating for a public one), as the 2025/26 recordings show.
fn public_and_third_party_defaults(client: &mut Map<String, Value>, body: &Map<String, Value>) {
    let sent_str = |k: &str| body.get(k).and_then(Value::as_str);
    if matches!(sent_str("app_type"), Some("spa" | "native"))
        && !body.contains_key("token_endpoint_auth_method")
    {
        client.insert("token_endpoint_auth_method".into(), "none".into());
    }
    let public = client
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        == Some(crate::auth0::AUTH_NONE)
        || sent_str("token_endpoint_auth_method") == Some(crate::auth0::AUTH_NONE);
    if public {
        client.insert("grant_types".into(), json!(PUBLIC_GRANT_TYPES));
    }
    if body.get("is_first_party").and_then(Value::as_bool) == Some(false) {
        client.insert("oidc_conformant".into(), true.into());
        client.insert("third_party_security_mode".into(), "permissive".into());
        if let Some(Value::Object(refresh)) = client.get_mut("refresh_token") {
            refresh.insert("expiration_type".into(), "expiring".into());
            refresh.insert("infinite_idle_token_lifetime".into(), false.into());
            if public {
                refresh.insert("rotation_type".into(), "rotating".into());
                refresh.insert("infinite_token_lifetime".into(), false.into());
            }
        }
    }
}

/// The bootstrap M2M app, as the Dashboard's "Create & Authorize a Test Client" makes it.
pub fn bootstrap_client(
    client_id: &str,
    secret: &str,
    signing_keys: Option<&Value>,
) -> Map<String, Value> {
    let body = object(json!({
        "name": format!("{MANAGEMENT_API_NAME} (Test Application)"),
        "app_type": "non_interactive",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_post",
        "oidc_conformant": true,
        "jwt_configuration": { "alg": "RS256", "lifetime_in_seconds": 36000 }
    }));
    new_client(client_id, secret, signing_keys, &body)
}

/// The tenant's global client (`global: true`), present in every real tenant.
pub fn global_client(
    client_id: &str,
    secret: &str,
    signing_keys: Option<&Value>,
) -> Map<String, Value> {
    let mut client = object(json!({
        "tenant": TENANT_NAME,
        "global": true,
        "name": "All Applications",
        "client_id": client_id,
        "client_secret": secret,
        "is_first_party": true,
        "callbacks": [],
        "is_token_endpoint_ip_header_trusted": false,
        "oidc_conformant": false,
        "callback_url_template": false,
        "sso_disabled": false,
        "cross_origin_authentication": false,
        "custom_login_page_on": true,
        "jwt_configuration": { "secret_encoded": false, "lifetime_in_seconds": 36000 }
    }));
    if let Some(keys) = signing_keys {
        client.insert("signing_keys".into(), keys.clone());
    }
    client
}

/// Fields every resource server gets when they are not sent.
pub fn resource_server_defaults() -> Map<String, Value> {
    object(json!({
        "allow_offline_access": false,
        "skip_consent_for_verifiable_first_party_clients": false,
        "subject_type_authorization": {
            "user": { "policy": "allow_all" },
            "client": { "policy": "require_client_grant" }
        },
        "token_lifetime": DEFAULT_TOKEN_LIFETIME,
        "token_lifetime_for_web": 7200,
        "signing_alg": "RS256"
    }))
}

/// A resource server created through `POST /resource-servers`.
pub fn new_resource_server(id: &str, body: &Map<String, Value>) -> Map<String, Value> {
    let mut rs = Map::new();
    rs.insert("id".into(), id.into());
    if let Some(name) = body.get("name") {
        rs.insert("name".into(), name.clone());
    }
    if let Some(identifier) = body.get("identifier") {
        rs.insert("identifier".into(), identifier.clone());
    }
    rs.extend(resource_server_defaults());
    for (key, value) in body {
        if !value.is_null() {
            rs.insert(key.clone(), value.clone());
        }
    }
    rs
}

/// The system Management API resource server of a tenant at `domain`.
pub fn management_api(id: &str, domain: &str) -> Map<String, Value> {
    let scopes: Vec<Value> = MANAGEMENT_API_SCOPES
        .iter()
        .map(|s| json!({ "value": s, "description": management_scope_description(s) }))
        .collect();
    let mut rs = object(json!({
        "id": id,
        "name": MANAGEMENT_API_NAME,
        "identifier": management_audience(domain),
        "is_system": true,
    }));
    rs.extend(resource_server_defaults());
    rs.insert("scopes".into(), Value::Array(scopes));
    rs
}

/// `https://{domain}/api/v2/`.
pub fn management_audience(domain: &str) -> String {
    crate::auth0::management_identifier(domain)
}

/// A client grant as Auth0 returns it: sent fields in Auth0's key order, `subject_type` defaulted.
pub fn new_grant(id: &str, body: &Map<String, Value>) -> Map<String, Value> {
    let mut grant = Map::new();
    grant.insert("id".into(), id.into());
    for key in [
        "client_id",
        "default_for",
        "audience",
        "scope",
        "organization_usage",
        "allow_any_organization",
    ] {
        if let Some(value) = body.get(key).filter(|v| !v.is_null()) {
            grant.insert(key.into(), value.clone());
        }
    }
    if !grant.contains_key("scope") {
        grant.insert("scope".into(), Value::Array(Vec::new()));
    }
    let subject = body.get("subject_type").cloned().unwrap_or("client".into());
    grant.insert("subject_type".into(), subject);
    for key in ["authorization_details_types", "allow_all_scopes"] {
        if let Some(value) = body.get(key).filter(|v| !v.is_null()) {
            grant.insert(key.into(), value.clone());
        }
    }
    grant
}

/// The Management API grant of the bootstrap app: every scope.
pub fn bootstrap_grant(id: &str, client_id: &str, domain: &str) -> Map<String, Value> {
    object(json!({
        "id": id,
        "client_id": client_id,
        "audience": management_audience(domain),
        "scope": MANAGEMENT_API_SCOPES,
        "subject_type": "client"
    }))
}
