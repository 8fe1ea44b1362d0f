//! The apply lease end to end: a held lease makes `apply --lock-timeout 0` refuse naming its
//! holder and a waiting apply go on once it is released; a crashed holder's lease expires and is
//! taken over; `plan` and `export` neither take nor show it; a token that may not write it is
//! refused before any write unless `--no-lock`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use m2mctl::apply::{Error as ApplyError, lease};
use m2mctl::tenant::Options;
use serde_json::{Value, json};

use crate::apply_kit::*;
use crate::support::{Tenant, run_binary};

const LEASE: &str = "urn:m2mctl:lease:p";
const HOLDER: &str = "ci@runner-7 pid 42";

/// Diagnostics as one line: miette wraps them at 80 columns behind `│` gutters.
fn flat(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().filter(|w| *w != "│").collect();
    words.join(" ")
}

/// Unix milliseconds.
fn unix_now() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    u64::try_from(now.as_millis()).expect("ms")
}

/// Another run's lease on project `p`, expiring `expires_at`; returns its id.
async fn hold(t: &Tenant, expires_at: u64) -> String {
    let body = json!({
        "identifier": LEASE,
        "name": "m2mctl apply lease of project p (do not use)",
        "scopes": [
            {"value": "holder", "description": HOLDER},
            {"value": "run", "description": "0123456789abcdef"},
            {"value": "expires_at_ms", "description": expires_at.to_string()},
        ],
    });
    let (status, text) = call(t, "POST", "/api/v2/resource-servers", Some(body)).await;
    assert_eq!(status, 201, "{text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["id"].as_str().expect("id").to_string()
}

/// The lease resource server, if any.
async fn lease(t: &Tenant) -> Option<Value> {
    let (status, text) = call(t, "GET", "/api/v2/resource-servers", None).await;
    assert_eq!(status, 200, "{text}");
    let all: Vec<Value> = serde_json::from_str(&text).expect("json");
    all.into_iter().find(|a| a["identifier"] == LEASE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lease_refuses_at_once_with_lock_timeout_0_and_plan_ignores_it() {
    let t = Tenant::start().await;
    write_config(&t, &config("p", &apps(3)));
    hold(&t, unix_now() + 600_000).await;

    // plan neither waits for the lease nor shows it
    let plan = t.m2mctl(&["plan", "--lock-timeout", "0"]).await;
    assert_eq!(plan.code, 2, "plan takes no lock flag: {}", plan.stderr);
    let plan = t.m2mctl(&["plan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(!plan.stdout.contains("lease"), "{}", plan.stdout);
    let export = t.m2mctl(&["export", "-o", "-"]).await;
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(!export.stdout.contains("lease"), "{}", export.stdout);

    let run = t
        .m2mctl(&["apply", "--auto-approve", "--lock-timeout", "0"])
        .await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        flat(&run.stderr).contains(&format!(
            "another apply of this project is running (lease held by {HOLDER}, expires in"
        )),
        "{}",
        run.stderr
    );
    assert!(marked(&clients(&t).await, "p").is_empty());
    assert!(
        lease(&t).await.is_some(),
        "a live lease is never taken over"
    );

    // a bad duration is a usage error
    let bad = t
        .m2mctl(&["apply", "--auto-approve", "--lock-timeout", "soon"])
        .await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("`soon` is not a duration"),
        "{}",
        bad.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_apply_names_the_holder_and_goes_on_once_released() {
    let t = Tenant::start().await;
    write_config(&t, &config("p", &apps(3)));
    let id = hold(&t, unix_now() + 600_000).await;
    t.reset_stats().await;
    let waiting = t.m2mctl(&["apply", "--auto-approve", "--lock-timeout", "2m"]);
    let release = async {
        // released once the waiting run has been refused the lease at least once
        while t.count("POST /api/v2/resource-servers 409").await == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (status, _) = call(
            &t,
            "DELETE",
            &format!("/api/v2/resource-servers/{id}"),
            None,
        )
        .await;
        assert_eq!(status, 204);
    };
    let (run, ()) = tokio::join!(waiting, release);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        flat(&run.stderr).contains(&format!(
            "Waiting for another apply of project `p` to finish: the lease is held by {HOLDER} (giving up in "
        )),
        "{}",
        run.stderr
    );
    assert_eq!(marked(&clients(&t).await, "p").len(), 3);
    assert!(lease(&t).await.is_none(), "the lease is released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_holders_lease_expires_and_is_taken_over() {
    let t = Tenant::start().await;
    write_config(&t, &config("p", &apps(2)));
    // expired already: taken over at once, even with --lock-timeout 0
    let stale = hold(&t, unix_now() - 1_000).await;
    let run = t
        .m2mctl(&["apply", "--auto-approve", "--lock-timeout", "0"])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("taking over an expired apply lease"),
        "{}",
        run.stderr
    );
    assert!(lease(&t).await.is_none());
    let (status, _) = call(
        &t,
        "GET",
        &format!("/api/v2/resource-servers/{stale}"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // expiring in 1.5 s and never renewed: a waiting run takes it over once it expires
    write_config(&t, &config("p", &apps(3)));
    hold(&t, unix_now() + 1_500).await;
    let run = t
        .m2mctl(&["apply", "--auto-approve", "--lock-timeout", "1m"])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("taking over an expired apply lease"),
        "{}",
        run.stderr
    );
    assert_eq!(marked(&clients(&t).await, "p").len(), 3);
    assert!(lease(&t).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_identifier_is_reserved() {
    let t = Tenant::start().await;
    // an API someone else made with the lease identifier is never taken for a lease
    let body = json!({"identifier": LEASE, "name": "not a lease"});
    let (status, text) = call(&t, "POST", "/api/v2/resource-servers", Some(body)).await;
    assert_eq!(status, 201, "{text}");
    write_config(&t, &config("p", &apps(1)));
    let run = t
        .m2mctl(&["apply", "--auto-approve", "--lock-timeout", "0"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("exists but is not an m2mctl apply lease"),
        "{}",
        run.stderr
    );
    assert!(lease(&t).await.is_some(), "never deleted");
    // and a config may not declare it
    let declared = config("p", &apps(1)).replace(ORDERS, "urn:m2mctl:lease:q");
    write_config(&t, &declared);
    let plan = t.m2mctl(&["plan"]).await;
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    assert!(
        flat(&plan.stderr).contains("identifiers starting with `urn:m2mctl:lease:` are reserved"),
        "{}",
        plan.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_may_not_write_the_lease_is_refused_before_any_write() {
    let t = Tenant::start().await;
    write_config(&t, &config("p", &apps(1)));
    assert_eq!(t.m2mctl(&["apply", "--auto-approve"]).await.code, 0);
    let scopes = [
        "read:clients",
        "read:client_grants",
        "read:resource_servers",
        "create:clients",
        "update:clients",
        "create:client_grants",
        "update:client_grants",
    ];
    let (id, secret) = limited_client(&t, "ci-deployer", &scopes).await;
    write_config(&t, &config("p", &apps(2)));
    let envs = [
        ("AUTH0_DOMAIN".to_string(), t.auth0_domain()),
        ("AUTH0_CLIENT_ID".to_string(), id),
        ("AUTH0_CLIENT_SECRET".to_string(), secret),
    ];
    t.reset_stats().await;
    let run = run_binary(t.dir(), &["apply", "--auto-approve"], &envs).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        flat(&run.stderr).contains(
            "cannot take the apply lease: the Management API token lacks `create:resource_servers`, `update:resource_servers`, `delete:resource_servers`"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--no-lock"), "{}", run.stderr);
    assert!(writes(&t).await.is_empty(), "{:?}", writes(&t).await);
    let run = run_binary(t.dir(), &["apply", "--auto-approve", "--no-lock"], &envs).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(marked(&clients(&t).await, "p").len(), 2);
}

/// The lease's `expires_at_ms` as the tenant has it.
async fn expiry(t: &Tenant) -> u64 {
    let l = lease(t).await.expect("a lease");
    let scopes = l["scopes"].as_array().cloned().unwrap_or_default();
    let at = scopes.iter().find(|s| s["value"] == "expires_at_ms");
    at.and_then(|s| s["description"].as_str())
        .and_then(|d| d.parse().ok())
        .expect("expires_at_ms")
}

/// Polls `done` every 20 ms for at most 20 s.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_renews_its_lease_and_notices_when_it_is_lost() {
    let t = Tenant::start().await;
    let c = crate::tenant::client_for(&t, &Options::default()).await;
    let settings = |timeout| lease::Settings {
        timeout,
        ttl: Duration::from_secs(2),
        holder: "test@host pid 1".to_string(),
    };
    let held = lease::acquire(&c, "p", settings(Duration::ZERO), |_, _| {})
        .await
        .expect("the lease is free");
    // four renewals: the lease outlives its 2 s time-to-live only because it is renewed
    let acquired = tokio::time::Instant::now();
    for _ in 0..4 {
        let before = expiry(&t).await;
        eventually("the holder renews", async || expiry(&t).await > before).await;
    }
    assert!(acquired.elapsed() > Duration::from_secs(2), "past the ttl");
    let second = lease::acquire(&c, "p", settings(Duration::ZERO), |_, _| {}).await;
    assert!(
        matches!(second, Err(ApplyError::LeaseHeld { .. })),
        "{second:?}"
    );
    assert!(!held.lost());
    // taken over behind its back (as after a stall longer than the ttl): the holder notices
    let id = lease(&t).await.expect("lease")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, _) = call(
        &t,
        "DELETE",
        &format!("/api/v2/resource-servers/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    eventually("the holder notices", async || held.lost()).await;
    held.release().await;
}
