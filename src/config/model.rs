//! The serde model of `m2mctl.yaml`: what the file may contain, key by key, in DESIGN.md order.
//!
//! Owns the shape of the file (types, optional keys, unknown keys rejected) and its JSON Schema
//! (schemars). Values carry their source location (`Sp<T>`) so later rules can point at them.
//! Must not hold rules beyond types: semantic checks live in `validate`. The same types
//! serialize back to YAML (`to_yaml`), which `export` uses; `sp` builds a value with no location.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::auth0::OrganizationUsage;
pub use crate::keys::KeyAlg;
pub use crate::model::AuthMethod;

/// A value with the location it was read from (`Location::UNKNOWN` when built in code).
pub type Sp<T> = serde_saphyr::Spanned<T>;

/// Wraps a value built in code (no source location), e.g. for `export`.
pub fn sp<T>(value: T) -> Sp<T> {
    use serde_saphyr::Location;
    serde_saphyr::Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// The only supported `version`.
pub const CONFIG_VERSION: u32 = 1;

/// Longest token lifetime Auth0 accepts, in seconds (30 days).
pub const MAX_TOKEN_LIFETIME: i64 = 2_592_000;

/// An m2mctl config file (`m2mctl.yaml`): the M2M applications, the APIs they call, their grants.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "m2mctl configuration")]
pub struct ConfigFile {
    /// File format version; must be 1.
    #[schemars(schema_with = "super::schema::version")]
    pub version: Sp<u32>,
    /// Who owns what this file manages (stored in each client's ownership marker); default `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::project")]
    pub project: Option<Sp<String>>,
    /// Which tenant; without it, the embedded local tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantConfig>,
    /// Behaviour switches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsConfig>,
    /// APIs (resource servers) the applications are granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apis: Vec<ApiConfig>,
    /// Machine-to-machine applications.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<AppConfig>,
    /// Rules the applications and APIs must obey (checked by `validate`, `plan`, `apply`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::policy::PolicyConfig>,
}

/// `tenant:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// `local` (the embedded local tenant, the default) or the tenant's domain, e.g.
    /// `example.eu.auth0.com` (`http://` only for loopback addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub domain: Option<Sp<String>>,
}

/// `settings:`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsConfig {
    /// Delete managed applications that left the config (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::boolean")]
    pub prune: Option<Sp<bool>>,
    /// Refuse plans deleting more objects than this without `--allow-mass-delete` (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::count")]
    pub max_deletes: Option<Sp<u32>>,
    /// Warn in plans about keys expiring within this many days (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::count")]
    pub key_expiry_warning_days: Option<Sp<u32>>,
}

/// One API (Auth0 resource server).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The audience, e.g. `https://orders.example.com/`; the API's identity in the tenant.
    #[schemars(with = "String", length(min = 1))]
    pub identifier: Sp<String>,
    /// Display name (default: the identifier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", regex(pattern = r"^[^<>]+$"))]
    pub name: Option<Sp<String>>,
    /// Access-token lifetime in seconds (1..=2592000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::lifetime")]
    pub token_lifetime: Option<Sp<i64>>,
    /// The full set of scopes of the API.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<ScopeConfig>,
    /// The API exists in the tenant but is not managed by this file (grants may reference it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::boolean")]
    pub external: Option<Sp<bool>>,
}

/// One scope of an API.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeConfig {
    /// The scope, e.g. `read:orders`.
    #[schemars(with = "String", regex(pattern = r"^\S+$"))]
    pub value: Sp<String>,
    /// What the scope allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub description: Option<Sp<String>>,
}

/// One machine-to-machine application (an Auth0 client with the client-credentials grant).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Display name (no `<` or `>`).
    #[schemars(with = "String", regex(pattern = r"^[^<>]+$"))]
    pub name: Sp<String>,
    /// Stable identity stored in the ownership marker (default: the name); keep it when renaming.
    /// Letters and digits (any script), spaces and `. _ - : / ( ) + @ , =` (or `${VAR}`); a name
    /// used as the key must fit the same set. (The schema's pattern excludes control, formatting
    /// and markup characters; `validate` checks the exact set.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        with = "Option<String>",
        length(min = 1),
        regex(
            pattern = r##"^([^\u0000-\u001f\u007f-\u009f\u00a0-\u00bf\u2000-\u206f!"#$%&'*;<>?\[\\\]^`{|}~]|\$\{[^}]*\})+$"##
        )
    )]
    pub key: Option<Sp<String>>,
    /// Up to 140 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", length(max = 140))]
    pub description: Option<Sp<String>>,
    /// Adopt this existing client instead of creating one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", length(min = 1))]
    pub client_id: Option<Sp<String>>,
    /// `client_secret_post` (default) or `client_secret_basic` (`authentication.method` says
    /// the same and more; give one of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::secret_method")]
    pub token_endpoint_auth_method: Option<Sp<AuthMethod>>,
    /// How the application authenticates: a secret (default), or `private_key_jwt` with 1 or 2
    /// public keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<AuthenticationConfig>,
    /// Intended token lifetime in seconds; applies to every API this application is granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::lifetime")]
    pub token_lifetime: Option<Sp<i64>>,
    /// The APIs this application may call, with which scopes (authoritative).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantConfig>,
    /// Extra `client_metadata`: at most 9 keys, string values up to 255 characters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, String>", extend("maxProperties" = 9))]
    pub metadata: BTreeMap<String, Sp<String>>,
    /// Where this application's credentials go when it is created, rotated, or on
    /// `credentials --deliver` (paths relative to the config file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliver: Vec<DeliverConfig>,
}

/// `authentication:` of an application.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationConfig {
    /// `client_secret_post` (default), `client_secret_basic` or `private_key_jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<AuthMethod>")]
    pub method: Option<Sp<AuthMethod>>,
    /// The public keys client assertions are signed with (1 or 2, Auth0's limit; compared with
    /// the tenant's credentials by thumbprint). Keys may be registered before `method` switches
    /// to `private_key_jwt`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    pub keys: Vec<KeyConfig>,
}

/// One key of `authentication.keys`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// The credential's name, e.g. `2026-11` (unique within the application; up to 128 characters).
    #[schemars(with = "String", length(min = 1, max = 128))]
    pub name: Sp<String>,
    /// The public key: a file path relative to the config file, or the inline PEM
    /// (`-----BEGIN PUBLIC KEY-----`, RSA, at least 2048 bits).
    #[schemars(with = "String", length(min = 1))]
    pub public_key: Sp<String>,
    /// The matching private key file, relative to the config file; read only by `m2mctl token`
    /// (never by plan or apply). Only with `method: private_key_jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", length(min = 1))]
    pub private_key_file: Option<Sp<String>>,
    /// `RS256` (default), `RS384` or `PS256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<KeyAlg>")]
    pub alg: Option<Sp<KeyAlg>>,
    /// When Auth0 stops accepting the key (RFC 3339, e.g. `2027-11-30T00:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub expires_at: Option<Sp<String>>,
}

/// One delivery sink of an application's credentials.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DeliverConfig {
    /// A `.env` file (written 0600, atomically; its other lines are kept).
    Dotenv(#[schemars(with = "String", length(min = 1))] Sp<String>),
    /// A program and its arguments; it reads the credentials as JSON on stdin.
    Command(#[schemars(with = "Vec<String>", length(min = 1))] Vec<Sp<String>>),
    /// A Kubernetes `v1` Secret manifest (`stringData`), written 0600.
    KubernetesSecret(KubernetesSecretConfig),
}

/// `kubernetes_secret:` of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSecretConfig {
    /// The Secret's namespace (a DNS label).
    #[schemars(
        with = "String",
        regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    )]
    pub namespace: Sp<String>,
    /// The Secret's name (a DNS subdomain).
    #[schemars(
        with = "String",
        regex(pattern = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
    )]
    pub name: Sp<String>,
    /// The manifest file to write.
    #[schemars(with = "String", length(min = 1))]
    pub file: Sp<String>,
}

/// One grant: an API and the scopes granted on it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantConfig {
    /// An identifier under `apis`, or `management` for the tenant's Management API.
    #[schemars(with = "String", length(min = 1))]
    pub api: Sp<String>,
    /// Granted scopes (each declared on the API; real Management API scopes for `management`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub scopes: Vec<Sp<String>>,
    /// Management API only: the endpoints the program calls, e.g. `GET /api/v2/users` or
    /// `PATCH /api/v2/users/{id}`; each adds the scope Auth0 requires for it (`m2mctl scopes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>", extend("items" = {"type": "string", "pattern": "^\\s*[A-Za-z]+\\s+\\S+\\s*$"}))]
    pub endpoints: Vec<Sp<String>>,
    /// Whether tokens for this API may name an organization (`m2mctl token --organization`):
    /// `deny` (Auth0's default), `allow` or `require`. Absent: left as the tenant has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<OrganizationUsage>")]
    pub organization_usage: Option<Sp<OrganizationUsage>>,
    /// With `organization_usage: allow` or `require`: any organization of the tenant may be named,
    /// not only those the grant is associated with. Absent: left as the tenant has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::boolean")]
    pub allow_any_organization: Option<Sp<bool>>,
}

/// Writes a config as YAML (no locations; keys in the order above).
pub fn to_yaml(config: &ConfigFile) -> Result<String, serde_saphyr::ser_error::Error> {
    serde_saphyr::to_string(config)
}
