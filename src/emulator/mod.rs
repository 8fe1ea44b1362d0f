//! The Auth0-compatible local tenant: Management API v2 (clients, client grants, resource servers),
//! `POST /oauth/token` (client credentials, RS256), JWKS, rate limiting, fault injection, an operator
//! stats endpoint, and crash-safe persistence.
//!
//! Owns serving a tenant over loopback (HTTP or TLS). Must not be used to talk to real Auth0 (that
//! is `tenant`), and must not print: `commands::emulator` reports what [`spawn`] returns.
//!
//! Layout: [`app`] state + routes, [`layer`] rate limit/faults/stats around every Auth0 route,
//! `clients`/`grants`/`resource_servers`/`organizations`/`oauth` endpoints (`oauth` = parameters
//! and authorization, `client_auth` who the client is, `mint` the token and its answer),
//! [`discovery`] the OpenID discovery document, [`auth`] bearer checks, [`jwt`] tokens,
//! [`signing_keys`] the key ring (current, next, previous) and `/api/v2/keys/signing`,
//! [`certificate`] a signing key's X.509 certificate,
//! [`body`] payload validation, [`list`] pagination, [`store`]/[`table`] data, [`defaults`] Auth0's
//! defaults, [`persist`] the state file, [`journal`] its journal of writes, [`lockfile`] its lock,
//! [`server`] sockets, [`tls`] certificates, [`logs`] tenant log entries (`logs_api` serves them,
//! `logs_query` filters them).

pub mod app;
pub mod assertion;
pub mod auth;
pub mod body;
pub mod certificate;
mod client_auth;
mod clients;
pub mod credentials;
pub mod defaults;
pub mod discovery;
pub mod error;
pub mod faults;
mod grants;
pub mod ids;
pub mod journal;
pub mod jwt;
pub mod layer;
pub mod list;
pub mod lockfile;
pub mod logs;
mod logs_api;
mod logs_query;
mod mint;
mod oauth;
mod organizations;
pub mod persist;
pub mod propagation;
pub mod ratelimit;
mod resource_servers;
#[cfg(test)]
mod router_tests;
#[cfg(test)]
mod router_tests_clients;
#[cfg(test)]
mod router_tests_credentials;
#[cfg(test)]
mod router_tests_fidelity;
#[cfg(test)]
mod router_tests_grants;
#[cfg(test)]
mod router_tests_keys;
#[cfg(test)]
mod router_tests_order;
#[cfg(test)]
mod router_tests_organizations;
#[cfg(test)]
mod router_tests_tokens;
pub mod server;
pub mod signing_keys;
pub mod stats;
pub mod store;
pub mod table;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use app::{AppState, router};
pub use error::{ApiError, Error, OAuthError};
pub use faults::FaultSpec;
pub use ratelimit::RateLimit;
pub use tls::TlsMode;

use persist::{Persister, PersisterTask};
use store::Tenant;

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind; port 0 picks a free one.
    pub listen: SocketAddr,
    /// JSON state file; `None` keeps the tenant in memory.
    pub state: Option<PathBuf>,
    /// Plain HTTP or TLS.
    pub tls: TlsMode,
    /// Fixed bootstrap client id and secret (random ones otherwise, made once per state).
    pub bootstrap: Option<(String, String)>,
    /// Token bucket; `None` = no limit (the `x-ratelimit-*` headers still name Auth0's bucket
    /// sizes, 50 for the Management API and 100 for the Authentication API).
    pub rate_limit: Option<RateLimit>,
    /// Injected faults.
    pub faults: Option<FaultSpec>,
    /// Seed of the fault injector.
    pub seed: u64,
    /// How long a rotated secret is refused before it works (none: at once).
    pub secret_propagation: Option<std::time::Duration>,
}

impl EmulatorConfig {
    /// In memory, plain HTTP, no limits, no faults.
    pub fn local(listen: SocketAddr) -> EmulatorConfig {
        EmulatorConfig {
            listen,
            state: None,
            tls: TlsMode::Off,
            bootstrap: None,
            rate_limit: None,
            faults: None,
            seed: 0,
            secret_propagation: None,
        }
    }
}

/// A running emulator. Dropping it stops serving (without the final flush of [`Emulator::shutdown`];
/// every answered write is already on disk).
pub struct Emulator {
    base_url: String,
    domain: String,
    bootstrap_id: String,
    bootstrap_secret: String,
    secret_generated: bool,
    cert_pem: Option<String>,
    cert_path: Option<PathBuf>,
    state_path: Option<PathBuf>,
    app: Arc<AppState>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    persister: Option<JoinHandle<()>>,
}

/// Binds, loads or creates the tenant, and serves it; returns once the socket accepts connections.
pub async fn spawn(config: EmulatorConfig) -> Result<Emulator, Error> {
    let (listener, domain) = bind(config.listen).await?;
    // A `lost` fault drops the connection of one request; on HTTP/2 that would drop every
    // request multiplexed on it, so with lost faults the emulator speaks HTTP/1.1 only.
    let http2 = config.faults.as_ref().is_none_or(|f| f.lost <= 0.0);
    let tls = tls::setup(&config.tls, http2)?;
    let (tenant, files) = open_tenant(&config, &domain)?;
    let (bootstrap_id, bootstrap_secret) = bootstrap_credentials(&tenant);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let (persister, task) = files.unzip();
    let app = app_state(&config, tenant, scheme, persister)?;
    let persister = task.map(|t| tokio::spawn(t.run(Arc::downgrade(&app))));
    let (stop, stop_rx) = watch::channel(false);
    let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
    let server = tokio::spawn(server::serve(
        listener,
        acceptor,
        router(app.clone()),
        stop_rx,
    ));
    let base_url = format!("{scheme}://{domain}");
    let _ = app.base_url.set(base_url.clone());
    Ok(Emulator {
        base_url,
        domain,
        bootstrap_id,
        bootstrap_secret,
        secret_generated: config.bootstrap.is_none(),
        cert_pem: tls.as_ref().map(|t| t.cert_pem.clone()),
        cert_path: tls.and_then(|t| t.cert_path),
        state_path: config.state,
        app,
        stop,
        server: Some(server),
        persister,
    })
}

/// Binds `listen`; returns the listener and the `host:port` clients take as the Auth0 domain.
async fn bind(listen: SocketAddr) -> Result<(TcpListener, String), Error> {
    let bind_error = |source| Error::Bind {
        addr: listen,
        source,
    };
    let listener = TcpListener::bind(listen).await.map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    Ok((listener, domain_of(addr)))
}

/// `host:port` of a bound address: an unspecified address is reached at 127.0.0.1, an IPv6
/// one in brackets.
fn domain_of(addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    format!("{host}:{}", addr.port())
}

/// The tenant to serve at `domain`, its key ring complete: from the state file (re-homed, with
/// the fixed bootstrap credentials, its saver started), else new and in memory.
fn open_tenant(
    config: &EmulatorConfig,
    domain: &str,
) -> Result<(Tenant, Option<(Persister, PersisterTask)>), Error> {
    let Some(path) = &config.state else {
        let mut tenant = Tenant::new(domain, jwt::process_key()?, config.bootstrap.clone());
        signing_keys::ensure_ring(&mut tenant, jwt::process_next_key)?;
        return Ok((tenant, None));
    };
    let mut opened = persist::open(path)?;
    let mut tenant = match opened.tenant.take() {
        Some(mut tenant) => {
            tenant.rehome(domain);
            if let Some((id, secret)) = &config.bootstrap {
                tenant.ensure_bootstrap(id, secret);
            }
            tenant
        }
        None => Tenant::new(domain, jwt::generate_key()?, config.bootstrap.clone()),
    };
    signing_keys::ensure_ring(&mut tenant, jwt::generate_key)?;
    let files = opened.start(&mut tenant)?;
    Ok((tenant, Some(files)))
}

/// The bootstrap app's client id and secret.
fn bootstrap_credentials(tenant: &Tenant) -> (String, String) {
    let id = tenant.bootstrap_client_id.clone();
    let secret = tenant
        .clients
        .get(&id)
        .and_then(|c| c.str("client_secret"))
        .unwrap_or_default()
        .to_string();
    (id, secret)
}

/// The shared state: the tenant with the configured rate limit, faults and secret propagation.
fn app_state(
    config: &EmulatorConfig,
    tenant: Tenant,
    scheme: &str,
    persister: Option<Persister>,
) -> Result<Arc<AppState>, Error> {
    let limiter = config.rate_limit.map(ratelimit::Limiter::new);
    let faults = config
        .faults
        .clone()
        .map(|spec| faults::Faults::new(spec, config.seed));
    let app = AppState::new(tenant, scheme, limiter, faults, persister)?;
    if let Some(delay) = config.secret_propagation {
        app.propagation.set_delay(delay);
    }
    Ok(app)
}

impl Emulator {
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// `127.0.0.1:PORT` (what clients take as the Auth0 domain).
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// `https://127.0.0.1:PORT/`, or `http://…` in plain HTTP mode: the `iss` of issued tokens.
    pub fn issuer(&self) -> String {
        self.app.issuer.clone()
    }
    /// `https://127.0.0.1:PORT/api/v2/`.
    pub fn management_audience(&self) -> String {
        defaults::management_audience(&self.domain)
    }
    /// The bootstrap app's client id.
    pub fn bootstrap_client_id(&self) -> &str {
        &self.bootstrap_id
    }
    /// The bootstrap app's client secret.
    pub fn bootstrap_client_secret(&self) -> &str {
        &self.bootstrap_secret
    }
    /// Whether the bootstrap secret was generated (not given), so the user needs to be shown it.
    pub fn bootstrap_secret_generated(&self) -> bool {
        self.secret_generated
    }
    /// The TLS certificate PEM clients must trust (TLS mode only).
    pub fn cert_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }
    /// Where that certificate is on disk (`--cert-out` or `--cert`).
    pub fn cert_path(&self) -> Option<&std::path::Path> {
        self.cert_path.as_deref()
    }
    /// The state file, if persisted.
    pub fn state_path(&self) -> Option<&std::path::Path> {
        self.state_path.as_deref()
    }
    /// The shared state (for in-process inspection).
    pub fn state(&self) -> &Arc<AppState> {
        &self.app
    }

    /// Stops accepting, lets open requests finish (up to 5 s), then makes sure the state file holds
    /// every write.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(p) = self.app.persister() {
            let version = self.app.read().version;
            let flushed = p.wait_for(version).await;
            p.stop();
            if let Some(task) = self.persister.take() {
                let _ = task.await;
            }
            flushed.map_err(|reason| Error::StateWrite {
                path: p.path().to_path_buf(),
                source: std::io::Error::other(reason),
            })?;
        }
        Ok(())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(p) = self.app.persister() {
            p.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::domain_of;

    #[test]
    fn the_domain_names_an_address_clients_can_reach() {
        for (bound, domain) in [
            ("0.0.0.0:8080", "127.0.0.1:8080"),
            ("[::]:1", "127.0.0.1:1"),
            ("127.0.0.2:9", "127.0.0.2:9"),
            ("[::1]:5", "[::1]:5"),
        ] {
            let addr = bound.parse().expect("address");
            assert_eq!(domain_of(addr), domain, "{bound}");
        }
    }
}
