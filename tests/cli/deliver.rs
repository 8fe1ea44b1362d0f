//! Delivery sinks end to end: `apply` delivers a created application's secret to its `.env`
//! file, its command (on stdin) and its Kubernetes manifest; a failing sink is reported at the
//! end with exit 1 while every other sink and application still gets its credentials;
//! `credentials --deliver` delivers the current secret again. No secret on stdout or stderr.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::apply_kit::{self, App, ORDERS};
use crate::support::Tenant;

/// Two applications: `svc` with three working sinks, `broken` with a failing command first.
fn config() -> String {
    let mut y = apply_kit::config(
        "deliver",
        &[App::new("svc", "Service"), App::new("broken", "Broken")],
    );
    y = y.replace(
        "    key: svc\n",
        "    key: svc\n    deliver:\n      - dotenv: out/svc.env\n      - command: [sh, -c, 'cat > svc-stdin.json; env > svc-env.txt; echo \"$0 $*\" > svc-argv.txt']\n      - kubernetes_secret: { namespace: payments, name: svc-auth0, file: k8s/svc.yaml }\n",
    );
    y.replace(
        "    key: broken\n",
        "    key: broken\n    deliver:\n      - command: [sh, -c, 'echo \"vault: permission denied\" >&2; exit 4']\n      - dotenv: out/broken.env\n",
    )
}

async fn secret_of(t: &Tenant, client_id: &str) -> String {
    let (status, text) =
        apply_kit::call(t, "GET", &format!("/api/v2/clients/{client_id}"), None).await;
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["client_secret"].as_str().unwrap().to_string()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_delivers_created_secrets_and_reports_a_failing_sink_last() {
    let t = Tenant::start().await;
    apply_kit::write_config(&t, &config());
    let run = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(run.code, 1, "a failed sink fails the run:\n{}", run.stderr);
    apply_kit::assert_no_secret(&t, &run).await;
    assert!(run.stderr.contains("Apply complete"), "{}", run.stderr);
    let summary = "error: 1 of 5 deliveries failed:";
    let tail = run.stderr.find(summary).map(|at| &run.stderr[at..]);
    let tail = tail.unwrap_or_else(|| panic!("no closing summary:\n{}", run.stderr));
    t.volatile_settings()
        .bind(|| insta::assert_snapshot!("failed_delivery_summary", tail));

    let clients = apply_kit::clients(&t).await;
    let ids = apply_kit::marked(&clients, "deliver");
    let id_of = |key: &str| ids.iter().find(|(k, _)| k == key).unwrap().1.clone();
    let (svc, broken) = (id_of("svc"), id_of("broken"));
    let secret = secret_of(&t, &svc).await;

    // The command read the credentials on stdin, and found them neither in argv nor env.
    let stdin: Value =
        serde_json::from_str(&std::fs::read_to_string(t.dir().join("svc-stdin.json")).unwrap())
            .unwrap();
    assert_eq!(stdin["client_id"], svc.as_str());
    assert_eq!(stdin["client_secret"], secret.as_str());
    assert_eq!(stdin["audience"], ORDERS);
    for file in ["svc-env.txt", "svc-argv.txt"] {
        let text = std::fs::read_to_string(t.dir().join(file)).unwrap();
        assert!(!text.contains(&secret), "{file} holds the secret");
        assert!(
            !text.contains(&t.client_secret()),
            "{file} holds m2mctl's own secret"
        );
    }
    // The delivered secret works.
    let token = t
        .token_for(&svc, stdin["client_secret"].as_str().unwrap(), ORDERS)
        .await;
    assert_eq!(token.status(), 200);

    let env_path = t.dir().join("out/svc.env");
    assert_eq!(mode(&env_path), 0o600);
    let env = std::fs::read_to_string(&env_path).unwrap();
    assert!(
        env.contains(&format!("M2M_SVC_CLIENT_SECRET={secret}\n")),
        "{env}"
    );
    assert!(env.contains(&format!("M2M_SVC_CLIENT_ID={svc}\n")), "{env}");
    assert!(
        env.contains(&format!("AUTH0_DOMAIN={}\n", t.base_url())),
        "{env}"
    );
    assert!(env.contains("M2M_SVC_TOKEN_URL=http://127.0.0.1:"), "{env}");
    let manifest = t.dir().join("k8s/svc.yaml");
    assert_eq!(mode(&manifest), 0o600);
    assert!(
        std::fs::read_to_string(&manifest)
            .unwrap()
            .contains(&secret)
    );
    // The failing command did not stop the next sink of the same application.
    let broken_env = std::fs::read_to_string(t.dir().join("out/broken.env")).unwrap();
    let broken_secret = secret_of(&t, &broken).await;
    assert!(broken_env.contains(&broken_secret), "{broken_env}");

    // Delivering again keeps the service's own lines; stdout stays empty.
    std::fs::write(&env_path, format!("PORT=8080\n{env}")).unwrap();
    let again = t.m2mctl(&["credentials", "svc", "--deliver"]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, "");
    assert!(
        again.stderr.contains("delivered svc -> dotenv"),
        "{}",
        again.stderr
    );
    apply_kit::assert_no_secret(&t, &again).await;
    let env = std::fs::read_to_string(&env_path).unwrap();
    assert!(env.starts_with("PORT=8080\n"), "{env}");
    assert_eq!(env.matches("M2M_SVC_CLIENT_SECRET=").count(), 1, "{env}");

    // An application without sinks, named, is a clear error.
    apply_kit::write_config(&t, &config().replace("    deliver:\n      - command: [sh, -c, 'echo \"vault: permission denied\" >&2; exit 4']\n      - dotenv: out/broken.env\n", ""));
    let none = t.m2mctl(&["credentials", "broken", "--deliver"]).await;
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.contains("has no `deliver:` sinks"),
        "{}",
        none.stderr
    );
}
