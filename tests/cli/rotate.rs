//! `m2mctl rotate` end to end against an emulator that refuses a rotated secret for a moment
//! (`--secret-propagation`): the new secret reaches a `.env` file and a command's stdin, a token
//! with it works, the old one is refused, a failing sink fails the run (exit 1) while the other
//! application is still rotated, delivered and proven. `--dry-run` changes nothing. No secret,
//! old or new, on stdout or stderr.

use std::time::Duration;

use serde_json::Value;

use crate::apply_kit::{self, App, ORDERS};
use crate::support::{Options, Run, Tenant};

fn config() -> String {
    apply_kit::config(
        "rot",
        &[App::new("svc", "Service"), App::new("broken", "Broken")],
    )
    .replace(
        "    key: svc\n",
        "    key: svc\n    deliver:\n      - dotenv: out/svc.env\n      - command: [sh, -c, 'cat > svc-stdin.json']\n",
    )
    .replace(
        "    key: broken\n",
        "    key: broken\n    deliver:\n      - command: [sh, -c, 'echo \"store is down\" >&2; exit 9']\n",
    )
}

async fn secret_of(t: &Tenant, id: &str) -> String {
    let (status, text) = apply_kit::call(t, "GET", &format!("/api/v2/clients/{id}"), None).await;
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["client_secret"].as_str().unwrap().to_string()
}

fn assert_absent(run: &Run, secret: &str) {
    assert!(!run.stdout.contains(secret), "a secret on stdout");
    assert!(!run.stderr.contains(secret), "a secret on stderr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_delivers_the_new_secret_proves_it_and_the_old_one_is_refused() {
    let t = Tenant::with(Options {
        secret_propagation: Some(Duration::from_millis(1500)),
        ..Options::default()
    })
    .await;
    apply_kit::write_config(&t, &config());
    let applied = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 1, "broken's sink fails: {}", applied.stderr);
    let ids = apply_kit::marked(&apply_kit::clients(&t).await, "rot");
    let id_of = |key: &str| ids.iter().find(|(k, _)| k == key).unwrap().1.clone();
    let (svc, broken) = (id_of("svc"), id_of("broken"));
    let old = secret_of(&t, &svc).await;
    let old_broken = secret_of(&t, &broken).await;

    let dry = t.m2mctl(&["rotate", "svc", "broken", "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    // the steps per application, its sinks, and the proof; the ids by name
    let steps = dry
        .stdout
        .replace(&svc, "[SVC_CLIENT_ID]")
        .replace(&broken, "[BROKEN_CLIENT_ID]");
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("rotate_dry_run", steps));
    assert_eq!(secret_of(&t, &svc).await, old, "--dry-run rotated");
    assert_absent(&dry, &old);

    let run = t.m2mctl(&["rotate", "svc", "broken", "-v"]).await;
    assert_eq!(run.code, 1, "a failing sink fails the run:\n{}", run.stderr);
    let new = secret_of(&t, &svc).await;
    let new_broken = secret_of(&t, &broken).await;
    assert_ne!(new, old);
    assert_ne!(new_broken, old_broken);
    for secret in [&old, &new, &old_broken, &new_broken] {
        assert_absent(&run, secret);
    }
    apply_kit::assert_no_secret(&t, &run).await;
    // Both applications were rotated and proven; the failure is summed up at the end.
    for key in ["svc", "broken"] {
        assert!(
            run.stderr.contains(&format!("rotated {key} (client_id")),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("proved {key}: the new secret gets a token")),
            "{}",
            run.stderr
        );
    }
    let summary = "error: 1 of 3 deliveries failed:";
    let tail = run.stderr.rfind(summary).map(|at| &run.stderr[at..]);
    let tail = tail.unwrap_or_else(|| panic!("no closing summary:\n{}", run.stderr));
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("rotate_failed_delivery_summary", tail));

    // The command saw the new secret on stdin; the .env file holds it.
    let stdin: Value =
        serde_json::from_str(&std::fs::read_to_string(t.dir().join("svc-stdin.json")).unwrap())
            .unwrap();
    assert_eq!(stdin["client_secret"], new.as_str());
    let env = std::fs::read_to_string(t.dir().join("out/svc.env")).unwrap();
    assert!(
        env.contains(&format!("M2M_SVC_CLIENT_SECRET={new}\n")),
        "{env}"
    );
    assert!(!env.contains(&old), "{env}");
    // The new secret works (the proof waited out the propagation); the old one is refused.
    assert_eq!(t.token_for(&svc, &new, ORDERS).await.status(), 200);
    assert_eq!(t.token_for(&svc, &old, ORDERS).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_refuses_a_rotated_secret_until_propagated() {
    let t = Tenant::with(Options {
        secret_propagation: Some(Duration::from_secs(3600)),
        ..Options::default()
    })
    .await;
    apply_kit::write_config(&t, &config());
    let _ = t.m2mctl(&["apply", "--auto-approve"]).await;
    let ids = apply_kit::marked(&apply_kit::clients(&t).await, "rot");
    let svc = ids.iter().find(|(k, _)| k == "svc").unwrap().1.clone();
    let old = secret_of(&t, &svc).await;
    let (status, text) = apply_kit::call(
        &t,
        "POST",
        &format!("/api/v2/clients/{svc}/rotate-secret"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let new = secret_of(&t, &svc).await;
    for secret in [&old, &new] {
        let r = t.token_for(&svc, secret, ORDERS).await;
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "access_denied");
    }
}
