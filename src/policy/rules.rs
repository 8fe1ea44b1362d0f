//! The `policy:` section (and `--policy FILE`): which rules exist, their YAML shape and schema.
//!
//! Owns the serde/schemars model of a policy and where its rules were written ([`Source`]).
//! Must not check anything: `config_rules` and `tenant_rules` do.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use crate::auth0::AuthMethod;
use crate::config::{self, Loaded, Sp};

/// Rules every application and API of a config (and of its tenant) must obey.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Scopes no application may be granted, on any API (globs: `*` any text, `?` one character),
    /// e.g. `["delete:*", "write:refunds"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub forbidden_scopes: Vec<Sp<String>>,
    /// Longest access-token lifetime in seconds, for every API and application (an API without
    /// `token_lifetime` has Auth0's default of 86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "lifetime")]
    pub max_token_lifetime: Option<Sp<i64>>,
    /// Management API scopes allowed per application key (keys and scopes are globs); an
    /// application no key matches may hold no Management API scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<BTreeMap<String, Vec<String>>>")]
    pub management_scopes: Option<BTreeMap<String, Vec<Sp<String>>>>,
    /// How every application must authenticate at `/oauth/token`: `client_secret_post`,
    /// `client_secret_basic` or `private_key_jwt` (an application's `authentication.method`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<AuthMethod>")]
    pub required_authentication: Option<Sp<AuthMethod>>,
    /// Most applications that may hold Management API `create:`, `update:` or `delete:` scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "count")]
    pub max_management_writers: Option<Sp<u32>>,
    /// `metadata` keys every application must set (non-empty), e.g. `[owner]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub required_metadata: Vec<Sp<String>>,
}

fn lifetime(g: &mut SchemaGenerator) -> Schema {
    config::schema::lifetime(g)
}

fn count(g: &mut SchemaGenerator) -> Schema {
    config::schema::count(g)
}

/// A policy and the file it was written in.
#[derive(Debug, Clone)]
pub struct Source {
    /// The rules.
    pub policy: PolicyConfig,
    /// `None` for the config's own `policy:`; else the `--policy` file's name and text.
    pub file: Option<(String, Arc<str>)>,
}

impl Source {
    /// Where a rule value was written: `(file, text, byte range)`.
    pub fn locate<'a, T>(
        &'a self,
        loaded: &'a Loaded,
        value: &Sp<T>,
    ) -> (&'a str, &'a str, Range<usize>) {
        match &self.file {
            None => (&loaded.name, &loaded.source, loaded.span(value)),
            Some((name, text)) => (name, text, config::span_in(value, text)),
        }
    }
}

/// Every policy a command checks: the config's `policy:` and the `--policy` file, if any.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// The sources, config first.
    pub sources: Vec<Source>,
}

impl PolicySet {
    /// The config's own `policy:` plus `file` (read with [`load_file`]).
    pub fn of(loaded: &Loaded, file: Option<&Source>) -> PolicySet {
        let inline = loaded
            .config
            .policy
            .clone()
            .map(|policy| Source { policy, file: None });
        PolicySet {
            sources: inline.into_iter().chain(file.cloned()).collect(),
        }
    }

    /// True when no rule is set.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// Reads and parses a `--policy` file (its top level is what `policy:` holds in a config).
pub fn load_file(path: &std::path::Path) -> Result<Source, config::Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| config::Error::Read {
        path: name.clone(),
        help: "pass the policy file with `--policy FILE` (see `examples/policies/`)".to_string(),
        source,
    })?;
    let policy: PolicyConfig = config::parse_yaml(&name, &text)?;
    Ok(Source {
        policy,
        file: Some((name, Arc::from(text))),
    })
}
