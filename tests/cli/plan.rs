//! `m2mctl plan` against the emulator: the three formats of the quickstart, exit codes, saved
//! plans, colour, config and tenant errors, secrets in logs, and the embedded local tenant.

use m2mctl::plan::SavedPlan;
use serde_json::Value;

use crate::support::{Options, Tenant, run_binary};

/// The quickstart pointed at the test emulator instead of the local tenant.
fn quickstart_on_emulator() -> String {
    let text = include_str!("../../examples/quickstart.yaml");
    assert!(text.contains("  domain: local"), "quickstart changed");
    text.replacen("  domain: local", "  domain: ${AUTH0_DOMAIN}", 1)
}

/// A valid config that asks for nothing: its plan is empty on any tenant.
const EMPTY: &str = "version: 1\nproject: empty\ntenant:\n  domain: ${AUTH0_DOMAIN}\n";

async fn tenant_with(config: &str) -> Tenant {
    let t = Tenant::start().await;
    std::fs::write(t.dir().join("m2mctl.yaml"), config).expect("write config");
    t
}

/// Insta settings plus a filter for the emulator's random resource-server ids.
fn settings(t: &Tenant) -> insta::Settings {
    let mut s = t.settings();
    s.add_filter(r"\b[0-9a-f]{24}\b", "[ID]");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_plan_in_three_formats() {
    let t = tenant_with(&quickstart_on_emulator()).await;
    let text = t.m2mctl(&["plan"]).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    let markdown = t.m2mctl(&["plan", "--format", "markdown"]).await;
    assert_eq!(markdown.code, 0, "{}", markdown.stderr);
    let json = t.m2mctl(&["plan", "--format", "json"]).await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert!(
        text.stdout
            .contains("Plan: 9 to create, 0 to update, 0 to delete.")
    );
    let doc: Value = serde_json::from_str(&json.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["summary"]["create"], 9, "2 APIs, 3 apps, 4 grants");
    settings(&t).bind(|| {
        insta::assert_snapshot!("plan_quickstart_text", text.stdout);
        insta::assert_snapshot!("plan_quickstart_markdown", markdown.stdout);
        insta::assert_snapshot!("plan_quickstart_json", json.stdout);
    });
    // Reading the tenant costs three list calls whatever the format; m2mctl's own token is
    // requested once, then reused from the cache.
    assert_eq!(t.count("POST /oauth/token 200").await, 1);
    assert_eq!(t.stats().await["total"], 1 + 3 * 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detailed_exitcode_is_2_with_changes_and_0_without() {
    let t = tenant_with(&quickstart_on_emulator()).await;
    let changes = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(changes.code, 2, "{}", changes.stderr);
    std::fs::write(t.dir().join("m2mctl.yaml"), EMPTY).expect("write");
    let none = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(none.stdout.contains("No changes."), "{}", none.stdout);
    let plain = t.m2mctl(&["plan"]).await;
    assert_eq!(plain.code, 0, "{}", plain.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_has_no_secret_and_round_trips() {
    let t = tenant_with(&quickstart_on_emulator()).await;
    let run = t
        .m2mctl(&["plan", "--out", "plan.json", "--format", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("m2mctl apply plan.json"),
        "says how to apply it: {}",
        run.stderr
    );
    let text = std::fs::read_to_string(t.dir().join("plan.json")).expect("plan written");
    assert!(
        !text.contains(&t.client_secret()),
        "bootstrap secret in plan"
    );
    assert!(!text.contains("client_secret\""), "a secret field in plan");
    assert!(!text.contains("eyJ"), "something like a JWT in the plan");
    let saved = SavedPlan::from_json(&text).expect("saved plan parses");
    assert_eq!(
        SavedPlan::from_json(&saved.to_json()).expect("again"),
        saved
    );
    assert_eq!(saved.desired.project, "quickstart");
    assert_eq!(saved.desired.applications.len(), 3);
    let printed: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(printed["fingerprint"], saved.fingerprint.as_str());
    assert_eq!(
        printed["changes"],
        serde_json::to_value(&saved.plan.changes).expect("changes")
    );
    let leftovers: Vec<_> = std::fs::read_dir(t.dir())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_color_wins_over_color_always() {
    let t = tenant_with(&quickstart_on_emulator()).await;
    let plain = t.m2mctl(&["plan", "--color", "always"]).await;
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(!plain.stdout.contains('\x1b'), "colour despite NO_COLOR");
    let coloured = t
        .m2mctl_with(&["plan", "--color", "always"], &[("NO_COLOR", "")])
        .await;
    assert_eq!(coloured.code, 0, "{}", coloured.stderr);
    assert!(
        coloured.stdout.contains("\x1b["),
        "no colour with --color always"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_error_exits_1_before_any_request() {
    let bad = quickstart_on_emulator()
        .replace("scopes: [read:orders]", "scopes: [read:order]")
        .replace("max_deletes: 5", "max_deletes: many");
    let t = tenant_with(&bad).await;
    let run = t.m2mctl(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no plan on stdout: {}", run.stdout);
    assert!(run.stderr.contains("m2mctl.yaml"), "{}", run.stderr);
    assert_eq!(t.stats().await["total"], 0, "the tenant was contacted");
    let missing = t.m2mctl(&["plan", "-f", "nope.yaml"]).await;
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("nope.yaml"), "{}", missing.stderr);
    assert_eq!(t.stats().await["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_config_problem_is_shown() {
    let bad = quickstart_on_emulator()
        .replace("scopes: [read:orders]", "scopes: [read:order]")
        .replace("name: order-sync", "name: billing-worker");
    let t = tenant_with(&bad).await;
    let run = t.m2mctl(&["plan"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("2 problems"), "{}", run.stderr);
    assert!(run.stderr.contains("read:order"), "{}", run.stderr);
    assert!(run.stderr.contains("billing-worker"), "{}", run.stderr);
    assert_eq!(t.stats().await["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_error_shows_auth0_message_and_no_secret() {
    let t = tenant_with(EMPTY).await;
    let wrong = "wrong-secret-0123456789";
    let run = t
        .m2mctl_with(&["plan"], &[("AUTH0_CLIENT_SECRET", wrong)])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("/oauth/token") || run.stderr.contains("token request"));
    assert!(
        !run.stderr.contains(wrong),
        "the secret leaked: {}",
        run.stderr
    );
    assert_eq!(t.count("POST /oauth/token 401").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_never_show_the_secret_or_the_token() {
    let t = tenant_with(&quickstart_on_emulator()).await;
    let run = t.m2mctl(&["plan", "-vv"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("/api/v2/clients"), "-vv logs requests");
    assert!(!run.stderr.contains(&t.client_secret()), "{}", run.stderr);
    let token = t.management_token().await;
    let run = t
        .m2mctl_with(&["plan", "-vv"], &[("AUTH0_ACCESS_TOKEN", &token)])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("/api/v2/clients"), "-vv logs requests");
    assert!(!run.stderr.contains(&token), "{}", run.stderr);
    let signature = token.rsplit('.').next().expect("jwt");
    assert!(!run.stderr.contains(signature), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_tenant_state_lives_beside_the_config() {
    let dir = tempfile::tempdir().expect("dir");
    let infra = dir.path().join("infra");
    std::fs::create_dir(&infra).expect("mkdir");
    let config = include_str!("../../examples/quickstart.yaml");
    std::fs::write(infra.join("m2mctl.yaml"), config).expect("write");
    let args = ["plan", "-f", "infra/m2mctl.yaml", "--detailed-exitcode"];
    let run = run_binary(dir.path(), &args, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.contains("Plan: 9 to create"), "{}", run.stdout);
    let state = infra.join(".m2mctl/local-tenant.json");
    assert!(state.is_file(), "no {}", state.display());
    let ignore = std::fs::read_to_string(infra.join(".m2mctl/.gitignore")).expect("gitignore");
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    assert!(
        run.stderr.to_lowercase().contains("local tenant"),
        "{}",
        run.stderr
    );
    let notes: Vec<&str> = run.stderr.lines().filter(|l| l.contains("local")).collect();
    assert_eq!(
        notes.len(),
        1,
        "one line about the local tenant: {}",
        run.stderr
    );
    // A second plan reuses the same tenant (same state file, same plan); `-q` hides the line.
    // The port is reused when free, but a parallel test may have taken it meanwhile, so
    // compare with ports masked.
    let quiet = [&args[..], &["-q"]].concat();
    let again = run_binary(dir.path(), &quiet, &[]).await;
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert_eq!(mask_ports(&again.stdout), mask_ports(&run.stdout));
    assert!(
        !again.stderr.to_lowercase().contains("local tenant"),
        "-q: {}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_over_tls_trusts_the_given_ca_only() {
    let t = Tenant::with(Options {
        tls: true,
        ..Options::default()
    })
    .await;
    std::fs::write(t.dir().join("m2mctl.yaml"), quickstart_on_emulator()).expect("config");
    let ca = t.ca_cert_path().expect("ca").display().to_string();
    let run = t
        .m2mctl(&["plan", "--ca-cert", &ca, "--detailed-exitcode"])
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.contains("Plan: 9 to create"), "{}", run.stdout);
    // Without the certificate the TLS handshake fails: an error, not a plan.
    let envs = [
        ("AUTH0_DOMAIN".to_string(), t.auth0_domain()),
        ("AUTH0_CLIENT_ID".to_string(), t.client_id()),
        ("AUTH0_CLIENT_SECRET".to_string(), t.client_secret()),
    ];
    let untrusted = run_binary(t.dir(), &["plan"], &envs).await;
    assert_eq!(untrusted.code, 1, "{}", untrusted.stderr);
    assert!(untrusted.stdout.is_empty());
    // One clear error with what to do, not rustls' own log line as well.
    let stderr = &untrusted.stderr;
    assert!(stderr.contains("TLS handshake"), "{stderr}");
    assert!(stderr.contains("--ca-cert FILE"), "{stderr}");
    assert!(stderr.contains("M2MCTL_CA_CERT"), "{stderr}");
    assert!(stderr.contains("--cert-out"), "{stderr}");
    assert!(
        !stderr.contains("failed to verify"),
        "rustls logged: {stderr}"
    );
    // Not retried: a refused certificate is refused every time.
    let logged = run_binary(t.dir(), &["plan", "-vv"], &envs).await;
    assert_eq!(logged.code, 1, "{}", logged.stderr);
    let attempts = logged.stderr.matches("request failed").count();
    assert_eq!(attempts, 1, "{}", logged.stderr);
    assert_eq!(
        t.stats().await["total"],
        4,
        "only the trusted run was served"
    );
}

/// `127.0.0.1:PORT` with the port replaced, for comparing runs of the local tenant.
fn mask_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(head);
        out.push_str("[PORT]");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}
