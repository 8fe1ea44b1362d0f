//! The one place requests are sent: headers, the rate governor, retries, logging and counters.
//!
//! Owns [`Http::send`]: it adds `Authorization`, `Accept` and `User-Agent`, waits for the
//! governor, retries what [`backoff`](super::backoff) says may be retried (never a failed TLS
//! handshake, see [`tls`](super::tls)), logs one debug line
//! per attempt (method, path, status, duration: never headers, query values holding secrets, or
//! bodies) and counts requests, retries and 429s. Also maps Auth0's error body to
//! [`Error::Api`]. Never follows a redirect (a 3xx is [`Error::Redirect`]: the credentials stay
//! with the tenant), never reads more than [`MAX_BODY`] of a response, and hands each [`Reply`]
//! the secrets its request carried so server-supplied text can be redacted of them. Must not know
//! about clients, grants or APIs.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode};

use super::backoff::{self, Failure, MAX_ATTEMPTS, MAX_TOTAL_WAIT, Retry};
use super::domain::TenantUrl;
use super::error::{Error, Result};
use super::governor::{Bucket, Governor, RateHeaders};
use super::own_token::OwnToken;
pub(crate) use super::reply::{Reply, redact_serde};
use super::secret::Secret;
use super::tls;

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

    /// Sends with governor and retries; returns the first response that is not retried.
    pub(super) async fn send(&self, req: Request<'_>) -> Result<Reply> {
        let method = req.method_str();
        let mut waited = Duration::ZERO;
        let mut attempt = 0u32;
        let mut renewed = false;
        loop {
            attempt += 1;
            let failed_connects = self.counters.unreachable.load(Ordering::Relaxed);
            if failed_connects >= UNREACHABLE_AFTER {
                return Err(Error::Unreachable {
                    method,
                    path: req.template,
                    host: self.base.authority().to_string(),
                    attempts: failed_connects,
                });
            }
            let (builder, generation) = self.build(&req)?;
            let ticket = self
                .governor
                .start(req.bucket, req.method == Method::GET)
                .await;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let (failure, wait, last) = match builder.send().await {
                Err(e) => {
                    drop(ticket);
                    let handshake = tls::handshake_failure(&e);
                    let failure = if e.is_connect() {
                        self.counters.unreachable.fetch_add(1, Ordering::Relaxed);
                        Failure::Connect
                    } else {
                        Failure::AfterSend
                    };
                    let reason = error_chain(e.without_url());
                    tracing::debug!(method, path = %req.path, error = %reason, attempt, "request failed");
                    if let Some(tls) = handshake {
                        let host = self.base.authority().to_string();
                        return Err(Error::Tls {
                            method,
                            path: req.template,
                            help: tls.help(&host),
                            host,
                            reason: tls.reason,
                        });
                    }
                    (
                        failure,
                        backoff::backoff(attempt - 1, rand::random()),
                        Err(reason),
                    )
                }
                Ok(resp) => {
                    self.counters.unreachable.store(0, Ordering::Relaxed);
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    let throttled = status == StatusCode::TOO_MANY_REQUESTS;
                    ticket.finish(rate_headers(&headers), throttled);
                    if status.is_redirection() {
                        return Err(Error::Redirect {
                            method,
                            path: req.template,
                            status: status.as_u16(),
                            location: location(&headers),
                        });
                    }
                    let body = match read_capped(resp, MAX_BODY).await {
                        Ok(Some(body)) => Ok(body),
                        Ok(None) => {
                            return Err(Error::TooLarge {
                                method,
                                path: req.template,
                                limit: MAX_BODY,
                            });
                        }
                        Err(e) => Err(e),
                    };
                    tracing::debug!(
                        method,
                        path = %req.path,
                        status = status.as_u16(),
                        ms = started.elapsed().as_millis() as u64,
                        attempt,
                        "request"
                    );
                    match body {
                        Err(e) => (
                            Failure::AfterSend,
                            backoff::backoff(attempt - 1, rand::random()),
                            Err(error_chain(e.without_url())),
                        ),
                        Ok(body) if throttled => {
                            self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                            let wait = rate_limit_wait(&headers, attempt - 1);
                            self.governor.pause(Instant::now() + wait);
                            drop(body);
                            (Failure::RateLimited, wait, Ok(status))
                        }
                        Ok(_) if status.is_server_error() => (
                            Failure::Server,
                            backoff::backoff(attempt - 1, rand::random()),
                            Ok(status),
                        ),
                        Ok(body) => {
                            if status == StatusCode::UNAUTHORIZED
                                && !renewed
                                && let Some(used) = generation
                                && self.renew(used).await?
                            {
                                // expired or revoked mid-run: one new token, one retry, no backoff
                                renewed = true;
                                self.counters.retries.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                            return Ok(Reply {
                                status,
                                body,
                                headers,
                                method,
                                template: req.template,
                                secrets: self.secrets(&req),
                            });
                        }
                    }
                }
            };
            let reason = match &last {
                Ok(status) => format!("status {}", status.as_u16()),
                Err(e) => e.clone(),
            };
            if !backoff::should_retry(req.retry, failure) {
                return Err(Error::OutcomeUnknown {
                    method,
                    path: req.template,
                    reason,
                });
            }
            if attempt >= MAX_ATTEMPTS || waited + wait > MAX_TOTAL_WAIT {
                return Err(match last {
                    Ok(status) => Error::RetriesExhausted {
                        method,
                        path: req.template,
                        attempts: attempt,
                        status: status.as_u16(),
                    },
                    Err(reason) => Error::Transport {
                        method,
                        path: req.template,
                        reason,
                    },
                });
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            waited += wait;
            tokio::time::sleep(wait).await;
        }
    }
}

/// The body, or `None` when it is longer than `limit` (announced or streamed).
async fn read_capped(
    mut resp: reqwest::Response,
    limit: u64,
) -> std::result::Result<Option<Vec<u8>>, reqwest::Error> {
    if resp.content_length().is_some_and(|len| len > limit) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The `Location` of a redirect as it may be shown: control characters escaped, at most 200
/// characters, without its query (it could carry a code or token).
fn location(headers: &HeaderMap) -> String {
    let raw = headers
        .get(reqwest::header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_else(|| "(no Location header)".into());
    let without_query = raw.split(['?', '#']).next().unwrap_or_default();
    let shown: String = crate::sanitize::control(without_query)
        .chars()
        .take(200)
        .collect();
    shown
}

/// An error with its sources (reqwest's own message alone says only "error sending request").
fn error_chain(e: reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn rate_headers(headers: &HeaderMap) -> Option<RateHeaders> {
    RateHeaders::parse(
        header(headers, "x-ratelimit-limit"),
        header(headers, "x-ratelimit-remaining"),
    )
}

fn rate_limit_wait(headers: &HeaderMap, retry: u32) -> Duration {
    backoff::rate_limit_wait(
        header(headers, RETRY_AFTER.as_str()),
        header(headers, "x-ratelimit-reset"),
        SystemTime::now(),
        retry,
        rand::random(),
    )
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
