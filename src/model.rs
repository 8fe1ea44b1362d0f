//! Domain types shared by config, tenant, plan, apply, token and export.
//!
//! Owns the vocabulary of the product: the desired state a config resolves to and the remote state
//! read from a tenant. Must not do I/O, know about YAML spans or HTTP, or hold wire-format quirks
//! beyond the serde field names Auth0 uses for the remote records.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use crate::auth0::{AuthMethod, MARKER_KEY, OrganizationUsage};

/// Project name used when a config does not set `project`.
pub const DEFAULT_PROJECT: &str = "default";

/// Default of `settings.max_deletes`.
pub const DEFAULT_MAX_DELETES: usize = 5;

/// Ownership marker stored in `client_metadata[MARKER_KEY]` as `"{project}:{key}"`.
///
/// Projects may not contain `:` (the config validator enforces it), so the first `:` splits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Marker {
    /// The config's `project`.
    pub project: String,
    /// The application's stable key.
    pub key: String,
}

impl Marker {
    /// The value written into `client_metadata`.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.project, self.key)
    }

    /// Parses a metadata value; `None` when it is not a marker.
    pub fn decode(value: &str) -> Option<Marker> {
        let (project, key) = value.split_once(':')?;
        if project.is_empty() || key.is_empty() {
            return None;
        }
        Some(Marker {
            project: project.to_string(),
            key: key.to_string(),
        })
    }
}

/// Where a config's tenant lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// The embedded local tenant (`domain: local` or no domain).
    Local,
    /// A real (or standalone emulator) tenant: `host[:port]`, or `http://` for loopback only.
    Remote(String),
}

/// A public key an application's client assertions are signed with (a client credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredKey {
    /// The credential's name (unique within the application).
    pub name: String,
    /// RFC 7638 thumbprint of the key: the `kid` Auth0 gives the credential; the match key.
    pub kid: String,
    /// Signing algorithm.
    pub alg: crate::keys::KeyAlg,
    /// The public key (`-----BEGIN PUBLIC KEY-----`), sent when the credential is created.
    pub public_pem: String,
    /// When the credential stops working (RFC 3339), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The private key file as the config writes it (relative to the config's directory); read
    /// only by `token`, never by plan or apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_file: Option<String>,
}

/// A scope declared on an API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScopeDef {
    /// The scope string, e.g. `read:orders`.
    pub value: String,
    /// Human description (Auth0 stores one per scope; may be empty).
    #[serde(default)]
    pub description: String,
}

/// The whole desired state of one config file, after variables, defaults and validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    /// Owner of everything this file manages (part of the ownership marker).
    pub project: String,
    /// Which tenant.
    pub domain: Domain,
    /// Behaviour switches from `settings:`.
    pub settings: Settings,
    /// Declared APIs (resource servers), `external` ones included.
    pub apis: Vec<DesiredApi>,
    /// Declared applications, in file order.
    pub applications: Vec<DesiredApp>,
    /// Token lifetime the applications ask for the Management API, if any did.
    pub management_token_lifetime: Option<u32>,
}

/// `settings:` of a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Delete managed applications that left the config.
    pub prune: bool,
    /// Refuse plans deleting more objects than this without `--allow-mass-delete`.
    pub max_deletes: usize,
    /// Warn in plans about keys expiring within this many days.
    #[serde(default = "default_key_expiry_warning_days")]
    pub key_expiry_warning_days: u32,
}

/// Default of `settings.key_expiry_warning_days`.
pub const DEFAULT_KEY_EXPIRY_WARNING_DAYS: u32 = 30;

fn default_key_expiry_warning_days() -> u32 {
    DEFAULT_KEY_EXPIRY_WARNING_DAYS
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            prune: false,
            max_deletes: DEFAULT_MAX_DELETES,
            key_expiry_warning_days: DEFAULT_KEY_EXPIRY_WARNING_DAYS,
        }
    }
}

/// An API (Auth0 resource server) as the config wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredApi {
    /// The audience URL; the match key in the tenant.
    pub identifier: String,
    /// Display name (defaults to the identifier when the config is silent).
    pub name: String,
    /// The full set of scopes, sorted by value.
    pub scopes: Vec<ScopeDef>,
    /// Access-token lifetime in seconds: from the API entry or folded in from applications.
    pub token_lifetime: Option<u32>,
    /// Exists in the tenant but is not managed here: only referenced by grants.
    pub external: bool,
}

/// Which API a grant is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiRef {
    /// The tenant's Management API (`https://{domain}/api/v2/`).
    Management,
    /// A declared API by identifier.
    Identifier(String),
}

/// A client grant as the config wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredGrant {
    /// The API.
    pub api: ApiRef,
    /// Granted scopes (a set): those of `scopes:` and the canonical scope of each endpoint.
    pub scopes: BTreeSet<String>,
    /// Management API grants: the `endpoints:` entries and the scope each brought in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointScope>,
    /// `organization_usage` / `allow_any_organization`, where the config sets them.
    #[serde(default, skip_serializing_if = "GrantOrganization::is_unmanaged")]
    pub organization: GrantOrganization,
}

/// The organization settings of a client grant the config manages (Machine-to-Machine access
/// for organizations). `None` is "not managed": the tenant's value is kept, whatever it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantOrganization {
    /// `organization_usage`: may (`allow`) or must (`require`) tokens name an organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<OrganizationUsage>,
    /// `allow_any_organization`: any organization may be named, not only associated ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any: Option<bool>,
}

impl GrantOrganization {
    /// True when the config sets neither field (the tenant's values are kept).
    pub fn is_unmanaged(&self) -> bool {
        self.usage.is_none() && self.allow_any.is_none()
    }
}

/// One `endpoints:` entry of a grant, resolved against the Management API spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointScope {
    /// The operation, e.g. `PATCH /api/v2/users/{id}` (the spec's template).
    pub endpoint: String,
    /// Its canonical scope (granted).
    pub scope: String,
    /// Every scope that allows it (canonical first).
    pub accepted: Vec<String>,
}

/// An M2M application as the config wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredApp {
    /// Stable identity (defaults to the name); stored in the ownership marker.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Up to 140 characters.
    pub description: Option<String>,
    /// Pinned client id: adopt this existing client.
    pub client_id: Option<String>,
    /// How the app authenticates at `/oauth/token`.
    pub auth_method: AuthMethod,
    /// Its public keys (`authentication.keys`), for `private_key_jwt`; at most 2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<DesiredKey>,
    /// Intended lifetime of this app's tokens (already folded onto the APIs it is granted).
    pub token_lifetime: Option<u32>,
    /// Authoritative list of grants.
    pub grants: Vec<DesiredGrant>,
    /// Extra `client_metadata` (string values, marker key excluded).
    pub metadata: BTreeMap<String, String>,
}

/// A client credential as `GET /clients/{id}/credentials` shows it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCredential {
    /// `cred_…`.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The key's RFC 7638 thumbprint: the match key of a config key.
    #[serde(default)]
    pub kid: String,
    /// `RS256`, `RS384` or `PS256`.
    #[serde(default)]
    pub alg: Option<String>,
    /// When it stops working, if set.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// Everything m2mctl reads from a tenant for a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteState {
    /// All clients (any app type), without secrets.
    pub clients: Vec<RemoteClient>,
    /// All client grants.
    pub grants: Vec<RemoteGrant>,
    /// All resource servers, the system Management API included.
    pub apis: Vec<RemoteApi>,
}

/// A client as the Management API returns it (the fields m2mctl reads; never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteClient {
    /// Auth0 client id.
    pub client_id: String,
    /// Display name (not unique in Auth0).
    #[serde(default)]
    pub name: String,
    /// Description, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `non_interactive` for M2M apps; absent on API-created clients that did not send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    /// Allowed grant types.
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// `client_secret_post`, `client_secret_basic` or `none`; absent when never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// `{"private_key_jwt": {"credentials": [{"id": "cred_…"}]}}` and the like: credentials that
    /// replace the secret (see [`crate::auth0::client_auth`]); absent or `null` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_authentication_methods: Option<serde_json::Value>,
    /// String metadata, the ownership marker included.
    #[serde(default)]
    pub client_metadata: BTreeMap<String, String>,
    /// The tenant's global client.
    #[serde(default)]
    pub global: bool,
}

impl RemoteClient {
    /// The ownership marker, if this client carries one.
    pub fn marker(&self) -> Option<Marker> {
        self.client_metadata
            .get(MARKER_KEY)
            .and_then(|v| Marker::decode(v))
    }

    /// Why m2mctl must never manage this client whatever marker it carries: the tenant's global
    /// client, or an application that is not machine-to-machine (`app_type` other than
    /// `non_interactive`, or none). `None` when it may be matched by its marker.
    pub fn unownable(&self) -> Option<String> {
        if self.global {
            return Some("is the tenant's global client".to_string());
        }
        match self.app_type.as_deref() {
            Some(OWNABLE_APP_TYPE) => None,
            Some(other) => Some(format!("has `app_type: {other}`, not `{OWNABLE_APP_TYPE}`")),
            None => Some(format!("has no `app_type`, not `{OWNABLE_APP_TYPE}`")),
        }
    }

    /// The private-key JWT credentials the client lists
    /// (`client_authentication_methods.private_key_jwt.credentials`, each `{"id", "kid", …}` as
    /// the tenant answered); none for a client authenticating with a secret.
    pub fn key_credentials(&self) -> impl Iterator<Item = &serde_json::Value> {
        self.client_authentication_methods
            .as_ref()
            .and_then(|m| m.pointer("/private_key_jwt/credentials"))
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
    }

    /// This client's marker, when it carries one and may be matched by it ([`Self::unownable`]).
    pub fn owned_marker(&self) -> Option<Marker> {
        self.marker().filter(|_| self.unownable().is_none())
    }
}

impl RemoteState {
    /// The client that is `app` of `project`: the one carrying its marker and m2mctl may own
    /// ([`RemoteClient::owned_marker`]), else the client pinned by `client_id`. A marker on a
    /// client m2mctl must not own (an SPA, the global client) never matches, so commands that
    /// read the tenant (`token`, `credentials`, `usage`) agree with `plan`.
    pub fn client_of(&self, project: &str, app: &DesiredApp) -> Option<&RemoteClient> {
        self.clients
            .iter()
            .find(|c| {
                c.owned_marker()
                    .is_some_and(|m| m.project == project && m.key == app.key)
            })
            .or_else(|| {
                let pinned = app.client_id.as_deref()?;
                self.clients.iter().find(|c| c.client_id == pinned)
            })
    }
}

/// Identifier prefix of the apply lease (`urn:m2mctl:lease:<project>`, see `apply::lease`): a
/// resource server m2mctl creates while an apply runs. Never the user's API: reads hide it, a
/// config may not declare it.
pub const LEASE_PREFIX: &str = "urn:m2mctl:lease:";

/// True for the identifier of an apply lease.
pub fn is_lease(identifier: &str) -> bool {
    identifier.starts_with(LEASE_PREFIX)
}

/// The only `app_type` m2mctl creates, manages and matches by marker.
pub const OWNABLE_APP_TYPE: &str = crate::auth0::APP_TYPE_M2M;

/// A client grant as the Management API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteGrant {
    /// `cgr_…`.
    pub id: String,
    /// The client; empty on a default grant (`default_for`), which has none.
    #[serde(default)]
    pub client_id: String,
    /// The API identifier.
    pub audience: String,
    /// Granted scopes, in the tenant's order.
    #[serde(default)]
    pub scope: Vec<String>,
    /// `client` for M2M grants (absent on older tenants, which means `client`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_type: Option<String>,
    /// `deny`, `allow` or `require`: tokens in an organization's name (kept as read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<String>,
    /// Whether any organization may be named (kept as read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any_organization: Option<bool>,
    /// `third_party_clients` on a default grant (no `client_id`): never managed by m2mctl.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_for: Option<String>,
}

/// A resource server as the Management API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteApi {
    /// 24-hex id.
    pub id: String,
    /// The audience URL.
    pub identifier: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Declared scopes.
    #[serde(default)]
    pub scopes: Vec<ScopeDef>,
    /// Access-token lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime: Option<u32>,
    /// True for the Management API.
    #[serde(default)]
    pub is_system: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips_and_splits_at_first_colon() {
        let cases = [
            ("payments:billing", Some(("payments", "billing"))),
            ("p:a:b", Some(("p", "a:b"))),
            ("nocolon", None),
            (":key", None),
            ("project:", None),
        ];
        for (input, want) in cases {
            let got = Marker::decode(input);
            assert_eq!(
                got.as_ref().map(|m| (m.project.as_str(), m.key.as_str())),
                want,
                "{input}"
            );
            if let Some(m) = got {
                assert_eq!(m.encode(), input);
            }
        }
    }

    #[test]
    fn remote_client_reads_auth0_shape_and_ignores_unknown_fields() {
        let json = r#"{"client_id":"abc","name":"x","app_type":"non_interactive",
            "grant_types":["client_credentials"],"client_metadata":{"m2mctl":"p:k"},
            "tenant":"t","jwt_configuration":{"alg":"RS256"}}"#;
        let client: RemoteClient = serde_json::from_str(json).unwrap();
        assert_eq!(
            client.marker(),
            Some(Marker {
                project: "p".into(),
                key: "k".into()
            })
        );
        assert!(!client.global);
    }
}
