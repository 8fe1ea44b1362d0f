//! Management API client: domain handling, auth, the rate governor, retries, typed errors,
//! reading a whole tenant in the fewest requests, typed writes, tokens.
//!
//! Owns every HTTP request m2mctl makes to a tenant. Must not decide what to change (that is
//! `plan`), in which order (that is `apply`), or print anything; never logs or returns a secret
//! except through [`Secret`].
//!
//! Layout: `domain` (addresses), `secret`, `auth` (credentials, token claims), `error`,
//! `backoff` (retry maths), `governor` (rate limits; its pure model in `rate_model.rs`), `http`
//! (the one send helper), `reply`
//! (decoding and Auth0 error bodies), `tls` (handshake failures are not retried), `read`
//! (`read_state`), `write` (creates, updates, deletes, lookups), `oauth` (`/oauth/token`, secrets,
//! JWKS), `passthrough` (raw requests of `m2mctl api`), `probe` (does an address serve this
//! tenant), `decode` (Auth0's answers into the model,
//! in every shape they come in; the replay test holds it to real recordings). Takes its settings
//! ([`Options`], [`Credentials`]) as plain values: never reads the environment, never sees a clap
//! struct, never starts the local tenant (the command layer does, then connects a [`Client`]).

mod auth;
mod backoff;
mod credentials;
pub mod decode;
mod domain;
mod error;
mod governor;
mod http;
pub mod logs;
mod oauth;
mod own_token;
mod passthrough;
mod probe;
mod read;
mod reply;
mod rotate;
mod secret;
mod signing;
mod tls;
mod write;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

pub use auth::{Credentials, TokenInfo};
pub use domain::{TenantUrl, check_override};
pub use error::{Error, Result};
pub use governor::DEFAULT_CONCURRENCY;
pub use http::{Metrics, USER_AGENT_VALUE};
pub use oauth::{ClientKeys, TokenResponse};
pub use passthrough::{Passthrough, RawReply, SHOWN_HEADERS};
pub use probe::serves;
pub use read::floor_requests;
pub use secret::Secret;
pub use signing::ApiSigning;

use governor::Governor;
use http::Http;
use own_token::OwnToken;

/// Connection settings beyond the domain and credentials (resolved from flags and environment by
/// [`crate::settings::TenantSettings`]).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra trusted root (PEM file).
    pub ca_cert: Option<PathBuf>,
    /// Never more than this many requests per second.
    pub max_rps: Option<f64>,
    /// Requests in flight at most (0 = [`DEFAULT_CONCURRENCY`]).
    pub concurrency: usize,
    /// The token cache directory for m2mctl's own token (`None`: never cached).
    pub token_cache: Option<PathBuf>,
}

/// A Management API client for one tenant. Cheap to clone; clones share the token, the rate
/// governor, the concurrency bound and the counters.
#[derive(Debug, Clone)]
pub struct Client {
    http: Arc<Http>,
    info: Arc<TokenInfo>,
    /// The scopes of the current token (a renewal may change them).
    scopes: Arc<RwLock<Arc<BTreeSet<String>>>>,
    /// The token came from the cache and was not checked against the tenant's grant yet.
    unchecked: Arc<AtomicBool>,
}

impl Client {
    /// Connects to a tenant: builds TLS, then takes the token or exchanges client credentials
    /// for one (audience [`TenantUrl::management_audience`]).
    pub async fn connect(
        base: TenantUrl,
        credentials: Credentials,
        options: &Options,
    ) -> Result<Client> {
        let ca = match &options.ca_cert {
            Some(path) => Some(load_ca(path)?),
            None => None,
        };
        let concurrency = match options.concurrency {
            0 => DEFAULT_CONCURRENCY,
            n => n,
        };
        let http = Http::new(base, ca, Governor::new(options.max_rps, concurrency))?;
        let (http, token, cached) = match own_token::proof_of(&credentials) {
            Err(token) => (Arc::new(http), token, false),
            Ok((client_id, proof)) => {
                let own = OwnToken {
                    client_id,
                    proof,
                    audience: http.base.management_audience(),
                    issuer: http.base.issuer(),
                    domain: http.base.authority().to_string(),
                    cache_dir: options.token_cache.clone(),
                };
                let http = Arc::new(http.with_renewal(own.clone()));
                let (token, cached) = own.obtain(&http).await?;
                (http, token, cached)
            }
        };
        let info = TokenInfo::decode_unverified(&token, credentials.client_id());
        http.set_token(token);
        Ok(Client {
            http,
            scopes: Arc::new(RwLock::new(Arc::new(info.scopes.clone()))),
            info: Arc::new(info),
            unchecked: Arc::new(AtomicBool::new(cached)),
        })
    }

    /// After a read of the tenant: when the token came from the cache and its scopes differ from
    /// what the tenant's grant for m2mctl's own client holds now (scopes granted or revoked
    /// since it was cached), requests a new token. Returns whether it did.
    pub(crate) async fn renew_if_stale(
        &self,
        grants: &[crate::model::RemoteGrant],
    ) -> Result<bool> {
        if !self.unchecked.swap(false, Ordering::Relaxed) {
            return Ok(false);
        }
        let (Some(me), audience) = (self.self_client_id(), self.management_audience()) else {
            return Ok(false);
        };
        let Some(grant) = grants
            .iter()
            .find(|g| g.client_id == me && g.audience == audience)
        else {
            return Ok(false);
        };
        let granted: BTreeSet<String> = grant.scope.iter().cloned().collect();
        if granted == *self.scopes() {
            return Ok(false);
        }
        tracing::debug!("the cached Management API token's scopes differ from the grant; renewing");
        let Some(token) = self.http.renew_now().await? else {
            return Ok(false);
        };
        let info = TokenInfo::decode_unverified(&token, None);
        *self.scopes.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(info.scopes);
        Ok(true)
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantUrl {
        &self.http.base
    }

    /// The Management API identifier of this tenant.
    pub fn management_audience(&self) -> String {
        self.http.base.management_audience()
    }

    /// The client m2mctl authenticates as (token `azp`, else `AUTH0_CLIENT_ID`).
    pub fn self_client_id(&self) -> Option<&str> {
        self.info.client_id.as_deref()
    }

    /// The scopes of m2mctl's own Management API token.
    pub fn scopes(&self) -> Arc<BTreeSet<String>> {
        self.scopes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Requests sent, retries and 429s so far (all clones together).
    pub fn metrics(&self) -> Metrics {
        self.http.metrics()
    }

    /// The measured refill rate of the tenant's Management API bucket, if learnt.
    pub fn measured_rate(&self) -> Option<f64> {
        self.http.governor.rate(governor::Bucket::Management)
    }
}

/// The largest `--ca-cert` file read (1 MiB).
const MAX_CA_CERT: u64 = 1024 * 1024;

/// Reads a PEM bundle for `--ca-cert`.
fn load_ca(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let fail = |reason: String| Error::CaCert {
        path: path.to_path_buf(),
        reason,
    };
    // Bounded: a CA bundle is a few KiB; `/dev/zero` or a huge file must not be read whole.
    let mut pem = Vec::new();
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_CA_CERT + 1), &mut pem)
        .map_err(|e| fail(e.to_string()))?;
    if pem.len() as u64 > MAX_CA_CERT {
        return Err(fail(format!(
            "it is larger than {} KiB; a CA certificate file is a few KiB",
            MAX_CA_CERT / 1024
        )));
    }
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no `BEGIN CERTIFICATE` block found".into()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_cert_errors_name_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = load_ca(&missing).unwrap_err().to_string();
        assert!(err.contains("missing.pem"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = load_ca(&empty).unwrap_err().to_string();
        assert!(err.contains("no `BEGIN CERTIFICATE`"), "{err}");
    }

    #[test]
    fn ca_cert_files_over_1_mib_are_refused_without_reading_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.pem");
        let block = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        std::fs::write(&big, block.repeat(1024 * 1024 / block.len() + 1)).unwrap();
        for path in [big.as_path(), Path::new("/dev/zero")] {
            let err = load_ca(path).unwrap_err().to_string();
            assert!(err.contains("larger than 1024 KiB"), "{err}");
        }
    }
}
