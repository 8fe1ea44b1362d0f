//! Reading tenant logs (`GET /api/v2/logs`) for `drift` (who changed what: `sapi` entries) and
//! `usage` (who got tokens: `seccft`/`feccft` entries).
//!
//! Owns the query, the paging (newest first, `per_page=100`, stopping at a short page or at
//! Auth0's 1000-entry window of offset paging) and the typed entry. Without `read:logs` it answers
//! [`Logs::Forbidden`] instead of failing, so callers can report drift without authors.
//! Must not interpret entries beyond their fields.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::Client;
use super::error::{Error, Result};
use super::http::Request;

/// Scope needed to read logs.
pub const READ_LOGS: &str = "read:logs";
/// Auth0 serves at most this many entries through `page`/`per_page`.
pub const OFFSET_WINDOW: usize = 1000;
const PER_PAGE: usize = 100;

/// One log entry (the fields m2mctl reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Unique id, increasing with time.
    pub log_id: String,
    /// ISO 8601 date.
    #[serde(default)]
    pub date: String,
    /// `sapi`, `seccft`, `feccft`, ….
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `Update a Client`, `Client Credentials for Access Token`, an error text, ….
    #[serde(default)]
    pub description: Option<String>,
    /// The client that acted (the caller of a Management API write, the app asking for a token).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub client_name: Option<String>,
    /// A user, when a person acted (a Dashboard change).
    #[serde(default)]
    pub user_id: Option<String>,
    /// That user's name or email.
    #[serde(default)]
    pub user_name: Option<String>,
    /// Token exchanges: the API asked for.
    #[serde(default)]
    pub audience: Option<String>,
    /// Token exchanges: the scopes issued.
    #[serde(default)]
    pub scope: Option<String>,
    /// `sapi`: `{request: {method, path, body, …}, response: {statusCode, body}}`.
    #[serde(default)]
    pub details: Option<serde_json::Value>,
}

impl LogEntry {
    /// `details.request.method` (lowercase as Auth0 logs it).
    pub fn method(&self) -> Option<&str> {
        self.details.as_ref()?.pointer("/request/method")?.as_str()
    }

    /// `details.request.path`.
    pub fn path(&self) -> Option<&str> {
        self.details.as_ref()?.pointer("/request/path")?.as_str()
    }

    /// `details.response.body` (the created object of a POST).
    pub fn response_body(&self) -> Option<&serde_json::Value> {
        self.details.as_ref()?.pointer("/response/body")
    }
}

/// What a log read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logs {
    /// The entries, newest first; `truncated` when more matched than could be read.
    Read {
        /// The entries.
        entries: Vec<LogEntry>,
        /// More entries matched than Auth0's offset window lets a client page through.
        truncated: bool,
    },
    /// The token lacks `read:logs`.
    Forbidden,
}

impl Client {
    /// Reads the entries matching `q` (Auth0's search syntax), newest first, up to
    /// [`OFFSET_WINDOW`]. Answers [`Logs::Forbidden`] when the token may not read logs.
    pub async fn read_logs(&self, q: &str) -> Result<Logs> {
        let scopes = self.scopes();
        if !scopes.is_empty() && !scopes.contains(READ_LOGS) && !scopes.contains("read:logs_users")
        {
            return Ok(Logs::Forbidden);
        }
        let mut entries = Vec::new();
        for page in 0..OFFSET_WINDOW / PER_PAGE {
            let page_str = page.to_string();
            let per_page = PER_PAGE.to_string();
            let req = Request::management(Method::GET, "/api/v2/logs", "/api/v2/logs".into())
                .query(&[
                    ("q", q),
                    ("sort", "date:-1"),
                    ("page", &page_str),
                    ("per_page", &per_page),
                ]);
            let reply = self.http.send(req).await?;
            let batch: Vec<LogEntry> = match reply.json() {
                Ok(batch) => batch,
                Err(Error::Api { status: 403, .. }) => return Ok(Logs::Forbidden),
                Err(e) => return Err(e),
            };
            let short = batch.len() < PER_PAGE;
            entries.extend(batch);
            if short {
                return Ok(Logs::Read {
                    entries,
                    truncated: false,
                });
            }
        }
        Ok(Logs::Read {
            entries,
            truncated: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_auth0s_shape() {
        let json = r#"{"date":"2021-09-03T20:16:31.489Z","type":"sapi","description":"Create a User",
            "client_id":"2cnW","client_name":"","ip":"::1","details":{"request":{"method":"post",
            "path":"/api/v2/users","body":{}},"response":{"statusCode":201,"body":{"user_id":"u"}}},
            "log_id":"900","_id":"900","isMobile":false}"#;
        let e: LogEntry = serde_json::from_str(json).unwrap();
        assert_eq!(
            (e.kind.as_str(), e.method(), e.path()),
            ("sapi", Some("post"), Some("/api/v2/users"))
        );
        assert_eq!(e.response_body().unwrap()["user_id"], "u");
    }
}
