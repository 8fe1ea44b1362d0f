//! Errors of the plan module: rule violations that make a plan unsafe, and bad saved plans.
//!
//! Owns the wording and the `help:` of each; must not print anything.

use miette::Diagnostic;
use thiserror::Error;

/// Why no plan (or no apply of a plan) is possible.
#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
#[allow(
    missing_docs,
    reason = "the #[error] message of each variant names its fields"
)]
pub enum Error {
    /// The config would leave a client with more than 2 credentials during the run.
    #[error(
        "application `{key}` would have more than 2 keys: registered {registered}, adding {adding}"
    )]
    #[diagnostic(
        code(m2mctl::plan::too_many_keys),
        help(
            "Auth0 allows 2 credentials per client, and apply adds a new key before it removes an old one. Rotate one key at a time: keep the key the service uses now plus the new one, apply, switch the service, then remove the old key and apply again"
        )
    )]
    TooManyKeys {
        key: String,
        registered: String,
        adding: String,
    },

    /// The client signs with keys and the config asks for a secret.
    #[error(
        "application `{key}` authenticates with private-key JWT in the tenant, and the config asks for a client secret"
    )]
    #[diagnostic(
        code(m2mctl::plan::keys_to_secret),
        help(
            "m2mctl never removes a client's last key nor switches it back to a secret (the service would lose access): set `authentication.method: private_key_jwt` with the key it uses, or change the client in the Dashboard"
        )
    )]
    KeysToSecret { key: String },

    /// A pinned `client_id` that the tenant does not have.
    #[error(
        "application `{key}` pins `client_id: {client_id}`, which does not exist in the tenant"
    )]
    #[diagnostic(
        code(m2mctl::plan::pinned_client_missing),
        help(
            "check the id in the Dashboard, or remove `client_id` to let m2mctl create the application"
        )
    )]
    PinnedClientMissing { key: String, client_id: String },

    /// A client (pinned, or carrying the same key) that belongs to another project. Markers are
    /// per project (`project:key`), but a key is refused tenant-wide: renaming a file's `project`
    /// would otherwise silently create a second copy of every application.
    #[error("application `{key}`: client `{client_id}` is owned by project `{owner}`")]
    #[diagnostic(
        code(m2mctl::plan::owned_by_other_project),
        help(
            "each project manages only its own clients, and a key is unique across the projects of a tenant (a renamed `project` must not duplicate every application): give this application another `key` (its `name` may stay) or drop its `client_id` pin, or if this file took over from project `{owner}`, set `project: {owner}`"
        )
    )]
    OwnedByOtherProject {
        key: String,
        client_id: String,
        owner: String,
    },

    /// A pinned client already managed by this project under another key.
    #[error(
        "application `{key}` pins client `{client_id}`, which this project manages as `{other_key}`"
    )]
    #[diagnostic(
        code(m2mctl::plan::pinned_client_has_other_key),
        help(
            "keys are identities: keep `key: {other_key}` for this application, or remove the pin"
        )
    )]
    PinnedClientHasOtherKey {
        key: String,
        client_id: String,
        other_key: String,
    },

    /// The marker points at one client, the pin at another.
    #[error(
        "application `{key}` pins `client_id: {pinned}` but client `{marked}` already carries its marker"
    )]
    #[diagnostic(
        code(m2mctl::plan::pin_conflict),
        help("set `client_id: {marked}` or remove the pin")
    )]
    PinConflict {
        key: String,
        pinned: String,
        marked: String,
    },

    /// Two applications pin the same client.
    #[error("applications `{first}` and `{second}` both pin client `{client_id}`")]
    #[diagnostic(
        code(m2mctl::plan::pinned_twice),
        help("a client can be managed by one application only; remove one of the pins")
    )]
    PinnedTwice {
        client_id: String,
        first: String,
        second: String,
    },

    /// Several clients carry this application's marker.
    #[error("application `{key}` is carried by several clients: {ids}")]
    #[diagnostic(
        code(m2mctl::plan::duplicate_marker),
        help("delete the duplicates in the Dashboard (keep one), then plan again")
    )]
    DuplicateMarker { key: String, ids: String },

    /// An unmanaged client with the app's name and no pin: not adopted silently.
    #[error(
        "application `{key}`: an unmanaged client named `{name}` already exists (`{client_id}`)"
    )]
    #[diagnostic(
        code(m2mctl::plan::same_name_unmanaged),
        help(
            "to manage that client, pin it with `client_id: {client_id}` under the application; to create a new one, give the application another name"
        )
    )]
    SameNameUnmanaged {
        key: String,
        name: String,
        client_id: String,
    },

    /// A pinned client that m2mctl cannot manage (the tenant's global client).
    #[error(
        "application `{key}` pins `{client_id}`, the tenant's global client, which m2mctl cannot manage"
    )]
    #[diagnostic(
        code(m2mctl::plan::global_client),
        help("pin a machine-to-machine application instead")
    )]
    GlobalClient { key: String, client_id: String },

    /// A grant to an API marked `external` that the tenant does not have.
    #[error(
        "application `{key}` is granted `{identifier}`, an external API that does not exist in the tenant"
    )]
    #[diagnostic(
        code(m2mctl::plan::external_api_missing),
        help(
            "create the API first, or declare it under `apis` without `external: true` so m2mctl creates it"
        )
    )]
    ExternalApiMissing { key: String, identifier: String },

    /// A grant to (or lifetime for) the Management API while its identifier is unknown.
    #[error(
        "the tenant has no Management API and its identifier is unknown (needed by {needed_by})"
    )]
    #[diagnostic(
        code(m2mctl::plan::management_api_unknown),
        help("check the tenant domain; the Management API is `https://{{domain}}/api/v2/`")
    )]
    ManagementApiUnknown { needed_by: String },

    /// A declared API whose identifier is a system API of the tenant.
    #[error("api `{identifier}` is a system API of the tenant and cannot be managed")]
    #[diagnostic(
        code(m2mctl::plan::system_api_declared),
        help(
            "grant it with `api: management` (for the Management API), or mark it `external: true`"
        )
    )]
    SystemApiDeclared { identifier: String },

    /// A declared API whose identifier is reserved for m2mctl's apply lease.
    #[error("API `{identifier}`: identifiers starting with `urn:m2mctl:lease:` are reserved")]
    #[diagnostic(
        code(m2mctl::plan::reserved_identifier),
        help(
            "m2mctl uses `urn:m2mctl:lease:<project>` as the lock of a running apply; give this API another identifier"
        )
    )]
    ReservedIdentifier { identifier: String },

    /// The plan would lock m2mctl out of the tenant.
    #[error("the plan would {what} `{client_id}`, the client m2mctl authenticates as")]
    #[diagnostic(
        code(m2mctl::plan::lockout),
        help(
            "m2mctl would lose access to the tenant; keep this application and its Management API scopes in the config, or run with another client's credentials"
        )
    )]
    Lockout { client_id: String, what: String },

    /// Too many deletions without `--allow-mass-delete`.
    #[error(
        "the plan deletes {deletes} objects{}, more than `max_deletes` ({max_deletes})",
        super::keys_counted(*keys)
    )]
    #[diagnostic(
        code(m2mctl::plan::mass_delete),
        help(
            "review the deletions; if they are intended, run with `--allow-mass-delete` or raise `settings.max_deletes`"
        )
    )]
    MassDelete {
        deletes: usize,
        keys: usize,
        max_deletes: usize,
    },

    /// A saved plan written by an incompatible version.
    #[error("the saved plan has format version {found}; this m2mctl reads version {expected}")]
    #[diagnostic(
        code(m2mctl::plan::saved_version),
        help("make the plan again with this version of m2mctl")
    )]
    SavedPlanVersion { found: String, expected: u32 },

    /// A saved plan of this format version made before changes carried typed targets.
    #[error(
        "the saved plan was made by an older m2mctl: its changes do not name their `target`; nothing was written"
    )]
    #[diagnostic(
        code(m2mctl::plan::saved_outdated),
        help("make the plan again with this version: `m2mctl plan --out PLAN`")
    )]
    SavedPlanOutdated,

    /// A saved plan that is not valid JSON of a plan.
    #[error("the saved plan is not valid: {reason}")]
    #[diagnostic(
        code(m2mctl::plan::saved_invalid),
        help("make the plan again with `m2mctl plan --out`")
    )]
    SavedPlanInvalid { reason: String },
}
