//! Random identifiers and secrets in Auth0's formats.
//!
//! Owns the id alphabet and lengths (client_id 32 alphanumerics, `cgr_` + 16, 24 hex for resource
//! servers, 64-char secrets). Must not keep state: every call draws from the thread RNG.

use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};

const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A client id: 32 alphanumerics.
pub fn client_id() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}

/// A client secret: 64 chars of `[A-Za-z0-9_-]`.
pub fn client_secret() -> String {
    let mut rng = rand::rng();
    (0..64)
        .map(|_| SECRET_ALPHABET[rng.random_range(0..SECRET_ALPHABET.len())] as char)
        .collect()
}

/// A client grant id: `cgr_` + 16 alphanumerics.
pub fn grant_id() -> String {
    format!("cgr_{}", Alphanumeric.sample_string(&mut rand::rng(), 16))
}

/// An organization id: `org_` + 16 alphanumerics.
pub fn organization_id() -> String {
    format!("org_{}", Alphanumeric.sample_string(&mut rand::rng(), 16))
}

/// A resource server id: 24 hex chars.
pub fn resource_server_id() -> String {
    let mut rng = rand::rng();
    (0..24)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// An API's HS256 `signing_secret`: 32 alphanumerics, as Auth0 generates them.
pub fn signing_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}

/// A signing key id: 22 alphanumerics.
pub fn key_id() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 22)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_auth0() {
        let id = client_id();
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        let secret = client_secret();
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| SECRET_ALPHABET.contains(&b)));
        let grant = grant_id();
        assert!(grant.starts_with("cgr_") && grant.len() == 20);
        let rs = resource_server_id();
        assert_eq!(rs.len(), 24);
        assert!(rs.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(client_id(), client_id());
    }
}
