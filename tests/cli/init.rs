//! `m2mctl init` (the starter file) and `init --create-deployer` against the emulator: the
//! deployer is created once, found again by its marker, and plan/apply/token work with exactly
//! the scopes it was granted (the emulator checks scopes per endpoint, as Auth0 does).

use serde_json::Value;

use crate::support::{Run, Tenant, run_binary};

const QUICKSTART: &str = include_str!("../../examples/quickstart.yaml");

fn quickstart_on_emulator() -> String {
    QUICKSTART.replacen("  domain: local", "  domain: ${AUTH0_DOMAIN}", 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_a_valid_starter_and_refuses_to_overwrite() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("payments platform");
    std::fs::create_dir(&dir).unwrap();
    let run = run_binary(&dir, &["init"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(dir.join("m2mctl.yaml")).unwrap();
    assert!(
        written.starts_with("# yaml-language-server: $schema=m2mctl.schema.json\n"),
        "{written}"
    );
    assert!(
        written.contains("\nproject: payments-platform "),
        "{written}"
    );
    assert!(dir.join("m2mctl.schema.json").is_file());
    let validate = run_binary(&dir, &["validate"], &[]).await;
    assert_eq!(validate.code, 0, "{}", validate.stderr);

    // A second init changes nothing without --force.
    std::fs::write(dir.join("m2mctl.yaml"), "# mine\n").unwrap();
    let again = run_binary(&dir, &["init"], &[]).await;
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("m2mctl.yaml")).unwrap(),
        "# mine\n"
    );
    let forced = run_binary(&dir, &["init", "--force"], &[]).await;
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("m2mctl.yaml")).unwrap(),
        written
    );

    // The commented example is valid once uncommented.
    let (head, example) = written
        .split_once("# Uncomment")
        .expect("an example section");
    let example: Vec<&str> = example
        .lines()
        .skip(1)
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect();
    let uncommented = format!("{head}\n{}\n", example.join("\n"));
    assert!(
        uncommented.contains("\napplications:\n  - name: order-sync"),
        "{uncommented}"
    );
    std::fs::write(dir.join("m2mctl.yaml"), &uncommented).unwrap();
    let validate = run_binary(&dir, &["validate"], &[]).await;
    assert_eq!(validate.code, 0, "{}\n{uncommented}", validate.stderr);
}

async fn create_deployer(t: &Tenant, bootstrap: &str, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["init", "--create-deployer", "--format", "json"];
    args.extend(extra);
    let run = t
        .m2mctl_with(&args, &[("AUTH0_ACCESS_TOKEN", bootstrap)])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    (run, doc)
}

/// Runs `args` as the deployer (its id and secret; no bootstrap credentials).
async fn as_deployer(t: &Tenant, creds: &Value, args: &[&str]) -> Run {
    let envs = vec![
        ("AUTH0_DOMAIN".to_string(), t.auth0_domain()),
        (
            "AUTH0_CLIENT_ID".to_string(),
            creds["client_id"].as_str().unwrap().to_string(),
        ),
        (
            "AUTH0_CLIENT_SECRET".to_string(),
            creds["client_secret"].as_str().unwrap().to_string(),
        ),
    ];
    run_binary(t.dir(), args, &envs).await
}

async fn clients(t: &Tenant, token: &str) -> Vec<Value> {
    let body: Value = t
        .http()
        .get(format!("{}/api/v2/clients?per_page=100", t.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_deployer_is_idempotent_and_its_scopes_suffice() {
    let t = Tenant::start().await;
    let bootstrap = t.management_token().await;
    let before = clients(&t, &bootstrap).await.len();

    let (first, creds) = create_deployer(&t, &bootstrap, &[]).await;
    assert!(
        first.stderr.contains("created `m2mctl deployer`"),
        "{}",
        first.stderr
    );
    assert_eq!(creds["domain"], t.auth0_domain());
    let id = creds["client_id"].as_str().unwrap();
    assert!(!creds["client_secret"].as_str().unwrap().is_empty());
    assert!(
        !first
            .stderr
            .contains(creds["client_secret"].as_str().unwrap())
    );

    let (second, again) = create_deployer(&t, &bootstrap, &[]).await;
    assert!(
        second.stderr.contains("nothing changed"),
        "{}",
        second.stderr
    );
    assert_eq!(again, creds, "the same application and secret");
    let after = clients(&t, &bootstrap).await;
    assert_eq!(after.len(), before + 1, "one deployer");
    let deployer = after.iter().find(|c| c["client_id"] == id).unwrap();
    assert_eq!(
        deployer["client_metadata"]["m2mctl"],
        "m2mctl:m2mctl deployer"
    );

    // plan and apply work with exactly the deployer's scopes.
    std::fs::write(t.dir().join("m2mctl.yaml"), quickstart_on_emulator()).unwrap();
    let plan = as_deployer(&t, &creds, &["plan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let apply = as_deployer(&t, &creds, &["apply", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let clean = as_deployer(&t, &creds, &["plan", "--detailed-exitcode"]).await;
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    // Tokens need read:client_keys: missing without --with-tokens, added by a re-run with it.
    let token = as_deployer(&t, &creds, &["token", "billing", "--format", "json"]).await;
    assert_eq!(token.code, 1, "{}", token.stdout);
    assert!(
        token.stderr.contains("read:client_keys"),
        "{}",
        token.stderr
    );
    let (fixed, same) = create_deployer(&t, &bootstrap, &["--with-tokens"]).await;
    assert!(
        fixed
            .stderr
            .contains("added [read:client_keys], removed []"),
        "{}",
        fixed.stderr
    );
    assert_eq!(same["client_id"], creds["client_id"]);
    let token = as_deployer(&t, &creds, &["token", "billing", "--format", "json"]).await;
    assert_eq!(token.code, 0, "{}", token.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_deployer_plans_but_cannot_apply() {
    let t = Tenant::start().await;
    let bootstrap = t.management_token().await;
    let (_, creds) = create_deployer(&t, &bootstrap, &["--read-only", "--name", "ci plan"]).await;
    std::fs::write(t.dir().join("m2mctl.yaml"), quickstart_on_emulator()).unwrap();
    let plan = as_deployer(&t, &creds, &["plan"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let apply = as_deployer(&t, &creds, &["apply", "--auto-approve"]).await;
    assert_eq!(apply.code, 1, "{}", apply.stdout);
    assert!(apply.stderr.contains("create:"), "{}", apply.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_deployer_without_a_token_or_domain_says_what_to_set() {
    let t = Tenant::start().await;
    let envs = vec![("AUTH0_DOMAIN".to_string(), t.auth0_domain())];
    let run = run_binary(t.dir(), &["init", "--create-deployer"], &envs).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("AUTH0_ACCESS_TOKEN"), "{}", run.stderr);
    let run = run_binary(t.dir(), &["init", "--create-deployer"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("AUTH0_DOMAIN"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}
