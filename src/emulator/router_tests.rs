//! Router-level tests (tower `oneshot`, no socket): every endpoint and error shape.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::app::{AppState, router};
use super::jwt::{self, Claims};

pub(super) struct T {
    pub app: Arc<AppState>,
    pub router: Router,
    pub token: String,
}

pub(super) const API: &str = "https://127.0.0.1:1/api/v2/";

pub(super) fn setup() -> T {
    let app =
        AppState::in_memory("127.0.0.1:1", Some(("boot".into(), "secret".into()))).expect("state");
    let token = mint(&app, &crate::scopes::MANAGEMENT_API_SCOPES.join(" "), 60);
    T {
        router: router(app.clone()),
        app,
        token,
    }
}

pub(super) fn mint(app: &AppState, scope: &str, ttl: i64) -> String {
    let now = jwt::now();
    let claims = Claims {
        iss: "https://127.0.0.1:1/".into(),
        sub: "boot@clients".into(),
        aud: API.into(),
        iat: now,
        exp: (now as i64 + ttl) as u64,
        scope: Some(scope.into()),
        gty: "client-credentials".into(),
        azp: "boot".into(),
    };
    app.signer().sign(&claims).expect("sign")
}

pub(super) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl T {
    pub(super) async fn req(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .router
            .clone()
            .oneshot(builder.body(body).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("json body")
        };
        Reply {
            status,
            headers,
            body,
        }
    }
    pub(super) async fn get(&self, uri: &str) -> Reply {
        self.req(Method::GET, uri, Some(&self.token.clone()), None)
            .await
    }
    pub(super) async fn send(&self, method: Method, uri: &str, body: Value) -> Reply {
        self.req(method, uri, Some(&self.token.clone()), Some(body))
            .await
    }
    pub(super) async fn form_token(&self, form: &str, basic: Option<&str>) -> Reply {
        let mut b = Request::post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(basic) = basic {
            b = b.header("authorization", format!("Basic {basic}"));
        }
        let response = self
            .router
            .clone()
            .oneshot(b.body(Body::from(form.to_string())).expect("req"))
            .await
            .expect("ok");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }
}

fn payload(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("b64");
    serde_json::from_slice(&bytes).expect("json")
}

#[tokio::test]
async fn token_endpoint_success_shapes_and_claims() {
    let t = setup();
    let form = format!(
        "grant_type=client_credentials&client_id=boot&client_secret=secret&audience={}",
        urlenc(API)
    );
    let r = t.form_token(&form, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 86400);
    let claims = payload(r.body["access_token"].as_str().expect("token"));
    assert_eq!(claims["iss"], "https://127.0.0.1:1/");
    assert_eq!(claims["sub"], "boot@clients");
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["azp"], "boot");
    assert_eq!(claims["gty"], "client-credentials");
    assert_eq!(
        claims["exp"]
            .as_u64()
            .zip(claims["iat"].as_u64())
            .map(|(e, i)| e - i),
        Some(86400)
    );
    assert_eq!(r.body["scope"], claims["scope"]);
    let header =
        jsonwebtoken::decode_header(r.body["access_token"].as_str().expect("t")).expect("header");
    assert_eq!(header.kid.as_deref(), Some(t.app.signer().kid()));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);

    // JSON body with organization: null, and a scope subset
    let r = t
        .req(Method::POST, "/oauth/token", None, Some(json!({"grant_type": "client_credentials", "client_id": "boot",
            "client_secret": "secret", "audience": API, "organization": null, "scope": "read:clients"})))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["scope"].clone()),
        (200, json!("read:clients"))
    );
    // HTTP Basic
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("boot:secret");
    let r = t
        .form_token(
            &format!("grant_type=client_credentials&audience={}", urlenc(API)),
            Some(&basic),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // lifetime follows the API's token_lifetime
    let r = t
        .send(
            Method::PATCH,
            &format!("/api/v2/resource-servers/{}", urlenc(API)),
            json!({"token_lifetime": 600}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.form_token(&form, None).await;
    assert_eq!(r.body["expires_in"], 600);
    let claims = payload(r.body["access_token"].as_str().expect("token"));
    assert_eq!(
        claims["exp"]
            .as_u64()
            .zip(claims["iat"].as_u64())
            .map(|(e, i)| e - i),
        Some(600)
    );
}

pub(super) fn urlenc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn token_endpoint_errors() {
    let t = setup();
    // a client without client_credentials, and one without a grant
    let r = t
        .send(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "spa", "grant_types": ["implicit"]}),
        )
        .await;
    let spa = r.body["client_id"].as_str().expect("id").to_string();
    let spa_secret = r.body["client_secret"].as_str().expect("s").to_string();
    let r = t
        .send(
            Method::POST,
            "/api/v2/clients",
            json!({"name": "m2m", "grant_types": ["client_credentials"]}),
        )
        .await;
    let m2m = r.body["client_id"].as_str().expect("id").to_string();
    let m2m_secret = r.body["client_secret"].as_str().expect("s").to_string();
    let aud = urlenc(API);
    let cases: Vec<(String, u16, &str, String)> = vec![
        (format!("client_id=boot&client_secret=secret&audience={aud}"), 400, "invalid_request", "Missing required parameter: grant_type".into()),
        (format!("grant_type=password&client_id=boot&client_secret=secret&audience={aud}"), 403, "unsupported_grant_type", "Unsupported grant type: password".into()),
        (format!("grant_type=client_credentials&client_id=boot&client_secret=nope&audience={aud}"), 401, "access_denied", "Unauthorized".into()),
        (format!("grant_type=client_credentials&client_id=ghost&client_secret=secret&audience={aud}"), 401, "access_denied", "Unauthorized".into()),
        (format!("grant_type=client_credentials&client_id=boot&audience={aud}"), 401, "access_denied", "Unauthorized".into()),
        (format!("grant_type=client_credentials&client_secret=secret&audience={aud}"), 400, "invalid_request", "Missing required parameter: client_id".into()),
        (format!("grant_type=client_credentials&client_assertion_type=x&client_id=boot&audience={aud}"), 400, "invalid_request", "Missing required parameter: client_assertion".into()),
        ("grant_type=client_credentials&client_id=boot&client_secret=secret".into(), 403, "access_denied", "No audience parameter was provided, and no default audience has been configured".into()),
        ("grant_type=client_credentials&client_id=boot&client_secret=secret&audience=https%3A%2F%2Fnope%2F".into(), 403, "access_denied", "Service not enabled within domain: https://nope/".into()),
        (format!("grant_type=client_credentials&client_id=boot&client_secret=secret&audience={aud}&scope=read%3Aclients+read%3Anothing"), 403, "access_denied", "Client has not been granted scopes: read:nothing".into()),
        (format!("grant_type=client_credentials&client_id={m2m}&client_secret={m2m_secret}&audience={aud}"), 403, "access_denied",
            format!("Client \"{m2m}\" is not authorized to access resource server \"{API}\". You need to create a \"client-grant\" associated to this API.")),
        (format!("grant_type=client_credentials&client_id={spa}&client_secret={spa_secret}&audience={aud}"), 403, "unauthorized_client", "Grant type 'client_credentials' not allowed for the client.".into()),
    ];
    for (form, status, error, description) in cases {
        let r = t.form_token(&form, None).await;
        assert_eq!(
            (
                r.status.as_u16(),
                r.body["error"].as_str(),
                r.body["error_description"].as_str()
            ),
            (status, Some(error), Some(description.as_str())),
            "{form}"
        );
        assert!(r.body.get("statusCode").is_none());
    }
    // HTTP Basic wins over the body's credentials, and is checked the same way.
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let body =
        format!("grant_type=client_credentials&client_id=boot&client_secret=secret&audience={aud}");
    for (basic, status) in [
        ("boot:secret", 200),
        ("boot:nope", 401),
        ("boot:", 401),
        ("ghost:secret", 401),
    ] {
        let r = t.form_token(&body, Some(&b64(basic))).await;
        assert_eq!(r.status.as_u16(), status, "Basic {basic}: {}", r.body);
    }
}

#[tokio::test]
async fn bearer_auth_errors() {
    let t = setup();
    let expired = mint(&t.app, "read:clients", -5);
    let narrow = mint(&t.app, "read:client_grants", 60);
    let mut tampered = t.token.clone();
    tampered.insert(tampered.len() - 3, 'A');
    let cases: Vec<(Option<&str>, u16, Value)> = vec![
        (
            None,
            401,
            json!({"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication", "attributes": {"error": "Missing authentication"}}),
        ),
        (
            Some("garbage"),
            401,
            json!({"statusCode": 401, "error": "Unauthorized", "message": "Invalid token", "attributes": {"error": "Invalid token"}}),
        ),
        (
            Some(&tampered),
            401,
            json!({"statusCode": 401, "error": "Unauthorized", "message": "Invalid token", "attributes": {"error": "Invalid token"}}),
        ),
        (
            Some(&expired),
            401,
            json!({"statusCode": 401, "error": "Unauthorized", "message": "Expired token received for JSON Web Token validation", "attributes": {"error": "Expired token received for JSON Web Token validation"}}),
        ),
        (
            Some(&narrow),
            403,
            json!({"statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: read:clients, read:client_keys, read:client_credentials, read:client_summary", "errorCode": "insufficient_scope"}),
        ),
    ];
    for (token, status, body) in cases {
        let r = t.req(Method::GET, "/api/v2/clients", token, None).await;
        assert_eq!((r.status.as_u16(), r.body), (status, body), "{token:?}");
        assert_eq!(r.headers["content-type"], "application/json; charset=utf-8");
    }
    // a token for another API is not a Management API token
    let other = t
        .send(
            Method::POST,
            "/api/v2/resource-servers",
            json!({"identifier": "https://x/"}),
        )
        .await;
    assert_eq!(other.status, 201);
    let r = t
        .send(
            Method::POST,
            "/api/v2/client-grants",
            json!({"client_id": "boot", "audience": "https://x/", "scope": []}),
        )
        .await;
    assert_eq!(r.status, 201);
    let tok = t.form_token("grant_type=client_credentials&client_id=boot&client_secret=secret&audience=https%3A%2F%2Fx%2F", None).await;
    let r = t
        .req(
            Method::GET,
            "/api/v2/clients",
            tok.body["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    let r = t.req(Method::GET, "/api/v2/clients", None, None).await;
    assert_eq!(r.status, 401);
    let mut bad = Request::get("/api/v2/clients").header("authorization", "Token abc");
    bad = bad.header("x", "y");
    let resp = t
        .router
        .clone()
        .oneshot(bad.body(Body::empty()).expect("req"))
        .await
        .expect("ok");
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn jwks_stats_and_unknown_paths() {
    let t = setup();
    let r = t
        .req(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(r.body["keys"][0]["kid"], t.app.signer().kid());
    assert_eq!(r.body["keys"][0]["alg"], "RS256");
    let r = t.req(Method::GET, "/nope", None, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body),
        (
            404,
            json!({"statusCode": 404, "error": "Not Found", "message": "Not Found"})
        )
    );
    t.get("/api/v2/clients/nope").await;
    let r = t.req(Method::GET, "/__m2mctl/stats", None, None).await;
    assert_eq!(r.body["total"], 3, "{}", r.body);
    assert_eq!(r.body["by_route"]["GET /api/v2/clients/{id} 404"], 1);
    assert_eq!(r.body["by_route"]["GET /.well-known/jwks.json 200"], 1);
    let r = t
        .req(Method::POST, "/__m2mctl/stats/reset", None, None)
        .await;
    assert_eq!(r.status, 204);
    let r = t.req(Method::GET, "/__m2mctl/stats", None, None).await;
    assert_eq!(r.body, json!({"total": 0, "by_route": {}}));
}
