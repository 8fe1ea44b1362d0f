//! Retry policy: which failures are retried, and how long to wait before the next attempt.
//!
//! Owns the pure decisions of the request loop in `http.rs`: the retry classification of a
//! request (safe to repeat, or a create that must not be repeated after it may have run),
//! capped exponential backoff with jitter, and parsing of `Retry-After` / `x-ratelimit-*`
//! headers. Must not sleep or send anything; time and randomness are passed in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// At most this many attempts per request (the first one included).
pub(super) const MAX_ATTEMPTS: u32 = 8;
/// Give up when the waits of one request would add up to more than this.
pub(super) const MAX_TOTAL_WAIT: Duration = Duration::from_secs(180);
/// First backoff step for 5xx / transport failures.
const BASE: Duration = Duration::from_millis(250);
/// Largest single backoff for 5xx / transport failures.
const CAP: Duration = Duration::from_secs(10);
/// Largest single wait on a 429, whatever the headers say.
const RATE_LIMIT_CAP: Duration = Duration::from_secs(60);
/// Smallest wait on a 429 whose headers say "now" (reset has 1 s resolution).
const RATE_LIMIT_FLOOR: Duration = Duration::from_millis(100);

/// How a request may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    /// Idempotent here (GET, PATCH, DELETE, token exchange): retry on 429, 5xx and transport errors.
    Safe,
    /// A create (POST): retry only when it certainly did not run (429, connection refused).
    Create,
}

/// What went wrong with one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// 429 Too Many Requests: the request was not executed.
    RateLimited,
    /// 5xx: it may have run.
    Server,
    /// The connection could not be opened: nothing was sent.
    Connect,
    /// Reset, timeout, or a broken response after the request was sent: it may have run.
    AfterSend,
}

/// Should this failure be retried for this kind of request?
pub(super) fn should_retry(kind: Retry, failure: Failure) -> bool {
    match (kind, failure) {
        (_, Failure::RateLimited | Failure::Connect) => true,
        (Retry::Safe, Failure::Server | Failure::AfterSend) => true,
        (Retry::Create, Failure::Server | Failure::AfterSend) => false,
    }
}

/// Exponential backoff with "equal jitter": half of `min(CAP, BASE·2^retry)` fixed, half random.
/// `retry` counts from 0 (the first retry); `unit` is a random number in `[0, 1)`.
pub(super) fn backoff(retry: u32, unit: f64) -> Duration {
    let exp = BASE.saturating_mul(1u32 << retry.min(16));
    let step = exp.min(CAP);
    step.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// The wait after a 429: `Retry-After` first (seconds or an HTTP date), then `x-ratelimit-reset`
/// (epoch seconds), else plain backoff. A little jitter (up to 10%, at least 0–50 ms) keeps
/// concurrent callers from waking together. Capped at 60 s.
pub(super) fn rate_limit_wait(
    retry_after: Option<&str>,
    reset: Option<&str>,
    now: SystemTime,
    retry: u32,
    unit: f64,
) -> Duration {
    let from_headers = retry_after
        .and_then(|v| parse_retry_after(v, now))
        .or_else(|| reset.and_then(|v| parse_reset(v, now)));
    let base = match from_headers {
        Some(wait) => wait.max(RATE_LIMIT_FLOOR),
        None => return backoff(retry, unit),
    };
    let jitter = base
        .mul_f64(0.1 * unit)
        .max(Duration::from_millis(50).mul_f64(unit));
    (base + jitter).min(RATE_LIMIT_CAP)
}

/// `Retry-After`: delay-seconds or an HTTP date; `None` when unparsable. Clamped to
/// [`RATE_LIMIT_CAP`] (a server saying `1e300` or `u64::MAX` gets a minute, never a panic).
pub(super) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        let secs = (secs.is_finite() && secs >= 0.0).then_some(secs)?;
        return Some(Duration::from_secs_f64(
            secs.min(RATE_LIMIT_CAP.as_secs_f64()),
        ));
    }
    let date = parse_http_date(value)?;
    Some(clamp(date.duration_since(now).unwrap_or(Duration::ZERO)))
}

/// `x-ratelimit-reset`: the UNIX time (seconds) when requests are next added → wait from `now`,
/// clamped to [`RATE_LIMIT_CAP`]. Whole seconds only, as Auth0 sends it.
pub(super) fn parse_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let epoch: u64 = value.trim().parse().ok()?;
    let wait = match UNIX_EPOCH.checked_add(Duration::from_secs(epoch)) {
        Some(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
        None => RATE_LIMIT_CAP,
    };
    Some(clamp(wait))
}

fn clamp(wait: Duration) -> Duration {
    wait.min(RATE_LIMIT_CAP)
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only form servers must send.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)?;
    let mut hms = time.split(':').map(|p| p.parse::<u8>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let date = time::Date::from_calendar_date(
        year.parse().ok()?,
        time::Month::try_from(month as u8 + 1).ok()?,
        day.parse().ok()?,
    )
    .ok()?;
    let dt = date.with_hms(h, m, s).ok()?.assume_utc();
    let secs = u64::try_from(dt.unix_timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// Hostile or odd header values: never a panic, never a wait above the cap.
    #[test]
    fn rate_limit_headers_are_clamped_table() {
        let now = at(1_700_000_000);
        let cap = Some(RATE_LIMIT_CAP);
        let retry_after: [(&str, Option<Duration>); 12] = [
            ("1e300", cap),
            ("18446744073709551615", cap),
            (
                "179769313486231570000000000000000000000000000000000000000",
                cap,
            ),
            ("0.5", Some(Duration::from_millis(500))),
            ("0", Some(Duration::ZERO)),
            ("7", Some(Duration::from_secs(7))),
            ("-1", None),
            ("NaN", None),
            ("inf", None),
            ("", None),
            ("soon", None),
            ("Fri, 31 Dec 9999 23:59:59 GMT", cap),
        ];
        for (value, want) in retry_after {
            assert_eq!(parse_retry_after(value, now), want, "Retry-After {value:?}");
        }
        let reset: [(&str, Option<Duration>); 7] = [
            ("18446744073709551615", cap),
            ("1700000010", Some(Duration::from_secs(10))),
            ("1699999990", Some(Duration::ZERO)),
            ("99999999999", cap),
            ("0.5", None),
            ("-5", None),
            ("1e300", None),
        ];
        for (value, want) in reset {
            assert_eq!(parse_reset(value, now), want, "x-ratelimit-reset {value:?}");
        }
        for (ra, reset) in [("1e300", "0"), ("x", "18446744073709551615"), ("0.5", "")] {
            let wait = rate_limit_wait(Some(ra), Some(reset), now, 3, 0.99);
            assert!(wait <= RATE_LIMIT_CAP, "{ra} {reset}: {wait:?}");
        }
    }

    #[test]
    fn retry_classification_table() {
        use Failure::*;
        let cases = [
            (Retry::Safe, RateLimited, true),
            (Retry::Safe, Server, true),
            (Retry::Safe, Connect, true),
            (Retry::Safe, AfterSend, true),
            (Retry::Create, RateLimited, true),
            (Retry::Create, Connect, true),
            (Retry::Create, Server, false),
            (Retry::Create, AfterSend, false),
        ];
        for (kind, failure, want) in cases {
            assert_eq!(should_retry(kind, failure), want, "{kind:?} {failure:?}");
        }
    }

    #[test]
    fn backoff_doubles_is_capped_and_jitter_stays_in_the_upper_half() {
        assert_eq!(backoff(0, 0.0), Duration::from_millis(125));
        assert_eq!(backoff(0, 1.0), Duration::from_millis(250));
        assert_eq!(backoff(1, 1.0), Duration::from_millis(500));
        assert_eq!(backoff(3, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(10, 1.0), CAP);
        assert_eq!(backoff(40, 0.0), CAP / 2);
        for retry in 0..8 {
            let lo = backoff(retry, 0.0);
            let hi = backoff(retry, 0.999);
            assert!(lo <= hi && hi <= CAP, "{retry}");
        }
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = at(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let cases = [
            ("3", Some(3.0)),
            (" 0 ", Some(0.0)),
            ("1.5", Some(1.5)),
            ("-1", None),
            ("soon", None),
            ("Sun, 06 Nov 1994 08:49:47 GMT", Some(10.0)),
            ("Sun, 06 Nov 1994 08:49:27 GMT", Some(0.0)),
            ("Sunday, 06-Nov-94 08:49:37 GMT", None),
        ];
        for (value, want) in cases {
            let got = parse_retry_after(value, now).map(|d| d.as_secs_f64());
            assert_eq!(got, want, "{value}");
        }
    }

    #[test]
    fn reset_is_epoch_seconds_and_past_means_now() {
        let now = at(1_630_700_170);
        assert_eq!(parse_reset("1630700178", now), Some(Duration::from_secs(8)));
        assert_eq!(parse_reset("1630700100", now), Some(Duration::ZERO));
        assert_eq!(parse_reset("x", now), None);
    }

    #[test]
    fn rate_limit_wait_prefers_retry_after_then_reset_then_backoff() {
        let now = at(1_000);
        let w = rate_limit_wait(Some("2"), Some("1010"), now, 0, 0.0);
        assert_eq!(w, Duration::from_secs(2));
        let w = rate_limit_wait(None, Some("1010"), now, 0, 0.0);
        assert_eq!(w, Duration::from_secs(10));
        let w = rate_limit_wait(None, Some("1010"), now, 0, 0.999);
        assert!(
            w > Duration::from_secs(10) && w <= Duration::from_secs(11),
            "{w:?}"
        );
        // a reset in the past still waits a little, never zero
        let w = rate_limit_wait(None, Some("999"), now, 0, 0.0);
        assert_eq!(w, RATE_LIMIT_FLOOR);
        // absurd headers are capped
        let w = rate_limit_wait(Some("86400"), None, now, 0, 0.5);
        assert_eq!(w, RATE_LIMIT_CAP);
        // no headers: backoff
        assert_eq!(rate_limit_wait(None, None, now, 2, 1.0), backoff(2, 1.0));
    }
}
