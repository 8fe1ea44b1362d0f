//! The [`Fetch`] port over the Management API client, and the wording of its failures for
//! `token` and `credentials`.
//!
//! Owns turning tenant errors into [`TokenError`]s that name the application (missing
//! `read:client_keys`, Auth0's OAuth errors quoted with the tenant client's help line). Must not
//! retry or pace requests itself: the tenant client's governor does.

use crate::tenant::{self, ClientKeys};

use super::exchange::{Fetch, Fresh};
use super::{Pair, TokenError};

/// Serves secrets and tokens from a connected tenant.
#[derive(Debug, Clone, Copy)]
pub struct TenantFetch<'a> {
    /// The Management API client (its governor paces every request).
    pub client: &'a tenant::Client,
}

impl Fetch for TenantFetch<'_> {
    type Keys = ClientKeys;

    async fn secret(&self, pair: &Pair) -> Result<ClientKeys, TokenError> {
        client_keys(self.client, &pair.app_key, &pair.client_id).await
    }

    /// Authenticates the way the tenant records for the client, else as the config declares.
    async fn token(&self, pair: &Pair, keys: &ClientKeys) -> Result<Fresh, TokenError> {
        let method = keys.auth_method.unwrap_or(pair.auth_method);
        let response = self
            .client
            .oauth_token_in(
                &pair.client_id,
                &keys.client_secret,
                &pair.audience,
                method,
                pair.organization.as_deref(),
            )
            .await
            .map_err(|e| oauth_error(e, pair))?;
        Ok(Fresh {
            access_token: response.access_token,
            scopes: response.scope,
            expires_in: response.expires_in,
        })
    }
}

/// The scope that lets a management token read client secrets.
pub const READ_CLIENT_KEYS: &str = "read:client_keys";

/// Reads one client's secret and auth method, naming the application in every failure. Fails
/// before any request when m2mctl's own token visibly lacks `read:client_keys`.
pub async fn client_keys(
    client: &tenant::Client,
    app: &str,
    client_id: &str,
) -> Result<ClientKeys, TokenError> {
    let scopes = client.scopes();
    if !scopes.is_empty() && !scopes.contains(READ_CLIENT_KEYS) {
        return Err(TokenError::MissingReadClientKeys {
            app: app.to_string(),
        });
    }
    match client.client_keys(client_id).await {
        Ok(keys) if keys.client_secret.is_blank() => Err(TokenError::NoSecret {
            app: app.to_string(),
        }),
        Ok(keys) => Ok(keys),
        Err(tenant::Error::Api { status: 403, .. }) => Err(TokenError::MissingReadClientKeys {
            app: app.to_string(),
        }),
        Err(e) => Err(TokenError::Tenant(Box::new(e))),
    }
}

/// Auth0's OAuth refusal, quoted, for this pair.
fn oauth_error(e: tenant::Error, pair: &Pair) -> TokenError {
    match e {
        tenant::Error::OAuth {
            status,
            error,
            description,
            help,
            ..
        } => TokenError::OAuth {
            app: pair.app_key.clone(),
            api: pair.api_label().to_string(),
            status,
            error,
            description,
            help: help.unwrap_or_else(|| {
                "`m2mctl plan` shows whether the tenant drifted from the config".into()
            }),
        },
        other => TokenError::Tenant(Box::new(other)),
    }
}
