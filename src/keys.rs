//! RSA keys of private-key JWT clients: what a PEM holds, a key's RFC 7638 thumbprint (the `kid`
//! Auth0 gives a credential), new key pairs, and client assertions (RFC 7523) signed with them.
//!
//! Owns the key facts that config, token, keygen, plan and the emulator share. Must do no file
//! or network I/O (callers read key files). A private key and an assertion travel as
//! [`Secret`]; no error or `Debug` string quotes key material.

use base64::Engine;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::tenant::Secret;

/// Smallest RSA key Auth0 and m2mctl accept, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Lifetime of a client assertion m2mctl signs, in seconds (one exchange needs a few).
pub const ASSERTION_LIFETIME: i64 = 60;

/// A credential's signing algorithm (Auth0 accepts these three for private-key JWT).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum KeyAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Auth0's default).
    #[default]
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PSS with SHA-256.
    PS256,
}

impl KeyAlg {
    /// Auth0's wire name, e.g. `RS256`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::RS256 => "RS256",
            KeyAlg::RS384 => "RS384",
            KeyAlg::PS256 => "PS256",
        }
    }

    /// Parses Auth0's wire name.
    pub fn parse(s: &str) -> Option<KeyAlg> {
        match s {
            "RS256" => Some(KeyAlg::RS256),
            "RS384" => Some(KeyAlg::RS384),
            "PS256" => Some(KeyAlg::PS256),
            _ => None,
        }
    }

    fn jwt(self) -> Algorithm {
        match self {
            KeyAlg::RS256 => Algorithm::RS256,
            KeyAlg::RS384 => Algorithm::RS384,
            KeyAlg::PS256 => Algorithm::PS256,
        }
    }
}

/// Why a key cannot be used (never quotes the key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No `-----BEGIN …-----` block.
    #[error("not a PEM block (no `-----BEGIN …-----` line)")]
    NotPem,
    /// A private key where a public key belongs.
    #[error("a private key, not a public key")]
    PrivateGiven,
    /// A public key where a private key belongs.
    #[error("a public key, not a private key")]
    PublicGiven,
    /// A certificate (Auth0's `public_key` credentials take a bare key).
    #[error("a certificate, not a public key")]
    Certificate,
    /// Another PEM type.
    #[error("a `{0}` PEM block, not an RSA key")]
    OtherPem(String),
    /// The block does not decode as an RSA key.
    #[error("not a readable RSA key ({0})")]
    Unreadable(String),
    /// Too small.
    #[error("an RSA key of {0} bits (at least {MIN_RSA_BITS} are needed)")]
    TooSmall(usize),
    /// Signing or generating failed.
    #[error("{0}")]
    Crypto(String),
}

/// What a PEM text holds, by its first `BEGIN` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemKind {
    /// `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1).
    Public,
    /// `PRIVATE KEY`, `RSA PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, `EC PRIVATE KEY`, ….
    Private,
    /// `CERTIFICATE`.
    Certificate,
    /// Another label.
    Other,
    /// No PEM block at all.
    None,
}

/// The label of the first `-----BEGIN …-----` line.
fn label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &text[start..];
    let end = rest.find("-----")?;
    Some(rest[..end].trim())
}

/// What `text` holds.
pub fn pem_kind(text: &str) -> PemKind {
    match label(text) {
        None => PemKind::None,
        Some(l) if l.ends_with("PRIVATE KEY") => PemKind::Private,
        Some("PUBLIC KEY" | "RSA PUBLIC KEY") => PemKind::Public,
        Some("CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE") => PemKind::Certificate,
        Some(_) => PemKind::Other,
    }
}

/// True when `text` looks like PEM (inline key material rather than a path).
pub fn is_pem(text: &str) -> bool {
    text.trim_start().starts_with("-----BEGIN ")
}

fn kind_error(text: &str) -> Option<KeyError> {
    match pem_kind(text) {
        PemKind::None => Some(KeyError::NotPem),
        PemKind::Certificate => Some(KeyError::Certificate),
        PemKind::Other => Some(KeyError::OtherPem(label(text).unwrap_or("").to_string())),
        PemKind::Public | PemKind::Private => None,
    }
}

fn b64url_len_bits(n: &str) -> usize {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(n)
        .unwrap_or_default();
    let leading = bytes.iter().take_while(|b| **b == 0).count();
    let significant = &bytes[leading..];
    match significant.first() {
        Some(first) => (significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

/// RFC 7638 SHA-256 thumbprint of a JWK (what Auth0 shows as a credential's `kid`), after
/// checking the key's size.
fn thumbprint(jwk: &Jwk) -> Result<String, KeyError> {
    if let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = &jwk.algorithm {
        let bits = b64url_len_bits(&rsa.n);
        if bits < MIN_RSA_BITS {
            return Err(KeyError::TooSmall(bits));
        }
    }
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| KeyError::Unreadable(e.to_string()))
}

/// A public key's `kid` (RFC 7638 thumbprint), or why `pem` is not a usable RSA public key.
pub fn public_kid(pem: &str) -> Result<String, KeyError> {
    if let Some(e) = kind_error(pem) {
        return Err(e);
    }
    if pem_kind(pem) == PemKind::Private {
        return Err(KeyError::PrivateGiven);
    }
    let key = DecodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|e| KeyError::Unreadable(e.to_string()))?;
    let jwk =
        Jwk::from_decoding_key(&key, None).map_err(|e| KeyError::Unreadable(e.to_string()))?;
    thumbprint(&jwk)
}

/// A private RSA key, ready to sign client assertions. `Debug` shows only its `kid`.
#[derive(Clone)]
pub struct PrivateKey {
    key: EncodingKey,
    kid: String,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.kid)
            .finish()
    }
}

/// The claims of a client assertion (RFC 7523 §3).
#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: &'a str,
}

impl PrivateKey {
    /// Reads a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM.
    pub fn from_pem(pem: &Secret) -> Result<PrivateKey, KeyError> {
        let text = pem.expose();
        if let Some(e) = kind_error(text) {
            return Err(e);
        }
        if pem_kind(text) == PemKind::Public {
            return Err(KeyError::PublicGiven);
        }
        // jsonwebtoken's errors name the format, never the key.
        let key = EncodingKey::from_rsa_pem(text.as_bytes())
            .map_err(|e| KeyError::Unreadable(e.to_string()))?;
        let jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)
            .map_err(|e| KeyError::Unreadable(e.to_string()))?;
        let kid = thumbprint(&jwk)?;
        Ok(PrivateKey { key, kid })
    }

    /// The `kid` of its public half (equal to [`public_kid`] of the matching public key).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A client assertion for `/oauth/token` (RFC 7523): `iss` = `sub` = `client_id`, `aud`
    /// the tenant's issuer (`https://{domain}/`), issued `now`, valid [`ASSERTION_LIFETIME`]
    /// seconds, with a unique `jti` and the key's `kid` in the header.
    pub fn assertion(
        &self,
        alg: KeyAlg,
        client_id: &str,
        audience: &str,
        now: i64,
    ) -> Result<Secret, KeyError> {
        let jti = random_jti();
        let claims = AssertionClaims {
            iss: client_id,
            sub: client_id,
            aud: audience,
            iat: now,
            exp: now + ASSERTION_LIFETIME,
            jti: &jti,
        };
        let mut header = Header::new(alg.jwt());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|e| KeyError::Crypto(format!("cannot sign the client assertion: {e}")))
    }
}

/// 32 random URL-safe characters.
fn random_jti() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}

/// A new key pair: the private key (PKCS#8 PEM), its public key (SPKI PEM) and `kid`.
#[derive(Debug, Clone)]
pub struct Generated {
    /// `-----BEGIN PRIVATE KEY-----` (PKCS#8).
    pub private_pem: Secret,
    /// `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo).
    pub public_pem: String,
    /// The RFC 7638 thumbprint Auth0 will show as the credential's `kid`.
    pub kid: String,
}

/// Generates a 2048-bit RSA key pair (the size `keygen` writes).
pub fn generate() -> Result<Generated, KeyError> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    let crypto = |e: &dyn std::fmt::Display| KeyError::Crypto(format!("cannot generate: {e}"));
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| crypto(&e))?;
    let private = pair.as_der().map_err(|e| crypto(&e))?;
    let public = pair.public_key().as_der().map_err(|e| crypto(&e))?;
    let public_pem = pem_encode("PUBLIC KEY", public.as_ref());
    let kid = public_kid(&public_pem)?;
    Ok(Generated {
        private_pem: Secret::new(pem_encode("PRIVATE KEY", private.as_ref())),
        public_pem,
        kid,
    })
}

/// `der` as a PEM block with `label`, 64 characters a line.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
