//! m2mctl's own Management API token when it authenticates with client credentials: taken from
//! the token cache while more than a minute remains, else exchanged and cached; renewed once when
//! the tenant answers 401 (expired or revoked).
//!
//! Owns the cache entry of m2mctl's own client (keyed by tenant domain, client id and Management
//! API audience, in the same 0600 file as application tokens) and the renewal rule: a request
//! refused with 401 gets one fresh token and one retry, and concurrent refusals of the same
//! token share one renewal. Must not log or return a token except as a [`Secret`]; a cache that
//! cannot be read or written is a debug line, never an error.

use std::path::PathBuf;

use crate::token::cache::{Cache, Entry, Key};
use crate::token::now_unix;

use super::auth::Credentials;
use super::error::{Error, Result};
use super::http::Http;
use super::oauth::{self, TokenResponse};
use super::secret::Secret;
use crate::keys::{KeyAlg, PrivateKey};

/// What proves m2mctl's own client at `/oauth/token`.
#[derive(Debug, Clone)]
pub(crate) enum OwnProof {
    /// Its secret (`AUTH0_CLIENT_SECRET`).
    Secret(Secret),
    /// Its private key (`AUTH0_CLIENT_SIGNING_KEY_PATH`): a fresh client assertion per exchange.
    Key(PrivateKey, KeyAlg),
}

/// The client id and proof of client credentials, or the ready-made token.
pub(crate) fn proof_of(
    credentials: &Credentials,
) -> std::result::Result<(String, OwnProof), Secret> {
    match credentials {
        Credentials::AccessToken(token) => Err(token.clone()),
        Credentials::ClientCredentials {
            client_id,
            client_secret,
        } => Ok((client_id.clone(), OwnProof::Secret(client_secret.clone()))),
        Credentials::SignedAssertion {
            client_id,
            key,
            alg,
        } => Ok((client_id.clone(), OwnProof::Key(key.clone(), *alg))),
    }
}

/// How to get (and get again) m2mctl's own token.
#[derive(Debug, Clone)]
pub(crate) struct OwnToken {
    /// The M2M application m2mctl authenticates as.
    pub client_id: String,
    /// Its secret or private key.
    pub proof: OwnProof,
    /// The Management API audience.
    pub audience: String,
    /// The tenant's issuer (`https://{domain}/`): the `aud` of a client assertion.
    pub issuer: String,
    /// The tenant domain of the cache key (`host[:port]`).
    pub domain: String,
    /// The token cache directory; `None` with `--no-cache`.
    pub cache_dir: Option<PathBuf>,
}

impl OwnToken {
    fn key(&self) -> Key {
        Key {
            domain: self.domain.clone(),
            client_id: self.client_id.clone(),
            audience: self.audience.clone(),
            organization: None,
        }
    }

    /// A cached token with more than a minute left, whatever its scopes.
    pub(super) fn cached(&self) -> Option<Secret> {
        let dir = self.cache_dir.as_ref()?;
        Cache::load_or_warn(dir)
            .lookup_any_scopes(&self.key(), now_unix())
            .map(|e| e.access_token.clone())
    }

    /// Exchanges the credentials for a new token and caches it.
    pub(super) async fn fresh(&self, http: &Http) -> Result<Secret> {
        let assertion;
        let proof = match &self.proof {
            OwnProof::Secret(secret) => oauth::Proof::SecretPost(secret),
            OwnProof::Key(key, alg) => {
                assertion = key
                    .assertion(*alg, &self.client_id, &self.issuer, now_unix())
                    .map_err(|e| Error::SigningKey {
                        reason: e.to_string(),
                    })?;
                oauth::Proof::Assertion(&assertion)
            }
        };
        let response = oauth::exchange(http, &self.client_id, proof, &self.audience).await?;
        self.store(&response);
        Ok(response.access_token)
    }

    /// The cached token (`true`), else a fresh one (`false`).
    pub(super) async fn obtain(&self, http: &Http) -> Result<(Secret, bool)> {
        match self.cached() {
            Some(token) => {
                tracing::debug!("using m2mctl's cached Management API token");
                Ok((token, true))
            }
            None => Ok((self.fresh(http).await?, false)),
        }
    }

    fn store(&self, response: &TokenResponse) {
        let Some(dir) = &self.cache_dir else { return };
        let now = now_unix();
        let (mut cache, _ignored) = Cache::load(dir);
        cache.insert(Entry {
            key: self.key(),
            access_token: response.access_token.clone(),
            scopes: response.scope.clone(),
            expires_at: now.saturating_add(i64::try_from(response.expires_in).unwrap_or(i64::MAX)),
        });
        if let Err(e) = cache.save(now) {
            tracing::debug!(
                "cannot cache m2mctl's own token in `{}`: {e}",
                dir.display()
            );
        }
    }
}
