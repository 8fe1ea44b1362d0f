//! `m2mctl apply` end to end: the real binary against an emulator on 127.0.0.1:0.

use serde_json::json;

use crate::apply_kit::*;
use crate::support::{Run, Tenant, run_binary};

async fn apply(t: &Tenant, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--auto-approve"];
    args.extend_from_slice(extra);
    t.m2mctl(&args).await
}

async fn assert_plan_empty(t: &Tenant) {
    let plan = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(
        plan.code, 0,
        "plan not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_plan_apply_plan_is_empty() {
    let t = Tenant::start().await;
    let quickstart = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/quickstart.yaml"
    ))
    .expect("quickstart");
    write_config(
        &t,
        &quickstart.replace("domain: local", "domain: ${AUTH0_DOMAIN}"),
    );
    let plan = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(plan.code, 2, "{}", plan.stderr);

    let run = apply(&t, &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("Plan: 9 to create, 0 to update, 0 to delete."),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("+ application.billing created (client_id "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("+ grant.platform -> management created"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Apply complete: 9 created, 0 updated, 0 deleted — "),
        "{}",
        run.stderr
    );
    assert_no_secret(&t, &run).await;
    // exactly one write per change: 2 APIs, 3 clients, 4 grants (and the lease's create, delete)
    let w = plan_writes(&t).await;
    let count = |k: &str| w.iter().find(|(key, _)| key == k).map_or(0, |(_, n)| *n);
    assert_eq!(count("POST /api/v2/resource-servers 201"), 2, "{w:?}");
    assert_eq!(count("POST /api/v2/clients 201"), 3, "{w:?}");
    assert_eq!(count("POST /api/v2/client-grants 201"), 4, "{w:?}");
    assert_eq!(w.len(), 3, "{w:?}");

    assert_plan_empty(&t).await;
    t.reset_stats().await;
    let again = apply(&t, &[]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    assert!(writes(&t).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_apps_converge_in_one_apply() {
    let t = Tenant::start().await;
    write_config(&t, &config("fleet", &apps(100)));
    let run = apply(&t, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("Apply complete: 201 created"),
        "{}",
        run.stderr
    );
    assert_plan_empty(&t).await;
    let all = clients(&t).await;
    assert_eq!(marked(&all, "fleet").len(), 100);
    assert_eq!(
        grants(&t).await.len(),
        101,
        "100 + the bootstrap app's grant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_an_app_is_an_update_and_removal_deletes_only_with_prune() {
    let t = Tenant::start().await;
    let mut list = vec![
        App::new("billing", "billing-worker"),
        App::new("reports", "reports"),
    ];
    write_config(&t, &config("p", &list));
    assert_eq!(apply(&t, &[]).await.code, 0);
    let before = marked(&clients(&t).await, "p");

    list[0].name = "billing-service".into();
    write_config(&t, &config("p", &list));
    t.reset_stats().await;
    let run = apply(&t, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    // the same client (its id), only the name changes
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("rename_is_an_update", run.stdout));
    assert_eq!(
        plan_writes(&t).await,
        vec![("PATCH /api/v2/clients/{id} 200".to_string(), 1)]
    );
    assert_eq!(marked(&clients(&t).await, "p"), before, "same client ids");

    list.remove(1);
    write_config(&t, &config("p", &list));
    t.reset_stats().await;
    let run = apply(&t, &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("removal_without_prune_warns", run.stdout));
    assert!(writes(&t).await.is_empty());

    let run = apply(&t, &["--prune"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    t.volatile_settings().bind(|| {
        insta::assert_snapshot!(
            "removal_with_prune_deletes",
            run.stdout + "--- stderr\n" + &run.stderr
        )
    });
    assert_eq!(marked(&clients(&t).await, "p").len(), 1);
    assert_eq!(
        grants(&t).await.len(),
        2,
        "the deleted app's grant went with it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_clients_are_never_modified() {
    let t = Tenant::start().await;
    let unmarked = seed_client(
        &t,
        json!({"name": "legacy-cron", "app_type": "non_interactive",
        "grant_types": ["client_credentials"], "client_metadata": {"owner": "ops"}}),
    )
    .await;
    let other = seed_client(
        &t,
        json!({"name": "their-app", "app_type": "non_interactive",
        "client_metadata": {"m2mctl": "other-team:billing"}}),
    )
    .await;
    let (status, _) = call(&t, "POST", "/api/v2/client-grants",
        Some(json!({"client_id": unmarked, "audience": t.management_audience(), "scope": ["read:clients"]}))).await;
    assert_eq!(status, 201);
    let before = (
        raw_client(&t, &unmarked).await,
        raw_client(&t, &other).await,
    );

    write_config(&t, &config("p", &[App::new("reports", "reports")]));
    let run = apply(&t, &["--prune"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut list = vec![App::new("reports", "reports renamed")];
    list[0].grants[0].1.push("write:orders".into());
    write_config(&t, &config("p", &list));
    let run = apply(&t, &["--prune", "--allow-mass-delete"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_plan_empty(&t).await;

    let after = (
        raw_client(&t, &unmarked).await,
        raw_client(&t, &other).await,
    );
    assert_eq!(before, after, "foreign clients changed");
    let foreign_grants = grants(&t)
        .await
        .into_iter()
        .filter(|g| g["client_id"] == unmarked.as_str())
        .count();
    assert_eq!(foreign_grants, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_applies_only_while_the_tenant_is_unchanged() {
    let t = Tenant::start().await;
    let mut list = vec![
        App::new("billing", "billing"),
        App::new("reports", "reports"),
    ];
    write_config(&t, &config("p", &list));
    assert_eq!(apply(&t, &[]).await.code, 0);

    list[0].name = "billing v2".into();
    write_config(&t, &config("p", &list));
    let plan = t.m2mctl(&["plan", "--out", "plan.json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    // someone edits the client the plan touches
    let id = marked(&clients(&t).await, "p")[0].1.clone();
    let (status, _) = call(
        &t,
        "PATCH",
        &format!("/api/v2/clients/{id}"),
        Some(json!({"description": "hand edit"})),
    )
    .await;
    assert_eq!(status, 200);
    t.reset_stats().await;
    let run = t.m2mctl(&["apply", "plan.json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the tenant changed since this plan was made; run plan again"),
        "{}",
        run.stderr
    );
    assert!(writes(&t).await.is_empty(), "{:?}", writes(&t).await);

    // an object the plan does not touch may change; a fresh plan applies without a prompt
    let plan = t.m2mctl(&["plan", "--out", "plan.json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let other = marked(&clients(&t).await, "p")[1].1.clone();
    let (status, _) = call(
        &t,
        "PATCH",
        &format!("/api/v2/clients/{other}"),
        Some(json!({"client_metadata": {"note": "x"}})),
    )
    .await;
    assert_eq!(status, 200);
    let run = t.m2mctl(&["apply", "plan.json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("~ application.billing updated"),
        "{}",
        run.stderr
    );

    // a plan for another project is refused
    write_config(&t, &config("q", &list));
    let run = t.m2mctl(&["apply", "plan.json"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("made for project `p`, not `q`"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scopes_are_refused_before_any_write() {
    let t = Tenant::start().await;
    write_config(&t, &config("p", &apps(2)));
    assert_eq!(apply(&t, &[]).await.code, 0);
    // an M2M client authorized for everything apply needs here except `delete:clients`
    let scopes = [
        "read:clients",
        "read:client_grants",
        "read:resource_servers",
        "create:clients",
        "update:clients",
        "create:client_grants",
        "update:client_grants",
        "delete:client_grants",
    ];
    let (limited, secret) = limited_client(&t, "ci-deployer", &scopes).await;

    write_config(&t, &config("p", &apps(1)));
    t.reset_stats().await;
    let envs = [
        ("AUTH0_DOMAIN".to_string(), t.auth0_domain()),
        ("AUTH0_CLIENT_ID".to_string(), limited.clone()),
        ("AUTH0_CLIENT_SECRET".to_string(), secret),
    ];
    let run = run_binary(t.dir(), &["apply", "--auto-approve", "--prune"], &envs).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("lacks scopes this plan needs: `delete:clients`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("client `{limited}`")),
        "{}",
        run.stderr
    );
    assert!(writes(&t).await.is_empty(), "{:?}", writes(&t).await);
    assert_eq!(marked(&clients(&t).await, "p").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_apply_needs_auto_approve() {
    let t = Tenant::start().await;
    write_config(&t, &config("p", &apps(1)));
    let run = t.m2mctl(&["apply"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("Plan: 3 to create"),
        "the plan is shown first: {}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("refusing to apply without confirmation: stdin is not a terminal"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert!(writes(&t).await.is_empty());
    assert!(marked(&clients(&t).await, "p").is_empty());
}
