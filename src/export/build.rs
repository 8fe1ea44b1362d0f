//! [`build`]: the selection and mapping of tenant objects to config entries (see `mod.rs` for
//! the rules). Pure: no I/O; the same state gives the same config, byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use super::keys::assign;
use super::{Export, ExportOptions, Stats, literal};
use crate::config::model::CONFIG_VERSION;
use crate::config::{
    ApiConfig, AppConfig, AuthMethod, ConfigFile, GrantConfig, ScopeConfig, TenantConfig, sp,
};
use crate::model::{
    DEFAULT_PROJECT, Domain, MARKER_KEY, OrganizationUsage, RemoteApi, RemoteClient, RemoteGrant,
    RemoteState,
};
use crate::plan::{MANAGEMENT_ADDRESS, PlanOptions, management_audience};
use crate::scopes::is_management_scope;

/// The `app_type` of machine-to-machine applications.
const M2M: &str = crate::auth0::APP_TYPE_M2M;

/// How an exported client is identified in the file.
enum Identity<'r> {
    /// Unmarked: pinned by `client_id`, adopted on the first apply.
    Pinned(&'r RemoteClient),
    /// Already managed by this project under this key.
    Managed(&'r RemoteClient, String),
}

/// Builds the config that adopts `remote`'s M2M applications (see the module rules).
pub fn build(remote: &RemoteState, options: &ExportOptions) -> Export {
    let project = options.project.as_deref().unwrap_or(DEFAULT_PROJECT);
    let management = management_audience(
        remote,
        &PlanOptions {
            management_audience: options.management_audience.clone(),
            ..PlanOptions::default()
        },
    );
    let mut warnings = Vec::new();
    let selected = select(remote, options, project, &mut warnings);

    let taken: BTreeSet<String> = selected
        .iter()
        .filter_map(|s| match s {
            Identity::Managed(_, key) => Some(key.clone()),
            Identity::Pinned(_) => None,
        })
        .collect();
    let pinned: Vec<(&str, &str)> = selected
        .iter()
        .filter_map(|s| match s {
            Identity::Pinned(c) => Some((c.client_id.as_str(), c.name.as_str())),
            Identity::Managed(..) => None,
        })
        .collect();
    let keys = assign(&pinned, &taken);

    let apis_by_id: BTreeMap<&str, &RemoteApi> = remote
        .apis
        .iter()
        .map(|a| (a.identifier.as_str(), a))
        .collect();
    let mut used: BTreeMap<&str, Use> = BTreeMap::new();
    let mut apps = Vec::with_capacity(selected.len());
    let mut stats = Stats::default();
    for identity in &selected {
        let (client, key, pin) = match identity {
            Identity::Pinned(c) => (*c, keys[c.client_id.as_str()].clone(), true),
            Identity::Managed(c, key) => (*c, key.clone(), false),
        };
        let mut grants = Vec::new();
        let mut mine: Vec<_> = remote
            .grants
            .iter()
            .filter(|g| g.client_id == client.client_id)
            .filter(|g| crate::auth0::is_client_grant(g))
            .collect();
        mine.sort_by(|a, b| a.audience.cmp(&b.audience));
        for g in mine {
            let scopes: BTreeSet<&str> = g.scope.iter().map(String::as_str).collect();
            let api = if Some(g.audience.as_str()) == management.as_deref() {
                let (known, unknown): (Vec<&str>, Vec<&str>) =
                    scopes.iter().partition(|s| is_management_scope(s));
                if !unknown.is_empty() {
                    warnings.push(format!(
                        "left out Management API scopes m2mctl does not know from `{key}`: {}; the first apply would remove them from its grant",
                        ticked(&unknown)
                    ));
                }
                if organization(g) != (None, None) {
                    warnings.push(format!(
                        "left out the organization settings of `{key}`'s Management API grant (a config may not set them there); m2mctl keeps them as they are"
                    ));
                }
                grants.push(grant(MANAGEMENT_ADDRESS, known, (None, None)));
                continue;
            } else {
                g.audience.as_str()
            };
            let target = apis_by_id.get(api).copied();
            let custom = target.filter(|a| !a.is_system);
            match (custom, target) {
                (Some(a), _) => {
                    let entry = used.entry(api).or_insert(Use::Custom(a, BTreeSet::new()));
                    if let Use::Custom(_, undeclared) = entry {
                        undeclared.extend(
                            scopes
                                .iter()
                                .filter(|s| !a.scopes.iter().any(|d| d.value == **s))
                                .map(|s| (s.to_string(), key.clone())),
                        );
                    }
                }
                (None, Some(_)) if options.include_foreign_grants => {
                    used.insert(api, Use::Foreign);
                }
                (None, found) => {
                    let why = match found {
                        Some(_) => "foreign grants are excluded (`--include-foreign-grants=false`)",
                        None => "the API does not exist in the tenant",
                    };
                    warnings.push(format!(
                        "left out the grant of `{key}` to `{api}`: {why}; the first apply would delete it (grants are authoritative)"
                    ));
                    continue;
                }
            }
            grants.push(grant(api, scopes.into_iter().collect(), organization(g)));
        }
        stats.grants += grants.len();
        stats.pinned += usize::from(pin);
        apps.push(app(client, key, pin, grants, &mut warnings));
    }
    apps.sort_by(|a, b| {
        let key = |x: &AppConfig| x.key.as_ref().map(|k| k.value.clone()).unwrap_or_default();
        key(a).cmp(&key(b))
    });
    let apis: Vec<ApiConfig> = used
        .into_iter()
        .map(|(id, u)| api_entry(id, u, &mut warnings))
        .collect();
    stats.applications = apps.len();
    stats.apis = apis.len();
    let domain = match &options.domain {
        Domain::Local => "local".to_string(),
        Domain::Remote(d) => d.trim().to_string(),
    };
    let config = ConfigFile {
        version: sp(CONFIG_VERSION),
        project: options.project.clone().map(sp),
        tenant: Some(TenantConfig {
            domain: Some(sp(literal(&domain))),
        }),
        settings: None,
        apis,
        applications: apps,
        policy: None,
    };
    Export {
        config,
        warnings,
        stats,
    }
}

/// Picks the clients to export, sorted by client id; warns about other projects' clients.
fn select<'r>(
    remote: &'r RemoteState,
    options: &ExportOptions,
    project: &str,
    warnings: &mut Vec<String>,
) -> Vec<Identity<'r>> {
    let mut clients: Vec<&RemoteClient> = remote.clients.iter().filter(|c| !c.global).collect();
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    let mut out = Vec::new();
    let mut keys: BTreeMap<String, &str> = BTreeMap::new();
    for c in clients {
        match c.marker() {
            Some(m) if m.project == project => {
                if let Some(first) = keys.insert(m.key.clone(), &c.client_id) {
                    warnings.push(format!(
                        "clients `{first}` and `{}` both carry the marker `{}`; exported the first only, and plan will refuse until one marker is removed",
                        c.client_id,
                        m.encode()
                    ));
                    keys.insert(m.key, first);
                    continue;
                }
                out.push(Identity::Managed(c, m.key));
            }
            Some(m) if c.app_type.as_deref() == Some(M2M) => warnings.push(format!(
                "skipped `{}` (`{}`): it is managed by project `{}` (export it with `--project {}`)",
                c.name, c.client_id, m.project, m.project
            )),
            Some(_) => {}
            None if c.app_type.as_deref() != Some(M2M) => {}
            None if options.self_client_id.as_deref() == Some(c.client_id.as_str()) => {}
            None => out.push(Identity::Pinned(c)),
        }
    }
    out
}

/// How an API is used by the exported grants.
enum Use<'r> {
    /// A custom API, with the granted scopes it does not declare (scope → an application key).
    Custom(&'r RemoteApi, BTreeSet<(String, String)>),
    /// A system API other than the Management API: referenced as external.
    Foreign,
}

/// The `apis:` entry of a used API.
fn api_entry(identifier: &str, used: Use<'_>, warnings: &mut Vec<String>) -> ApiConfig {
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
fn organization(g: &RemoteGrant) -> (Option<OrganizationUsage>, Option<bool>) {
    let usage = g
        .organization_usage
        .as_deref()
        .and_then(OrganizationUsage::parse)
        .filter(|u| *u != OrganizationUsage::Deny);
    let any = g.allow_any_organization.filter(|a| *a && usage.is_some());
    (usage, any)
}

/// One `grants:` entry, scopes sorted, with its organization settings.
fn grant(
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
fn app(
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

/// `` `a`, `b` ``.
fn ticked(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
