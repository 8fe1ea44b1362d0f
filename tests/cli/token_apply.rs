//! `token` after a real `apply`: against a TLS emulator, and against the embedded local tenant.

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
    // The local tenant's tokens are cached by its state file. It reuses its port when free; if
    // the port moved, so did the Management API audience, and that one token is new.
    let first = run(&["token", "--format", "json"]).await;
    let second = run(&["token", "--format", "json"]).await;
    let verified = run(&["token", "--verify", "--format", "json"]).await;
    for r in [&first, &second, &verified] {
        assert_eq!(r.code, 0, "{}", text(r));
    }
    let parse = |r: &Run| serde_json::from_str::<Vec<Value>>(&r.stdout).unwrap();
    let sources = |tokens: &[Value]| -> Vec<String> {
        tokens.iter().map(|t| t["source"].to_string()).collect()
    };
    let (first, second) = (parse(&first), parse(&second));
    let management = if first[1]["audience"] == second[1]["audience"] {
        r#""cache""#
    } else {
        r#""new""#
    };
    assert_eq!(sources(&first), [r#""new""#; 4]);
    assert_eq!(
        sources(&second),
        [r#""cache""#, management, r#""cache""#, r#""cache""#]
    );
    assert_eq!(sources(&parse(&verified)), [r#""new""#; 4]);
}
