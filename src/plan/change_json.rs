//! How a [`Change`] reads and writes as JSON (plan output and saved plans).
//!
//! Owns the document shape of one change: the version-1 keys (`action`, `kind`, `address`, `id`,
//! `client`, `fields`, `cascade`) plus `target`, where `kind` and `client` repeat the target's
//! kind and grant application so that scripts written for version 1 keep working. Reading takes
//! the target and ignores the repeats; a change without `target` (a plan saved by an m2mctl
//! before typed targets) is refused with a message to plan again. Must not hold plan rules.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::change::{Action, CascadedGrant, Change, ClientRef, FieldChange, Kind, Target};

/// Why a change document without `target` cannot be read.
pub(super) const NO_TARGET: &str = "a change has no `target`: the plan was made by an older m2mctl";

#[derive(Serialize)]
struct Out<'a> {
    action: Action,
    kind: Kind,
    address: &'a str,
    id: &'a Option<String>,
    client: Option<&'a ClientRef>,
    target: &'a Target,
    fields: &'a [FieldChange],
    cascade: &'a [CascadedGrant],
}

#[derive(Deserialize)]
struct In {
    action: Action,
    address: String,
    id: Option<String>,
    /// Absent in plans made before typed targets.
    #[serde(default)]
    target: Option<Target>,
    fields: Vec<FieldChange>,
    #[serde(default)]
    cascade: Vec<CascadedGrant>,
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Out {
            action: self.action,
            kind: self.kind(),
            address: &self.address,
            id: &self.id,
            client: self.target.grant_client(),
            target: &self.target,
            fields: &self.fields,
            cascade: &self.cascade,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Change, D::Error> {
        let doc = In::deserialize(deserializer)?;
        let target = doc
            .target
            .ok_or_else(|| serde::de::Error::custom(NO_TARGET))?;
        Ok(Change {
            action: doc.action,
            target,
            address: doc.address,
            id: doc.id,
            fields: doc.fields,
            cascade: doc.cascade,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn grant() -> Change {
        Change::new(
            Action::Create,
            Target::Grant {
                client: ClientRef {
                    key: "a".into(),
                    client_id: None,
                },
                audience: "https://x/".into(),
                management: false,
            },
            None,
            vec![FieldChange::new("scope", None, Some(json!(["r"])))],
        )
    }

    #[test]
    fn a_change_keeps_the_version_1_keys_and_adds_its_target() {
        let value = serde_json::to_value(grant()).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "action", "kind", "address", "id", "client", "target", "fields", "cascade"
            ]
        );
        assert_eq!(value["kind"], "grant");
        assert_eq!(value["address"], "grant.a -> https://x/");
        assert_eq!(value["client"], json!({"key": "a", "client_id": null}));
        assert_eq!(value["target"]["grant"]["audience"], "https://x/");
        let back: Change = serde_json::from_value(value).unwrap();
        assert_eq!(back, grant());
        let client = Change::new(
            Action::Delete,
            Target::Client { key: "b".into() },
            Some("c1".into()),
            Vec::new(),
        );
        assert_eq!(
            serde_json::to_value(&client).unwrap()["client"],
            json!(null)
        );
    }

    #[test]
    fn a_change_without_target_is_refused() {
        let mut value = serde_json::to_value(grant()).unwrap();
        value.as_object_mut().unwrap().remove("target");
        let err = serde_json::from_value::<Change>(value).unwrap_err();
        assert!(err.to_string().contains(NO_TARGET), "{err}");
    }
}
