//! A response that is final (not retried), and the mapping of Auth0's error bodies.
//!
//! Owns [`Reply`]: decoding a success body into a typed value and turning Auth0's
//! `{statusCode, error, message, errorCode}` into [`Error::Api`] with a help line. Never quotes
//! a success body in an error (a created client's response holds its secret), and every text
//! the server supplies (`message`, an HTML excerpt) is redacted of the secrets the request
//! carried and of anything shaped like a token, with control characters escaped. Must not send.

use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::{Error, Result, api_help};
use super::secret::Secret;

/// A final response: any status that is not retried.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// The response headers (read by `m2mctl api -i`; never logged).
    pub headers: reqwest::header::HeaderMap,
    pub(crate) method: &'static str,
    pub(crate) template: &'static str,
    /// What the request carried that must never be shown (token, client secret).
    pub(crate) secrets: Vec<Secret>,
}

/// Auth0's Management API error body.
#[derive(Deserialize)]
struct ApiErrorBody {
    message: Option<String>,
    error: Option<String>,
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
}

impl Reply {
    /// Decodes a success body; a non-2xx status becomes [`Error::Api`].
    pub(super) fn json<T: DeserializeOwned>(self) -> Result<T> {
        if !self.status.is_success() {
            return Err(self.api_error());
        }
        serde_json::from_slice(&self.body).map_err(|e| self.unexpected(redact_serde(&e)))
    }

    /// Succeeds on 2xx (body ignored); else [`Error::Api`].
    pub(super) fn ok(self) -> Result<()> {
        if self.status.is_success() {
            Ok(())
        } else {
            Err(self.api_error())
        }
    }

    /// An error about this reply's shape (never quotes a success body: it may hold a secret).
    pub(super) fn unexpected(&self, reason: String) -> Error {
        Error::Unexpected {
            method: self.method,
            path: self.template,
            status: self.status.as_u16(),
            reason,
        }
    }

    /// Maps `{statusCode, error, message, errorCode}` to [`Error::Api`].
    pub(super) fn api_error(&self) -> Error {
        let status = self.status.as_u16();
        let parsed: Option<ApiErrorBody> = serde_json::from_slice(&self.body).ok();
        let (message, error_code) = match parsed {
            Some(b) => (b.message.or(b.error), b.error_code),
            None => (None, None),
        };
        let message = match message {
            Some(m) => self.redact(&m),
            None => self.text_excerpt(),
        };
        let error_code = error_code.map(|c| self.redact(&c));
        Error::Api {
            method: self.method,
            path: self.template,
            status,
            help: api_help(status, error_code.as_deref(), &message),
            message,
            error_code,
        }
    }

    /// Server-supplied `text` as it may be shown: redacted, control characters escaped.
    pub(super) fn redact(&self, text: &str) -> String {
        let secrets: Vec<&str> = self.secrets.iter().map(Secret::expose).collect();
        crate::sanitize::redact(text, &secrets)
    }

    /// The first line of a non-JSON error body, shortened (for proxies answering HTML), redacted.
    pub(super) fn text_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let line: String = text
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        if line.trim().is_empty() {
            self.status
                .canonical_reason()
                .unwrap_or("no message")
                .to_string()
        } else {
            self.redact(&line)
        }
    }
}

/// A serde error without the value it may quote (a success body can hold a secret).
pub(crate) fn redact_serde(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.starts_with("missing field") {
        return text;
    }
    format!("invalid JSON at line {} column {}", e.line(), e.column())
}
