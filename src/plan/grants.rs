//! The grant part of the diff: one client grant per (application, API, subject type `client`).
//!
//! A managed application's declared grants are authoritative: its grants to other APIs are
//! deleted. Scopes compare as sets. `organization_usage` and `allow_any_organization` are managed
//! only where the config sets them (absent: the tenant's value stays), and compare with Auth0's
//! defaults (`deny`, false) for a grant that does not show them. Grants of unmanaged or foreign
//! clients, and `user` grants, are never touched. A new managed grant field is added here in
//! [`Wanted`] (`merge`, `fields`) and `current_fields`: creates, updates and deletes list it like
//! `scope`, and apply sends it in the change's body without knowing it. Must do no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::clients::{Matched, sorted};
use super::{Action, Builder, Change, ClientRef, Error, FieldChange, Target};
use crate::auth0::{field, is_client_grant};
use crate::model::{
    ApiRef, DesiredApp, DesiredGrant, DesiredState, GrantOrganization, OrganizationUsage,
    RemoteGrant, RemoteState,
};

/// One grant the config wants for one API, its entries for that API merged.
#[derive(Debug, Default)]
struct Wanted {
    scopes: BTreeSet<String>,
    organization: GrantOrganization,
}

impl Wanted {
    /// Adds one declared entry for the same API.
    fn merge(&mut self, grant: &DesiredGrant) {
        self.scopes.extend(grant.scopes.iter().cloned());
        let org = grant.organization;
        self.organization.usage = org.usage.or(self.organization.usage);
        self.organization.allow_any = org.allow_any.or(self.organization.allow_any);
    }

    /// The managed fields as the config wants them, in display order (sets sorted); the
    /// organization fields only where the config sets them.
    fn fields(&self) -> Vec<(&'static str, Value)> {
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let mut fields = vec![(field::SCOPE, Value::from(scopes))];
        if let Some(usage) = self.organization.usage {
            fields.push((field::ORGANIZATION_USAGE, Value::from(usage.as_str())));
        }
        if let Some(any) = self.organization.allow_any {
            fields.push((field::ALLOW_ANY_ORGANIZATION, Value::from(any)));
        }
        fields
    }
}

/// The managed fields of a grant as read, in the order and form of [`Wanted::fields`]; the
/// organization fields only where the tenant shows them.
fn current_fields(grant: &RemoteGrant) -> Vec<(&'static str, Value)> {
    let mut fields = vec![(field::SCOPE, Value::from(sorted(&grant.scope)))];
    if let Some(usage) = &grant.organization_usage {
        fields.push((field::ORGANIZATION_USAGE, Value::from(usage.as_str())));
    }
    if let Some(any) = grant.allow_any_organization {
        fields.push((field::ALLOW_ANY_ORGANIZATION, Value::from(any)));
    }
    fields
}

/// Auth0's value of a grant field the tenant does not show: a grant created without
/// `organization_usage` denies organizations, one without `allow_any_organization` allows none.
fn auth0_default(name: &str) -> Option<Value> {
    match name {
        field::ORGANIZATION_USAGE => Some(Value::from(OrganizationUsage::Deny.as_str())),
        field::ALLOW_ANY_ORGANIZATION => Some(Value::from(false)),
        _ => None,
    }
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
            let before = |f: &str| current.get(f).cloned().or_else(|| auth0_default(f));
            let fields: Vec<FieldChange> = wanted
                .fields()
                .into_iter()
                .filter(|(f, v)| before(f).as_ref() != Some(v))
                .map(|(f, v)| FieldChange::new(f, before(f), Some(v)))
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
