//! `/api/v2/clients/{id}/credentials`: the public keys a client signs its `client_assertion`s
//! with (private-key JWT): list, get, create, update `expires_at`, delete.
//!
//! Owns credential semantics as recorded from Auth0: `cred_` + 22 alphanumerics ids, a `kid`
//! derived from the key (the RFC 7638 JWK thumbprint, as the recordings show: `crate::keys`), only
//! `credential_type: public_key`, algorithms RS256/RS384/PS256, at most 2 per client, the PEM never
//! shown on read, 204 on deleting a missing credential. A credential signs tokens once the client
//! lists its id under `client_authentication_methods.private_key_jwt.credentials` (see
//! `assertion.rs`). Must not touch the socket or the file.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::app::{AppState, Edit};
use super::auth::Bearer;
use super::body;
use super::error::{ApiError, json_response, no_content};
use super::table::Record;

/// Auth0's limit of credentials per client.
pub const MAX_PER_CLIENT: usize = 2;
/// Signing algorithms a credential may declare.
pub const ALGORITHMS: &[&str] = &["RS256", "RS384", "PS256"];
/// Fields shown on read (never `pem`, never `client_id`).
const SHOWN: &[&str] = &[
    "id",
    "name",
    "credential_type",
    "kid",
    "alg",
    "created_at",
    "updated_at",
    "expires_at",
];

fn inexistent_client() -> ApiError {
    ApiError::not_found("inexistent_client", "The client does not exist")
}

fn not_found() -> ApiError {
    ApiError::not_found("inexistent_credential", "The credential does not exist")
}

/// `2026-11-30T10:00:00.000Z`.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// The DER of a `-----BEGIN PUBLIC KEY-----` PEM holding an RSA key, or why not.
pub fn public_key_der(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    if !pem.contains("-----BEGIN PUBLIC KEY-----") {
        return Err("pem must be a PEM-encoded public key (-----BEGIN PUBLIC KEY-----)".into());
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| "pem is not valid base64".to_string())?;
    jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|_| "pem is not an RSA public key".to_string())?;
    Ok(der)
}

/// The record as Auth0 shows it (`expires_at` null when unset).
fn shown(obj: &Map<String, Value>) -> Map<String, Value> {
    SHOWN
        .iter()
        .map(|k| (k.to_string(), obj.get(*k).cloned().unwrap_or(Value::Null)))
        .collect()
}

fn of_client<'a>(all: &'a [Record], client_id: &'a str) -> impl Iterator<Item = &'a Record> {
    all.iter()
        .filter(move |r| r.str("client_id") == Some(client_id))
}

/// `GET /api/v2/clients/{id}/credentials` (a plain array, as Auth0 answers).
pub async fn list(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["read:client_credentials"])?;
    let tenant = app.read();
    tenant.clients.get(&id).ok_or_else(inexistent_client)?;
    let items: Vec<Value> = of_client(tenant.credentials.all(), &id)
        .map(|r| Value::Object(shown(&r.obj)))
        .collect();
    Ok(json_response(StatusCode::OK, &items))
}

/// `GET /api/v2/clients/{id}/credentials/{credential_id}`.
pub async fn get_one(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path((id, cred)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    bearer.require(&["read:client_credentials"])?;
    let tenant = app.read();
    tenant.clients.get(&id).ok_or_else(inexistent_client)?;
    let record = tenant
        .credentials
        .get(&cred)
        .filter(|r| r.str("client_id") == Some(id.as_str()))
        .ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &shown(&record.obj)))
}

fn expires_at(value: &Value) -> Result<Value, ApiError> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::String(s) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => Ok(value.clone()),
        _ => Err(ApiError::invalid_body(
            "'Object didn't pass validation for format date-time' on property expires_at.",
        )),
    }
}

/// `POST /api/v2/clients/{id}/credentials` (201, without the PEM).
pub async fn create(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["create:client_credentials"])?;
    let sent = body::parse(&bytes)?;
    let (answer, obj) = new_credential(&sent, &id)?;
    app.update(|tenant| {
        tenant.clients.get(&id).ok_or_else(inexistent_client)?;
        if of_client(tenant.credentials.all(), &id).count() >= MAX_PER_CLIENT {
            return Err(too_many());
        }
        let seq = tenant.next_seq();
        tenant.credentials.push(seq, obj);
        Ok(Edit::Changed(json_response(StatusCode::CREATED, &answer)))
    })
    .await
}

/// A JSON object: a stored record or an answer.
type Object = Map<String, Value>;

fn too_many() -> ApiError {
    ApiError::bad_request(
        "too_many_credentials",
        format!("A client can have at most {MAX_PER_CLIENT} credentials"),
    )
}

/// The credentials sent inline in `POST /clients`
/// (`client_authentication_methods.private_key_jwt.credentials` with PEMs, as Auth0 accepts
/// them): each checked like a `POST …/credentials` body. Returns the records to store and the
/// client's `client_authentication_methods` as answered (the credentials as shown, with ids);
/// `None` when the body lists none with a PEM.
pub fn inline(
    sent: &Map<String, Value>,
    client_id: &str,
) -> Result<Option<(Vec<Object>, Value)>, ApiError> {
    let Some(items) = sent
        .get("client_authentication_methods")
        .and_then(|m| m.pointer("/private_key_jwt/credentials"))
        .and_then(Value::as_array)
        .filter(|items| items.iter().any(|c| c.get("pem").is_some()))
    else {
        return Ok(None);
    };
    if items.len() > MAX_PER_CLIENT {
        return Err(too_many());
    }
    let mut stored = Vec::new();
    let mut shown = Vec::new();
    for item in items {
        let Value::Object(item) = item else {
            return Err(ApiError::invalid_body(
                "Payload validation error: 'Expected type object' on property client_authentication_methods.private_key_jwt.credentials.",
            ));
        };
        let (answer, obj) = new_credential(item, client_id)?;
        shown.push(Value::Object(answer));
        stored.push(obj);
    }
    let mut methods = sent
        .get("client_authentication_methods")
        .cloned()
        .unwrap_or_default();
    if let Some(list) = methods.pointer_mut("/private_key_jwt/credentials") {
        *list = Value::Array(shown);
    }
    Ok(Some((stored, methods)))
}

/// A credential from a create body: `(as answered, as stored with its client id and PEM)`.
fn new_credential(sent: &Map<String, Value>, id: &str) -> Result<(Object, Object), ApiError> {
    if let Some(k) = sent.keys().find(|k| {
        ![
            "credential_type",
            "name",
            "pem",
            "alg",
            "expires_at",
            "parse_expiry_from_cert",
        ]
        .contains(&k.as_str())
    }) {
        return Err(ApiError::invalid_body(format!(
            "Payload validation error: 'Additional properties not allowed: {k}'."
        )));
    }
    match sent.get("credential_type").and_then(Value::as_str) {
        Some("public_key") => {}
        Some(other) => {
            return Err(ApiError::not_supported(format!(
                "credential_type `{other}` is not supported by the local tenant"
            )));
        }
        None => {
            return Err(ApiError::invalid_body(
                "Payload validation error: 'Missing required property: credential_type'.",
            ));
        }
    }
    let pem = sent.get("pem").and_then(Value::as_str).ok_or_else(|| {
        ApiError::invalid_body("Payload validation error: 'Missing required property: pem'.")
    })?;
    public_key_der(pem).map_err(ApiError::invalid_body)?;
    let kid = crate::keys::public_kid(pem)
        .map_err(|e| ApiError::invalid_body(format!("pem is not usable: {e}")))?;
    let alg = match sent.get("alg") {
        None => "RS256",
        Some(Value::String(a)) if ALGORITHMS.contains(&a.as_str()) => a.as_str(),
        Some(_) => {
            return Err(ApiError::invalid_body(format!(
                "'No enum match for: alg' on property alg; allowed: {}.",
                ALGORITHMS.join(", ")
            )));
        }
    };
    let expires = sent.get("expires_at").map(expires_at).transpose()?;
    let now = timestamp(OffsetDateTime::now_utc());
    let cred_id = format!("cred_{}", Alphanumeric.sample_string(&mut rand::rng(), 22));
    let mut obj = Map::new();
    obj.insert("id".into(), cred_id.clone().into());
    let name = sent.get("name").and_then(Value::as_str).unwrap_or_default();
    obj.insert("name".into(), name.into());
    obj.insert("credential_type".into(), "public_key".into());
    obj.insert("kid".into(), kid.into());
    obj.insert("alg".into(), alg.into());
    obj.insert("created_at".into(), now.clone().into());
    obj.insert("updated_at".into(), now.into());
    if let Some(e) = expires.filter(|e| !e.is_null()) {
        obj.insert("expires_at".into(), e);
    }
    let answer = obj.clone();
    obj.insert("client_id".into(), id.into());
    obj.insert("pem".into(), pem.into());
    Ok((answer, obj))
}

/// `PATCH /api/v2/clients/{id}/credentials/{credential_id}`: only `expires_at`.
pub async fn patch(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path((id, cred)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    bearer.require(&["update:client_credentials"])?;
    let sent = body::parse(&bytes)?;
    if let Some(k) = sent.keys().find(|k| k.as_str() != "expires_at") {
        return Err(ApiError::invalid_body(format!(
            "Payload validation error: 'Additional properties not allowed: {k}'."
        )));
    }
    let expires = sent.get("expires_at").map(expires_at).transpose()?;
    app.update(|tenant| {
        tenant.clients.get(&id).ok_or_else(inexistent_client)?;
        let record = tenant
            .credentials
            .get_mut(&cred)
            .filter(|r| r.str("client_id") == Some(id.as_str()))
            .ok_or_else(not_found)?;
        if let Some(e) = expires {
            record.obj.insert("expires_at".into(), e);
        }
        let now = timestamp(OffsetDateTime::now_utc());
        record.obj.insert("updated_at".into(), now.into());
        Ok(Edit::Changed(json_response(
            StatusCode::OK,
            &shown(&record.obj),
        )))
    })
    .await
}

/// `DELETE /api/v2/clients/{id}/credentials/{credential_id}` (204, also when missing).
pub async fn delete(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path((id, cred)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    bearer.require(&["delete:client_credentials"])?;
    app.update(|tenant| {
        let mine = tenant
            .credentials
            .get(&cred)
            .is_some_and(|r| r.str("client_id") == Some(id.as_str()));
        if !mine {
            return Ok(Edit::Unchanged(no_content()));
        }
        tenant.credentials.remove(&cred);
        Ok(Edit::deleted(true))
    })
    .await
}
