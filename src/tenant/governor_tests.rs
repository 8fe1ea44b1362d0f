//! Unit tests of the governor maths: a discrete-event simulation of a token-bucket server.

use super::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A server bucket refilling continuously, like Auth0's per-second limits; `others` is the
/// share of the refill other clients of the tenant take.
struct Server {
    tokens: f64,
    burst: f64,
    rps: f64,
    others: f64,
    at: f64,
}

impl Server {
    /// Processes one request at `t`: (status 429?, remaining).
    fn hit(&mut self, t: f64) -> (bool, f64) {
        let refill = (t - self.at) * (self.rps - self.others);
        self.tokens = (self.tokens + refill).min(self.burst);
        self.at = t;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            (false, self.tokens.floor())
        } else {
            (true, 0.0)
        }
    }
}

struct Outcome {
    seconds: f64,
    throttled: u32,
    starts: Vec<f64>,
    rate: Option<f64>,
}

/// One simulated run: `total` requests through `workers` tasks against a bucket of `burst`
/// refilling at `rps`, every response `latency` seconds after its start.
#[derive(Clone, Copy)]
struct Sim {
    total: u32,
    rps: f64,
    burst: f64,
    max_rps: Option<f64>,
    latency: f64,
    workers: u32,
    /// Requests sent first, alone; the rest start once they are answered (a read's first pages).
    first: u32,
    /// Where in the round trip the server takes its token (0: on arrival with the latency added
    /// after, as the emulator's fault does; 0.5: half way, as a distant tenant).
    server_at: f64,
    /// Refill taken by other clients of the tenant, per second.
    others: f64,
    /// Responses come back up to this much later than `latency` (large pages, multiplexing),
    /// the later the more tokens the bucket had left: the answers that say "plenty left"
    /// arrive after those that say "empty", the opposite of the order the server took tokens.
    spread: f64,
}

impl Sim {
    fn new(total: u32, rps: f64, burst: f64, latency: f64) -> Sim {
        Sim {
            total,
            rps,
            burst,
            max_rps: None,
            latency,
            workers: DEFAULT_CONCURRENCY as u32,
            first: 0,
            server_at: 0.5,
            others: 0.0,
            spread: 0.0,
        }
    }

    /// The least time the bucket allows: what the burst does not cover at the refill rate,
    /// plus the last response's way back.
    fn bound(&self) -> f64 {
        (f64::from(self.total) - self.burst).max(0.0) / (self.rps - self.others)
            + self.latency * (1.0 - self.server_at)
    }

    fn run(&self) -> Outcome {
        simulate(self)
    }
}

/// A discrete-event run of [`Sim`]: the governor's [`Model`] against a [`Server`].
fn simulate(sim: &Sim) -> Outcome {
    let t0 = Instant::now();
    let at = |s: f64| t0 + Duration::from_secs_f64(s);
    let mut model = Model::new(sim.max_rps);
    let mut server = Server {
        tokens: sim.burst,
        burst: sim.burst,
        rps: sim.rps,
        others: sim.others,
        at: 0.0,
    };
    // events: (time in ns, seq, worker, phase) phase 0 = ready, 1 = response
    let mut events = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |events: &mut BinaryHeap<_>, t: f64, w: u32, phase: u8, extra: (bool, f64)| {
        seq += 1;
        events.push(Reverse((
            (t * 1e9) as u64,
            seq,
            w,
            phase,
            extra.0,
            (extra.1 * 1000.0) as u64,
        )));
    };
    let initial = if sim.first > 0 {
        sim.first
    } else {
        sim.workers
    };
    for w in 0..initial.min(sim.workers) {
        push(&mut events, 0.0, w, 0, (false, 0.0));
    }
    let (mut done, mut throttled, mut starts, mut end) = (0u32, 0u32, Vec::new(), 0.0);
    let mut started = 0u32;
    let mut released = sim.first == 0;
    let mut parked = Vec::new();
    let mut tickets: Vec<Option<Start>> = vec![None; sim.workers as usize];
    while let Some(Reverse((ns, _, w, phase, was_429, rem_milli))) = events.pop() {
        let t = ns as f64 / 1e9;
        if phase == 0 {
            if !released && started >= sim.first {
                parked.push(w); // until the first requests are answered
                continue;
            }
            if started >= sim.total {
                continue;
            }
            match model.try_start(Bucket::Management, at(t)) {
                Err(wait) => push(
                    &mut events,
                    t + wait.as_secs_f64() + 1e-6,
                    w,
                    0,
                    (false, 0.0),
                ),
                Ok(start) => {
                    tickets[w as usize] = Some(start);
                    started += 1;
                    starts.push(t);
                    let reply = server.hit(t + sim.latency * sim.server_at);
                    // the worst order: the fuller the bucket was, the later the answer
                    let late = sim.spread * reply.1 / sim.burst;
                    push(&mut events, t + sim.latency + late, w, 1, reply);
                }
            }
        } else {
            let remaining = rem_milli as f64 / 1000.0;
            let headers = RateHeaders {
                limit: sim.burst,
                remaining,
            };
            let start = tickets[w as usize].take().expect("a started request");
            model.finish(Bucket::Management, at(t), start, Some(headers), was_429);
            if was_429 {
                throttled += 1;
                started -= 1; // retried
                model.pause(at(t + 1.0));
            } else {
                done += 1;
                end = t;
            }
            if !released && done >= sim.first {
                released = true;
                for w in parked.drain(..).chain(sim.first..sim.workers) {
                    push(&mut events, t, w, 0, (false, 0.0));
                }
            }
            if done < sim.total {
                push(&mut events, t, w, 0, (false, 0.0));
            }
        }
    }
    Outcome {
        seconds: end,
        throttled,
        starts,
        rate: model.rate(Bucket::Management),
    }
}

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
