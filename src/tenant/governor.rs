//! The rate governor shared by every request of one client (plan reads, apply writes, tokens).
//!
//! Owns three limits: a bounded number of requests in flight (reads get [`READ_FACTOR`] times as
//! many as writes: a no-op plan of a large tenant is pages read in parallel, bounded by latency
//! rather than by the tenant's bucket, which the model still paces), the user's `--max-rps`
//! (strict spacing, so no one-second window ever holds more than `max_rps` starts, rounded up),
//! and the tenant's own token bucket, learnt from `x-ratelimit-limit/remaining` headers.
//!
//! The tenant model ([`Model`], in `rate_model.rs`) mirrors the server's bucket: after each
//! response, the tokens available are `remaining` minus the requests started after that one (the
//! server takes tokens in the order requests start; responses may come back in another, and an
//! older answer never overrides a newer one); between responses the bucket refills at an
//! estimated rate. The refill rate is not in any header, so it is measured: over at least one
//! second of starts while the bucket is below full, `rate = (remaining_now − remaining_then +
//! requests started between) / Δt` (smoothed). Traffic from other clients of the tenant shows up
//! as a lower measured rate, so the governor yields to them. Until a rate is measured, a bucket is
//! assumed to refill in [`Bucket::prior_refill`] (3 s for the Management API: Auth0's Enterprise
//! production limit, burst 50 at 16/s, fills in 3.1 s). A request starts only while a reserve of
//! 10% of the bucket (at least 2 tokens, at most a fifth of it) would stay unused, so bursts and
//! estimation errors hit the reserve, not a 429. The model takes time as an argument and is
//! tested as a table and in a simulation; [`Governor`] holds the semaphores, sleeps and logs its
//! waits at `-vvv`. Must not send requests or interpret response bodies.

use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::{Semaphore, SemaphorePermit};

#[path = "rate_model.rs"]
mod model;
pub(super) use model::{Bucket, Model, RateHeaders, Start};

/// Default bound on concurrent requests.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Reads (GET) may have this many times as many requests in flight as the concurrency bound:
/// 64 at the default of 8, so the 100 remaining pages of a 5,000-app tenant (50 of clients, 50
/// of grants) take 2 round trips after the first pages, not 4. With a rate limit known, the
/// tenant's bucket (less the reserve) bounds them first: 45 in flight at Auth0's burst of 50.
pub(super) const READ_FACTOR: usize = 8;
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
    start: Start,
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
