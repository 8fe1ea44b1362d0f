//! The grant part of the diff: one client grant per (application, API, subject type `client`).
//!
//! A managed application's declared grants are authoritative: its grants to other APIs are
//! deleted. Scopes compare as sets. Grants of unmanaged or foreign clients, and `user` grants,
//! are never touched. Must do no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::clients::{Matched, sorted};
use super::{Action, Builder, Change, ClientRef, Error, FieldChange, Kind, MANAGEMENT_ADDRESS};
use crate::model::{ApiRef, DesiredApp, DesiredState, RemoteGrant, RemoteState};

/// Address of a grant: `grant.<key> -> <identifier or management>`.
pub(super) fn grant_address(key: &str, audience: &str, management: Option<&str>) -> String {
    let label = if Some(audience) == management {
        MANAGEMENT_ADDRESS
    } else {
        audience
    };
    format!("grant.{key} -> {label}")
}

pub(super) use crate::auth0::is_client_grant;

/// Adds grant creates, scope updates and authoritative deletes for every matched application.
pub(super) fn diff_grants(
    desired: &DesiredState,
    remote: &RemoteState,
    matched: &Matched<'_>,
    management: Option<&str>,
    out: &mut Builder,
) -> Result<(), Error> {
    for (app, found) in &matched.apps {
        let want = wanted(desired, remote, app, management)?;
        let client = found.client();
        let client_ref = ClientRef {
            key: app.key.clone(),
            client_id: client.map(|c| c.client_id.clone()),
        };
        let mut have: Vec<&RemoteGrant> = match client {
            Some(c) => remote
                .grants
                .iter()
                .filter(|g| g.client_id == c.client_id && is_client_grant(g))
                .collect(),
            None => Vec::new(),
        };
        for (audience, scopes) in want {
            let address = grant_address(&app.key, &audience, management);
            let scope_value = Value::from(scopes.iter().cloned().collect::<Vec<_>>());
            let Some(pos) = have.iter().position(|g| g.audience == audience) else {
                out.push(Change {
                    action: Action::Create,
                    kind: Kind::Grant,
                    address,
                    id: None,
                    client: Some(client_ref.clone()),
                    fields: vec![
                        FieldChange::new("audience", None, Some(Value::from(audience))),
                        FieldChange::new("scope", None, Some(scope_value)),
                    ],
                    cascade: Vec::new(),
                });
                continue;
            };
            let g = have.remove(pos);
            let current = sorted(&g.scope);
            if current.iter().ne(scopes.iter()) {
                out.push(Change {
                    action: Action::Update,
                    kind: Kind::Grant,
                    address,
                    id: Some(g.id.clone()),
                    client: Some(client_ref.clone()),
                    fields: vec![FieldChange::new(
                        "scope",
                        Some(Value::from(current)),
                        Some(scope_value),
                    )],
                    cascade: Vec::new(),
                });
            }
        }
        // What is left is not declared (or a duplicate of a declared one): authoritative delete.
        for g in have {
            out.push(Change {
                action: Action::Delete,
                kind: Kind::Grant,
                address: grant_address(&app.key, &g.audience, management),
                id: Some(g.id.clone()),
                client: Some(client_ref.clone()),
                fields: vec![
                    FieldChange::new("audience", Some(Value::from(g.audience.clone())), None),
                    FieldChange::new("scope", Some(Value::from(sorted(&g.scope))), None),
                ],
                cascade: Vec::new(),
            });
        }
    }
    Ok(())
}

/// The app's declared grants as audience → scope set (duplicate entries for one API merge).
fn wanted(
    desired: &DesiredState,
    remote: &RemoteState,
    app: &DesiredApp,
    management: Option<&str>,
) -> Result<BTreeMap<String, BTreeSet<String>>, Error> {
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for g in &app.grants {
        let audience = match &g.api {
            ApiRef::Management => management
                .ok_or_else(|| Error::ManagementApiUnknown {
                    needed_by: format!("the grants of `{}`", app.key),
                })?
                .to_string(),
            ApiRef::Identifier(id) => {
                let external = desired
                    .apis
                    .iter()
                    .any(|a| a.identifier == *id && a.external);
                if external && !remote.apis.iter().any(|a| a.identifier == *id) {
                    return Err(Error::ExternalApiMissing {
                        key: app.key.clone(),
                        identifier: id.clone(),
                    });
                }
                id.clone()
            }
        };
        want.entry(audience)
            .or_default()
            .extend(g.scopes.iter().cloned());
    }
    Ok(want)
}
