//! `organization_usage:` and `allow_any_organization:` on a grant: Machine-to-Machine access for
//! organizations, per (application, API).
//!
//! Owns the findings about them: `allow_any_organization: true` needs `organization_usage:
//! allow` or `require` (with `deny` no token names an organization, so "any organization" means
//! nothing), and neither is set on the Management API grant (m2mctl authenticates with its
//! tokens, which never name an organization: `require` there would lock every application,
//! m2mctl included, out of the Management API). An absent key is "not managed": the tenant's
//! value is kept. Pure: no I/O.

use super::diagnostics::Finding;
use super::model::{GrantConfig, OrganizationUsage};
use super::validate::Checker;
use crate::model::{ApiRef, GrantOrganization};

/// Checks a grant's organization settings; what the config manages of them.
pub(crate) fn grant_organization(
    grant: &GrantConfig,
    api: &ApiRef,
    c: &mut Checker<'_>,
) -> GrantOrganization {
    let usage = grant.organization_usage.as_ref();
    let any = grant.allow_any_organization.as_ref();
    if *api == ApiRef::Management {
        let first = usage
            .map(|u| c.at(u))
            .into_iter()
            .chain(any.map(|a| c.at(a)))
            .next();
        if let Some(at) = first {
            c.push(
                Finding::new(
                    "config::management_organization",
                    "organization settings on the Management API grant",
                )
                .label(at, "not for `api: management`")
                .help("Management API tokens are tenant-wide and m2mctl's own never name an organization; set `organization_usage` and `allow_any_organization` on grants to your own APIs"),
            );
        }
        return GrantOrganization::default();
    }
    if let Some(any) = any.filter(|a| a.value) {
        let any_at = c.at(any);
        match usage {
            Some(u) if u.value != OrganizationUsage::Deny => {}
            Some(u) => {
                let usage_at = c.at(u);
                c.push(
                    Finding::new(
                        "config::any_organization_denied",
                        "`allow_any_organization: true` with `organization_usage: deny`",
                    )
                    .label(any_at, "any organization may be named")
                    .label(usage_at, "but no token may name one")
                    .help("set `organization_usage: allow` (or `require`), or remove `allow_any_organization`"),
                );
            }
            None => c.push(
                Finding::new(
                    "config::any_organization_without_usage",
                    "`allow_any_organization: true` without `organization_usage`",
                )
                .label(any_at, "needs `organization_usage: allow` or `require`")
                .help("add `organization_usage: allow` (tokens may name an organization) or `require` (every token must) to this grant"),
            ),
        }
    }
    GrantOrganization {
        usage: usage.map(|u| u.value),
        allow_any: any.map(|a| a.value),
    }
}
