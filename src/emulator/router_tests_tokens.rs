//! Tests of the tokens `/oauth/token` mints (issue 12): the API's `token_dialect` (Auth0 and
//! RFC 9068 profiles, `permissions` for the authz dialects), HS256 APIs signed with their
//! `signing_secret`, and `iss` following the scheme the emulator is served on.

use axum::http::Method;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::router_tests::{API, T, setup, urlenc};

/// A token for the bootstrap app and `audience` (granted `scopes` first).
async fn token_for(t: &T, audience: &str, scopes: &[&str]) -> Value {
    let grant = json!({"client_id": "boot", "audience": audience, "scope": scopes});
    let r = t.send(Method::POST, "/api/v2/client-grants", grant).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let form = format!(
        "grant_type=client_credentials&client_id=boot&client_secret=secret&audience={}",
        urlenc(audience)
    );
    let r = t.form_token(&form, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn api(identifier: &str, extra: Value) -> Value {
    let mut body = json!({
        "identifier": identifier,
        "name": identifier.trim_start_matches("https://").trim_end_matches('/'),
        "scopes": [{"value": "read:a"}, {"value": "write:a"}],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

fn verify_rs256(t: &T, token: &str, aud: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_slice(t.app.signer().jwks()).expect("jwks");
    let jwk = jwks.find(t.app.signer().kid()).expect("key");
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[aud]);
    v.set_issuer(&["https://127.0.0.1:1/"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).expect("jwk"), &v)
        .expect("verifies with the JWKS key")
        .claims
}

#[tokio::test]
async fn token_dialects_shape_header_and_claims() {
    let t = setup();
    // (token_dialect, typ, has azp+gty, has client_id+jti, has permissions)
    let cases = [
        (None, "JWT", true, false, false),
        (Some("access_token"), "JWT", true, false, false),
        (Some("access_token_authz"), "JWT", true, false, true),
        (Some("rfc9068_profile"), "at+jwt", false, true, false),
        (Some("rfc9068_profile_authz"), "at+jwt", false, true, true),
    ];
    for (n, (dialect, typ, auth0, rfc, permissions)) in cases.into_iter().enumerate() {
        let aud = format!("https://dialect{n}.example/");
        let extra = match dialect {
            Some(d) => json!({"token_dialect": d, "enforce_policies": true}),
            None => json!({}),
        };
        let r = t
            .send(Method::POST, "/api/v2/resource-servers", api(&aud, extra))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let body = token_for(&t, &aud, &["read:a", "write:a"]).await;
        let token = body["access_token"].as_str().expect("token");
        let header = jsonwebtoken::decode_header(token).expect("header");
        assert_eq!(header.typ.as_deref(), Some(typ), "{dialect:?}");
        assert_eq!(
            header.kid.as_deref(),
            Some(t.app.signer().kid()),
            "{dialect:?}"
        );
        let claims = verify_rs256(&t, token, &aud);
        let has = |k: &str| claims.get(k).is_some();
        assert_eq!(
            (has("azp"), has("gty")),
            (auth0, auth0),
            "{dialect:?}: {claims}"
        );
        assert_eq!(
            (has("client_id"), has("jti")),
            (rfc, rfc),
            "{dialect:?}: {claims}"
        );
        if rfc {
            assert_eq!(claims["client_id"], "boot");
        }
        assert_eq!(has("permissions"), permissions, "{dialect:?}: {claims}");
        if permissions {
            assert_eq!(claims["permissions"], json!(["read:a", "write:a"]));
        }
        assert_eq!(claims["scope"], "read:a write:a", "{dialect:?}");
        assert_eq!(claims["sub"], "boot@clients", "{dialect:?}");
    }
    // The Management API keeps Auth0's default dialect.
    let form = format!(
        "grant_type=client_credentials&client_id=boot&client_secret=secret&audience={}",
        urlenc(API)
    );
    let r = t.form_token(&form, None).await;
    let token = r.body["access_token"].as_str().expect("token");
    assert_eq!(
        jsonwebtoken::decode_header(token)
            .expect("h")
            .typ
            .as_deref(),
        Some("JWT")
    );
}

#[tokio::test]
async fn hs256_apis_sign_with_their_signing_secret() {
    let t = setup();
    let secret = "a-shared-secret-of-32-characters";
    let r = t
        .send(
            Method::POST,
            "/api/v2/resource-servers",
            api(
                "https://hs.example/",
                json!({"signing_alg": "HS256", "signing_secret": secret}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let body = token_for(&t, "https://hs.example/", &["read:a"]).await;
    let token = body["access_token"].as_str().expect("token");
    let header = jsonwebtoken::decode_header(token).expect("header");
    assert_eq!((header.alg, header.kid), (Algorithm::HS256, None));
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&["https://hs.example/"]);
    v.set_issuer(&["https://127.0.0.1:1/"]);
    let claims =
        jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(secret.as_bytes()), &v)
            .expect("verifies with the API's secret")
            .claims;
    assert_eq!(claims["scope"], "read:a");
    // An attack: the tenant's RS256 key does not verify it, nor does another secret.
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_slice(t.app.signer().jwks()).expect("jwks");
    let rs = DecodingKey::from_jwk(jwks.find(t.app.signer().kid()).expect("k")).expect("key");
    assert!(jsonwebtoken::decode::<Value>(token, &rs, &Validation::new(Algorithm::RS256)).is_err());
    assert!(
        jsonwebtoken::decode::<Value>(
            token,
            &DecodingKey::from_secret(b"another-secret-0123456789abcdef"),
            &v
        )
        .is_err()
    );

    // Without a secret, one is generated and kept, never shown (the 2025/26 recordings answer no
    // `signing_secret`); switching an API to HS256 generates one too. Its tokens are HS256 tokens
    // that verify with that secret and nothing else.
    for (create, patch) in [
        (json!({"signing_alg": "HS256"}), None),
        (json!({}), Some(json!({"signing_alg": "HS256"}))),
    ] {
        let aud = format!("https://hs{}.example/", patch.is_some());
        let r = t
            .send(Method::POST, "/api/v2/resource-servers", api(&aud, create))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let path = format!("/api/v2/resource-servers/{}", urlenc(&aud));
        if let Some(patch) = patch {
            let r = t.send(Method::PATCH, &path, patch).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let one = t.get(&path).await.body;
        let list = t.get("/api/v2/resource-servers").await.body;
        let listed = list
            .as_array()
            .and_then(|l| l.iter().find(|r| r["identifier"] == aud.as_str()));
        for shown in [Some(&one), listed] {
            let shown = shown.expect("the API is answered");
            assert_eq!(shown["signing_alg"], "HS256");
            assert!(shown.get("signing_secret").is_none(), "{shown}");
            assert!(
                !shown
                    .to_string()
                    .contains(super::resource_servers::GENERATED_SIGNING_SECRET)
            );
        }
        let generated = {
            let tenant = t.app.read();
            let rs = tenant.resource_server_by_identifier(&aud).expect("api");
            rs.str(super::resource_servers::GENERATED_SIGNING_SECRET)
                .expect("generated")
                .to_string()
        };
        assert_eq!(generated.len(), 32);
        let body = token_for(&t, &aud, &[]).await;
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[aud.as_str()]);
        let token = body["access_token"].as_str().expect("token");
        assert!(
            jsonwebtoken::decode::<Value>(
                token,
                &DecodingKey::from_secret(generated.as_bytes()),
                &v
            )
            .is_ok()
        );
    }
}

#[tokio::test]
async fn iss_follows_the_scheme_the_emulator_is_served_on() {
    use super::{EmulatorConfig, TlsMode, spawn};
    for tls in [false, true] {
        let mut config = EmulatorConfig::local("127.0.0.1:0".parse().expect("addr"));
        if tls {
            config.tls = TlsMode::SelfSigned { cert_out: None };
        }
        let e = spawn(config).await.expect("emulator");
        let scheme = if tls { "https" } else { "http" };
        let issuer = format!("{scheme}://{}/", e.domain());
        assert_eq!(e.issuer(), issuer);
        assert_eq!(format!("{}/", e.base_url()), issuer);
        let app = e.state();
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&audience={}",
            e.bootstrap_client_id(),
            urlenc(e.bootstrap_client_secret()),
            urlenc(&e.management_audience())
        );
        let router = super::router(app.clone());
        let t = T {
            app: app.clone(),
            router,
            token: String::new(),
        };
        let r = t.form_token(&form, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let token = r.body["access_token"].as_str().expect("token");
        let claims: Value =
            jsonwebtoken::dangerous::insecure_decode_claims::<Value>(token).expect("decode");
        assert_eq!(claims["iss"], issuer, "tls={tls}");
        // The audience stays Auth0's https identifier; the Management API accepts the token.
        assert_eq!(claims["aud"], e.management_audience());
        let t = T {
            token: token.to_string(),
            ..t
        };
        assert_eq!(t.get("/api/v2/clients").await.status, 200, "tls={tls}");
    }
}

#[tokio::test]
async fn management_and_authentication_apis_have_separate_buckets() {
    use super::ratelimit::{Limiter, RateLimit};
    use super::store::Tenant;
    let tenant = Tenant::new(
        "127.0.0.1:1",
        super::jwt::process_key().expect("key"),
        Some(("boot".into(), "secret".into())),
    );
    // 2 per bucket, refilled once in ~17 minutes: nothing refills during the test.
    let limiter = Limiter::new(RateLimit::new(0.001, 2).expect("limit"));
    let app = super::AppState::new(tenant, "https", Some(limiter), None, None).expect("app");
    let token = super::router_tests::mint(&app, "read:clients", 60);
    let t = T {
        router: super::router(app.clone()),
        app,
        token,
    };
    let form = format!(
        "grant_type=client_credentials&client_id=boot&client_secret=secret&audience={}",
        urlenc(API)
    );
    // (request, status, x-ratelimit-remaining): the Management API's bucket empties without
    // touching the Authentication API's, and each answers 429 in its API's shape.
    let mgmt = || t.get("/api/v2/clients");
    let auth = || t.form_token(&form, None);
    let steps = [
        (mgmt().await, 200, "1"),
        (mgmt().await, 200, "0"),
        (mgmt().await, 429, "0"),
        (auth().await, 200, "1"),
        (auth().await, 200, "0"),
        (auth().await, 429, "0"),
    ];
    for (n, (r, status, remaining)) in steps.iter().enumerate() {
        assert_eq!(r.status.as_u16(), *status, "step {n}: {}", r.body);
        assert_eq!(r.headers["x-ratelimit-limit"], "2", "step {n}");
        assert_eq!(r.headers["x-ratelimit-remaining"], *remaining, "step {n}");
        assert!(r.headers.contains_key("x-ratelimit-reset"), "step {n}");
    }
    assert_eq!(steps[2].0.body["errorCode"], "too_many_requests");
    assert_eq!(steps[2].0.body["statusCode"], 429);
    assert_eq!(
        steps[5].0.body,
        json!({"error": "too_many_requests", "error_description": "Global limit has been reached"})
    );
}

#[tokio::test]
async fn every_answer_names_its_api_bucket_without_a_rate_limit() {
    let t = setup();
    let before = super::jwt::now();
    let form = format!(
        "grant_type=client_credentials&client_id=boot&client_secret=secret&audience={}",
        urlenc(API)
    );
    // (what, answer, x-ratelimit-limit): the ruby-auth0 cassettes' sizes, on successes and
    // errors alike; nothing is refused however many requests come.
    let mut answers = vec![
        ("list", t.get("/api/v2/clients").await, "50"),
        ("404", t.get("/api/v2/clients/nope").await, "50"),
        (
            "401",
            t.req(Method::GET, "/api/v2/clients", None, None).await,
            "50",
        ),
        ("token", t.form_token(&form, None).await, "100"),
        (
            "bad secret",
            t.form_token(
                "grant_type=client_credentials&client_id=boot&client_secret=x",
                None,
            )
            .await,
            "100",
        ),
        (
            "jwks",
            t.req(Method::GET, "/.well-known/jwks.json", None, None)
                .await,
            "100",
        ),
    ];
    for _ in 0..60 {
        answers.push(("burst", t.get("/api/v2/client-grants").await, "50"));
    }
    let after = super::jwt::now();
    for (what, r, limit) in &answers {
        assert!(r.status.as_u16() != 429, "{what}: {}", r.body);
        assert_eq!(r.headers["x-ratelimit-limit"], *limit, "{what}");
        let remaining: u32 = r.headers["x-ratelimit-remaining"]
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .expect("remaining");
        let size: u32 = limit.parse().expect("size");
        assert_eq!(remaining, size - 1, "{what}");
        let reset: u64 = r.headers["x-ratelimit-reset"]
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .expect("reset");
        assert!(
            reset >= before && reset <= after + 1,
            "{what}: a full bucket resets at once (the second of the answer, rounded up)"
        );
    }
}
