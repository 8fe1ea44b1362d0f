//! A discrete-event simulation of a token-bucket server (Auth0's per-second limits) driving the
//! governor's [`Model`]: virtual time, so every run is the same on any machine under any load.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use super::super::{Bucket, DEFAULT_CONCURRENCY, Model, RateHeaders, Start};

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

pub(super) struct Outcome {
    pub(super) seconds: f64,
    pub(super) throttled: u32,
    pub(super) starts: Vec<f64>,
    pub(super) rate: Option<f64>,
}

/// One simulated run: `total` requests through `workers` tasks against a bucket of `burst`
/// refilling at `rps`, every response `latency` seconds after its start.
#[derive(Clone, Copy)]
pub(super) struct Sim {
    pub(super) total: u32,
    pub(super) rps: f64,
    pub(super) burst: f64,
    pub(super) max_rps: Option<f64>,
    pub(super) latency: f64,
    pub(super) workers: u32,
    /// Requests sent first, alone; the rest start once they are answered (a read's first pages).
    pub(super) first: u32,
    /// Where in the round trip the server takes its token (0: on arrival with the latency added
    /// after, as the emulator's fault does; 0.5: half way, as a distant tenant).
    pub(super) server_at: f64,
    /// Refill taken by other clients of the tenant, per second.
    pub(super) others: f64,
    /// Responses come back up to this much later than `latency` (large pages, multiplexing),
    /// the later the more tokens the bucket had left: the answers that say "plenty left"
    /// arrive after those that say "empty", the opposite of the order the server took tokens.
    pub(super) spread: f64,
    /// Requests reach the server up to this much later than their start, in a scrambled order
    /// (tasks started together are sent in whatever order they are polled).
    pub(super) shuffle: f64,
}

impl Sim {
    pub(super) fn new(total: u32, rps: f64, burst: f64, latency: f64) -> Sim {
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
            shuffle: 0.0,
        }
    }

    /// The least time the bucket allows: what the burst does not cover at the refill rate,
    /// plus the last response's way back.
    pub(super) fn bound(&self) -> f64 {
        (f64::from(self.total) - self.burst).max(0.0) / (self.rps - self.others)
            + self.latency * (1.0 - self.server_at)
    }

    pub(super) fn run(&self) -> Outcome {
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
    // events: (time in ns, seq, worker, phase) phase 0 = ready, 1 = response, 2 = at the server
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
    let mut tickets: Vec<Option<(Start, f64)>> = vec![None; sim.workers as usize];
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
                    tickets[w as usize] = Some((start, t));
                    started += 1;
                    starts.push(t);
                    // a fixed scramble: 0, 0.7, 0.4, 0.1, 0.8, … of the shuffle
                    let sent = sim.shuffle * f64::from((started * 7) % 10) / 10.0;
                    let arrives = t + sent + (sim.latency - sent) * sim.server_at;
                    push(&mut events, arrives, w, 2, (false, 0.0));
                }
            }
        } else if phase == 2 {
            let reply = server.hit(t);
            let (_, began) = tickets[w as usize].expect("a started request");
            // the worst order: the fuller the bucket was, the later the answer
            let late = sim.spread * reply.1 / sim.burst;
            push(
                &mut events,
                (began + sim.latency + late).max(t),
                w,
                1,
                reply,
            );
        } else {
            let remaining = rem_milli as f64 / 1000.0;
            let headers = RateHeaders {
                limit: sim.burst,
                remaining,
            };
            let (start, _) = tickets[w as usize].take().expect("a started request");
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
