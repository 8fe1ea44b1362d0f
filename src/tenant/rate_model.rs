//! The governor's pure model of a tenant's rate-limit buckets: what `x-ratelimit-*` headers
//! say, the refill rate measured from them, the reserve, and when the next request may start.
//!
//! Owns [`Model`] (every method takes the current time, so it is tested as a table and in a
//! discrete-event simulation, without a clock), [`Bucket`], [`RateHeaders`], [`Start`] and
//! [`View`]. Must not sleep, hold locks or see requests: [`super::Governor`] does that.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

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
/// Requests started within this of each other may reach the server in either order (tasks
/// started together send in whatever order they are polled; a burst starts within a few ms).
/// Wider costs pace: at 50 requests a second a 50 ms window held 2–3 tokens back for good, a
/// third of a bucket of 10. A reorder it misses costs a token or two, which the reserve holds.
const REORDER: Duration = Duration::from_millis(10);
/// Start times older than this are forgotten (an attempt times out after 30 s).
const HORIZON: Duration = Duration::from_secs(60);

/// Which of the tenant's rate-limit buckets a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bucket {
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
    pub(crate) fn prior_refill(self) -> f64 {
        match self {
            Bucket::Management => 3.0,
            Bucket::Authentication => 10.0,
        }
    }
}

/// The three `x-ratelimit-*` headers of one response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RateHeaders {
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
    pub(crate) fn parse(limit: Option<&str>, remaining: Option<&str>) -> Option<RateHeaders> {
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
    /// Start times of the requests of the last [`HORIZON`], oldest first.
    recent: VecDeque<Instant>,
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
            recent: VecDeque::new(),
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

    /// Requests started at `from` or later.
    fn started_since(&self, from: Instant) -> usize {
        self.recent.len() - self.recent.partition_point(|t| *t < from)
    }

    /// Requests the server may have taken a token for after `start`'s: those started later, and
    /// those started up to [`REORDER`] before it.
    fn after(&self, start: Start) -> f64 {
        let from = start.at.checked_sub(REORDER).unwrap_or(start.at);
        let near = self.started_since(from).saturating_sub(1);
        near.max(self.started.saturating_sub(start.seq) as usize) as f64
    }

    /// Whether no other request started within [`REORDER`] of `start`, so the server took
    /// tokens for every request started before it before, and after it after.
    fn alone(&self, start: Start) -> bool {
        let from = start.at.checked_sub(REORDER).unwrap_or(start.at);
        let until = start.at + REORDER;
        let lo = self.recent.partition_point(|t| *t < from);
        let hi = self.recent.partition_point(|t| *t <= until);
        hi - lo <= 1
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
pub(crate) struct Model {
    interval: Option<Duration>,
    next_slot: Option<Instant>,
    paused_until: Option<Instant>,
    buckets: [TenantBucket; 2],
}

impl Model {
    /// A model with an optional `--max-rps` cap.
    pub(crate) fn new(max_rps: Option<f64>) -> Model {
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
    pub(crate) fn try_start(&mut self, bucket: Bucket, now: Instant) -> Result<Start, Duration> {
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
        while b
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > HORIZON)
        {
            b.recent.pop_front();
        }
        b.recent.push_back(now);
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
    /// The server took tokens about in the order requests were started (requests started within
    /// [`REORDER`] of each other in either order), so the bucket now is `remaining` less every
    /// request started after this one or up to [`REORDER`] before it (answered or not),
    /// refilled since about half way through this request's round trip. Answers arrive in
    /// another order (a page of clients takes longer than a page of grants): an answer older
    /// than the one the model last synced to is old news and changes nothing but the count in
    /// flight. Only requests started alone open or close a rate sample, so the requests counted
    /// between its ends are exactly those the server served between them.
    pub(crate) fn finish(
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
        b.available = (h.remaining - b.after(start)).max(0.0);
        b.updated = Some(start.at + now.saturating_duration_since(start.at) / 2);
        if throttled || h.remaining >= h.limit - 1.0 {
            // a full bucket hides the refill; a 429 says nothing about it
            b.anchor = None;
            return;
        }
        if !b.alone(start) {
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
    pub(crate) fn pause(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        for b in &mut self.buckets {
            b.available = b.available.min(0.0);
        }
    }

    /// The measured refill rate of a bucket (for logs and tests).
    pub(crate) fn rate(&self, bucket: Bucket) -> Option<f64> {
        self.buckets[bucket as usize].rate
    }

    /// What the model believes about a bucket (for `-vvv` logs).
    pub(crate) fn view(&self, bucket: Bucket) -> View {
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
pub(crate) struct Start {
    seq: u64,
    at: Instant,
}

/// The model's picture of one bucket, as logged at `-vvv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct View {
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
