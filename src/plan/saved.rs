//! Saved plans (`plan --out`) and their staleness check.
//!
//! A saved plan is the plan, the desired state it came from and the options, as JSON; it holds no
//! secret because none of these types can hold one. Its fingerprint covers the tenant objects the
//! plan touches, so that applying it later can refuse when one of them changed (Auth0 has no
//! ETags): apply re-reads the objects in [`super::Plan::touched`] (or the whole tenant), calls
//! [`fingerprint`] and compares with [`super::Plan::fingerprint`]. Reading and writing the file is
//! the command's job. Must do no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::keys::Credentials;
use super::{Change, Error, FORMAT_VERSION, Kind, Plan, PlanOptions};
use crate::model::{DesiredState, RemoteState};

/// What `plan --out` writes and `apply PLAN` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`FORMAT_VERSION`]; checked before anything else is read.
    pub format_version: u32,
    /// The m2mctl version that wrote it (informational).
    pub m2mctl_version: String,
    /// sha256 of the touched tenant objects at plan time (same as `plan.fingerprint`).
    pub fingerprint: String,
    /// The options the plan was made with.
    pub options: PlanOptions,
    /// The resolved config.
    pub desired: DesiredState,
    /// The changes to apply.
    pub plan: Plan,
    /// Absolute path of the config the plan was made from; `apply PLAN` checks the project and
    /// tenant against this file, wherever it runs. Absent in plans of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    /// For the embedded local tenant: the absolute path of its state file. `apply PLAN` applies to
    /// this tenant and refuses when it is gone (it never starts an empty one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_tenant: Option<String>,
}

impl SavedPlan {
    /// Wraps a fresh plan for saving.
    pub fn new(plan: Plan, desired: DesiredState, options: PlanOptions) -> SavedPlan {
        SavedPlan {
            format_version: FORMAT_VERSION,
            m2mctl_version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint: plan.fingerprint.clone(),
            options,
            desired,
            plan,
            config_file: None,
            local_tenant: None,
        }
    }

    /// Records where the plan was made: the config file and, for the local tenant, its state file
    /// (both absolute, so that the plan can be applied from any directory).
    pub fn made_from(mut self, config_file: String, local_tenant: Option<String>) -> SavedPlan {
        self.config_file = Some(config_file);
        self.local_tenant = local_tenant;
        self
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        // Serialising these plain data types cannot fail (no maps with non-string keys).
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a saved plan, checking `format_version` first so that a newer document gets a
    /// version error rather than a confusing field error.
    pub fn from_json(text: &str) -> Result<SavedPlan, Error> {
        let invalid = |e: serde_json::Error| Error::SavedPlanInvalid {
            reason: e.to_string(),
        };
        let value: Value = serde_json::from_str(text).map_err(invalid)?;
        let version = value.get("format_version");
        if version.and_then(Value::as_u64) != Some(u64::from(FORMAT_VERSION)) {
            return Err(Error::SavedPlanVersion {
                found: version.map_or_else(|| "(missing)".to_string(), Value::to_string),
                expected: FORMAT_VERSION,
            });
        }
        let changes = value.pointer("/plan/changes").and_then(Value::as_array);
        if changes.is_some_and(|cs| cs.iter().any(|c| c.get("target").is_none())) {
            return Err(Error::SavedPlanOutdated);
        }
        let saved: SavedPlan = serde_json::from_value(value).map_err(invalid)?;
        if saved.plan.format_version != FORMAT_VERSION
            || saved.plan.fingerprint != saved.fingerprint
        {
            return Err(Error::SavedPlanInvalid {
                reason: "the plan inside does not match its envelope".into(),
            });
        }
        Ok(saved)
    }
}

/// One tenant object a plan reads before writing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Which kind.
    pub kind: Kind,
    /// Client id, grant id or resource-server id.
    pub id: String,
}

/// The objects `changes` modify or delete (cascaded grants included), sorted, without repeats.
/// A key change of an existing client touches that client's whole credential list (kind
/// credential, the client's id): a key registered, changed or removed by anyone else makes the
/// plan stale, since the 2-key rule and the signing list were planned from that list.
pub(super) fn touched(changes: &[Change]) -> Vec<ObjectRef> {
    let mut refs: Vec<ObjectRef> = Vec::new();
    for c in changes {
        if matches!(c.kind(), Kind::Credential | Kind::SigningKeys) {
            let client = c.target.key_client().and_then(|r| r.client_id.clone());
            refs.extend(client.map(|id| ObjectRef {
                kind: Kind::Credential,
                id,
            }));
        }
        if c.kind() == Kind::Credential {
            continue;
        }
        if let Some(id) = &c.id {
            refs.push(ObjectRef {
                kind: c.kind(),
                id: id.clone(),
            });
        }
        refs.extend(c.cascade.iter().map(|g| ObjectRef {
            kind: Kind::Grant,
            id: g.id.clone(),
        }));
    }
    refs.sort();
    refs.dedup();
    refs
}

/// sha256 (lowercase hex) over the canonical JSON of each listed object as `remote` has it (a
/// client's credential list as `credentials` has it, sorted by id), in the listed order; an
/// object missing from `remote` hashes as `null`, so a deletion changes the fingerprint too.
/// Canonical JSON: object keys sorted, no whitespace.
pub fn fingerprint(
    objects: &[ObjectRef],
    remote: &RemoteState,
    credentials: &Credentials,
) -> String {
    let mut hasher = Sha256::new();
    for r in objects {
        let value = match r.kind {
            Kind::Api => find(remote.apis.iter(), |a| a.id == r.id),
            Kind::Client => find(remote.clients.iter(), |c| c.client_id == r.id),
            Kind::Grant => find(remote.grants.iter(), |g| g.id == r.id),
            Kind::Credential => credentials.get(&r.id).map_or(Value::Null, |list| {
                let mut list = list.clone();
                list.sort_by(|a, b| a.id.cmp(&b.id));
                serde_json::to_value(list).unwrap_or(Value::Null)
            }),
            Kind::SigningKeys => find(remote.clients.iter(), |c| c.client_id == r.id),
        };
        let kind = serde_json::to_string(&r.kind).unwrap_or_default();
        hasher.update(kind.as_bytes());
        hasher.update(b"\t");
        hasher.update(r.id.as_bytes());
        hasher.update(b"\t");
        hasher.update(canonical(&value).to_string().as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The first matching object as JSON, or `null`.
fn find<'a, T: Serialize + 'a>(
    mut items: impl Iterator<Item = &'a T>,
    pred: impl Fn(&T) -> bool,
) -> Value {
    items
        .find(|t| pred(t))
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(Value::Null)
}

/// The same value with every object's keys sorted.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let sorted: Map<String, Value> = keys
                .into_iter()
                .map(|k| (k.clone(), canonical(&map[k])))
                .collect();
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}
