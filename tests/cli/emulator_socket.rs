//! The emulator over a real loopback socket: tokens, TLS with a pinned certificate, rate-limit
//! headers and 429s, lost responses, persistence and re-homing, corrupt state files.

use serde_json::{Value, json};

use crate::support::{Options, Tenant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_then_list_clients_over_http() {
    let t = Tenant::start().await;
    let token = t.management_token().await;
    let r = t
        .http()
        .get(format!(
            "{}/api/v2/clients?include_totals=true",
            t.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["total"], 2, "global client + bootstrap app: {body}");
    assert_eq!(t.count("POST /oauth/token 200").await, 1);
    assert_eq!(t.count("GET /api/v2/clients 200").await, 1);
    assert_eq!(t.stats().await["total"], 2);
    t.reset_stats().await;
    assert_eq!(t.stats().await, json!({"total": 0, "by_route": {}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_client_that_trusts_only_the_written_certificate() {
    let t = Tenant::with(Options {
        tls: true,
        ..Options::default()
    })
    .await;
    assert!(t.base_url().starts_with("https://127.0.0.1:"));
    let pem = std::fs::read(t.ca_cert_path().expect("cert path")).expect("cert written");
    let cert = reqwest::Certificate::from_pem(&pem).expect("pem");
    let client = reqwest::Client::builder()
        .tls_certs_only([cert])
        .build()
        .expect("client");
    let r = client
        .get(format!("{}/.well-known/jwks.json", t.base_url()))
        .send()
        .await
        .expect("tls request");
    assert_eq!(r.status(), 200);
    // localhost is in the SAN too
    let port = t
        .domain()
        .rsplit(':')
        .next()
        .map(str::to_string)
        .expect("port");
    let r = client
        .get(format!("https://localhost:{port}/.well-known/jwks.json"))
        .send()
        .await;
    assert!(r.is_ok_and(|r| r.status() == 200));
    // a client with default roots does not trust it
    let strict = reqwest::Client::builder()
        .tls_certs_only(Vec::<reqwest::Certificate>::new())
        .build()
        .expect("client");
    let refused = strict
        .get(format!("{}/.well-known/jwks.json", t.base_url()))
        .send()
        .await;
    assert!(refused.is_err());
    let token = t.management_token().await;
    let claims = decode_payload(&token);
    assert_eq!(claims["iss"], format!("https://{}/", t.domain()));
    assert_eq!(claims["aud"], t.management_audience());
}

fn decode_payload(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("b64");
    serde_json::from_slice(&bytes).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_headers_on_every_response_and_429_when_empty() {
    let t = Tenant::with(Options {
        // one token per 20 s: the fourth request finds the bucket empty however slow the
        // machine is (at 0.5/s a 2 s stall between requests refilled it)
        rate_limit: Some((0.05, 3)),
        ..Options::default()
    })
    .await;
    let http = t.http();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let r = http
            .get(format!("{}/.well-known/jwks.json", t.base_url()))
            .send()
            .await
            .expect("request");
        let h = |k: &str| r.headers()[k].to_str().expect("ascii").to_string();
        seen.push((
            r.status().as_u16(),
            h("x-ratelimit-limit"),
            h("x-ratelimit-remaining"),
        ));
        let reset: u64 = h("x-ratelimit-reset").parse().expect("epoch seconds");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        assert!(reset >= now && reset <= now + 21, "reset {reset} now {now}");
        if r.status() == 429 {
            let body: Value = r.json().await.expect("json");
            assert_eq!(body["errorCode"], "too_many_requests");
            assert_eq!(body["statusCode"], 429);
        }
    }
    let strings = |v: &[(u16, &str, &str)]| {
        v.iter()
            .map(|(s, l, r)| (*s, l.to_string(), r.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        seen,
        strings(&[
            (200, "3", "2"),
            (200, "3", "1"),
            (200, "3", "0"),
            (429, "3", "0")
        ])
    );
    // the operator endpoint is neither limited nor counted
    assert_eq!(t.count("GET /.well-known/jwks.json 429").await, 1);
    assert_eq!(t.count("GET /.well-known/jwks.json 200").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_fault_performs_the_write_then_drops_the_connection() {
    let t = Tenant::with(Options {
        faults: Some(("lost:1".into(), 7)),
        ..Options::default()
    })
    .await;
    // the token request itself is lost too: every request is
    let lost = t
        .http()
        .post(format!("{}/oauth/token", t.base_url()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await;
    let err = lost.expect_err("transport error, no response");
    assert!(!err.is_status(), "{err:?}");
    assert_eq!(t.count("POST /oauth/token lost").await, 1);

    // a write: the client sees an error, yet the client exists afterwards
    let state = t.emulator().state().clone();
    let before = state.read().clients.len();
    let token = {
        // mint a token directly (all requests are lost on this tenant)
        let claims = m2mctl::emulator::jwt::Claims {
            iss: t.emulator().issuer(),
            sub: format!("{}@clients", t.client_id()),
            aud: t.management_audience(),
            iat: m2mctl::emulator::jwt::now(),
            exp: m2mctl::emulator::jwt::now() + 60,
            scope: Some("create:clients".into()),
            gty: "client-credentials".into(),
            azp: t.client_id(),
        };
        state.signer().sign(&claims).expect("sign")
    };
    let r = t
        .http()
        .post(format!("{}/api/v2/clients", t.base_url()))
        .bearer_auth(token)
        .json(&json!({"name": "lost-write"}))
        .send()
        .await;
    assert!(r.is_err(), "expected a transport error, got {r:?}");
    assert_eq!(state.read().clients.len(), before + 1);
    assert!(
        state
            .read()
            .clients
            .find(|c| c.str("name") == Some("lost-write"))
            .is_some()
    );
    assert_eq!(t.count("POST /api/v2/clients lost").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_reproducible_for_a_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let t = Tenant::with(Options {
            faults: Some(("429:0.3,503:0.2".into(), seed)),
            ..Options::default()
        })
        .await;
        let mut out = Vec::new();
        for _ in 0..30 {
            let r = t
                .http()
                .get(format!("{}/.well-known/jwks.json", t.base_url()))
                .send()
                .await
                .expect("request");
            out.push(r.status().as_u16());
        }
        out
    }
    let a = statuses(7).await;
    assert_eq!(a, statuses(7).await);
    assert!(
        a.contains(&429) && a.contains(&503) && a.contains(&200),
        "{a:?}"
    );
    assert_ne!(a, statuses(8).await);
}
