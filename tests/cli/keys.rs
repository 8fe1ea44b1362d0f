//! Private-key JWT applications end to end: `keygen` writes a key pair (private key 0600, never
//! over an existing file, never printed) and the entry to paste; `token --verify` signs a client
//! assertion with `private_key_file` and the tenant accepts it; a missing or mismatched private
//! key is a clear error naming the application and the file. No key material in any output.

use serde_json::{Value, json};

use crate::apply_kit::{self, App};
use crate::support::{Run, Tenant};

/// The base64 lines of every PEM block in `pem` (what must never be printed).
fn material(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .map(str::to_string)
        .collect()
}

fn assert_no_material(run: &Run, pem: &str) {
    for line in material(pem) {
        assert!(!run.stdout.contains(&line), "key material on stdout");
        assert!(!run.stderr.contains(&line), "key material on stderr");
    }
}

/// The config with `ledger` authenticating as `auth` (YAML under the application, indented 4).
fn config(auth: &str) -> String {
    apply_kit::config("keys", &[App::new("ledger", "Ledger")])
        .replace("    key: ledger\n", &format!("    key: ledger\n{auth}"))
}

/// `keygen` stdout as the `authentication:` block of an application.
fn authentication(entries: &[&str]) -> String {
    let mut y = "    authentication:\n      method: private_key_jwt\n      keys:\n".to_string();
    for entry in entries {
        for line in entry.lines().filter(|l| !l.starts_with('#')) {
            y.push_str(&format!("        {line}\n"));
        }
    }
    y
}

/// Registers a public key as a credential of `client` and lists it for private-key JWT.
async fn register(t: &Tenant, client: &str, pem: &str) -> String {
    let path = format!("/api/v2/clients/{client}/credentials");
    let body = json!({"credential_type": "public_key", "name": "k", "pem": pem});
    let (status, text) = apply_kit::call(t, "POST", &path, Some(body)).await;
    assert_eq!(status, 201, "{text}");
    let cred: Value = serde_json::from_str(&text).unwrap();
    let id = cred["id"].as_str().unwrap().to_string();
    let methods = json!({"client_authentication_methods": {"private_key_jwt": {"credentials": [{"id": id}]}}});
    let (status, text) = apply_kit::call(
        t,
        "PATCH",
        &format!("/api/v2/clients/{client}"),
        Some(methods),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    cred["kid"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keygen_writes_a_pair_and_token_signs_with_it() {
    let t = Tenant::start().await;
    apply_kit::write_config(&t, &config(""));
    let applied = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let ids = apply_kit::marked(&apply_kit::clients(&t).await, "keys");
    let client = ids[0].1.clone();

    let gen_a = t.m2mctl(&["keygen", "ledger", "--name", "a"]).await;
    assert_eq!(gen_a.code, 0, "{}", gen_a.stderr);
    let private_a = std::fs::read_to_string(t.dir().join("secrets/ledger-a.pem")).unwrap();
    let public_a = std::fs::read_to_string(t.dir().join("keys/ledger-a.pub.pem")).unwrap();
    assert!(private_a.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_no_material(&gen_a, &private_a);
    assert!(
        gen_a
            .stdout
            .contains("  public_key: \"keys/ledger-a.pub.pem\"\n")
            && gen_a
                .stdout
                .contains("  private_key_file: \"secrets/ledger-a.pem\"\n"),
        "{}",
        gen_a.stdout
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(t.dir().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("secrets/ledger-a.pem"), 0o600);
        assert_eq!(mode("secrets"), 0o700);
    }
    assert_eq!(
        std::fs::read_to_string(t.dir().join("secrets/.gitignore")).unwrap(),
        "*\n"
    );
    // Never over an existing key without --force.
    let again = t.m2mctl(&["keygen", "ledger", "--name", "a"]).await;
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(t.dir().join("secrets/ledger-a.pem")).unwrap(),
        private_a
    );

    let kid = register(&t, &client, &public_a).await;
    apply_kit::write_config(&t, &config(&authentication(&[&gen_a.stdout])));
    let token = t
        .m2mctl(&["token", "ledger", "--verify", "--format", "json"])
        .await;
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert!(
        token.stderr.contains("verified 1 token"),
        "{}",
        token.stderr
    );
    let issued: Value = serde_json::from_str(&token.stdout).unwrap();
    assert_eq!(issued[0]["app"], "ledger", "{issued}");
    assert_no_material(&token, &private_a);
    // With every log on, a fresh exchange shows neither the signed assertion nor the token.
    let logged = t
        .m2mctl(&["token", "ledger", "--no-cache", "-vvv", "--format", "json"])
        .await;
    assert_eq!(logged.code, 0, "{}", logged.stderr);
    assert!(logged.stderr.contains("/oauth/token"), "{}", logged.stderr);
    assert!(
        !logged.stderr.contains("eyJ"),
        "a JWT in the logs: {}",
        logged.stderr
    );
    assert_no_material(&logged, &private_a);
    // keygen names the thumbprint the tenant gives the key as its kid.
    assert!(
        gen_a.stderr.contains(&format!("thumbprint (kid) {kid}")),
        "{}",
        gen_a.stderr
    );

    // A second pair whose private half does not match `public_key`: refused before any request.
    let gen_b = t.m2mctl(&["keygen", "ledger", "--name", "b"]).await;
    assert_eq!(gen_b.code, 0, "{}", gen_b.stderr);
    let private_b = std::fs::read_to_string(t.dir().join("secrets/ledger-b.pem")).unwrap();
    let swapped = gen_a
        .stdout
        .replace("secrets/ledger-a.pem", "secrets/ledger-b.pem");
    apply_kit::write_config(&t, &config(&authentication(&[&swapped])));
    let wrong = t.m2mctl(&["token", "ledger", "--no-cache"]).await;
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("cannot use private key")
            && wrong.stderr.contains("secrets/ledger-b.pem")
            && wrong.stderr.contains("not the private half"),
        "{}",
        wrong.stderr
    );
    assert_no_material(&wrong, &private_b);

    // A missing private key file names the application and the file.
    apply_kit::write_config(&t, &config(&authentication(&[&gen_a.stdout])));
    std::fs::remove_file(t.dir().join("secrets/ledger-a.pem")).unwrap();
    let missing = t.m2mctl(&["token", "ledger", "--no-cache"]).await;
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("`ledger`") && missing.stderr.contains("secrets/ledger-a.pem"),
        "{}",
        missing.stderr
    );
    t.shutdown().await;
}

/// A key entry as `keygen` prints it, with or without its `private_key_file` line.
fn entry(keygen_stdout: &str, with_private: bool) -> String {
    keygen_stdout
        .lines()
        .filter(|l| with_private || !l.contains("private_key_file"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_rotated_declaratively_with_a_working_key_at_every_step() {
    let t = Tenant::start().await;
    let gen_a = t.m2mctl(&["keygen", "ledger", "--name", "a"]).await;
    let gen_b = t.m2mctl(&["keygen", "ledger", "--name", "b"]).await;
    assert_eq!(
        (gen_a.code, gen_b.code),
        (0, 0),
        "{}{}",
        gen_a.stderr,
        gen_b.stderr
    );
    let private_a = std::fs::read_to_string(t.dir().join("secrets/ledger-a.pem")).unwrap();
    let kid = |stderr: &str| {
        stderr
            .split("thumbprint (kid) ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap()
            .to_string()
    };
    let kid_a = kid(&gen_a.stderr);
    let write = |entries: &[String]| {
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        apply_kit::write_config(&t, &config(&authentication(&refs)));
    };
    let token_ok = async |who: &str| {
        let run = t
            .m2mctl(&["token", "ledger", "--verify", "--no-cache"])
            .await;
        assert_eq!(run.code, 0, "token with {who}: {}", run.stderr);
        assert_no_material(&run, &private_a);
    };

    // Key A: a new private-key JWT application.
    write(&[entry(&gen_a.stdout, true)]);
    let planned = t.m2mctl(&["plan"]).await;
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    assert!(
        planned
            .stdout
            .contains(&format!("key.ledger -> a ({kid_a})")),
        "{}",
        planned.stdout
    );
    assert!(!planned.stdout.contains("BEGIN"), "{}", planned.stdout);
    let applied = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_no_material(&applied, &private_a);
    token_ok("a").await;
    let again = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(again.code, 0, "in line after apply: {}", again.stdout);

    // Add B: both keys work.
    write(&[entry(&gen_a.stdout, false), entry(&gen_b.stdout, true)]);
    let applied = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    token_ok("b").await;
    write(&[entry(&gen_a.stdout, true), entry(&gen_b.stdout, false)]);
    token_ok("a, with b registered").await;

    // Replacing A by C while B stays would need a third credential for a moment: refused, with
    // the rotation order.
    let gen_c = t.m2mctl(&["keygen", "ledger", "--name", "c"]).await;
    write(&[entry(&gen_b.stdout, false), entry(&gen_c.stdout, true)]);
    let refused = t.m2mctl(&["plan"]).await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("more than 2 keys"),
        "{}",
        refused.stderr
    );

    // Remove A: B works, A is refused by the tenant.
    write(&[entry(&gen_b.stdout, true)]);
    let applied = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    token_ok("b alone").await;
    let creds = apply_kit::clients(&t).await;
    let client = creds
        .iter()
        .find(|c| c["client_metadata"]["m2mctl"] == "keys:ledger")
        .unwrap();
    let listed = client["client_authentication_methods"]["private_key_jwt"]["credentials"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(listed, 1, "{client}");
    write(&[entry(&gen_a.stdout, true)]);
    let old = t.m2mctl(&["token", "ledger", "--no-cache"]).await;
    assert_eq!(old.code, 1, "the removed key still works: {}", old.stdout);
    assert!(old.stderr.contains("invalid_client"), "{}", old.stderr);
    assert_no_material(&old, &private_a);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m2mctl_logs_in_with_a_private_key_instead_of_a_secret() {
    let t = Tenant::start().await;
    // The bootstrap client gets a key: registered and listed, its secret no longer needed.
    let made = t.m2mctl(&["keygen", "own", "--name", "k"]).await;
    assert_eq!(made.code, 0, "{}", made.stderr);
    let public = std::fs::read_to_string(t.dir().join("keys/own-k.pub.pem")).unwrap();
    let private = std::fs::read_to_string(t.dir().join("secrets/own-k.pem")).unwrap();
    register(&t, &t.client_id(), &public).await;
    apply_kit::write_config(&t, &config(""));
    let key_path = t.dir().join("secrets/own-k.pem").display().to_string();
    let with_key = [
        ("AUTH0_CLIENT_SECRET", ""),
        ("AUTH0_CLIENT_SIGNING_KEY_PATH", key_path.as_str()),
        ("AUTH0_CLIENT_SIGNING_ALGORITHM", "RS256"),
        ("M2MCTL_CACHE_DIR", "no-cache-here"),
    ];
    let plan = t.m2mctl_with(&["plan", "--no-cache"], &with_key).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains("application.ledger"),
        "{}",
        plan.stdout
    );
    assert_no_material(&plan, &private);
    // The wrong algorithm for the registered credential is refused by the tenant, quoted.
    let wrong = [
        ("AUTH0_CLIENT_SECRET", ""),
        ("AUTH0_CLIENT_SIGNING_KEY_PATH", key_path.as_str()),
        ("AUTH0_CLIENT_SIGNING_ALGORITHM", "PS256"),
    ];
    let refused = t.m2mctl_with(&["plan", "--no-cache"], &wrong).await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("invalid_client"),
        "{}",
        refused.stderr
    );
    assert_no_material(&refused, &private);
    t.shutdown().await;
}
