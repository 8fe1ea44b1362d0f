//! `credentials` and the delivery sinks for an application that signs with a private key: the
//! client id, the method and the keys (names and kids), never the client secret the tenant still
//! holds for the client (unused, since the client authenticates with client assertions).

use serde_json::Value;

use crate::apply_kit::{self, App};
use crate::support::{Run, Tenant};

const SINKS: &str = "    deliver:\n      - dotenv: out/ledger.env\n      - command: [sh, -c, 'cat > out/payload.json']\n      - kubernetes_secret: { namespace: payments, name: ledger-auth0, file: out/ledger.yaml }\n";

/// `ledger` signing with the `keygen` entry, delivering to the three sinks.
fn config(entry: &Run) -> String {
    let mut auth = "    authentication:\n      method: private_key_jwt\n      keys:\n".to_string();
    for line in entry.stdout.lines().filter(|l| !l.starts_with('#')) {
        auth.push_str(&format!("        {line}\n"));
    }
    apply_kit::config("keys", &[App::new("ledger", "Ledger")]).replace(
        "    key: ledger\n",
        &format!("    key: ledger\n{auth}{SINKS}"),
    )
}

fn read(t: &Tenant, path: &str) -> String {
    std::fs::read_to_string(t.dir().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The three sinks hold the client id, the method and the kid, and no secret.
fn assert_delivered(t: &Tenant, id: &str, kid: &str, secret: &str) {
    let env = read(t, "out/ledger.env");
    let payload = read(t, "out/payload.json");
    let manifest = read(t, "out/ledger.yaml");
    for (sink, text) in [
        ("dotenv", &env),
        ("command", &payload),
        ("kubernetes", &manifest),
    ] {
        assert!(
            !text.contains(secret),
            "{sink} holds the unused secret:\n{text}"
        );
        assert!(
            !text.contains("CLIENT_SECRET") && !text.contains("client_secret"),
            "{sink}:\n{text}"
        );
        assert!(text.contains(id) && text.contains(kid), "{sink}:\n{text}");
    }
    assert!(
        env.contains(&format!("M2M_LEDGER_CLIENT_ID={id}\n")),
        "{env}"
    );
    assert!(
        env.contains("M2M_LEDGER_AUTH_METHOD=private_key_jwt\n"),
        "{env}"
    );
    assert!(env.contains(&format!("M2M_LEDGER_KEY_ID={kid}\n")), "{env}");
    let json: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(json["auth_method"], "private_key_jwt", "{json}");
    assert_eq!(json["key_id"], kid, "{json}");
    assert_eq!(json["client_id"], id, "{json}");
    assert!(
        manifest.contains("AUTH0_CLIENT_AUTH_METHOD: private_key_jwt"),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!("AUTH0_CLIENT_KEY_ID: {kid}")),
        "{manifest}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_application_gets_its_keys_and_never_its_unused_secret() {
    let t = Tenant::start().await;
    let gen_a = t.m2mctl(&["keygen", "ledger", "--name", "a"]).await;
    assert_eq!(gen_a.code, 0, "{}", gen_a.stderr);
    let kid = gen_a
        .stderr
        .split("thumbprint (kid) ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    apply_kit::write_config(&t, &config(&gen_a));
    // apply creates the application and delivers it: no secret to any sink.
    let applied = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    apply_kit::assert_no_secret(&t, &applied).await;
    let clients = apply_kit::clients(&t).await;
    let ledger = clients
        .iter()
        .find(|c| c["client_metadata"]["m2mctl"] == "keys:ledger")
        .unwrap();
    let id = ledger["client_id"].as_str().unwrap().to_string();
    // The tenant still holds a secret for the client: what must never come out.
    let secret = ledger["client_secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(secret.len() >= 16, "no secret to look for: {ledger}");
    assert_delivered(&t, &id, &kid, &secret);

    let json = t
        .m2mctl(&["credentials", "ledger", "--format", "json"])
        .await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    apply_kit::assert_no_secret(&t, &json).await;
    let shown: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        shown,
        serde_json::json!([{
            "app": "ledger",
            "name": "Ledger",
            "client_id": id,
            "authentication": {
                "method": "private_key_jwt",
                "key_id": kid,
                "keys": [{"name": "a", "kid": kid, "alg": "RS256"}]
            }
        }])
    );

    let env = t
        .m2mctl(&["credentials", "ledger", "--format", "env"])
        .await;
    assert_eq!(env.code, 0, "{}", env.stderr);
    apply_kit::assert_no_secret(&t, &env).await;
    assert!(!env.stdout.contains("CLIENT_SECRET"), "{}", env.stdout);
    for line in [
        format!("export M2M_LEDGER_CLIENT_ID='{id}'\n"),
        "export M2M_LEDGER_AUTH_METHOD='private_key_jwt'\n".to_string(),
        format!("export M2M_LEDGER_KEY_ID='{kid}'\n"),
    ] {
        assert!(env.stdout.contains(&line), "{line} in\n{}", env.stdout);
    }

    // Delivered again on request: the same, still without the secret.
    std::fs::remove_dir_all(t.dir().join("out")).unwrap();
    let again = t.m2mctl(&["credentials", "ledger", "--deliver"]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    apply_kit::assert_no_secret(&t, &again).await;
    assert_delivered(&t, &id, &kid, &secret);
    // `rotate` is for secrets: a key application is refused before any request.
    t.reset_stats().await;
    let rotate = t.m2mctl(&["rotate", "ledger"]).await;
    assert_eq!(rotate.code, 1, "{}", rotate.stderr);
    assert!(
        rotate
            .stderr
            .contains("`ledger` does not authenticate with a client secret"),
        "{}",
        rotate.stderr
    );
    assert_eq!(
        t.count("POST /api/v2/clients/{id}/rotate-secret 200").await,
        0
    );
    t.shutdown().await;
}
