//! `/api/v2/resource-servers`: list (`identifiers` filter), get/patch/delete by id or URL-encoded
//! identifier, create with Auth0's defaults and 409 on a duplicate identifier. The system
//! Management API accepts only its few mutable fields and cannot be deleted.
//!
//! Owns resource-server semantics. Must not touch the socket or the file.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::app::{AppState, Edit};
use super::auth::Bearer;
use super::body::{self, Field, Kind, f, n};
use super::defaults;
use super::error::{ApiError, json_response};
use super::ids;
use super::list::{self, Fields, Page, QueryParams, View};
use super::table::Record;

const NAME: Kind = Kind::Str {
    min: 1,
    max: 200,
    no_angle: true,
};
const LIFETIME: Kind = Kind::Int {
    min: 0,
    max: 2_592_000,
};

macro_rules! rs_fields {
    ($($extra:expr),*) => {
        &[
            f("name", NAME), f("scopes", Kind::Scopes),
            f("signing_alg", Kind::Enum(&["HS256", "RS256", "RS512", "PS256"])),
            n("signing_secret", Kind::Str { min: 16, max: 1024, no_angle: false }),
            f("allow_offline_access", Kind::Bool), f("token_lifetime", LIFETIME),
            f("token_lifetime_for_web", LIFETIME),
            f("skip_consent_for_verifiable_first_party_clients", Kind::Bool),
            f("enforce_policies", Kind::Bool),
            n("token_dialect", Kind::Enum(&["access_token", "access_token_authz", "rfc9068_profile", "rfc9068_profile_authz"])),
            n("token_encryption", Kind::Object), n("consent_policy", Kind::Any),
            n("authorization_details", Kind::Array), n("proof_of_possession", Kind::Object),
            f("subject_type_authorization", Kind::Object), n("authorization_policy", Kind::Any),
            n("client_id", Kind::Any), f("allow_online_access", Kind::Bool),
            f("allow_online_access_with_ephemeral_sessions", Kind::Bool)
            $(, $extra)*
        ]
    };
}
const CREATE_FIELDS: &[Field] = rs_fields!(f(
    "identifier",
    Kind::Str {
        min: 1,
        max: 600,
        no_angle: false
    }
));
const PATCH_FIELDS: &[Field] = rs_fields!();
const SYSTEM_PATCH_FIELDS: &[Field] = &[
    f("token_lifetime", LIFETIME),
    f("token_lifetime_for_web", LIFETIME),
    f(
        "skip_consent_for_verifiable_first_party_clients",
        Kind::Bool,
    ),
    f("subject_type_authorization", Kind::Object),
];

fn not_found() -> ApiError {
    ApiError::not_found(
        "inexistent_resource_server",
        "The resource server does not exist",
    )
}

/// `GET /api/v2/resource-servers`.
pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(&["read:resource_servers"])?;
    let q = QueryParams::parse(
        raw.as_deref(),
        &[
            "identifiers",
            "page",
            "per_page",
            "include_totals",
            "include_fields",
            "fields",
        ],
    )?;
    let page = Page::from_query(&q, false, 1)?;
    let fields = Fields::from_query(&q)?;
    let identifiers: Vec<&str> = q.list("identifiers");
    if identifiers.len() > 10 {
        return Err(ApiError::invalid_query(
            "'Array is too long (more than 10 items)' on property identifiers.",
        ));
    }
    let filter = |r: &Record| {
        r.str("identifier")
            .is_some_and(|i| identifiers.contains(&i))
    };
    let filter_ref: Option<&dyn Fn(&Record) -> bool> = if identifiers.is_empty() {
        None
    } else {
        Some(&filter)
    };
    let tenant = app.read();
    let view = list::viewer(fields.as_ref(), HIDDEN, None);
    Ok(list::respond(
        &tenant.resource_servers,
        filter_ref,
        page,
        "resource_servers",
        view,
    ))
}

/// `GET /api/v2/resource-servers/{id or identifier}`.
pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(&["read:resource_servers"])?;
    let q = QueryParams::parse(raw.as_deref(), &["fields", "include_fields"])?;
    let fields = Fields::from_query(&q)?;
    let tenant = app.read();
    let record = tenant
        .resource_server_by_id_or_identifier(&key)
        .ok_or_else(not_found)?;
    Ok(list::one(View {
        obj: &record.obj,
        fields: fields.as_ref(),
        hidden: HIDDEN,
        only: None,
    }))
}

/// `POST /api/v2/resource-servers` (201).
pub(super) async fn create(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["create:resource_servers"])?;
    let sent = body::parse(&bytes)?;
    body::check(&sent, CREATE_FIELDS, &["identifier"], 0)?;
    let identifier = sent
        .get("identifier")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut sent = sent;
    if let Some(web) = check_web_lifetime(&sent, None)? {
        sent.insert("token_lifetime_for_web".into(), web.into());
    }
    app.update(|tenant| {
        if identifier == tenant.management_audience()
            || tenant.resource_server_by_identifier(&identifier).is_some()
        {
            return Err(ApiError::conflict(
                "conflict",
                "A resource server with the same identifier already exists.",
            ));
        }
        let mut rs = defaults::new_resource_server(&ids::resource_server_id(), &sent);
        ensure_signing_secret(&mut rs);
        let response = json_response(StatusCode::CREATED, &view(&rs));
        let seq = tenant.next_seq();
        tenant.resource_servers.push(seq, rs);
        Ok(Edit::Changed(response))
    })
    .await
}

/// Where the emulator keeps the secret it generated for an HS256 API created without one; never
/// shown (the 2025/26 recordings answer no `signing_secret` for such APIs). A sent
/// `signing_secret` is stored and shown as sent, and wins.
pub(super) const GENERATED_SIGNING_SECRET: &str = "emulator_generated_signing_secret";
const HIDDEN: &[&str] = &[GENERATED_SIGNING_SECRET];

/// A resource server as answered: everything but the emulator's own keys.
fn view(obj: &Map<String, Value>) -> View<'_> {
    View {
        obj,
        fields: None,
        hidden: HIDDEN,
        only: None,
    }
}

/// An HS256 API signs its tokens with a secret: Auth0 generates one when none was sent, and so
/// does the emulator (kept under [`GENERATED_SIGNING_SECRET`]).
fn ensure_signing_secret(rs: &mut Map<String, Value>) {
    if rs.get("signing_alg").and_then(Value::as_str) == Some("HS256")
        && rs.get("signing_secret").and_then(Value::as_str).is_none()
        && !rs.contains_key(GENERATED_SIGNING_SECRET)
    {
        rs.insert(
            GENERATED_SIGNING_SECRET.into(),
            ids::signing_secret().into(),
        );
    }
}

/// `token_lifetime_for_web` may not exceed `token_lifetime`. An explicit web lifetime above it is an
/// error; lowering only `token_lifetime` below the stored web lifetime lowers that too (returned).
fn check_web_lifetime(
    sent: &Map<String, Value>,
    current: Option<&Map<String, Value>>,
) -> Result<Option<i64>, ApiError> {
    let get = |k: &str| {
        sent.get(k)
            .or_else(|| current.and_then(|c| c.get(k)))
            .and_then(Value::as_i64)
    };
    let web = get("token_lifetime_for_web").unwrap_or(7200);
    let life = get("token_lifetime").unwrap_or(86_400);
    if web <= life {
        return Ok(None);
    }
    if sent.contains_key("token_lifetime_for_web") {
        return Err(ApiError::invalid_body(
            "'token_lifetime_for_web cannot be greater than token_lifetime'.",
        ));
    }
    Ok(sent.contains_key("token_lifetime").then_some(life))
}

/// `PATCH /api/v2/resource-servers/{id or identifier}` (`scopes` replaces the list).
pub(super) async fn patch(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(key): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["update:resource_servers"])?;
    let sent = body::parse(&bytes)?;
    app.update(|tenant| {
        let id = tenant
            .resource_server_by_id_or_identifier(&key)
            .and_then(|r| r.str("id").map(str::to_string))
            .ok_or_else(not_found)?;
        let record = tenant.resource_servers.get_mut(&id).ok_or_else(not_found)?;
        let system = record.bool("is_system") == Some(true);
        body::check(
            &sent,
            if system {
                SYSTEM_PATCH_FIELDS
            } else {
                PATCH_FIELDS
            },
            &[],
            0,
        )?;
        if system
            && let Some(client) = sent
                .get("subject_type_authorization")
                .and_then(|s| s.get("client"))
            && record
                .obj
                .get("subject_type_authorization")
                .and_then(|s| s.get("client"))
                != Some(client)
        {
            return Err(ApiError::invalid_body(
                "'The client policy of subject_type_authorization cannot be changed on a system resource server'.",
            ));
        }
        let clamp = check_web_lifetime(&sent, Some(&record.obj))?;
        if let Some(web) = clamp {
            record
                .obj
                .insert("token_lifetime_for_web".into(), web.into());
        }
        for (k, v) in sent {
            if v.is_null() {
                record.obj.shift_remove(&k);
            } else {
                record.obj.insert(k, v);
            }
        }
        ensure_signing_secret(&mut record.obj);
        Ok(Edit::Changed(json_response(StatusCode::OK, &view(&record.obj))))
    })
    .await
}

/// `DELETE /api/v2/resource-servers/{id or identifier}` (204, also for unknown ones; grants for
/// its audience go too).
pub(super) async fn delete(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["delete:resource_servers"])?;
    app.update(|tenant| {
        let Some(record) = tenant.resource_server_by_id_or_identifier(&key) else {
            return Ok(Edit::deleted(false));
        };
        if record.bool("is_system") == Some(true) {
            return Err(ApiError::not_supported(
                "System resource servers cannot be deleted",
            ));
        }
        let id = record.str("id").unwrap_or_default().to_string();
        tenant.delete_resource_server(&id);
        Ok(Edit::deleted(true))
    })
    .await
}
