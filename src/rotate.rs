//! Client-secret rotation: the steps `rotate --dry-run` lists, and the proof that a new secret
//! works (a token with it, retried while the tenant has not accepted it yet).
//!
//! Owns the order of a rotation (rotate, deliver, prove) and the proof loop's timing: capped
//! exponential waits until a budget (60 s: Auth0 may take up to 30 s to accept a new secret)
//! runs out. Time comes from a [`Clock`] ([`TokioClock`] in use), so tests run the loop on a
//! fake clock without sleeping. Must not talk HTTP itself (the caller's `attempt` does) nor see
//! a secret.

use std::future::Future;
use std::time::Duration;

/// Time for the proof loop.
pub trait Clock {
    /// Time since some fixed start.
    fn now(&self) -> Duration;
    /// Waits until `now()` reaches `at`.
    fn sleep_until(&self, at: Duration) -> impl Future<Output = ()>;
}

/// The real clock (tokio's timer).
#[derive(Debug, Clone, Copy)]
pub struct TokioClock(tokio::time::Instant);

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock(tokio::time::Instant::now())
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
    async fn sleep_until(&self, at: Duration) {
        tokio::time::sleep_until(self.0 + at).await;
    }
}

/// How long `rotate` keeps trying the new secret.
pub const PROOF_BUDGET: Duration = Duration::from_secs(60);
/// First wait between two tries.
const FIRST_WAIT: Duration = Duration::from_millis(250);
/// Longest wait between two tries.
const MAX_WAIT: Duration = Duration::from_secs(5);

/// One token request with the new secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A token was issued: the secret works.
    Accepted,
    /// The secret was refused (401): not propagated yet, try again.
    Refused(String),
    /// Any other failure (no grant, network): trying again will not help.
    Failed(String),
}

/// A proven secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proof {
    /// Token requests made, the accepted one included.
    pub tries: u32,
    /// Time from the first try to the accepted one.
    pub waited: Duration,
}

/// Why the new secret was not proven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Refused until the budget ran out.
    #[error("the new secret was still refused after {tries} tries over {}s: {last}", waited.as_secs())]
    StillRefused {
        /// Token requests made.
        tries: u32,
        /// Time spent.
        waited: Duration,
        /// The last refusal.
        last: String,
    },
    /// A failure that retrying does not fix.
    #[error("{0}")]
    Failed(String),
}

/// The wait before try number `tries + 1`: 250 ms doubling up to 5 s.
pub fn wait_after(tries: u32) -> Duration {
    FIRST_WAIT
        .saturating_mul(1u32 << tries.saturating_sub(1).min(8))
        .min(MAX_WAIT)
}

/// Calls `attempt` until it is accepted, fails, or `budget` is spent (the last try happens at
/// the deadline at the latest).
pub async fn prove<F, Fut>(
    mut attempt: F,
    budget: Duration,
    clock: &impl Clock,
) -> Result<Proof, ProofError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt>,
{
    let start = clock.now();
    let deadline = start + budget;
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Attempt::Accepted => {
                return Ok(Proof {
                    tries,
                    waited: clock.now() - start,
                });
            }
            Attempt::Failed(why) => return Err(ProofError::Failed(why)),
            Attempt::Refused(why) => {
                let now = clock.now();
                if now >= deadline {
                    return Err(ProofError::StillRefused {
                        tries,
                        waited: now - start,
                        last: why,
                    });
                }
                let next = (now + wait_after(tries)).min(deadline);
                clock.sleep_until(next).await;
            }
        }
    }
}

/// What `rotate --dry-run` prints for one application: numbered steps, no secret.
pub fn steps(app: &str, client_id: &str, sinks: &[String], audience: Option<&str>) -> String {
    let mut out = format!("{app} (client_id {client_id}):\n");
    out.push_str("  1. rotate the client secret (POST /api/v2/clients/{id}/rotate-secret); the old secret stops working\n");
    if sinks.is_empty() {
        out.push_str("  2. deliver: no `deliver:` sinks; the new secret is only in the tenant (`m2mctl credentials` prints it)\n");
    } else {
        out.push_str("  2. deliver the new secret to:\n");
        for sink in sinks {
            out.push_str(&format!("     - {sink}\n"));
        }
    }
    match audience {
        Some(aud) => out.push_str(&format!(
            "  3. prove it: a token for {aud} with the new secret (retrying up to {}s)\n",
            PROOF_BUDGET.as_secs()
        )),
        None => out
            .push_str("  3. prove it: skipped, the application has no grant to ask a token for\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// Sleeping moves time forward at once; attempts take no time.
    #[derive(Default)]
    struct FakeClock(Cell<Duration>);

    impl Clock for FakeClock {
        fn now(&self) -> Duration {
            self.0.get()
        }
        async fn sleep_until(&self, at: Duration) {
            self.0.set(self.0.get().max(at));
        }
    }

    fn block_on<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn waits_double_from_250ms_up_to_5s() {
        let waits: Vec<u64> = (1..=8).map(|t| wait_after(t).as_millis() as u64).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    }

    #[test]
    fn a_secret_accepted_after_30_seconds_is_proven_within_the_budget() {
        let clock = FakeClock::default();
        let proof = block_on(prove(
            || async {
                if clock.now() >= Duration::from_secs(30) {
                    Attempt::Accepted
                } else {
                    Attempt::Refused("Unauthorized".into())
                }
            },
            PROOF_BUDGET,
            &clock,
        ))
        .unwrap();
        assert!(proof.waited >= Duration::from_secs(30), "{proof:?}");
        assert!(proof.waited < Duration::from_secs(35), "{proof:?}");
        // 250 ms, 0.5, 1, 2, 4 (7.75 s), then every 5 s: accepted at 32.75 s on try 11.
        assert_eq!(proof.tries, 11, "{proof:?}");
    }

    #[test]
    fn a_secret_never_accepted_fails_at_the_deadline_with_the_last_refusal() {
        let calls = AtomicU32::new(0);
        let clock = FakeClock::default();
        let err = block_on(prove(
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Attempt::Refused("Unauthorized".into()) }
            },
            PROOF_BUDGET,
            &clock,
        ))
        .unwrap_err();
        let ProofError::StillRefused {
            tries,
            waited,
            last,
        } = err.clone()
        else {
            panic!("{err:?}");
        };
        assert_eq!(waited, PROOF_BUDGET, "the last try is at the deadline");
        assert_eq!(tries, calls.load(Ordering::SeqCst));
        assert_eq!(last, "Unauthorized");
        assert!(err.to_string().contains("after 17 tries over 60s"), "{err}");
    }

    #[test]
    fn another_failure_stops_at_once() {
        let calls = AtomicU32::new(0);
        let err = block_on(prove(
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Attempt::Failed("no grant".into()) }
            },
            PROOF_BUDGET,
            &FakeClock::default(),
        ))
        .unwrap_err();
        assert_eq!(err, ProofError::Failed("no grant".into()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn dry_run_steps_name_sinks_and_audience_but_no_secret() {
        let text = steps(
            "svc",
            "cid",
            &["dotenv out/svc.env".into()],
            Some("https://api/"),
        );
        assert!(text.contains("1. rotate the client secret"), "{text}");
        assert!(text.contains("- dotenv out/svc.env"), "{text}");
        assert!(
            text.contains("3. prove it: a token for https://api/"),
            "{text}"
        );
        let bare = steps("svc", "cid", &[], None);
        assert!(bare.contains("no `deliver:` sinks"), "{bare}");
        assert!(bare.contains("skipped"), "{bare}");
    }
}
