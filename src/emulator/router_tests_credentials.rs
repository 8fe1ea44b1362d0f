//! Router-level tests of `/api/v2/clients/{id}/credentials` and private-key JWT at
//! `/oauth/token`, written as attacks: wrong key, expired key, unregistered key, wrong alg,
//! wrong aud, expired assertion, replayed jti, a third key.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use axum::http::Method;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::assertion::JWT_BEARER;
use super::jwt::{self, pem_encode};
use super::router_tests::{T, setup, urlenc};

const ORDERS: &str = "https://orders.example.com/";

/// (private PKCS#8 PEM, public SPKI PEM).
fn key_pair() -> (String, String) {
    let pair = KeyPair::generate(KeySize::Rsa2048).expect("key");
    let private = pem_encode("PRIVATE KEY", pair.as_der().expect("der").as_ref());
    let public = pem_encode(
        "PUBLIC KEY",
        pair.public_key().as_der().expect("spki").as_ref(),
    );
    (private, public)
}

fn assertion(private: &str, alg: Algorithm, claims: Value) -> String {
    let key = EncodingKey::from_rsa_pem(private.as_bytes()).expect("pem");
    jsonwebtoken::encode(&Header::new(alg), &claims, &key).expect("sign")
}

fn claims(client: &str, aud: &str, exp_in: i64, jti: &str) -> Value {
    let now = jwt::now() as i64;
    json!({"iss": client, "sub": client, "aud": aud, "iat": now, "exp": now + exp_in, "jti": jti})
}

async fn token(t: &T, client: &str, jwt: &str) -> (u16, Value) {
    let form = format!(
        "grant_type=client_credentials&client_id={client}&audience={}&client_assertion_type={}&client_assertion={jwt}",
        urlenc(ORDERS),
        urlenc(JWT_BEARER)
    );
    let r = t.form_token(&form, None).await;
    (r.status.as_u16(), r.body)
}

/// A client with a grant on the orders API.
async fn client(t: &T) -> String {
    let r = t
        .send(
            Method::POST,
            "/api/v2/resource-servers",
            json!({"identifier": ORDERS, "name": "orders"}),
        )
        .await;
    assert!(r.status == 201 || r.status == 409, "{}", r.body);
    let r = t
        .send(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "keyed", "app_type": "non_interactive"}),
        )
        .await;
    let id = r.body["client_id"].as_str().unwrap().to_string();
    let r = t
        .send(
            Method::POST,
            "/api/v2/client-grants",
            json!({"client_id": id, "audience": ORDERS, "scope": []}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    id
}

async fn add_key(t: &T, id: &str, public: &str, extra: Value) -> Value {
    let mut body = json!({"credential_type": "public_key", "name": "k", "pem": public});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = t
        .send(
            Method::POST,
            &format!("/api/v2/clients/{id}/credentials"),
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn register(t: &T, id: &str, creds: &[&str]) {
    let list: Vec<Value> = creds.iter().map(|c| json!({"id": c})).collect();
    let r = t
        .send(
            Method::PATCH,
            &format!("/api/v2/clients/{id}"),
            json!({"client_authentication_methods": {"private_key_jwt": {"credentials": list}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn credentials_crud_shapes_limit_and_no_pem_on_read() {
    let t = setup();
    let id = client(&t).await;
    let (_, public) = key_pair();
    let created = add_key(&t, &id, &public, json!({})).await;
    let cred = created["id"].as_str().unwrap().to_string();
    assert!(cred.starts_with("cred_") && cred.len() == 27, "{cred}");
    // Auth0's kid is the key's RFC 7638 thumbprint (checked against a recording in `keys`).
    assert_eq!(
        created["kid"],
        crate::keys::public_kid(&public).unwrap().as_str()
    );
    assert_eq!(created["credential_type"], "public_key");
    assert_eq!(created["alg"], "RS256");
    assert!(
        created.get("pem").is_none() && created.get("expires_at").is_none(),
        "{created}"
    );
    // The same key always gets the same kid.
    let again = add_key(&t, &id, &public, json!({"alg": "PS256"})).await;
    assert_eq!(again["kid"], created["kid"]);
    // A third credential is refused.
    let (_, third) = key_pair();
    let r = t
        .send(
            Method::POST,
            &format!("/api/v2/clients/{id}/credentials"),
            json!({"credential_type": "public_key", "pem": third}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // Read: no PEM anywhere, expires_at null.
    let r = t.get(&format!("/api/v2/clients/{id}/credentials")).await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    assert!(!r.body.to_string().contains("PUBLIC KEY"), "{}", r.body);
    let r = t
        .get(&format!("/api/v2/clients/{id}/credentials/{cred}"))
        .await;
    assert_eq!(r.body["expires_at"], Value::Null);
    assert!(r.body.get("pem").is_none());
    // Update expires_at only.
    let uri = format!("/api/v2/clients/{id}/credentials/{cred}");
    let r = t
        .send(
            Method::PATCH,
            &uri,
            json!({"expires_at": "2030-01-01T00:00:00.000Z"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["expires_at"], "2030-01-01T00:00:00.000Z");
    let r = t
        .send(Method::PATCH, &uri, json!({"name": "renamed"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // Bad input.
    for body in [
        json!({"credential_type": "public_key", "pem": "not a pem"}),
        json!({"credential_type": "public_key", "pem": public, "alg": "HS256"}),
        json!({"credential_type": "x509_cert", "pem": public}),
        json!({"pem": public}),
    ] {
        let r = t
            .send(
                Method::POST,
                &format!("/api/v2/clients/{id}/credentials"),
                body.clone(),
            )
            .await;
        assert!(
            r.status == 400 || r.status == 403 || r.status == 501,
            "{body}: {} {}",
            r.status,
            r.body
        );
    }
    // Delete is idempotent; unknown client is 404.
    let r = t
        .req(Method::DELETE, &uri, Some(&t.token.clone()), None)
        .await;
    assert_eq!(r.status, 204);
    let r = t
        .req(Method::DELETE, &uri, Some(&t.token.clone()), None)
        .await;
    assert_eq!(r.status, 204);
    let r = t.get(&uri).await;
    assert_eq!(r.status, 404);
    let r = t.get("/api/v2/clients/nope/credentials").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["errorCode"], "inexistent_client");
}

#[tokio::test]
async fn client_assertion_attacks_are_refused_and_a_good_one_gets_a_token() {
    let t = setup();
    let id = client(&t).await;
    let (private, public) = key_pair();
    let (other_private, _) = key_pair();
    let cred = add_key(&t, &id, &public, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let aud = "https://127.0.0.1:1/";
    let good = |jti: &str| assertion(&private, Algorithm::RS256, claims(&id, aud, 60, jti));

    // Not yet registered on the client: refused.
    let (status, body) = token(&t, &id, &good("j0")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    register(&t, &id, &[&cred]).await;

    let (status, body) = token(&t, &id, &good("j1")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    // The same jti again: a replay.
    let (status, body) = token(&t, &id, &good("j1")).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error_description"].as_str().unwrap().contains("jti"),
        "{body}"
    );

    let attacks = [
        (
            "other key",
            assertion(&other_private, Algorithm::RS256, claims(&id, aud, 60, "a1")),
        ),
        (
            "wrong alg",
            assertion(&private, Algorithm::RS384, claims(&id, aud, 60, "a2")),
        ),
        (
            "wrong aud",
            assertion(
                &private,
                Algorithm::RS256,
                claims(&id, "https://evil/", 60, "a3"),
            ),
        ),
        (
            "expired",
            assertion(&private, Algorithm::RS256, claims(&id, aud, -120, "a4")),
        ),
        (
            "no jti",
            assertion(
                &private,
                Algorithm::RS256,
                json!({"iss": id, "sub": id, "aud": aud, "exp": jwt::now() + 60}),
            ),
        ),
        (
            "sub differs",
            assertion(
                &private,
                Algorithm::RS256,
                json!({"iss": id, "sub": "boot", "aud": aud, "exp": jwt::now() + 60, "jti": "a5"}),
            ),
        ),
        ("not a jwt", "abc".to_string()),
    ];
    for (what, jwt) in attacks {
        let (status, body) = token(&t, &id, &jwt).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(body["error"], "invalid_client", "{what}: {body}");
    }
    // Token URL as aud is accepted too.
    let via_url = assertion(
        &private,
        Algorithm::RS256,
        claims(&id, "https://127.0.0.1:1/oauth/token", 60, "u1"),
    );
    assert_eq!(token(&t, &id, &via_url).await.0, 200);
    // An expired credential no longer signs.
    let uri = format!("/api/v2/clients/{id}/credentials/{cred}");
    t.send(
        Method::PATCH,
        &uri,
        json!({"expires_at": "2020-01-01T00:00:00.000Z"}),
    )
    .await;
    let (status, body) = token(&t, &id, &good("j2")).await;
    assert_eq!(status, 401, "{body}");
    // A wrong assertion type is a 400.
    let form = format!(
        "grant_type=client_credentials&audience={}&client_assertion_type=bogus&client_assertion={}",
        urlenc(ORDERS),
        good("j3")
    );
    assert_eq!(t.form_token(&form, None).await.status, 400);
}

#[tokio::test]
async fn credentials_survive_the_state_file_and_go_with_their_client() {
    let t = setup();
    let id = client(&t).await;
    let (_, public) = key_pair();
    add_key(&t, &id, &public, json!({})).await;
    let bytes = super::persist::to_bytes(&t.app.read(), 0).expect("bytes");
    let (back, _) =
        super::persist::from_bytes(std::path::Path::new("state.json"), &bytes).expect("parse");
    assert_eq!(back.credentials.len(), 1);
    assert_eq!(
        back.credentials.all()[0].str("client_id"),
        Some(id.as_str())
    );
    let r = t
        .req(
            Method::DELETE,
            &format!("/api/v2/clients/{id}"),
            Some(&t.token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(
        t.app.read().credentials.is_empty(),
        "credentials outlived their client"
    );
}
