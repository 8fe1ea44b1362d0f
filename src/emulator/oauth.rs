//! The Authentication API subset: `POST /oauth/token` (client credentials; form or JSON body;
//! secret in the body or HTTP Basic) and `GET /.well-known/jwks.json`.
//!
//! Owns the request's parameters and which API and scopes an authenticated client may get, with
//! Auth0's OAuth-style errors. Must not authenticate the client (client_auth.rs), build or sign the
//! token (mint.rs, jwt.rs) nor check bearer tokens (auth.rs).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::app::AppState;
use super::client_auth::{self, Authenticated};
use super::error::{OAuthError, bytes_response};
use super::mint::{self, Authorized, Profile};
use super::store::Tenant;

/// The parameters of a token request, whatever the encoding.
#[derive(Debug, Default)]
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

pub(super) fn invalid_request(text: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", text)
}

fn denied(status: StatusCode, text: impl Into<String>) -> OAuthError {
    OAuthError::new(status, "access_denied", text)
}

pub(super) fn parse(headers: &HeaderMap, bytes: &[u8]) -> Result<Params, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/json") {
        let map: Map<String, Value> = serde_json::from_slice(bytes)
            .map_err(|_| invalid_request("The request body is not valid JSON"))?;
        let pairs = map
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::Null => None,
                Value::String(s) => Some((k, s)),
                other => Some((k, other.to_string())),
            })
            .collect();
        return Ok(Params(pairs));
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .map(Params)
        .map_err(|_| invalid_request("The request body is not valid form data"))
}

/// `POST /oauth/token`.
pub(super) async fn token(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    match issue(&app, &headers, &bytes) {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// Parses, authenticates the client (client_auth.rs), authorizes the audience and scopes, mints.
fn issue(app: &AppState, headers: &HeaderMap, bytes: &[u8]) -> Result<Response, OAuthError> {
    let params = parse(headers, bytes)?;
    match params.get("grant_type") {
        None => return Err(invalid_request("Missing required parameter: grant_type")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::new(
                StatusCode::FORBIDDEN,
                "unsupported_grant_type",
                format!("Unsupported grant type: {other}"),
            ));
        }
    }
    let client = client_auth::authenticate(app, headers, &params)?;
    let authorized = authorize(&app.read(), client, &params)?;
    mint::mint(app, authorized)
}

/// The API named by `audience` (or `resource`), the client's grant for it, and the scopes the
/// token carries (all granted ones, or the asked ones when all of them are granted).
fn authorize(
    tenant: &Tenant,
    client: Authenticated,
    params: &Params,
) -> Result<Authorized, OAuthError> {
    let client_id = client.client_id;
    let audience = params
        .get("audience")
        .or_else(|| params.get("resource"))
        .ok_or_else(|| {
            denied(
                StatusCode::FORBIDDEN,
                "No audience parameter was provided, and no default audience has been configured",
            )
        })?;
    let api = tenant
        .resource_server_by_identifier(audience)
        .ok_or_else(|| {
            denied(
                StatusCode::FORBIDDEN,
                format!("Service not enabled within domain: {audience}"),
            )
        })?;
    let grant = tenant.grant_for(&client_id, audience).ok_or_else(|| {
        denied(
            StatusCode::FORBIDDEN,
            format!(
                "Client \"{client_id}\" is not authorized to access resource server \"{audience}\". \
                 You need to create a \"client-grant\" associated to this API."
            ),
        )
    })?;
    let granted = if grant.bool("allow_all_scopes") == Some(true) {
        strings(api.obj.get("scopes"), Some("value"))
    } else {
        strings(grant.obj.get("scope"), None)
    };
    let scopes = match params.get("scope") {
        None => granted,
        Some(asked) => {
            let asked: Vec<String> = asked.split_whitespace().map(str::to_string).collect();
            let missing: Vec<&str> = asked
                .iter()
                .filter(|s| !granted.contains(s))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(denied(
                    StatusCode::FORBIDDEN,
                    format!("Client has not been granted scopes: {}", missing.join(" ")),
                ));
            }
            asked
        }
    };
    let organization = organization(tenant, grant, params.get("organization"))?;
    let lifetime = api
        .obj
        .get("token_lifetime")
        .and_then(Value::as_u64)
        .unwrap_or(86_400);
    Ok(Authorized {
        client_id,
        audience: audience.to_string(),
        scopes,
        lifetime,
        profile: Profile::of(&api.obj)?,
        organization,
    })
}

/// Machine-to-Machine access for organizations: the grant's `organization_usage` (`deny` when
/// absent) says whether the `organization` parameter (an `org_…` id or a name) is refused,
/// optional or required; a named organization must exist and, unless the grant has
/// `allow_any_organization`, be associated with the grant (`/organizations/{id}/client-grants`).
/// The token then carries its `org_id` and `org_name`. No recording shows these refusals: the
/// status codes and texts follow Auth0's `/authorize` wording (`parameter organization is
/// required for this client`) and are a guess.
fn organization(
    tenant: &Tenant,
    grant: &super::table::Record,
    asked: Option<&str>,
) -> Result<Option<(String, String)>, OAuthError> {
    let usage = grant.str("organization_usage").unwrap_or("deny");
    let Some(asked) = asked else {
        if usage == "require" {
            return Err(invalid_request(
                "parameter organization is required for this client grant",
            ));
        }
        return Ok(None);
    };
    if usage == "deny" {
        return Err(invalid_request(
            "parameter organization is not allowed for this client grant (organization_usage is deny)",
        ));
    }
    let org = super::organizations::find(tenant, asked).ok_or_else(|| {
        invalid_request(format!(
            "parameter organization is invalid: {asked} is not a valid organization"
        ))
    })?;
    let any = grant.bool("allow_any_organization") == Some(true);
    let grant_id = grant.str("id").unwrap_or_default();
    if !any && !super::organizations::is_associated(org, grant_id) {
        return Err(denied(
            StatusCode::FORBIDDEN,
            format!(
                "Client grant \"{grant_id}\" is not authorized for organization \"{asked}\": associate it with the organization or allow any organization"
            ),
        ));
    }
    let id = org.str("id").unwrap_or_default().to_string();
    let name = org.str("name").unwrap_or_default().to_string();
    Ok(Some((id, name)))
}

/// The strings of a JSON array (or of one `key` of its objects).
fn strings(v: Option<&Value>, key: Option<&str>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| match key {
                    Some(k) => s.get(k).and_then(Value::as_str),
                    None => s.as_str(),
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /.well-known/jwks.json`.
pub(super) async fn jwks(State(app): State<Arc<AppState>>) -> Response {
    let mut response = bytes_response(StatusCode::OK, app.signer().jwks().to_vec());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
