//! Client authentication at `POST /oauth/token`: who is asking, proven by a client secret (in the
//! body or HTTP Basic) or a private-key JWT assertion, and whether that client may use the
//! client-credentials grant at all.
//!
//! Owns the 401 `access_denied`/`Unauthorized` answer and the public-client refusal. Must not look
//! at the audience, grants or scopes (oauth.rs) nor sign anything (mint.rs).

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use serde_json::Value;

use super::app::AppState;
use super::assertion;
use super::error::OAuthError;
use super::oauth::{Params, invalid_request};
use super::table::Record;

/// The client a token request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Authenticated {
    /// Its `client_id`.
    pub client_id: String,
}

/// `client_id:client_secret` from an HTTP Basic `Authorization` header (form-unescaped, as
/// RFC 6749 §2.3.1 wants).
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

fn unauthorized() -> OAuthError {
    OAuthError::new(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized")
}

/// Authenticates the client of a client-credentials request: a `client_assertion` (private-key
/// JWT) wins over HTTP Basic, which wins over `client_id`/`client_secret` in the body. A rotated
/// secret is refused until `--secret-propagation` has passed; a client that may not use client
/// credentials is refused with `unauthorized_client`.
pub(super) fn authenticate(
    app: &AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Authenticated, OAuthError> {
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
        (Some(id), _) => (id, None),
        (None, Some((id, secret))) => (id, Some(secret)),
        (None, None) => {
            let id = params
                .get("client_id")
                .ok_or_else(|| invalid_request("Missing required parameter: client_id"))?;
            let secret = params.get("client_secret").unwrap_or_default();
            (id.to_string(), Some(secret.to_string()))
        }
    };
    let tenant = app.read();
    let client = tenant.clients.get(&client_id).ok_or_else(unauthorized)?;
    if let Some(secret) = secret {
        let stored = client.str("client_secret").unwrap_or_default();
        if secret.is_empty() || !same_secret(stored, &secret) {
            return Err(unauthorized());
        }
        // A rotated secret is refused until `--secret-propagation` has passed.
        if app.propagation.is_pending(&client_id) {
            return Err(unauthorized());
        }
    }
    may_use_client_credentials(client)?;
    Ok(Authenticated { client_id })
}

/// Whether a client may use the client-credentials grant: it lists it in `grant_types`, and it is
/// not a public client ("Public applications cannot use the client_credentials grant type":
/// `token_endpoint_auth_method: none`, or a SPA or native app, research D2).
fn may_use_client_credentials(client: &Record) -> Result<(), OAuthError> {
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
