//! What a planned change acts on, as a type: an API by identifier, an application by key, a grant
//! by application and audience (and whether that audience is the Management API).
//!
//! Owns [`Target`], [`ClientRef`] and the display address derived from a target (the only place
//! addresses are spelled). Apply, pre-flight, saved-plan checks and simulate read a change's facts
//! from its target; the address is for people only and is never parsed back. Must not compare
//! desired and remote state, nor do I/O.

use serde::{Deserialize, Serialize};

use super::Kind;

/// Address word of the Management API, in `api.management` and `grant.<key> -> management`.
pub const MANAGEMENT_ADDRESS: &str = "management";

/// The application a grant belongs to: always its key, and its `client_id` once it exists.
///
/// A grant created for an application created in the same plan has `client_id: None`; apply takes
/// the id from the client it just created for `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRef {
    /// The application's key (its ownership-marker key).
    pub key: String,
    /// The tenant's client id, when the client already exists.
    pub client_id: Option<String>,
}

/// The tenant object one change acts on.
///
/// In JSON (plan output and saved plans) a target is one object named by its kind, e.g.
/// `{"grant": {"client": {"key": "billing", "client_id": null}, "audience": "https://x/",
/// "management": false}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A resource server.
    Api {
        /// Its identifier (the audience of its tokens).
        identifier: String,
        /// True for the tenant's Management API (a system API: only `token_lifetime` changes).
        management: bool,
    },
    /// An application (client).
    Client {
        /// The application's key in the config (its ownership-marker key).
        key: String,
    },
    /// A credential (public key) of an application, by name and thumbprint.
    Credential {
        /// The application.
        client: ClientRef,
        /// The key's name in the config.
        name: String,
        /// The key's thumbprint (`kid`).
        kid: String,
    },
    /// The list of credentials an application signs its client assertions with.
    SigningKeys {
        /// The application.
        client: ClientRef,
    },
    /// A client grant of one application to one API.
    Grant {
        /// The application.
        client: ClientRef,
        /// The API identifier.
        audience: String,
        /// True when `audience` is the tenant's Management API.
        management: bool,
    },
}

impl Target {
    /// The kind of object.
    pub fn kind(&self) -> Kind {
        match self {
            Target::Api { .. } => Kind::Api,
            Target::Client { .. } => Kind::Client,
            Target::Grant { .. } => Kind::Grant,
            Target::Credential { .. } => Kind::Credential,
            Target::SigningKeys { .. } => Kind::SigningKeys,
        }
    }

    /// The stable, human address: `api.<identifier>`, `api.management`, `application.<key>`,
    /// `grant.<key> -> <identifier or management>`. Display only: never parsed.
    pub fn address(&self) -> String {
        match self {
            Target::Api {
                identifier,
                management,
            } => api_address(if *management {
                MANAGEMENT_ADDRESS
            } else {
                identifier
            }),
            Target::Client { key } => app_address(key),
            Target::Credential { client, name, kid } => {
                format!("key.{} -> {name} ({kid})", client.key)
            }
            Target::SigningKeys { client } => format!("signing_keys.{}", client.key),
            Target::Grant {
                client,
                audience,
                management,
            } => grant_address(
                &client.key,
                if *management {
                    MANAGEMENT_ADDRESS
                } else {
                    audience
                },
            ),
        }
    }

    /// The application of a grant; `None` for APIs and clients.
    pub fn grant_client(&self) -> Option<&ClientRef> {
        match self {
            Target::Grant { client, .. } => Some(client),
            _ => None,
        }
    }

    /// The application of a credential or signing-key list; `None` otherwise.
    pub fn key_client(&self) -> Option<&ClientRef> {
        match self {
            Target::Credential { client, .. } | Target::SigningKeys { client } => Some(client),
            _ => None,
        }
    }

    /// True for a grant of the existing client `client_id` to the Management API: the grant
    /// m2mctl needs when `client_id` is the client it authenticates as.
    pub fn is_management_grant_of(&self, client_id: &str) -> bool {
        matches!(
            self,
            Target::Grant { client, management: true, .. }
                if client.client_id.as_deref() == Some(client_id)
        )
    }
}

/// Address of an API: `api.<identifier>` (or `api.management`).
pub(super) fn api_address(identifier: &str) -> String {
    format!("api.{identifier}")
}

/// Address of an application: `application.<key>`.
pub(crate) fn app_address(key: &str) -> String {
    format!("application.{key}")
}

/// Address of a grant: `grant.<key> -> <label>` (the identifier, or `management`).
pub(super) fn grant_address(key: &str, label: &str) -> String {
    format!("grant.{key} -> {label}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn grant(client_id: Option<&str>, management: bool) -> Target {
        Target::Grant {
            client: ClientRef {
                key: "me".into(),
                client_id: client_id.map(str::to_string),
            },
            audience: "https://t/api/v2/".into(),
            management,
        }
    }

    #[test]
    fn addresses_and_kinds_come_from_the_target() {
        let api = |identifier: &str, management| Target::Api {
            identifier: identifier.into(),
            management,
        };
        let cases = [
            (api("https://x/", false), Kind::Api, "api.https://x/"),
            (api("https://t/api/v2/", true), Kind::Api, "api.management"),
            (
                Target::Client {
                    key: "billing".into(),
                },
                Kind::Client,
                "application.billing",
            ),
            (grant(None, true), Kind::Grant, "grant.me -> management"),
            (
                grant(None, false),
                Kind::Grant,
                "grant.me -> https://t/api/v2/",
            ),
        ];
        for (target, kind, address) in cases {
            assert_eq!(target.kind(), kind, "{target:?}");
            assert_eq!(target.address(), address, "{target:?}");
        }
    }

    #[test]
    fn the_management_grant_of_a_client_is_a_typed_fact() {
        assert!(grant(Some("c1"), true).is_management_grant_of("c1"));
        assert!(!grant(Some("c1"), true).is_management_grant_of("c2"));
        assert!(!grant(Some("c1"), false).is_management_grant_of("c1"));
        assert!(!grant(None, true).is_management_grant_of("c1"));
        let client = Target::Client { key: "me".into() };
        assert!(!client.is_management_grant_of("me"));
        assert_eq!(
            grant(None, true).grant_client().map(|c| c.key.as_str()),
            Some("me")
        );
        assert_eq!(client.grant_client(), None);
    }

    #[test]
    fn targets_read_as_one_object_named_by_kind() {
        let value = serde_json::to_value(grant(Some("c1"), true)).unwrap();
        assert_eq!(
            value,
            json!({"grant": {"client": {"key": "me", "client_id": "c1"},
                "audience": "https://t/api/v2/", "management": true}})
        );
        let back: Target = serde_json::from_value(value).unwrap();
        assert_eq!(back, grant(Some("c1"), true));
        let client = serde_json::to_value(Target::Client { key: "b".into() }).unwrap();
        assert_eq!(client, json!({"client": {"key": "b"}}));
    }
}
