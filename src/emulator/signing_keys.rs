//! The tenant's signing keys as Auth0 keeps them: a current key that signs, a next key already
//! published in the JWKS, previous keys after a rotation; and `/api/v2/keys/signing` (list, get,
//! `rotate`, `revoke`) in Auth0's shapes (`kid, cert, pkcs7, current, next, previous,
//! current_since, current_until, fingerprint, thumbprint, revoked, revoked_at`).
//!
//! Owns the key ring (records in `Tenant::keys`: `kid`, `pem`, the role flags and dates) and its
//! answers. A rotation makes the next key current, the current one previous (still published and
//! still verifying until revoked) and generates a new next key; the signer is swapped at once.
//! Must not sign tokens (jwt.rs) or show a private key: answers are built from the certificate.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::app::{AppState, Edit};
use super::auth::Bearer;
use super::certificate::SigningCert;
use super::credentials::timestamp;
use super::error::{ApiError, Error, json_response};
use super::jwt::{self, Signer};
use super::store::{KeyMaterial, Tenant};
use super::table::Record;

fn now() -> String {
    timestamp(time::OffsetDateTime::now_utc())
}

fn flag(r: &Record, key: &str) -> bool {
    r.bool(key).unwrap_or(false)
}

fn material(r: &Record) -> Option<KeyMaterial> {
    Some(KeyMaterial {
        kid: r.str("kid")?.to_string(),
        pem: r.str("pem")?.to_string(),
    })
}

/// The record of the current key (`since`: it became current now; false for a key loaded from
/// a state file written before keys had dates).
pub fn current_record(key: &KeyMaterial, since: bool) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("kid".into(), key.kid.clone().into());
    r.insert("pem".into(), key.pem.clone().into());
    r.insert("current".into(), true.into());
    r.insert("next".into(), false.into());
    r.insert("previous".into(), false.into());
    if since {
        r.insert("current_since".into(), now().into());
    }
    r
}

fn next_record(key: &KeyMaterial) -> Map<String, Value> {
    let mut r = current_record(key, false);
    r.insert("current".into(), false.into());
    r.insert("next".into(), true.into());
    r
}

/// Completes the ring of a tenant: the current key's record (state files written before the
/// ring existed hold the current key only) and a next key, made by `make` when there is none.
/// Returns whether anything was added.
pub fn ensure_ring(
    t: &mut Tenant,
    make: impl FnOnce() -> Result<KeyMaterial, Error>,
) -> Result<bool, Error> {
    let mut added = false;
    if t.keys.get(&t.key.kid).is_none() {
        let seq = t.next_seq();
        let record = current_record(&t.key, false);
        t.keys.push(seq, record);
        added = true;
    }
    if t.keys.find(|r| flag(r, "next")).is_none() {
        let next = make()?;
        let seq = t.next_seq();
        t.keys.push(seq, next_record(&next));
        added = true;
    }
    if added {
        t.version += 1;
    }
    Ok(added)
}

/// Makes `Tenant::key` the ring's current key again (after a journal replay).
pub fn sync_current(t: &mut Tenant) {
    if let Some(key) = t.keys.find(|r| flag(r, "current")).and_then(material) {
        t.key = key;
    }
}

/// The signer of the ring: signs with the current key, publishes the next and the previous
/// (unrevoked) key, verifies the current and the previous.
pub fn signer(t: &Tenant) -> Result<Signer, Error> {
    let next = t.keys.find(|r| flag(r, "next")).and_then(material);
    let previous: Vec<KeyMaterial> = t
        .keys
        .all()
        .iter()
        .filter(|r| flag(r, "previous") && !flag(r, "revoked"))
        .filter_map(material)
        .collect();
    Signer::for_keys(&t.key, next.as_ref(), &previous)
}

/// The next key becomes current, the current one previous (the one before loses that role),
/// `fresh` becomes next. Returns the new current key.
pub fn rotate(t: &mut Tenant, fresh: &KeyMaterial) -> Result<KeyMaterial, ApiError> {
    let at = now();
    let next = t
        .keys
        .find(|r| flag(r, "next"))
        .and_then(material)
        .ok_or_else(|| ApiError::internal("the tenant has no next signing key"))?;
    let ids: Vec<String> = t
        .keys
        .all()
        .iter()
        .filter_map(|r| r.str("kid").map(str::to_string))
        .collect();
    for kid in ids {
        let Some(r) = t.keys.get_mut(&kid) else {
            continue;
        };
        if flag(r, "current") {
            r.obj.insert("current".into(), false.into());
            r.obj.insert("previous".into(), true.into());
            r.obj.insert("current_until".into(), at.clone().into());
        } else if flag(r, "previous") {
            r.obj.insert("previous".into(), false.into());
        } else if flag(r, "next") {
            r.obj.insert("next".into(), false.into());
            r.obj.insert("current".into(), true.into());
            r.obj.insert("current_since".into(), at.clone().into());
        }
    }
    let seq = t.next_seq();
    t.keys.push(seq, next_record(fresh));
    t.key = next.clone();
    Ok(next)
}

fn not_found() -> ApiError {
    ApiError::not_found("inexistent_signing_key", "Signing key not found")
}

/// Auth0's view of one key: no private key, the certificate and its SHA-1 fingerprint.
fn view(r: &Record) -> Result<Value, ApiError> {
    let key = material(r).ok_or_else(|| ApiError::internal("a signing key without a PEM"))?;
    let cert = SigningCert::of(&key).map_err(|e| ApiError::internal(e.to_string()))?;
    let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert.der);
    let hex: Vec<String> = sha1.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    let mut out = Map::new();
    out.insert("kid".into(), key.kid.into());
    out.insert("cert".into(), cert.pem.into());
    out.insert("pkcs7".into(), cert.pkcs7.into());
    for role in ["current", "next", "previous"] {
        out.insert(role.into(), flag(r, role).into());
    }
    for date in ["current_since", "current_until"] {
        if let Some(v) = r.obj.get(date) {
            out.insert(date.into(), v.clone());
        }
    }
    out.insert("fingerprint".into(), hex.join(":").into());
    out.insert("thumbprint".into(), hex.concat().into());
    if flag(r, "revoked") {
        out.insert("revoked".into(), true.into());
        if let Some(v) = r.obj.get("revoked_at") {
            out.insert("revoked_at".into(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

/// `{cert, kid}` of a key (the answers of rotate and revoke).
fn brief(r: &Record) -> Result<Value, ApiError> {
    let key = material(r).ok_or_else(|| ApiError::internal("a signing key without a PEM"))?;
    let cert = SigningCert::of(&key).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(json!({ "cert": cert.pem, "kid": key.kid }))
}

/// `GET /api/v2/keys/signing`.
pub async fn list(State(app): State<Arc<AppState>>, bearer: Bearer) -> Result<Response, ApiError> {
    bearer.require(&["read:signing_keys"])?;
    let tenant = app.read();
    let keys = tenant
        .keys
        .all()
        .iter()
        .map(view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json_response(StatusCode::OK, &keys))
}

/// `GET /api/v2/keys/signing/{kid}`.
pub async fn get_one(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(kid): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["read:signing_keys"])?;
    let tenant = app.read();
    let record = tenant.keys.get(&kid).ok_or_else(not_found)?;
    Ok(json_response(StatusCode::OK, &view(record)?))
}

/// `POST /api/v2/keys/signing/rotate` (201 `{cert, kid}` of the new current key). Needs both
/// `create:signing_keys` and `update:signing_keys`, as Auth0's document says.
pub async fn rotate_handler(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
) -> Result<Response, ApiError> {
    let wanted = ["create:signing_keys", "update:signing_keys"];
    if !wanted.iter().all(|s| bearer.has(s)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "Insufficient scope; expected create:signing_keys and update:signing_keys",
        ));
    }
    let fresh = jwt::generate_key().map_err(|e| ApiError::internal(e.to_string()))?;
    app.update(|tenant| {
        let current = rotate(tenant, &fresh)?;
        let new_signer = signer(tenant).map_err(|e| ApiError::internal(e.to_string()))?;
        refresh_clients(tenant, new_signer.signing_keys());
        app.set_signer(new_signer);
        let record = tenant.keys.get(&current.kid).ok_or_else(not_found)?;
        Ok(Edit::Changed(json_response(
            StatusCode::CREATED,
            &brief(record)?,
        )))
    })
    .await
}

/// Every client's `signing_keys` shows the current key's certificate.
fn refresh_clients(t: &mut Tenant, keys: &Value) {
    let ids: Vec<String> = t
        .clients
        .all()
        .iter()
        .filter(|c| c.obj.contains_key("signing_keys"))
        .filter_map(|c| c.str("client_id").map(str::to_string))
        .collect();
    for id in ids {
        if let Some(c) = t.clients.get_mut(&id) {
            c.obj.insert("signing_keys".into(), keys.clone());
        }
    }
}

/// `PUT /api/v2/keys/signing/{kid}/revoke`: only a key that is neither current nor next; it
/// leaves the JWKS and its tokens stop verifying.
pub async fn revoke(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(kid): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(&["update:signing_keys"])?;
    app.update(|tenant| {
        let record = tenant.keys.get(&kid).ok_or_else(not_found)?;
        if flag(record, "current") || flag(record, "next") {
            return Err(ApiError::bad_request(
                "invalid_key",
                "The current and the next signing key cannot be revoked; rotate first",
            ));
        }
        if let Some(r) = tenant.keys.get_mut(&kid)
            && !flag(r, "revoked")
        {
            r.obj.insert("revoked".into(), true.into());
            r.obj.insert("revoked_at".into(), now().into());
        }
        app.set_signer(signer(tenant).map_err(|e| ApiError::internal(e.to_string()))?);
        let record = tenant.keys.get(&kid).ok_or_else(not_found)?;
        Ok(Edit::Changed(json_response(
            StatusCode::OK,
            &brief(record)?,
        )))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::{journal, persist};

    fn tenant() -> Tenant {
        let key = jwt::process_key().expect("key");
        Tenant::new("127.0.0.1:1", key, Some(("boot".into(), "s".into())))
    }

    fn roles(t: &Tenant) -> Vec<(String, bool, bool, bool)> {
        t.keys
            .all()
            .iter()
            .map(|r| {
                let kid = r.str("kid").unwrap_or_default().to_string();
                (
                    kid,
                    flag(r, "current"),
                    flag(r, "next"),
                    flag(r, "previous"),
                )
            })
            .collect()
    }

    #[test]
    fn a_state_file_from_before_the_ring_loads_and_gains_a_next_key() {
        let path = std::path::Path::new("state.json");
        let mut old: Value =
            serde_json::from_slice(&persist::to_bytes(&tenant(), 1).expect("bytes")).expect("json");
        old.as_object_mut().map(|m| m.remove("signing_keys"));
        let bytes = serde_json::to_vec(&old).expect("bytes");
        let (mut t, _) = persist::from_bytes(path, &bytes).expect("an old file loads");
        assert!(t.keys.is_empty());
        let next = jwt::process_next_key().expect("key");
        assert!(ensure_ring(&mut t, || Ok(next.clone())).expect("ring"));
        let current = t.key.kid.clone();
        assert_eq!(
            roles(&t),
            [
                (current.clone(), true, false, false),
                (next.kid.clone(), false, true, false)
            ]
        );
        let dated = t
            .keys
            .get(&current)
            .map(|r| r.obj.contains_key("current_since"));
        assert_eq!(
            dated,
            Some(false),
            "no date is made up for a key of unknown age"
        );
        assert!(!ensure_ring(&mut t, || unreachable!("a next key exists")).expect("ring"));
        let (again, _) =
            persist::from_bytes(path, &persist::to_bytes(&t, 1).expect("bytes")).expect("loads");
        assert_eq!(roles(&again), roles(&t), "the ring is saved");
    }

    #[test]
    fn a_rotation_is_journalled_and_replays_to_the_same_ring_and_current_key() {
        let mut t = tenant();
        ensure_ring(&mut t, jwt::process_next_key).expect("ring");
        let snapshot = persist::to_bytes(&t, 7).expect("bytes");
        t.keys.track_changes();
        let fresh = jwt::generate_key().expect("key");
        let before = t.key.kid.clone();
        let current = rotate(&mut t, &fresh).expect("rotate");
        assert_ne!(current.kid, before);
        assert_eq!(t.key.kid, current.kid);
        let line = journal::take_batch(&mut t, 7)
            .expect("line")
            .expect("changed");
        let path = std::path::Path::new("state.json");
        let (mut replayed, _) = persist::from_bytes(path, &snapshot).expect("loads");
        assert_eq!(
            journal::replay(&mut replayed, &line, 7, path).expect("replay"),
            1
        );
        assert_eq!(roles(&replayed), roles(&t));
        assert_eq!(
            replayed.key.kid, current.kid,
            "the replayed tenant signs with the new key"
        );
        let previous = replayed.keys.get(&before).expect("kept");
        assert!(flag(previous, "previous") && previous.obj.contains_key("current_until"));
        let signer = signer(&replayed).expect("signer");
        let jwks: Value = serde_json::from_slice(signer.jwks()).expect("jwks");
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .map(|k| k.iter().filter_map(|k| k["kid"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            kids,
            [current.kid.as_str(), fresh.kid.as_str(), before.as_str()]
        );
    }
}
