//! Minting at `POST /oauth/token`: an authorized request becomes claims, a signed access token and
//! Auth0's 200 answer (`access_token`, `scope`, `expires_in`, `token_type`, no-store headers).
//!
//! Owns the token's claim set and the answer's shape. Must not decide who may get a token
//! (client_auth.rs, oauth.rs) nor hold key material (jwt.rs).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Map;

use super::app::AppState;
use super::error::{OAuthError, bytes_response};
use super::jwt::{self, Claims};

/// What a client-credentials request was authorized to get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Authorized {
    /// The authenticated client.
    pub client_id: String,
    /// The API identifier (`aud`).
    pub audience: String,
    /// Granted scopes, in the order asked (or granted).
    pub scopes: Vec<String>,
    /// The API's `token_lifetime` (seconds).
    pub lifetime: u64,
}

/// Signs the token and answers 200.
pub(super) fn mint(app: &AppState, authorized: Authorized) -> Result<Response, OAuthError> {
    let now = jwt::now();
    let scope = (!authorized.scopes.is_empty()).then(|| authorized.scopes.join(" "));
    let claims = Claims {
        iss: app.issuer.clone(),
        sub: format!("{}@clients", authorized.client_id),
        aud: authorized.audience,
        iat: now,
        exp: now + authorized.lifetime,
        scope: scope.clone(),
        gty: "client-credentials".into(),
        azp: authorized.client_id,
    };
    let token = app.signer.sign(&claims).map_err(|e| {
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        )
    })?;
    Ok(answer(token, scope, authorized.lifetime))
}

/// Auth0's token answer: `access_token`, `scope` (when any), `expires_in`, `token_type`, with
/// `Cache-Control: no-store` and `Pragma: no-cache`.
fn answer(token: String, scope: Option<String>, lifetime: u64) -> Response {
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
    response
}
