//! Two projects on one tenant (issue 11 item 11): markers are per project (`project:key`), and a
//! key another project uses is refused with an explanation, never silently shared or duplicated.

use serde_json::Value;

use crate::apply_kit::{clients, write_config};
use crate::support::Tenant;

fn config(project: &str, apps: &[(&str, Option<&str>)]) -> String {
    let mut text = format!(
        "version: 1\nproject: {project}\ntenant:\n  domain: ${{AUTH0_DOMAIN}}\napplications:\n"
    );
    for (name, key) in apps {
        text.push_str(&format!("  - name: {name}\n"));
        if let Some(key) = key {
            text.push_str(&format!("    key: {key}\n"));
        }
    }
    text
}

fn markers(all: &[Value]) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = all
        .iter()
        .filter_map(|c| {
            let marker = c["client_metadata"]["m2mctl"].as_str()?;
            Some((c["name"].as_str()?.to_string(), marker.to_string()))
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_another_project_is_refused_with_the_reason_and_a_way_out() {
    let t = Tenant::start().await;
    write_config(&t, &config("alpha", &[("worker", None)]));
    let run = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let alpha = markers(&clients(&t).await);
    assert_eq!(alpha, [("worker".to_string(), "alpha:worker".to_string())]);

    // Project beta wants the key `worker` too (defaulted from the same name).
    write_config(&t, &config("beta", &[("worker", None)]));
    for command in [&["plan"][..], &["apply", "--auto-approve"]] {
        let run = t.m2mctl(command).await;
        assert_eq!(run.code, 1, "{command:?}: {}", run.stderr);
        // miette wraps lines and marks continuations with `│`.
        let words: Vec<&str> = run
            .stderr
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect();
        let text = words.join(" ");
        for needle in [
            "owned by project `alpha`",
            "another `key`",
            "`project: alpha`",
        ] {
            assert!(
                text.contains(needle),
                "{command:?} says {needle}: {}",
                run.stderr
            );
        }
    }
    assert_eq!(
        markers(&clients(&t).await),
        alpha,
        "nothing created, nothing taken over"
    );

    // Another key, same name: both projects own their own client side by side.
    write_config(&t, &config("beta", &[("worker", Some("beta-worker"))]));
    let run = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        markers(&clients(&t).await),
        [
            ("worker".to_string(), "alpha:worker".to_string()),
            ("worker".to_string(), "beta:beta-worker".to_string()),
        ]
    );
    // Neither sees the other's client as its own: no changes, and beta's prune leaves alpha's.
    let run = t.m2mctl(&["plan", "--prune", "--detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    write_config(&t, &config("alpha", &[("worker", None)]));
    let run = t.m2mctl(&["plan", "--prune", "--detailed-exitcode"]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}
