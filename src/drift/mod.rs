//! Drift: what differs between a config and its tenant (the plan `apply` would run), and which
//! tenant log entries touched each differing object (who changed it, when, how).
//!
//! Owns the drift report (data) and attribution (log entries → objects by id in the request
//! path, the created object in the response, or a grant's client and audience in the body).
//! Pure: the plan and the log entries in, the report out; rendering is [`render`].

pub mod render;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth0::field;
use crate::model::RemoteState;
use crate::plan::{Action, Change, Kind, Plan};
use crate::tenant::logs::{LogEntry, Logs};

/// The `q` that finds Management API writes.
pub const SAPI_QUERY: &str = "type:sapi";

/// One log entry that touched a drifted object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touch {
    /// The entry's id.
    pub log_id: String,
    /// When.
    pub date: String,
    /// The client that made the call (empty for a user).
    pub client_id: String,
    /// That client's name.
    pub client_name: String,
    /// The user, for Dashboard changes.
    pub user: Option<String>,
    /// Auth0's description, e.g. `Update a Client`.
    pub operation: String,
    /// `PATCH /api/v2/clients/abc`.
    pub request: String,
}

/// One object that differs from the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drifted {
    /// The plan address, e.g. `application.billing`.
    pub address: String,
    /// What apply would do about it.
    pub action: Action,
    /// The tenant id, when the object exists.
    pub id: Option<String>,
    /// The fields that differ (Auth0 wire names).
    pub fields: Vec<String>,
    /// Log entries that touched it, newest first.
    pub touched_by: Vec<Touch>,
}

/// Whether the report could name authors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Authors {
    /// Logs read: every entry within the tenant's retention was searched.
    Found {
        /// More entries matched than could be read (Auth0's 1000-entry window).
        truncated: bool,
    },
    /// No authors: the token lacks `read:logs`.
    NoPermission,
}

/// The drift of one config against its tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The config's project.
    pub project: String,
    /// The drifted objects, in plan order.
    pub drifted: Vec<Drifted>,
    /// Whether authors could be named.
    pub authors: Authors,
}

impl Report {
    /// True when the tenant matches the config.
    pub fn is_clean(&self) -> bool {
        self.drifted.is_empty()
    }
}

/// Builds the report from a plan, the tenant it was made from, and the `sapi` log read.
pub fn report(plan: &Plan, remote: &RemoteState, logs: &Logs) -> Report {
    let (entries, authors): (&[LogEntry], Authors) = match logs {
        Logs::Read { entries, truncated } => (
            entries,
            Authors::Found {
                truncated: *truncated,
            },
        ),
        Logs::Forbidden => (&[], Authors::NoPermission),
    };
    let drifted = plan
        .changes
        .iter()
        .map(|c| Drifted {
            address: c.address.clone(),
            action: c.action,
            id: c.id.clone(),
            fields: c.fields.iter().map(|f| f.field.clone()).collect(),
            touched_by: entries
                .iter()
                .filter(|e| touches(e, c, remote))
                .map(touch)
                .collect(),
        })
        .collect();
    Report {
        project: plan.project.clone(),
        drifted,
        authors,
    }
}

fn touch(e: &LogEntry) -> Touch {
    let user = e
        .user_name
        .clone()
        .or_else(|| e.user_id.clone())
        .filter(|u| !u.is_empty());
    Touch {
        log_id: e.log_id.clone(),
        date: e.date.clone(),
        client_id: e.client_id.clone().unwrap_or_default(),
        client_name: e.client_name.clone().unwrap_or_default(),
        user,
        operation: e.description.clone().unwrap_or_default(),
        request: format!(
            "{} {}",
            e.method().unwrap_or_default().to_ascii_uppercase(),
            e.path().unwrap_or_default()
        ),
    }
}

/// The collection path of a kind.
fn collection(kind: Kind) -> &'static str {
    match kind {
        Kind::Api => "/api/v2/resource-servers",
        Kind::Client => "/api/v2/clients",
        Kind::Grant => "/api/v2/client-grants",
        Kind::Credential | Kind::SigningKeys => "/api/v2/clients",
    }
}

/// Whether `entry` wrote the object `change` is about.
fn touches(entry: &LogEntry, change: &Change, remote: &RemoteState) -> bool {
    let Some(path) = entry.path() else {
        return false;
    };
    let base = collection(change.kind());
    let Some(rest) = path.strip_prefix(base) else {
        return false;
    };
    let path_id = rest
        .trim_start_matches('/')
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        });
    if let (Some(id), Some(path_id)) = (&change.id, &path_id)
        && id == path_id
    {
        return true;
    }
    let created = entry.response_body();
    let created_id = created
        .and_then(|b| {
            b.get(field::CLIENT_ID)
                .filter(|_| change.kind() == Kind::Client)
        })
        .or_else(|| created.and_then(|b| b.get("id")))
        .and_then(Value::as_str);
    if let (Some(id), Some(created_id)) = (&change.id, created_id)
        && id == created_id
    {
        return true;
    }
    // A grant the config wants but the tenant lacks: a delete (or create) of the same client
    // and audience in the logs; the body or response names them.
    if change.kind() == Kind::Grant {
        let (client, audience) = grant_target(change, remote);
        let body = entry
            .details
            .as_ref()
            .and_then(|d| d.pointer("/request/body"));
        let named = |b: Option<&Value>| {
            b.is_some_and(|b| {
                client.is_some()
                    && b.get(field::CLIENT_ID).and_then(Value::as_str) == client.as_deref()
                    && b.get(field::AUDIENCE).and_then(Value::as_str) == audience.as_deref()
            })
        };
        return named(body) || named(created);
    }
    false
}

/// The client id and audience of a grant change.
fn grant_target(change: &Change, remote: &RemoteState) -> (Option<String>, Option<String>) {
    if let Some(g) = change
        .id
        .as_ref()
        .and_then(|id| remote.grants.iter().find(|g| &g.id == id))
    {
        return (Some(g.client_id.clone()), Some(g.audience.clone()));
    }
    match &change.target {
        crate::plan::Target::Grant {
            client, audience, ..
        } => (client.client_id.clone(), Some(audience.clone())),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests;
