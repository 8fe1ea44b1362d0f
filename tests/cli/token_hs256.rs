//! `token --verify` of tokens for HS256 APIs: checked with the API's `signing_secret` as the
//! tenant shows it (the emulator signs HS256 APIs with it), one read per HS256 API and none for
//! RS256 ones; an HS256 API whose secret the tenant does not show fails by name; the secret is
//! never printed, logged or cached.

use serde_json::json;

use crate::apply_kit;
use crate::support::Tenant;

const SECRET: &str = "hs256-signing-secret-0123456789abcdef";
const HS: &str = "https://hs.example.com/";
const HIDDEN: &str = "https://hidden.example.com/";

async fn api(t: &Tenant, identifier: &str, secret: Option<&str>) {
    let mut body = json!({
        "name": identifier, "identifier": identifier, "signing_alg": "HS256",
        "scopes": [{"value": "read:hs", "description": "Read"}]
    });
    if let Some(s) = secret {
        body["signing_secret"] = s.into();
    }
    let (status, text) = apply_kit::call(t, "POST", "/api/v2/resource-servers", Some(body)).await;
    assert_eq!(status, 201, "{text}");
}

fn config() -> String {
    format!(
        "version: 1\nproject: hs\ntenant:\n  domain: ${{AUTH0_DOMAIN}}\napis:\n  - identifier: {HS}\n    external: true\n  - identifier: {HIDDEN}\n    external: true\n  - identifier: {}\n    name: Orders API\n    scopes:\n      - value: read:orders\napplications:\n  - name: Worker\n    key: worker\n    grants:\n      - api: {HS}\n        scopes: [read:hs]\n      - api: {}\n        scopes: [read:orders]\n  - name: Hidden\n    key: hidden\n    grants:\n      - api: {HIDDEN}\n        scopes: [read:hs]\n",
        apply_kit::ORDERS,
        apply_kit::ORDERS
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_tokens_verify_with_the_apis_signing_secret() {
    let t = Tenant::start().await;
    api(&t, HS, Some(SECRET)).await;
    api(&t, HIDDEN, None).await;
    apply_kit::write_config(&t, &config());
    let applied = t.m2mctl(&["apply", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);

    // An HS256 token and an RS256 token of one application: both verified; one API read, for
    // the HS256 API only.
    t.reset_stats().await;
    let run = t
        .m2mctl(&[
            "token",
            "worker",
            "--verify",
            "--no-cache",
            "-vvv",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("verified 2 tokens"), "{}", run.stderr);
    assert_eq!(t.count("GET /api/v2/resource-servers/{id} 200").await, 1);
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(SECRET), "the signing secret was shown");
    }
    let tokens: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let hs = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["audience"] == HS)
        .unwrap();
    let header = jsonwebtoken::decode_header(hs["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
    // Nothing cached holds it either.
    let cached = t.m2mctl(&["token", "worker", "--format", "json"]).await;
    assert_eq!(cached.code, 0, "{}", cached.stderr);
    for entry in walk(t.dir()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "{} holds the signing secret",
            entry.display()
        );
    }

    // An HS256 API whose secret the tenant does not show: failed by name.
    let hidden = t
        .m2mctl(&["token", "hidden", "--verify", "--no-cache"])
        .await;
    assert_eq!(hidden.code, 1, "{}", hidden.stderr);
    assert!(
        hidden.stderr.contains("no `signing_secret`"),
        "{}",
        hidden.stderr
    );
    t.shutdown().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
