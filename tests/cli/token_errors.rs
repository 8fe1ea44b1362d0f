//! Failures of `token` / `credentials` (each says what and what to do), and the rule that no
//! token or secret ever reaches a log line or an error message.

use super::seed::App;
use super::{Fixture, text};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and expects exit 1 with every `needles` on stderr; returns the output.
fn fails_with(f: &Fixture, args: &[&str], needles: &[&str]) -> std::process::Output {
    let out = f.run(args);
    assert_eq!(out.status.code(), Some(1), "{args:?}\n{}", text(&out));
    for needle in needles {
        assert!(stderr(&out).contains(needle), "{args:?}: missing {needle:?}\n{}", text(&out));
    }
    out
}

/// A client authorized for the Management API without `read:client_keys`.
async fn limited_client(f: &Fixture) -> App {
    let app = f.seeder.app("limited", "limited", "client_secret_post").await;
    let scopes = ["read:clients", "read:client_grants", "read:resource_servers"];
    f.seeder.grant(&app.client_id, &f.seeder.management(), &scopes).await;
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_say_what_and_what_to_do() {
    let f = Fixture::new().await;
    fails_with(&f, &["token", "biling"], &["application `biling` is not in the config", "did you mean `billing`?"]);
    fails_with(&f, &["credentials", "nobody"], &["application `nobody` is not in the config"]);
    fails_with(&f, &["token", "--api", "https://nope/"], &["no selected application is granted `https://nope/`"]);
    f.write_config(true);
    fails_with(&f, &["token", "not-yet-applied"], &["application `not-yet-applied` is not in the tenant yet", "m2mctl apply"]);
    fails_with(&f, &["token"], &["not in the tenant yet"]);
    f.write_config(false);

    let limited = limited_client(&f).await;
    let out = f.run_as(&limited.client_id, &limited.client_secret, &["credentials"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("lacks `read:client_keys`"), "{}", text(&out));

    // Auth0's OAuth refusal is quoted: the client no longer allows client_credentials.
    f.seeder
        .patch_client(&f.seeded.reporter.client_id, serde_json::json!({"grant_types": []}))
        .await;
    fails_with(&f, &["token", "reporter", "--no-cache"], &["auth0 refused a token for `reporter`", "\""]);

    f.seeder.delete_grant(&f.seeded.billing_orders_grant).await;
    fails_with(&f, &["token", "billing"], &["application `billing` has no grant for `https://orders.example.com/` in the tenant", "m2mctl apply"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_token_or_secret_in_logs_or_errors() {
    let f = Fixture::new().await;
    let tokens: Vec<String> = f
        .tokens(&[])
        .iter()
        .map(|t| t["access_token"].as_str().unwrap().to_string())
        .collect();
    let limited = limited_client(&f).await;
    let mut secrets = vec![
        f.emulator.bootstrap_client_secret().to_string(),
        f.seeded.billing.client_secret.clone(),
        f.seeded.reporter.client_secret.clone(),
        limited.client_secret.clone(),
    ];
    secrets.extend(tokens);

    let mut outputs = Vec::new();
    // Stderr only, for the commands whose stdout is the secret the user asked for.
    for args in [
        &["token", "-vv", "--format", "json", "--no-cache"][..],
        &["token", "-vv", "--format", "env"],
        &["token", "-vv", "--verify", "--format", "json"],
        &["credentials", "-vv", "--format", "env"],
    ] {
        let out = f.run(args);
        assert!(out.status.success(), "{args:?} {}", text(&out));
        outputs.push((args.to_vec(), stderr(&out)));
    }
    assert!(outputs[0].1.contains("new token"), "-vv logs nothing: {}", outputs[0].1);
    // Everything, for the rest: non-token commands, tables and failures.
    f.write_config(true);
    for args in [
        &["token", "-vv", "--format", "table", "reporter"][..],
        &["token", "-vv", "not-yet-applied"],
        &["token", "-vv", "biling"],
        &["credentials", "-vv", "not-yet-applied"],
        &["validate", "-vv"],
        &["plan", "-vv"],
        &["plan", "-vv", "--format", "json"],
        &["export", "-vv", "-o", "-"],
    ] {
        let out = f.run(args);
        outputs.push((args.to_vec(), text(&out)));
    }
    f.seeder
        .patch_client(&f.seeded.reporter.client_id, serde_json::json!({"grant_types": []}))
        .await;
    let out = f.run(&["token", "-vv", "reporter", "--no-cache"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    outputs.push((vec!["token", "(refused)"], text(&out)));

    for (args, output) in &outputs {
        for (i, secret) in secrets.iter().enumerate() {
            assert!(!output.contains(secret.as_str()), "{args:?} leaks secret #{i}:\n{output}");
        }
    }
}
