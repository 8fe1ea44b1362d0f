//! `m2mctl emulator` as a process: TLS with `--cert-out`, the printed address, a token and a client
//! list from it, then SIGTERM and a clean exit.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::run_binary;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_tls_emulator_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let cert = dir.path().join("cert.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_m2mctl"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--tls", "--cert-out"])
        .arg(&cert)
        .args(["--rate-limit", "100", "--burst", "50"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let done = line.starts_with("state:");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .expect("reader");
    let field = |key: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("no `{key}` in {lines:?}"))
    };
    let base = field("base url:");
    let domain = field("domain:");
    assert_eq!(base, format!("https://{domain}"));
    assert!(domain.starts_with("127.0.0.1:") && !domain.ends_with(":0"));
    assert_eq!(field("certificate:"), cert.display().to_string());
    assert_eq!(field("state:"), "in memory");
    let (id, secret) = (field("client id:"), field("client secret:"));

    let pem = std::fs::read(&cert).expect("cert");
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("pem")])
        .build()
        .expect("client");
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .json(&serde_json::json!({
            "grant_type": "client_credentials", "client_id": id, "client_secret": secret,
            "audience": format!("https://{domain}/api/v2/"), "organization": null
        }))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let r = http
        .get(format!(
            "{base}/api/v2/clients?per_page=10&page=0&include_totals=true"
        ))
        .bearer_auth(token["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("clients");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ratelimit-limit"], "50");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["total"], 2);

    // Close our keep-alive connection first: the test is about the emulator's own shutdown.
    drop(http);
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert_eq!(status.code(), Some(0), "graceful exit after SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flags_give_clear_errors() {
    let dir = tempfile::tempdir().expect("dir");
    let run = run_binary(
        dir.path(),
        &["emulator", "--listen", "127.0.0.1:0", "--faults", "404:0.5"],
        &[],
    )
    .await;
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("bad_fault_spec", run.stderr);
    let state = dir.path().join("bad.json");
    std::fs::write(&state, "not json").expect("write");
    let run = run_binary(
        dir.path(),
        &["emulator", "--listen", "127.0.0.1:0", "--state", "bad.json"],
        &[],
    )
    .await;
    assert_eq!(run.code, 1);
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&dir.path().display().to_string()), "[TEMP]");
    settings.bind(|| insta::assert_snapshot!("corrupt_state_file", run.stderr));
    assert_eq!(std::fs::read_to_string(&state).expect("read"), "not json");
}
