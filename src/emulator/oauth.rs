//! The Authentication API subset: `POST /oauth/token` (client credentials; form or JSON body;
//! secret in the body or HTTP Basic) and `GET /.well-known/jwks.json`.
//!
//! Owns who may get which token, with Auth0's OAuth-style errors. Must not sign by itself (jwt.rs)
//! nor check bearer tokens (auth.rs).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value};

use super::app::AppState;
use super::assertion;
use super::error::{OAuthError, bytes_response};
use super::jwt::{self, Claims};

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

fn invalid_request(text: impl Into<String>) -> OAuthError {
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

pub(super) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((unescape(id), unescape(secret)))
}

fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `POST /oauth/token`.
pub async fn token(State(app): State<Arc<AppState>>, headers: HeaderMap, bytes: Bytes) -> Response {
    match issue(&app, &headers, &bytes) {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

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
    // Private-key JWT: the assertion authenticates the client instead of a secret.
    let asserted = match (
        params.get("client_assertion_type"),
        params.get("client_assertion"),
    ) {
        (Some(kind), Some(jwt)) => Some(assertion::authenticate(
            app,
            kind,
            jwt,
            params.get("client_id"),
        )?),
        (Some(_), None) => {
            return Err(invalid_request(
                "Missing required parameter: client_assertion",
            ));
        }
        _ => None,
    };
    let (client_id, secret) = match (asserted.clone(), basic_credentials(headers)) {
        (Some(id), _) => (id, String::new()),
        (None, Some(creds)) => creds,
        (None, None) => {
            let id = params
                .get("client_id")
                .ok_or_else(|| invalid_request("Missing required parameter: client_id"))?;
            (
                id.to_string(),
                params.get("client_secret").unwrap_or_default().to_string(),
            )
        }
    };
    let unauthorized = || denied(StatusCode::UNAUTHORIZED, "Unauthorized");
    let (audience, scopes, lifetime) = {
        let tenant = app.read();
        let client = tenant.clients.get(&client_id).ok_or_else(unauthorized)?;
        let stored = client.str("client_secret").unwrap_or_default();
        if asserted.is_none() && (secret.is_empty() || !same_secret(stored, &secret)) {
            return Err(unauthorized());
        }
        // A rotated secret is refused until `--secret-propagation` has passed.
        if asserted.is_none() && app.propagation.is_pending(&client_id) {
            return Err(unauthorized());
        }
        may_use_client_credentials(client)?;
        let audience = params.get("audience").or_else(|| params.get("resource")).ok_or_else(|| {
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
        let strings = |v: Option<&Value>, key: Option<&str>| -> Vec<String> {
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
        };
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
        let lifetime = api
            .obj
            .get("token_lifetime")
            .and_then(Value::as_u64)
            .unwrap_or(86_400);
        (audience.to_string(), scopes, lifetime)
    };
    let now = jwt::now();
    let scope = (!scopes.is_empty()).then(|| scopes.join(" "));
    let claims = Claims {
        iss: app.issuer.clone(),
        sub: format!("{client_id}@clients"),
        aud: audience,
        iat: now,
        exp: now + lifetime,
        scope: scope.clone(),
        gty: "client-credentials".into(),
        azp: client_id,
    };
    let token = app.signer.sign(&claims).map_err(|e| {
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        )
    })?;
    let mut body = Map::new();
    body.insert("access_token".into(), token.into());
    if let Some(scope) = scope {
        body.insert("scope".into(), scope.into());
    }
    body.insert("expires_in".into(), lifetime.into());
    body.insert("token_type".into(), "Bearer".into());
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = bytes_response(StatusCode::OK, bytes);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `GET /.well-known/jwks.json`.
pub async fn jwks(State(app): State<Arc<AppState>>) -> Response {
    let mut response = bytes_response(StatusCode::OK, app.signer.jwks().to_vec());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Whether a client may use the client-credentials grant: it lists it in `grant_types`, and it is
/// not a public client ("Public applications cannot use the client_credentials grant type":
/// `token_endpoint_auth_method: none`, or a SPA or native app, research D2).
fn may_use_client_credentials(client: &super::table::Record) -> Result<(), OAuthError> {
    let listed = client
        .obj
        .get("grant_types")
        .and_then(Value::as_array)
        .is_some_and(|g| {
            g.iter()
                .any(|t| t == crate::auth0::GRANT_TYPE_CLIENT_CREDENTIALS)
        });
    let public = client.str("token_endpoint_auth_method") == Some(crate::auth0::AUTH_NONE)
        || matches!(client.str("app_type"), Some("spa" | "native"));
    if listed && !public {
        return Ok(());
    }
    Err(OAuthError::new(
        StatusCode::FORBIDDEN,
        "unauthorized_client",
        "Grant type 'client_credentials' not allowed for the client.",
    ))
}
