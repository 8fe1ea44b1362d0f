//! `GET /.well-known/openid-configuration`: the discovery document standard middleware reads to
//! verify the emulator's tokens (express-oauth2-jwt-bearer, auth0-api-python, PyJWT's
//! `PyJWKClient` via `jwks_uri`).
//!
//! Owns the document: `issuer` is exactly the tokens' `iss` (`https://{domain}/`, or `http://…`
//! in plain HTTP mode, so that a verifier given the served address as issuer finds it); the
//! endpoint URLs use the address the emulator is served on. Lists only what the emulator does:
//! client credentials at `/oauth/token` with `client_secret_post`, `client_secret_basic` or
//! `private_key_jwt` (client assertions signed with the algorithms `assertion` accepts), RS256
//! access tokens. Must not issue or verify tokens.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::app::AppState;
use super::error::bytes_response;

/// The path of the document.
pub const PATH: &str = "/.well-known/openid-configuration";

/// The document for a tenant whose tokens carry `issuer` and that is served at `base_url`.
pub fn document(issuer: &str, base_url: &str) -> serde_json::Value {
    let base = base_url.trim_end_matches('/');
    let assertion_algorithms: Vec<&str> = super::assertion::ALGORITHMS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    json!({
        "issuer": issuer,
        "token_endpoint": format!("{base}/oauth/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": assertion_algorithms,
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["aud", "azp", "exp", "gty", "iat", "iss", "scope", "sub"],
    })
}

/// `GET /.well-known/openid-configuration`.
pub async fn get(State(app): State<Arc<AppState>>) -> Response {
    let doc = document(&app.issuer, &app.base_url());
    let body = serde_json::to_vec(&doc).unwrap_or_default();
    let mut response = bytes_response(StatusCode::OK, body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

impl AppState {
    /// Where the emulator is served (`http://` or `https://` and `host:port`); until
    /// [`spawn`](super::spawn) sets it, the issuer's origin.
    pub fn base_url(&self) -> String {
        self.base_url
            .get()
            .cloned()
            .unwrap_or_else(|| self.issuer.trim_end_matches('/').to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_is_the_tokens_iss_and_endpoints_use_the_served_address() {
        let doc = document("https://127.0.0.1:8443/", "http://127.0.0.1:8443");
        assert_eq!(doc["issuer"], "https://127.0.0.1:8443/");
        assert_eq!(
            doc["jwks_uri"],
            "http://127.0.0.1:8443/.well-known/jwks.json"
        );
        assert_eq!(doc["token_endpoint"], "http://127.0.0.1:8443/oauth/token");
        assert_eq!(doc["id_token_signing_alg_values_supported"][0], "RS256");
    }

    #[test]
    fn client_assertions_are_listed_with_the_algorithms_accepted() {
        let doc = document("https://h/", "https://h");
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ])
        );
        let listed = &doc["token_endpoint_auth_signing_alg_values_supported"];
        assert_eq!(listed, &json!(["RS256", "RS384", "PS256"]));
        // Each listed algorithm is one an assertion may really use, and only those.
        for name in ["RS256", "RS384", "PS256", "HS256", "ES256", "none"] {
            let accepted = super::super::assertion::algorithm(name).is_some();
            let advertised = listed
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == name));
            assert_eq!(accepted, advertised, "{name}");
        }
    }
}
