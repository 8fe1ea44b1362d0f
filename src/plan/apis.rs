//! The API (resource server) part of the diff: declared APIs by identifier, and the Management
//! API's token lifetime.
//!
//! APIs are never deleted. External APIs are only referenced, never changed. The system
//! Management API only ever has `token_lifetime` changed. Must do no I/O.

use serde_json::Value;

use super::{Action, Builder, Change, Error, FieldChange, Kind, MANAGEMENT_ADDRESS};
use crate::model::{DesiredApi, DesiredState, RemoteApi, RemoteState, ScopeDef};

/// Address of an API: `api.<identifier>`, or `api.management` for the Management API.
pub(super) fn api_address(identifier: &str) -> String {
    format!("api.{identifier}")
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
            out.push(Change {
                action: Action::Update,
                kind: Kind::Api,
                address: api_address(MANAGEMENT_ADDRESS),
                id: Some(system.id.clone()),
                client: None,
                fields: vec![FieldChange::new(
                    "token_lifetime",
                    system.token_lifetime.map(Value::from),
                    Some(Value::from(lifetime)),
                )],
                cascade: Vec::new(),
            });
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
            "identifier",
            None,
            Some(Value::from(api.identifier.clone())),
        ),
        FieldChange::new("name", None, Some(Value::from(api.name.clone()))),
        FieldChange::new("scopes", None, Some(scopes_value(&api.scopes))),
    ];
    if let Some(lifetime) = api.token_lifetime {
        fields.push(FieldChange::new(
            "token_lifetime",
            None,
            Some(Value::from(lifetime)),
        ));
    }
    Change {
        action: Action::Create,
        kind: Kind::Api,
        address: api_address(&api.identifier),
        id: None,
        client: None,
        fields,
        cascade: Vec::new(),
    }
}

/// An update of the differing managed fields, or `None` when the API already matches.
fn update(api: &DesiredApi, remote: &RemoteApi) -> Option<Change> {
    let mut fields = Vec::new();
    if api.name != remote.name {
        fields.push(FieldChange::new(
            "name",
            Some(Value::from(remote.name.clone())),
            Some(Value::from(api.name.clone())),
        ));
    }
    let (before, after) = (scopes_value(&remote.scopes), scopes_value(&api.scopes));
    if before != after {
        fields.push(FieldChange::new("scopes", Some(before), Some(after)));
    }
    if let Some(lifetime) = api.token_lifetime
        && remote.token_lifetime != Some(lifetime)
    {
        fields.push(FieldChange::new(
            "token_lifetime",
            remote.token_lifetime.map(Value::from),
            Some(Value::from(lifetime)),
        ));
    }
    (!fields.is_empty()).then(|| Change {
        action: Action::Update,
        kind: Kind::Api,
        address: api_address(&api.identifier),
        id: Some(remote.id.clone()),
        client: None,
        fields,
        cascade: Vec::new(),
    })
}
