//! Writes to a tenant, and the lookups apply uses to recover from lost responses.
//!
//! Owns one method per Management API write m2mctl makes, each returning the typed model object
//! Auth0 answered with. A created client's response holds its `client_secret`; it is dropped at
//! decoding (the model has no field for it) and never logged. Creates are not retried after a
//! 5xx or a lost connection: they fail with [`Error::OutcomeUnknown`](super::Error) so the caller
//! can look the object up ([`Client::find_grant`], [`Client::get_api`], [`Client::list_clients`])
//! instead of creating a duplicate. Writes take the body the caller built (apply sends a plan
//! change's body), so a new managed field needs nothing here. Must not decide what to write.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::Value;

use super::Client;
use super::error::Result;
use super::http::Request;
use super::read::{CLIENT_FIELDS, GRANTS};
use crate::model::{RemoteApi, RemoteClient, RemoteGrant};

/// Path-segment encoding: everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Encodes one path segment (ids, or an API identifier such as `https://x/`).
pub(crate) fn encode(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

impl Client {
    pub(super) async fn write<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        template: &'static str,
        path: String,
        body: &Value,
    ) -> Result<T> {
        self.http
            .send(Request::management(method, template, path).json(body))
            .await?
            .json()
    }

    /// Sends a GET; 404 means `None`.
    async fn get_optional<T: serde::de::DeserializeOwned>(
        &self,
        req: Request<'_>,
    ) -> Result<Option<T>> {
        let reply = self.http.send(req).await?;
        if reply.status.as_u16() == 404 {
            return Ok(None);
        }
        reply.json().map(Some)
    }

    /// Sends a DELETE; 404 counts as done (Auth0 itself answers 204 for a missing object).
    pub(super) async fn delete(&self, template: &'static str, path: String) -> Result<()> {
        let reply = self
            .http
            .send(Request::management(Method::DELETE, template, path))
            .await?;
        if reply.status.as_u16() == 404 {
            return Ok(());
        }
        reply.ok()
    }

    /// `POST /clients` (201). The secret in the response is discarded.
    pub async fn create_client(&self, body: &Value) -> Result<RemoteClient> {
        self.write(
            Method::POST,
            "/api/v2/clients",
            "/api/v2/clients".into(),
            body,
        )
        .await
    }

    /// `PATCH /clients/{id}` with only the fields to change (`client_metadata` merges; a `null`
    /// value deletes a key).
    pub async fn update_client(&self, client_id: &str, patch: &Value) -> Result<RemoteClient> {
        let path = format!("/api/v2/clients/{}", encode(client_id));
        self.write(Method::PATCH, "/api/v2/clients/{id}", path, patch)
            .await
    }

    /// `DELETE /clients/{id}`.
    pub async fn delete_client(&self, client_id: &str) -> Result<()> {
        self.delete(
            "/api/v2/clients/{id}",
            format!("/api/v2/clients/{}", encode(client_id)),
        )
        .await
    }

    /// `GET /clients/{id}` with the read fields (no secret); `None` when it does not exist.
    pub async fn get_client(&self, client_id: &str) -> Result<Option<RemoteClient>> {
        let path = format!("/api/v2/clients/{}", encode(client_id));
        let req = Request::management(Method::GET, "/api/v2/clients/{id}", path)
            .query(&[("fields", CLIENT_FIELDS), ("include_fields", "true")]);
        self.get_optional(req).await
    }

    /// `POST /client-grants` (201) with `body` (`client_id`, `audience`, `scope`, …).
    pub async fn create_grant(&self, body: &Value) -> Result<RemoteGrant> {
        self.write(
            Method::POST,
            "/api/v2/client-grants",
            "/api/v2/client-grants".into(),
            body,
        )
        .await
    }

    /// `PATCH /client-grants/{id}` with only the fields to change (`scope` replaces the scopes).
    pub async fn update_grant(&self, id: &str, patch: &Value) -> Result<RemoteGrant> {
        let path = format!("/api/v2/client-grants/{}", encode(id));
        self.write(Method::PATCH, "/api/v2/client-grants/{id}", path, patch)
            .await
    }

    /// `DELETE /client-grants/{id}`.
    pub async fn delete_grant(&self, id: &str) -> Result<()> {
        self.delete(
            "/api/v2/client-grants/{id}",
            format!("/api/v2/client-grants/{}", encode(id)),
        )
        .await
    }

    /// The client's grant (subject type `client`) for `audience`, if any
    /// (`GET /client-grants?client_id=&audience=`).
    pub async fn find_grant(&self, client_id: &str, audience: &str) -> Result<Option<RemoteGrant>> {
        let grants: Vec<RemoteGrant> = self
            .read_all(&GRANTS, &[("client_id", client_id), ("audience", audience)])
            .await?;
        Ok(grants.into_iter().find(|g| {
            g.client_id == client_id && g.audience == audience && crate::auth0::is_client_grant(g)
        }))
    }

    /// `POST /resource-servers`.
    pub async fn create_api(&self, body: &Value) -> Result<RemoteApi> {
        self.write(
            Method::POST,
            "/api/v2/resource-servers",
            "/api/v2/resource-servers".into(),
            body,
        )
        .await
    }

    /// `PATCH /resource-servers/{id}`; the id may also be the URL-encoded identifier.
    pub async fn update_api(&self, id_or_identifier: &str, patch: &Value) -> Result<RemoteApi> {
        let path = format!("/api/v2/resource-servers/{}", encode(id_or_identifier));
        self.write(Method::PATCH, "/api/v2/resource-servers/{id}", path, patch)
            .await
    }

    /// `DELETE /resource-servers/{id}` (used for the apply lease only: m2mctl never deletes APIs).
    /// A missing one counts as deleted.
    pub async fn delete_api(&self, id: &str) -> Result<()> {
        self.delete(
            "/api/v2/resource-servers/{id}",
            format!("/api/v2/resource-servers/{}", encode(id)),
        )
        .await
    }

    /// `GET /resource-servers/{identifier}`; `None` when no API has it.
    pub async fn get_api(&self, id_or_identifier: &str) -> Result<Option<RemoteApi>> {
        let path = format!("/api/v2/resource-servers/{}", encode(id_or_identifier));
        self.get_optional(Request::management(
            Method::GET,
            "/api/v2/resource-servers/{id}",
            path,
        ))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        let cases = [
            ("abcDEF123", "abcDEF123"),
            ("cgr_abc-1.2~", "cgr_abc-1.2~"),
            (
                "https://orders.example.com/",
                "https%3A%2F%2Forders.example.com%2F",
            ),
            ("urn:a b", "urn%3Aa%20b"),
            ("../x", "..%2Fx"),
        ];
        for (input, want) in cases {
            assert_eq!(encode(input), want);
        }
    }
}
