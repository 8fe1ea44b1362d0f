//! Safety of `apply` as an attack: re-applying a saved plan, and markers copied onto clients
//! m2mctl must never own. (Overlapping runs are in `apply_overlap.rs`.)

use serde_json::{Value, json};

use crate::apply_kit::*;
use crate::support::Tenant;

/// Clients and grants as `(client marker, audience)` pairs, to count duplicates.
async fn census(t: &Tenant, project: &str) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let all = clients(t).await;
    let marked = marked(&all, project);
    let mut pairs: Vec<(String, String)> = grants(t)
        .await
        .iter()
        .map(|g| {
            (
                g["client_id"].as_str().unwrap_or("").to_string(),
                g["audience"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    pairs.sort();
    (marked, pairs)
}

fn has_duplicates(items: &[(String, String)], by_first: bool) -> bool {
    let mut keys: Vec<&String> = items
        .iter()
        .map(|(a, b)| if by_first { a } else { b })
        .collect();
    let n = keys.len();
    keys.dedup();
    keys.len() != n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_one_saved_plan_twice_refuses_the_second_time() {
    let t = Tenant::start().await;
    let mut list = apps(3);
    list[0]
        .grants
        .push(("management".into(), vec!["read:clients".into()]));
    write_config(&t, &config("p", &list));
    let plan = t.m2mctl(&["plan", "--out", "plan.json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);

    let first = t.m2mctl(&["apply", "plan.json"]).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    let (clients_once, grants_once) = census(&t, "p").await;
    assert_eq!(clients_once.len(), 3);

    // the CI job is re-run with the same artifact
    t.reset_stats().await;
    let second = t.m2mctl(&["apply", "plan.json"]).await;
    assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
    assert!(
        second
            .stderr
            .contains("would create 4 object(s) that already exist"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("`application.app000` (`"),
        "{}",
        second.stderr
    );
    assert!(writes(&t).await.is_empty(), "{:?}", writes(&t).await);
    let (clients_twice, grants_twice) = census(&t, "p").await;
    assert_eq!(clients_twice, clients_once);
    assert_eq!(grants_twice, grants_once);
    assert!(!has_duplicates(&clients_twice, true));

    // a grant the plan would add to an existing application, made meanwhile by hand
    list[1]
        .grants
        .push(("management".into(), vec!["read:clients".into()]));
    write_config(&t, &config("p", &list));
    let plan = t.m2mctl(&["plan", "--out", "plan.json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let id = clients_once
        .iter()
        .find(|(k, _)| k == "app001")
        .map(|(_, id)| id.clone());
    let body =
        json!({"client_id": id, "audience": t.management_audience(), "scope": ["read:clients"]});
    let (status, text) = call(&t, "POST", "/api/v2/client-grants", Some(body)).await;
    assert_eq!(status, 201, "{text}");
    let run = t.m2mctl(&["apply", "plan.json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`grant.app001 -> management` (`cgr_"),
        "{}",
        run.stderr
    );
}

/// Creates a client the way an attacker with Dashboard access would, carrying `marker`.
async fn hostile_client(t: &Tenant, name: &str, app_type: &str, marker: &str) -> String {
    seed_client(
        t,
        json!({
            "name": name,
            "app_type": app_type,
            "grant_types": ["authorization_code", "client_credentials"],
            "callbacks": ["https://attacker.example/cb"],
            "client_metadata": {"m2mctl": marker},
        }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marker_copied_onto_a_non_m2m_client_never_gets_it_managed_or_granted() {
    let t = Tenant::start().await;
    let mut worker = App::new("worker", "worker");
    worker.grants = vec![("management".into(), vec!["read:clients".into()])];
    write_config(&t, &config("p", &[worker]));
    // the attacker's web app claims to be `worker` before the first apply
    let web = hostile_client(&t, "my web app", "regular_web", "p:worker").await;
    let spa = hostile_client(&t, "my spa", "spa", "p:gone").await;
    let before_web = raw_client(&t, &web).await;
    let before_spa = raw_client(&t, &spa).await;

    let plan = t.m2mctl(&["plan", "--prune"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let warned = format!(
        "client `{web}` carries the marker of `worker` but has `app_type: regular_web`, not `non_interactive`; m2mctl never manages it and leaves it alone"
    );
    assert!(plan.stdout.contains(&warned), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains(&format!("client `{spa}` carries the marker of `gone`")),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("+ application.worker"),
        "{}",
        plan.stdout
    );
    let run = t.m2mctl(&["apply", "--auto-approve", "--prune"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // the hostile clients are byte for byte as they were, and hold no grant
    assert_eq!(raw_client(&t, &web).await, before_web);
    assert_eq!(raw_client(&t, &spa).await, before_spa);
    let all = grants(&t).await;
    let granted: Vec<&Value> = all
        .iter()
        .filter(|g| g["client_id"] == web.as_str() || g["client_id"] == spa.as_str())
        .collect();
    assert!(granted.is_empty(), "{granted:?}");
    // `worker` is a new M2M client of its own, holding the Management API grant
    let own: Vec<Value> = clients(&t)
        .await
        .into_iter()
        .filter(|c| c["client_metadata"]["m2mctl"] == "p:worker" && c["client_id"] != web.as_str())
        .collect();
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["app_type"], "non_interactive");
    let own_id = own[0]["client_id"].as_str().unwrap_or_default();
    assert!(
        all.iter()
            .any(|g| g["client_id"] == own_id && g["audience"] == t.management_audience().as_str())
    );
    // and the next plan is empty apart from the warnings
    let again = t.m2mctl(&["plan", "--detailed-exitcode", "--prune"]).await;
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marker_on_the_global_client_is_never_matched() {
    let t = Tenant::start().await;
    let global = clients(&t)
        .await
        .into_iter()
        .find(|c| c["global"] == true)
        .and_then(|c| c["client_id"].as_str().map(str::to_string));
    let global = global.expect("every tenant has a global client");
    let (status, text) = call(
        &t,
        "PATCH",
        &format!("/api/v2/clients/{global}"),
        Some(json!({"client_metadata": {"m2mctl": "p:worker"}})),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    write_config(&t, &config("p", &[App::new("worker", "worker")]));
    let plan = t.m2mctl(&["plan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "client `{global}` carries the marker of `worker` but is the tenant's global client"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("+ application.worker"),
        "{}",
        plan.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_reports_duplicated_applications_with_their_ids() {
    let t = Tenant::start().await;
    // two M2M clients carry one marker of this project (a run without the lease, a hand copy)
    let twin = |name: &str| {
        json!({"name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"],
        "client_metadata": {"m2mctl": "p:old-worker"}})
    };
    let a = seed_client(&t, twin("old worker")).await;
    let b = seed_client(&t, twin("old worker copy")).await;
    write_config(&t, &config("p", &apps(1)));
    let run = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let mut ids = [a, b];
    ids.sort();
    let want = format!(
        "duplicate applications: marker `p:old-worker` is on 2 clients: `{}`, `{}`",
        ids[0], ids[1]
    );
    let flat: Vec<&str> = run
        .stderr
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect();
    assert!(flat.join(" ").contains(&want), "{}", run.stderr);
    // the apply itself went through; only the duplicate is reported
    assert_eq!(marked(&clients(&t).await, "p").len(), 3);
}
