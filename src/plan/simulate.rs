//! The effect of a plan on a tenant state, computed in memory.
//!
//! Test-only: used by the property test (diff → simulate → diff is empty) and by apply tests.
//! Models what Auth0 does with each request (metadata merge with `null` deleting a key, grants
//! deleted with their client), inventing ids for created objects. Must do no I/O.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Action, Change, FieldChange, Kind, METADATA_PREFIX, Plan, string_items};
use crate::auth0::field;
use crate::model::{MARKER_KEY, Marker, RemoteApi, RemoteClient, RemoteGrant, RemoteState};

/// The tenant state after applying every change of `plan` to `remote`.
pub(crate) fn simulate(plan: &Plan, remote: &RemoteState) -> RemoteState {
    let mut sim = Sim {
        state: remote.clone(),
        created: BTreeMap::new(),
        next: 0,
    };
    // Apply order: creates and updates by kind (APIs, clients, grants), then deletes.
    let (deletes, writes): (Vec<&Change>, Vec<&Change>) = plan
        .changes
        .iter()
        .partition(|c| c.action == Action::Delete);
    for c in writes.into_iter().chain(deletes) {
        sim.apply(c);
    }
    sim.state
}

/// Simulation state: the tenant plus the ids given to applications created so far.
struct Sim {
    state: RemoteState,
    created: BTreeMap<String, String>,
    next: usize,
}

impl Sim {
    /// A fresh id that no object of the state has.
    fn fresh(&mut self, prefix: &str) -> String {
        loop {
            self.next += 1;
            let id = format!("{prefix}_sim{}", self.next);
            let s = &self.state;
            let taken = s.apis.iter().any(|a| a.id == id)
                || s.clients.iter().any(|c| c.client_id == id)
                || s.grants.iter().any(|g| g.id == id);
            if !taken {
                return id;
            }
        }
    }

    fn apply(&mut self, c: &Change) {
        let id = c.id.clone().unwrap_or_default();
        match (c.kind(), c.action) {
            (Kind::Api, Action::Create) => {
                let mut api = RemoteApi {
                    id: self.fresh("api"),
                    identifier: String::new(),
                    name: String::new(),
                    scopes: Vec::new(),
                    token_lifetime: None,
                    is_system: false,
                };
                c.fields.iter().for_each(|f| set_api(&mut api, f));
                self.state.apis.push(api);
            }
            (Kind::Api, Action::Delete) => self.state.apis.retain(|a| a.id != id),
            (Kind::Api, _) => {
                if let Some(api) = self.state.apis.iter_mut().find(|a| a.id == id) {
                    c.fields.iter().for_each(|f| set_api(api, f));
                }
            }
            (Kind::Client, Action::Create) => {
                let mut client = RemoteClient {
                    client_id: self.fresh("client"),
                    name: String::new(),
                    description: None,
                    app_type: None,
                    grant_types: Vec::new(),
                    token_endpoint_auth_method: None,
                    client_metadata: BTreeMap::new(),
                    client_authentication_methods: None,
                    global: false,
                };
                c.fields.iter().for_each(|f| set_client(&mut client, f));
                if let Some(m) = client
                    .client_metadata
                    .get(MARKER_KEY)
                    .and_then(|v| Marker::decode(v))
                {
                    self.created.insert(m.key, client.client_id.clone());
                }
                self.state.clients.push(client);
            }
            (Kind::Client, Action::Delete) => {
                self.state.clients.retain(|x| x.client_id != id);
                self.state.grants.retain(|g| g.client_id != id);
            }
            (Kind::Client, _) => {
                if let Some(client) = self.state.clients.iter_mut().find(|x| x.client_id == id) {
                    c.fields.iter().for_each(|f| set_client(client, f));
                }
            }
            (Kind::Grant, Action::Create) => {
                let client_id = c.target.grant_client().and_then(|r| {
                    r.client_id
                        .clone()
                        .or_else(|| self.created.get(&r.key).cloned())
                });
                let mut grant = RemoteGrant {
                    id: self.fresh("cgr"),
                    client_id: client_id.unwrap_or_default(),
                    audience: String::new(),
                    scope: Vec::new(),
                    subject_type: Some(crate::auth0::SUBJECT_CLIENT.into()),
                    organization_usage: None,
                    allow_any_organization: None,
                    default_for: None,
                };
                let body = c.body_for_client(&grant.client_id);
                write_grant(&mut grant, body);
                self.state.grants.push(grant);
            }
            (Kind::Grant, Action::Delete) => self.state.grants.retain(|g| g.id != id),
            (Kind::Grant, _) => {
                if let Some(grant) = self.state.grants.iter_mut().find(|g| g.id == id) {
                    write_grant(grant, c.body());
                }
            }
            // Credentials are not part of the read state the simulation replays.
            (Kind::Credential | Kind::SigningKeys, _) => {}
        }
    }
}

/// The string of a value (`None` for null or absent).
fn text(v: &Option<Value>) -> Option<String> {
    v.as_ref().and_then(Value::as_str).map(str::to_string)
}

fn set_api(api: &mut RemoteApi, f: &FieldChange) {
    match f.field.as_str() {
        field::IDENTIFIER => api.identifier = text(&f.after).unwrap_or_default(),
        field::NAME => api.name = text(&f.after).unwrap_or_default(),
        field::SCOPES => {
            api.scopes = f
                .after
                .clone()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default()
        }
        field::TOKEN_LIFETIME => {
            api.token_lifetime = f
                .after
                .as_ref()
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        }
        _ => {}
    }
}

fn set_client(client: &mut RemoteClient, f: &FieldChange) {
    if let Some(key) = f.field.strip_prefix(METADATA_PREFIX) {
        match text(&f.after) {
            Some(v) => client.client_metadata.insert(key.to_string(), v),
            None => client.client_metadata.remove(key),
        };
        return;
    }
    match f.field.as_str() {
        field::NAME => client.name = text(&f.after).unwrap_or_default(),
        field::DESCRIPTION => client.description = text(&f.after),
        field::APP_TYPE => client.app_type = text(&f.after),
        field::GRANT_TYPES => client.grant_types = string_items(f.after.as_ref()),
        field::TOKEN_ENDPOINT_AUTH_METHOD => client.token_endpoint_auth_method = text(&f.after),
        _ => {}
    }
}

/// What Auth0 does with a grant body: every field sent replaces the stored one (so a new grant
/// field needs nothing here).
fn write_grant(grant: &mut RemoteGrant, body: Option<Value>) {
    let (Ok(Value::Object(mut stored)), Some(Value::Object(body))) =
        (serde_json::to_value(&*grant), body)
    else {
        return;
    };
    stored.extend(body);
    if let Ok(written) = serde_json::from_value(Value::Object(stored)) {
        *grant = written;
    }
}
