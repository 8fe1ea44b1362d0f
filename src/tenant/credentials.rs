//! A client's credentials (`/api/v2/clients/{id}/credentials`): the public keys its private-key
//! JWT assertions are signed with.
//!
//! Owns one method per call m2mctl makes: list (no PEM comes back), create (the body apply built,
//! with the public PEM), update `expires_at`, delete (a missing credential counts as deleted).
//! Must not decide what to write.

use reqwest::Method;
use serde_json::Value;

use super::Client;
use super::error::Result;
use super::http::Request;
use super::write::encode;
use crate::model::RemoteCredential;

const LIST: &str = "/api/v2/clients/{id}/credentials";
const ONE: &str = "/api/v2/clients/{id}/credentials/{credential_id}";

impl Client {
    /// `GET /clients/{id}/credentials` (a plain array; needs `read:client_credentials`).
    pub async fn list_credentials(&self, client_id: &str) -> Result<Vec<RemoteCredential>> {
        let path = format!("/api/v2/clients/{}/credentials", encode(client_id));
        self.http
            .send(Request::management(Method::GET, LIST, path))
            .await?
            .json()
    }

    /// `POST /clients/{id}/credentials` (201, without the PEM).
    pub async fn create_credential(
        &self,
        client_id: &str,
        body: &Value,
    ) -> Result<RemoteCredential> {
        let path = format!("/api/v2/clients/{}/credentials", encode(client_id));
        self.write(Method::POST, LIST, path, body).await
    }

    /// `PATCH /clients/{id}/credentials/{credential_id}` (`expires_at` only).
    pub async fn update_credential(
        &self,
        client_id: &str,
        credential_id: &str,
        body: &Value,
    ) -> Result<RemoteCredential> {
        let path = format!(
            "/api/v2/clients/{}/credentials/{}",
            encode(client_id),
            encode(credential_id)
        );
        self.write(Method::PATCH, ONE, path, body).await
    }

    /// `DELETE /clients/{id}/credentials/{credential_id}`.
    pub async fn delete_credential(&self, client_id: &str, credential_id: &str) -> Result<()> {
        let path = format!(
            "/api/v2/clients/{}/credentials/{}",
            encode(client_id),
            encode(credential_id)
        );
        self.delete(ONE, path).await
    }
}
