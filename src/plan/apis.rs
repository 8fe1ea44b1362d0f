//! The API (resource server) part of the diff: declared APIs by identifier, and the Management
//! API's token lifetime.
//!
//! APIs are never deleted. External APIs are only referenced, never changed. The system
//! Management API only ever has `token_lifetime` changed. Must do no I/O.

use serde_json::Value;

use super::target::api_address;
use super::{Action, Builder, Change, Error, FieldChange, Target};
use crate::auth0::field;
use crate::model::{DesiredApi, DesiredState, RemoteApi, RemoteState, ScopeDef};

/// The target of a declared API.
fn target(identifier: &str) -> Target {
    Target::Api {
        identifier: identifier.to_string(),
        management: false,
    }
}

/// Scopes in their canonical wire form: sorted by value, one entry per value.
pub(super) fn scopes_value(scopes: &[ScopeDef]) -> Value {
    let mut sorted: Vec<&ScopeDef> = scopes.iter().collect();
    sorted.sort();
    sorted.dedup_by(|a, b| a.value == b.value);
    Value::Array(
        sorted
            .into_iter()
            .map(|s| serde_json::json!({"value": s.value, "description": s.description}))
            .collect(),
    )
}

/// Adds the API changes of `desired` against `remote`.
pub(super) fn diff_apis(
    desired: &DesiredState,
    remote: &RemoteState,
    management: Option<&str>,
    out: &mut Builder,
) -> Result<(), Error> {
    for api in &desired.apis {
        if crate::model::is_lease(&api.identifier) {
            return Err(Error::ReservedIdentifier {
                identifier: api.identifier.clone(),
            });
        }
        let found = remote.apis.iter().find(|r| r.identifier == api.identifier);
        if api.external {
            if found.is_none() && !is_granted(desired, &api.identifier) {
                out.warn(
                    Some(api_address(&api.identifier)),
                    format!(
                        "external API `{}` does not exist in the tenant",
                        api.identifier
                    ),
                );
            }
            continue;
        }
        let is_system = found.is_some_and(|r| r.is_system);
        if is_system || management == Some(api.identifier.as_str()) {
            return Err(Error::SystemApiDeclared {
                identifier: api.identifier.clone(),
            });
        }
        match found {
            None => out.push(create(api)),
            Some(r) => {
                if let Some(change) = update(api, r) {
                    out.push(change);
                }
            }
        }
    }
    if let Some(lifetime) = desired.management_token_lifetime {
        let needed_by = || Error::ManagementApiUnknown {
            needed_by: "the Management API `token_lifetime`".into(),
        };
        let identifier = management.ok_or_else(needed_by)?;
        let system = remote
            .apis
            .iter()
            .find(|r| r.identifier == identifier)
            .ok_or_else(needed_by)?;
        if system.token_lifetime != Some(lifetime) {
            let target = Target::Api {
                identifier: identifier.to_string(),
                management: true,
            };
            out.push(Change::new(
                Action::Update,
                target,
                Some(system.id.clone()),
                vec![FieldChange::new(
                    field::TOKEN_LIFETIME,
                    system.token_lifetime.map(Value::from),
                    Some(Value::from(lifetime)),
                )],
            ));
        }
    }
    Ok(())
}

/// True when some application grants the API with this identifier.
fn is_granted(desired: &DesiredState, identifier: &str) -> bool {
    desired.applications.iter().any(|app| {
        app.grants
            .iter()
            .any(|g| matches!(&g.api, crate::model::ApiRef::Identifier(i) if i == identifier))
    })
}

/// A create with the whole body.
fn create(api: &DesiredApi) -> Change {
    let mut fields = vec![
        FieldChange::new(
            field::IDENTIFIER,
            None,
            Some(Value::from(api.identifier.clone())),
        ),
        FieldChange::new(field::NAME, None, Some(Value::from(api.name.clone()))),
        FieldChange::new(field::SCOPES, None, Some(scopes_value(&api.scopes))),
    ];
    if let Some(lifetime) = api.token_lifetime {
        fields.push(FieldChange::new(
            field::TOKEN_LIFETIME,
            None,
            Some(Value::from(lifetime)),
        ));
    }
    Change::new(Action::Create, target(&api.identifier), None, fields)
}

/// An update of the differing managed fields, or `None` when the API already matches.
fn update(api: &DesiredApi, remote: &RemoteApi) -> Option<Change> {
    let mut fields = Vec::new();
    if api.name != remote.name {
        fields.push(FieldChange::new(
            field::NAME,
            Some(Value::from(remote.name.clone())),
            Some(Value::from(api.name.clone())),
        ));
    }
    let (before, after) = (scopes_value(&remote.scopes), scopes_value(&api.scopes));
    if before != after {
        fields.push(FieldChange::new(field::SCOPES, Some(before), Some(after)));
    }
    if let Some(lifetime) = api.token_lifetime
        && remote.token_lifetime != Some(lifetime)
    {
        fields.push(FieldChange::new(
            field::TOKEN_LIFETIME,
            remote.token_lifetime.map(Value::from),
            Some(Value::from(lifetime)),
        ));
    }
    (!fields.is_empty()).then(|| {
        Change::new(
            Action::Update,
            target(&api.identifier),
            Some(remote.id.clone()),
            fields,
        )
    })
}
