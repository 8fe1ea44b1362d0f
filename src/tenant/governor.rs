//! The rate governor shared by every request of one client (plan reads, apply writes, tokens).
//!
//! Owns three limits: a bounded number of requests in flight (reads get [`READ_FACTOR`] times as
//! many as writes: a no-op plan of a large tenant is pages read in parallel, bounded by latency
//! rather than by the tenant's bucket, which the model below still paces), the user's `--max-rps` (strict
//! spacing, so no one-second window ever holds more than `max_rps` starts, rounded up), and the
//! tenant's own token bucket, learnt from `x-ratelimit-limit/remaining` headers.
//!
//! The tenant model mirrors the server's bucket: after each response, the tokens available are
//! `remaining` minus the other requests still in flight; between responses the bucket refills at
//! an estimated rate. The refill rate is not in any header, so it is measured: over at least one
//! second while the bucket is below full, `rate = (remaining_now − remaining_then + responses) / Δt`
//! (smoothed). Traffic from other clients of the tenant shows up as a lower measured rate, so the
//! governor yields to them. A request starts only while at least a reserve of 10% of the bucket
//! (at least 2 tokens) would stay unused, so bursts and estimation errors hit the reserve, not a
//! 429. The pure [`Model`] takes time as an argument and is unit-tested; [`Governor`] sleeps.
//! Must not send requests or interpret response bodies.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Default bound on concurrent requests.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Reads (GET) may have this many times as many requests in flight as the concurrency bound.
pub(super) const READ_FACTOR: usize = 4;
/// Share of the tenant's bucket kept free for others and for estimation errors.
const RESERVE_SHARE: f64 = 0.10;
/// The reserve is never smaller than this many tokens (unless the bucket itself is smaller).
const RESERVE_MIN: f64 = 2.0;
/// Shortest interval used for one refill-rate sample.
const SAMPLE_WINDOW: Duration = Duration::from_secs(1);

/// Which of the tenant's rate-limit buckets a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bucket {
    /// Management API (`/api/v2/…`).
    Management = 0,
    /// Authentication API (`/oauth/token`, `/.well-known/jwks.json`).
    Authentication = 1,
}

/// The three `x-ratelimit-*` headers of one response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct RateHeaders {
    /// Bucket size.
    pub limit: f64,
    /// Tokens left after this request.
    pub remaining: f64,
}

/// The largest bucket size believed from `x-ratelimit-limit` (Auth0's are 10 to a few hundred).
const MAX_LIMIT: f64 = 100_000.0;

impl RateHeaders {
    /// Parses the header values; `None` unless limit and remaining are both finite numbers,
    /// limit above 0 and remaining at least 0. Clamped: the limit to `1..=MAX_LIMIT`, remaining
    /// to `0..=limit` (a `1e300` bucket must not turn into a wait of years or a panic).
    pub(super) fn parse(limit: Option<&str>, remaining: Option<&str>) -> Option<RateHeaders> {
        let limit: f64 = limit?.trim().parse().ok()?;
        let remaining: f64 = remaining?.trim().parse().ok()?;
        if !(limit.is_finite() && remaining.is_finite() && limit > 0.0 && remaining >= 0.0) {
            return None;
        }
        let limit = limit.clamp(1.0, MAX_LIMIT);
        Some(RateHeaders {
            limit,
            remaining: remaining.min(limit),
        })
    }
}

/// The server's bucket as this process sees it.
#[derive(Debug, Clone, Default)]
struct TenantBucket {
    limit: Option<f64>,
    available: f64,
    updated: Option<Instant>,
    rate: Option<f64>,
    /// (time, remaining, served) at the start of the current rate sample.
    anchor: Option<(Instant, f64, u64)>,
    /// Responses that consumed a token (429s do not).
    served: u64,
    in_flight: u32,
}

impl TenantBucket {
    fn reserve(&self, limit: f64) -> f64 {
        (limit * RESERVE_SHARE)
            .max(RESERVE_MIN)
            .min(limit - 1.0)
            .max(0.0)
    }

    /// Refill rate to assume: measured, else a prior of a tenth of the bucket per second.
    fn rate_or_prior(&self, limit: f64) -> f64 {
        self.rate.unwrap_or((limit / 10.0).max(0.5))
    }

    fn refill(&mut self, now: Instant) {
        if let (Some(limit), Some(updated)) = (self.limit, self.updated) {
            let dt = now.saturating_duration_since(updated).as_secs_f64();
            self.available = (self.available + dt * self.rate_or_prior(limit)).min(limit);
            self.updated = Some(now);
        }
    }
}

/// The pure governor state; every method takes the current time.
#[derive(Debug, Clone)]
pub(super) struct Model {
    interval: Option<Duration>,
    next_slot: Option<Instant>,
    paused_until: Option<Instant>,
    buckets: [TenantBucket; 2],
}

impl Model {
    /// A model with an optional `--max-rps` cap.
    pub(super) fn new(max_rps: Option<f64>) -> Model {
        Model {
            interval: max_rps
                .filter(|r| r.is_finite() && *r > 0.0)
                .and_then(|r| Duration::try_from_secs_f64(1.0 / r).ok()),
            next_slot: None,
            paused_until: None,
            buckets: Default::default(),
        }
    }

    /// Starts a request now (`Ok`) or says how long to wait before asking again.
    pub(super) fn try_start(&mut self, bucket: Bucket, now: Instant) -> Result<(), Duration> {
        if let Some(until) = self.paused_until.filter(|u| *u > now) {
            return Err(until - now);
        }
        if let Some(slot) = self.next_slot.filter(|s| *s > now) {
            return Err(slot - now);
        }
        let b = &mut self.buckets[bucket as usize];
        b.refill(now);
        if let Some(limit) = b.limit {
            let needed = b.reserve(limit) + 1.0;
            if b.available < needed {
                // until a rate is measured the prior keeps this finite: no deadlock when
                // nothing is in flight to bring news
                let wait = (needed - b.available) / b.rate_or_prior(limit);
                return Err(Duration::from_secs_f64(wait.clamp(0.001, 10.0)));
            }
            b.available -= 1.0;
        }
        b.in_flight += 1;
        if let Some(interval) = self.interval {
            let base = self.next_slot.map_or(now, |s| s.max(now));
            self.next_slot = Some(base + interval);
        }
        Ok(())
    }

    /// Records the end of a started request, with its rate-limit headers if it had any.
    pub(super) fn finish(
        &mut self,
        bucket: Bucket,
        now: Instant,
        headers: Option<RateHeaders>,
        throttled: bool,
    ) {
        let b = &mut self.buckets[bucket as usize];
        b.in_flight = b.in_flight.saturating_sub(1);
        let Some(h) = headers else { return };
        b.limit = Some(h.limit);
        if !throttled {
            b.served += 1;
        }
        b.available = (h.remaining - f64::from(b.in_flight)).max(0.0);
        b.updated = Some(now);
        if throttled || h.remaining >= h.limit - 1.0 {
            // a full bucket hides the refill; a 429 says nothing about it
            b.anchor = None;
            return;
        }
        match b.anchor {
            None => b.anchor = Some((now, h.remaining, b.served)),
            Some((at, remaining, served)) => {
                let dt = now.saturating_duration_since(at);
                if dt >= SAMPLE_WINDOW {
                    let consumed = (b.served - served) as f64;
                    let sample = (h.remaining - remaining + consumed) / dt.as_secs_f64();
                    if sample > 0.0 {
                        b.rate = Some(b.rate.map_or(sample, |r| 0.7 * r + 0.3 * sample));
                    }
                    b.anchor = Some((now, h.remaining, b.served));
                }
            }
        }
    }

    /// Holds every request until `until` (after a 429 with Retry-After / reset).
    pub(super) fn pause(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        for b in &mut self.buckets {
            b.available = b.available.min(0.0);
        }
    }

    /// The measured refill rate of a bucket (for logs and tests).
    pub(super) fn rate(&self, bucket: Bucket) -> Option<f64> {
        self.buckets[bucket as usize].rate
    }
}

/// The async governor: a semaphore for concurrency plus the [`Model`] behind a mutex.
#[derive(Debug)]
pub(super) struct Governor {
    model: Mutex<Model>,
    permits: Semaphore,
    read_permits: Semaphore,
}

/// A started request: hand its headers back with [`Ticket::finish`]; dropping it counts as a
/// request that ended without headers (transport failure).
#[derive(Debug)]
pub(super) struct Ticket<'a> {
    governor: &'a Governor,
    bucket: Bucket,
    _permit: Option<SemaphorePermit<'a>>,
    finished: bool,
}

impl Governor {
    /// A governor with `max_rps` (if any) and `concurrency` requests in flight at most.
    pub(super) fn new(max_rps: Option<f64>, concurrency: usize) -> Governor {
        Governor {
            model: Mutex::new(Model::new(max_rps)),
            permits: Semaphore::new(concurrency.max(1)),
            read_permits: Semaphore::new(concurrency.max(1) * READ_FACTOR),
        }
    }

    fn with_model<T>(&self, f: impl FnOnce(&mut Model) -> T) -> T {
        let mut guard = self
            .model
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    /// Waits until a request may start (`read`: a GET, under the larger read bound).
    pub(super) async fn start(&self, bucket: Bucket, read: bool) -> Ticket<'_> {
        let permits = if read {
            &self.read_permits
        } else {
            &self.permits
        };
        // the semaphore is never closed, so `ok()` only guards against a future refactor
        let permit = permits.acquire().await.ok();
        loop {
            match self.with_model(|m| m.try_start(bucket, Instant::now())) {
                Ok(()) => break,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
        Ticket {
            governor: self,
            bucket,
            _permit: permit,
            finished: false,
        }
    }

    /// Holds every caller until `until`.
    pub(super) fn pause(&self, until: Instant) {
        self.with_model(|m| m.pause(until));
    }

    /// The measured refill rate of a bucket.
    pub(super) fn rate(&self, bucket: Bucket) -> Option<f64> {
        self.with_model(|m| m.rate(bucket))
    }
}

impl Ticket<'_> {
    /// Ends the request with the headers of its response.
    pub(super) fn finish(mut self, headers: Option<RateHeaders>, throttled: bool) {
        self.finished = true;
        let bucket = self.bucket;
        self.governor
            .with_model(|m| m.finish(bucket, Instant::now(), headers, throttled));
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let bucket = self.bucket;
            self.governor
                .with_model(|m| m.finish(bucket, Instant::now(), None, false));
        }
    }
}

#[cfg(test)]
#[path = "governor_tests.rs"]
mod tests;
