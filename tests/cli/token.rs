//! `m2mctl token` and `m2mctl credentials` against a spawned emulator over HTTPS: a token per
//! (application, API) with the declared scopes, the cache (0 token requests on a second run, mode
//! 0600, corrupt file survived), `--verify` before and after drift, `eval` of `--format env` in
//! bash, error cases, and no token or secret in any log or error output.

#[path = "token_apply.rs"]
mod apply;
#[path = "token_drift.rs"]
mod drift;
#[path = "token_errors.rs"]
mod errors;
#[path = "token_seed.rs"]
mod seed;
#[path = "token_tty.rs"]
mod tty;

use serde_json::Value;

use seed::{Seeded, Seeder};

use crate::support::{self, Run};

/// A seeded TLS emulator with the test config in its working directory.
struct Fixture {
    tenant: support::Tenant,
    seeder: Seeder,
    seeded: Seeded,
}

impl Fixture {
    async fn new() -> Fixture {
        let options = support::Options {
            tls: true,
            ..support::Options::default()
        };
        let tenant = support::Tenant::with(options).await;
        let seeder = Seeder::new(&tenant).await;
        let seeded = seed::seed(&seeder).await;
        let fixture = Fixture {
            tenant,
            seeder,
            seeded,
        };
        fixture.write_config(false);
        fixture
    }

    fn write_config(&self, unapplied: bool) {
        let path = self.tenant.dir().join("m2mctl.yaml");
        std::fs::write(path, seed::config_yaml(unapplied)).unwrap();
    }

    /// Where the harness points `M2MCTL_CACHE_DIR`.
    fn cache_dir(&self) -> std::path::PathBuf {
        self.tenant.dir().join(".cache")
    }

    /// Runs the binary in the config's directory, authenticated as the bootstrap client.
    async fn run(&self, args: &[&str]) -> Run {
        self.tenant.m2mctl(args).await
    }

    /// Runs the binary authenticated as another client.
    async fn run_as(&self, client_id: &str, secret: &str, args: &[&str]) -> Run {
        let creds = [
            ("AUTH0_CLIENT_ID", client_id),
            ("AUTH0_CLIENT_SECRET", secret),
        ];
        self.run_with(&creds, args).await
    }

    /// Runs the binary against the tenant with these AUTH0_* variables only.
    async fn run_with(&self, auth: &[(&str, &str)], args: &[&str]) -> Run {
        let ca = self.tenant.ca_cert_path().expect("tls");
        let mut envs = vec![
            ("AUTH0_DOMAIN".to_string(), self.tenant.auth0_domain()),
            ("M2MCTL_CA_CERT".to_string(), ca.display().to_string()),
        ];
        envs.extend(auth.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        support::run_binary(self.tenant.dir(), args, &envs).await
    }

    /// `token --format json ARGS`, asserting success; the parsed array.
    async fn tokens(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["token", "--format", "json"];
        all.extend_from_slice(args);
        let run = self.run(&all).await;
        assert_eq!(run.code, 0, "{}", text(&run));
        serde_json::from_str::<Vec<Value>>(&run.stdout).unwrap()
    }

    /// `POST /oauth/token` responses so far, any status.
    async fn token_requests(&self) -> u64 {
        let stats = self.tenant.stats().await;
        stats["by_route"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(route, _)| route.starts_with("POST /oauth/token"))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum()
    }
}

fn text(run: &Run) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

fn summary(tokens: &[Value]) -> Vec<String> {
    tokens
        .iter()
        .map(|t| {
            let scopes: Vec<&str> = t["scopes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            format!(
                "{} {} [{}] {}",
                t["app"],
                t["api"],
                scopes.join(" "),
                t["source"]
            )
        })
        .collect()
}

fn claims(token: &str) -> Value {
    use base64::Engine;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT");
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_per_pair_with_declared_scopes_then_served_from_the_cache() {
    let f = Fixture::new().await;
    f.tenant.reset_stats().await;
    let first = f.tokens(&[]).await;
    // One secret read per application (2), one read of each collection, one token per pair (4)
    // plus m2mctl's own management token.
    let secret_reads = f.tenant.count("GET /api/v2/clients/{id} 200").await;
    assert_eq!(secret_reads, 2);
    assert_eq!(f.tenant.count("GET /api/v2/client-grants 200").await, 1);
    assert_eq!(f.token_requests().await, 5);
    assert_eq!(
        summary(&first),
        [
            r#""billing" "https://orders.example.com/" [read:orders write:orders] "new""#,
            r#""billing" "management" [read:clients] "new""#,
            r#""reporter" "https://reports.example.com/" [read:reports] "new""#,
            r#""reporter" "https://orders.example.com/" [read:orders] "new""#,
        ]
    );
    for t in &first {
        let c = claims(t["access_token"].as_str().unwrap());
        assert_eq!(c["azp"], t["client_id"]);
        assert_eq!(c["aud"], t["audience"]);
    }
    assert_eq!(first[0]["client_id"], f.seeded.billing.client_id.as_str());
    assert_eq!(first[1]["audience"], f.seeder.management().as_str());

    // m2mctl's own management token is cached too: a warm run makes no token request at all,
    // with client credentials or with AUTH0_ACCESS_TOKEN.
    let before = f.token_requests().await;
    let second = f.tokens(&[]).await;
    assert_eq!(
        f.token_requests().await,
        before,
        "warm run requested tokens"
    );
    let bearer = f.tenant.management_token().await;
    let before = f.token_requests().await;
    let run = f
        .run_with(
            &[("AUTH0_ACCESS_TOKEN", bearer.as_str())],
            &["token", "--format", "json"],
        )
        .await;
    assert_eq!(run.code, 0, "{}", text(&run));
    assert_eq!(
        f.token_requests().await,
        before,
        "cached run requested tokens"
    );
    let third: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert!(second.iter().chain(&third).all(|t| t["source"] == "cache"));
    for ((a, b), c) in first.iter().zip(&second).zip(&third) {
        assert_eq!(a["access_token"], b["access_token"]);
        assert_eq!(a["access_token"], c["access_token"]);
    }
    let before = f.token_requests().await;

    // Selection by name and API; `--no-cache` asks again.
    let one = f
        .tokens(&["Billing Worker", "--api", "management", "--no-cache"])
        .await;
    assert_eq!(
        summary(&one),
        [r#""billing" "management" [read:clients] "new""#]
    );
    assert_eq!(f.token_requests().await, before + 2);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(f.cache_dir().join("tokens.json")).unwrap();
        let dir = std::fs::metadata(f.cache_dir()).unwrap();
        assert_eq!(dir.permissions().mode() & 0o777, 0o700);
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_cache_is_ignored_and_rewritten() {
    let f = Fixture::new().await;
    std::fs::create_dir_all(f.cache_dir()).unwrap();
    std::fs::write(f.cache_dir().join("tokens.json"), "{ not json").unwrap();
    let out = f.run(&["token", "--format", "json", "reporter"]).await;
    assert_eq!(out.code, 0, "{}", text(&out));
    assert!(out.stderr.contains("ignoring the token cache"));
    let again = f.tokens(&["reporter"]).await;
    assert!(again.iter().all(|t| t["source"] == "cache"), "{again:?}");
}

/// A cache path that is a FIFO is neither read (that would block forever) nor replaced.
#[tokio::test(flavor = "multi_thread")]
async fn a_cache_that_is_a_fifo_is_ignored_and_left_alone() {
    let f = Fixture::new().await;
    std::fs::create_dir_all(f.cache_dir()).unwrap();
    let fifo = f.cache_dir().join("tokens.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let out = f.run(&["token", "--format", "json", "reporter"]).await;
    assert_eq!(out.code, 0, "{}", text(&out));
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&kind),
        "still a FIFO"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_passes_then_names_the_scope_after_drift() {
    let f = Fixture::new().await;
    let out = f.run(&["token", "--verify", "--format", "json"]).await;
    assert_eq!(out.code, 0, "{}", text(&out));
    assert!(out.stderr.contains("no differences"));

    f.seeder
        .set_grant_scopes(&f.seeded.billing_orders_grant, &["read:orders"])
        .await;
    let out = f.run(&["token", "--verify", "--format", "json"]).await;
    assert_eq!(out.code, 1, "{}", text(&out));
    let stderr = out.stderr.as_str();
    assert!(
        stderr.contains("warning: `billing`: the tenant's grant differs from the config"),
        "{stderr}"
    );
    let row = stderr
        .lines()
        .find(|l| l.contains("scope") && !l.starts_with("warning:"))
        .unwrap_or_else(|| panic!("no scope row: {stderr}"));
    assert!(
        row.starts_with("billing  https://orders.example.com/"),
        "{row}"
    );
    assert!(row.contains("missing write:orders"), "{row}");

    // An API's token lifetime changed behind m2mctl's back is named too.
    let lifetime = serde_json::json!({"token_lifetime": 60, "token_lifetime_for_web": 60});
    f.seeder
        .patch_api("https://reports.example.com/", lifetime)
        .await;
    let out = f.run(&["token", "--verify", "reporter"]).await;
    assert_eq!(out.code, 1, "{}", text(&out));
    let rows: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("reporter"))
        .collect();
    assert_eq!(rows.len(), 1, "{}", out.stderr);
    let cells: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "reporter",
            "https://reports.example.com/",
            "lifetime",
            "7200s",
            "60s"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn env_format_evals_in_bash() {
    let f = Fixture::new().await;
    let out = f.run(&["token", "--format", "env"]).await;
    assert_eq!(out.code, 0, "{}", text(&out));
    let script = format!(
        "eval \"$(cat <<'M2M_EOF'\n{}\nM2M_EOF\n)\"\nprintf '%s\\n' \"$M2M_BILLING_ORDERS_EXAMPLE_COM_TOKEN\" \"$M2M_REPORTER_CLIENT_ID\" \"$M2M_BILLING_MANAGEMENT_TOKEN\"",
        out.stdout
    );
    let bash = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    let stdout = String::from_utf8(bash.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0].split('.').count(), 3, "not a JWT");
    assert_eq!(claims(lines[0])["aud"], "https://orders.example.com/");
    assert_eq!(lines[1], f.seeded.reporter.client_id);
    assert_eq!(claims(lines[2])["aud"], f.seeder.management().as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_print_id_and_secret_per_app() {
    let f = Fixture::new().await;
    let out = f.run(&["credentials", "--format", "json"]).await;
    assert_eq!(out.code, 0, "{}", text(&out));
    let creds: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let got: Vec<(&str, &str, &str)> = creds
        .iter()
        .map(|c| {
            (
                c["app"].as_str().unwrap(),
                c["client_id"].as_str().unwrap(),
                c["client_secret"].as_str().unwrap(),
            )
        })
        .collect();
    let b = &f.seeded.billing;
    let r = &f.seeded.reporter;
    assert_eq!(
        got,
        [
            ("billing", b.client_id.as_str(), b.client_secret.as_str()),
            ("reporter", r.client_id.as_str(), r.client_secret.as_str()),
        ]
    );
    let out = f.run(&["credentials", "reporter", "--format", "env"]).await;
    let stdout = out.stdout;
    assert!(
        stdout.contains(&format!(
            "export M2M_REPORTER_CLIENT_SECRET='{}'",
            r.client_secret
        )),
        "{stdout}"
    );
}

/// Benchmark (ignored by default): 50 applications × 2 APIs. Prints requests and wall time of a
/// cold run, a cached run and a `--no-cache` run.
/// `cargo test --test cli token::bench_many_pairs -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn bench_many_pairs() {
    let f = Fixture::new().await;
    let mut yaml = seed::config_yaml(false);
    for n in 0..50 {
        let key = format!("bench{n:02}");
        let app = f.seeder.app(&key, &key, "client_secret_post").await;
        f.seeder
            .grant(
                &app.client_id,
                "https://orders.example.com/",
                &["read:orders"],
            )
            .await;
        f.seeder
            .grant(
                &app.client_id,
                "https://reports.example.com/",
                &["read:reports"],
            )
            .await;
        yaml.push_str(&format!(
            "  - name: {key}\n    grants:\n      - api: https://orders.example.com/\n        scopes: [read:orders]\n      - api: https://reports.example.com/\n        scopes: [read:reports]\n"
        ));
    }
    std::fs::write(f.tenant.dir().join("m2mctl.yaml"), yaml).unwrap();
    for label in ["cold", "cached", "--no-cache"] {
        f.tenant.reset_stats().await;
        let mut args = vec!["token", "--format", "json"];
        if label == "--no-cache" {
            args.push("--no-cache");
        }
        let started = std::time::Instant::now();
        let run = f.run(&args).await;
        let wall = started.elapsed();
        assert_eq!(run.code, 0, "{}", text(&run));
        let stats = f.tenant.stats().await;
        eprintln!(
            "{label}: {} requests ({} POST /oauth/token, {} secret reads), {} ms",
            stats["total"],
            f.token_requests().await,
            f.tenant.count("GET /api/v2/clients/{id} 200").await,
            wall.as_millis()
        );
    }
}
