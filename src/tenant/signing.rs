//! How an API signs its access tokens, read for `token --verify`: `GET /resource-servers/{id}`
//! (scope `read:resource_servers`, which every m2mctl client holds to read the tenant) answers
//! `signing_alg` and, for an HS256 API, the `signing_secret` its tokens are signed with.
//!
//! Owns that one read. The secret comes back as a [`Secret`] (redacted in `Debug`) and is never
//! logged, cached or stored by this module. Must not verify anything (that is `token::verify`).

use reqwest::Method;
use serde::Deserialize;

use super::error::Result;
use super::http::Request;
use super::write::encode;
use super::{Client, Secret};

/// What the tenant says about how an API signs its tokens.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiSigning {
    /// `RS256` (Auth0's default), `HS256`, `RS512` or `PS256`.
    #[serde(default)]
    pub signing_alg: Option<String>,
    /// The HS256 secret, when the tenant shows one (Auth0 does not show every generated one).
    #[serde(default)]
    pub signing_secret: Option<Secret>,
}

impl Client {
    /// `GET /resource-servers/{identifier}`: the API's signing algorithm and secret; `None`
    /// when no API has that identifier.
    pub async fn api_signing(&self, identifier: &str) -> Result<Option<ApiSigning>> {
        let path = format!("/api/v2/resource-servers/{}", encode(identifier));
        let reply = self
            .http
            .send(Request::management(
                Method::GET,
                "/api/v2/resource-servers/{id}",
                path,
            ))
            .await?;
        if reply.status.as_u16() == 404 {
            return Ok(None);
        }
        reply.json().map(Some)
    }
}
