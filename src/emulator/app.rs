//! The shared state behind the router ([`AppState`]) and the route table ([`router`]).
//!
//! Owns locking discipline (short `RwLock` sections, never held across `.await`) and the commit
//! step every write goes through. Must not hold endpoint logic; the endpoint modules do.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::assertion::Replay;
use super::error::{ApiError, Error, bytes_response, no_content};
use super::faults::Faults;
use super::jwt::Signer;
use super::layer;
use super::persist::Persister;
use super::propagation::Propagation;
use super::ratelimit::{AUTHENTICATION_LIMIT, Limiter, MANAGEMENT_LIMIT};
use super::stats::Stats;
use super::store::Tenant;
use super::{
    clients, credentials, grants, logs, logs_api, oauth, organizations, resource_servers,
    signing_keys, stats,
};

/// What a write handler's edit did, for [`AppState::update`].
#[derive(Debug)]
pub enum Edit<T> {
    /// The tenant changed: persist before answering with the value.
    Changed(T),
    /// Nothing changed (deleting an unknown id): answer with the value at once.
    Unchanged(T),
}

impl Edit<Response> {
    /// The answer to a DELETE: 204 whether or not `removed` (Auth0's deletes are idempotent);
    /// only a real removal is persisted before answering.
    pub fn deleted(removed: bool) -> Edit<Response> {
        if removed {
            Edit::Changed(no_content())
        } else {
            Edit::Unchanged(no_content())
        }
    }
}

/// Everything a request handler can reach.
#[derive(Debug)]
pub struct AppState {
    tenant: RwLock<Tenant>,
    /// Token signer/verifier of the current key ring (swapped when the keys rotate).
    signer: RwLock<Arc<Signer>>,
    /// `{scheme}://{domain}/`: `https` as Auth0, `http` when served over plain HTTP.
    pub issuer: String,
    /// `https://{domain}/api/v2/`.
    pub audience: String,
    /// The Management API's token bucket (`/api/v2/*`): enforced with `--rate-limit`, otherwise
    /// Auth0's advertised size, never refusing.
    pub limiter: Limiter,
    /// The Authentication API's own bucket (`/oauth/token`, JWKS, discovery): the same
    /// configuration when enforced, otherwise Auth0's advertised size for that API.
    pub auth_limiter: Limiter,
    /// Fault injector, when faults are on.
    pub faults: Option<Faults>,
    /// Per-route counters of `/__m2mctl/stats`.
    pub stats: Stats,
    /// Where the emulator is served, set once by `spawn` (see `discovery`).
    pub(crate) base_url: std::sync::OnceLock<String>,
    /// When rotated secrets start working (`--secret-propagation`).
    pub propagation: Propagation,
    /// Client-assertion `jti`s already used.
    pub assertions: Replay,
    persister: Option<Persister>,
    /// Tenant logs (`sapi`, `seccft`, `feccft`), in memory.
    pub logs: super::logs::Logs,
}

impl AppState {
    /// Wraps a tenant (already homed on its domain) served over `scheme` (`http` or `https`: the
    /// tokens' `iss` is `{scheme}://{domain}/`, so it names where the tenant is really served).
    pub fn new(
        tenant: Tenant,
        scheme: &str,
        limiter: Option<Limiter>,
        faults: Option<Faults>,
        persister: Option<Persister>,
    ) -> Result<Arc<AppState>, Error> {
        let signer = RwLock::new(Arc::new(super::signing_keys::signer(&tenant)?));
        Ok(Arc::new(AppState {
            issuer: format!("{scheme}://{}/", tenant.domain),
            audience: tenant.management_audience(),
            tenant: RwLock::new(tenant),
            signer,
            auth_limiter: limiter
                .as_ref()
                .map_or_else(|| Limiter::unlimited(AUTHENTICATION_LIMIT), Limiter::twin),
            limiter: limiter.unwrap_or_else(|| Limiter::unlimited(MANAGEMENT_LIMIT)),
            faults,
            stats: Stats::default(),
            base_url: std::sync::OnceLock::new(),
            propagation: Propagation::default(),
            assertions: Replay::default(),
            persister,
            logs: Default::default(),
        }))
    }

    /// An in-memory tenant at `domain` (router-level tests; `https` issuer): no limits, no faults,
    /// no file.
    #[cfg(test)]
    pub fn in_memory(
        domain: &str,
        bootstrap: Option<(String, String)>,
    ) -> Result<Arc<AppState>, Error> {
        let mut tenant = Tenant::new(domain, super::jwt::process_key()?, bootstrap);
        super::signing_keys::ensure_ring(&mut tenant, super::jwt::process_next_key)?;
        AppState::new(tenant, "https", None, None, None)
    }

    /// The signer of the current key ring.
    pub fn signer(&self) -> Arc<Signer> {
        self.signer
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the signer (the key ring changed).
    pub fn set_signer(&self, signer: Signer) {
        *self.signer.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(signer);
    }

    /// Shared read access (concurrent with other readers).
    pub fn read(&self) -> RwLockReadGuard<'_, Tenant> {
        self.tenant.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Exclusive access for a write; keep the section short and call [`AppState::commit`] after
    /// (handlers use [`AppState::update`], which does both).
    pub fn write(&self) -> RwLockWriteGuard<'_, Tenant> {
        self.tenant.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a write handler's `edit` under the write lock (released before awaiting). When the
    /// tenant changed, bumps its version and waits until the state file holds it, so the answer
    /// is only sent once the write is durable; an unchanged tenant is answered at once.
    pub async fn update<T>(
        &self,
        edit: impl FnOnce(&mut Tenant) -> Result<Edit<T>, ApiError>,
    ) -> Result<T, ApiError> {
        let (value, version) = {
            let mut tenant = self.write();
            match edit(&mut tenant)? {
                Edit::Changed(value) => (value, tenant.touch()),
                Edit::Unchanged(value) => return Ok(value),
            }
        };
        self.commit(version).await?;
        Ok(value)
    }

    /// Waits until the state file holds `version` (no-op in memory). Writes are answered only after.
    pub async fn commit(&self, version: u64) -> Result<(), ApiError> {
        match &self.persister {
            Some(p) => p
                .wait_for(version)
                .await
                .map_err(|e| ApiError::internal(format!("cannot persist the tenant state: {e}"))),
            None => Ok(()),
        }
    }

    /// The persister, if the tenant is saved to a file.
    pub fn persister(&self) -> Option<&Persister> {
        self.persister.as_ref()
    }
}

/// The whole HTTP surface: Auth0's paths plus `/__m2mctl/stats`.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/oauth/token", post(oauth::token))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .route(super::discovery::PATH, get(super::discovery::get))
        .route("/api/v2/clients", get(clients::list).post(clients::create))
        .route(
            "/api/v2/clients/{id}",
            get(clients::get_one)
                .patch(clients::patch)
                .delete(clients::delete),
        )
        .route(
            "/api/v2/clients/{id}/rotate-secret",
            post(clients::rotate_secret),
        )
        .route(
            "/api/v2/clients/{id}/credentials",
            get(credentials::list).post(credentials::create),
        )
        .route(
            "/api/v2/clients/{id}/credentials/{credential_id}",
            get(credentials::get_one)
                .patch(credentials::patch)
                .delete(credentials::delete),
        )
        .route(
            "/api/v2/client-grants",
            get(grants::list).post(grants::create),
        )
        .route(
            "/api/v2/client-grants/{id}",
            get(grants::get_one)
                .patch(grants::patch)
                .delete(grants::delete),
        )
        .route(
            "/api/v2/client-grants/{id}/organizations",
            get(organizations::of_grant),
        )
        .route(
            "/api/v2/organizations",
            get(organizations::list).post(organizations::create),
        )
        .route(
            "/api/v2/organizations/{id}",
            get(organizations::get_one).delete(organizations::delete),
        )
        .route(
            "/api/v2/organizations/{id}/client-grants",
            get(organizations::grants).post(organizations::associate),
        )
        .route(
            "/api/v2/organizations/{id}/client-grants/{grant_id}",
            axum::routing::delete(organizations::dissociate),
        )
        .route(
            "/api/v2/resource-servers",
            get(resource_servers::list).post(resource_servers::create),
        )
        .route(
            "/api/v2/resource-servers/{id}",
            get(resource_servers::get_one)
                .patch(resource_servers::patch)
                .delete(resource_servers::delete),
        )
        .route("/api/v2/keys/signing", get(signing_keys::list))
        .route(
            "/api/v2/keys/signing/rotate",
            post(signing_keys::rotate_handler),
        )
        .route("/api/v2/keys/signing/{kid}", get(signing_keys::get_one))
        .route(
            "/api/v2/keys/signing/{kid}/revoke",
            axum::routing::put(signing_keys::revoke),
        )
        .route("/api/v2/logs", get(logs_api::list))
        .route("/api/v2/logs/{id}", get(logs_api::get_one))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            logs::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layer::outer,
        ));
    Router::new()
        .route("/__m2mctl/stats", get(stats::get))
        .route("/__m2mctl/stats/reset", post(stats::reset))
        .merge(api)
        .with_state(state)
}

async fn not_found() -> Response {
    let body = br#"{"statusCode":404,"error":"Not Found","message":"Not Found"}"#;
    bytes_response(StatusCode::NOT_FOUND, body.to_vec()).into_response()
}
