//! `token` after a real `apply`: against a TLS emulator, and against the embedded local tenant
//! whose port changes every run.

use serde_json::Value;

use super::{seed, text};
use crate::support::{self, Run};

#[tokio::test(flavor = "multi_thread")]
async fn verify_passes_right_after_apply() {
    let options = support::Options {
        tls: true,
        ..support::Options::default()
    };
    let tenant = support::Tenant::with(options).await;
    std::fs::write(tenant.dir().join("m2mctl.yaml"), seed::config_yaml(false)).unwrap();
    let applied = tenant.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    let run = tenant
        .m2mctl(&["token", "--verify", "--format", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", text(&run));
    let tokens: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(tokens.len(), 4);
    assert!(
        run.stderr.contains("verified 4 tokens: no differences"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_local_tenant_serves_cached_tokens_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m2mctl.yaml"), seed::config_yaml(false)).unwrap();
    let run = |args: &'static [&'static str]| support::run_binary(dir.path(), args, &[]);
    let applied = run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    // The local tenant listens on a new port each run; its tokens stay cached by state file,
    // except the Management API's, whose audience (`https://127.0.0.1:PORT/api/v2/`) moves.
    let first = run(&["token", "--format", "json"]).await;
    let second = run(&["token", "--format", "json"]).await;
    let verified = run(&["token", "--verify", "--format", "json"]).await;
    for r in [&first, &second, &verified] {
        assert_eq!(r.code, 0, "{}", text(r));
    }
    let sources = |r: &Run| -> Vec<String> {
        let tokens: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
        tokens.iter().map(|t| t["source"].to_string()).collect()
    };
    assert_eq!(sources(&first), [r#""new""#; 4]);
    assert_eq!(
        sources(&second),
        [r#""cache""#, r#""new""#, r#""cache""#, r#""cache""#]
    );
    assert_eq!(sources(&verified), [r#""new""#; 4]);
}
