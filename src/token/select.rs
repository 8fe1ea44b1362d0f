//! Which (application, API) pairs a run serves: `APP` arguments and `--api` resolved against the
//! config and one read of the tenant.
//!
//! Owns matching an application to its client (ownership marker, else the pinned `client_id`) and
//! checking that its declared grants exist in the tenant. Pure: no I/O, no secrets.

use std::collections::BTreeSet;

use crate::auth0;
use crate::model::{ApiRef, DesiredApp, DesiredState, RemoteClient, RemoteGrant, RemoteState};

use super::error::unknown_app_help;
use super::{MANAGEMENT, Pair, Signing, TokenError, api_label};

/// A managed application and the tenant client that is it.
#[derive(Debug, Clone, Copy)]
pub struct AppClient<'a> {
    /// The application as declared.
    pub app: &'a DesiredApp,
    /// Its client in the tenant.
    pub client: &'a RemoteClient,
}

/// The Management API's audience: the tenant's system API `https://{host}/api/v2/` (never another
/// system API such as My Account, whatever the order), else that identifier itself.
pub fn management_audience(remote: &RemoteState, host: &str) -> String {
    let fallback = auth0::management_identifier(host);
    auth0::management_audience(remote, Some(host), Some(&fallback)).unwrap_or(fallback)
}

/// Resolves `APP` arguments (key, then name; all applications when empty) to tenant clients, in
/// config order.
pub fn select_apps<'a>(
    desired: &'a DesiredState,
    remote: &'a RemoteState,
    args: &[String],
) -> Result<Vec<AppClient<'a>>, TokenError> {
    let mut chosen: BTreeSet<usize> = BTreeSet::new();
    for arg in args {
        let index = desired
            .applications
            .iter()
            .position(|a| &a.key == arg)
            .or_else(|| desired.applications.iter().position(|a| &a.name == arg));
        match index {
            Some(i) => {
                chosen.insert(i);
            }
            None => {
                return Err(TokenError::UnknownApp {
                    name: arg.clone(),
                    help: unknown_app_help(
                        arg,
                        desired.applications.iter().map(|a| a.key.as_str()),
                    ),
                });
            }
        }
    }
    if args.is_empty() {
        chosen = (0..desired.applications.len()).collect();
    }
    chosen
        .into_iter()
        .map(|i| {
            let app = &desired.applications[i];
            remote
                .client_of(&desired.project, app)
                .map(|client| AppClient { app, client })
                .ok_or_else(|| TokenError::NotApplied {
                    app: app.key.clone(),
                })
        })
        .collect()
}

/// The pairs to serve: every declared grant of the selected apps, narrowed by `--api`.
pub fn select_pairs(
    desired: &DesiredState,
    remote: &RemoteState,
    args: &[String],
    api: Option<&str>,
    management_audience: &str,
) -> Result<Vec<Pair>, TokenError> {
    let apps = select_apps(desired, remote, args)?;
    let wanted = api.map(|value| {
        if value == MANAGEMENT || value == management_audience {
            ApiRef::Management
        } else {
            ApiRef::Identifier(value.to_string())
        }
    });
    let mut pairs = Vec::new();
    for AppClient { app, client } in apps {
        for grant in &app.grants {
            if wanted.as_ref().is_some_and(|w| w != &grant.api) {
                continue;
            }
            let (audience, lifetime) = match &grant.api {
                ApiRef::Management => (
                    management_audience.to_string(),
                    desired.management_token_lifetime,
                ),
                ApiRef::Identifier(id) => (
                    id.clone(),
                    desired
                        .apis
                        .iter()
                        .find(|a| &a.identifier == id)
                        .and_then(|a| a.token_lifetime),
                ),
            };
            let remote_grant =
                find_grant(remote, &client.client_id, &audience).ok_or_else(|| {
                    TokenError::GrantMissing {
                        app: app.key.clone(),
                        api: api_label(&grant.api).to_string(),
                    }
                })?;
            pairs.push(Pair {
                app_key: app.key.clone(),
                app_name: app.name.clone(),
                client_id: client.client_id.clone(),
                auth_method: app.auth_method,
                api: grant.api.clone(),
                audience,
                scopes: grant.scopes.clone(),
                tenant_scopes: remote_grant.scope.iter().cloned().collect(),
                lifetime,
                signing: Signing::of(app),
                organization: None,
            });
        }
    }
    if let (Some(value), true) = (api, pairs.is_empty()) {
        let granted: BTreeSet<&str> = desired
            .applications
            .iter()
            .flat_map(|a| a.grants.iter().map(|g| api_label(&g.api)))
            .collect();
        let list = granted
            .iter()
            .map(|g| format!("`{g}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(TokenError::NoSuchGrant {
            api: value.to_string(),
            help: format!("granted APIs in the config: {list}"),
        });
    }
    Ok(pairs)
}

/// The tenant's client grant (subject type `client`) of this client for this audience.
fn find_grant<'a>(
    remote: &'a RemoteState,
    client_id: &str,
    audience: &str,
) -> Option<&'a RemoteGrant> {
    remote
        .grants
        .iter()
        .find(|g| g.client_id == client_id && g.audience == audience && auth0::is_client_grant(g))
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
