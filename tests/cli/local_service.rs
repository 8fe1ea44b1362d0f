//! The local tenant served to other programs: with `m2mctl emulator --state` (here the same
//! emulator in-process) serving `.m2mctl/local-tenant.json`, a `domain: local` config talks to
//! that process instead of starting its own, `credentials`/`token --format env` carry the domain,
//! issuer, token URL and audiences a service needs, and the discovery document makes the tokens
//! verifiable (its issuer is the tokens' `iss`, its `jwks_uri` holds their key).

use serde_json::Value;

use crate::support::{Options, Tenant, run_binary};

const CONFIG: &str = "version: 1
project: svc
tenant:
  domain: local
apis:
  - identifier: https://things.example.com/
    scopes:
      - value: read:things
applications:
  - name: worker
    grants:
      - api: https://things.example.com/
        scopes: [read:things]
";

/// `export NAME='value'` lines as (name, value).
fn exports(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

fn get<'a>(vars: &'a [(String, String)], name: &str) -> &'a str {
    vars.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {vars:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_local_tenant_is_used_and_its_env_starts_a_service() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".m2mctl")).unwrap();
    let t = Tenant::with(Options {
        state: Some(dir.path().join(".m2mctl/local-tenant.json")),
        ..Options::default()
    })
    .await;
    std::fs::write(dir.path().join("m2mctl.yaml"), CONFIG).unwrap();
    t.reset_stats().await;
    let apply = run_binary(dir.path(), &["apply", "--auto-approve"], &[]).await;
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(
        apply.stderr.contains(&format!(
            "using the local tenant served at {}",
            t.base_url()
        )),
        "{}",
        apply.stderr
    );
    assert!(
        t.count("POST /api/v2/clients 201").await >= 1,
        "the served process got the writes"
    );

    let creds = run_binary(
        dir.path(),
        &["credentials", "worker", "--format", "env"],
        &[],
    )
    .await;
    assert_eq!(creds.code, 0, "{}", creds.stderr);
    let vars = exports(&creds.stdout);
    assert_eq!(get(&vars, "AUTH0_DOMAIN"), t.domain());
    // The served scheme (plain HTTP here), so a verifier given this address as issuer finds it.
    assert_eq!(get(&vars, "AUTH0_ISSUER"), format!("{}/", t.base_url()));
    let token_url = get(&vars, "AUTH0_TOKEN_URL");
    assert_eq!(token_url, format!("{}/oauth/token", t.base_url()));
    let audience = get(&vars, "M2M_WORKER_THINGS_EXAMPLE_COM_AUDIENCE");
    assert_eq!(audience, "https://things.example.com/");

    // A "service": only the printed variables, no m2mctl.
    let token: Value = t
        .http()
        .post(token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", get(&vars, "M2M_WORKER_CLIENT_ID")),
            ("client_secret", get(&vars, "M2M_WORKER_CLIENT_SECRET")),
            ("audience", audience),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().expect("a token");

    // A verifier: discovery, then the key it names.
    let discovery: Value = t
        .http()
        .get(format!("{}/.well-known/openid-configuration", t.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], get(&vars, "AUTH0_ISSUER"));
    let jwks: jsonwebtoken::jwk::JwkSet = t
        .http()
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(access_token).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("the key");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[discovery["issuer"].as_str().unwrap()]);
    let claims = jsonwebtoken::decode::<Value>(access_token, &key, &validation)
        .expect("verified through discovery")
        .claims;
    assert_eq!(claims["azp"], get(&vars, "M2M_WORKER_CLIENT_ID"));
    assert_eq!(claims["scope"], "read:things");

    // `token --format env` carries the same tenant lines and the audience.
    let tokens = run_binary(dir.path(), &["token", "worker", "--format", "env"], &[]).await;
    assert_eq!(tokens.code, 0, "{}", tokens.stderr);
    let vars = exports(&tokens.stdout);
    assert_eq!(get(&vars, "AUTH0_DOMAIN"), t.domain());
    assert_eq!(
        get(&vars, "M2M_WORKER_THINGS_EXAMPLE_COM_AUDIENCE"),
        "https://things.example.com/"
    );
    assert!(!get(&vars, "M2M_WORKER_THINGS_EXAMPLE_COM_TOKEN").is_empty());
}
