//! Overlapping applies, as a busy CI system runs them: 2 and 4 `m2mctl apply` processes of one
//! 100-app config started at once against one emulator, round after round. Every run must end
//! converged (exit 0) or with the clear lease refusal (exit 1, `--lock-timeout 0`), and the
//! tenant must hold each application and grant exactly once, with no lease left behind.
//! `M2MCTL_OVERLAP_ROUNDS=N` changes the number of rounds per process count (default 20).
//! The lease itself (waiting, refusing, a crashed holder's lease) is in `apply_lease.rs`.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::Value;

use crate::apply_kit::*;
use crate::support::{Run, Tenant};

const PROJECT: &str = "overlap";
const APPS: usize = 100;
const REFUSED: &str = "another apply of this project is running (lease held by";

fn rounds() -> usize {
    std::env::var("M2MCTL_OVERLAP_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// What one round ended with.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tally {
    pub converged: usize,
    pub refused: usize,
    /// Runs that ended reporting duplicate applications (only without the lease).
    pub detected: usize,
    pub duplicate_clients: usize,
    pub duplicate_grants: usize,
}

/// Duplicated clients (same marker) and grants (same client and audience) in the tenant.
pub(crate) async fn duplicates(t: &Tenant, project: &str) -> (usize, usize, usize) {
    let ours = marked(&clients(t).await, project);
    let keys: BTreeSet<&String> = ours.iter().map(|(k, _)| k).collect();
    let gs = grants(t).await;
    let pairs: BTreeSet<(String, String)> = gs
        .iter()
        .map(|g| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (s(&g["client_id"]), s(&g["audience"]))
        })
        .collect();
    (ours.len() - keys.len(), gs.len() - pairs.len(), keys.len())
}

/// `procs` applies at once on a fresh tenant; `extra` flags for every run.
pub(crate) async fn round(procs: usize, extra: &[&str]) -> (Tally, Vec<Run>) {
    let t = Tenant::start().await;
    write_config(&t, &config(PROJECT, &apps(APPS)));
    let mut args = vec!["apply", "--auto-approve"];
    args.extend_from_slice(extra);
    let runs = futures::future::join_all((0..procs).map(|_| t.m2mctl(&args))).await;
    let mut tally = Tally::default();
    for run in &runs {
        match run.code {
            0 => tally.converged += 1,
            1 if run.stderr.contains(REFUSED) => tally.refused += 1,
            1 if run.stderr.contains("duplicate applications: marker `") => tally.detected += 1,
            _ => panic!(
                "a run neither converged nor refused clearly:\n{}\n{}",
                run.stdout, run.stderr
            ),
        }
    }
    let (dup_clients, dup_grants, keys) = duplicates(&t, PROJECT).await;
    tally.duplicate_clients = dup_clients;
    tally.duplicate_grants = dup_grants;
    if !extra.contains(&"--no-lock") {
        assert_eq!(keys, APPS, "every application exists");
        let plan = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
        assert_eq!(
            plan.code, 0,
            "not converged:\n{}\n{}",
            plan.stdout, plan.stderr
        );
        let (status, text) = call(&t, "GET", "/api/v2/resource-servers", None).await;
        assert_eq!(status, 200);
        assert!(
            !text.contains("urn:m2mctl:lease:"),
            "a lease was left: {text}"
        );
    }
    t.shutdown().await;
    (tally, runs)
}

async fn overlapping(procs: usize) {
    let n = rounds();
    let started = Instant::now();
    let mut total = Tally::default();
    for r in 0..n {
        // even rounds wait for the lease, odd rounds refuse at once
        let extra: &[&str] = if r % 2 == 0 {
            &[]
        } else {
            &["--lock-timeout", "0"]
        };
        let (tally, _) = round(procs, extra).await;
        assert_eq!(tally.duplicate_clients, 0, "round {r}: {tally:?}");
        assert_eq!(tally.duplicate_grants, 0, "round {r}: {tally:?}");
        assert_eq!(tally.detected, 0, "round {r}: {tally:?}");
        assert!(tally.converged >= 1, "round {r}: {tally:?}");
        if extra.is_empty() {
            assert_eq!(
                tally.converged, procs,
                "round {r}: waiting runs all converge"
            );
        }
        total.converged += tally.converged;
        total.refused += tally.refused;
    }
    eprintln!(
        "overlap: {n} rounds x {procs} applies of {APPS} apps: {} converged, {} refused, 0 duplicates, {:.1} s",
        total.converged,
        total.refused,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_overlapping_applies_never_duplicate() {
    overlapping(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_overlapping_applies_never_duplicate() {
    overlapping(4).await;
}

/// The attack without the lease (`--no-lock`), for the figures in docs/safety.md:
/// `cargo test --test cli without_the_lease -- --ignored --nocapture`. Timing-dependent, so it
/// only reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "demonstration: timing-dependent duplicates without the lease"]
async fn without_the_lease_overlapping_applies_duplicate() {
    let (mut dup_rounds, mut dup_clients, mut detected) = (0, 0, 0);
    let n = rounds();
    for _ in 0..n {
        let (tally, _) = round(2, &["--no-lock"]).await;
        dup_clients += tally.duplicate_clients;
        dup_rounds += usize::from(tally.duplicate_clients > 0);
        detected += usize::from(tally.duplicate_clients > 0 && tally.detected > 0);
    }
    eprintln!(
        "without the lease: {dup_rounds} of {n} rounds duplicated ({dup_clients} duplicate clients); the check after apply reported it in {detected} of them"
    );
}
