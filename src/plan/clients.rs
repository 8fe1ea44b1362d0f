//! The application part of the diff: matching desired applications to tenant clients, managed
//! client fields, and prune.
//!
//! Matching order: this project's marker with the app's key, then the pinned `client_id`
//! (adoption). Unmarked clients are never touched unless pinned; clients of other projects are
//! never touched. A marker on a client m2mctl must never own (the global client, or an
//! `app_type` other than `non_interactive`: [`RemoteClient::unownable`]) is never matched: the
//! plan warns and leaves that client alone. `client_metadata` is authoritative on managed clients: keys the config does not
//! declare are removed (sent as `null`, Auth0 merges metadata on PATCH). Must do no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::target::app_address;
use super::{Action, Builder, CascadedGrant, Change, Error, FieldChange, METADATA_PREFIX, Target};
use crate::auth0::{self, ClientAuth, field};
use crate::model::{DesiredApp, DesiredState, MARKER_KEY, Marker, RemoteClient, RemoteState};

/// The values m2mctl forces on every managed application.
pub(super) const APP_TYPE: &str = crate::model::OWNABLE_APP_TYPE;
/// The only grant type of a managed application.
pub(super) const GRANT_TYPE: &str = crate::auth0::GRANT_TYPE_CLIENT_CREDENTIALS;

/// How a desired application found its client.
#[derive(Debug, Clone, Copy)]
pub(super) enum Match<'a> {
    /// The client carrying this project's marker with the app's key.
    Marked(&'a RemoteClient),
    /// An unmarked client pinned by `client_id`: adopted.
    Pinned(&'a RemoteClient),
    /// No client yet: created.
    New,
}

impl<'a> Match<'a> {
    /// The existing client, if any.
    pub(super) fn client(self) -> Option<&'a RemoteClient> {
        match self {
            Match::Marked(c) | Match::Pinned(c) => Some(c),
            Match::New => None,
        }
    }
}

/// Result of matching: each desired app with its client, and this project's leftover clients.
#[derive(Debug)]
pub(super) struct Matched<'a> {
    /// Desired applications in config order.
    pub(super) apps: Vec<(&'a DesiredApp, Match<'a>)>,
    /// Clients with this project's marker whose key is not in the config, sorted by key.
    pub(super) orphans: Vec<(String, &'a RemoteClient)>,
    /// Clients carrying this project's marker that m2mctl must never own: (key, client, why).
    pub(super) ignored: Vec<(String, &'a RemoteClient, String)>,
}

/// Matches every desired application to at most one client, enforcing the ownership rules.
pub(super) fn match_apps<'a>(
    desired: &'a DesiredState,
    remote: &'a RemoteState,
) -> Result<Matched<'a>, Error> {
    let project = desired.project.as_str();
    let mut ours: BTreeMap<String, Vec<&RemoteClient>> = BTreeMap::new();
    let mut ignored = Vec::new();
    for c in &remote.clients {
        let Some(m) = c.marker().filter(|m| m.project == project) else {
            continue;
        };
        match c.unownable() {
            None => ours.entry(m.key).or_default().push(c),
            Some(why) => ignored.push((m.key, c, why)),
        }
    }
    let mut pinned: BTreeMap<&str, &str> = BTreeMap::new();
    let mut apps = Vec::with_capacity(desired.applications.len());
    for app in &desired.applications {
        let key = app.key.clone();
        let marked = ours.get(&app.key).map(Vec::as_slice).unwrap_or_default();
        if marked.len() > 1 {
            let ids: Vec<String> = marked
                .iter()
                .map(|c| format!("`{}`", c.client_id))
                .collect();
            return Err(Error::DuplicateMarker {
                key,
                ids: ids.join(", "),
            });
        }
        let found = if let Some(c) = marked.first() {
            match &app.client_id {
                Some(pin) if *pin != c.client_id => {
                    return Err(Error::PinConflict {
                        key,
                        pinned: pin.clone(),
                        marked: c.client_id.clone(),
                    });
                }
                _ => Match::Marked(c),
            }
        } else if let Some(pin) = &app.client_id {
            let c = pinned_client(remote, project, app, pin)?;
            if let Some(first) = pinned.insert(c.client_id.as_str(), app.key.as_str()) {
                return Err(Error::PinnedTwice {
                    client_id: pin.clone(),
                    first: first.to_string(),
                    second: key,
                });
            }
            Match::Pinned(c)
        } else {
            check_unclaimed(remote, project, app)?;
            Match::New
        };
        apps.push((app, found));
    }
    let declared: BTreeSet<&str> = desired
        .applications
        .iter()
        .map(|a| a.key.as_str())
        .collect();
    let orphans = ours
        .into_iter()
        .filter(|(key, _)| !declared.contains(key.as_str()))
        .flat_map(|(key, cs)| cs.into_iter().map(move |c| (key.clone(), c)))
        .collect();
    Ok(Matched {
        apps,
        orphans,
        ignored,
    })
}

/// The pinned client, when it exists and may be adopted.
fn pinned_client<'a>(
    remote: &'a RemoteState,
    project: &str,
    app: &DesiredApp,
    pin: &str,
) -> Result<&'a RemoteClient, Error> {
    let key = app.key.clone();
    let client_id = pin.to_string();
    let Some(c) = remote.clients.iter().find(|c| c.client_id == pin) else {
        return Err(Error::PinnedClientMissing { key, client_id });
    };
    if c.global {
        return Err(Error::GlobalClient { key, client_id });
    }

    match c.marker() {
        // Only a client m2mctl may not own carries this marker unmatched: pinning adopts it.
        Some(m) if m.project == project && m.key == app.key => Ok(c),
        Some(m) if m.project != project => Err(Error::OwnedByOtherProject {
            key,
            client_id,
            owner: m.project,
        }),
        Some(m) => Err(Error::PinnedClientHasOtherKey {
            key,
            client_id,
            other_key: m.key,
        }),
        None => Ok(c),
    }
}

/// Errors when a new application would collide with another project's key or an unmanaged client
/// of the same name (never adopted silently).
fn check_unclaimed(remote: &RemoteState, project: &str, app: &DesiredApp) -> Result<(), Error> {
    for c in &remote.clients {
        match (c.owned_marker(), c.marker()) {
            (Some(m), _) if m.project != project && m.key == app.key => {
                return Err(Error::OwnedByOtherProject {
                    key: app.key.clone(),
                    client_id: c.client_id.clone(),
                    owner: m.project,
                });
            }
            (_, None) if !c.global && c.name == app.name => {
                return Err(Error::SameNameUnmanaged {
                    key: app.key.clone(),
                    name: app.name.clone(),
                    client_id: c.client_id.clone(),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Adds client creates, updates, adoptions and (with prune) deletes.
pub(super) fn diff_clients(
    desired: &DesiredState,
    remote: &RemoteState,
    matched: &Matched<'_>,
    prune: bool,
    out: &mut Builder,
) {
    for (app, found) in &matched.apps {
        let mut want = desired_fields(app, &desired.project);
        if let Some(c) = found.client()
            && let ClientAuth::Methods(_) = auth0::client_auth(c)
            && app.auth_method.uses_secret()
        {
            // Credentials (private key JWT, mTLS) replace the secret: never switch back to one.
            want.retain(|(field, _)| field != field::TOKEN_ENDPOINT_AUTH_METHOD);
            out.warn(
                Some(app_address(&app.key)),
                format!(
                    "`{}` authenticates with `{}` (`client_authentication_methods`); m2mctl leaves its authentication method alone",
                    app.key,
                    auth0::client_auth(c).label()
                ),
            );
        }
        let (action, id, fields) = match found {
            Match::New => {
                let fields = want
                    .into_iter()
                    .filter(|(f, v)| !(f == field::DESCRIPTION && v.as_str() == Some("")))
                    .map(|(f, v)| FieldChange::new(f, None, Some(v)))
                    .collect();
                (Action::Create, None, fields)
            }
            Match::Marked(c) => (Action::Update, Some(c), changed_fields(c, want)),
            Match::Pinned(c) => (Action::Adopt, Some(c), changed_fields(c, want)),
        };
        if !fields.is_empty() {
            out.push(Change::new(
                action,
                target(&app.key),
                id.map(|c| c.client_id.clone()),
                fields,
            ));
        }
    }
    for (key, c, why) in &matched.ignored {
        out.warn(
            Some(app_address(key)),
            format!(
                "client `{}` carries the marker of `{key}` but {why}; m2mctl never manages it and leaves it alone",
                c.client_id
            ),
        );
    }
    for (key, c) in &matched.orphans {
        if !prune {
            out.warn(
                Some(app_address(key)),
                format!(
                    "managed application `{key}` (`{}`) is not in the config; run with `--prune` to delete it",
                    c.client_id
                ),
            );
            continue;
        }
        let fields = current_fields(c)
            .into_iter()
            .filter_map(|(f, v)| v.map(|v| FieldChange::new(f, Some(v), None)))
            .collect();
        let mut cascade: Vec<CascadedGrant> = remote
            .grants
            .iter()
            .filter(|g| g.client_id == c.client_id)
            .map(|g| CascadedGrant {
                id: g.id.clone(),
                audience: g.audience.clone(),
                scope: sorted(&g.scope),
            })
            .collect();
        cascade.sort_by(|a, b| (&a.audience, &a.id).cmp(&(&b.audience, &b.id)));
        out.push(Change {
            cascade,
            ..Change::new(
                Action::Delete,
                target(key),
                Some(c.client_id.clone()),
                fields,
            )
        });
    }
}

/// The target of the application `key`.
fn target(key: &str) -> Target {
    Target::Client {
        key: key.to_string(),
    }
}

/// A sorted, de-duplicated copy of a string list (scopes, grant types are sets).
pub(super) fn sorted(items: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = items.iter().collect();
    set.into_iter().cloned().collect()
}

/// The managed fields of an application as the config wants them, in display order.
fn desired_fields(app: &DesiredApp, project: &str) -> Vec<(String, Value)> {
    let marker = Marker {
        project: project.to_string(),
        key: app.key.clone(),
    };
    let mut metadata = app.metadata.clone();
    metadata.insert(MARKER_KEY.to_string(), marker.encode());
    let mut fields = vec![
        (field::NAME.to_string(), Value::from(app.name.clone())),
        (
            field::DESCRIPTION.to_string(),
            Value::from(app.description.clone().unwrap_or_default()),
        ),
        (field::APP_TYPE.to_string(), Value::from(APP_TYPE)),
        (
            field::GRANT_TYPES.to_string(),
            Value::from(vec![GRANT_TYPE]),
        ),
    ];
    // A private-key JWT client has no `token_endpoint_auth_method` (its keys are credentials).
    if app.auth_method.uses_secret() {
        fields.push((
            field::TOKEN_ENDPOINT_AUTH_METHOD.to_string(),
            Value::from(app.auth_method.as_str()),
        ));
    }
    fields.extend(
        metadata
            .into_iter()
            .map(|(k, v)| (format!("{METADATA_PREFIX}{k}"), Value::from(v))),
    );
    fields
}

/// The managed fields of a tenant client as read (`None` when absent), in display order.
fn current_fields(c: &RemoteClient) -> Vec<(String, Option<Value>)> {
    let mut fields = vec![
        (field::NAME.to_string(), Some(Value::from(c.name.clone()))),
        (
            field::DESCRIPTION.to_string(),
            c.description.clone().map(Value::from),
        ),
        (
            field::APP_TYPE.to_string(),
            c.app_type.clone().map(Value::from),
        ),
        (
            field::GRANT_TYPES.to_string(),
            Some(Value::from(sorted(&c.grant_types))),
        ),
        (
            field::TOKEN_ENDPOINT_AUTH_METHOD.to_string(),
            c.token_endpoint_auth_method.clone().map(Value::from),
        ),
    ];
    fields.extend(c.client_metadata.iter().map(|(k, v)| {
        (
            format!("{METADATA_PREFIX}{k}"),
            Some(Value::from(v.clone())),
        )
    }));
    fields
}

/// The fields whose current value differs from the wanted one, metadata removals included.
fn changed_fields(c: &RemoteClient, want: Vec<(String, Value)>) -> Vec<FieldChange> {
    let mut have: BTreeMap<String, Option<Value>> = current_fields(c).into_iter().collect();
    let mut changes = Vec::new();
    for (field, value) in want {
        let before = have.remove(&field).flatten();
        let same = match (field.as_str(), &before) {
            // An absent description and an empty one are the same thing.
            (field::DESCRIPTION, None) => value.as_str() == Some(""),
            (_, before) => before.as_ref() == Some(&value),
        };
        if !same {
            changes.push(FieldChange::new(field, before, Some(value)));
        }
    }
    for (field, before) in have {
        if field.starts_with(METADATA_PREFIX) {
            changes.push(FieldChange::new(field, before, None));
        }
    }
    changes
}
