//! m2mctl's own Management API token: cached like application tokens, so warm runs of `plan`,
//! no-op `apply` and `token` make no request to `/oauth/token`; `--no-cache` bypasses the cache;
//! a cached token the tenant refuses as expired gets exactly one new token and a retry.

use serde_json::{Value, json};

use crate::apply_kit::{apps, call, config, write_config};
use crate::support::{Run, Tenant};

/// `POST /oauth/token` answers of any status.
async fn token_requests(t: &Tenant) -> u64 {
    let stats = t.stats().await;
    let routes = stats["by_route"].as_object().cloned().unwrap_or_default();
    routes
        .iter()
        .filter(|(route, _)| route.starts_with("POST /oauth/token"))
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum()
}

fn ok(run: &Run) {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

/// The tenant's token-cache file as JSON.
fn cache_file(t: &Tenant) -> Value {
    let text = std::fs::read_to_string(t.dir().join(".cache/tokens.json")).expect("cache file");
    serde_json::from_str(&text).expect("cache json")
}

/// The cache entry of m2mctl's own token (the bootstrap client, Management API audience).
fn own_entry(cache: &Value, t: &Tenant) -> Option<Value> {
    cache["entries"]
        .as_array()?
        .iter()
        .find(|e| {
            e["client_id"] == t.client_id().as_str()
                && e["audience"] == t.management_audience().as_str()
        })
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_plan_apply_and_token_make_no_token_request() {
    let t = Tenant::start().await;
    write_config(&t, &config("warm", &apps(3)));
    ok(&t.m2mctl(&["apply", "--auto-approve"]).await);
    ok(&t.m2mctl(&["token"]).await);
    let entry = own_entry(&cache_file(&t), &t).expect("own token cached");
    assert_eq!(
        entry["domain"],
        t.domain().as_str(),
        "keyed by the tenant domain"
    );

    for args in [
        &["plan", "--detailed-exitcode"][..],
        &["apply", "--auto-approve"][..],
        &["token"][..],
    ] {
        t.reset_stats().await;
        let run = t.m2mctl(args).await;
        ok(&run);
        assert_eq!(
            token_requests(&t).await,
            0,
            "warm {args:?}: {}",
            t.stats().await
        );
        assert!(
            t.stats().await["total"].as_u64() > Some(0),
            "it did talk to the tenant"
        );
    }

    t.reset_stats().await;
    ok(&t.m2mctl(&["plan", "--no-cache"]).await);
    assert_eq!(token_requests(&t).await, 1, "--no-cache asks for a token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.dir().join(".cache/tokens.json"))
            .expect("cache")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cache_neither_reads_nor_writes_the_cache() {
    let t = Tenant::start().await;
    write_config(&t, &config("bypass", &apps(1)));
    for _ in 0..2 {
        t.reset_stats().await;
        ok(&t.m2mctl(&["plan", "--no-cache"]).await);
        assert_eq!(token_requests(&t).await, 1);
    }
    assert!(!t.dir().join(".cache/tokens.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_cached_token_gets_one_new_token_and_a_retry() {
    let t = Tenant::start().await;
    write_config(&t, &config("expiry", &apps(2)));
    ok(&t.m2mctl(&["apply", "--auto-approve"]).await);
    // A warm run leaves m2mctl's own (long-lived) token in the cache.
    std::fs::remove_dir_all(t.dir().join(".cache")).ok();
    ok(&t.m2mctl(&["plan"]).await);

    // A one-second Management API token, taken while the lifetime is briefly 1 s. No m2mctl run
    // and no request of this test depends on a one-second token staying valid (on a loaded
    // machine a second passes between any two steps): the lifetime is restored with a token taken
    // before it was lowered.
    let audience = t.management_audience();
    let path = format!("/api/v2/resource-servers/{}", urlencode(&audience));
    let long_lived = t.management_token().await;
    let (status, text) = call(&t, "PATCH", &path, Some(json!({"token_lifetime": 1}))).await;
    assert_eq!(status, 200, "{text}");
    let one_second = t.management_token().await;
    let restored = t
        .http()
        .patch(format!("{}{path}", t.base_url()))
        .bearer_auth(&long_lived)
        .json(&json!({"token_lifetime": 86400}))
        .send()
        .await
        .expect("request");
    assert_eq!(restored.status(), 200);

    // The cache believes that token has an hour left (a revoked token, or a clock that drifted);
    // the tenant says it expired.
    let cache_path = t.dir().join(".cache/tokens.json");
    let mut cache = cache_file(&t);
    let far = chrono_now() + 3600;
    let refused_token = Value::from(one_second);
    for entry in cache["entries"].as_array_mut().expect("entries") {
        if entry["audience"] == audience.as_str() && entry["client_id"] == t.client_id().as_str() {
            entry["access_token"] = refused_token.clone();
            entry["expires_at"] = far.into();
        }
    }
    assert!(own_entry(&cache, &t).is_some(), "own entry");
    std::fs::write(&cache_path, serde_json::to_vec(&cache).expect("json")).expect("write");
    // Expiry is checked to the second: wait until the one-second token is certainly expired.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

    t.reset_stats().await;
    let run = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    ok(&run);
    let stats = t.stats().await;
    assert_eq!(
        token_requests(&t).await,
        1,
        "exactly one new token: {stats}"
    );
    let refused: u64 = stats["by_route"]
        .as_object()
        .expect("routes")
        .iter()
        .filter(|(route, _)| route.ends_with(" 401"))
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum();
    assert!(
        (1..=3).contains(&refused),
        "one refusal per list call at most: {stats}"
    );
    assert!(!run.stderr.contains("Expired"), "{}", run.stderr);

    // The new token replaced the refused one in the cache: the next run needs none.
    let entry = own_entry(&cache_file(&t), &t).expect("own entry");
    assert_ne!(entry["access_token"], refused_token, "renewed token saved");
    t.reset_stats().await;
    ok(&t.m2mctl(&["plan"]).await);
    assert_eq!(token_requests(&t).await, 0);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
