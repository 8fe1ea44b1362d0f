//! Raw requests for `m2mctl api`: any method and path, to the tenant or to a declared API's
//! origin, with a given bearer token, through the same send helper as every other request (rate
//! governor, retries of what may be retried, TLS rules: https, or plain http to loopback only).
//!
//! Owns [`Passthrough`] and [`RawReply`]. Must not interpret the body (that is the command's job)
//! and never logs a header or a body.

use std::sync::Arc;

use reqwest::Method;
use serde_json::Value;

use super::domain::TenantUrl;
use super::error::Result;
use super::governor::Governor;
use super::http::{Http, Request};
use super::{Options, Secret, load_ca};
use crate::endpoints;

/// Response headers `api -i` shows (Auth0's rate-limit headers and `retry-after`).
pub const SHOWN_HEADERS: &[&str] = &[
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
];

/// A final response, whatever its status.
#[derive(Debug)]
pub struct RawReply {
    /// HTTP status.
    pub status: u16,
    /// Its reason phrase (`OK`, `Forbidden`).
    pub reason: &'static str,
    /// The [`SHOWN_HEADERS`] present, in that order.
    pub headers: Vec<(&'static str, String)>,
    /// The body as received.
    pub body: Vec<u8>,
}

/// A connection to one origin with one bearer token.
#[derive(Debug, Clone)]
pub struct Passthrough {
    http: Arc<Http>,
}

impl Passthrough {
    /// Connects to `origin` (`https://host[:port]`, or `http://` on loopback) with `token`.
    pub fn new(origin: &TenantUrl, token: Secret, options: &Options) -> Result<Passthrough> {
        let ca = match &options.ca_cert {
            Some(path) => Some(load_ca(path)?),
            None => None,
        };
        let http = Http::new(
            origin.clone(),
            ca,
            Governor::new(options.max_rps, options.concurrency.max(1)),
        )?;
        http.set_token(token);
        Ok(Passthrough {
            http: Arc::new(http),
        })
    }

    /// The origin requests go to.
    pub fn origin(&self) -> &TenantUrl {
        &self.http.base
    }

    /// Sends `method path_and_query` (path already percent-encoded, starting with `/`) with an
    /// optional JSON body; 4xx answers are returned, 5xx and 429 are retried as for any request.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<RawReply> {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let template = endpoints::find(method.as_str(), path)
            .map(|e| e.path)
            .unwrap_or("the requested path");
        let mut req = Request::management(method, template, path_and_query.to_string());
        if let Some(body) = body {
            req = req.json(body);
        }
        let reply = self.http.send(req).await?;
        let headers = SHOWN_HEADERS
            .iter()
            .filter_map(|name| {
                let value = reply.headers.get(*name)?.to_str().ok()?;
                Some((*name, value.to_string()))
            })
            .collect();
        Ok(RawReply {
            status: reply.status.as_u16(),
            reason: reply.status.canonical_reason().unwrap_or(""),
            headers,
            body: reply.body,
        })
    }
}

impl super::Client {
    /// Raw requests to this tenant with m2mctl's own token (sharing its governor and counters).
    pub fn passthrough(&self) -> Passthrough {
        Passthrough {
            http: self.http.clone(),
        }
    }
}
