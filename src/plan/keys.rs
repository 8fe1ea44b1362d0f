//! Private-key JWT credentials of managed applications: the public keys to register, update and
//! remove, compared with the tenant's credentials by thumbprint (`kid`), and the client's list of
//! signing credentials (`client_authentication_methods.private_key_jwt`).
//!
//! Owns the key rules of a plan: a new key is registered before the list names it and an old one
//! removed after (apply's phases), never more than 2 credentials at any moment of the run, never a
//! client switched from keys back to a secret (its last key stays), keys shown by name and
//! thumbprint only (the public PEM rides in the create's body, never in a rendered field), and
//! warnings for keys expiring soon. Pure: the tenant's credentials come in as data.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::clients::match_apps;
use super::{
    Action, Change, ClientRef, Error, FieldChange, Kind, ObjectRef, Plan, PlanOptions, Target,
    Warning,
};
use crate::auth0::field;
use crate::model::{
    AuthMethod, DesiredApp, DesiredState, RemoteClient, RemoteCredential, RemoteState,
};

/// Auth0's limit of credentials per client.
pub const MAX_CREDENTIALS: usize = 2;

/// The tenant's credentials of the clients a plan looks at, by client id.
pub type Credentials = BTreeMap<String, Vec<RemoteCredential>>;

/// True when the config manages this application's keys (`authentication` with keys or
/// `private_key_jwt`); other clients that sign with keys are left alone (`clients` warns).
fn manages_keys(app: &DesiredApp) -> bool {
    !app.keys.is_empty() || app.auth_method == AuthMethod::PrivateKeyJwt
}

/// The existing clients whose credentials the plan needs (read them before [`diff_keys`]).
pub fn clients_to_read(desired: &DesiredState, remote: &RemoteState) -> Result<Vec<String>, Error> {
    let matched = match_apps(desired, remote)?;
    Ok(matched
        .apps
        .iter()
        .filter_map(|(app, found)| {
            let client = found.client()?;
            manages_keys(app).then(|| client.client_id.clone())
        })
        .collect())
}

/// The credential ids a client lists for private-key JWT, as a set.
fn listed(client: &RemoteClient) -> BTreeSet<String> {
    listed_ids(client).into_iter().collect()
}

/// The credential ids a client lists for private-key JWT, in its order.
pub fn listed_ids(client: &RemoteClient) -> Vec<String> {
    client
        .key_credentials()
        .filter_map(|c| c.get("id")?.as_str().map(str::to_string))
        .collect()
}

fn same_time(a: Option<&str>, b: Option<&str>) -> bool {
    let parse = |s: Option<&str>| s.and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
    match (a, b) {
        (None, None) => true,
        (Some(_), Some(_)) => parse(a).is_some() && parse(a) == parse(b),
        _ => false,
    }
}

/// `{"name": …, "kid": …}`: how a plan shows a key.
fn shown(name: &str, kid: &str) -> Value {
    json!({ "name": name, "kid": kid })
}

/// The clients whose credential lists a plan's fingerprint covers (the `touched` entries of kind
/// credential): `apply PLAN` reads them again to check the plan is still fresh.
pub fn clients_in_fingerprint(touched: &[ObjectRef]) -> Vec<String> {
    touched
        .iter()
        .filter(|r| r.kind == Kind::Credential)
        .map(|r| r.id.clone())
        .collect()
}

/// Adds the credential changes of every managed application to `plan` (after [`super::diff`]),
/// and a warning for each configured key expiring within `warn_days` of `now`. Then derives the
/// plan's touched objects, fingerprint (over the credential lists of the clients whose keys
/// change, too) and mass-delete guard (deleted keys count) again, with `options` as the diff had.
pub fn diff_keys(
    plan: &mut Plan,
    desired: &DesiredState,
    remote: &RemoteState,
    credentials: &Credentials,
    options: &PlanOptions,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let matched = match_apps(desired, remote)?;
    let none = Vec::new();
    for (app, found) in &matched.apps {
        let client = found.client();
        if !manages_keys(app) {
            continue;
        }
        let client_ref = ClientRef {
            key: app.key.clone(),
            client_id: client.map(|c| c.client_id.clone()),
        };
        let have = client
            .and_then(|c| credentials.get(&c.client_id))
            .unwrap_or(&none);
        let uses_keys = client.is_some_and(|c| !listed(c).is_empty());
        if app.auth_method.uses_secret() && uses_keys {
            return Err(Error::KeysToSecret {
                key: app.key.clone(),
            });
        }
        let mut creates = Vec::new();
        for key in &app.keys {
            let target = Target::Credential {
                client: client_ref.clone(),
                name: key.name.clone(),
                kid: key.kid.clone(),
            };
            match have.iter().find(|c| c.kid == key.kid) {
                None => {
                    let mut fields = vec![
                        FieldChange::new(field::NAME, None, Some(key.name.clone().into())),
                        FieldChange::new(field::CREDENTIAL_TYPE, None, Some("public_key".into())),
                        FieldChange::new(field::KID, None, Some(key.kid.clone().into())),
                        FieldChange::new(field::ALG, None, Some(key.alg.as_str().into())),
                    ];
                    if let Some(e) = &key.expires_at {
                        fields.push(FieldChange::new(
                            field::EXPIRES_AT,
                            None,
                            Some(e.clone().into()),
                        ));
                    }
                    fields.push(FieldChange::new(
                        field::PEM,
                        None,
                        Some(key.public_pem.clone().into()),
                    ));
                    creates.push(key.name.clone());
                    plan.changes
                        .push(Change::new(Action::Create, target, None, fields));
                }
                Some(c) if !same_time(c.expires_at.as_deref(), key.expires_at.as_deref()) => {
                    let f = FieldChange::new(
                        field::EXPIRES_AT,
                        c.expires_at.clone().map(Value::from),
                        Some(key.expires_at.clone().map_or(Value::Null, Value::from)),
                    );
                    plan.changes.push(Change::new(
                        Action::Update,
                        target,
                        Some(c.id.clone()),
                        vec![f],
                    ));
                }
                Some(_) => {}
            }
        }
        if have.len() + creates.len() > MAX_CREDENTIALS {
            return Err(Error::TooManyKeys {
                key: app.key.clone(),
                registered: have
                    .iter()
                    .map(|c| format!("`{}`", c.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                adding: creates
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let wanted: BTreeSet<&str> = app.keys.iter().map(|k| k.kid.as_str()).collect();
        for c in have.iter().filter(|c| !wanted.contains(c.kid.as_str())) {
            let target = Target::Credential {
                client: client_ref.clone(),
                name: c.name.clone(),
                kid: c.kid.clone(),
            };
            let fields = vec![
                FieldChange::new(field::NAME, Some(c.name.clone().into()), None),
                FieldChange::new(field::KID, Some(c.kid.clone().into()), None),
            ];
            plan.changes.push(Change::new(
                Action::Delete,
                target,
                Some(c.id.clone()),
                fields,
            ));
        }
        if app.auth_method == AuthMethod::PrivateKeyJwt {
            let ids = client.map(listed).unwrap_or_default();
            let before: Vec<Value> = have
                .iter()
                .filter(|c| ids.contains(&c.id))
                .map(|c| shown(&c.name, &c.kid))
                .collect();
            let after: Vec<Value> = app.keys.iter().map(|k| shown(&k.name, &k.kid)).collect();
            let same = before.len() == after.len() && after.iter().all(|a| before.contains(a));
            if !same {
                let mut fields = vec![FieldChange::new(
                    field::PRIVATE_KEY_JWT,
                    client.map(|_| Value::Array(before)),
                    Some(Value::Array(after)),
                )];
                if let Some(method) = client.and_then(|c| c.token_endpoint_auth_method.clone()) {
                    fields.push(FieldChange::new(
                        field::TOKEN_ENDPOINT_AUTH_METHOD,
                        Some(method.into()),
                        None,
                    ));
                }
                let action = if client.is_some() {
                    Action::Update
                } else {
                    Action::Create
                };
                let target = Target::SigningKeys {
                    client: client_ref.clone(),
                };
                plan.changes.push(Change::new(
                    action,
                    target,
                    client.map(|c| c.client_id.clone()),
                    fields,
                ));
            }
        }
    }
    for app in &desired.applications {
        for key in &app.keys {
            let Some(at) = key
                .expires_at
                .as_deref()
                .and_then(|e| OffsetDateTime::parse(e, &Rfc3339).ok())
            else {
                continue;
            };
            let days = (at - now).whole_days();
            if days < i64::from(desired.settings.key_expiry_warning_days) {
                plan.warnings.push(Warning {
                    address: Some(super::target::app_address(&app.key)),
                    message: format!(
                        "key `{}` ({}) of `{}` expires at {} (in {days} days): add a new key, apply, switch the service, then remove this one",
                        key.name, key.kid, app.key, key.expires_at.as_deref().unwrap_or_default()
                    ),
                });
            }
        }
    }
    super::seal(plan, remote, credentials, options);
    Ok(())
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
