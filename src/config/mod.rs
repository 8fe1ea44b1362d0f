//! The config file: YAML model (serde + schemars), `${VAR}` substitution, spans, validation.
//!
//! Owns turning `m2mctl.yaml` into a `DesiredState`, or into diagnostics that point at the exact
//! line and column of the file as written. Must not touch the network or the tenant; the only
//! I/O is `load` reading the file, the public key files it names (through `KeyFiles`), and
//! `Vars::from_env_and_args` reading the environment.
//!
//! Pipeline (`load_str`), each step collecting every problem it can before stopping:
//! 1. `subst`: scan the YAML events of the original text, expand `${VAR}` / `${VAR:-default}` /
//!    `$${` inside scalar values only, and rewrite changed scalars into a copy of the text while
//!    recording a `SpanMap` (substituted offsets -> original offsets). Undefined variables are
//!    reported at their own `${...}` span. Substituting before typing makes
//!    `token_lifetime: ${TTL}` a number.
//! 2. `scalars`: booleans must be YAML 1.2 `true`/`false` and integers plain decimal (no
//!    `yes`, `on`, `'true'`, `'3600'`, `0x10`): serde-saphyr would coerce them silently.
//! 3. serde-saphyr parses the substituted text into `model::ConfigFile`, whose values are
//!    `Spanned`; syntax, type, unknown-key and duplicate-key errors become one finding whose span
//!    goes through the `SpanMap`.
//! 4. `validate` / `apps` / `lifetimes` apply DESIGN.md's rules, mapping every value's span back
//!    through the `SpanMap`, and build the `DesiredState`.
//!
//! Diagnostics therefore always show the original text (never substituted values) with labels
//! on it; a span inside a rewritten scalar widens to the whole original scalar.

mod apps;
mod auth;
mod deliver;
mod diagnostics;
mod endpoints;
mod lifetimes;
pub mod model;
mod organizations;
mod parse_errors;
mod scalars;
pub(crate) mod schema;
mod subst;
mod validate;
mod vars;

use std::path::Path;
use std::sync::Arc;

pub use auth::KeyFiles;
pub use diagnostics::{Error, Finding, Invalid, Label, Problem, count_noun, render};
pub use model::{
    ApiConfig, AppConfig, AuthMethod, AuthenticationConfig, ConfigFile, DeliverConfig, GrantConfig,
    KeyAlg, KeyConfig, KubernetesSecretConfig, ScopeConfig, SettingsConfig, Sp, TenantConfig, sp,
    to_yaml,
};
pub use schema::{SCHEMA_PATH, schema_json};
pub use vars::Vars;

use crate::model::DesiredState;

/// A loaded, valid config.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What the file asks for.
    pub desired: DesiredState,
    /// The parsed file (values with locations in the substituted text).
    pub config: ConfigFile,
    /// The file name used in diagnostics.
    pub name: String,
    /// The original text.
    pub source: Arc<str>,
    /// The substituted text the values' locations refer to, and its map back to `source`.
    spans: Arc<(String, subst::SpanMap)>,
}

impl Loaded {
    /// The byte range of a parsed value in the original text (`0..0` for values built in code).
    pub fn span<T>(&self, value: &Sp<T>) -> std::ops::Range<usize> {
        let (text, map) = &*self.spans;
        parse_errors::location_range(&value.referenced, text)
            .map(|r| map.to_orig(r))
            .unwrap_or(0..0)
    }

    /// Number of grants over all applications.
    pub fn grant_count(&self) -> usize {
        self.desired
            .applications
            .iter()
            .map(|a| a.grants.len())
            .sum()
    }

    /// `3 applications, 2 APIs, 4 grants`.
    pub fn summary(&self) -> String {
        format!(
            "{}, {}, {}",
            count_noun(self.desired.applications.len(), "application"),
            count_noun(self.desired.apis.len(), "API"),
            count_noun(self.grant_count(), "grant"),
        )
    }
}

/// Reads, substitutes, parses and validates the config at `path`.
pub fn load(path: &Path, vars: &Vars) -> Result<Loaded, Error> {
    let name = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|source| {
        let help = match source.kind() {
            std::io::ErrorKind::NotFound => format!(
                "create it (see `examples/quickstart.yaml`), or pass another file with `-f`; `{name}` does not exist"
            ),
            std::io::ErrorKind::InvalidData => "the config must be UTF-8 text".to_string(),
            _ => "check the path and its permissions".to_string(),
        };
        Error::Read {
            path: name.clone(),
            source,
            help,
        }
    })?;
    load_str(&name, &source, vars)
}

/// Public key files beside a config: paths relative to the directory of the config `name`s.
#[derive(Debug, Clone)]
pub struct KeyDir(pub std::path::PathBuf);

impl KeyDir {
    /// The directory of the config file `name` (`.` for a bare file name).
    pub fn of(name: &str) -> KeyDir {
        match Path::new(name).parent() {
            Some(dir) if !dir.as_os_str().is_empty() => KeyDir(dir.to_path_buf()),
            _ => KeyDir(".".into()),
        }
    }
}

impl KeyFiles for KeyDir {
    fn read(&self, path: &str) -> std::io::Result<String> {
        std::fs::read_to_string(self.0.join(path))
    }
}

/// Parser limits: room for 100,000 applications; the other budgets (depth, aliases) stay default.
fn parse_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 5_000_000;
    budget.max_events = 10_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.emit_comments = false;
    options
}

/// Substitutes, parses and validates config text; `name` labels diagnostics, and public key
/// files are read relative to its directory ([`load_with`] takes another reader).
pub fn load_str(name: &str, source: &str, vars: &Vars) -> Result<Loaded, Error> {
    let now = time::OffsetDateTime::now_utc();
    load_with(name, source, vars, &KeyDir::of(name), now)
}

/// [`load_str`] with the public key files read by `key_files` and keys' `expires_at` checked
/// against `now` (pure when `key_files` is).
pub fn load_with(
    name: &str,
    source: &str,
    vars: &Vars,
    key_files: &dyn KeyFiles,
    now: time::OffsetDateTime,
) -> Result<Loaded, Error> {
    let shared: Arc<str> = Arc::from(source);
    let fail = |findings: Vec<Finding>| Error::invalid(name, &shared, findings);
    let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    if source.lines().all(blank) {
        return Err(fail(vec![
            Finding::new("config::empty", "the config is empty")
                .label(0..0, "nothing here")
                .help("start with `version: 1` (see `examples/quickstart.yaml`)"),
        ]));
    }
    let (text, map) = subst::substitute(source, vars).map_err(fail)?;
    let loose = scalars::check(&text, source, &map);
    if !loose.is_empty() {
        return Err(fail(loose));
    }
    let config: ConfigFile = serde_saphyr::from_str_with_options(&text, parse_options())
        .map_err(|e| fail(vec![parse_errors::parse_finding(&e, source, &text, &map)]))?;
    let mut checker = validate::Checker {
        map: &map,
        text: &text,
        source,
        findings: Vec::new(),
        key_files,
        now,
    };
    let desired = validate::check(&config, &mut checker);
    if !checker.findings.is_empty() {
        return Err(fail(checker.findings));
    }
    Ok(Loaded {
        desired,
        config,
        name: name.to_string(),
        source: shared,
        spans: Arc::new((text.into_owned(), map)),
    })
}

/// The byte range of a value parsed straight from `text` (no substitution), `0..0` when unknown.
pub fn span_in<T>(value: &Sp<T>, text: &str) -> std::ops::Range<usize> {
    parse_errors::location_range(&value.referenced, text).unwrap_or(0..0)
}

/// Parses a YAML file of another shape (e.g. a `--policy` file) with the config's parser limits
/// and diagnostics: no `${VAR}` substitution, every error at its line.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(name: &str, source: &str) -> Result<T, Error> {
    let shared: Arc<str> = Arc::from(source);
    let map = subst::SpanMap::default();
    serde_saphyr::from_str_with_options(source, parse_options()).map_err(|e| {
        let finding = parse_errors::parse_finding(&e, source, source, &map);
        Error::invalid(name, &shared, vec![finding])
    })
}

#[cfg(test)]
mod tests;
