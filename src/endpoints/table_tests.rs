//! The generated table against its extract (staleness), and canonical scopes of well-known
//! endpoints as the spec states them.

use super::*;

/// The extract `scripts/gen-endpoints.py` writes from the spec and generates `table.rs` from.
const EXTRACT: &str = include_str!("management-api.json");

#[derive(serde::Deserialize)]
struct Extract {
    endpoints: Vec<ExtractEndpoint>,
}

#[derive(serde::Deserialize)]
struct ExtractEndpoint {
    method: String,
    path: String,
    summary: String,
    scopes: Vec<String>,
}

#[test]
fn generated_table_matches_the_extract() {
    let extract: Extract = serde_json::from_str(EXTRACT).expect("management-api.json parses");
    let stale = "src/endpoints/table.rs is stale; regenerate it with `scripts/gen-endpoints.py`";
    assert_eq!(extract.endpoints.len(), ENDPOINTS.len(), "{stale}");
    for (want, got) in extract.endpoints.iter().zip(ENDPOINTS) {
        assert_eq!(want.method, got.method, "{stale}");
        assert_eq!(want.path, got.path, "{stale}");
        assert_eq!(want.summary, got.summary, "{stale}");
        assert_eq!(want.scopes, got.scopes, "{stale}: {}", got.label());
    }
}

#[test]
fn every_endpoint_has_real_scopes_and_a_unique_method_and_path() {
    let mut seen = std::collections::HashSet::new();
    for e in ENDPOINTS {
        assert!(METHODS.contains(&e.method), "{}", e.label());
        assert!(e.path.starts_with("/api/v2/"), "{}", e.label());
        assert!(!e.scopes.is_empty(), "{}", e.label());
        for scope in e.scopes {
            assert!(
                crate::scopes::is_management_scope(scope),
                "{}: `{scope}` is not in the Management API scope list",
                e.label()
            );
        }
        assert!(seen.insert(e.label()), "{} twice", e.label());
        // Every endpoint is found by its own template.
        assert_eq!(find(e.method, e.path), Some(e), "{}", e.label());
    }
}

/// Canonical scopes as `management-api-oas.json` lists them first (checked by hand against the
/// spec's `security[].oAuth2ClientCredentials`).
#[test]
fn canonical_scopes_of_common_endpoints_follow_the_spec() {
    let cases = [
        ("GET /api/v2/clients", "read:clients"),
        ("POST /api/v2/clients", "create:clients"),
        ("DELETE /api/v2/clients/{id}", "delete:clients"),
        (
            "POST /api/v2/clients/{id}/rotate-secret",
            "update:client_keys",
        ),
        ("GET /api/v2/users", "read:users"),
        ("PATCH /api/v2/users/{id}", "update:users"),
        ("POST /api/v2/users/{id}/roles", "update:users"),
        ("GET /api/v2/client-grants", "read:client_grants"),
        ("POST /api/v2/client-grants", "create:client_grants"),
        ("PATCH /api/v2/client-grants/{id}", "update:client_grants"),
        ("GET /api/v2/resource-servers", "read:resource_servers"),
        ("POST /api/v2/resource-servers", "create:resource_servers"),
        ("GET /api/v2/roles", "read:roles"),
        ("GET /api/v2/logs", "read:logs"),
        ("GET /api/v2/organizations", "read:organizations"),
        ("GET /api/v2/tenants/settings", "read:tenant_settings"),
    ];
    for (input, scope) in cases {
        let e = lookup(input).unwrap_or_else(|err| panic!("{input}: {err}"));
        assert_eq!(e.canonical_scope(), scope, "{input}");
    }
    // Alternatives stay available (a narrower scope can be named in `scopes:`).
    let users = lookup("PATCH /api/v2/users/{id}").unwrap();
    assert!(users.accepts("update:users_app_metadata"));
    assert!(!users.accepts("read:users"));
}
