//! The grant part of the diff: one client grant per (application, API, subject type `client`).
//!
//! A managed application's declared grants are authoritative: its grants to other APIs are
//! deleted. Scopes compare as sets. Grants of unmanaged or foreign clients, and `user` grants,
//! are never touched. Must do no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::clients::{Matched, sorted};
use super::{Action, Builder, Change, ClientRef, Error, FieldChange, Target};
use crate::auth0::{field, is_client_grant};
use crate::model::{ApiRef, DesiredApp, DesiredGrant, DesiredState, RemoteGrant, RemoteState};

/// One grant the config wants for one API, its entries for that API merged.
#[derive(Debug, Default)]
struct Wanted {
    scopes: BTreeSet<String>,
}

impl Wanted {
    /// Adds one declared entry for the same API.
    fn merge(&mut self, grant: &DesiredGrant) {
        self.scopes.extend(grant.scopes.iter().cloned());
    }

    /// The managed fields as the config wants them, in display order (sets sorted).
    fn fields(&self) -> Vec<(&'static str, Value)> {
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        vec![(field::SCOPE, Value::from(scopes))]
    }
}

/// The managed fields of a grant as read, in the order and form of [`Wanted::fields`].
fn current_fields(grant: &RemoteGrant) -> Vec<(&'static str, Value)> {
    vec![(field::SCOPE, Value::from(sorted(&grant.scope)))]
}

/// Adds grant creates, updates and authoritative deletes for every matched application. Every
/// field of [`Wanted::fields`] is compared and sent the same way: what apply writes is the
/// change's body.
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
        let target = |audience: &str| Target::Grant {
            client: client_ref.clone(),
            audience: audience.to_string(),
            management: Some(audience) == management,
        };
        let audience_field = |audience: &str| (field::AUDIENCE, Value::from(audience));
        let mut have: Vec<&RemoteGrant> = match client {
            Some(c) => remote
                .grants
                .iter()
                .filter(|g| g.client_id == c.client_id && is_client_grant(g))
                .collect(),
            None => Vec::new(),
        };
        for (audience, wanted) in want {
            let Some(pos) = have.iter().position(|g| g.audience == audience) else {
                let fields = std::iter::once(audience_field(&audience))
                    .chain(wanted.fields())
                    .map(|(f, v)| FieldChange::new(f, None, Some(v)))
                    .collect();
                out.push(Change::new(Action::Create, target(&audience), None, fields));
                continue;
            };
            let g = have.remove(pos);
            let current: BTreeMap<&str, Value> = current_fields(g).into_iter().collect();
            let fields: Vec<FieldChange> = wanted
                .fields()
                .into_iter()
                .filter(|(f, v)| current.get(f) != Some(v))
                .map(|(f, v)| FieldChange::new(f, current.get(f).cloned(), Some(v)))
                .collect();
            if !fields.is_empty() {
                out.push(Change::new(
                    Action::Update,
                    target(&audience),
                    Some(g.id.clone()),
                    fields,
                ));
            }
        }
        // What is left is not declared (or a duplicate of a declared one): authoritative delete.
        for g in have {
            let fields = std::iter::once(audience_field(&g.audience))
                .chain(current_fields(g))
                .map(|(f, v)| FieldChange::new(f, Some(v), None))
                .collect();
            out.push(Change::new(
                Action::Delete,
                target(&g.audience),
                Some(g.id.clone()),
                fields,
            ));
        }
    }
    Ok(())
}

/// The app's declared grants by audience (duplicate entries for one API merge).
fn wanted(
    desired: &DesiredState,
    remote: &RemoteState,
    app: &DesiredApp,
    management: Option<&str>,
) -> Result<BTreeMap<String, Wanted>, Error> {
    let mut want: BTreeMap<String, Wanted> = BTreeMap::new();
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
        want.entry(audience).or_default().merge(g);
    }
    Ok(want)
}
