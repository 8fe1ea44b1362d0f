//! The plan: what `apply` must do to make the tenant match a config, as data.
//!
//! Owns [`diff`] (desired state × remote state → [`Plan`]), the rules of DESIGN.md "What m2mctl
//! manages" (ownership marker, matching, managed fields, authoritative grants, prune, guards), the
//! tenant fingerprint of a plan and the saved-plan document (`simulate` is test-only). Must do no
//! I/O: no network, no files, no environment, no printing (renderers live in `render`).

mod apis;
mod change;
mod change_json;
mod clients;
mod endpoints;
mod error;
mod grants;
pub mod keys;
mod saved;
#[cfg(test)]
mod simulate;
mod target;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_apps;
#[cfg(test)]
mod tests_orgs;
#[cfg(test)]
mod tests_owner;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_shapes;

use serde::{Deserialize, Serialize};

use crate::model::{DesiredState, RemoteState};

pub use change::{
    Action, CascadedGrant, Change, ClientRef, FieldChange, Kind, METADATA_PREFIX, SetDelta, Target,
    string_items,
};
pub use endpoints::EndpointScopes;
pub use error::Error;
pub use saved::{ObjectRef, SavedPlan, fingerprint};
#[cfg(test)]
pub(crate) use simulate::simulate;

/// Version of the plan document (JSON output and saved plans). Bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

pub use target::MANAGEMENT_ADDRESS;

/// Inputs of a diff that do not come from the config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// `--prune`: delete managed applications that left the config (also `settings.prune`).
    pub prune: bool,
    /// `--allow-mass-delete`: do not block a plan deleting more than `settings.max_deletes`.
    pub allow_mass_delete: bool,
    /// The client m2mctl authenticates as (token `azp` or `AUTH0_CLIENT_ID`): the lockout guard.
    pub self_client_id: Option<String>,
    /// Identifier of the Management API, used when the tenant read has no system API for it.
    pub management_audience: Option<String>,
}

/// A note for the user that does not stop the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The object concerned, when there is one.
    pub address: Option<String>,
    /// Lowercase message, names in backticks.
    pub message: String,
}

/// Why a plan must not be applied as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    /// Delete changes in the plan.
    pub deletes: usize,
    /// How many of [`Blocked::deletes`] are deleted keys (credentials), each counted once.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub keys: usize,
    /// The config's `settings.max_deletes`.
    pub max_deletes: usize,
}

/// Counts of changes per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Creates.
    pub create: usize,
    /// Updates (adoptions not included).
    pub update: usize,
    /// Deletes (grants deleted with their client not included).
    pub delete: usize,
    /// Adoptions.
    pub adopt: usize,
}

/// Everything apply must do, in a stable order: APIs, then applications, then grants, each sorted
/// by address. Apply executes exactly these changes and never re-diffs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The config's project (owner in the ownership markers).
    pub project: String,
    /// The changes; never a no-op.
    pub changes: Vec<Change>,
    /// Notes (e.g. managed applications left out of the config while prune is off).
    pub warnings: Vec<Warning>,
    /// The scope each `endpoints:` entry of a Management API grant brought in (display only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoint_scopes: Vec<EndpointScopes>,
    /// Tenant objects the plan touches, in fingerprint order.
    pub touched: Vec<ObjectRef>,
    /// sha256 (hex) of the touched objects as read; see [`fingerprint`].
    pub fingerprint: String,
    /// `settings.max_deletes` at plan time.
    pub max_deletes: usize,
    /// Set when the plan deletes more than `max_deletes` objects without `allow_mass_delete`.
    pub blocked: Option<Blocked>,
    /// Policy violations: errors in the config (apply refuses them without
    /// `--allow-policy-violations`), then warnings about the tenant outside the file. Filled by
    /// the command after the diff (`policy::check_config`, `policy::check_tenant`).
    #[serde(default)]
    pub violations: Vec<crate::policy::Violation>,
}

impl Plan {
    /// Counts per action.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Delete => s.delete += 1,
                Action::Adopt => s.adopt += 1,
            }
        }
        s
    }

    /// True when apply has nothing to do (warnings do not count).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The mass-delete guard, for apply: refuses a plan deleting more than `max_deletes` objects
    /// unless `allow_mass_delete`. Deleted clients, grants and keys (credentials) each count once;
    /// grants and keys that go with their client do not count separately.
    pub fn check_mass_delete(&self, allow_mass_delete: bool) -> Result<(), Error> {
        mass_delete(self, allow_mass_delete).map_or(Ok(()), |b| {
            Err(Error::MassDelete {
                deletes: b.deletes,
                keys: b.keys,
                max_deletes: b.max_deletes,
            })
        })
    }
}

/// Compares a config's desired state with a tenant's state and returns the plan.
///
/// Pure: the same inputs give the same plan, byte for byte. Errors are the rule violations that
/// make any plan unsafe (ambiguous matches, foreign ownership, lockout); the mass-delete guard
/// does not fail the diff but sets [`Plan::blocked`] so the plan can still be shown.
pub fn diff(
    desired: &DesiredState,
    remote: &RemoteState,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    let management = management_audience(remote, options);
    let mut out = Builder::default();
    apis::diff_apis(desired, remote, management.as_deref(), &mut out)?;
    let matched = clients::match_apps(desired, remote)?;
    let prune = options.prune || desired.settings.prune;
    clients::diff_clients(desired, remote, &matched, prune, &mut out);
    grants::diff_grants(desired, remote, &matched, management.as_deref(), &mut out)?;
    lockout(&out.changes, remote, options, management.as_deref())?;
    let endpoint_scopes = endpoints::endpoint_scopes(desired, &mut out);

    let Builder { changes, warnings } = out;
    let mut plan = Plan {
        format_version: FORMAT_VERSION,
        project: desired.project.clone(),
        fingerprint: String::new(),
        touched: Vec::new(),
        changes,
        warnings,
        endpoint_scopes,
        max_deletes: desired.settings.max_deletes,
        blocked: None,
        violations: Vec::new(),
    };
    seal(&mut plan, remote, &keys::Credentials::new(), options);
    Ok(plan)
}

/// Puts the changes in their stable order and derives what depends on all of them: the touched
/// objects, their fingerprint (`credentials`: the key lists the plan read) and the mass-delete
/// guard. Run again after every step that adds changes ([`keys::diff_keys`]).
fn seal(
    plan: &mut Plan,
    remote: &RemoteState,
    credentials: &keys::Credentials,
    options: &PlanOptions,
) {
    plan.changes
        .sort_by(|a, b| (a.kind(), &a.address).cmp(&(b.kind(), &b.address)));
    plan.touched = saved::touched(&plan.changes);
    plan.fingerprint = fingerprint(&plan.touched, remote, credentials);
    plan.blocked = mass_delete(plan, options.allow_mass_delete);
}

/// The Management API identifier ([`crate::auth0::management_api`]: never another system API),
/// else the option.
pub fn management_audience(remote: &RemoteState, options: &PlanOptions) -> Option<String> {
    let fallback = options.management_audience.as_deref();
    crate::auth0::management_audience(
        remote,
        fallback.and_then(crate::auth0::authority_of),
        fallback,
    )
}

/// Accumulates changes and warnings while the diff walks the state.
#[derive(Debug, Default)]
struct Builder {
    changes: Vec<Change>,
    warnings: Vec<Warning>,
}

impl Builder {
    fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    fn warn(&mut self, address: Option<String>, message: String) {
        self.warnings.push(Warning { address, message });
    }
}

// The two guards. Lockout is a hard error of the diff; mass delete blocks the plan instead, so that
// `plan` can still show what would be deleted and apply enforces it with `Plan::check_mass_delete`.

/// Fails when a change deletes the client m2mctl authenticates as, or deletes or narrows its
/// Management API grant.
fn lockout(
    changes: &[Change],
    remote: &RemoteState,
    options: &PlanOptions,
    management: Option<&str>,
) -> Result<(), Error> {
    let Some(me) = options.self_client_id.as_deref() else {
        return Ok(());
    };
    let lockout = |what: &str| {
        Err(Error::Lockout {
            client_id: me.to_string(),
            what: what.to_string(),
        })
    };
    for c in changes {
        match (c.kind(), c.action) {
            (Kind::Client, Action::Delete) if c.id.as_deref() == Some(me) => {
                return lockout("delete");
            }
            (Kind::Grant, Action::Delete | Action::Update) => {
                let Some(grant) = remote.grants.iter().find(|g| Some(&g.id) == c.id.as_ref())
                else {
                    continue;
                };
                if grant.client_id != me || Some(grant.audience.as_str()) != management {
                    continue;
                }
                if c.action == Action::Delete {
                    return lockout("delete the Management API grant of");
                }
                let after = c.scope_after();
                if grant.scope.iter().any(|s| !after.contains(s)) {
                    return lockout("remove Management API scopes from");
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `Some` when the plan deletes more than its `max_deletes` objects and that is not allowed.
///
/// Every delete change counts once (a deleted client, a deleted grant, a deleted key); grants and
/// keys deleted together with their client are part of the client's change and do not count again.
fn mass_delete(plan: &Plan, allow_mass_delete: bool) -> Option<Blocked> {
    let deletes = plan.summary().delete;
    let keys = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete && c.kind() == Kind::Credential)
        .count();
    (!allow_mass_delete && deletes > plan.max_deletes).then_some(Blocked {
        deletes,
        keys,
        max_deletes: plan.max_deletes,
    })
}

/// `skip_serializing_if` of counts that are left out when zero.
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How a mass-delete message says that deleted keys are among the deletes (empty without keys).
pub fn keys_counted(keys: usize) -> String {
    if keys == 0 {
        String::new()
    } else {
        format!(" ({keys} of them keys: each deleted key counts once)")
    }
}
