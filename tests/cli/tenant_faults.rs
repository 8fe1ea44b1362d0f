//! The tenant client under the emulator's rate limit and injected faults: 429s honoured, 5xx
//! retried for safe requests, lost creates reported as outcome unknown.

use futures::StreamExt;
use m2mctl::tenant::{Error, Options};
use serde_json::json;

use crate::support::{Options as TenantOptions, Tenant};
use crate::tenant::client_for;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governor_stays_under_the_bucket_with_few_429s() {
    let t = Tenant::with(TenantOptions {
        rate_limit: Some((40.0, 10)),
        ..TenantOptions::default()
    })
    .await;
    let c = client_for(&t, &Options::default()).await;
    let id = c.self_client_id().expect("azp").to_string();
    let ok = futures::stream::iter(0..120)
        .map(|_| {
            let (c, id) = (c.clone(), id.clone());
            async move { c.get_client(&id).await.expect("get").is_some() }
        })
        .buffer_unordered(16)
        .filter(|found| std::future::ready(*found))
        .count()
        .await;
    assert_eq!(ok, 120);
    let m = c.metrics();
    // Without a governor the first 16 concurrent requests alone empty the 10-token bucket and
    // most of the 120 are refused at least once. With it, 429s are rare but not zero under load:
    // the refill rate is learnt from response timing, and a loaded machine delays some responses
    // more than others, so a sample can overestimate the rate and spend the reserve. The bound
    // (10% of the requests) holds under load and still fails a governor that does not pace;
    // the exact pacing is tested on the pure model with virtual time (`governor_tests.rs`).
    assert!(m.throttled <= 12, "{m:?}");
    assert_eq!(t.count("GET /api/v2/clients/{id} 429").await, m.throttled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_429s_and_500s_are_retried_for_reads() {
    let t = Tenant::with(TenantOptions {
        faults: Some(("429:0.2,500:0.2".into(), 11)),
        ..TenantOptions::default()
    })
    .await;
    let c = client_for(&t, &Options::default()).await;
    for _ in 0..5 {
        let state = c.read_state().await.expect("read despite faults");
        assert_eq!(state.clients.len(), 2);
    }
    let m = c.metrics();
    assert!(m.retries > 0 && m.throttled > 0, "{m:?}");
    let stats = t.stats().await;
    let failed: u64 = [
        "GET /api/v2/clients 500",
        "GET /api/v2/client-grants 500",
        "GET /api/v2/resource-servers 500",
    ]
    .iter()
    .filter_map(|k| stats["by_route"][k].as_u64())
    .sum();
    assert!(failed > 0, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_create_is_outcome_unknown_and_not_repeated() {
    let t = Tenant::with(TenantOptions {
        faults: Some(("lost:0.4".into(), 3)),
        ..TenantOptions::default()
    })
    .await;
    let c = client_for(&t, &Options::default()).await;
    let mut unknown = Vec::new();
    for i in 0..30 {
        let identifier = format!("https://api-{i}.example.com/");
        match c
            .create_api(&json!({"identifier": identifier, "name": format!("api {i}")}))
            .await
        {
            Ok(_) => {}
            Err(Error::OutcomeUnknown { method, path, .. }) => {
                assert_eq!((method, path), ("POST", "/api/v2/resource-servers"));
                unknown.push(identifier);
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(
        !unknown.is_empty(),
        "lost:0.4 over 30 creates never lost one"
    );
    // the write happened exactly once: the lookup apply uses for recovery finds it
    for identifier in &unknown {
        let found = c
            .get_api(identifier)
            .await
            .expect("lookup retried through faults");
        assert!(found.is_some(), "{identifier}");
    }
    let apis = c.read_state().await.expect("read").apis;
    assert_eq!(apis.len(), 1 + 30, "no duplicates: {}", apis.len());
}

/// Benchmark (run by hand): `cargo test --test cli bench_writes_at_16_rps -- --ignored --nocapture`.
/// Creates clients at the emulator's `--rate-limit 16 --burst 50` and compares wall time with the
/// floor (writes ÷ 16 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: about 20 s"]
async fn bench_writes_at_16_rps() {
    let writes: u32 = std::env::var("M2MCTL_BENCH_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(320);
    let t = Tenant::with(TenantOptions {
        rate_limit: Some((16.0, 50)),
        ..TenantOptions::default()
    })
    .await;
    let c = client_for(&t, &Options::default()).await;
    let before = c.metrics();
    let started = std::time::Instant::now();
    let done = futures::stream::iter(0..writes)
        .map(|i| {
            let c = c.clone();
            async move {
                c.create_client(&json!({"name": format!("bench-{i}")}))
                    .await
                    .expect("create")
            }
        })
        .buffer_unordered(32)
        .count()
        .await;
    let wall = started.elapsed().as_secs_f64();
    let m = c.metrics();
    let floor = f64::from(writes) / 16.0;
    eprintln!(
        "writes={done} wall={wall:.2}s floor={floor:.2}s ratio={:.3} requests={} retries={} 429s={} measured_rate={:?}",
        wall / floor,
        m.requests - before.requests,
        m.retries - before.retries,
        m.throttled - before.throttled,
        c.measured_rate()
    );
    assert!(wall <= 1.10 * floor, "{wall} vs {floor}");
    assert!(m.throttled <= 2, "{m:?}");
}
