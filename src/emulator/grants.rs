//! `/api/v2/client-grants`: list (filters, offset and checkpoint pages), get, create (404 for an
//! unknown client or audience, 409 for a duplicate (client, audience, subject_type)), patch of the
//! updatable fields only, delete (idempotent).
//!
//! Owns client-grant semantics. Must not touch the socket or the file.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::app::{AppState, Edit};
use super::auth::Bearer;
use super::body::{self, Field, Kind, f, n};
use super::defaults;
use super::error::{ApiError, json_response};
use super::ids;
use super::list::{self, Page, QueryParams, View};
use super::table::Record;

const SCOPES: Kind = Kind::Strings {
    unique: false,
    item_max: 280,
};
const ORG_USAGE: Kind = Kind::Enum(&["deny", "allow", "require"]);
const CREATE_FIELDS: &[Field] = &[
    f(
        "client_id",
        Kind::Str {
            min: 1,
            max: 256,
            no_angle: false,
        },
    ),
    f(
        "audience",
        Kind::Str {
            min: 1,
            max: 600,
            no_angle: false,
        },
    ),
    f("scope", SCOPES),
    f("organization_usage", ORG_USAGE),
    f("allow_any_organization", Kind::Bool),
    f("subject_type", Kind::Enum(&["client", "user"])),
    f(
        "authorization_details_types",
        Kind::Strings {
            unique: true,
            item_max: 255,
        },
    ),
    f("allow_all_scopes", Kind::Bool),
    f("default_for", Kind::Enum(&["third_party_clients"])),
];
const PATCH_FIELDS: &[Field] = &[
    n("scope", SCOPES),
    n("organization_usage", ORG_USAGE),
    n("allow_any_organization", Kind::Bool),
    f(
        "authorization_details_types",
        Kind::Strings {
            unique: true,
            item_max: 255,
        },
    ),
    n("allow_all_scopes", Kind::Bool),
];

fn not_found() -> ApiError {
    ApiError::not_found("inexistent_client_grant", "The grant does not exist.")
}

/// `GET /api/v2/client-grants`.
pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(&["read:client_grants"])?;
    let q = QueryParams::parse(
        raw.as_deref(),
        &[
            "page",
            "per_page",
            "include_totals",
            "from",
            "take",
            "audience",
            "client_id",
            "allow_any_organization",
            "subject_type",
            "default_for",
        ],
    )?;
    let page = Page::from_query(&q, true, 1)?;
    let audience = q.get("audience");
    let client_id = q.get("client_id");
    let any_org = q.bool("allow_any_organization")?;
    let subject = q.get("subject_type");
    if let Some(bad) = subject.filter(|s| *s != "client" && *s != "user") {
        return Err(ApiError::invalid_query(format!(
            "'No enum match for: \"{bad}\"' on property subject_type."
        )));
    }
    let default_for = q.get("default_for");
    let filter = |r: &Record| {
        audience.is_none_or(|a| r.str("audience") == Some(a))
            && client_id.is_none_or(|c| r.str("client_id") == Some(c))
            && any_org.is_none_or(|v| r.bool("allow_any_organization").unwrap_or(false) == v)
            && subject.is_none_or(|s| r.str("subject_type").unwrap_or("client") == s)
            && default_for.is_none_or(|d| r.str("default_for") == Some(d))
    };
    let filtered = audience.is_some()
        || client_id.is_some()
        || any_org.is_some()
        || subject.is_some()
        || default_for.is_some();
    let filter_ref: Option<&dyn Fn(&Record) -> bool> = if filtered { Some(&filter) } else { None };
    let tenant = app.read();
    Ok(list::respond(
        &tenant.grants,
        filter_ref,
        page,
        "client_grants",
        |r: &Record| View::whole(&r.obj),
    ))
}

/// `GET /api/v2/client-grants/{id}`.
pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["read:client_grants"])?;
    let tenant = app.read();
    let record = tenant.grants.get(&id).ok_or_else(not_found)?;
    Ok(list::one(View::whole(&record.obj)))
}

/// `POST /api/v2/client-grants` (201).
pub(super) async fn create(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["create:client_grants"])?;
    let sent = body::parse(&bytes)?;
    body::check(&sent, CREATE_FIELDS, &["audience"], 0)?;
    let client_id = sent.get("client_id").and_then(Value::as_str);
    let default_for = sent.get("default_for").and_then(Value::as_str);
    match (client_id, default_for) {
        (None, None) => {
            return Err(ApiError::invalid_body(
                "'Missing required property: client_id'.",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_body(
                "'client_id and default_for are mutually exclusive'.",
            ));
        }
        _ => {}
    }
    let audience = sent
        .get("audience")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let subject = sent
        .get("subject_type")
        .and_then(Value::as_str)
        .unwrap_or("client");
    app.update(|tenant| {
        if let Some(id) = client_id
            && tenant.clients.get(id).is_none()
        {
            return Err(ApiError::not_found("inexistent_client", "Client not found"));
        }
        if tenant.resource_server_by_identifier(audience).is_none() {
            return Err(ApiError::not_found(
                "inexistent_resource_server",
                format!("No resource with identifier {audience}"),
            ));
        }
        refuse_third_party_management_grant(tenant, client_id, audience)?;
        refuse_third_party_any_organization(tenant, client_id, &sent)?;
        let duplicate = tenant.grants.find(|g| {
            g.str("client_id") == client_id
                && g.str("default_for") == default_for
                && g.str("audience") == Some(audience)
                && g.str("subject_type").unwrap_or("client") == subject
        });
        if duplicate.is_some() {
            let who = client_id.or(default_for).unwrap_or_default();
            return Err(ApiError::conflict(
                "conflict",
                format!("A client grant already exists between {who} and {audience}"),
            ));
        }
        let mut grant = defaults::new_grant(&ids::grant_id(), &sent);
        if grant.get("allow_all_scopes") == Some(&Value::Bool(true)) {
            grant.shift_remove("scope");
        }
        let response = json_response(StatusCode::CREATED, &grant);
        let seq = tenant.next_seq();
        tenant.grants.push(seq, grant);
        Ok(Edit::Changed(response))
    })
    .await
}

/// `PATCH /api/v2/client-grants/{id}`: only `scope`, `organization_usage`,
/// `allow_any_organization`, `authorization_details_types`, `allow_all_scopes`.
pub(super) async fn patch(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["update:client_grants"])?;
    let sent = body::parse(&bytes)?;
    body::check(&sent, PATCH_FIELDS, &[], 1)?;
    app.update(|tenant| {
        let client_id = tenant
            .grants
            .get(&id)
            .ok_or_else(not_found)?
            .str("client_id")
            .map(str::to_string);
        refuse_third_party_any_organization(tenant, client_id.as_deref(), &sent)?;
        let record = tenant.grants.get_mut(&id).ok_or_else(not_found)?;
        if record.bool("is_system") == Some(true) {
            return Err(ApiError::not_supported("System grants cannot be modified"));
        }
        for (key, value) in sent {
            if value.is_null() {
                if key == "scope" {
                    record.obj.insert(key, Value::Array(Vec::new()));
                } else {
                    record.obj.shift_remove(&key);
                }
            } else {
                record.obj.insert(key, value);
            }
        }
        match record.obj.get("allow_all_scopes") {
            Some(Value::Bool(true)) => {
                record.obj.shift_remove("scope");
            }
            _ if !record.obj.contains_key("scope") => {
                record.obj.insert("scope".into(), Value::Array(Vec::new()));
            }
            _ => {}
        }
        let response = json_response(StatusCode::OK, &record.obj);
        Ok(Edit::Changed(response))
    })
    .await
}

/// `DELETE /api/v2/client-grants/{id}` (204, also for unknown ids).
pub(super) async fn delete(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["delete:client_grants"])?;
    app.update(|tenant| {
        if tenant.grants.get(&id).and_then(|g| g.bool("is_system")) == Some(true) {
            return Err(ApiError::not_supported("System grants cannot be deleted"));
        }
        Ok(Edit::deleted(tenant.grants.remove(&id).is_some()))
    })
    .await
}

/// Auth0 refuses Management API grants for third-party clients (`is_first_party: false`):
/// "Client grants for this API cannot be created for third-party clients" ([OAS] post_client-grants,
/// research D7). The errorCode is not recorded anywhere; `invalid_body` is a guess.
fn refuse_third_party_management_grant(
    tenant: &crate::emulator::store::Tenant,
    client_id: Option<&str>,
    audience: &str,
) -> Result<(), ApiError> {
    let third_party = client_id
        .and_then(|id| tenant.clients.get(id))
        .is_some_and(|c| c.bool("is_first_party") == Some(false));
    if third_party && audience == tenant.management_audience() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "Client grants for this API cannot be created for third-party clients",
        ));
    }
    Ok(())
}

/// Auth0 documents that third-party applications cannot use `allow_any_organization`: each
/// organization must be associated explicitly ([DOCS] organizations-for-m2m-applications,
/// manage-m2m-access). No recording shows the refusal; status and wording are a guess.
fn refuse_third_party_any_organization(
    tenant: &crate::emulator::store::Tenant,
    client_id: Option<&str>,
    sent: &serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    let third_party = client_id
        .and_then(|id| tenant.clients.get(id))
        .is_some_and(|c| c.bool("is_first_party") == Some(false));
    if third_party && sent.get("allow_any_organization") == Some(&Value::Bool(true)) {
        return Err(ApiError::invalid_body(
            "allow_any_organization cannot be enabled for third-party clients",
        ));
    }
    Ok(())
}
