//! One planned change: its action, the object it targets and the per-field before/after values.
//!
//! Owns the plan's vocabulary ([`Action`], [`Kind`], [`Change`], [`FieldChange`]) and the pure
//! helpers every consumer needs from it: the request body a change stands for and the set view of
//! list-valued fields. Must not compare desired and remote state (that is `diff`), nor format text.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use super::target::{ClientRef, Target};
use crate::auth0::field;

/// What happens to one tenant object. A closed set: the plan holds no no-op entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new object; every field has `before: None`.
    Create,
    /// Managed fields of an existing object change; only differing fields are listed.
    Update,
    /// An update of an unmarked client pinned by `client_id` that adds the ownership marker.
    Adopt,
    /// The object goes away; every field has `after: None`.
    Delete,
}

impl Action {
    /// The symbol the text and markdown renderers show.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Adopt => "<=",
            Action::Delete => "-",
        }
    }

    /// The verb shown next to the address ("will be created").
    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Update => "updated in place",
            Action::Adopt => "adopted",
            Action::Delete => "deleted",
        }
    }
}

/// Which kind of tenant object a change targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A resource server.
    Api,
    /// An application (client).
    Client,
    /// A client grant.
    Grant,
    /// A client credential (a public key of a private-key JWT application).
    Credential,
    /// The credentials a client signs its assertions with (`client_authentication_methods`).
    SigningKeys,
}

/// A grant that Auth0 deletes together with its client (shown on the client's delete, never sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CascadedGrant {
    /// `cgr_…`.
    pub id: String,
    /// The API identifier.
    pub audience: String,
    /// The scopes it held, sorted.
    pub scope: Vec<String>,
}

/// One field's values before and after, in Auth0's wire form.
///
/// `field` is the wire name (`name`, `scopes`, `scope`, `token_lifetime`…); metadata keys are
/// `client_metadata.<key>`. `before: None` means absent (always so on create), `after: None` means
/// removed (always so on delete; a metadata key removal is sent as `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Wire name of the field.
    pub field: String,
    /// Value in the tenant now.
    pub before: Option<Value>,
    /// Value after apply.
    pub after: Option<Value>,
}

/// Prefix of the per-key metadata fields.
pub const METADATA_PREFIX: &str = field::METADATA_PREFIX;

/// The strings of a JSON array value, collected as a `Vec` or a set. Absent, null, non-array
/// values and non-string items contribute nothing (the shape was checked when the plan was made).
pub fn string_items<C: FromIterator<String>>(value: Option<&Value>) -> C {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect()
}

/// Element-wise view of a list-valued field (scopes, grant types), for "+ x / - y" displays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetDelta {
    /// Elements only in `after`.
    pub added: Vec<Value>,
    /// Elements only in `before`.
    pub removed: Vec<Value>,
    /// Elements whose identity (`value` of an API scope) stayed but whose content changed.
    pub changed: Vec<(Value, Value)>,
}

impl FieldChange {
    /// Builds a change of one field.
    pub fn new(field: impl Into<String>, before: Option<Value>, after: Option<Value>) -> Self {
        FieldChange {
            field: field.into(),
            before,
            after,
        }
    }

    /// The set view when both sides are arrays (or absent); `None` for scalar fields.
    ///
    /// Array elements that are objects with a `value` key (API scopes) are matched by that key, so
    /// a new description shows as a change of one scope instead of a removal plus an addition.
    pub fn set_delta(&self) -> Option<SetDelta> {
        let side = |v: &Option<Value>| match v {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) => Some(items.clone()),
            Some(_) => None,
        };
        let (before, after) = (side(&self.before)?, side(&self.after)?);
        let identity = |v: &Value| v.get("value").cloned().unwrap_or_else(|| v.clone());
        let mut delta = SetDelta::default();
        for b in &before {
            match after.iter().find(|a| identity(a) == identity(b)) {
                None => delta.removed.push(b.clone()),
                Some(a) if a != b => delta.changed.push((b.clone(), a.clone())),
                Some(_) => {}
            }
        }
        for a in &after {
            if !before.iter().any(|b| identity(a) == identity(b)) {
                delta.added.push(a.clone());
            }
        }
        Some(delta)
    }
}

/// One planned change to one tenant object.
///
/// Serialised with its target's kind and (for grants) application repeated as `kind` and `client`,
/// the plan document's fields since version 1; reading needs `target` (plans saved before it are
/// refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What happens.
    pub action: Action,
    /// What it acts on.
    pub target: Target,
    /// Stable, human address ([`Target::address`]); display only, never parsed.
    pub address: String,
    /// The tenant id (client id, grant id, resource-server id) when the object exists.
    pub id: Option<String>,
    /// Field values before and after (all fields on create/delete, differing ones on update).
    pub fields: Vec<FieldChange>,
    /// For a client delete: its grants, which Auth0 deletes with it (no separate request).
    pub cascade: Vec<CascadedGrant>,
}

impl Change {
    /// A change of `target` (its address derived from it), without cascaded grants.
    pub fn new(
        action: Action,
        target: Target,
        id: Option<String>,
        fields: Vec<FieldChange>,
    ) -> Change {
        Change {
            action,
            address: target.address(),
            target,
            id,
            fields,
            cascade: Vec::new(),
        }
    }

    /// Which kind of object the change acts on.
    pub fn kind(&self) -> Kind {
        self.target.kind()
    }

    /// The JSON body of the request this change stands for (`POST` on create, `PATCH` on update and
    /// adopt; `None` on delete, which has no body).
    ///
    /// Metadata keys are nested under `client_metadata`; a removed key is `null` (Auth0 merges
    /// metadata on PATCH). A grant create names its client when `client.client_id` is known; for
    /// an application created by the same plan apply asks [`Change::body_for_client`].
    pub fn body(&self) -> Option<Value> {
        let client_id = self
            .target
            .grant_client()
            .and_then(|c| c.client_id.as_deref());
        self.body_with(client_id)
    }

    /// [`Change::body`] of a grant create for the client `client_id` (the id apply got when it
    /// created the grant's application); the same as `body()` for every other change.
    pub fn body_for_client(&self, client_id: &str) -> Option<Value> {
        self.body_with(Some(client_id))
    }

    fn body_with(&self, grant_client_id: Option<&str>) -> Option<Value> {
        if self.action == Action::Delete {
            return None;
        }
        let mut body = Map::new();
        let mut metadata = Map::new();
        for f in &self.fields {
            let value = f.after.clone().unwrap_or(Value::Null);
            match f.field.strip_prefix(METADATA_PREFIX) {
                Some(key) => {
                    metadata.insert(key.to_string(), value);
                }
                None => {
                    body.insert(f.field.clone(), value);
                }
            }
        }
        if !metadata.is_empty() {
            body.insert(field::CLIENT_METADATA.into(), Value::Object(metadata));
        }
        if self.kind() == Kind::Grant
            && self.action == Action::Create
            && let Some(id) = grant_client_id
        {
            body.insert(field::CLIENT_ID.into(), Value::String(id.to_string()));
        }
        Some(Value::Object(body))
    }

    /// The field change named `field` (a wire name), if listed.
    pub fn field(&self, field: &str) -> Option<&FieldChange> {
        self.fields.iter().find(|f| f.field == field)
    }

    /// The `token_endpoint_auth_method` this change sets: `None` when it leaves it alone,
    /// `Some(None)` when it sets something that is not a method name.
    pub fn sets_auth_method(&self) -> Option<Option<&str>> {
        let after = self
            .field(field::TOKEN_ENDPOINT_AUTH_METHOD)?
            .after
            .as_ref();
        Some(after.and_then(Value::as_str))
    }

    /// The grant types this change sets, when it sets them.
    pub fn sets_grant_types(&self) -> Option<BTreeSet<String>> {
        let f = self.field(field::GRANT_TYPES)?;
        Some(string_items(f.after.as_ref()))
    }

    /// The scopes a grant has after this change (empty when it sets none).
    pub fn scope_after(&self) -> BTreeSet<String> {
        string_items(self.field(field::SCOPE).and_then(|f| f.after.as_ref()))
    }

    /// The scopes this grant change takes away (held before, not after), sorted.
    pub fn removed_scopes(&self) -> BTreeSet<String> {
        let Some(f) = self.field(field::SCOPE) else {
            return BTreeSet::new();
        };
        let after: BTreeSet<String> = string_items(f.after.as_ref());
        string_items::<BTreeSet<String>>(f.before.as_ref())
            .into_iter()
            .filter(|s| !after.contains(s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;

    #[test]
    fn string_items_keeps_the_strings_of_an_array_only() {
        let cases = [
            (Some(json!(["b", "a", "b"])), vec!["b", "a", "b"]),
            (Some(json!(["a", 1, null, "c"])), vec!["a", "c"]),
            (Some(json!("a")), vec![]),
            (Some(Value::Null), vec![]),
            (None, vec![]),
        ];
        for (value, want) in cases {
            let got: Vec<String> = string_items(value.as_ref());
            assert_eq!(got, want, "{value:?}");
        }
        let set: BTreeSet<String> = string_items(Some(&json!(["b", "a", "b"])));
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    }
}
