//! Token-bucket rate limiting with Auth0's `x-ratelimit-*` headers.
//!
//! Owns the bucket arithmetic and the header values: an enforced bucket (`--rate-limit`), or,
//! without one, Auth0's advertised bucket sizes on a bucket that refills at once and so never
//! refuses (real tenants send the headers on every answer). Must not decide the response body
//! (layer.rs turns an empty bucket into Auth0's 429).

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::error::Error;

/// Rate limit configuration: sustained requests per second and bucket size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Refill rate, tokens per second.
    pub rps: f64,
    /// Bucket size (burst).
    pub burst: u32,
}

impl RateLimit {
    /// Checks the numbers (positive, finite).
    pub fn new(rps: f64, burst: u32) -> Result<RateLimit, Error> {
        if !rps.is_finite() || rps <= 0.0 {
            return Err(Error::RateLimit {
                reason: format!("`--rate-limit` must be a positive number, got {rps}"),
            });
        }
        if burst == 0 {
            return Err(Error::RateLimit {
                reason: "`--burst` must be at least 1".into(),
            });
        }
        Ok(RateLimit { rps, burst })
    }
}

/// The outcome of one request against the bucket, with the header values to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// `x-ratelimit-limit`: the bucket size.
    pub limit: u32,
    /// `x-ratelimit-remaining`: whole tokens left.
    pub remaining: u32,
    /// `x-ratelimit-reset`: epoch seconds when the next token is added (now when full).
    pub reset: u64,
}

/// `x-ratelimit-limit` of the Management API without `--rate-limit`: what the recorded tenants
/// sent on every `/api/v2/*` answer (ruby-auth0 cassettes: 30 answers, all `50`).
pub const MANAGEMENT_LIMIT: u32 = 50;
/// `x-ratelimit-limit` of the Authentication API without `--rate-limit` (ruby-auth0 cassettes:
/// every `/oauth/token` answer, `100`).
pub const AUTHENTICATION_LIMIT: u32 = 100;

/// A shared token bucket.
#[derive(Debug)]
pub struct Limiter {
    config: RateLimit,
    /// `false`: a bucket of `config.burst` refilled at once after each request (no limit).
    enforced: bool,
    bucket: Mutex<(f64, Instant)>,
}

impl Limiter {
    /// A full bucket.
    pub fn new(config: RateLimit) -> Limiter {
        Limiter {
            config,
            enforced: true,
            bucket: Mutex::new((f64::from(config.burst), Instant::now())),
        }
    }

    /// No limit, but Auth0's headers: a bucket of `size` that is full again as soon as a request
    /// has taken its token, so it answers `remaining = size - 1` and `reset = now`.
    pub fn unlimited(size: u32) -> Limiter {
        let size = size.max(1);
        Limiter {
            config: RateLimit {
                rps: f64::from(size),
                burst: size,
            },
            enforced: false,
            bucket: Mutex::new((f64::from(size), Instant::now())),
        }
    }

    /// A second, full bucket with the same configuration (the Authentication API's, beside the
    /// Management API's: Auth0 limits them separately).
    pub fn twin(&self) -> Limiter {
        match self.enforced {
            true => Limiter::new(self.config),
            false => Limiter::unlimited(self.config.burst),
        }
    }

    /// Takes one token if there is one.
    pub fn take(&self) -> Decision {
        if !self.enforced {
            return Decision {
                allowed: true,
                limit: self.config.burst,
                remaining: self.config.burst - 1,
                reset: epoch_seconds().ceil() as u64,
            };
        }
        let now = Instant::now();
        let mut guard = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = *guard;
        let burst = f64::from(self.config.burst);
        let elapsed = now.saturating_duration_since(last).as_secs_f64();
        let mut tokens = (tokens + elapsed * self.config.rps).min(burst);
        let allowed = tokens >= 1.0;
        if allowed {
            tokens -= 1.0;
        }
        *guard = (tokens, now);
        drop(guard);
        let wait = if tokens >= burst {
            0.0
        } else {
            (1.0 - tokens.fract()) / self.config.rps
        };
        Decision {
            allowed,
            limit: self.config.burst,
            remaining: tokens.floor() as u32,
            reset: (epoch_seconds() + wait).ceil() as u64,
        }
    }
}

fn epoch_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_after_burst_then_refuses() {
        let limiter = Limiter::new(RateLimit::new(0.5, 3).expect("valid"));
        let decisions: Vec<Decision> = (0..4).map(|_| limiter.take()).collect();
        assert_eq!(
            decisions
                .iter()
                .map(|d| (d.allowed, d.remaining))
                .collect::<Vec<_>>(),
            vec![(true, 2), (true, 1), (true, 0), (false, 0)]
        );
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // next token in about 2 s at 0.5 rps
        assert!(decisions[3].reset > now && decisions[3].reset <= now + 3);
        assert!(decisions.iter().all(|d| d.limit == 3));
    }

    #[test]
    fn without_a_limit_the_bucket_never_empties_and_still_reports_itself() {
        let limiter = Limiter::unlimited(MANAGEMENT_LIMIT);
        for n in 0..1000 {
            let before = epoch_seconds() as u64;
            let d = limiter.take();
            let after = epoch_seconds() as u64;
            assert!(d.allowed, "request {n}");
            assert_eq!((d.limit, d.remaining), (50, 49), "request {n}");
            assert!(
                d.reset >= before && d.reset <= after + 1,
                "full bucket: reset is now (rounded up)"
            );
        }
        let twin = limiter.twin();
        assert!(
            (0..1000).all(|_| twin.take().allowed),
            "the twin does not enforce either"
        );
        let enforced = Limiter::new(RateLimit::new(0.001, 2).expect("valid")).twin();
        assert_eq!(
            (0..3).map(|_| enforced.take().allowed).collect::<Vec<_>>(),
            [true, true, false],
            "the twin of an enforced bucket enforces"
        );
    }

    #[test]
    fn rejects_nonsense() {
        assert!(RateLimit::new(0.0, 1).is_err());
        assert!(RateLimit::new(f64::NAN, 1).is_err());
        assert!(RateLimit::new(1.0, 0).is_err());
    }
}
