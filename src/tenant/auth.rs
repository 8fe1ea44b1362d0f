//! How m2mctl authenticates to a tenant's Management API, and what its token says about itself.
//!
//! Owns the choice between a ready-made token (`AUTH0_ACCESS_TOKEN`) and client credentials
//! (`AUTH0_CLIENT_ID` + `AUTH0_CLIENT_SECRET`) on plain values ([`Credentials::from_values`]; the
//! settings stage reads the variables), and decodes the token's claims for pre-flight checks.
//! Must not read the environment or send requests (the exchange lives in `oauth.rs`).

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::error::{Error, Result};
use super::secret::Secret;

/// How to get a Management API token.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Use this token as is.
    AccessToken(Secret),
    /// Exchange a client id and secret at `/oauth/token`.
    ClientCredentials {
        /// The M2M application's client id.
        client_id: String,
        /// Its secret.
        client_secret: Secret,
    },
    /// Exchange a client assertion signed with the application's private key (private-key JWT).
    SignedAssertion {
        /// The M2M application's client id.
        client_id: String,
        /// Its private key (`Debug` shows only its thumbprint).
        key: crate::keys::PrivateKey,
        /// The key's algorithm.
        alg: crate::keys::KeyAlg,
    },
}

impl Credentials {
    /// A token (`AUTH0_ACCESS_TOKEN`) first, else a client id and secret (`AUTH0_CLIENT_ID` +
    /// `AUTH0_CLIENT_SECRET`); unset values are `None`. `domain` only names the tenant in the error.
    pub fn from_values(
        domain: &str,
        access_token: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
    ) -> Result<Credentials> {
        if let Some(token) = access_token {
            let token = Secret::new(token.trim());
            if !token.is_header_safe() {
                return Err(Error::BadCredential {
                    var: "AUTH0_ACCESS_TOKEN",
                    reason: "it contains spaces or characters not allowed in an HTTP header",
                });
            }
            return Ok(Credentials::AccessToken(token));
        }
        match (client_id, client_secret) {
            (Some(id), Some(secret)) => Ok(Credentials::ClientCredentials {
                client_id: id.trim().to_string(),
                client_secret: Secret::new(secret),
            }),
            _ => Err(Error::MissingCredentials {
                domain: domain.to_string(),
            }),
        }
    }

    /// The client id, when known without decoding a token.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Credentials::AccessToken(_) => None,
            Credentials::ClientCredentials { client_id, .. }
            | Credentials::SignedAssertion { client_id, .. } => Some(client_id),
        }
    }
}

/// What the Management API token says about its holder, for pre-flight checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenInfo {
    /// The client the token was issued to (`azp`, else `client_id`, else `sub` without
    /// `@clients`), falling back to `AUTH0_CLIENT_ID`. `None` for an opaque token.
    pub client_id: Option<String>,
    /// The `scope` claim as a set (empty when absent or opaque).
    pub scopes: BTreeSet<String>,
}

#[derive(Deserialize)]
struct Claims {
    azp: Option<String>,
    client_id: Option<String>,
    sub: Option<String>,
    scope: Option<String>,
}

impl TokenInfo {
    /// Reads the payload of a JWT **without verifying it**.
    ///
    /// Verification is the tenant's job: every request presents the token and Auth0 rejects a
    /// forged one. m2mctl only uses these claims to fail early (missing scopes, lockout guard)
    /// rather than half-way through an apply, so a lie here can only make m2mctl refuse work
    /// the tenant would have refused anyway. `fallback_client_id` covers opaque tokens.
    pub fn decode_unverified(token: &Secret, fallback_client_id: Option<&str>) -> TokenInfo {
        let claims = token
            .expose()
            .split('.')
            .nth(1)
            .and_then(|payload| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok())
            .and_then(|bytes| serde_json::from_slice::<Claims>(&bytes).ok());
        let Some(claims) = claims else {
            return TokenInfo {
                client_id: fallback_client_id.map(str::to_string),
                scopes: BTreeSet::new(),
            };
        };
        let from_sub = claims
            .sub
            .as_deref()
            .and_then(|s| s.strip_suffix("@clients"))
            .map(str::to_string);
        TokenInfo {
            client_id: claims
                .azp
                .or(claims.client_id)
                .or(from_sub)
                .or_else(|| fallback_client_id.map(str::to_string)),
            scopes: claims
                .scope
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> Secret {
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        Secret::new(format!(
            "{}.{}.sig",
            enc(r#"{"alg":"RS256"}"#),
            enc(payload)
        ))
    }

    #[test]
    fn precedence_token_then_client_credentials_then_error() {
        let some = |s: &str| Some(s.to_string());
        let c = Credentials::from_values("t", some("tok"), some("id"), some("sec")).unwrap();
        assert!(matches!(c, Credentials::AccessToken(ref t) if t.expose() == "tok"));
        let c = Credentials::from_values("t", None, some(" id "), some("sec")).unwrap();
        assert_eq!(c.client_id(), Some("id"));
        for (id, secret) in [(some("id"), None), (None, some("sec")), (None, None)] {
            let err = Credentials::from_values("acme.auth0.com", None, id, secret).unwrap_err();
            assert!(err.to_string().contains("acme.auth0.com"), "{err}");
            let help = miette::Diagnostic::help(&err).unwrap().to_string();
            assert!(help.contains("AUTH0_CLIENT_SECRET") && help.contains("AUTH0_ACCESS_TOKEN"));
        }
        let err = Credentials::from_values("t", some("two words"), None, None).unwrap_err();
        assert!(!err.to_string().contains("two words"), "{err}");
    }

    #[test]
    fn decodes_azp_and_scopes_without_verifying() {
        let t = jwt(r#"{"azp":"abc","sub":"abc@clients","scope":"read:clients  create:clients"}"#);
        let info = TokenInfo::decode_unverified(&t, Some("fallback"));
        assert_eq!(info.client_id.as_deref(), Some("abc"));
        assert_eq!(
            info.scopes.iter().map(String::as_str).collect::<Vec<_>>(),
            ["create:clients", "read:clients"]
        );
    }

    #[test]
    fn falls_back_to_client_id_claim_sub_and_env_value() {
        let t = jwt(r#"{"client_id":"rfc9068"}"#);
        assert_eq!(
            TokenInfo::decode_unverified(&t, None).client_id.as_deref(),
            Some("rfc9068")
        );
        let t = jwt(r#"{"sub":"xyz@clients"}"#);
        assert_eq!(
            TokenInfo::decode_unverified(&t, None).client_id.as_deref(),
            Some("xyz")
        );
        let t = jwt(r#"{"sub":"auth0|user"}"#);
        assert_eq!(
            TokenInfo::decode_unverified(&t, Some("env"))
                .client_id
                .as_deref(),
            Some("env")
        );
        let opaque = Secret::new("opaque-token");
        let info = TokenInfo::decode_unverified(&opaque, Some("env"));
        assert_eq!(info.client_id.as_deref(), Some("env"));
        assert!(info.scopes.is_empty());
        assert_eq!(
            TokenInfo::decode_unverified(&opaque, None),
            TokenInfo::default()
        );
    }
}
