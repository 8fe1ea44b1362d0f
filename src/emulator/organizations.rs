//! `/api/v2/organizations` (create, list, get, delete) and the client grants associated with an
//! organization for Machine-to-Machine access (`/organizations/{id}/client-grants`,
//! `/client-grants/{id}/organizations`): the minimal organizations model `/oauth/token` needs to
//! enforce a grant's `organization_usage` and `allow_any_organization`.
//!
//! Owns organization semantics as recorded from Auth0 (go-auth0 `TestOrganizationManager_*`,
//! `TestClientGrantManager_Organizations`): `org_` + 16 alphanumerics ids, unique names, answers
//! in Auth0's key order, the association answer keyed `grant_id`. An organization keeps the ids
//! of its associated grants under [`GRANTS_KEY`], never shown; a deleted grant simply stops being
//! listed. Members, connections, invitations and branding rules are not modelled. Must not touch
//! the socket or the file.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::app::{AppState, Edit};
use super::auth::Bearer;
use super::body::{self, Field, Kind, f};
use super::error::{ApiError, json_response};
use super::list::{self, Page, QueryParams, View};
use super::store::Tenant;
use super::table::Record;

/// Where an organization record keeps its associated grant ids (never shown).
pub(super) const GRANTS_KEY: &str = "client_grants";
/// Auth0's limit of client grants associated with one organization.
pub(super) const MAX_GRANTS: usize = 100;

const CREATE_FIELDS: &[Field] = &[
    f(
        "name",
        Kind::Str {
            min: 1,
            max: 50,
            no_angle: false,
        },
    ),
    f(
        "display_name",
        Kind::Str {
            min: 1,
            max: 255,
            no_angle: false,
        },
    ),
    f("branding", Kind::Object),
    f("metadata", Kind::Object),
    f("enabled_connections", Kind::Array),
    f("token_quota", Kind::Object),
    // 2026 tenants (terraform-provider-auth0 TestAccDataSourceOrganizations.yaml).
    f("is_app_entitlement_active", Kind::Bool),
    f("third_party_client_access", Kind::Enum(&["allow", "block"])),
];

/// The fields a grant shows under an organization, in Auth0's order.
const GRANT_VIEW: &[&str] = &[
    "id",
    "client_id",
    "audience",
    "scope",
    "organization_usage",
    "allow_any_organization",
    "subject_type",
];

fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: "No organization found by that id".into(),
        error_code: None,
        attributes: false,
    }
}

fn grant_not_found() -> ApiError {
    ApiError::not_found("inexistent_client_grant", "The grant does not exist.")
}

/// An organization name as Auth0 accepts it: lowercase letters, digits, `-` and `_`, starting
/// and ending with a letter or digit.
pub(super) fn valid_name(name: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    name.chars().all(|c| ok(c) || c == '-' || c == '_')
        && name.starts_with(ok)
        && name.ends_with(ok)
}

/// The organization a `/oauth/token` request names: by id, else by name.
pub(super) fn find<'t>(tenant: &'t Tenant, id_or_name: &str) -> Option<&'t Record> {
    tenant.organizations.get(id_or_name).or_else(|| {
        tenant
            .organizations
            .find(|o| o.str("name") == Some(id_or_name))
    })
}

/// Whether `grant_id` is associated with the organization.
pub(super) fn is_associated(org: &Record, grant_id: &str) -> bool {
    grant_ids(org).any(|id| id == grant_id)
}

fn grant_ids(org: &Record) -> impl Iterator<Item = &str> {
    org.obj
        .get(GRANTS_KEY)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn shown(obj: &Map<String, Value>) -> View<'_> {
    View {
        obj,
        fields: None,
        hidden: &[GRANTS_KEY],
        only: None,
    }
}

/// `POST /api/v2/organizations` (201).
pub(super) async fn create(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["create:organizations"])?;
    let sent = body::parse(&bytes)?;
    body::check(&sent, CREATE_FIELDS, &["name"], 0)?;
    let name = sent
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !valid_name(&name) {
        return Err(ApiError::invalid_body(format!(
            "'String does not match pattern ^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$: {name}' on property name (The name of this organization.)."
        )));
    }
    app.update(|tenant| {
        if tenant
            .organizations
            .find(|o| o.str("name") == Some(&name))
            .is_some()
        {
            return Err(ApiError::conflict(
                "organization_conflict",
                "An organization with this name already exists.",
            ));
        }
        let mut org = Map::new();
        org.insert("id".into(), super::ids::organization_id().into());
        for key in [
            "display_name",
            "name",
            "branding",
            "metadata",
            "token_quota",
            "third_party_client_access",
            "is_app_entitlement_active",
        ] {
            if let Some(value) = sent.get(key) {
                org.insert(key.into(), value.clone());
            }
        }
        let response = json_response(StatusCode::CREATED, &shown(&org));
        let seq = tenant.next_seq();
        tenant.organizations.push(seq, org);
        Ok(Edit::Changed(response))
    })
    .await
}

/// `GET /api/v2/organizations`.
pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(&["read:organizations"])?;
    let q = QueryParams::parse(
        raw.as_deref(),
        &[
            "page",
            "per_page",
            "include_totals",
            "from",
            "take",
            "sort",
            "include_client_association_for",
        ],
    )?;
    let page = Page::from_query(&q, true, 1)?;
    let tenant = app.read();
    Ok(list::respond(
        &tenant.organizations,
        None,
        page,
        "organizations",
        |r: &Record| shown(&r.obj),
    ))
}

/// `GET /api/v2/organizations/{id}`.
pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["read:organizations"])?;
    let tenant = app.read();
    let org = tenant.organizations.get(&id).ok_or_else(not_found)?;
    Ok(list::one(shown(&org.obj)))
}

/// `DELETE /api/v2/organizations/{id}` (204, also for unknown ids).
pub(super) async fn delete(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["delete:organizations"])?;
    app.update(|tenant| Ok(Edit::deleted(tenant.organizations.remove(&id).is_some())))
        .await
}

/// `POST /api/v2/organizations/{id}/client-grants` `{grant_id}` (201): associates a client
/// grant; 404 for an unknown organization or grant, 409 when already associated or when the
/// organization holds [`MAX_GRANTS`].
pub(super) async fn associate(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["create:organization_client_grants"])?;
    let sent = body::parse(&bytes)?;
    let grant_field = f(
        "grant_id",
        Kind::Str {
            min: 1,
            max: 255,
            no_angle: false,
        },
    );
    body::check(&sent, &[grant_field], &["grant_id"], 0)?;
    let grant_id = sent
        .get("grant_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    app.update(|tenant| {
        tenant.organizations.get(&id).ok_or_else(not_found)?;
        let grant = tenant.grants.get(&grant_id).ok_or_else(grant_not_found)?;
        let mut answer = Map::new();
        answer.insert("grant_id".into(), grant_id.clone().into());
        for key in &GRANT_VIEW[1..6] {
            if let Some(value) = grant.obj.get(*key) {
                answer.insert((*key).into(), value.clone());
            }
        }
        let live: Vec<String> = {
            let org = tenant.organizations.get(&id).ok_or_else(not_found)?;
            grant_ids(org)
                .filter(|g| tenant.grants.get(g).is_some())
                .map(str::to_string)
                .collect()
        };
        if live.contains(&grant_id) {
            return Err(ApiError::conflict(
                "conflict",
                "The client grant has already been added to this organization.",
            ));
        }
        if live.len() >= MAX_GRANTS {
            return Err(ApiError::conflict(
                "conflict",
                format!(
                    "Quota exceeded; cannot add more than {MAX_GRANTS} client grants to a single organization"
                ),
            ));
        }
        let mut ids: Vec<Value> = live.into_iter().map(Value::from).collect();
        ids.push(grant_id.clone().into());
        let org = tenant.organizations.get_mut(&id).ok_or_else(not_found)?;
        org.obj.insert(GRANTS_KEY.into(), Value::Array(ids));
        Ok(Edit::Changed(json_response(StatusCode::CREATED, &answer)))
    })
    .await
}

/// `GET /api/v2/organizations/{id}/client-grants`: the associated grants, filtered by
/// `audience`, `client_id` and `grant_ids`.
pub(super) async fn grants(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(&["read:organization_client_grants"])?;
    let q = QueryParams::parse(
        raw.as_deref(),
        &[
            "audience",
            "client_id",
            "grant_ids",
            "page",
            "per_page",
            "include_totals",
        ],
    )?;
    let page = Page::from_query(&q, false, 1)?;
    let audience = q.get("audience");
    let client_id = q.get("client_id");
    let wanted = q.list("grant_ids");
    let tenant = app.read();
    let org = tenant.organizations.get(&id).ok_or_else(not_found)?;
    let filter = |r: &Record| {
        r.str("id").is_some_and(|g| is_associated(org, g))
            && audience.is_none_or(|a| r.str("audience") == Some(a))
            && client_id.is_none_or(|c| r.str("client_id") == Some(c))
            && (wanted.is_empty() || r.str("id").is_some_and(|g| wanted.contains(&g)))
    };
    Ok(list::respond(
        &tenant.grants,
        Some(&filter),
        page,
        "client_grants",
        list::viewer(None, &[], Some(GRANT_VIEW)),
    ))
}

/// `DELETE /api/v2/organizations/{id}/client-grants/{grant_id}` (204).
pub(super) async fn dissociate(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path((id, grant_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    bearer.require(&["delete:organization_client_grants"])?;
    app.update(|tenant| {
        let org = tenant.organizations.get_mut(&id).ok_or_else(not_found)?;
        let Some(Value::Array(ids)) = org.obj.get_mut(GRANTS_KEY) else {
            return Ok(Edit::deleted(false));
        };
        let before = ids.len();
        ids.retain(|g| g.as_str() != Some(grant_id.as_str()));
        let removed = ids.len() != before;
        Ok(Edit::deleted(removed))
    })
    .await
}

/// `GET /api/v2/client-grants/{id}/organizations`: the organizations a grant is associated with.
pub(super) async fn of_grant(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(&["read:organization_client_grants"])?;
    let q = QueryParams::parse(
        raw.as_deref(),
        &["page", "per_page", "include_totals", "from", "take"],
    )?;
    let page = Page::from_query(&q, true, 1)?;
    let tenant = app.read();
    tenant.grants.get(&id).ok_or_else(grant_not_found)?;
    let filter = |r: &Record| is_associated(r, &id);
    Ok(list::respond(
        &tenant.organizations,
        Some(&filter),
        page,
        "organizations",
        |r: &Record| shown(&r.obj),
    ))
}
