//! The Management API endpoints m2mctl itself calls, and the scopes its own application (the
//! deployer `init --create-deployer` makes) is granted from them: least privilege for m2mctl too.
//!
//! Keep [`DEPLOYER_ENDPOINTS`] in step with `tenant/read.rs`, `write.rs` and `oauth.rs`; the
//! integration test `init_deployer` runs plan, apply and token with exactly these scopes against
//! the emulator, which checks scopes per endpoint as Auth0 does. Pure data and lookups.

use std::collections::BTreeSet;

use super::lookup;

/// Every endpoint `plan` and `apply` call (`tenant::read`, `tenant::write`, the apply lease).
pub const DEPLOYER_ENDPOINTS: &[&str] = &[
    "GET /api/v2/clients",
    "GET /api/v2/clients/{id}",
    "POST /api/v2/clients",
    "PATCH /api/v2/clients/{id}",
    "DELETE /api/v2/clients/{id}",
    "GET /api/v2/client-grants",
    "POST /api/v2/client-grants",
    "PATCH /api/v2/client-grants/{id}",
    "DELETE /api/v2/client-grants/{id}",
    "GET /api/v2/resource-servers",
    "GET /api/v2/resource-servers/{id}",
    "POST /api/v2/resource-servers",
    "PATCH /api/v2/resource-servers/{id}",
    // The apply lease (`apply::lease`) is a resource server created and deleted per apply.
    "DELETE /api/v2/resource-servers/{id}",
];

/// What `token` and `credentials` add: reading a client's secret
/// (`GET /api/v2/clients/{id}?fields=client_secret`, allowed only by this scope of the endpoint's list).
pub const TOKENS_SCOPE: &str = "read:client_keys";

/// Which scopes the deployer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Profile {
    /// Add [`TOKENS_SCOPE`].
    pub with_tokens: bool,
    /// Only the `read:` scopes (plan, not apply).
    pub read_only: bool,
}

/// The canonical scopes of [`DEPLOYER_ENDPOINTS`] for `profile`, sorted.
pub fn deployer_scopes(profile: Profile) -> BTreeSet<String> {
    let mut scopes: BTreeSet<String> = DEPLOYER_ENDPOINTS
        .iter()
        .filter_map(|e| lookup(e).ok())
        .map(|e| e.canonical_scope().to_string())
        .filter(|s| !profile.read_only || s.starts_with("read:"))
        .collect();
    if profile.with_tokens {
        scopes.insert(TOKENS_SCOPE.to_string());
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deployer_endpoint_is_in_the_spec() {
        for e in DEPLOYER_ENDPOINTS {
            assert!(lookup(e).is_ok(), "{e}");
        }
        assert!(
            lookup("GET /api/v2/clients/{id}")
                .unwrap()
                .accepts(TOKENS_SCOPE)
        );
    }

    #[test]
    fn profiles_give_exactly_the_expected_scopes() {
        let full = [
            "create:client_grants",
            "create:clients",
            "create:resource_servers",
            "delete:client_grants",
            "delete:clients",
            "delete:resource_servers",
            "read:client_grants",
            "read:clients",
            "read:resource_servers",
            "update:client_grants",
            "update:clients",
            "update:resource_servers",
        ];
        let got = deployer_scopes(Profile::default());
        assert_eq!(got.iter().map(String::as_str).collect::<Vec<_>>(), full);
        let read = deployer_scopes(Profile {
            read_only: true,
            ..Profile::default()
        });
        assert_eq!(
            read.iter().map(String::as_str).collect::<Vec<_>>(),
            [
                "read:client_grants",
                "read:clients",
                "read:resource_servers"
            ]
        );
        let tokens = deployer_scopes(Profile {
            with_tokens: true,
            ..Profile::default()
        });
        assert_eq!(tokens.len(), full.len() + 1);
        assert!(tokens.contains(TOKENS_SCOPE));
    }
}
