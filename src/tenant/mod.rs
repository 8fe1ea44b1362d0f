//! Management API client: domain handling, auth, the rate governor, retries, typed errors,
//! reading a whole tenant in the fewest requests, typed writes, tokens and the local tenant.
//!
//! Owns every HTTP request m2mctl makes to a tenant. Must not decide what to change (that is
//! `plan`), in which order (that is `apply`), or print anything but the one "using the local
//! tenant" line; never logs or returns a secret except through [`Secret`].
//!
//! Layout: `domain` (addresses), `secret`, `auth` (credentials, token claims), `error`,
//! `backoff` (retry maths), `governor` (rate limits), `http` (the one send helper), `reply`
//! (decoding and Auth0 error bodies), `tls` (handshake failures are not retried), `read`
//! (`read_state`), `write` (creates, updates, deletes, lookups), `oauth` (`/oauth/token`, secrets,
//! JWKS), `local` (`connect`: the embedded local tenant or a remote one), `passthrough` (raw
//! requests of `m2mctl api`), `decode` (Auth0's answers into the model, in every shape they come
//! in; the replay test holds it to real recordings).

mod auth;
mod backoff;
pub mod decode;
mod domain;
mod error;
mod governor;
mod http;
mod local;
mod local_served;
pub mod logs;
mod oauth;
mod own_token;
mod passthrough;
mod read;
mod reply;
mod rotate;
mod secret;
mod tls;
mod write;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use auth::{Credentials, TokenInfo};
pub use domain::TenantUrl;
pub use error::{Error, Result};
pub use governor::DEFAULT_CONCURRENCY;
pub use http::{Metrics, USER_AGENT_VALUE};
pub use local::{Connection, LOCAL_STATE_FILE, connect};
pub use oauth::{ClientKeys, TokenResponse};
pub use passthrough::{Passthrough, RawReply, SHOWN_HEADERS};
pub use read::floor_requests;
pub use secret::Secret;

use crate::cli::TenantArgs;
use governor::Governor;
use http::Http;
use own_token::OwnToken;

/// Connection settings beyond the domain and credentials.
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

impl Options {
    /// From the shared `--ca-cert` / `--max-rps` flags.
    pub fn from_args(args: &TenantArgs) -> Options {
        Options {
            ca_cert: args.ca_cert.clone(),
            max_rps: args.max_rps,
            concurrency: DEFAULT_CONCURRENCY,
            token_cache: if args.no_cache {
                None
            } else {
                crate::token::cache::default_dir()
            },
        }
    }
}

/// A Management API client for one tenant. Cheap to clone; clones share the token, the rate
/// governor, the concurrency bound and the counters.
#[derive(Debug, Clone)]
pub struct Client {
    http: Arc<Http>,
    info: Arc<TokenInfo>,
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
        let (http, token) = match &credentials {
            Credentials::AccessToken(token) => (Arc::new(http), token.clone()),
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let own = OwnToken {
                    client_id: client_id.clone(),
                    client_secret: client_secret.clone(),
                    audience: http.base.management_audience(),
                    domain: http.base.authority().to_string(),
                    cache_dir: options.token_cache.clone(),
                };
                let http = Arc::new(http.with_renewal(own.clone()));
                let token = own.obtain(&http).await?;
                (http, token)
            }
        };
        let info = TokenInfo::decode_unverified(&token, credentials.client_id());
        http.set_token(token);
        Ok(Client {
            http,
            info: Arc::new(info),
        })
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
    pub fn scopes(&self) -> &BTreeSet<String> {
        &self.info.scopes
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
