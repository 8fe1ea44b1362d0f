//! `/api/v2/clients`: list, get, create, patch (metadata merge, null deletes), delete (cascading
//! to grants; 204 for unknown ids), rotate-secret.
//!
//! Owns client semantics and which fields each scope may read (403 when `fields` names one the
//! token may not read). Must not touch the socket or the
//! file; it mutates the tenant under the lock and awaits the commit.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::app::{AppState, Edit};
use super::auth::Bearer;
use super::body::{self, Field, Kind, f, n, s};
use super::defaults;
use super::error::{ApiError, json_response};
use super::ids;
use super::list::{self, Fields, Page, QueryParams, View};
use super::table::Record;

/// Auth0's `app_type` values.
pub(super) const APP_TYPES: &[&str] = &[
    "native",
    "spa",
    "regular_web",
    "non_interactive",
    "resource_server",
    "express_configuration",
    "rms",
    "box",
    "cloudbees",
    "concur",
    "dropbox",
    "mscrm",
    "echosign",
    "egnyte",
    "newrelic",
    "office365",
    "salesforce",
    "sentry",
    "sharepoint",
    "slack",
    "springcm",
    "zendesk",
    "zoom",
    "sso_integration",
    "oag",
];
const AUTH_METHODS: &[&str] = &["none", "client_secret_post", "client_secret_basic"];
/// Readable only with `read:client_keys` or `read:client_credentials`.
const KEY_FIELDS: &[&str] = &[
    "client_secret",
    "encryption_key",
    "signing_keys",
    "client_authentication_methods",
];
/// All that `read:client_summary` alone shows.
const SUMMARY_FIELDS: &[&str] = &["client_id", "app_type", "name", "description"];
const READ: &[&str] = &[
    "read:clients",
    "read:client_keys",
    "read:client_credentials",
    "read:client_summary",
];
const UPDATE: &[&str] = &[
    "update:clients",
    "update:client_keys",
    "update:client_credentials",
    "update:client_token_vault_privileged_access",
];
const NAME: Kind = Kind::Str {
    min: 1,
    max: usize::MAX,
    no_angle: true,
};
const URLS: Kind = Kind::Array;

macro_rules! client_fields {
    ($($extra:expr),*) => {
        &[
            f("name", NAME), n("description", s(140)), n("logo_uri", s(2048)), f("callbacks", URLS),
            f("allowed_origins", URLS), f("web_origins", URLS), f("client_aliases", URLS),
            f("allowed_clients", URLS), f("allowed_logout_urls", URLS), n("oidc_logout", Kind::Object),
            n("oidc_backchannel_logout", Kind::Object), n("session_transfer", Kind::Object),
            f("grant_types", Kind::Strings { unique: true, item_max: 200 }),
            n("token_endpoint_auth_method", Kind::Enum(AUTH_METHODS)),
            f("is_token_endpoint_ip_header_trusted", Kind::Bool), f("app_type", Kind::Enum(APP_TYPES)),
            f("is_first_party", Kind::Bool), f("oidc_conformant", Kind::Bool),
            f("jwt_configuration", Kind::Object), n("encryption_key", Kind::Object), f("sso", Kind::Bool),
            f("cross_origin_authentication", Kind::Bool), f("cross_origin_auth", Kind::Bool),
            n("cross_origin_loc", s(2048)), f("sso_disabled", Kind::Bool),
            f("custom_login_page_on", Kind::Bool), n("custom_login_page", Kind::Any),
            n("custom_login_page_preview", Kind::Any), n("form_template", Kind::Any),
            n("addons", Kind::Object), f("client_metadata", Kind::Metadata), n("mobile", Kind::Object),
            n("initiate_login_uri", s(2048)), n("native_social_login", Kind::Object),
            n("refresh_token", Kind::Object), n("default_organization", Kind::Object),
            n("organization_usage", Kind::Enum(&["deny", "allow", "require"])),
            n("organization_require_behavior", Kind::Enum(&["no_prompt", "pre_login_prompt", "post_login_prompt"])),
            n("organization_discovery_methods", Kind::Array), n("client_authentication_methods", Kind::Object),
            f("require_pushed_authorization_requests", Kind::Bool), f("require_proof_of_possession", Kind::Bool),
            n("signed_request_object", Kind::Object), n("compliance_level", Kind::Any),
            n("par_request_expiry", Kind::Any), n("token_quota", Kind::Object),
            n("resource_server_identifier", Kind::Any), n("express_configuration", Kind::Any),
            n("async_approval_notification_channels", Kind::Any),
            n("skip_non_verifiable_callback_uri_confirmation_prompt", Kind::Any),
            n("third_party_security_mode", Kind::Any), n("redirection_policy", Kind::Any),
            n("my_organization_configuration", Kind::Any), n("token_exchange", Kind::Any),
            n("fedcm_login", Kind::Object), n("token_vault_privileged_access", Kind::Object),
            n("identity_assertion_authorization_grant", Kind::Object)
            $(, $extra)*
        ]
    };
}
const CREATE_FIELDS: &[Field] = client_fields!();
const PATCH_FIELDS: &[Field] = client_fields!(f(
    "client_secret",
    Kind::Str {
        min: 1,
        max: 1024,
        no_angle: false
    }
));

fn visibility(bearer: &Bearer) -> (&'static [&'static str], Option<&'static [&'static str]>) {
    if bearer.has("read:client_keys") || bearer.has("read:client_credentials") {
        (&[], None)
    } else if bearer.has("read:clients") {
        (KEY_FIELDS, None)
    } else {
        (KEY_FIELDS, Some(SUMMARY_FIELDS))
    }
}

/// What the token may read of a client, after refusing a `fields` list that names a field it
/// may not read: Auth0 hides key fields only when they are not asked for.
fn readable(
    bearer: &Bearer,
    fields: Option<&Fields>,
) -> Result<(&'static [&'static str], Option<&'static [&'static str]>), ApiError> {
    let (hidden, only) = visibility(bearer);
    if fields.is_some_and(|f| hidden.iter().any(|k| f.requests(k))) {
        return Err(ApiError::forbidden_fields());
    }
    Ok((hidden, only))
}

fn not_found() -> ApiError {
    ApiError::not_found("inexistent_client", "The client does not exist")
}

/// `GET /api/v2/clients`.
pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(READ)?;
    let q = QueryParams::parse(
        raw.as_deref(),
        &[
            "fields",
            "include_fields",
            "page",
            "per_page",
            "include_totals",
            "from",
            "take",
            "is_global",
            "is_first_party",
            "app_type",
            "q",
            "external_client_id",
        ],
    )?;
    let search = ClientSearch::parse(q.get("q"))?;
    let external = q.get("external_client_id").map(str::to_string);
    let page = Page::from_query(&q, true, 0)?;
    let fields = Fields::from_query(&q)?;
    let is_global = q.bool("is_global")?;
    let is_first_party = q.bool("is_first_party")?;
    let app_types = q.list("app_type");
    if let Some(bad) = app_types.iter().find(|t| !APP_TYPES.contains(t)) {
        return Err(ApiError::invalid_query(format!(
            "'No enum match for: \"{bad}\"' on property app_type."
        )));
    }
    let (hidden, only) = readable(&bearer, fields.as_ref())?;
    let tenant = app.read();
    let filter = |r: &Record| {
        is_global.is_none_or(|g| r.bool("global").unwrap_or(false) == g)
            && is_first_party.is_none_or(|g| r.bool("is_first_party").unwrap_or(false) == g)
            && (app_types.is_empty() || r.str("app_type").is_some_and(|t| app_types.contains(&t)))
            && external
                .as_deref()
                .is_none_or(|e| r.str("external_client_id") == Some(e))
            && search.is_none_or(|s| s.matches(&tenant, r))
    };
    let filtered = is_global.is_some()
        || is_first_party.is_some()
        || !app_types.is_empty()
        || external.is_some()
        || search.is_some();
    let view = list::viewer(fields.as_ref(), hidden, only);
    let filter_ref: Option<&dyn Fn(&Record) -> bool> = if filtered { Some(&filter) } else { None };
    Ok(list::respond(
        &tenant.clients,
        filter_ref,
        page,
        "clients",
        view,
    ))
}

/// The `q` of `GET /clients`: Auth0 accepts only these two Lucene terms (research D6).
#[derive(Debug, Clone, Copy)]
enum ClientSearch<'q> {
    /// `client_grant.organization_id:org_…`: clients granted for that organization.
    Organization(&'q str),
    /// `client_grant.allow_any_organization:true`.
    AnyOrganization,
}

impl<'q> ClientSearch<'q> {
    fn parse(q: Option<&'q str>) -> Result<Option<ClientSearch<'q>>, ApiError> {
        let Some(q) = q else {
            return Ok(None);
        };
        match q.split_once(':') {
            Some(("client_grant.organization_id", org)) if !org.is_empty() => {
                Ok(Some(ClientSearch::Organization(org)))
            }
            Some(("client_grant.allow_any_organization", "true")) => {
                Ok(Some(ClientSearch::AnyOrganization))
            }
            _ => Err(ApiError::invalid_query(
                "'q' supports only `client_grant.organization_id:<id>` and `client_grant.allow_any_organization:true`.",
            )),
        }
    }

    /// Whether client `r` has a grant matching the search: associated with the organization
    /// (`/organizations/{id}/client-grants`), or open to any organization.
    fn matches(self, tenant: &crate::emulator::store::Tenant, r: &Record) -> bool {
        let id = r.str("client_id");
        let org = match self {
            ClientSearch::Organization(org) => tenant.organizations.get(org),
            ClientSearch::AnyOrganization => None,
        };
        tenant
            .grants
            .find(|g| {
                g.str("client_id") == id
                    && match self {
                        ClientSearch::Organization(_) => {
                            org.zip(g.str("id")).is_some_and(|(org, grant)| {
                                super::organizations::is_associated(org, grant)
                            })
                        }
                        ClientSearch::AnyOrganization => {
                            g.bool("allow_any_organization") == Some(true)
                        }
                    }
            })
            .is_some()
    }
}

/// `GET /api/v2/clients/{id}`.
pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(READ)?;
    let q = QueryParams::parse(raw.as_deref(), &["fields", "include_fields"])?;
    let fields = Fields::from_query(&q)?;
    let (hidden, only) = readable(&bearer, fields.as_ref())?;
    let tenant = app.read();
    let record = tenant.clients.get(&id).ok_or_else(not_found)?;
    Ok(list::one(View {
        obj: &record.obj,
        fields: fields.as_ref(),
        hidden,
        only,
    }))
}

/// `POST /api/v2/clients` (201 with the secret).
pub(super) async fn create(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["create:clients"])?;
    let sent = body::parse(&bytes)?;
    body::check(&sent, CREATE_FIELDS, &["name"], 0)?;
    let client_id = ids::client_id();
    let mut client = defaults::new_client(
        &client_id,
        &ids::client_secret(),
        Some(app.signer().signing_keys()),
        &sent,
    );
    // Public keys sent inline become the client's credentials, in the same request (as Auth0).
    let inline = super::credentials::inline(&sent, &client_id)?;
    let credentials = match inline {
        Some((stored, methods)) => {
            client.insert("client_authentication_methods".into(), methods);
            stored
        }
        None => Vec::new(),
    };
    let response = json_response(StatusCode::CREATED, &View::whole(&client));
    app.update(|tenant| {
        let seq = tenant.next_seq();
        tenant.clients.push(seq, client);
        for credential in credentials {
            let seq = tenant.next_seq();
            tenant.credentials.push(seq, credential);
        }
        Ok(Edit::Changed(response))
    })
    .await
}

/// `PATCH /api/v2/clients/{id}`.
pub(super) async fn patch(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(UPDATE)?;
    let sent = body::parse(&bytes)?;
    body::check(&sent, PATCH_FIELDS, &[], 0)?;
    app.update(|tenant| {
        let record = tenant.clients.get_mut(&id).ok_or_else(not_found)?;
        let mut updated = record.obj.clone();
        for (key, value) in sent {
            match (key.as_str(), value) {
                ("client_metadata", Value::Object(patch)) => {
                    let mut merged = match updated.get("client_metadata") {
                        Some(Value::Object(m)) => m.clone(),
                        _ => Map::new(),
                    };
                    for (k, v) in patch {
                        if v.is_null() {
                            merged.shift_remove(&k);
                        } else {
                            merged.insert(k, v);
                        }
                    }
                    if merged.len() > 10 {
                        return Err(ApiError::invalid_body(format!(
                            "'Too many properties defined ({}), maximum 10' on property client_metadata.",
                            merged.len()
                        )));
                    }
                    updated.insert(key, Value::Object(merged));
                }
                (_, Value::Null) => {
                    updated.shift_remove(&key);
                }
                (_, value) => {
                    updated.insert(key, value);
                }
            }
        }
        let response = json_response(StatusCode::OK, &View::whole(&updated));
        record.obj = updated;
        Ok(Edit::Changed(response))
    })
    .await
}

/// `DELETE /api/v2/clients/{id}` (204, also for unknown ids; its grants go too).
pub(super) async fn delete(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["delete:clients"])?;
    app.update(|tenant| {
        if tenant.clients.get(&id).and_then(|c| c.bool("global")) == Some(true) {
            return Err(ApiError::not_supported(
                "The global client cannot be deleted",
            ));
        }
        Ok(Edit::deleted(tenant.delete_client(&id)))
    })
    .await
}

/// `POST /api/v2/clients/{id}/rotate-secret` (200 with the new secret).
pub(super) async fn rotate_secret(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["update:client_keys"])?;
    app.update(|tenant| {
        let record = tenant.clients.get_mut(&id).ok_or_else(not_found)?;
        if record.obj.contains_key("client_authentication_methods") {
            return Err(ApiError::not_supported(
                "Cannot rotate the secret of a client that uses client_authentication_methods",
            ));
        }
        record
            .obj
            .insert("client_secret".into(), ids::client_secret().into());
        let response = json_response(StatusCode::OK, &View::whole(&record.obj));
        Ok(Edit::Changed(response))
    })
    .await
    .inspect(|_| app.propagation.rotated(&id))
}
