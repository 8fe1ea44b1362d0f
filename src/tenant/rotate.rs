//! `POST /api/v2/clients/{id}/rotate-secret`: a new client secret for a client.
//!
//! Owns the one request and reading the new secret out of Auth0's answer (the whole client).
//! Like a create, it is not repeated after a 5xx or a lost response: the secret may have changed,
//! which the caller reports (`Error::OutcomeUnknown`) with the way to recover (deliver the
//! current secret). Must not log the secret or decide when to rotate.

use reqwest::Method;
use serde::Deserialize;

use super::Client;
use super::error::Result;
use super::http::Request;
use super::secret::Secret;
use super::write::encode;

#[derive(Deserialize)]
struct Rotated {
    client_secret: Secret,
}

impl Client {
    /// Rotates a client's secret (needs `update:client_keys`); the new secret.
    pub async fn rotate_secret(&self, client_id: &str) -> Result<Secret> {
        let req = Request::management(
            Method::POST,
            "/api/v2/clients/{id}/rotate-secret",
            format!("/api/v2/clients/{}/rotate-secret", encode(client_id)),
        );
        let reply = self.http.send(req).await?;
        let rotated: Rotated = reply.json()?;
        Ok(rotated.client_secret)
    }
}
