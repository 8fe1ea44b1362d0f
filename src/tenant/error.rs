//! Errors of the tenant client, as users see them.
//!
//! Owns the one error type of `tenant::*` and the help text attached to each failure. Every
//! variant names the request by method and path template (`GET /api/v2/clients/{id}`), never by
//! a full URL with values, and never carries a token, a secret or a response body that could hold
//! one. Must not do I/O.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

/// The environment variables that authenticate m2mctl to a remote tenant (for help lines).
pub(crate) const CREDENTIAL_VARS: &str = "`AUTH0_ACCESS_TOKEN`, or `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` (or `AUTH0_CLIENT_SIGNING_KEY_PATH`)";

/// Everything that can go wrong talking to a tenant.
#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    /// The tenant domain could not be understood.
    #[error("invalid tenant domain `{input}`: {reason}")]
    #[diagnostic(
        code(m2mctl::tenant::domain),
        help(
            "use `host[:port]` (https is implied), `https://host[:port]`, or `local` for the embedded tenant"
        )
    )]
    Domain {
        /// What the user wrote.
        input: String,
        /// Why it was refused.
        reason: String,
    },

    /// `http://` to a host that is not a loopback address.
    #[error("refusing plain `http://` to `{host}`: tokens would travel unencrypted")]
    #[diagnostic(
        code(m2mctl::tenant::insecure),
        help(
            "use `https://{host}` (or just `{host}`); plain http is only allowed for loopback addresses such as 127.0.0.1, ::1 and localhost"
        )
    )]
    InsecureDomain {
        /// The host name.
        host: String,
    },

    /// `AUTH0_DOMAIN` names one tenant and the config another: the credentials would go to the
    /// config's tenant.
    #[error(
        "the config's tenant `{config}` is not `{env}` named by `AUTH0_DOMAIN`; refusing to send the `AUTH0_*` credentials to another host"
    )]
    #[diagnostic(
        code(m2mctl::tenant::domain_override),
        help(
            "set `tenant.domain: ${{AUTH0_DOMAIN}}` in the config, unset `AUTH0_DOMAIN`, or pass `--allow-domain-override` if the config's tenant is the one these credentials belong to"
        )
    )]
    DomainOverride {
        /// `AUTH0_DOMAIN` as given.
        env: String,
        /// The config's tenant (its origin).
        config: String,
    },

    /// The tenant answered with a redirect; m2mctl never follows one (the credentials would go along).
    #[error(
        "{method} {path}: the tenant answered {status} redirecting to `{location}`; m2mctl does not follow redirects"
    )]
    #[diagnostic(
        code(m2mctl::tenant::redirect),
        help(
            "the Management and Authentication APIs never redirect: check the tenant domain (a custom domain, a proxy or a typo); if `{location}` is the tenant, use that domain"
        )
    )]
    Redirect {
        /// HTTP method.
        method: &'static str,
        /// Path template.
        path: &'static str,
        /// HTTP status (3xx).
        status: u16,
        /// The `Location` header (control characters escaped, shortened).
        location: String,
    },

    /// The tenant refused every connection for a whole retry budget: the remaining requests fail
    /// at once instead of each retrying for minutes.
    #[error("{method} {path}: not sent: `{host}` refused the last {attempts} connections")]
    #[diagnostic(
        code(m2mctl::tenant::unreachable),
        help(
            "the tenant (or the network to it) is down; what was applied before stays applied: run `m2mctl plan` when it is back, then apply again"
        )
    )]
    Unreachable {
        /// HTTP method.
        method: &'static str,
        /// Path template.
        path: &'static str,
        /// The tenant.
        host: String,
        /// Connection attempts failed in a row.
        attempts: u32,
    },

    /// A response body larger than m2mctl reads.
    #[error("{method} {path}: the response is larger than {limit_mib} MiB; refusing to read it", limit_mib = limit / (1024 * 1024))]
    #[diagnostic(
        code(m2mctl::tenant::too_large),
        help("a tenant's list pages are far smaller; check that the domain is an Auth0 tenant")
    )]
    TooLarge {
        /// HTTP method.
        method: &'static str,
        /// Path template.
        path: &'static str,
        /// The cap in bytes.
        limit: u64,
    },

    /// The `--ca-cert` file could not be read or holds no certificate.
    #[error("cannot use CA certificate `{path}`: {reason}", path = path.display())]
    #[diagnostic(
        code(m2mctl::tenant::ca_cert),
        help(
            "`--ca-cert` / `M2MCTL_CA_CERT` must name a readable PEM file with at least one `BEGIN CERTIFICATE` block (e.g. from `m2mctl emulator --tls --cert-out FILE`)"
        )
    )]
    CaCert {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },

    /// m2mctl's own private key (`AUTH0_CLIENT_SIGNING_KEY_PATH`) cannot be used.
    #[error("cannot use the private key of `AUTH0_CLIENT_SIGNING_KEY_PATH`: {reason}")]
    #[diagnostic(
        code(m2mctl::tenant::signing_key),
        help(
            "set `AUTH0_CLIENT_SIGNING_KEY_PATH` to the unencrypted PEM private key (`-----BEGIN PRIVATE KEY-----`) whose public key is registered on the client of `AUTH0_CLIENT_ID`, and `AUTH0_CLIENT_SIGNING_ALGORITHM` to RS256 (default), RS384 or PS256"
        )
    )]
    SigningKey {
        /// Why (names the file, never its content).
        reason: String,
    },

    /// No way to authenticate to a remote tenant.
    #[error("no credentials for tenant `{domain}`")]
    #[diagnostic(
        code(m2mctl::tenant::credentials),
        help("set {vars}; the client must be an M2M application authorized for the Management API", vars = CREDENTIAL_VARS)
    )]
    MissingCredentials {
        /// The tenant.
        domain: String,
    },

    /// A credential value cannot be sent (empty, or characters not allowed in an HTTP header).
    #[error("`{var}` is not usable: {reason}")]
    #[diagnostic(code(m2mctl::tenant::credentials))]
    BadCredential {
        /// Which variable.
        var: &'static str,
        /// What is wrong with it (never the value).
        reason: &'static str,
    },

    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client: {0}")]
    #[diagnostic(code(m2mctl::tenant::http_setup))]
    Setup(String),

    /// Auth0 answered with an error.
    #[error("{method} {path} failed with {status}: {message}{code}", code = error_code.as_ref().map(|c| format!(" (`{c}`)")).unwrap_or_default())]
    #[diagnostic(code(m2mctl::tenant::api))]
    Api {
        /// HTTP method.
        method: &'static str,
        /// Path template, e.g. `/api/v2/clients/{id}`.
        path: &'static str,
        /// HTTP status code.
        status: u16,
        /// Auth0's `message`.
        message: String,
        /// Auth0's `errorCode`, when present.
        error_code: Option<String>,
        /// What to do about it, when we know.
        #[help]
        help: Option<String>,
    },

    /// `/oauth/token` refused a client-credentials exchange (`{error, error_description}`).
    #[error(
        "token request for client `{client_id}` and audience `{audience}` failed with {status}: {error}: \"{description}\""
    )]
    #[diagnostic(code(m2mctl::tenant::oauth))]
    OAuth {
        /// The client.
        client_id: String,
        /// The requested audience.
        audience: String,
        /// HTTP status.
        status: u16,
        /// OAuth `error`.
        error: String,
        /// OAuth `error_description`.
        description: String,
        /// What to do about it, when we know.
        #[help]
        help: Option<String>,
    },

    /// A client's secret could not be read (403, or the field withheld).
    #[error("cannot read the secret of client `{client_id}`: {reason}")]
    #[diagnostic(
        code(m2mctl::tenant::client_keys),
        help(
            "reading client secrets needs the `read:client_keys` scope on the Management API grant of the client m2mctl authenticates as"
        )
    )]
    ClientKeys {
        /// The client whose secret was asked for.
        client_id: String,
        /// Auth0's answer.
        reason: String,
    },

    /// A create request may or may not have happened (5xx, timeout or connection lost after sending).
    #[error("outcome unknown for {method} {path}: {reason}")]
    #[diagnostic(
        code(m2mctl::tenant::outcome_unknown),
        help(
            "the write may have been applied; re-read the tenant before repeating it (a re-run of `apply` does this)"
        )
    )]
    OutcomeUnknown {
        /// HTTP method.
        method: &'static str,
        /// Path template.
        path: &'static str,
        /// What happened (status or transport failure).
        reason: String,
    },

    /// The network failed and retries did not help.
    #[error("{method} {path}: cannot reach the tenant: {reason}")]
    #[diagnostic(
        code(m2mctl::tenant::transport),
        help("check the domain, the network, and for a private CA `--ca-cert`")
    )]
    Transport {
        /// HTTP method.
        method: &'static str,
        /// Path template.
        path: &'static str,
        /// The transport failure (without URL).
        reason: String,
    },

    /// The TLS handshake failed (an untrusted certificate, or no TLS on that port). Not retried:
    /// it fails the same way every time.
    #[error("{method} {path}: TLS handshake with `{host}` failed: {reason}")]
    #[diagnostic(code(m2mctl::tenant::tls))]
    Tls {
        /// HTTP method.
        method: &'static str,
        /// Path template.
        path: &'static str,
        /// The tenant (`host:port`).
        host: String,
        /// rustls' description of the failure.
        reason: String,
        /// What to do: `--ca-cert` for an untrusted certificate.
        #[help]
        help: String,
    },

    /// Retries were exhausted on 429 / 5xx.
    #[error("{method} {path}: gave up after {attempts} attempts, last status {status}")]
    #[diagnostic(
        code(m2mctl::tenant::retries_exhausted),
        help("the tenant is rate limiting or failing; retry later or lower `--max-rps`")
    )]
    RetriesExhausted {
        /// HTTP method.
        method: &'static str,
        /// Path template.
        path: &'static str,
        /// Attempts made.
        attempts: u32,
        /// Last HTTP status.
        status: u16,
    },

    /// A response body did not have the expected shape.
    #[error("{method} {path}: unexpected response ({status}): {reason}")]
    #[diagnostic(code(m2mctl::tenant::unexpected_response))]
    Unexpected {
        /// HTTP method.
        method: &'static str,
        /// Path template.
        path: &'static str,
        /// HTTP status.
        status: u16,
        /// What did not parse (never the body of a success response).
        reason: String,
    },

    /// The tenant changed while it was being read page by page, twice in a row.
    #[error("the `{collection}` list changed while it was being read ({detail})")]
    #[diagnostic(
        code(m2mctl::tenant::unstable_read),
        help("something else is writing to the tenant; run the command again when it is idle")
    )]
    UnstableRead {
        /// `clients`, `client_grants` or `resource_servers`.
        collection: &'static str,
        /// What was inconsistent.
        detail: String,
    },

    /// The embedded local tenant could not be started or stopped.
    #[error("local tenant: {0}")]
    #[diagnostic(code(m2mctl::tenant::local))]
    Local(String),
}

/// Result alias of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The help line for a Management API error, from its status and `errorCode`.
pub(crate) fn api_help(status: u16, error_code: Option<&str>, message: &str) -> Option<String> {
    match (status, error_code) {
        (403, Some("insufficient_scope")) => Some(
            "grant the missing scope to the M2M application m2mctl authenticates as (Dashboard: Applications > APIs > Auth0 Management API > Machine to Machine Applications), then get a new token".into(),
        ),
        (401, _) => Some(format!(
            "the Management API token was rejected ({message}); check {CREDENTIAL_VARS} and that the token is for this tenant"
        )),
        (429, _) => Some("the tenant's rate limit was reached; retry later or lower `--max-rps`".into()),
        _ => None,
    }
}

/// The help line for an `/oauth/token` error.
pub(crate) fn oauth_help(status: u16, error: &str, description: &str) -> Option<String> {
    if error == "access_denied" && description.contains("not authorized to access resource server")
    {
        return Some("create a client grant for this API (declare it under `grants:` and run `m2mctl apply`)".into());
    }
    if description.contains("not been granted scopes") {
        return Some("the client grant lacks these scopes; add them to the grant and apply".into());
    }
    if let Some(help) = organization_help(description) {
        return Some(help.into());
    }
    if status == 401 {
        return Some(format!(
            "check the client id and secret ({CREDENTIAL_VARS})"
        ));
    }
    None
}

/// Help for a refusal about the `organization` parameter (Machine-to-Machine access for
/// organizations), by what the description says.
fn organization_help(description: &str) -> Option<&'static str> {
    let text = description.to_ascii_lowercase();
    if !text.contains("organization") {
        return None;
    }
    Some(if text.contains("required") {
        "this API's grant has `organization_usage: require`: ask with `m2mctl token --organization ORG` (the organization's `org_…` id or name)"
    } else if text.contains("not allowed") {
        "this API's grant does not take organizations (`organization_usage: deny`): leave out `--organization`, or set `organization_usage: allow` on the grant and apply"
    } else if text.contains("not a valid organization") {
        "no organization of the tenant has this id or name; check `--organization`"
    } else {
        "associate the grant with the organization (Dashboard: Organizations > Machine-to-Machine Access), or set `allow_any_organization: true` on the grant and apply"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_shows_method_path_status_message_and_code() {
        let e = Error::Api {
            method: "GET",
            path: "/api/v2/clients/{id}",
            status: 404,
            message: "The client does not exist".into(),
            error_code: Some("inexistent_client".into()),
            help: None,
        };
        assert_eq!(
            e.to_string(),
            "GET /api/v2/clients/{id} failed with 404: The client does not exist (`inexistent_client`)"
        );
    }

    #[test]
    fn help_lines_follow_status_and_code() {
        assert!(api_help(403, Some("insufficient_scope"), "x").is_some());
        assert!(
            api_help(401, None, "Invalid token")
                .unwrap()
                .contains("Invalid token")
        );
        assert!(api_help(404, Some("inexistent_client"), "x").is_none());
        let h = oauth_help(
            403,
            "access_denied",
            "Client \"abc\" is not authorized to access resource server \"https://x/\".",
        );
        assert!(h.unwrap().contains("grant"));
    }

    #[test]
    fn organization_refusals_get_their_own_help() {
        for (description, want) in [
            (
                "parameter organization is required for this client grant",
                "--organization ORG",
            ),
            (
                "parameter organization is not allowed for this client grant",
                "leave out `--organization`",
            ),
            (
                "parameter organization is invalid: x is not a valid organization",
                "check `--organization`",
            ),
            (
                "Client grant \"cgr_1\" is not authorized for organization \"acme\"",
                "allow_any_organization",
            ),
        ] {
            let help = oauth_help(400, "invalid_request", description).unwrap_or_default();
            assert!(help.contains(want), "{description}: {help}");
        }
    }
}
