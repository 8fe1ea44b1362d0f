//! Machine-to-Machine access for organizations through the real binary on the embedded local
//! tenant: a config whose grant requires an organization, planned (before/after) and applied,
//! an organization created and associated with `m2mctl api`, `token --organization` (by name
//! and by id) minting a token with `org_id` that `--verify` accepts, and `token` without it
//! refused with Auth0's error and m2mctl's help.

use serde_json::Value;

use crate::support::{Run, run_binary};

const ORDERS: &str = "https://orders.orgs.example/";

fn config(org_settings: &str) -> String {
    format!(
        "version: 1\nproject: orgs\ntenant:\n  domain: local\napis:\n  - identifier: {ORDERS}\n    scopes:\n      - value: read:orders\napplications:\n  - name: worker\n    grants:\n      - api: {ORDERS}\n        scopes: [read:orders]\n{org_settings}"
    )
}

fn text(run: &Run) -> String {
    format!("exit {}\n{}\n{}", run.code, run.stdout, run.stderr)
}

struct Local {
    dir: tempfile::TempDir,
}

impl Local {
    fn new(yaml: &str) -> Local {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("m2mctl.yaml"), yaml).expect("config");
        Local { dir }
    }

    async fn run(&self, args: &[&str]) -> Run {
        run_binary(self.dir.path(), args, &[]).await
    }

    /// `m2mctl api` with m2mctl's own credentials; the parsed JSON answer.
    async fn api(&self, args: &[&str]) -> Value {
        let mut all = vec!["api"];
        all.extend_from_slice(args);
        let run = self.run(&all).await;
        assert_eq!(run.code, 0, "{}", text(&run));
        serde_json::from_str(&run.stdout).unwrap_or(Value::Null)
    }

    /// The worker's grant to the orders API.
    async fn grant_id(&self) -> String {
        let grants = self
            .api(&["GET", &format!("/api/v2/client-grants?audience={ORDERS}")])
            .await;
        let list = grants.as_array().expect("a list");
        let ours: Vec<&Value> = list.iter().filter(|g| g["audience"] == ORDERS).collect();
        assert_eq!(ours.len(), 1, "{grants}");
        ours[0]["id"].as_str().expect("id").to_string()
    }
}

fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_requiring_an_organization_gets_tokens_only_with_one() {
    let t = Local::new(&config(""));
    let acme = t
        .api(&["POST", "/api/v2/organizations", "-d", r#"{"name": "acme"}"#])
        .await;
    let acme_id = acme["id"].as_str().expect("org id").to_string();
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    let grant = t.grant_id().await;

    // The config now requires an organization: the plan shows Auth0's default before it.
    std::fs::write(
        t.dir.path().join("m2mctl.yaml"),
        config("        organization_usage: require\n"),
    )
    .expect("config");
    let plan = t.run(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(plan.code, 2, "{}", text(&plan));
    assert!(
        plan.stdout.contains("organization_usage"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("\"deny\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("\"require\""), "{}", plan.stdout);
    let applied = t.run(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}", text(&applied));
    let stored = t
        .api(&["GET", &format!("/api/v2/client-grants/{grant}")])
        .await;
    assert_eq!(stored["organization_usage"], "require", "{stored}");
    assert!(stored.get("allow_any_organization").is_none(), "{stored}");
    let plan = t.run(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(plan.code, 0, "{}", text(&plan));
    t.api(&[
        "POST",
        &format!("/api/v2/organizations/{acme_id}/client-grants"),
        "-d",
        &format!(r#"{{"grant_id": "{grant}"}}"#),
    ])
    .await;

    // Without an organization: Auth0's refusal, quoted, with the way out.
    let refused = t.run(&["token", "worker", "--format", "json"]).await;
    assert_eq!(refused.code, 1, "{}", text(&refused));
    assert!(
        refused
            .stderr
            .contains("parameter organization is required"),
        "{}",
        text(&refused)
    );
    assert!(
        refused.stderr.contains("--organization ORG"),
        "{}",
        text(&refused)
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);

    for asked in ["acme", acme_id.as_str()] {
        let run = t
            .run(&[
                "token",
                "worker",
                "--organization",
                asked,
                "--verify",
                "--format",
                "json",
            ])
            .await;
        assert_eq!(run.code, 0, "{asked}: {}", text(&run));
        let tokens: Vec<Value> = serde_json::from_str(&run.stdout).expect("json");
        assert_eq!(tokens.len(), 1, "{}", run.stdout);
        assert_eq!(tokens[0]["organization"], asked);
        let token = tokens[0]["access_token"].as_str().expect("token");
        let claims = claims(token);
        assert_eq!(claims["org_id"], acme_id.as_str(), "{claims}");
        assert_eq!(claims["org_name"], "acme", "{claims}");
        assert!(run.stderr.contains("verified 1 token"), "{}", run.stderr);
    }
    // The cache keys on the organization: asked again by name, served from the cache.
    let again = t
        .run(&[
            "token",
            "worker",
            "--organization",
            "acme",
            "--format",
            "json",
        ])
        .await;
    let tokens: Vec<Value> = serde_json::from_str(&again.stdout).expect("json");
    assert_eq!(tokens[0]["source"], "cache", "{}", again.stdout);

    // An organization the grant is not associated with, and one that does not exist.
    let other = t
        .api(&[
            "POST",
            "/api/v2/organizations",
            "-d",
            r#"{"name": "other"}"#,
        ])
        .await;
    assert!(other["id"].is_string(), "{other}");
    for (asked, help) in [
        ("other", "allow_any_organization"),
        ("nope", "check `--organization`"),
    ] {
        let run = t
            .run(&[
                "token",
                "worker",
                "--organization",
                asked,
                "--format",
                "json",
            ])
            .await;
        assert_eq!(run.code, 1, "{asked}: {}", text(&run));
        assert!(run.stderr.contains(help), "{asked}: {}", text(&run));
    }
}
