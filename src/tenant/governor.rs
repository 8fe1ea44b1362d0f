//! The rate governor shared by every request of one client (plan reads, apply writes, tokens).
//!
//! Owns three limits: a bounded number of requests in flight (reads get [`READ_FACTOR`] times as
//! many as writes: a no-op plan of a large tenant is pages read in parallel, bounded by latency
//! rather than by the tenant's bucket, which the model below still paces), the user's `--max-rps` (strict
//! spacing, so no one-second window ever holds more than `max_rps` starts, rounded up), and the
//! tenant's own token bucket, learnt from `x-ratelimit-limit/remaining` headers.
//!
//! The tenant model mirrors the server's bucket: after each response, the tokens available are
//! `remaining` minus the requests started after that one (the server takes tokens in the order
//! requests start; responses may come back in another, and an older answer never overrides a
//! newer one); between responses the bucket refills at an estimated rate. The refill rate is not
//! in any header, so it is measured: over at least one second of starts while the bucket is
//! below full, `rate = (remaining_now − remaining_then + requests started between) / Δt`
//! (smoothed). Traffic from other clients of the tenant shows up as a lower measured rate, so the
//! governor yields to them. Until a rate is measured, a bucket is assumed to refill in
//! [`Bucket::prior_refill`] (3 s for the Management API: Auth0's Enterprise production limit,
//! burst 50 at 16/s, is 3.1 s; a read that empties the burst then paces at about the true rate
//! from the first second instead of a third of it). A request starts only while at least a reserve of 10% of the bucket
//! (at least 2 tokens) would stay unused, so bursts and estimation errors hit the reserve, not a
//! 429. The pure [`Model`] takes time as an argument and is unit-tested; [`Governor`] sleeps.
//! Must not send requests or interpret response bodies.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Default bound on concurrent requests.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Reads (GET) may have this many times as many requests in flight as the concurrency bound:
/// 64 at the default of 8, so the 100 remaining pages of a 5,000-app tenant (50 of clients, 50
/// of grants) take 2 round trips after the first pages, not 4. With a rate limit known, the
/// tenant's bucket (less the reserve) bounds them first: 45 in flight at Auth0's burst of 50.
pub const READ_FACTOR: usize = 8;
/// Share of the tenant's bucket kept free for others and for estimation errors.
const RESERVE_SHARE: f64 = 0.10;
/// The reserve is never smaller than this many tokens (unless the bucket itself is smaller).
const RESERVE_MIN: f64 = 2.0;
/// … nor larger than this share of the bucket: Auth0 Free's bucket of 2 keeps 0.4, so a request
/// starts with 1.4 tokens believed there, and the bucket is not held full (where its refill is
/// lost and cannot be measured) before every request.
const RESERVE_SMALL_SHARE: f64 = 0.2;
/// Shortest interval used for one refill-rate sample.
const SAMPLE_WINDOW: Duration = Duration::from_secs(1);

/// Which of the tenant's rate-limit buckets a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Management API (`/api/v2/…`).
    Management = 0,
    /// Authentication API (`/oauth/token`, `/.well-known/jwks.json`).
    Authentication = 1,
}

impl Bucket {
    /// Seconds an empty bucket is assumed to take to fill until its rate is measured. Auth0's
    /// published Management API limits fill in 1 to 5 s (Free: burst 2 at 2/s; Enterprise
    /// production: 50 at 16/s; non-production: 10 at 2/s), so 3 s errs by at most the reserve:
    /// a guess too fast overdraws the bucket only until the next response reports `remaining`,
    /// and the reserve covers that (see the table test of published limits). The Authentication
    /// API's buckets range from 1 s (`/oauth/token` at 30/s) to 60 s (300 a minute), so it keeps
    /// the cautious 10 s.
    pub fn prior_refill(self) -> f64 {
        match self {
            Bucket::Management => 3.0,
            Bucket::Authentication => 10.0,
        }
    }
}

/// The three `x-ratelimit-*` headers of one response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateHeaders {
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
    pub fn parse(limit: Option<&str>, remaining: Option<&str>) -> Option<RateHeaders> {
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
#[derive(Debug, Clone)]
struct TenantBucket {
    /// [`Bucket::prior_refill`] of this bucket.
    prior_refill: f64,
    limit: Option<f64>,
    available: f64,
    updated: Option<Instant>,
    rate: Option<f64>,
    /// (start, remaining, sequence number) of the request opening the current rate sample.
    anchor: Option<(Instant, f64, u64)>,
    /// Requests started so far: the sequence number of the latest.
    started: u64,
    /// Sequence number of the request whose `remaining` set `available` last.
    synced: u64,
    in_flight: u32,
}

impl TenantBucket {
    fn new(kind: Bucket) -> TenantBucket {
        TenantBucket {
            prior_refill: kind.prior_refill(),
            limit: None,
            available: 0.0,
            updated: None,
            rate: None,
            anchor: None,
            started: 0,
            synced: 0,
            in_flight: 0,
        }
    }

    fn reserve(&self, limit: f64) -> f64 {
        (limit * RESERVE_SHARE)
            .max(RESERVE_MIN.min(limit * RESERVE_SMALL_SHARE))
            .min(limit - 1.0)
            .max(0.0)
    }

    /// Refill rate to assume: measured, else a full bucket per [`Bucket::prior_refill`].
    fn rate_or_prior(&self, limit: f64) -> f64 {
        self.rate.unwrap_or((limit / self.prior_refill).max(0.5))
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
pub struct Model {
    interval: Option<Duration>,
    next_slot: Option<Instant>,
    paused_until: Option<Instant>,
    buckets: [TenantBucket; 2],
}

impl Model {
    /// A model with an optional `--max-rps` cap.
    pub fn new(max_rps: Option<f64>) -> Model {
        Model {
            interval: max_rps
                .filter(|r| r.is_finite() && *r > 0.0)
                .and_then(|r| Duration::try_from_secs_f64(1.0 / r).ok()),
            next_slot: None,
            paused_until: None,
            buckets: [
                TenantBucket::new(Bucket::Management),
                TenantBucket::new(Bucket::Authentication),
            ],
        }
    }

    /// Starts a request now (`Ok`, to be handed back to [`Model::finish`]) or says how long to
    /// wait before asking again.
    pub fn try_start(&mut self, bucket: Bucket, now: Instant) -> Result<Start, Duration> {
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
        b.started += 1;
        let start = Start {
            seq: b.started,
            at: now,
        };
        if let Some(interval) = self.interval {
            let base = self.next_slot.map_or(now, |s| s.max(now));
            self.next_slot = Some(base + interval);
        }
        Ok(start)
    }

    /// Records the end of request `start`, with its rate-limit headers if it had any.
    ///
    /// The server took this request's token in the order requests were started, so `remaining`
    /// is the bucket less every request started after this one (answered or not), refilled
    /// since about half way through this request's round trip. Answers arrive in another order
    /// (a page of clients takes longer than a page of grants): an answer older than the one
    /// the model last synced to is old news and changes nothing but the count in flight.
    pub fn finish(
        &mut self,
        bucket: Bucket,
        now: Instant,
        start: Start,
        headers: Option<RateHeaders>,
        throttled: bool,
    ) {
        let b = &mut self.buckets[bucket as usize];
        b.in_flight = b.in_flight.saturating_sub(1);
        let Some(h) = headers else { return };
        b.limit = Some(h.limit);
        if start.seq <= b.synced {
            return;
        }
        b.synced = start.seq;
        let later = b.started.saturating_sub(start.seq) as f64;
        b.available = (h.remaining - later).max(0.0);
        b.updated = Some(start.at + now.saturating_duration_since(start.at) / 2);
        if throttled || h.remaining >= h.limit - 1.0 {
            // a full bucket hides the refill; a 429 says nothing about it
            b.anchor = None;
            return;
        }
        match b.anchor {
            None => b.anchor = Some((start.at, h.remaining, start.seq)),
            Some((at, remaining, seq)) => {
                // start times are the server's clock shifted by the way there
                let dt = start.at.saturating_duration_since(at);
                if dt >= SAMPLE_WINDOW {
                    let consumed = (start.seq - seq) as f64;
                    let sample = (h.remaining - remaining + consumed) / dt.as_secs_f64();
                    if sample > 0.0 {
                        b.rate = Some(b.rate.map_or(sample, |r| 0.7 * r + 0.3 * sample));
                    }
                    b.anchor = Some((start.at, h.remaining, start.seq));
                }
            }
        }
    }

    /// Holds every request until `until` (after a 429 with Retry-After / reset).
    pub fn pause(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        for b in &mut self.buckets {
            b.available = b.available.min(0.0);
        }
    }

    /// The measured refill rate of a bucket (for logs and tests).
    pub fn rate(&self, bucket: Bucket) -> Option<f64> {
        self.buckets[bucket as usize].rate
    }

    /// What the model believes about a bucket (for `-vvv` logs).
    pub fn view(&self, bucket: Bucket) -> View {
        let b = &self.buckets[bucket as usize];
        View {
            limit: b.limit,
            available: b.available,
            rate: b.limit.map(|limit| b.rate_or_prior(limit)),
            measured: b.rate.is_some(),
            in_flight: b.in_flight,
        }
    }
}

/// A started request: its place in the order of starts and when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    seq: u64,
    at: Instant,
}

/// The model's picture of one bucket, as logged at `-vvv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Bucket size, once a response said it.
    pub limit: Option<f64>,
    /// Tokens believed available at the last update.
    pub available: f64,
    /// Refill rate assumed (measured or the prior), once the limit is known.
    pub rate: Option<f64>,
    /// Whether `rate` was measured.
    pub measured: bool,
    /// Requests started and not finished.
    pub in_flight: u32,
}

/// The async governor: a semaphore for concurrency plus the [`Model`] behind a mutex.
#[derive(Debug)]
pub struct Governor {
    model: Mutex<Model>,
    permits: Semaphore,
    read_permits: Semaphore,
}

/// A started request: hand its headers back with [`Ticket::finish`]; dropping it counts as a
/// request that ended without headers (transport failure).
#[derive(Debug)]
pub struct Ticket<'a> {
    governor: &'a Governor,
    bucket: Bucket,
    start: Start,
    _permit: Option<SemaphorePermit<'a>>,
    finished: bool,
}

impl Governor {
    /// A governor with `max_rps` (if any) and `concurrency` requests in flight at most.
    pub fn new(max_rps: Option<f64>, concurrency: usize) -> Governor {
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
    pub async fn start(&self, bucket: Bucket, read: bool) -> Ticket<'_> {
        let permits = if read {
            &self.read_permits
        } else {
            &self.permits
        };
        // the semaphore is never closed, so `ok()` only guards against a future refactor
        let permit = permits.acquire().await.ok();
        let start = loop {
            let (decision, view) = self.with_model(|m| {
                let decision = m.try_start(bucket, Instant::now());
                (decision, m.view(bucket))
            });
            match decision {
                Ok(start) => break start,
                Err(wait) => {
                    tracing::trace!(
                        ?bucket,
                        wait_ms = wait.as_millis() as u64,
                        available = view.available,
                        limit = view.limit,
                        rate = view.rate,
                        measured = view.measured,
                        in_flight = view.in_flight,
                        "governor: waiting"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        };
        Ticket {
            governor: self,
            bucket,
            start,
            _permit: permit,
            finished: false,
        }
    }

    /// Holds every caller until `until`.
    pub fn pause(&self, until: Instant) {
        self.with_model(|m| m.pause(until));
    }

    /// The measured refill rate of a bucket.
    pub fn rate(&self, bucket: Bucket) -> Option<f64> {
        self.with_model(|m| m.rate(bucket))
    }
}

impl Ticket<'_> {
    /// Ends the request with the headers of its response.
    pub fn finish(mut self, headers: Option<RateHeaders>, throttled: bool) {
        self.finished = true;
        let (bucket, start) = (self.bucket, self.start);
        let (before, after) = self.governor.with_model(|m| {
            let before = m.rate(bucket);
            m.finish(bucket, Instant::now(), start, headers, throttled);
            (before, m.rate(bucket))
        });
        if after != before {
            tracing::trace!(?bucket, rate = after, "governor: refill rate measured");
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let (bucket, start) = (self.bucket, self.start);
            self.governor
                .with_model(|m| m.finish(bucket, Instant::now(), start, None, false));
        }
    }
}

#[cfg(test)]
#[path = "governor_tests.rs"]
mod tests;
