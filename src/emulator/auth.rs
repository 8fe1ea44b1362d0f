//! Bearer authentication of `/api/v2/*` and per-endpoint scope checks, with Auth0's error bodies.
//!
//! Owns the mapping from a token to what it may do. Must not issue tokens (oauth.rs) or know
//! about endpoints beyond the scope lists their handlers pass in.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::app::AppState;
use super::error::ApiError;
use super::jwt::{self, Claims, VerifyError};

/// A verified Management API token.
#[derive(Debug, Clone)]
pub struct Bearer(pub Arc<Claims>);

impl Bearer {
    /// Ok if the token holds any of `any_of`, else 403 `insufficient_scope` listing them.
    pub fn require(&self, any_of: &[&str]) -> Result<(), ApiError> {
        if any_of.iter().any(|s| self.0.has_scope(s)) {
            Ok(())
        } else {
            Err(ApiError::insufficient_scope(any_of))
        }
    }

    /// Whether the token holds `scope`.
    pub fn has(&self, scope: &str) -> bool {
        self.0.has_scope(scope)
    }
}

impl FromRequestParts<Arc<AppState>> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized("Missing authentication"));
        };
        let text = value.to_str().unwrap_or_default();
        let token = match text.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                token.trim()
            }
            _ => {
                return Err(ApiError::bad_request(
                    "Bearer",
                    "Bad HTTP authentication header format",
                ));
            }
        };
        match app
            .signer()
            .verify(token, &app.issuer, &app.audience, jwt::now())
        {
            Ok(claims) => Ok(Bearer(claims)),
            Err(VerifyError::Expired) => Err(ApiError::unauthorized(
                "Expired token received for JSON Web Token validation",
            )),
            Err(VerifyError::Invalid) => Err(ApiError::unauthorized("Invalid token")),
        }
    }
}
