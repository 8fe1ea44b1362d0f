//! The JSON renderer: the plan document with its summary, for machines (CI, scripts).
//!
//! Must not decide what changed. The shape is stable: fields are only added, and an incompatible
//! change bumps `format_version`. Every key is always present (`null` or `[]` when empty).
//!
//! | field | meaning |
//! | --- | --- |
//! | `format_version` | `1` |
//! | `project` | the config's `project` (owner part of the ownership markers) |
//! | `summary` | `{create, update, delete, adopt}` counts of `changes` |
//! | `blocked` | `null`, or `{deletes, max_deletes}` (with `keys`, the deleted keys among `deletes`, when there are any) when apply refuses it without `--allow-mass-delete` |
//! | `changes[]` | in order: APIs, applications, grants, each sorted by `address`; never a no-op |
//! | `changes[].action` | `create`, `update`, `adopt` (update adding the ownership marker), `delete` |
//! | `changes[].kind` | `api`, `client`, `grant` |
//! | `changes[].address` | `api.<identifier>`, `api.management`, `application.<key>`, `grant.<key> -> <identifier or management>` |
//! | `changes[].id` | tenant id (resource-server id, client id, `cgr_…`), `null` for creates |
//! | `changes[].client` | grants only: `{key, client_id}`; `client_id` is `null` when the application is created by the same plan |
//! | `changes[].target` | `{"api": {identifier, management}}`, `{"client": {key}}` or `{"grant": {client, audience, management}}`: what the change acts on (`kind`, `client` repeat it) |
//! | `changes[].fields[]` | `{field, before, after}` in Auth0 wire names and values; `before` is `null` on create and when absent, `after` is `null` on delete and for a removed metadata key; metadata keys are `client_metadata.<key>`; sets (`scope`, `scopes`, `grant_types`) are sorted |
//! | `changes[].cascade[]` | client deletes only: grants Auth0 deletes with the client, `{id, audience, scope}` |
//! | `warnings[]` | `{address, message}` (`address` may be `null`) |
//! | `touched[]` | `{kind, id}` of every tenant object the plan modifies or deletes (`kind: credential` with a client id: that client's credential list, when the plan changes its keys) |
//! | `fingerprint` | sha256 hex over the canonical JSON of the `touched` objects as read |
//! | `max_deletes` | the config's `settings.max_deletes` |
//! | `policy_violations[]` | `{rule, severity, address, message, help, at, rule_at}`: `severity` `error` (the config; apply refuses the plan without `--allow-policy-violations`) or `warning` (the tenant outside the config); `at`/`rule_at` are `null` or `{file, line, column, start, end, label}` |
//! | `endpoint_scopes[]` | `{address, endpoint, scope}`: the scope each `endpoints:` entry of a Management API grant brought in (display only; the grant's `scope` field holds it) |
//!
//! No field holds a secret: client secrets are never read for a plan and no type of the plan has
//! room for one.

use std::io::{self, Write};

use serde::Serialize;

use crate::plan::{Blocked, Change, EndpointScopes, ObjectRef, Plan, Summary, Warning};
use crate::policy::Violation;

/// The document `plan --format json` prints (the [`Plan`] plus its summary).
#[derive(Serialize)]
struct Document<'a> {
    format_version: u32,
    project: &'a str,
    summary: Summary,
    blocked: &'a Option<Blocked>,
    changes: &'a [Change],
    warnings: &'a [Warning],
    touched: &'a [ObjectRef],
    fingerprint: &'a str,
    max_deletes: usize,
    policy_violations: &'a [Violation],
    endpoint_scopes: &'a [EndpointScopes],
}

/// Writes `plan` as pretty JSON followed by a newline.
pub fn json(plan: &Plan, out: &mut impl Write) -> io::Result<()> {
    let doc = Document {
        format_version: plan.format_version,
        project: &plan.project,
        summary: plan.summary(),
        blocked: &plan.blocked,
        changes: &plan.changes,
        warnings: &plan.warnings,
        touched: &plan.touched,
        fingerprint: &plan.fingerprint,
        max_deletes: plan.max_deletes,
        policy_violations: &plan.violations,
        endpoint_scopes: &plan.endpoint_scopes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
