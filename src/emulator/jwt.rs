//! Access tokens: RS256 key generation (aws-lc-rs), signing (RS256, or HS256 with an API's secret),
//! the JWKS document, and verification
//! with a small cache so a repeated bearer token costs a hash lookup.
//!
//! Owns the cryptography and Auth0's claim set. Must not decide who may get a token (oauth.rs) or
//! what a scope allows (auth.rs).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::certificate::SigningCert;
use super::error::Error;
use super::ids;
use super::store::KeyMaterial;

/// Claims of an Auth0 client-credentials access token, in Auth0's order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// `https://{domain}/`.
    pub iss: String,
    /// `<client_id>@clients`.
    pub sub: String,
    /// The API identifier.
    pub aud: String,
    /// Issued at (epoch seconds).
    pub iat: u64,
    /// Expiry (epoch seconds).
    pub exp: u64,
    /// Space-separated granted scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `client-credentials`.
    pub gty: String,
    /// The client id.
    pub azp: String,
}

impl Claims {
    /// Whether the token holds `scope`.
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|s| s == wanted))
    }
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// `exp` is in the past.
    Expired,
    /// Bad signature, format, issuer or audience.
    Invalid,
}

const CACHE_CAPACITY: usize = 4096;

/// Signs and verifies the tenant's tokens: signs with the current key, publishes it with the next
/// and the previous (unrevoked) keys in the JWKS, and verifies with the current and the previous.
pub struct Signer {
    kid: String,
    signing_keys: serde_json::Value,
    encoding: EncodingKey,
    /// (kid, key): the current key first, then the previous keys not revoked.
    decoding: Vec<(String, DecodingKey)>,
    jwks: Vec<u8>,
    cache: Mutex<HashMap<String, Arc<Claims>>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).finish()
    }
}

/// Generates a new RSA-2048 key (PKCS#8 PEM) with a fresh `kid`.
pub fn generate_key() -> Result<KeyMaterial, Error> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| Error::Key {
        reason: format!("cannot generate an RSA key: {e}"),
    })?;
    let der = pair.as_der().map_err(|e| Error::Key {
        reason: format!("cannot encode the RSA key: {e}"),
    })?;
    Ok(KeyMaterial {
        kid: ids::key_id(),
        pem: pem_encode("PRIVATE KEY", der.as_ref()),
    })
}

/// One key shared by the in-memory tenants of this process (key generation costs ~0.2 s in debug
/// builds). Each tenant still has its own issuer and audience, so tokens do not cross tenants.
pub fn process_key() -> Result<KeyMaterial, Error> {
    static KEY: OnceLock<KeyMaterial> = OnceLock::new();
    shared(&KEY)
}

/// The next signing key of the in-memory tenants of this process (see [`process_key`]).
pub fn process_next_key() -> Result<KeyMaterial, Error> {
    static KEY: OnceLock<KeyMaterial> = OnceLock::new();
    shared(&KEY)
}

fn shared(cell: &OnceLock<KeyMaterial>) -> Result<KeyMaterial, Error> {
    if let Some(key) = cell.get() {
        return Ok(key.clone());
    }
    let key = generate_key()?;
    Ok(cell.get_or_init(|| key).clone())
}

pub use crate::keys::pem_encode;

fn bad_key(e: jsonwebtoken::errors::Error) -> Error {
    Error::Key {
        reason: format!("the stored RSA key is unusable: {e}"),
    }
}

/// A key's JWK (with `x5c`/`x5t`), its decoding key, its certificate and its encoding key.
fn published(key: &KeyMaterial) -> Result<(Jwk, DecodingKey, SigningCert, EncodingKey), Error> {
    let encoding = EncodingKey::from_rsa_pem(key.pem.as_bytes()).map_err(bad_key)?;
    let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).map_err(bad_key)?;
    jwk.common.key_id = Some(key.kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    let cert = SigningCert::of(key)?;
    jwk.common.x509_chain = Some(vec![cert.x5c.clone()]);
    jwk.common.x509_sha1_fingerprint = Some(cert.x5t.clone());
    let decoding = DecodingKey::from_jwk(&jwk).map_err(bad_key)?;
    Ok((jwk, decoding, cert, encoding))
}

impl Signer {
    /// Loads one key and prepares the JWKS holding it alone.
    pub fn new(key: &KeyMaterial) -> Result<Signer, Error> {
        Signer::for_keys(key, None, &[])
    }

    /// Signs with `current`; the JWKS publishes `current`, `next` and `previous` (the previous
    /// keys not revoked), in that order; tokens of `current` and `previous` verify.
    pub fn for_keys(
        current: &KeyMaterial,
        next: Option<&KeyMaterial>,
        previous: &[KeyMaterial],
    ) -> Result<Signer, Error> {
        let (jwk, decoding, cert, encoding) = published(current)?;
        let mut keys = vec![jwk];
        let mut verifying = vec![(current.kid.clone(), decoding)];
        if let Some(next) = next {
            keys.push(published(next)?.0);
        }
        for old in previous {
            let (jwk, decoding, ..) = published(old)?;
            keys.push(jwk);
            verifying.push((old.kid.clone(), decoding));
        }
        let jwks = serde_json::to_vec(&JwkSet { keys }).map_err(|e| Error::Key {
            reason: format!("cannot encode the JWKS: {e}"),
        })?;
        Ok(Signer {
            signing_keys: cert.signing_keys(),
            kid: current.kid.clone(),
            encoding,
            decoding: verifying,
            jwks,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The `kid` of the signing key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A client's `signing_keys` (the signing key's certificate, see `certificate`).
    pub fn signing_keys(&self) -> &serde_json::Value {
        &self.signing_keys
    }

    /// `/.well-known/jwks.json`.
    pub fn jwks(&self) -> &[u8] {
        &self.jwks
    }

    /// A signed RS256 token with a `kid` header.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// A signed RS256 token with a `kid` header and header `typ` (`JWT`, or `at+jwt` for the RFC
    /// 9068 dialects), over claims already in their order.
    pub fn sign_map(
        &self,
        typ: &str,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some(typ.to_string());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// Checks signature, `exp`, `iss` and `aud`; repeated tokens come from the cache.
    pub fn verify(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
        now: u64,
    ) -> Result<Arc<Claims>, VerifyError> {
        let cached = self.cache.lock().ok().and_then(|c| c.get(token).cloned());
        let claims = match cached {
            Some(claims) => claims,
            None => {
                let claims = Arc::new(self.verify_uncached(token, issuer, audience)?);
                if let Ok(mut cache) = self.cache.lock() {
                    if cache.len() >= CACHE_CAPACITY {
                        cache.clear();
                    }
                    cache.insert(token.to_string(), claims.clone());
                }
                claims
            }
        };
        if claims.exp <= now {
            return Err(VerifyError::Expired);
        }
        if claims.iss != issuer || claims.aud != audience {
            return Err(VerifyError::Invalid);
        }
        Ok(claims)
    }

    fn verify_uncached(&self, token: &str, iss: &str, aud: &str) -> Result<Claims, VerifyError> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.set_audience(&[aud]);
        validation.set_issuer(&[iss]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let kid = jsonwebtoken::decode_header(token)
            .map_err(|_| VerifyError::Invalid)?
            .kid;
        let Some((_, decoding)) = self.decoding.iter().find(|(k, _)| Some(k) == kid.as_ref())
        else {
            return Err(VerifyError::Invalid);
        };
        match jsonwebtoken::decode::<Claims>(token, decoding, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Err(VerifyError::Expired),
                _ => Err(VerifyError::Invalid),
            },
        }
    }
}

/// A token signed with HS256 and `secret` (an API's `signing_secret`, used as its bytes): no
/// `kid`, as Auth0 signs for symmetric APIs.
pub fn sign_hs256(
    secret: &str,
    typ: &str,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, jsonwebtoken::errors::Error> {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(typ.to_string());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Claims {
        Claims {
            iss: "https://h/".into(),
            sub: "c@clients".into(),
            aud: "https://h/api/v2/".into(),
            iat: 1,
            exp,
            scope: Some("read:clients create:clients".into()),
            gty: "client-credentials".into(),
            azp: "c".into(),
        }
    }

    #[test]
    fn sign_verify_round_trip_and_rejections() {
        let signer = Signer::new(&process_key().expect("key")).expect("signer");
        let now = now();
        let token = signer.sign(&claims(now + 60)).expect("sign");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(signer.kid()));
        let ok = signer.verify(&token, "https://h/", "https://h/api/v2/", now);
        assert!(ok.as_ref().is_ok_and(|c| c.has_scope("create:clients")));
        assert!(!ok.as_ref().is_ok_and(|c| c.has_scope("create:client")));
        // cached path still checks audience, issuer and expiry
        let r = signer.verify(&token, "https://h/", "https://other/", now);
        assert_eq!(r.err(), Some(VerifyError::Invalid));
        let r = signer.verify(&token, "https://h/", "https://h/api/v2/", now + 61);
        assert_eq!(r.err(), Some(VerifyError::Expired));
        let mut tampered = token.clone();
        tampered.insert(token.len() - 5, 'x');
        let r = signer.verify(&tampered, "https://h/", "https://h/api/v2/", now);
        assert_eq!(r.err(), Some(VerifyError::Invalid));
        let old = signer.sign(&claims(now - 10)).expect("sign");
        let r = signer.verify(&old, "https://h/", "https://h/api/v2/", now);
        assert_eq!(r.err(), Some(VerifyError::Expired));
        let jwks: serde_json::Value = serde_json::from_slice(signer.jwks()).expect("jwks");
        assert_eq!(jwks["keys"][0]["kid"], signer.kid());
        assert_eq!(jwks["keys"][0]["kty"], "RSA");
        assert_eq!(jwks["keys"][0]["use"], "sig");
        // x5c holds the signing key's certificate and x5t its SHA-1 thumbprint, as Auth0's JWKS.
        let cert = SigningCert::of(&process_key().expect("key")).expect("cert");
        assert_eq!(jwks["keys"][0]["x5c"], serde_json::json!([cert.x5c]));
        assert_eq!(jwks["keys"][0]["x5t"], cert.x5t);
    }
}
