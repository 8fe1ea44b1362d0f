//! Errors of the emulator: [`Error`] for startup and persistence (reaches the user through miette),
//! [`ApiError`] for Auth0's Management API error body and [`OAuthError`] for `/oauth/token`.
//!
//! Owns the wire shape of every error response. Must not decide when an error happens; handlers do.

use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `Content-Type` of every Management API response, including 204s.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Why the emulator could not start, load or save its state.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[allow(
    missing_docs,
    reason = "the #[error] message of each variant names its fields"
)]
pub enum Error {
    /// The listen address could not be bound.
    #[error("cannot listen on `{addr}`: {source}")]
    #[diagnostic(
        code(m2mctl::emulator::bind),
        help("pick another address with `--listen`, or port 0 for a free one")
    )]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    /// The state file exists but could not be read.
    #[error("cannot read the state file `{path}`: {source}")]
    #[diagnostic(code(m2mctl::emulator::state_read))]
    StateRead {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The state file is not valid JSON of the expected shape.
    #[error("the state file `{path}` is corrupt: {reason}")]
    #[diagnostic(
        code(m2mctl::emulator::state_corrupt),
        help(
            "the file was left untouched; restore it from a backup or pass another `--state` path"
        )
    )]
    StateCorrupt { path: PathBuf, reason: String },
    /// The state file was not written by m2mctl (no format marker) or by a newer version.
    #[error("`{path}` is not an m2mctl emulator state file ({reason})")]
    #[diagnostic(
        code(m2mctl::emulator::state_foreign),
        help(
            "the file was left untouched; pass a new path with `--state` to start a fresh tenant"
        )
    )]
    StateForeign { path: PathBuf, reason: String },
    /// Another process (or emulator) uses the state file.
    #[error("the state file `{path}` is in use by {holder}")]
    #[diagnostic(
        code(m2mctl::emulator::state_locked),
        help(
            "one process at a time keeps a tenant's state (two would lose each other's writes): stop the other one, or pass another `--state` path"
        )
    )]
    StateLocked { path: PathBuf, holder: String },
    /// Writing the state file failed.
    #[error("cannot write the state file `{path}`: {source}")]
    #[diagnostic(
        code(m2mctl::emulator::state_write),
        help("check the directory is writable and the disk is not full")
    )]
    StateWrite {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Certificate or key problems.
    #[error("tls: {reason}")]
    #[diagnostic(
        code(m2mctl::emulator::tls),
        help(
            "`--cert` and `--key` take PEM files; without them `--tls` makes a self-signed certificate"
        )
    )]
    Tls { reason: String },
    /// The `--faults` spec does not parse.
    #[error("invalid fault spec `{spec}`: {reason}")]
    #[diagnostic(
        code(m2mctl::emulator::faults),
        help(
            "write comma-separated `KIND:VALUE` items, e.g. `429:0.1,500:0.05,lost:0.05,latency:0-20ms`; probabilities add up to at most 1"
        )
    )]
    Faults { spec: String, reason: String },
    /// The `--rate-limit`/`--burst` values are unusable.
    #[error("invalid rate limit: {reason}")]
    #[diagnostic(
        code(m2mctl::emulator::rate_limit),
        help(
            "`--rate-limit` takes a positive number of requests per second and `--burst` a positive integer"
        )
    )]
    RateLimit { reason: String },
    /// The signing key could not be made or loaded.
    #[error("signing key: {reason}")]
    #[diagnostic(code(m2mctl::emulator::signing_key))]
    Key { reason: String },
}

/// Auth0's Management API error body `{statusCode, error, message, errorCode}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Human text, as Auth0 words it.
    pub message: String,
    /// Machine code (`inexistent_client`, …); absent on some Auth0 errors.
    pub error_code: Option<&'static str>,
    /// JWT-layer errors carry `attributes: {error: message}` instead of an `errorCode`.
    pub attributes: bool,
}

impl ApiError {
    /// An error with a code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            error_code: Some(code),
            attributes: false,
        }
    }
    /// 400 `invalid_body` with `Payload validation error: '<reason>'…`.
    pub fn invalid_body(detail: impl AsRef<str>) -> ApiError {
        let message = format!("Payload validation error: {}", detail.as_ref());
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
    }
    /// 400 `invalid_query_string` with `Query validation error: …`.
    pub fn invalid_query(detail: impl AsRef<str>) -> ApiError {
        let message = format!("Query validation error: {}", detail.as_ref());
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query_string", message)
    }
    /// 400 with another code (`operation_not_supported`, …).
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    /// 400 `operation_not_supported`: the object may not be changed that way (system API,
    /// global client, system grant).
    pub fn not_supported(message: impl Into<String>) -> ApiError {
        ApiError::bad_request("operation_not_supported", message)
    }
    /// 401 from the JWT layer (`Invalid token`, `Expired token received…`).
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: message.into(),
            error_code: None,
            attributes: true,
        }
    }
    /// 403 `insufficient_scope` listing the accepted scopes.
    pub fn insufficient_scope(any_of: &[&str]) -> ApiError {
        let message = format!("Insufficient scope, expected any of: {}", any_of.join(", "));
        ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope", message)
    }
    /// 403 `insufficient_scope` when `fields` names a field the token may not read (Auth0
    /// hides such fields when they are not asked for). The wording is as recorded in
    /// research/auth0-api.md §2.1, which quotes it only up to "granted".
    pub fn forbidden_fields() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "Some fields cannot be read with the permissions granted",
        )
    }
    /// 404 with Auth0's `inexistent_*` code.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }
    /// 409.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }
    /// 429 `too_many_requests`.
    pub fn too_many_requests() -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Global limit has been reached",
        )
    }
    /// 500 (failed persistence, injected faults).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
            error_code: None,
            attributes: false,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiErrorBody<'a> {
    status_code: u16,
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Attributes<'a>>,
}

#[derive(Serialize)]
struct Attributes<'a> {
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            status_code: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
            error_code: self.error_code,
            attributes: self.attributes.then_some(Attributes {
                error: &self.message,
            }),
        };
        json_response(self.status, &body)
    }
}

/// OAuth-style error of `/oauth/token`: `{error, error_description}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// `access_denied`, `unauthorized_client`, `invalid_request`, …
    pub error: &'static str,
    /// Human text, as Auth0 words it.
    pub description: String,
}

impl OAuthError {
    /// Builds one.
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut body = serde_json::Map::new();
        body.insert("error".into(), self.error.into());
        body.insert("error_description".into(), self.description.into());
        if self.error == "unauthorized_client" {
            body.insert(
                "error_uri".into(),
                "https://auth0.com/docs/clients/client-grant-types".into(),
            );
        }
        let mut response = json_response(self.status, &body);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// A JSON response with Auth0's `Content-Type`.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => bytes_response(status, bytes),
        Err(e) => {
            let text = format!(
                r#"{{"statusCode":500,"error":"Internal Server Error","message":"cannot encode the response: {e}"}}"#
            );
            bytes_response(StatusCode::INTERNAL_SERVER_ERROR, text.into_bytes())
        }
    }
}

/// A response of already-encoded JSON.
pub fn bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = (status, bytes).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    response
}

/// 204 with no body (Auth0 still sends the JSON content type).
pub fn no_content() -> Response {
    bytes_response(StatusCode::NO_CONTENT, Vec::new())
}
