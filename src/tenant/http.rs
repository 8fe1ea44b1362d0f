//! The one place requests are sent: headers, the rate governor, retries, logging and counters.
//!
//! Owns [`Http::send`]: it adds `Authorization`, `Accept` and `User-Agent`, waits for the
//! governor, retries what [`backoff`](super::backoff) says may be retried (never a failed TLS
//! handshake, see [`tls`](super::tls)), logs one debug line
//! per attempt (method, path, status, duration: never headers, query values holding secrets, or
//! bodies) and counts requests, retries and 429s. Also maps Auth0's error body to
//! [`Error::Api`]. Never follows a redirect (a 3xx is [`Error::Redirect`]: the credentials stay
//! with the tenant), never reads more than [`MAX_BODY`] of a response, and hands each [`Reply`]
//! the secrets its request carried so server-supplied text can be redacted of them. The send
//! loop itself, step by step, is in `http_send.rs`; this file holds the request, the client, the
//! token and the counters. Must not know about clients, grants or APIs.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
#[cfg(test)]
use reqwest::StatusCode; // for `http_tests.rs`, which imports `super::*`
use reqwest::header::{ACCEPT, USER_AGENT};

use super::backoff::{MAX_ATTEMPTS, Retry};
use super::domain::TenantUrl;
use super::error::{Error, Result};
use super::governor::{Bucket, Governor};
use super::own_token::OwnToken;
pub(crate) use super::reply::{Reply, redact_serde};
use super::secret::Secret;

/// `m2mctl/<version>`.
pub const USER_AGENT_VALUE: &str = concat!("m2mctl/", env!("CARGO_PKG_VERSION"));
/// Per-attempt timeout.
const TIMEOUT: Duration = Duration::from_secs(30);
/// After this many connection attempts in a row found nobody listening (a full retry budget),
/// every further request fails at once with [`Error::Unreachable`] instead of retrying again.
pub(crate) const UNREACHABLE_AFTER: u32 = MAX_ATTEMPTS;
/// The largest response body read (a page of 100 clients is well under 1 MiB).
pub(crate) const MAX_BODY: u64 = 32 * 1024 * 1024;

/// Request counters of one client, for apply's summary and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Attempts sent (retries included).
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// 429 responses received.
    pub throttled: u64,
}

#[derive(Debug, Default)]
struct Counters {
    /// Connection attempts that failed in a row (any response resets it).
    unreachable: AtomicU32,
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
}

/// How a request authenticates.
pub(crate) enum Auth<'a> {
    /// The Management API token.
    Bearer,
    /// HTTP Basic (client_secret_basic at `/oauth/token`).
    Basic(&'a str, &'a Secret),
    /// Nothing (form-body credentials, JWKS).
    None,
}

/// A request body.
pub(crate) enum Body<'a> {
    /// No body.
    Empty,
    /// JSON.
    Json(&'a serde_json::Value),
    /// `application/x-www-form-urlencoded` (may hold a secret: never logged).
    Form(Vec<(&'static str, &'a str)>),
}

/// One logical request (the retry loop may send it several times).
pub(crate) struct Request<'a> {
    pub method: Method,
    /// Path template for errors, e.g. `/api/v2/clients/{id}`.
    pub template: &'static str,
    /// The encoded path, starting with `/`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Body<'a>,
    pub auth: Auth<'a>,
    pub retry: Retry,
    pub bucket: Bucket,
}

impl<'a> Request<'a> {
    /// A Management API request with bearer auth; GET/PATCH/DELETE are safe, POST is a create.
    pub(super) fn management(method: Method, template: &'static str, path: String) -> Request<'a> {
        let retry = if method == Method::POST {
            Retry::Create
        } else {
            Retry::Safe
        };
        Request {
            method,
            template,
            path,
            query: Vec::new(),
            body: Body::Empty,
            auth: Auth::Bearer,
            retry,
            bucket: Bucket::Management,
        }
    }

    /// Adds query parameters.
    pub(super) fn query(mut self, pairs: &[(&'static str, &str)]) -> Request<'a> {
        self.query
            .extend(pairs.iter().map(|(k, v)| (*k, v.to_string())));
        self
    }

    /// Sets a JSON body.
    pub(super) fn json(mut self, body: &'a serde_json::Value) -> Request<'a> {
        self.body = Body::Json(body);
        self
    }

    fn method_str(&self) -> &'static str {
        match self.method {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            Method::PUT => "PUT",
            _ => "HTTP",
        }
    }
}

/// The HTTP layer of one tenant connection.
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    pub base: TenantUrl,
    pub governor: Governor,
    counters: Counters,
    /// The Management API token and its generation (bumped by every renewal).
    token: RwLock<Option<(u64, Secret)>>,
    /// How to renew it (client credentials only).
    own: Option<OwnToken>,
    /// Serialises renewals so concurrent 401s of one token share one new token.
    renewing: tokio::sync::Mutex<()>,
}

impl Http {
    /// Builds the reqwest client (extra trusted roots from `ca_pem`) and the governor.
    pub(super) fn new(
        base: TenantUrl,
        ca: Option<Vec<reqwest::Certificate>>,
        governor: Governor,
    ) -> Result<Http> {
        let mut builder = reqwest::Client::builder()
            // Auth0's APIs never redirect; following one would carry the credentials along.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(30));
        if let Some(certs) = ca {
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| Error::Setup(e.without_url().to_string()))?;
        Ok(Http {
            client,
            base,
            governor,
            counters: Counters::default(),
            token: RwLock::new(None),
            own: None,
            renewing: tokio::sync::Mutex::new(()),
        })
    }

    /// Lets a 401 renew the token with these credentials (client credentials only).
    pub(super) fn with_renewal(mut self, own: OwnToken) -> Http {
        self.own = Some(own);
        self
    }

    /// Sets the Management API token (a new generation).
    pub(super) fn set_token(&self, token: Secret) {
        let mut slot = self.token.write().unwrap_or_else(|e| e.into_inner());
        let generation = slot.as_ref().map_or(0, |(g, _)| g + 1);
        *slot = Some((generation, token));
    }

    fn current_token(&self) -> Option<(u64, Secret)> {
        self.token.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the token now (its scopes are stale); `None` when there is no way to renew.
    pub(super) async fn renew_now(&self) -> Result<Option<Secret>> {
        let Some(own) = &self.own else {
            return Ok(None);
        };
        let _one_at_a_time = self.renewing.lock().await;
        let token = Box::pin(own.fresh(self)).await?;
        self.set_token(token.clone());
        Ok(Some(token))
    }

    /// Replaces the token that generation `used` refused, unless a concurrent request already
    /// did. Returns false when there is no way to renew.
    async fn renew(&self, used: u64) -> Result<bool> {
        let Some(own) = &self.own else {
            return Ok(false);
        };
        let _one_at_a_time = self.renewing.lock().await;
        if self.current_token().is_some_and(|(g, _)| g != used) {
            return Ok(true);
        }
        tracing::debug!("the Management API token was refused (401); requesting a new one");
        // boxed: the exchange sends through `send`, which called us
        let token = Box::pin(own.fresh(self)).await?;
        self.set_token(token);
        Ok(true)
    }

    /// The counters so far.
    pub(super) fn metrics(&self) -> Metrics {
        Metrics {
            requests: self.counters.requests.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
            throttled: self.counters.throttled.load(Ordering::Relaxed),
        }
    }

    /// The secrets `req` carries (bearer token, Basic password, secret form values), for redaction.
    fn secrets(&self, req: &Request<'_>) -> Vec<Secret> {
        let mut secrets = Vec::new();
        match &req.auth {
            Auth::Bearer => secrets.extend(self.current_token().map(|(_, token)| token)),
            Auth::Basic(_, password) => secrets.push((*password).clone()),
            Auth::None => {}
        }
        if let Body::Form(pairs) = &req.body {
            secrets.extend(
                pairs
                    .iter()
                    .filter(|(k, _)| *k == "client_secret" || *k == "client_assertion")
                    .map(|(_, v)| Secret::new(*v)),
            );
        }
        secrets
    }

    /// The request, and the token generation it carries (bearer requests only).
    fn build(&self, req: &Request<'_>) -> Result<(reqwest::RequestBuilder, Option<u64>)> {
        let mut rb = self
            .client
            .request(req.method.clone(), self.base.url(&req.path))
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, USER_AGENT_VALUE);
        if !req.query.is_empty() {
            rb = rb.query(&req.query);
        }
        let mut generation = None;
        rb = match &req.auth {
            Auth::Bearer => {
                let (g, token) = self
                    .current_token()
                    .ok_or_else(|| Error::MissingCredentials {
                        domain: self.base.authority().to_string(),
                    })?;
                generation = Some(g);
                rb.bearer_auth(token.expose())
            }
            Auth::Basic(user, password) => rb.basic_auth(user, Some(password.expose())),
            Auth::None => rb,
        };
        let rb = match &req.body {
            Body::Empty => rb,
            Body::Json(v) => rb.json(v),
            Body::Form(pairs) => rb.form(pairs),
        };
        Ok((rb, generation))
    }
}

#[path = "http_send.rs"]
mod send;

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
