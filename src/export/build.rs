//! [`build`]: which tenant objects are exported and under which keys, and how their grants map
//! to config entries (see `mod.rs` for the rules; `entries.rs` writes each entry). Pure: no I/O;
//! the same state gives the same config, byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use super::entries::{Use, api_entry, app, config_file, grant, organization};
use super::keys::assign;
use super::{Export, ExportOptions, Stats};
use crate::config::{ApiConfig, AppConfig, GrantConfig};
use crate::model::{DEFAULT_PROJECT, RemoteApi, RemoteClient, RemoteGrant, RemoteState};
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
    let mut mapping = Mapping::new(remote, options);
    let selected = select(remote, options, project, &mut mapping.warnings);
    let mut apps = Vec::with_capacity(selected.len());
    let mut stats = Stats::default();
    for (client, key, pin) in keyed(&selected) {
        let grants = mapping.grants(client, &key);
        stats.grants += grants.len();
        stats.pinned += usize::from(pin);
        apps.push(app(client, key, pin, grants, &mut mapping.warnings));
    }
    apps.sort_by(|a, b| {
        let key = |x: &AppConfig| x.key.as_ref().map(|k| k.value.clone()).unwrap_or_default();
        key(a).cmp(&key(b))
    });
    let Mapping {
        used, mut warnings, ..
    } = mapping;
    let apis: Vec<ApiConfig> = used
        .into_iter()
        .map(|(id, u)| api_entry(id, u, &mut warnings))
        .collect();
    stats.applications = apps.len();
    stats.apis = apis.len();
    Export {
        config: config_file(options, apis, apps),
        warnings,
        stats,
    }
}

/// Each selected client with its key and whether it is pinned: managed clients keep their key,
/// pinned ones get a key assigned from their name that no managed client holds.
fn keyed<'r>(selected: &[Identity<'r>]) -> Vec<(&'r RemoteClient, String, bool)> {
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
    selected
        .iter()
        .map(|identity| match identity {
            Identity::Pinned(c) => (*c, keys[c.client_id.as_str()].clone(), true),
            Identity::Managed(c, key) => (*c, key.clone(), false),
        })
        .collect()
}

/// The grant mapping of one export: what it reads, the APIs the exported grants use so far, and
/// the warnings so far.
struct Mapping<'r> {
    /// The tenant read.
    remote: &'r RemoteState,
    /// The tenant's APIs by identifier.
    apis: BTreeMap<&'r str, &'r RemoteApi>,
    /// The Management API identifier, if the tenant has one.
    management: Option<String>,
    /// Grants to system APIs other than the Management API become `external` entries.
    include_foreign_grants: bool,
    /// The APIs used by exported grants, by identifier.
    used: BTreeMap<&'r str, Use<'r>>,
    /// Things the user must know.
    warnings: Vec<String>,
}

impl<'r> Mapping<'r> {
    /// A mapping with nothing used and no warnings yet.
    fn new(remote: &'r RemoteState, options: &ExportOptions) -> Mapping<'r> {
        let management = management_audience(
            remote,
            &PlanOptions {
                management_audience: options.management_audience.clone(),
                ..PlanOptions::default()
            },
        );
        Mapping {
            remote,
            apis: remote
                .apis
                .iter()
                .map(|a| (a.identifier.as_str(), a))
                .collect(),
            management,
            include_foreign_grants: options.include_foreign_grants,
            used: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// The `grants:` entries of `client` (exported under `key`), sorted by API; grants left out
    /// are warned about.
    fn grants(&mut self, client: &RemoteClient, key: &str) -> Vec<GrantConfig> {
        let remote = self.remote;
        let mut mine: Vec<&'r RemoteGrant> = remote
            .grants
            .iter()
            .filter(|g| g.client_id == client.client_id)
            .filter(|g| crate::auth0::is_client_grant(g))
            .collect();
        mine.sort_by(|a, b| a.audience.cmp(&b.audience));
        mine.into_iter()
            .filter_map(|g| self.grant(g, key))
            .collect()
    }

    /// One grant's entry, recording the API it uses; `None` (with a warning) when it is left out.
    fn grant(&mut self, g: &'r RemoteGrant, key: &str) -> Option<GrantConfig> {
        let scopes: BTreeSet<&str> = g.scope.iter().map(String::as_str).collect();
        if Some(g.audience.as_str()) == self.management.as_deref() {
            return Some(self.management_grant(g, &scopes, key));
        }
        let api = g.audience.as_str();
        let target = self.apis.get(api).copied();
        let custom = target.filter(|a| !a.is_system);
        match (custom, target) {
            (Some(a), _) => {
                let entry = self
                    .used
                    .entry(api)
                    .or_insert(Use::Custom(a, BTreeSet::new()));
                if let Use::Custom(_, undeclared) = entry {
                    undeclared.extend(
                        scopes
                            .iter()
                            .filter(|s| !a.scopes.iter().any(|d| d.value == **s))
                            .map(|s| (s.to_string(), key.to_string())),
                    );
                }
            }
            (None, Some(_)) if self.include_foreign_grants => {
                self.used.insert(api, Use::Foreign);
            }
            (None, found) => {
                let why = match found {
                    Some(_) => "foreign grants are excluded (`--include-foreign-grants=false`)",
                    None => "the API does not exist in the tenant",
                };
                self.warnings.push(format!(
                    "left out the grant of `{key}` to `{api}`: {why}; the first apply would delete it (grants are authoritative)"
                ));
                return None;
            }
        }
        Some(grant(api, scopes.into_iter().collect(), organization(g)))
    }

    /// A Management API grant as `api: management`, with the scopes m2mctl knows; unknown scopes
    /// and organization settings are left out with a warning.
    fn management_grant(
        &mut self,
        g: &RemoteGrant,
        scopes: &BTreeSet<&str>,
        key: &str,
    ) -> GrantConfig {
        let (known, unknown): (Vec<&str>, Vec<&str>) =
            scopes.iter().partition(|s| is_management_scope(s));
        if !unknown.is_empty() {
            self.warnings.push(format!(
                "left out Management API scopes m2mctl does not know from `{key}`: {}; the first apply would remove them from its grant",
                ticked(&unknown)
            ));
        }
        if organization(g) != (None, None) {
            self.warnings.push(format!(
                "left out the organization settings of `{key}`'s Management API grant (a config may not set them there); m2mctl keeps them as they are"
            ));
        }
        grant(MANAGEMENT_ADDRESS, known, (None, None))
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

/// `` `a`, `b` ``.
fn ticked(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
