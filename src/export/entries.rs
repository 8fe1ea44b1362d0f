//! The config entries one tenant object becomes: an `apis:` entry, a `grants:` entry (with the
//! organization settings worth writing), an `applications:` entry, and the file around them.
//! Which objects are exported, and under which keys, is `build.rs`'s; pure, no I/O.

use std::collections::{BTreeMap, BTreeSet};

use super::{ExportOptions, literal};
use crate::config::model::CONFIG_VERSION;
use crate::config::{
    ApiConfig, AppConfig, AuthMethod, ConfigFile, GrantConfig, ScopeConfig, TenantConfig, sp,
};
use crate::model::{Domain, MARKER_KEY, OrganizationUsage, RemoteApi, RemoteClient, RemoteGrant};

/// How an API is used by the exported grants.
pub(super) enum Use<'r> {
    /// A custom API, with the granted scopes it does not declare (scope → an application key).
    Custom(&'r RemoteApi, BTreeSet<(String, String)>),
    /// A system API other than the Management API: referenced as external.
    Foreign,
}

/// The `apis:` entry of a used API.
pub(super) fn api_entry(identifier: &str, used: Use<'_>, warnings: &mut Vec<String>) -> ApiConfig {
    let external = ApiConfig {
        identifier: sp(literal(identifier)),
        name: None,
        token_lifetime: None,
        scopes: Vec::new(),
        external: Some(sp(true)),
    };
    let (api, undeclared) = match used {
        Use::Foreign => return external,
        Use::Custom(api, undeclared) => (api, undeclared),
    };
    if !undeclared.is_empty() {
        let list: Vec<String> = undeclared
            .iter()
            .map(|(scope, key)| format!("`{scope}` (`{key}`)"))
            .collect();
        warnings.push(format!(
            "exported API `{identifier}` as `external: true`: it is granted scopes it does not declare: {}; declare them on the API in the tenant, or remove them from the grants, then export again to manage it",
            list.join(", ")
        ));
        return external;
    }
    let mut scopes: Vec<ScopeConfig> = Vec::with_capacity(api.scopes.len());
    let mut defs: Vec<_> = api.scopes.iter().collect();
    defs.sort();
    defs.dedup_by(|a, b| a.value == b.value);
    for d in defs {
        scopes.push(ScopeConfig {
            value: sp(literal(&d.value)),
            description: (!d.description.is_empty()).then(|| sp(literal(&d.description))),
        });
    }
    ApiConfig {
        identifier: sp(literal(identifier)),
        name: (!api.name.is_empty() && api.name != identifier).then(|| sp(literal(&api.name))),
        token_lifetime: api.token_lifetime.map(|l| sp(i64::from(l))),
        scopes,
        external: None,
    }
}

/// A grant's organization settings worth writing: `organization_usage` other than Auth0's
/// default `deny`, and `allow_any_organization: true` where it has an effect (usage `allow` or
/// `require`). Defaults are left out: an absent key is "not managed", so nothing changes.
pub(super) fn organization(g: &RemoteGrant) -> (Option<OrganizationUsage>, Option<bool>) {
    let usage = g
        .organization_usage
        .as_deref()
        .and_then(OrganizationUsage::parse)
        .filter(|u| *u != OrganizationUsage::Deny);
    let any = g.allow_any_organization.filter(|a| *a && usage.is_some());
    (usage, any)
}

/// One `grants:` entry, scopes sorted, with its organization settings.
pub(super) fn grant(
    api: &str,
    scopes: Vec<&str>,
    (usage, any): (Option<OrganizationUsage>, Option<bool>),
) -> GrantConfig {
    GrantConfig {
        endpoints: Vec::new(),
        api: sp(literal(api)),
        scopes: scopes.into_iter().map(|s| sp(literal(s))).collect(),
        organization_usage: usage.map(sp),
        allow_any_organization: any.map(sp),
    }
}

/// One `applications:` entry.
pub(super) fn app(
    c: &RemoteClient,
    key: String,
    pin: bool,
    grants: Vec<GrantConfig>,
    warnings: &mut Vec<String>,
) -> AppConfig {
    let mut metadata = BTreeMap::new();
    for (k, v) in &c.client_metadata {
        if k == MARKER_KEY {
            if c.marker().is_none() {
                warnings.push(format!(
                    "metadata `{MARKER_KEY}: {v}` of `{key}` is not an m2mctl marker; the first apply replaces it with one"
                ));
            }
            continue;
        }
        metadata.insert(k.clone(), sp(literal(v)));
    }
    let basic =
        c.token_endpoint_auth_method.as_deref() == Some(crate::auth0::AUTH_CLIENT_SECRET_BASIC);
    AppConfig {
        name: sp(literal(&c.name)),
        key: Some(sp(literal(&key))),
        description: c
            .description
            .as_ref()
            .filter(|d| !d.is_empty())
            .map(|d| sp(literal(d))),
        client_id: pin.then(|| sp(c.client_id.clone())),
        token_endpoint_auth_method: basic.then(|| sp(AuthMethod::ClientSecretBasic)),
        authentication: None,
        token_lifetime: None,
        grants,
        metadata,
        deliver: Vec::new(),
    }
}

/// The file around the entries: version, project and the tenant's domain.
pub(super) fn config_file(
    options: &ExportOptions,
    apis: Vec<ApiConfig>,
    apps: Vec<AppConfig>,
) -> ConfigFile {
    let domain = match &options.domain {
        Domain::Local => "local".to_string(),
        Domain::Remote(d) => d.trim().to_string(),
    };
    ConfigFile {
        version: sp(CONFIG_VERSION),
        project: options.project.clone().map(sp),
        tenant: Some(TenantConfig {
            domain: Some(sp(literal(&domain))),
        }),
        settings: None,
        apis,
        applications: apps,
        policy: None,
    }
}
