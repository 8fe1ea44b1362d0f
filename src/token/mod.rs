//! Access tokens for managed applications: which (application, API) pairs to serve, the
//! client-credentials exchange, the on-disk cache, claim checks and the output formats.
//!
//! Owns everything `m2mctl token` and `m2mctl credentials` know beyond argument plumbing. The
//! selection, claim checks and renderers are pure; only `cache` (one file) and `exchange` (the
//! tenant) do I/O. Must never put a token or a secret into a log line, an error or a `Debug`
//! string: they travel as [`Secret`], whose `Debug` is redacted.

pub mod cache;
pub mod envname;
mod error;
pub mod exchange;
pub mod granted;
pub mod key_auth;
pub mod output;
pub mod remote;
pub mod select;
pub mod service_env;
pub mod verify;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::{ApiRef, AuthMethod};
use crate::tenant::Secret;

pub use error::TokenError;

/// The label of the Management API in the config, on the command line and in outputs.
pub const MANAGEMENT: &str = "management";

/// One (application, API) pair a token is served for, resolved against config and tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The application's stable key.
    pub app_key: String,
    /// The application's display name.
    pub app_name: String,
    /// Its Auth0 client id.
    pub client_id: String,
    /// How it authenticates at `/oauth/token`.
    pub auth_method: AuthMethod,
    /// The API as the config names it.
    pub api: ApiRef,
    /// The audience the token is requested for (the Management API resolved to its URL).
    pub audience: String,
    /// The declared scopes of the grant.
    pub scopes: BTreeSet<String>,
    /// The scopes the tenant's grant holds right now.
    pub tenant_scopes: BTreeSet<String>,
    /// The declared token lifetime of the API, when the config sets one.
    pub lifetime: Option<u32>,
    /// For a `private_key_jwt` application: the key its client assertions are signed with.
    pub signing: Option<Signing>,
    /// The organization (id or name) to ask the token in the name of (`--organization`).
    pub organization: Option<String>,
}

/// The key a `private_key_jwt` application signs client assertions with: the last key of its
/// `authentication.keys` that has a `private_key_file` (the newest, during a rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    /// The key's `name` in the config.
    pub name: String,
    /// `private_key_file` as the config writes it (relative to the config's directory).
    pub file: String,
    /// The key's algorithm.
    pub alg: crate::keys::KeyAlg,
    /// The thumbprint of its public key in the config: the private key must match it.
    pub kid: String,
}

impl Signing {
    /// The signing key of an application (`None` when no key has a `private_key_file`).
    pub fn of(app: &crate::model::DesiredApp) -> Option<Signing> {
        let key = app
            .keys
            .iter()
            .rev()
            .find(|k| k.private_key_file.is_some())?;
        Some(Signing {
            name: key.name.clone(),
            file: key.private_key_file.clone()?,
            alg: key.alg,
            kid: key.kid.clone(),
        })
    }
}

impl Pair {
    /// `management` or the API identifier.
    pub fn api_label(&self) -> &str {
        api_label(&self.api)
    }
}

/// `management` or the API identifier.
pub fn api_label(api: &ApiRef) -> &str {
    match api {
        ApiRef::Management => MANAGEMENT,
        ApiRef::Identifier(id) => id,
    }
}

/// Where a served token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Reused from the cache: no request to `/oauth/token`.
    Cache,
    /// Requested from the tenant in this run.
    New,
}

impl Source {
    /// `cache` or `new`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cache => "cache",
            Source::New => "new",
        }
    }
}

/// A token served for a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The pair.
    pub pair: Pair,
    /// The token.
    pub access_token: Secret,
    /// The scopes the token carries (from the token response or the cache).
    pub scopes: BTreeSet<String>,
    /// Unix time (seconds) when it expires.
    pub expires_at: i64,
    /// Cache or new.
    pub source: Source,
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A space-separated scope string as a set (Auth0's `scope` claim and response field).
pub fn scope_set(scope: &str) -> BTreeSet<String> {
    scope.split_whitespace().map(str::to_string).collect()
}

/// A scope set as one space-separated string, sorted.
pub fn scope_string(scopes: &BTreeSet<String>) -> String {
    scopes
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_strings_round_trip_as_sets() {
        let set = scope_set("  write:x read:x  read:x ");
        assert_eq!(set.len(), 2);
        assert_eq!(scope_string(&set), "read:x write:x");
        assert!(scope_set("").is_empty());
    }
}
