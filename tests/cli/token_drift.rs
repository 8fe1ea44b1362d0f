//! `token` while the config and the tenant's grants differ (an unapplied change): one warning per
//! application, tokens cached by the scopes actually granted so a second run makes no token
//! request (counted by the emulator's `/__m2mctl/stats`), and `-r` printing one bare token.

use serde_json::Value;

use super::{Fixture, claims, seed, text};

#[tokio::test(flavor = "multi_thread")]
async fn an_unapplied_scope_change_warns_once_per_app_and_the_second_run_requests_nothing() {
    let f = Fixture::new().await;
    // The tenant grants billing read:orders + write:orders; the config now asks only read:orders.
    let yaml = seed::config_yaml(false).replace(
        "scopes: [read:orders, write:orders]",
        "scopes: [read:orders]",
    );
    std::fs::write(f.tenant.dir().join("m2mctl.yaml"), yaml).unwrap();
    let bearer = f.tenant.management_token().await;
    let auth = [("AUTH0_ACCESS_TOKEN", bearer.as_str())];
    let args = ["token", "--format", "json"];

    let before = f.token_requests().await;
    let first = f.run_with(&auth, &args).await;
    assert_eq!(first.code, 0, "{}", text(&first));
    assert_eq!(f.token_requests().await - before, 4, "one per pair");
    let warnings: Vec<&str> = first
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: `billing`: the tenant's grant differs from the config for https://orders.example.com/ (granted but not in the config: write:orders); tokens carry the tenant's scopes until `m2mctl apply`"
        ],
        "{}",
        text(&first)
    );
    let tokens: Vec<Value> = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(
        tokens[0]["scopes"],
        serde_json::json!(["read:orders", "write:orders"])
    );

    let before = f.token_requests().await;
    let second = f.run_with(&auth, &args).await;
    assert_eq!(second.code, 0, "{}", text(&second));
    assert_eq!(
        f.token_requests().await,
        before,
        "second run requested tokens"
    );
    let again: Vec<Value> = serde_json::from_str(&second.stdout).unwrap();
    assert!(again.iter().all(|t| t["source"] == "cache"), "{again:?}");
    assert_eq!(tokens[0]["access_token"], again[0]["access_token"]);
    assert_eq!(second.stderr.matches("warning: `billing`").count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_prints_only_the_token_and_refuses_more_than_one() {
    let f = Fixture::new().await;
    let run = f
        .run(&[
            "token",
            "billing",
            "--api",
            "https://orders.example.com/",
            "-r",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", text(&run));
    let token = run.stdout.strip_suffix('\n').expect("one line");
    assert!(!token.contains(char::is_whitespace), "{:?}", run.stdout);
    assert_eq!(claims(token)["aud"], "https://orders.example.com/");
    let long = f
        .run(&["token", "billing", "--api", "management", "--format", "raw"])
        .await;
    assert_eq!(long.code, 0, "{}", text(&long));
    assert_eq!(claims(long.stdout.trim_end())["scope"], "read:clients");

    let before = f.token_requests().await;
    let many = f.run(&["token", "billing", "-r"]).await;
    assert_eq!(many.code, 1, "{}", text(&many));
    assert!(many.stdout.is_empty(), "{}", text(&many));
    assert!(
        many.stderr.contains("`--format raw` prints exactly one token, and 2 (application, API) pairs are selected: billing → https://orders.example.com/, billing → management"),
        "{}",
        text(&many)
    );
    assert!(
        many.stderr
            .contains("help: name one application and one API"),
        "{}",
        text(&many)
    );
    assert!(
        f.token_requests().await <= before + 1,
        "refused before asking for app tokens"
    );
}
