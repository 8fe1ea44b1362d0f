//! The fingerprint of the tenant objects a plan touches, so that applying a saved plan can refuse
//! when one of them changed since the plan was made (Auth0 has no ETags).
//!
//! Apply re-reads the objects listed in [`super::Plan::touched`] (or the whole tenant), calls
//! [`fingerprint`] and compares with [`super::Plan::fingerprint`]. Must do no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{Change, Kind};
use crate::model::RemoteState;

/// One tenant object a plan reads before writing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Which kind.
    pub kind: Kind,
    /// Client id, grant id or resource-server id.
    pub id: String,
}

/// The objects `changes` modify or delete (cascaded grants included), sorted, without repeats.
pub(super) fn touched(changes: &[Change]) -> Vec<ObjectRef> {
    let mut refs: Vec<ObjectRef> = Vec::new();
    for c in changes {
        if let Some(id) = &c.id {
            refs.push(ObjectRef {
                kind: c.kind,
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

/// sha256 (lowercase hex) over the canonical JSON of each listed object as `remote` has it, in the
/// listed order; an object missing from `remote` hashes as `null`, so a deletion changes the
/// fingerprint too. Canonical JSON: object keys sorted, no whitespace.
pub fn fingerprint(objects: &[ObjectRef], remote: &RemoteState) -> String {
    let mut hasher = Sha256::new();
    for r in objects {
        let value = match r.kind {
            Kind::Api => find(remote.apis.iter(), |a| a.id == r.id),
            Kind::Client => find(remote.clients.iter(), |c| c.client_id == r.id),
            Kind::Grant => find(remote.grants.iter(), |g| g.id == r.id),
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
