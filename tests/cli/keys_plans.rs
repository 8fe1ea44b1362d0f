//! Key changes under the plan's guards: deleted keys count toward `settings.max_deletes` (shown in
//! the plan text, refused by apply), and a saved plan with key changes is refused ("plan again")
//! when the application's credentials changed in the tenant after `plan --out`, while an
//! unchanged tenant applies it.

use serde_json::{Value, json};

use crate::apply_kit::{self, App};
use crate::support::{Run, Tenant};

/// The config with `ledger` signing with the `keygen` entries (public keys only), and `settings`.
fn config(settings: &str, entries: &[&Run]) -> String {
    let mut auth = "    authentication:\n      method: private_key_jwt\n      keys:\n".to_string();
    for run in entries {
        for line in run.stdout.lines().filter(|l| !l.starts_with('#')) {
            if !line.contains("private_key_file") {
                auth.push_str(&format!("        {line}\n"));
            }
        }
    }
    apply_kit::config("keys", &[App::new("ledger", "Ledger")])
        .replace("    key: ledger\n", &format!("    key: ledger\n{auth}"))
        .replace("apis:\n", &format!("{settings}apis:\n"))
}

async fn keygen(t: &Tenant, name: &str) -> Run {
    let run = t.m2mctl(&["keygen", "ledger", "--name", name]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

fn public(t: &Tenant, name: &str) -> String {
    std::fs::read_to_string(t.dir().join(format!("keys/ledger-{name}.pub.pem"))).unwrap()
}

async fn applied(t: &Tenant, args: &[&str]) {
    let run = t.m2mctl(args).await;
    assert_eq!(run.code, 0, "{args:?}: {}\n{}", run.stdout, run.stderr);
}

/// The `ledger` client's id.
async fn ledger(t: &Tenant) -> String {
    apply_kit::marked(&apply_kit::clients(t).await, "keys")[0]
        .1
        .clone()
}

/// `(name, id)` of the client's credentials, sorted by name.
async fn credentials(t: &Tenant, client: &str) -> Vec<(String, String)> {
    let path = format!("/api/v2/clients/{client}/credentials");
    let (status, text) = apply_kit::call(t, "GET", &path, None).await;
    assert_eq!(status, 200, "{text}");
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut out: Vec<(String, String)> = list
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().into(),
                c["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    out.sort();
    out
}

fn names(creds: &[(String, String)]) -> Vec<&str> {
    creds.iter().map(|(n, _)| n.as_str()).collect()
}

fn assert_stale(run: &Run) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("plan again"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_keys_count_toward_max_deletes() {
    let t = Tenant::start().await;
    let (a, b) = (keygen(&t, "a").await, keygen(&t, "b").await);
    apply_kit::write_config(&t, &config("settings: { max_deletes: 0 }\n", &[&a, &b]));
    applied(&t, &["apply", "--auto-approve"]).await;
    let client = ledger(&t).await;

    // Dropping key a deletes one credential: more than `max_deletes: 0`.
    apply_kit::write_config(&t, &config("settings: { max_deletes: 0 }\n", &[&b]));
    let plan = t.m2mctl(&["plan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains(
            "Blocked: this plan deletes 1 objects (1 of them keys: each deleted key counts once), more than `max_deletes` (0)"
        ),
        "{}",
        plan.stdout
    );
    let json = t.m2mctl(&["plan", "--format", "json"]).await;
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["blocked"],
        json!({"deletes": 1, "keys": 1, "max_deletes": 0})
    );
    let refused = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("deletes 1 objects (1 of them keys"),
        "{}",
        refused.stderr
    );
    assert_eq!(names(&credentials(&t, &client).await), ["a", "b"]);
    // A saved plan is blocked the same way.
    let saved = t.m2mctl(&["plan", "--out", "plan.json"]).await;
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let refused = t.m2mctl(&["apply", "plan.json"]).await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert_eq!(names(&credentials(&t, &client).await), ["a", "b"]);

    applied(&t, &["apply", "--auto-approve", "--allow-mass-delete"]).await;
    assert_eq!(names(&credentials(&t, &client).await), ["b"]);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_is_refused_when_the_apps_keys_changed_since() {
    let t = Tenant::start().await;
    let (a, b, c) = (
        keygen(&t, "a").await,
        keygen(&t, "b").await,
        keygen(&t, "c").await,
    );
    apply_kit::write_config(&t, &config("", &[&a]));
    applied(&t, &["apply", "--auto-approve"]).await;
    let client = ledger(&t).await;
    let path = format!("/api/v2/clients/{client}/credentials");

    // Plan: add b. Meanwhile another tool registers c (not listed): the plan would now need a
    // third credential, so it is refused before any write.
    apply_kit::write_config(&t, &config("", &[&a, &b]));
    applied(&t, &["plan", "--out", "plan.json"]).await;
    let body = json!({"credential_type": "public_key", "name": "c", "pem": public(&t, "c")});
    let (status, text) = apply_kit::call(&t, "POST", &path, Some(body)).await;
    assert_eq!(status, 201, "{text}");
    let c_id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_stale(&t.m2mctl(&["apply", "plan.json"]).await);
    assert_eq!(names(&credentials(&t, &client).await), ["a", "c"]);

    // c removed again: the credentials are exactly as planned, and the plan applies.
    let (status, text) = apply_kit::call(&t, "DELETE", &format!("{path}/{c_id}"), None).await;
    assert_eq!(status, 204, "{text}");
    applied(&t, &["apply", "plan.json"]).await;
    assert_eq!(names(&credentials(&t, &client).await), ["a", "b"]);

    // Plan: drop a. Meanwhile b's expiry is changed in the tenant: refused, nothing deleted.
    apply_kit::write_config(&t, &config("", &[&b]));
    applied(&t, &["plan", "--out", "plan.json"]).await;
    let b_id = credentials(&t, &client).await[1].1.clone();
    let body = json!({"expires_at": "2099-01-01T00:00:00.000Z"});
    let (status, text) = apply_kit::call(&t, "PATCH", &format!("{path}/{b_id}"), Some(body)).await;
    assert_eq!(status, 200, "{text}");
    assert_stale(&t.m2mctl(&["apply", "plan.json"]).await);
    assert_eq!(names(&credentials(&t, &client).await), ["a", "b"]);
    let _ = c;
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_key_application_is_created_with_its_keys_in_one_request() {
    let t = Tenant::start().await;
    let (a, b) = (keygen(&t, "a").await, keygen(&t, "b").await);
    apply_kit::write_config(&t, &config("", &[&a, &b]));
    t.reset_stats().await;
    applied(&t, &["apply", "--auto-approve"]).await;
    // One POST /clients carries both keys: no credential creates, no list read, no PATCH.
    let writes = apply_kit::plan_writes(&t).await;
    assert_eq!(
        writes,
        [
            ("POST /api/v2/client-grants 201".to_string(), 1),
            ("POST /api/v2/clients 201".to_string(), 1),
            ("POST /api/v2/resource-servers 201".to_string(), 1),
        ],
        "{writes:?}"
    );
    assert_eq!(t.count("GET /api/v2/clients/{id}/credentials 200").await, 0);
    let client = ledger(&t).await;
    assert_eq!(names(&credentials(&t, &client).await), ["a", "b"]);
    let raw = apply_kit::raw_client(&t, &client).await;
    assert!(
        !raw.contains("BEGIN PUBLIC KEY"),
        "the PEM is shown on read: {raw}"
    );
    // Both keys are listed for signing, the plan is in line, and the key signs tokens.
    let again = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let with_private = |run: &Run| {
        run.stdout
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("        {l}\n"))
            .collect::<String>()
    };
    let auth = format!(
        "    authentication:\n      method: private_key_jwt\n      keys:\n{}",
        with_private(&b)
    );
    let text = apply_kit::config("keys", &[App::new("ledger", "Ledger")])
        .replace("    key: ledger\n", &format!("    key: ledger\n{auth}"));
    apply_kit::write_config(&t, &text);
    let token = t
        .m2mctl(&["token", "ledger", "--verify", "--no-cache"])
        .await;
    assert_eq!(token.code, 0, "{}", token.stderr);
    t.shutdown().await;
}
