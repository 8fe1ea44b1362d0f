//! The policy rules over what the tenant holds outside the file: clients this config does not
//! manage (other projects', unmarked ones) and APIs it does not declare. Every finding is a
//! warning: the file cannot fix them, but a reviewer should know. Only client grants count as a
//! client's access (never user-access grants); how a client authenticates is read as Auth0 shows
//! it ([`auth0::client_auth`]).
//!
//! Pure: desired state, tenant state and the policy in, warnings out.

use std::collections::BTreeSet;

use super::config_rules::{DEFAULT_TOKEN_LIFETIME, allowed_management, is_write_scope};
use super::glob;
use super::{PolicySet, Rule, Severity, Violation};
use crate::auth0::{self, ClientAuth};
use crate::model::{DesiredState, RemoteClient, RemoteGrant, RemoteState};

/// Checks every rule of every source against the tenant objects the config does not manage.
pub fn check_tenant(
    desired: &DesiredState,
    remote: &RemoteState,
    management_audience: Option<&str>,
    set: &PolicySet,
) -> Vec<Violation> {
    let keys: BTreeSet<&str> = desired
        .applications
        .iter()
        .map(|a| a.key.as_str())
        .collect();
    let pinned: BTreeSet<&str> = desired
        .applications
        .iter()
        .filter_map(|a| a.client_id.as_deref())
        .collect();
    let managed = |c: &RemoteClient| {
        pinned.contains(c.client_id.as_str())
            || c.marker()
                .is_some_and(|m| m.project == desired.project && keys.contains(m.key.as_str()))
    };
    let others: Vec<&RemoteClient> = remote
        .clients
        .iter()
        .filter(|c| !c.global && !managed(c))
        .collect();
    // Client grants only: a user-access grant (`subject_type: user`) opens an API to the users
    // of an application, it gives the application itself no access.
    let grants: Vec<&RemoteGrant> = remote
        .grants
        .iter()
        .filter(|g| auth0::is_client_grant(g))
        .collect();
    let mut out = Vec::new();
    let is_m2m = |c: &RemoteClient| {
        c.grant_types
            .iter()
            .any(|g| g == auth0::GRANT_TYPE_CLIENT_CREDENTIALS)
    };
    for source in &set.sources {
        let policy = &source.policy;
        for client in &others {
            let own = grants.iter().filter(|g| g.client_id == client.client_id);
            for grant in own {
                let management = Some(grant.audience.as_str()) == management_audience;
                for scope in &grant.scope {
                    if let Some(p) = policy
                        .forbidden_scopes
                        .iter()
                        .find(|p| glob::matches(&p.value, scope))
                    {
                        warn(
                            &mut out,
                            Rule::ForbiddenScopes,
                            client,
                            format!(
                                "is granted `{scope}` on `{}`, which the policy forbids (`{}`)",
                                grant.audience, p.value
                            ),
                            "this client is not managed by this config: remove the scope in the tenant or in the config that manages it",
                        );
                    }
                }
                if !management {
                    continue;
                }
                let key = client.marker().map_or(client.name.clone(), |m| m.key);
                if let Some(allowed) = allowed_management(policy, &key) {
                    let extra: Vec<&str> = grant
                        .scope
                        .iter()
                        .filter(|s| !allowed.iter().any(|p| glob::matches(&p.value, s)))
                        .map(String::as_str)
                        .collect();
                    if !extra.is_empty() {
                        warn(
                            &mut out,
                            Rule::ManagementScopes,
                            client,
                            format!(
                                "holds Management API scopes the policy does not allow it: `{}`",
                                extra.join("`, `")
                            ),
                            "this client is not managed by this config: narrow its Management API grant in the tenant",
                        );
                    }
                }
            }
            if !is_m2m(client) {
                continue;
            }
            if let Some(required) = &policy.required_authentication {
                let auth = auth0::client_auth(client);
                let want = required.value.as_str();
                let satisfied = match &auth {
                    ClientAuth::Secret(_) => auth.label() == want,
                    ClientAuth::Methods(names) => names.contains(&want),
                };
                if !satisfied {
                    warn(
                        &mut out,
                        Rule::RequiredAuthentication,
                        client,
                        format!(
                            "authenticates with `{}`; the policy requires `{want}`",
                            auth.label()
                        ),
                        "this client is not managed by this config: change its authentication in the tenant",
                    );
                }
            }
            for key in &policy.required_metadata {
                if client
                    .client_metadata
                    .get(&key.value)
                    .is_none_or(|v| v.trim().is_empty())
                {
                    warn(
                        &mut out,
                        Rule::RequiredMetadata,
                        client,
                        format!("has no `{}` metadata, which the policy requires", key.value),
                        "this client is not managed by this config: set the metadata in the tenant, or adopt the client into a config",
                    );
                }
            }
        }
        if let Some(max) = &policy.max_management_writers {
            let managed_writers = desired
                .applications
                .iter()
                .filter(|a| {
                    a.grants.iter().any(|g| {
                        g.api == crate::model::ApiRef::Management
                            && g.scopes.iter().any(|s| is_write_scope(s))
                    })
                })
                .count();
            let writers: Vec<&&RemoteClient> = others
                .iter()
                .filter(|c| {
                    grants.iter().any(|g| {
                        g.client_id == c.client_id
                            && Some(g.audience.as_str()) == management_audience
                            && g.scope.iter().any(|s| is_write_scope(s))
                    })
                })
                .collect();
            let total = managed_writers + writers.len();
            if total > max.value as usize {
                for client in writers {
                    warn(
                        &mut out,
                        Rule::MaxManagementWriters,
                        client,
                        format!(
                            "also holds Management API write scopes: {total} writers in the tenant ({managed_writers} in this config), the policy allows {}",
                            max.value
                        ),
                        "this client is not managed by this config: remove its Management API write scopes in the tenant if it does not need them",
                    );
                }
            }
        }
        if let Some(max) = &policy.max_token_lifetime {
            let declared: BTreeSet<&str> =
                desired.apis.iter().map(|a| a.identifier.as_str()).collect();
            for api in &remote.apis {
                let is_management = Some(api.identifier.as_str()) == management_audience;
                let managed = declared.contains(api.identifier.as_str())
                    || (is_management && desired.management_token_lifetime.is_some());
                let lifetime = api.token_lifetime.map_or(DEFAULT_TOKEN_LIFETIME, i64::from);
                if managed || lifetime <= max.value {
                    continue;
                }
                out.push(Violation {
                    rule: Rule::MaxTokenLifetime,
                    severity: Severity::Warning,
                    address: format!("api.{}", api.identifier),
                    message: format!(
                        "API `{}` (not in this config) issues tokens for {lifetime} seconds, more than the policy's {}",
                        api.identifier, max.value
                    ),
                    help: "this API is not managed by this config: lower its token lifetime in the tenant, or declare it under `apis`".to_string(),
                    at: None,
                    rule_at: None,
                });
            }
        }
    }
    out
}

/// Adds a warning about a client the config does not manage.
fn warn(out: &mut Vec<Violation>, rule: Rule, client: &RemoteClient, message: String, help: &str) {
    out.push(Violation {
        rule,
        severity: Severity::Warning,
        address: format!("client.{}", client.client_id),
        message: format!("{} {message}", describe(client)),
        help: help.to_string(),
        at: None,
        rule_at: None,
    });
}

/// `client `Legacy sync` (abc123), not managed by this config,`.
fn describe(client: &RemoteClient) -> String {
    let owner = match client.marker() {
        Some(m) => format!("owned by project `{}`", m.project),
        None => "not managed by m2mctl".to_string(),
    };
    format!("client `{}` ({}, {owner})", client.name, client.client_id)
}
