//! The two guards a plan carries: lockout (m2mctl never cuts off its own client) and mass delete.
//!
//! Lockout is a hard error of the diff. Mass delete blocks the plan instead, so that `plan` can
//! still show what would be deleted and `apply` enforces it with [`super::Plan::check_mass_delete`].
//! Must do no I/O.

use std::collections::BTreeSet;

use super::{Action, Blocked, Change, Error, Kind, Plan, PlanOptions};
use crate::model::RemoteState;

/// Fails when a change deletes the client m2mctl authenticates as, or deletes or narrows its
/// Management API grant.
pub(super) fn lockout(
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
        match (c.kind, c.action) {
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
                let after: BTreeSet<&str> = c
                    .field("scope")
                    .and_then(|f| f.after.as_ref())
                    .and_then(|v| v.as_array())
                    .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                    .unwrap_or_default();
                if grant.scope.iter().any(|s| !after.contains(s.as_str())) {
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
/// Every delete change counts once (a deleted client, a deleted grant); grants deleted together
/// with their client are part of the client's change and do not count again.
pub(super) fn mass_delete(plan: &Plan, allow_mass_delete: bool) -> Option<Blocked> {
    let deletes = plan.summary().delete;
    (!allow_mass_delete && deletes > plan.max_deletes).then_some(Blocked {
        deletes,
        max_deletes: plan.max_deletes,
    })
}
