//! Errors of apply: why nothing was written (pre-flight, confirmation, stale saved plan) and why a
//! run ended with failures.
//!
//! Owns the wording and the `help:` of each. Failures of single changes are not errors of this
//! type: they are [`super::Outcome::Failed`] entries of the report, and [`Error::Incomplete`]
//! sums them up at the end. Must not print anything.

use miette::Diagnostic;
use thiserror::Error;

use crate::{plan, tenant};

/// Why apply stopped.
#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    /// The management token lacks scopes the plan needs; nothing was written.
    #[error(
        "the Management API token lacks scopes this plan needs: {missing}; nothing was written"
    )]
    #[diagnostic(
        code(m2mctl::apply::missing_scopes),
        help(
            "grant these scopes to {who} (Dashboard: Applications > APIs > Auth0 Management API > Machine to Machine Applications), then run apply again"
        )
    )]
    MissingScopes {
        /// The missing scopes, in backticks, comma separated.
        missing: String,
        /// Which client to grant them to (`client `abc``, or `the client m2mctl authenticates as`).
        who: String,
    },

    /// A change would lock m2mctl out of the tenant; nothing was written.
    #[error(
        "`{address}` would {what} `{client_id}`, the client m2mctl authenticates as; nothing was written"
    )]
    #[diagnostic(
        code(m2mctl::apply::lockout),
        help(
            "m2mctl would lose access to the tenant; keep this application's settings and Management API scopes, or run with another client's credentials"
        )
    )]
    Lockout {
        /// The change's address.
        address: String,
        /// What the change would do.
        what: String,
        /// m2mctl's own client.
        client_id: String,
    },

    /// The mass-delete guard (or another plan rule) refused the plan; nothing was written.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] plan::Error),

    /// No terminal to ask on and no `--auto-approve`; nothing was written.
    #[error("refusing to apply without confirmation: stdin is not a terminal; nothing was written")]
    #[diagnostic(
        code(m2mctl::apply::no_confirmation),
        help(
            "review the plan above and pass `--auto-approve`, or save a reviewed plan with `m2mctl plan --out plan.json` and apply it with `m2mctl apply plan.json`"
        )
    )]
    NoConfirmation,

    /// The user did not answer `yes`.
    #[error("apply cancelled; nothing was written")]
    #[diagnostic(
        code(m2mctl::apply::cancelled),
        help("only `yes` confirms; run apply again to review the plan")
    )]
    Cancelled,

    /// The saved plan cannot be read.
    #[error("cannot read the saved plan `{path}`: {reason}")]
    #[diagnostic(
        code(m2mctl::apply::saved_plan_read),
        help("write one with `m2mctl plan --out {path}`")
    )]
    SavedPlanRead {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },

    /// An object the saved plan touches changed since the plan was made; nothing was written.
    #[error("the tenant changed since this plan was made; run plan again")]
    #[diagnostic(
        code(m2mctl::apply::stale_plan),
        help(
            "an object the plan modifies or deletes is not as it was when `{path}` was written; make a new plan with `m2mctl plan --out {path}`, review it, and apply that"
        )
    )]
    StalePlan {
        /// The saved plan file.
        path: String,
    },

    /// Objects the saved plan would create exist already; nothing was written.
    #[error(
        "the saved plan `{path}` would create {count} object(s) that already exist: {objects}; nothing was written"
    )]
    #[diagnostic(
        code(m2mctl::apply::already_created),
        help(
            "this plan was most likely applied already (a re-run of the same job, or another run applied the config); applying it again would duplicate them. Make a new plan with `m2mctl plan --out {path}` and apply that"
        )
    )]
    AlreadyCreated {
        /// The saved plan file.
        path: String,
        /// How many.
        count: usize,
        /// `address` (`id`) of each, comma separated.
        objects: String,
    },

    /// The saved plan was made for another tenant or project; nothing was written.
    #[error(
        "the saved plan was made for {what} `{planned}`, not `{current}` ({source_of_current}); nothing was written"
    )]
    #[diagnostic(
        code(m2mctl::apply::other_target),
        help("apply a plan where it was made, or make a new plan for `{current}`")
    )]
    OtherTarget {
        /// `tenant` or `project`.
        what: &'static str,
        /// What the plan names.
        planned: String,
        /// What this run targets.
        current: String,
        /// Where `current` comes from, e.g. "`AUTH0_DOMAIN`" or "the config `/p/m2mctl.yaml` now".
        source_of_current: String,
    },

    /// The saved plan was made on the embedded local tenant, whose state file is gone.
    #[error(
        "the saved plan was made on the local tenant `{state}`, which does not exist; nothing was written"
    )]
    #[diagnostic(
        code(m2mctl::apply::local_tenant_missing),
        help(
            "apply never starts an empty local tenant for a saved plan; make a new plan with `m2mctl plan --out PLAN` and apply that"
        )
    )]
    LocalTenantMissing {
        /// The state file the plan recorded.
        state: String,
    },

    /// Another run holds the apply lease and did not release it in time; nothing was written.
    #[error(
        "another apply of this project is running (lease held by {holder}, expires in {expires_in} s); gave up after waiting {waited} s; nothing was written"
    )]
    #[diagnostic(
        code(m2mctl::apply::lease_held),
        help(
            "wait for that run to finish and apply again, or wait longer with `--lock-timeout 10m`; a crashed run's lease expires on its own (`--lock-ttl`, default 2 minutes)"
        )
    )]
    LeaseHeld {
        /// `user@host pid N` of the holder (escaped).
        holder: String,
        /// Seconds until the holder's lease expires unless renewed.
        expires_in: u64,
        /// Seconds this run waited.
        waited: u64,
    },

    /// The token may not create or delete the lease; nothing was written.
    #[error("cannot take the apply lease: {reason}; nothing was written")]
    #[diagnostic(
        code(m2mctl::apply::lease_forbidden),
        help(
            "grant `create:resource_servers`, `update:resource_servers` and `delete:resource_servers` to the client m2mctl runs as (used only for the lease `urn:m2mctl:lease:<project>`), or pass `--no-lock` if no other apply of this project can run at the same time"
        )
    )]
    LeaseForbidden {
        /// What the tenant answered, or which scopes are missing.
        reason: String,
    },

    /// A resource server with the lease identifier exists but is not an m2mctl lease.
    #[error("the API `{identifier}` exists but is not an m2mctl apply lease; nothing was written")]
    #[diagnostic(
        code(m2mctl::apply::lease_foreign),
        help(
            "identifiers starting with `urn:m2mctl:lease:` are reserved for m2mctl's lock; delete or rename that API, then apply again"
        )
    )]
    LeaseForeign {
        /// The lease identifier.
        identifier: String,
    },

    /// Taking or checking the lease failed on the way to the tenant.
    #[error("cannot take the apply lease: {0}")]
    #[diagnostic(
        code(m2mctl::apply::lease),
        help("nothing of the plan was written; apply again when the tenant answers")
    )]
    Lease(Box<tenant::Error>),

    /// Under the lease, the tenant no longer gives the plan that was shown and approved.
    #[error(
        "the tenant changed while this apply waited for the lease: the plan shown is not the plan now; nothing was written"
    )]
    #[diagnostic(
        code(m2mctl::apply::tenant_moved),
        help(
            "another run changed the tenant after this plan was made; run `m2mctl apply` again to see and approve the new plan"
        )
    )]
    TenantMoved,

    /// After the apply, one ownership marker is carried by more than one client.
    #[error("duplicate applications: {list}")]
    #[diagnostic(
        code(m2mctl::apply::duplicate_markers),
        help(
            "each marker must be on one client only; keep the one that holds the application's grants and delete the others (Dashboard, or `DELETE /api/v2/clients/{{id}}`), then run `m2mctl plan`"
        )
    )]
    DuplicateMarkers {
        /// `marker` on `id`, `id`; … (one entry per duplicated marker).
        list: String,
    },

    /// A renewal found the lease taken over by another run while this one was writing.
    #[error("the apply lease was taken over by another run while this one was writing")]
    #[diagnostic(
        code(m2mctl::apply::lease_lost),
        help(
            "this run was slower than `--lock-ttl` to renew its lease; run `m2mctl plan` to check the tenant, and raise `--lock-ttl` for runs this slow"
        )
    )]
    LeaseLost,

    /// Some changes failed; the others stay applied.
    #[error("apply incomplete: {failed} of {total} changes failed{skipped}", skipped = if *skipped > 0 { format!(", {skipped} skipped") } else { String::new() })]
    #[diagnostic(
        code(m2mctl::apply::incomplete),
        help(
            "the changes listed as done stay applied; fix the cause above and run `m2mctl apply` again: a new plan shows only what remains"
        )
    )]
    Incomplete {
        /// Changes that failed.
        failed: usize,
        /// Changes not attempted because something they depend on failed.
        skipped: usize,
        /// Changes in the plan.
        total: usize,
    },
}
