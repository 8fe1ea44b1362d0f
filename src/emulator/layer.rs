//! The layer around every Auth0 route: rate limit (separate Management and Authentication API
//! buckets, OAuth-shaped 429 on `/oauth/token`), injected faults, `x-ratelimit-*` headers on every
//! answer (limited or not, as Auth0 sends them),
//! the JSON content type on every response, and the stats counters.
//!
//! Owns the order of those concerns: bucket first (a refused request never reaches a handler), then
//! faults, then the handler. Must not hold endpoint logic. `/__m2mctl/*` does not pass through here.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::app::AppState;
use super::error::{ApiError, JSON_UTF8, OAuthError};
use super::server::ConnKill;

static LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
static REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
static RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The middleware (see the module doc).
pub async fn outer(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let route = format!("{} {template}", req.method());
    let kill = req.extensions().get::<ConnKill>().cloned();
    // Auth0 limits the Management API and the Authentication API in separate buckets, and
    // answers a limited `/oauth/token` in OAuth's shape.
    let authentication = !req.uri().path().starts_with("/api/v2/");
    let bucket = if authentication {
        &app.auth_limiter
    } else {
        &app.limiter
    };
    let decision = bucket.take();
    let oauth = req.uri().path() == "/oauth/token";
    let too_many = || {
        if oauth {
            OAuthError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Global limit has been reached",
            )
            .into_response()
        } else {
            ApiError::too_many_requests().into_response()
        }
    };

    let mut response = if !decision.allowed {
        too_many()
    } else {
        let draw = app.faults.as_ref().map(|f| f.draw()).unwrap_or_default();
        if let Some(delay) = draw.latency {
            tokio::time::sleep(delay).await;
        }
        match draw.status {
            Some(429) => too_many(),
            Some(code) => {
                let status =
                    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut e = ApiError::internal("Internal error (fault injected by the emulator)");
                e.status = status;
                e.into_response()
            }
            None => {
                let response = next.run(req).await;
                if draw.lost
                    && let Some(kill) = kill
                {
                    app.stats.record(&route, "lost");
                    kill.fire();
                    // The connection task drops the connection; this response is never written.
                    return std::future::pending().await;
                }
                response
            }
        }
    };

    let headers = response.headers_mut();
    headers.insert(LIMIT.clone(), HeaderValue::from(decision.limit));
    headers.insert(REMAINING.clone(), HeaderValue::from(decision.remaining));
    headers.insert(RESET.clone(), HeaderValue::from(decision.reset));
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    }
    app.stats.record(&route, response.status().as_str());
    response
}
