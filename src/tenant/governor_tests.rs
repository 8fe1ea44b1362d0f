//! Unit tests of the governor maths: a discrete-event simulation of a token-bucket server.

use super::*;
use std::time::Duration;

#[path = "governor_sim.rs"]
mod sim;
use sim::Sim;

#[test]
fn long_run_reaches_the_refill_rate_without_429s() {
    // Auth0 enterprise production numbers: burst 50, 16 rps; 1,000 writes
    let out = Sim::new(1000, 16.0, 50.0, 0.004).run();
    let floor = 1000.0 / 16.0;
    assert!(
        out.seconds <= 1.10 * floor,
        "{} s vs floor {floor}",
        out.seconds
    );
    assert!(
        out.seconds >= (1000.0 - 50.0) / 16.0 - 1.0,
        "faster than the bucket allows: {}",
        out.seconds
    );
    assert_eq!(out.throttled, 0);
    let rate = out.rate.expect("rate learnt");
    assert!((rate - 16.0).abs() < 1.5, "{rate}");
}

#[test]
fn slow_responses_and_a_small_bucket_still_avoid_429s() {
    let out = Sim::new(200, 2.0, 10.0, 0.150).run();
    assert!(out.seconds <= 1.15 * 200.0 / 2.0, "{}", out.seconds);
    assert!(out.throttled <= 1, "{}", out.throttled);
}

#[test]
fn max_rps_is_never_exceeded_in_any_one_second_window() {
    let out = Sim {
        max_rps: Some(10.0),
        ..Sim::new(300, 1000.0, 1000.0, 0.002)
    }
    .run();
    for (i, start) in out.starts.iter().enumerate() {
        let in_window = out.starts[i..]
            .iter()
            .take_while(|t| **t < start + 1.0)
            .count();
        assert!(
            in_window <= 10,
            "{in_window} starts in the second after {start}"
        );
    }
    assert!(
        out.seconds >= 29.0 && out.seconds <= 31.0,
        "{}",
        out.seconds
    );
}

#[test]
fn without_headers_only_concurrency_and_max_rps_apply() {
    let mut m = Model::new(None);
    let now = Instant::now();
    for _ in 0..100 {
        assert!(m.try_start(Bucket::Management, now).is_ok());
    }
}

#[test]
fn pause_holds_every_bucket_until_the_deadline() {
    let mut m = Model::new(None);
    let now = Instant::now();
    m.pause(now + Duration::from_secs(2));
    let wait = m.try_start(Bucket::Authentication, now).unwrap_err();
    assert_eq!(wait, Duration::from_secs(2));
    assert!(
        m.try_start(Bucket::Authentication, now + Duration::from_secs(2))
            .is_ok()
    );
}

#[test]
fn low_remaining_spaces_requests_until_the_bucket_refills() {
    let mut m = Model::new(None);
    let now = Instant::now();
    let start = m.try_start(Bucket::Management, now).unwrap();
    m.finish(
        Bucket::Management,
        now,
        start,
        RateHeaders::parse(Some("50"), Some("3")),
        false,
    );
    // 3 left, reserve 5: must wait, using the prior rate (a bucket of 50 in 3 s) -> (6 - 3) / (50 / 3) s
    let wait = m.try_start(Bucket::Management, now).unwrap_err();
    assert!((wait.as_secs_f64() - 0.18).abs() < 0.01, "{wait:?}");
    assert!(m.try_start(Bucket::Management, now + wait).is_ok());
}

#[test]
fn rate_headers_parse_table() {
    let cases = [
        (Some("50"), Some("49"), Some((50.0, 49.0))),
        (Some(" 10 "), Some("0"), Some((10.0, 0.0))),
        (None, Some("1"), None),
        (Some("50"), None, None),
        (Some("x"), Some("1"), None),
        (Some("0"), Some("0"), None),
        (Some("5"), Some("-1"), None),
        // Hostile values are clamped, never a panic or a wait of years.
        (Some("1e300"), Some("1e300"), Some((100_000.0, 100_000.0))),
        (
            Some("18446744073709551615"),
            Some("3"),
            Some((100_000.0, 3.0)),
        ),
        (Some("0.5"), Some("0.5"), Some((1.0, 0.5))),
        (Some("10"), Some("99"), Some((10.0, 10.0))),
        (Some("inf"), Some("1"), None),
        (Some("NaN"), Some("1"), None),
    ];
    for (limit, remaining, want) in cases {
        let got = RateHeaders::parse(limit, remaining).map(|h| (h.limit, h.remaining));
        assert_eq!(got, want, "{limit:?} {remaining:?}");
    }
    // A governor fed the extremes still answers with a bounded wait.
    for (limit, remaining) in [("1e300", "0"), ("0.5", "0"), ("18446744073709551615", "0")] {
        let mut m = Model::new(None);
        let now = Instant::now();
        let start = m.try_start(Bucket::Management, now).expect("first request");
        let headers = RateHeaders::parse(Some(limit), Some(remaining));
        m.finish(Bucket::Management, now, start, headers, false);
        if let Err(wait) = m.try_start(Bucket::Management, now) {
            assert!(wait <= Duration::from_secs(10), "{limit}: {wait:?}");
        }
    }
}

/// In flight at most: reads (GET) `READ_FACTOR` × the concurrency bound, writes the bound.
/// Deterministic without a clock: with no limit known, a start that may proceed completes on
/// its first poll, and one over the bound stays pending until a ticket ends.
#[test]
fn in_flight_bounds_table() {
    use futures::FutureExt;
    // (concurrency, read, bound)
    let cases = [
        (DEFAULT_CONCURRENCY, true, 64),
        (DEFAULT_CONCURRENCY, false, 8),
        (1, true, READ_FACTOR),
        (1, false, 1),
        (0, false, 1),
    ];
    for (concurrency, read, bound) in cases {
        let g = Governor::new(None, concurrency);
        let mut tickets: Vec<Ticket<'_>> = (0..bound)
            .map(|i| {
                g.start(Bucket::Management, read)
                    .now_or_never()
                    .unwrap_or_else(|| panic!("{concurrency} {read}: start {i} waited"))
            })
            .collect();
        let mut over = Box::pin(g.start(Bucket::Management, read));
        assert!(
            over.as_mut().now_or_never().is_none(),
            "{concurrency} {read}: more than {bound} in flight"
        );
        // the other kind has its own bound
        let other = g.start(Bucket::Management, !read).now_or_never();
        assert!(
            other.is_some(),
            "{concurrency} {read}: the other kind waited"
        );
        drop(other);
        tickets.pop().expect("one").finish(None, false);
        assert!(
            over.now_or_never().is_some(),
            "{concurrency} {read}: a finished ticket frees its place"
        );
    }
}

/// Auth0's published Management API limits (research/auth0-api.md §7.2), each read wide (64 in
/// flight, 3 first pages) and written (8 in flight), near and far: never a 429 storm, and the
/// wall time within a factor of the least the bucket allows.
#[test]
fn published_limits_table() {
    let read = |total, rps, burst, latency| Sim {
        workers: 64,
        first: 3,
        ..Sim::new(total, rps, burst, latency)
    };
    // (case, sim, most 429s, most wall ÷ bound)
    let cases = [
        (
            "enterprise prod, read 5,000 apps, +150 ms, token taken on arrival",
            Sim {
                server_at: 0.0,
                ..read(103, 16.0, 50.0, 0.150)
            },
            0,
            1.2,
        ),
        (
            "enterprise prod, read 5,000 apps, +150 ms",
            read(103, 16.0, 50.0, 0.150),
            0,
            1.2,
        ),
        (
            "enterprise prod, read 5,000 apps, +300 ms",
            read(103, 16.0, 50.0, 0.300),
            0,
            1.3,
        ),
        (
            "enterprise prod, read 5,000 apps, +4 ms",
            read(103, 16.0, 50.0, 0.004),
            0,
            1.2,
        ),
        (
            "enterprise prod, read, +150 ms, answers out of order",
            Sim {
                spread: 0.3,
                server_at: 0.0,
                ..read(103, 16.0, 50.0, 0.150)
            },
            0,
            1.3,
        ),
        (
            "enterprise prod, read, +150 ms, sent in another order than started",
            Sim {
                shuffle: 0.02,
                spread: 0.1,
                server_at: 0.0,
                ..read(103, 16.0, 50.0, 0.150)
            },
            0,
            1.3,
        ),
        (
            "enterprise prod, write 1,000, +150 ms",
            Sim::new(1000, 16.0, 50.0, 0.150),
            0,
            1.05,
        ),
        (
            "enterprise prod, write, +150 ms, answers out of order",
            Sim {
                spread: 0.1,
                server_at: 0.0,
                ..Sim::new(500, 16.0, 50.0, 0.150)
            },
            0,
            1.05,
        ),
        (
            "enterprise non-prod, read, +150 ms",
            read(103, 2.0, 10.0, 0.150),
            0,
            1.1,
        ),
        (
            "enterprise non-prod, write 200, +4 ms",
            Sim::new(200, 2.0, 10.0, 0.004),
            0,
            1.05,
        ),
        (
            "a bucket of 100 at 100/s, write 1,000, +50 ms",
            Sim::new(1000, 100.0, 100.0, 0.050),
            0,
            1.05,
        ),
        (
            "a bucket of 100 at 100/s, read, +50 ms",
            read(1003, 100.0, 100.0, 0.050),
            0,
            1.05,
        ),
        (
            "/oauth/token on Free, 30 at 30/s, +50 ms",
            Sim::new(1000, 30.0, 30.0, 0.050),
            0,
            1.05,
        ),
        (
            "a bucket of 10 at 50/s, +20 ms",
            Sim::new(1000, 50.0, 10.0, 0.020),
            0,
            1.1,
        ),
        // the first pages go out together before any header tells the limit: the third is a 429
        ("free, read, +150 ms", read(53, 2.0, 2.0, 0.150), 1, 1.5),
        (
            "essentials read clients, read, +150 ms",
            read(53, 100.0 / 60.0, 5.0, 0.150),
            0,
            1.1,
        ),
        (
            "others take half the refill, read, +150 ms",
            Sim {
                others: 8.0,
                ..read(303, 16.0, 50.0, 0.150)
            },
            0,
            1.1,
        ),
    ];
    let mut failed = Vec::new();
    for (case, sim, most_429s, most_ratio) in cases {
        let out = sim.run();
        let ratio = out.seconds / sim.bound();
        let line = format!(
            "{case}: {:.2} s vs bound {:.2} s = {ratio:.2}×, {} 429s",
            out.seconds,
            sim.bound(),
            out.throttled
        );
        eprintln!("{line}");
        if out.throttled > most_429s || ratio > most_ratio {
            failed.push(line);
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
