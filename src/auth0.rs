//! Auth0 facts m2mctl relies on, in one place: which API is the Management API and how to find it
//! in a tenant that holds other system APIs, what counts as a client grant, the wire names of the
//! fields m2mctl manages ([`field`]), the metadata key m2mctl reserves, how a client authenticates
//! ([`AuthMethod`], [`ClientAuth`]) and the log types of token exchanges.
//!
//! Owns these facts (research/auth0-api.md, shared/auth0-recordings, 2026 tenants). Plan, apply,
//! token, export, tenant and the emulator ask here instead of repeating a string or a rule. Must do
//! no I/O and hold no policy of m2mctl's own (what to change is `plan`'s).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{RemoteApi, RemoteClient, RemoteGrant, RemoteState};

/// Path of the Management API identifier: `https://{domain}/api/v2/`.
pub const MANAGEMENT_API_PATH: &str = "/api/v2/";
/// Path of the My Account API identifier (a second system API of 2026 tenants): `https://{domain}/me/`.
pub const MY_ACCOUNT_API_PATH: &str = "/me/";

/// The `client_metadata` key m2mctl reserves for its ownership marker.
pub const MARKER_KEY: &str = "m2mctl";

/// `app_type` of machine-to-machine applications.
pub const APP_TYPE_M2M: &str = "non_interactive";
/// The grant type of machine-to-machine applications.
pub const GRANT_TYPE_CLIENT_CREDENTIALS: &str = "client_credentials";
/// `token_endpoint_auth_method`: secret in the form body (what m2mctl itself uses).
pub const AUTH_CLIENT_SECRET_POST: &str = "client_secret_post";
/// `token_endpoint_auth_method`: secret in an HTTP Basic header.
pub const AUTH_CLIENT_SECRET_BASIC: &str = "client_secret_basic";
/// `client_authentication_methods` entry: a client assertion signed with a registered key.
pub const AUTH_PRIVATE_KEY_JWT: &str = "private_key_jwt";
/// `token_endpoint_auth_method` of public clients (SPA, native): no secret, no client credentials.
pub const AUTH_NONE: &str = "none";

/// `subject_type` of a client (machine-to-machine) grant.
pub const SUBJECT_CLIENT: &str = "client";
/// `subject_type` of a user-access grant (an API opened to users of an application).
pub const SUBJECT_USER: &str = "user";

/// Wire names of the fields m2mctl manages, as Management API bodies and a plan's `fields` spell
/// them (metadata keys are `client_metadata.<key>` in a plan, nested in a body).
pub mod field {
    /// A client's id, and in a grant body the client the grant belongs to.
    pub const CLIENT_ID: &str = "client_id";
    /// Client and API name.
    pub const NAME: &str = "name";
    /// Client description.
    pub const DESCRIPTION: &str = "description";
    /// Client `app_type`.
    pub const APP_TYPE: &str = "app_type";
    /// Client grant types (a set).
    pub const GRANT_TYPES: &str = "grant_types";
    /// Client secret-based authentication method.
    pub const TOKEN_ENDPOINT_AUTH_METHOD: &str = "token_endpoint_auth_method";
    /// Client metadata (merged key by key on PATCH; `null` deletes a key).
    pub const CLIENT_METADATA: &str = "client_metadata";
    /// Prefix of one metadata key in a plan's fields.
    pub const METADATA_PREFIX: &str = "client_metadata.";
    /// The API a grant is for.
    pub const AUDIENCE: &str = "audience";
    /// Grant scopes (a set of names).
    pub const SCOPE: &str = "scope";
    /// Grant `organization_usage`: `deny` (Auth0's default when absent), `allow`, `require`.
    pub const ORGANIZATION_USAGE: &str = "organization_usage";
    /// Grant `allow_any_organization` (false when absent).
    pub const ALLOW_ANY_ORGANIZATION: &str = "allow_any_organization";
    /// API identifier.
    pub const IDENTIFIER: &str = "identifier";
    /// API scopes (a set of `{value, description}`).
    pub const SCOPES: &str = "scopes";
    /// API token lifetime in seconds.
    pub const TOKEN_LIFETIME: &str = "token_lifetime";
    /// A grant's natural key: Auth0 takes it on create and never changes it on PATCH.
    pub const GRANT_KEY: &[&str] = &[CLIENT_ID, AUDIENCE];
    /// A credential's type (`public_key`).
    pub const CREDENTIAL_TYPE: &str = "credential_type";
    /// A credential's key id: the RFC 7638 thumbprint of its public key.
    pub const KID: &str = "kid";
    /// A credential's signing algorithm.
    pub const ALG: &str = "alg";
    /// When a credential stops working.
    pub const EXPIRES_AT: &str = "expires_at";
    /// A credential's public key PEM (sent on create, never read back, never rendered).
    pub const PEM: &str = "pem";
    /// The credentials a client signs private-key JWT assertions with, as a plan shows them
    /// (`{name, kid}` each; apply sends their ids under `client_authentication_methods`).
    pub const PRIVATE_KEY_JWT: &str = "client_authentication_methods.private_key_jwt";
    /// An API's natural key: taken on create, never changed on PATCH.
    pub const API_KEY: &[&str] = &[IDENTIFIER];
}

/// Tenant log `type` of a successful client-credentials exchange.
pub const LOG_TOKEN_EXCHANGE_OK: &str = "seccft";
/// Tenant log `type` of a failed client-credentials exchange.
pub const LOG_TOKEN_EXCHANGE_FAILED: &str = "feccft";

/// The client fields m2mctl reads (`fields=`; never `client_secret`) with `read:clients`.
pub const CLIENT_FIELDS: &str = "client_id,name,description,app_type,grant_types,token_endpoint_auth_method,client_metadata,global";
/// [`CLIENT_FIELDS`] plus `client_authentication_methods`, which Auth0 shows only to a token with
/// one of [`CREDENTIAL_READ_SCOPES`] (asking without one is a 403 for the whole list).
pub const CLIENT_FIELDS_WITH_METHODS: &str = "client_id,name,description,app_type,grant_types,token_endpoint_auth_method,client_authentication_methods,client_metadata,global";
/// Scopes that may read `client_authentication_methods` (and secrets; m2mctl never asks for those).
pub const CREDENTIAL_READ_SCOPES: &[&str] = &["read:client_credentials", "read:client_keys"];

/// The client fields to read with a token holding `scopes`: with `client_authentication_methods`
/// when the token may read it.
pub fn client_fields<'s>(scopes: impl IntoIterator<Item = &'s str>) -> &'static str {
    let mut scopes = scopes.into_iter();
    if scopes.any(|s| CREDENTIAL_READ_SCOPES.contains(&s)) {
        CLIENT_FIELDS_WITH_METHODS
    } else {
        CLIENT_FIELDS
    }
}

/// `https://{authority}/api/v2/`: the Management API identifier of the tenant at `authority`
/// (`host[:port]`). Auth0 writes it with https even for a loopback emulator served over http.
pub fn management_identifier(authority: &str) -> String {
    format!("https://{authority}{MANAGEMENT_API_PATH}")
}

/// True for an identifier of the form `https://{host}/api/v2/` (and nothing after it).
pub fn is_management_identifier(identifier: &str) -> bool {
    identifier
        .strip_prefix("https://")
        .and_then(|rest| rest.strip_suffix(MANAGEMENT_API_PATH))
        .is_some_and(|host| !host.is_empty() && !host.contains('/'))
}

/// The tenant's Management API among its resource servers: the system API whose identifier is
/// `https://{authority}/api/v2/`, else (a custom domain in front of the tenant) the only system
/// API whose identifier has that form. Never another system API (My Account, …), whatever the
/// order of the list.
pub fn management_api<'a>(apis: &'a [RemoteApi], authority: Option<&str>) -> Option<&'a RemoteApi> {
    let system = || apis.iter().filter(|a| a.is_system);
    if let Some(authority) = authority {
        let exact = management_identifier(authority);
        if let Some(api) = system().find(|a| a.identifier == exact) {
            return Some(api);
        }
    }
    let mut candidates = system().filter(|a| is_management_identifier(&a.identifier));
    match (candidates.next(), candidates.next()) {
        (Some(api), None) => Some(api),
        _ => None,
    }
}

/// The Management API audience for a tenant read: [`management_api`], else `fallback` (the
/// identifier derived from the domain m2mctl connected to, when the read holds no system API).
pub fn management_audience(
    remote: &RemoteState,
    authority: Option<&str>,
    fallback: Option<&str>,
) -> Option<String> {
    management_api(&remote.apis, authority)
        .map(|a| a.identifier.clone())
        .or_else(|| fallback.map(str::to_string))
}

/// The `host[:port]` of a Management API identifier (`https://{authority}/api/v2/`).
pub fn authority_of(identifier: &str) -> Option<&str> {
    identifier
        .strip_prefix("https://")?
        .strip_suffix(MANAGEMENT_API_PATH)
        .filter(|h| !h.is_empty() && !h.contains('/'))
}

/// True for a client (machine-to-machine) grant: `subject_type: client`, or no subject type
/// (older tenants). User-access grants (`subject_type: user`) are not client grants.
pub fn is_client_subject(subject_type: Option<&str>) -> bool {
    subject_type.is_none_or(|s| s == SUBJECT_CLIENT)
}

/// A client grant of one client as read: [`is_client_subject`], and not a default grant
/// (`default_for: third_party_clients`, which names no client).
pub fn is_client_grant(grant: &RemoteGrant) -> bool {
    is_client_subject(grant.subject_type.as_deref())
        && grant.default_for.is_none()
        && !grant.client_id.is_empty()
}

// The one enum of how an application authenticates (config `authentication.method` and
// `token_endpoint_auth_method`, desired state, token); its JSON Schema definition keeps the
// name `AuthMethodConfig`. Doc comments are schema text.
/// How an application authenticates at `/oauth/token`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Default,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "AuthMethodConfig")]
pub enum AuthMethod {
    /// Secret in the request body (default).
    #[default]
    ClientSecretPost,
    /// Secret in an HTTP Basic `Authorization` header.
    ClientSecretBasic,
    /// A client assertion (RFC 7523) signed with a private key whose public key is registered
    /// as one of the client's credentials; the client then has no usable secret.
    PrivateKeyJwt,
}

impl AuthMethod {
    /// Auth0's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretPost => AUTH_CLIENT_SECRET_POST,
            AuthMethod::ClientSecretBasic => AUTH_CLIENT_SECRET_BASIC,
            AuthMethod::PrivateKeyJwt => AUTH_PRIVATE_KEY_JWT,
        }
    }

    /// Parses a `token_endpoint_auth_method` as Auth0 sends it: the two secret methods only
    /// (private-key JWT lives under `client_authentication_methods`).
    pub fn parse(s: &str) -> Option<AuthMethod> {
        [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// True for the two secret methods (what `token_endpoint_auth_method` holds).
    pub fn uses_secret(self) -> bool {
        self != AuthMethod::PrivateKeyJwt
    }
}

/// How a client authenticates at `/oauth/token`, as far as m2mctl is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuth<'a> {
    /// A shared secret (`token_endpoint_auth_method`, or none sent: Auth0's default is a secret).
    Secret(Option<&'a str>),
    /// Credentials under `client_authentication_methods` (`private_key_jwt`, `tls_client_auth`,
    /// `self_signed_tls_client_auth`): Auth0 then has no `token_endpoint_auth_method`. m2mctl
    /// never switches such a client to a secret.
    Methods(Vec<&'a str>),
}

impl ClientAuth<'_> {
    /// The method names, e.g. `private_key_jwt` or `client_secret_post`.
    pub fn label(&self) -> String {
        match self {
            ClientAuth::Secret(m) => m.unwrap_or(AUTH_CLIENT_SECRET_POST).to_string(),
            ClientAuth::Methods(names) => names.join(", "),
        }
    }
}

/// How this client authenticates (see [`ClientAuth`]).
pub fn client_auth(client: &RemoteClient) -> ClientAuth<'_> {
    let methods: Vec<&str> = match &client.client_authentication_methods {
        Some(Value::Object(map)) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, _)| k.as_str())
            .collect(),
        _ => Vec::new(),
    };
    if methods.is_empty() {
        ClientAuth::Secret(client.token_endpoint_auth_method.as_deref())
    } else {
        ClientAuth::Methods(methods)
    }
}

/// `organization_usage` of a client grant: may the application ask for tokens in an
/// organization's name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationUsage {
    /// Tokens never carry an organization (Auth0's default).
    Deny,
    /// Tokens may carry an organization.
    Allow,
    /// Every token must name an organization.
    Require,
}

impl OrganizationUsage {
    /// Auth0's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationUsage::Deny => "deny",
            OrganizationUsage::Allow => "allow",
            OrganizationUsage::Require => "require",
        }
    }

    /// Parses Auth0's wire name.
    pub fn parse(s: &str) -> Option<OrganizationUsage> {
        match s {
            "deny" => Some(OrganizationUsage::Deny),
            "allow" => Some(OrganizationUsage::Allow),
            "require" => Some(OrganizationUsage::Require),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "auth0_tests.rs"]
mod tests;
