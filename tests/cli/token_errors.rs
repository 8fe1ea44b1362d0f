//! Failures of `token` / `credentials` (each says what and what to do), and the rule that no
//! token or secret ever reaches a log line or an error message.

use serde_json::Value;

use super::seed::App;
use super::{Fixture, text};

/// Stderr with miette's wrapping undone: box-drawing gutters dropped, whitespace collapsed.
fn flat(stderr: &str) -> String {
    let no_gutter = stderr.replace(['│', '×'], " ");
    no_gutter.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs and expects exit 1 with every one of `needles` on stderr.
async fn fails_with(f: &Fixture, args: &[&str], needles: &[&str]) {
    let out = f.run(args).await;
    assert_eq!(out.code, 1, "{args:?}\n{}", text(&out));
    for needle in needles {
        assert!(
            flat(&out.stderr).contains(needle),
            "{args:?}: missing {needle:?}\n{}",
            text(&out)
        );
    }
}

/// A client authorized for the Management API without `read:client_keys`.
async fn limited_client(f: &Fixture) -> App {
    let app = f
        .seeder
        .app("limited", "limited", "client_secret_post")
        .await;
    let scopes = [
        "read:clients",
        "read:client_grants",
        "read:resource_servers",
    ];
    f.seeder
        .grant(&app.client_id, &f.seeder.management(), &scopes)
        .await;
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_say_what_and_what_to_do() {
    let f = Fixture::new().await;
    let unknown = [
        "application `biling` is not in the config",
        "did you mean `billing`?",
    ];
    fails_with(&f, &["token", "biling"], &unknown).await;
    let nobody = ["application `nobody` is not in the config"];
    fails_with(&f, &["credentials", "nobody"], &nobody).await;
    let no_api = ["no selected application is granted `https://nope/`"];
    fails_with(&f, &["token", "--api", "https://nope/"], &no_api).await;

    f.write_config(true);
    let unapplied = [
        "application `not-yet-applied` is not in the tenant yet",
        "m2mctl apply",
    ];
    fails_with(&f, &["token", "not-yet-applied"], &unapplied).await;
    fails_with(&f, &["token"], &["not in the tenant yet"]).await;
    f.write_config(false);

    let limited = limited_client(&f).await;
    let out = f
        .run_as(&limited.client_id, &limited.client_secret, &["credentials"])
        .await;
    assert_eq!(out.code, 1, "{}", text(&out));
    let wanted = "the management token lacks `read:client_keys`";
    assert!(flat(&out.stderr).contains(wanted), "{}", text(&out));

    // Auth0's OAuth refusal is quoted: the client no longer allows client_credentials.
    let no_grant_types = serde_json::json!({"grant_types": []});
    f.seeder
        .patch_client(&f.seeded.reporter.client_id, no_grant_types)
        .await;
    let refused = ["auth0 refused a token for `reporter`", ": \""];
    fails_with(&f, &["token", "reporter", "--no-cache"], &refused).await;

    f.seeder.delete_grant(&f.seeded.billing_orders_grant).await;
    let missing = [
        "application `billing` has no grant for `https://orders.example.com/` in the tenant",
        "m2mctl apply",
    ];
    fails_with(&f, &["token", "billing"], &missing).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_token_or_secret_in_logs_or_errors() {
    let f = Fixture::new().await;
    let tokens = f.tokens(&[]).await;
    let limited = limited_client(&f).await;
    let mut secrets = vec![
        f.tenant.client_secret(),
        f.seeded.billing.client_secret.clone(),
        f.seeded.reporter.client_secret.clone(),
        limited.client_secret.clone(),
    ];
    secrets.extend(
        tokens
            .iter()
            .map(|t| t["access_token"].as_str().unwrap().to_string()),
    );

    let mut outputs = Vec::new();
    // Stderr only, for the commands whose stdout is what the user asked for.
    for args in [
        &["token", "-vv", "--format", "json", "--no-cache"][..],
        &["token", "-vv", "--format", "env"],
        &["token", "-vv", "--verify", "--format", "json"],
        &["credentials", "-vv", "--format", "env"],
    ] {
        let out = f.run(args).await;
        assert_eq!(out.code, 0, "{args:?} {}", text(&out));
        outputs.push((args.to_vec(), out.stderr));
    }
    assert!(
        outputs[0].1.contains("new token"),
        "-vv logs nothing: {}",
        outputs[0].1
    );
    // Everything, for the rest: tables, failures and the other commands.
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
        &["rotate", "-vv", "--dry-run", "reporter", "billing"],
        &["credentials", "-vv", "--deliver"],
    ] {
        let out = f.run(args).await;
        outputs.push((args.to_vec(), text(&out)));
    }
    let missing_keys = f
        .run_as(
            &limited.client_id,
            &limited.client_secret,
            &["credentials", "-vv"],
        )
        .await;
    outputs.push((vec!["credentials", "(limited)"], text(&missing_keys)));
    // A real rotation: its output holds neither the old nor the new secret.
    f.write_config(false);
    let rotated = f.run(&["rotate", "-vv", "billing"]).await;
    assert_eq!(rotated.code, 0, "{}", text(&rotated));
    outputs.push((vec!["rotate", "billing"], text(&rotated)));
    let now = f.run(&["credentials", "billing"]).await;
    let now: Value = serde_json::from_str(&now.stdout).unwrap();
    let new_secret = now[0]["client_secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, f.seeded.billing.client_secret);
    secrets.push(new_secret);
    let no_grant_types = serde_json::json!({"grant_types": []});
    f.seeder
        .patch_client(&f.seeded.reporter.client_id, no_grant_types)
        .await;
    let out = f.run(&["token", "-vv", "reporter", "--no-cache"]).await;
    assert_eq!(out.code, 1, "{}", text(&out));
    outputs.push((vec!["token", "(refused)"], text(&out)));

    for (args, output) in &outputs {
        for (i, secret) in secrets.iter().enumerate() {
            assert!(
                !output.contains(secret.as_str()),
                "{args:?} leaks secret #{i}:\n{output}"
            );
        }
    }
}
