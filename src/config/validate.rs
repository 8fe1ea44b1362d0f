//! The rules of DESIGN.md over a parsed config, producing the `DesiredState`.
//!
//! Owns the top-level rules (version, project, tenant, settings) and the API rules, and drives
//! `apps` (applications, grants, metadata) and `lifetimes` (folding). Every rule adds a finding
//! and checking goes on, so one run reports every problem. Pure: no I/O, no environment.

use std::collections::HashMap;
use std::ops::Range;

use time::OffsetDateTime;

use super::apps;
use super::auth::KeyFiles;
use super::deliver;
use super::diagnostics::Finding;
use super::lifetimes;
use super::model::{ApiConfig, CONFIG_VERSION, ConfigFile, MAX_TOKEN_LIFETIME, Sp};
use super::parse_errors::location_range;
use super::subst::SpanMap;
use crate::model::{DEFAULT_PROJECT, DesiredApi, DesiredState, Domain, ScopeDef, Settings};

/// Shared state of one check: where spans point and what was found so far.
pub(crate) struct Checker<'a> {
    /// Substituted offsets back to the original file.
    pub map: &'a SpanMap,
    /// The substituted text serde-saphyr parsed.
    pub text: &'a str,
    /// The original file.
    pub source: &'a str,
    /// Every problem so far.
    pub findings: Vec<Finding>,
    /// Reads the public key files the config names.
    pub key_files: &'a dyn KeyFiles,
    /// The time keys' `expires_at` must be after.
    pub now: OffsetDateTime,
}

impl Checker<'_> {
    /// The original byte range of a parsed value.
    pub(super) fn at<T>(&self, value: &Sp<T>) -> Range<usize> {
        location_range(&value.referenced, self.text)
            .map(|r| self.map.to_orig(r))
            .unwrap_or(0..0)
    }

    /// Records a problem.
    pub(super) fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Checks a display name: not empty, no `<` or `>` (Auth0's `^[^<>]+$`).
    pub(super) fn name(&mut self, name: &Sp<String>, what: &str) {
        let at = self.at(name);
        if name.value.trim().is_empty() {
            self.push(
                Finding::new("config::empty_name", format!("{what} name is empty"))
                    .label(at, "empty name")
                    .help("give it a name (any text without `<` or `>`)"),
            );
        } else if name.value.contains(['<', '>']) {
            self.push(
                Finding::new(
                    "config::bad_name",
                    format!("{what} name `{}` contains `<` or `>`", name.value),
                )
                .label(at, "`<` and `>` are not allowed")
                .help("Auth0 rejects names containing `<` or `>`; remove them"),
            );
        } else if let Some(ch) = name.value.chars().find(|ch| ch.is_control()) {
            self.push(
                Finding::new(
                    "config::bad_name",
                    format!(
                        "{what} name `{}` contains a control character (U+{:04X})",
                        crate::sanitize::control(&name.value),
                        ch as u32
                    ),
                )
                .label(at, "control characters are not allowed")
                .help("names are shown in terminals, logs and pull-request comments; remove the line break, tab or escape character"),
            );
        }
    }

    /// Checks a token lifetime (1..=2592000 seconds).
    pub(super) fn lifetime(&mut self, value: &Sp<i64>) -> Option<u32> {
        if (1..=MAX_TOKEN_LIFETIME).contains(&value.value) {
            return u32::try_from(value.value).ok();
        }
        let at = self.at(value);
        self.push(
            Finding::new(
                "config::token_lifetime_range",
                format!("token lifetime {} is out of range", value.value),
            )
            .label(at, "must be 1..=2592000 seconds")
            .help("Auth0 accepts 1 second up to 2592000 seconds (30 days); 86400 is one day"),
        );
        None
    }
}

/// Checks a parsed config; the desired state when there was no finding.
pub(crate) fn check(file: &ConfigFile, c: &mut Checker<'_>) -> DesiredState {
    if file.version.value != CONFIG_VERSION {
        let at = c.at(&file.version);
        c.push(
            Finding::new(
                "config::version",
                format!("unsupported config version {}", file.version.value),
            )
            .label(at, "unsupported version")
            .help("this m2mctl reads `version: 1`"),
        );
    }
    let project = project(file, c);
    let domain = domain(file, c);
    let settings = file.settings.clone().unwrap_or_default();
    let settings = Settings {
        prune: settings.prune.is_some_and(|p| p.value),
        max_deletes: settings
            .max_deletes
            .map_or(crate::model::DEFAULT_MAX_DELETES, |m| m.value as usize),
        key_expiry_warning_days: settings
            .key_expiry_warning_days
            .map_or(crate::model::DEFAULT_KEY_EXPIRY_WARNING_DAYS, |d| d.value),
    };
    let apis = apis(&file.apis, c);
    let resolved = apps::check(file, &apis, &project, &domain, c);
    deliver::check(file, c);
    let folded = lifetimes::fold(&file.apis, &resolved, c);
    let desired_apis = file
        .apis
        .iter()
        .map(|api| desired_api(api, folded.apis.get(api.identifier.value.as_str())))
        .collect();
    DesiredState {
        project,
        domain,
        settings,
        apis: desired_apis,
        applications: resolved.into_iter().map(|r| r.app).collect(),
        management_token_lifetime: folded.management,
    }
}

/// `project`: default `default`, `[A-Za-z0-9._-]+` (no `:`, which splits the marker).
fn project(file: &ConfigFile, c: &mut Checker<'_>) -> String {
    let Some(project) = &file.project else {
        return DEFAULT_PROJECT.to_string();
    };
    let valid = !project.value.is_empty()
        && project
            .value
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch));
    if !valid {
        let at = c.at(project);
        c.push(
            Finding::new(
                "config::project",
                format!("invalid project name `{}`", project.value),
            )
            .label(at, "only letters, digits, `.`, `_` and `-`")
            .help("the project is stored in each client's ownership marker as `project:key`; use e.g. `payments-platform`"),
        );
    }
    project.value.clone()
}

/// `tenant.domain`: missing or `local` is the embedded tenant.
fn domain(file: &ConfigFile, c: &mut Checker<'_>) -> Domain {
    let Some(domain) = file.tenant.as_ref().and_then(|t| t.domain.as_ref()) else {
        return Domain::Local;
    };
    let value = domain.value.trim();
    if value == "local" {
        return Domain::Local;
    }
    let scheme_ok =
        !value.contains("://") || value.starts_with("https://") || value.starts_with("http://");
    if value.is_empty() || value.contains(char::is_whitespace) || !scheme_ok {
        let at = c.at(domain);
        c.push(
            Finding::new(
                "config::domain",
                format!("invalid tenant domain `{}`", domain.value),
            )
            .label(at, "not a domain")
            .help("use `local`, a host such as `example.eu.auth0.com`, or `http://127.0.0.1:PORT` for a local emulator"),
        );
    }
    Domain::Remote(value.to_string())
}

/// API rules: identifiers unique and not `management`, names, scopes unique, lifetimes.
fn apis<'f>(apis: &'f [ApiConfig], c: &mut Checker<'_>) -> HashMap<&'f str, &'f ApiConfig> {
    let mut by_id: HashMap<&str, &ApiConfig> = HashMap::with_capacity(apis.len());
    for api in apis {
        let id = api.identifier.value.as_str();
        let at = c.at(&api.identifier);
        if id.trim().is_empty() || id.contains(char::is_whitespace) {
            c.push(
                Finding::new(
                    "config::api_identifier",
                    format!("invalid API identifier `{id}`"),
                )
                .label(at.clone(), "empty or contains spaces")
                .help("use the API's audience URL, e.g. `https://orders.example.com/`"),
            );
        } else if id == "management" {
            c.push(
                Finding::new("config::api_identifier", "API identifier `management` is reserved")
                    .label(at.clone(), "reserved")
                    .help("grants use `api: management` for the tenant's Management API; give this API its audience URL"),
            );
        }
        if let Some(first) = by_id.get(id) {
            let first_at = c.at(&first.identifier);
            c.push(
                Finding::new(
                    "config::duplicate_api",
                    format!("API `{id}` is declared twice"),
                )
                .label(at, "declared again here")
                .label(first_at, "first declared here")
                .help("merge the two entries; identifiers are unique in a tenant"),
            );
        } else {
            by_id.insert(id, api);
        }
        if let Some(name) = &api.name {
            c.name(name, "API");
        }
        let external = api.external.as_ref().is_some_and(|e| e.value);
        if let Some(lifetime) = &api.token_lifetime {
            c.lifetime(lifetime);
            if external {
                let lt_at = c.at(lifetime);
                c.push(
                    Finding::new("config::external_lifetime", format!("external API `{id}` sets `token_lifetime`"))
                        .label(lt_at, "m2mctl does not change external APIs")
                        .help("remove `token_lifetime`, or remove `external: true` to let m2mctl manage this API"),
                );
            }
        }
        let mut seen: HashMap<&str, Range<usize>> = HashMap::with_capacity(api.scopes.len());
        for scope in &api.scopes {
            let value = scope.value.value.as_str();
            let at = c.at(&scope.value);
            if value.is_empty() || value.contains(char::is_whitespace) {
                c.push(
                    Finding::new(
                        "config::bad_scope",
                        format!("invalid scope `{value}` on API `{id}`"),
                    )
                    .label(at.clone(), "empty or contains spaces")
                    .help("scopes are single words such as `read:orders`"),
                );
            }
            if let Some(first) = seen.get(value) {
                c.push(
                    Finding::new(
                        "config::duplicate_scope",
                        format!("scope `{value}` is declared twice on API `{id}`"),
                    )
                    .label(at, "declared again here")
                    .label(first.clone(), "first declared here")
                    .help("remove one of them"),
                );
            } else {
                seen.insert(value, at);
            }
        }
    }
    by_id
}

/// The desired form of one API entry.
fn desired_api(api: &ApiConfig, lifetime: Option<&u32>) -> DesiredApi {
    let mut scopes: Vec<ScopeDef> = api
        .scopes
        .iter()
        .map(|s| ScopeDef {
            value: s.value.value.clone(),
            description: s
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_default(),
        })
        .collect();
    scopes.sort();
    scopes.dedup_by(|a, b| a.value == b.value);
    DesiredApi {
        identifier: api.identifier.value.clone(),
        name: api
            .name
            .as_ref()
            .map_or_else(|| api.identifier.value.clone(), |n| n.value.clone()),
        scopes,
        token_lifetime: lifetime.copied(),
        external: api.external.as_ref().is_some_and(|e| e.value),
    }
}
