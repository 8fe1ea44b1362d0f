//! Private-key JWT at `/oauth/token`: `client_assertion` +
//! `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` (RFC 7523).
//!
//! Owns who an assertion authenticates: signed by one of the client's registered (listed under
//! `client_authentication_methods.private_key_jwt.credentials`), unexpired credentials, with
//! that credential's `alg`; `iss` = `sub` = the client id; `aud` the tenant (`https://{domain}/`
//! or its token URL; in plain HTTP mode also the `http://` forms); `exp` in the future; a `jti` never seen before (replays refused until the
//! assertion expires). Must not issue tokens (oauth.rs does).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::StatusCode;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::app::AppState;
use super::error::OAuthError;
use super::jwt;

/// The only `client_assertion_type` Auth0 accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `jti`s seen, with the `exp` of their assertion (forgotten once expired).
#[derive(Debug, Default)]
pub struct Replay(Mutex<HashMap<(String, String), u64>>);

impl Replay {
    /// Records `(client, jti)`; false when it was seen and has not expired.
    fn first_use(&self, client_id: &str, jti: &str, exp: u64, now: u64) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, until| *until > now);
        seen.insert((client_id.to_string(), jti.to_string()), exp)
            .is_none()
    }
}

fn invalid(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
}

#[derive(Deserialize)]
struct Unverified {
    iss: Option<String>,
    sub: Option<String>,
}

#[derive(Deserialize)]
struct Checked {
    sub: String,
    exp: u64,
    jti: Option<String>,
}

/// The algorithms a client assertion may be signed with (Auth0's: RS256, RS384, PS256); the
/// discovery document lists them.
pub const ALGORITHMS: [(&str, Algorithm); 3] = [
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("PS256", Algorithm::PS256),
];

/// The algorithm of an assertion's `alg`, if accepted.
pub(crate) fn algorithm(name: &str) -> Option<Algorithm> {
    ALGORITHMS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// The client a valid assertion authenticates (`client_id`, when sent, must match it).
pub fn authenticate(
    app: &AppState,
    assertion_type: &str,
    assertion: &str,
    client_id: Option<&str>,
) -> Result<String, OAuthError> {
    if assertion_type != JWT_BEARER {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("client_assertion_type must be {JWT_BEARER}"),
        ));
    }
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| invalid("client_assertion is not a JWT"))?;
    let alg_name = format!("{:?}", header.alg);
    let alg = algorithm(&alg_name).ok_or_else(|| {
        invalid(format!(
            "client_assertion alg {alg_name} is not allowed (RS256, RS384, PS256)"
        ))
    })?;
    let payload = assertion
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Unverified>(&b).ok())
        .ok_or_else(|| invalid("client_assertion has no readable claims"))?;
    let iss = payload
        .iss
        .ok_or_else(|| invalid("client_assertion has no iss"))?;
    if payload.sub.as_deref() != Some(iss.as_str()) {
        return Err(invalid(
            "client_assertion iss and sub must both be the client id",
        ));
    }
    if client_id.is_some_and(|c| c != iss) {
        return Err(invalid(
            "client_id does not match the client_assertion's iss",
        ));
    }
    let keys: Vec<String> = {
        let tenant = app.read();
        let client = tenant
            .clients
            .get(&iss)
            .ok_or_else(|| invalid("Unknown client in client_assertion"))?;
        let registered: Vec<&str> = client
            .obj
            .get("client_authentication_methods")
            .and_then(|m| m.pointer("/private_key_jwt/credentials"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|c| c.get("id")?.as_str()).collect())
            .unwrap_or_default();
        let now = OffsetDateTime::now_utc();
        tenant
            .credentials
            .all()
            .iter()
            .filter(|c| c.str("client_id") == Some(iss.as_str()))
            .filter(|c| c.str("id").is_some_and(|id| registered.contains(&id)))
            .filter(|c| c.str("alg") == Some(alg_name.as_str()))
            .filter(|c| header.kid.is_none() || c.str("kid") == header.kid.as_deref())
            .filter(|c| {
                c.str("expires_at")
                    .and_then(|e| OffsetDateTime::parse(e, &Rfc3339).ok())
                    .is_none_or(|e| e > now)
            })
            .filter_map(|c| Some(c.str("pem")?.to_string()))
            .collect()
    };
    if keys.is_empty() {
        return Err(invalid(
            "no registered, unexpired credential of the client matches the client_assertion",
        ));
    }
    // Auth0 wants `https://{domain}/` (or its token URL); in plain HTTP mode the served issuer
    // `http://{domain}/` is accepted too.
    let authority = app.issuer.split_once("://").map_or("", |(_, rest)| rest);
    let audiences: Vec<String> = [app.issuer.clone(), format!("https://{authority}")]
        .into_iter()
        .flat_map(|base| [format!("{base}oauth/token"), base])
        .collect();
    let mut validation = Validation::new(alg);
    validation.leeway = 0;
    validation.set_audience(&audiences);
    validation.set_issuer(&[iss.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let mut last = String::from("invalid signature");
    for pem in &keys {
        let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) else {
            continue;
        };
        match jsonwebtoken::decode::<Checked>(assertion, &key, &validation) {
            Ok(data) => {
                let claims = data.claims;
                if claims.sub != iss {
                    return Err(invalid("client_assertion sub must be the client id"));
                }
                let jti = claims
                    .jti
                    .filter(|j| !j.is_empty())
                    .ok_or_else(|| invalid("client_assertion has no jti"))?;
                if !app.assertions.first_use(&iss, &jti, claims.exp, jwt::now()) {
                    return Err(invalid("client_assertion jti was already used"));
                }
                return Ok(iss);
            }
            Err(e) => {
                last = match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        "client_assertion has expired".into()
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                        format!("client_assertion aud must be {}", audiences[0])
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidIssuer => {
                        "client_assertion iss must be the client id".into()
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                        "client_assertion signature does not match a registered credential".into()
                    }
                    _ => "client_assertion is invalid".into(),
                };
            }
        }
    }
    Err(invalid(last))
}
