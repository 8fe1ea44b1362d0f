//! `endpoints:` on a grant: each entry resolved to the Management API operation it names and the
//! canonical scope that operation requires (least privilege from the endpoints a program calls).
//!
//! Owns the findings about `endpoints:` (only on `api: management`, unknown endpoint with "did
//! you mean", the same operation twice). Must not hold the table: that is
//! [`endpoints`](crate::endpoints). Pure: no I/O.

use std::collections::HashMap;
use std::ops::Range;

use super::diagnostics::Finding;
use super::model::GrantConfig;
use super::validate::Checker;
use crate::endpoints;
use crate::model::{ApiRef, EndpointScope};

/// Checks a grant's `endpoints:`; the operations found, each with its canonical scope.
pub(crate) fn grant_endpoints(
    grant: &GrantConfig,
    api: &ApiRef,
    c: &mut Checker<'_>,
) -> Vec<EndpointScope> {
    if grant.endpoints.is_empty() {
        return Vec::new();
    }
    if let ApiRef::Identifier(id) = api {
        let at = c.at(&grant.endpoints[0]);
        c.push(
            Finding::new(
                "config::endpoints_not_management",
                format!("`endpoints` on a grant to `{id}`"),
            )
            .label(at, "only Management API endpoints are known")
            .help("list the scopes of your own API under `scopes`; `endpoints` is for `api: management`"),
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(grant.endpoints.len());
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    for entry in &grant.endpoints {
        let at = c.at(entry);
        let endpoint = match endpoints::lookup(&entry.value) {
            Ok(endpoint) => endpoint,
            Err(err) => {
                let help = match &err {
                    endpoints::Error::Syntax { .. } => "write the method and the path, e.g. `GET /api/v2/clients` or `PATCH /api/v2/users/{id}`".to_string(),
                    endpoints::Error::Unknown { help, .. } => help.clone(),
                };
                c.push(
                    Finding::new("config::unknown_endpoint", err.to_string())
                        .label(at, "not in the Management API spec")
                        .help(help),
                );
                continue;
            }
        };
        let label = endpoint.label();
        if let Some(first) = seen.get(&label) {
            c.push(
                Finding::new(
                    "config::duplicate_endpoint",
                    format!("endpoint `{label}` is listed twice"),
                )
                .label(at, "listed again here")
                .label(first.clone(), "first listed here")
                .help("remove one of them"),
            );
            continue;
        }
        seen.insert(label.clone(), at);
        out.push(EndpointScope {
            endpoint: label,
            scope: endpoint.canonical_scope().to_string(),
            accepted: endpoint.scopes.iter().map(|s| s.to_string()).collect(),
        });
    }
    out
}
