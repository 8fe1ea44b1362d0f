//! Pre-flight checks, run before the first write: does the token hold every scope the plan needs,
//! would a change lock m2mctl out, and is the plan within the mass-delete guard.
//!
//! Owns the map from a change to the Management API scopes it needs (its write, plus the read
//! that recovery from a lost response makes), and the lockout rules that can be checked on the
//! plan's data alone. The diff's own lockout guard works on the tenant as read at plan time; this
//! one also covers a saved plan applied with another client's credentials, and changes of the
//! own client's authentication settings. Facts come from the change's target and typed accessors
//! ([`Target::is_management_grant_of`](crate::plan::Target::is_management_grant_of),
//! [`Change::sets_auth_method`]), never from its address. Pure: no I/O.

use std::collections::BTreeSet;

use super::Error;
use crate::plan::{Action, Change, Kind, Plan};

/// The `token_endpoint_auth_method` m2mctl itself uses at `/oauth/token`.
const OWN_AUTH_METHOD: &str = crate::auth0::AUTH_CLIENT_SECRET_POST;
/// The grant type m2mctl needs on its own client.
const OWN_GRANT_TYPE: &str = crate::auth0::GRANT_TYPE_CLIENT_CREDENTIALS;

/// What pre-flight needs to know about the connection.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    /// Scopes of the Management API token (empty when the token is opaque: not checked then).
    pub scopes: &'a BTreeSet<String>,
    /// The client m2mctl authenticates as, when known.
    pub self_client_id: Option<&'a str>,
}

/// Every check, in order: mass delete, lockout, scopes. `Ok` means apply may start writing.
pub fn check(plan: &Plan, allow_mass_delete: bool, who: Identity<'_>) -> Result<(), Error> {
    plan.check_mass_delete(allow_mass_delete)?;
    if let Some(me) = who.self_client_id {
        lockout(plan, me)?;
    }
    if who.scopes.is_empty() {
        tracing::warn!("the Management API token carries no `scope` claim; scopes not checked");
        return Ok(());
    }
    let missing: Vec<&str> = required_scopes(plan)
        .into_iter()
        .filter(|s| !who.scopes.contains(*s))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::MissingScopes {
        missing: missing
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        who: who.self_client_id.map_or_else(
            || "the client m2mctl authenticates as".to_string(),
            |id| format!("client `{id}`"),
        ),
    })
}

/// The scopes one change needs: its write, and for creates the read used to recover from a lost
/// response (look the object up instead of creating it twice).
pub fn scopes_for(change: &Change) -> &'static [&'static str] {
    match (change.kind(), change.action) {
        (Kind::Api, Action::Create) => &["create:resource_servers", "read:resource_servers"],
        (Kind::Api, Action::Delete) => &["delete:resource_servers"],
        (Kind::Api, _) => &["update:resource_servers"],
        (Kind::Client, Action::Create) => &["create:clients", "read:clients"],
        (Kind::Client, Action::Delete) => &["delete:clients"],
        (Kind::Client, _) => &["update:clients"],
        (Kind::Grant, Action::Create) => &["create:client_grants", "read:client_grants"],
        (Kind::Grant, Action::Delete) => &["delete:client_grants"],
        (Kind::Grant, _) => &["update:client_grants"],
        (Kind::Credential, Action::Create) => &["create:client_credentials"],
        (Kind::Credential, Action::Delete) => &["delete:client_credentials"],
        (Kind::Credential, _) => &["update:client_credentials"],
        (Kind::SigningKeys, _) => &["update:client_credentials", "read:client_credentials"],
    }
}

/// Every scope the plan needs, sorted.
pub fn required_scopes(plan: &Plan) -> BTreeSet<&'static str> {
    plan.changes
        .iter()
        .flat_map(|c| scopes_for(c).iter().copied())
        .collect()
}

/// Refuses changes that would leave m2mctl's own client unable to get a Management API token.
fn lockout(plan: &Plan, me: &str) -> Result<(), Error> {
    for c in &plan.changes {
        if let Some(what) = locks_out(c, me) {
            return Err(Error::Lockout {
                address: c.address.clone(),
                what: what.to_string(),
                client_id: me.to_string(),
            });
        }
    }
    Ok(())
}

/// What a change would do to m2mctl's own client `me`, if it locks it out. Every fact comes from
/// the change's target and typed accessors, never from its address.
fn locks_out(c: &Change, me: &str) -> Option<&'static str> {
    let is_me = c.id.as_deref() == Some(me);
    let own_grant = c.target.is_management_grant_of(me);
    match (c.kind(), c.action) {
        (Kind::Client, Action::Delete) if is_me => Some("delete"),
        (Kind::Client, Action::Update | Action::Adopt) if is_me => {
            if let Some(method) = c.sets_auth_method()
                && method != Some(OWN_AUTH_METHOD)
            {
                return Some("change the token endpoint auth method of");
            }
            if let Some(types) = c.sets_grant_types()
                && !types.contains(OWN_GRANT_TYPE)
            {
                return Some("remove the `client_credentials` grant type from");
            }
            None
        }
        (Kind::Grant, Action::Delete) if own_grant => Some("delete the Management API grant of"),
        (Kind::Grant, Action::Update) if own_grant => {
            (!c.removed_scopes().is_empty()).then_some("remove Management API scopes from")
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "preflight_tests.rs"]
mod tests;
