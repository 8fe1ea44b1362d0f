//! What `endpoints:` on Management API grants means for a plan: the scope each endpoint brought
//! in (shown with the plan) and a warning for declared scopes that no listed endpoint needs.
//!
//! Pure: reads the desired state only (the endpoints were resolved by `config`); never changes
//! what apply does.

use serde::{Deserialize, Serialize};

use super::target::grant_address;
use super::{Builder, MANAGEMENT_ADDRESS};
use crate::model::{ApiRef, DesiredState};

/// One endpoint of a grant and the scope it brought in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointScopes {
    /// The grant: `grant.<key> -> management`.
    pub address: String,
    /// `GET /api/v2/users`.
    pub endpoint: String,
    /// Its canonical scope.
    pub scope: String,
}

/// The scope each endpoint brought in, in file order; warns (through `out`) about declared
/// scopes of a grant with endpoints that none of its endpoints accepts.
pub(super) fn endpoint_scopes(desired: &DesiredState, out: &mut Builder) -> Vec<EndpointScopes> {
    let mut rows = Vec::new();
    for app in &desired.applications {
        for grant in &app.grants {
            if grant.api != ApiRef::Management || grant.endpoints.is_empty() {
                continue;
            }
            let address = grant_address(&app.key, MANAGEMENT_ADDRESS);
            rows.extend(grant.endpoints.iter().map(|e| EndpointScopes {
                address: address.clone(),
                endpoint: e.endpoint.clone(),
                scope: e.scope.clone(),
            }));
            let unneeded: Vec<String> = grant
                .scopes
                .iter()
                .filter(|s| !grant.endpoints.iter().any(|e| e.accepted.contains(s)))
                .map(|s| format!("`{s}`"))
                .collect();
            if !unneeded.is_empty() {
                out.warn(
                    Some(address),
                    format!(
                        "no listed endpoint needs {}; remove {} from `scopes`, or list the endpoints that use {}",
                        unneeded.join(", "),
                        if unneeded.len() == 1 { "it" } else { "them" },
                        if unneeded.len() == 1 { "it" } else { "them" },
                    ),
                );
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{app, desired, grant};
    use super::*;
    use crate::model::EndpointScope;

    fn with_endpoints(scopes: &[&str], endpoints: &[&str]) -> DesiredState {
        let mut a = app("reports");
        let mut g = grant("management", scopes);
        for e in endpoints {
            let found = crate::endpoints::lookup(e).unwrap();
            g.scopes.insert(found.canonical_scope().to_string());
            g.endpoints.push(EndpointScope {
                endpoint: found.label(),
                scope: found.canonical_scope().to_string(),
                accepted: found.scopes.iter().map(|s| s.to_string()).collect(),
            });
        }
        a.grants = vec![g];
        desired(vec![a], vec![])
    }

    #[test]
    fn each_endpoint_shows_its_scope_and_unneeded_scopes_warn() {
        let state = with_endpoints(
            &["read:logs", "update:users_app_metadata"],
            &["GET /api/v2/users", "PATCH /api/v2/users/{id}"],
        );
        let mut out = Builder::default();
        let rows = endpoint_scopes(&state, &mut out);
        let shown: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.endpoint.as_str(), r.scope.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("GET /api/v2/users", "read:users"),
                ("PATCH /api/v2/users/{id}", "update:users")
            ]
        );
        assert_eq!(rows[0].address, "grant.reports -> management");
        // `update:users_app_metadata` is a narrower scope PATCH accepts: not warned about.
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert_eq!(
            out.warnings[0].message,
            "no listed endpoint needs `read:logs`; remove it from `scopes`, or list the endpoints that use it"
        );
    }

    #[test]
    fn grants_without_endpoints_neither_show_nor_warn() {
        let state = with_endpoints(&["read:logs"], &[]);
        let mut out = Builder::default();
        assert!(endpoint_scopes(&state, &mut out).is_empty());
        assert!(out.warnings.is_empty());
    }
}
