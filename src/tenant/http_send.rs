//! [`Http::send`], one named step at a time: check the tenant is reachable, build the request,
//! wait for the governor and send, receive (rate headers to the governor, redirects refused,
//! the body read up to [`MAX_BODY`], one debug line), classify the reply (return it, renew a
//! refused token once, or fail), and decide whether a failure is retried and after how long.
//!
//! Owns the retry loop and the reading of one response. Must not log headers, query values
//! holding secrets or bodies, and must not follow a redirect.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

use super::{Http, MAX_BODY, Reply, Request, UNREACHABLE_AFTER};
use crate::tenant::backoff::{self, Failure, MAX_ATTEMPTS, MAX_TOTAL_WAIT};
use crate::tenant::error::{Error, Result};
use crate::tenant::governor::{RateHeaders, Ticket};
use crate::tenant::tls;

/// What one attempt came to.
enum Outcome {
    /// The reply to return.
    Reply(Reply),
    /// The token was refused and a new one obtained: send again at once, without backoff.
    Renewed,
    /// A failure for the retry policy to judge.
    Failed(Failed),
}

/// A failed attempt: its kind, the wait before a retry, and the status or transport error.
struct Failed {
    failure: Failure,
    wait: Duration,
    last: std::result::Result<StatusCode, String>,
}

/// A response as received: the body may have failed to arrive.
struct Received {
    status: StatusCode,
    headers: HeaderMap,
    body: std::result::Result<Vec<u8>, reqwest::Error>,
}

impl Http {
    /// Sends with governor and retries; returns the first response that is not retried.
    pub(in crate::tenant) async fn send(&self, req: Request<'_>) -> Result<Reply> {
        let mut waited = Duration::ZERO;
        let mut attempt = 0u32;
        let mut renewed = false;
        loop {
            attempt += 1;
            self.check_reachable(&req)?;
            match self.attempt(&req, attempt, renewed).await? {
                Outcome::Reply(reply) => return Ok(reply),
                Outcome::Renewed => {
                    // expired or revoked mid-run: one new token, one retry, no backoff
                    renewed = true;
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                }
                Outcome::Failed(failed) => {
                    let wait = retry_wait(&req, attempt, waited, failed)?;
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    waited += wait;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Fails at once once a retry budget of connection attempts in a row found nobody listening.
    fn check_reachable(&self, req: &Request<'_>) -> Result<()> {
        let failed_connects = self.counters.unreachable.load(Ordering::Relaxed);
        if failed_connects >= UNREACHABLE_AFTER {
            return Err(Error::Unreachable {
                method: req.method_str(),
                path: req.template,
                host: self.base.authority().to_string(),
                attempts: failed_connects,
            });
        }
        Ok(())
    }

    /// One attempt: build, wait for the governor, send, receive and classify.
    async fn attempt(&self, req: &Request<'_>, attempt: u32, renewed: bool) -> Result<Outcome> {
        let (builder, generation) = self.build(req)?;
        let ticket = self
            .governor
            .start(req.bucket, req.method == Method::GET)
            .await;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        match builder.send().await {
            Err(e) => {
                drop(ticket);
                self.transport_failure(req, e, attempt).map(Outcome::Failed)
            }
            Ok(resp) => {
                let received = self.receive(req, resp, ticket, started, attempt).await?;
                self.classify(req, received, attempt, generation, renewed)
                    .await
            }
        }
    }

    /// No response: a connection refused counts towards [`UNREACHABLE_AFTER`]; a failed TLS
    /// handshake is an error at once (retrying cannot fix a certificate).
    fn transport_failure(
        &self,
        req: &Request<'_>,
        e: reqwest::Error,
        attempt: u32,
    ) -> Result<Failed> {
        let method = req.method_str();
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
        Ok(Failed {
            failure,
            wait: backoff::backoff(attempt - 1, rand::random()),
            last: Err(reason),
        })
    }

    /// A response: its rate headers go to the governor, a redirect is refused, the body is read
    /// up to [`MAX_BODY`], and one debug line is logged.
    async fn receive(
        &self,
        req: &Request<'_>,
        resp: reqwest::Response,
        ticket: Ticket<'_>,
        started: Instant,
        attempt: u32,
    ) -> Result<Received> {
        let method = req.method_str();
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
        Ok(Received {
            status,
            headers,
            body,
        })
    }

    /// What a received response means: a 429 pauses every request, a 5xx or a lost body is a
    /// failure to judge, a 401 renews the token once, anything else is the reply.
    async fn classify(
        &self,
        req: &Request<'_>,
        received: Received,
        attempt: u32,
        generation: Option<u64>,
        renewed: bool,
    ) -> Result<Outcome> {
        let Received {
            status,
            headers,
            body,
        } = received;
        let failed = |failure, wait, last| {
            Ok(Outcome::Failed(Failed {
                failure,
                wait,
                last,
            }))
        };
        match body {
            Err(e) => failed(
                Failure::AfterSend,
                backoff::backoff(attempt - 1, rand::random()),
                Err(error_chain(e.without_url())),
            ),
            Ok(_) if status == StatusCode::TOO_MANY_REQUESTS => {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                let wait = rate_limit_wait(&headers, attempt - 1);
                self.governor.pause(Instant::now() + wait);
                failed(Failure::RateLimited, wait, Ok(status))
            }
            Ok(_) if status.is_server_error() => failed(
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
                    return Ok(Outcome::Renewed);
                }
                Ok(Outcome::Reply(Reply {
                    status,
                    body,
                    headers,
                    method: req.method_str(),
                    template: req.template,
                    secrets: self.secrets(req),
                }))
            }
        }
    }
}

/// The wait before the next attempt, or the error to return when `failed` is not retried: a
/// request that may not be repeated has an unknown outcome; one out of attempts or of waiting
/// time reports the last status or transport error.
fn retry_wait(
    req: &Request<'_>,
    attempt: u32,
    waited: Duration,
    failed: Failed,
) -> Result<Duration> {
    let method = req.method_str();
    let Failed {
        failure,
        wait,
        last,
    } = failed;
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
    Ok(wait)
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
