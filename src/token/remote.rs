//! The [`Fetch`] port over the Management API client, and the wording of its failures for
//! `token` and `credentials`.
//!
//! Owns turning tenant errors into [`TokenError`]s that name the application (missing
//! `read:client_keys`, Auth0's OAuth errors quoted with the tenant client's help line). Must not
//! retry or pace requests itself: the tenant client's governor does.

use std::path::Path;

use crate::keys::{KeyAlg, PrivateKey};
use crate::model::AuthMethod;
use crate::tenant::{self, ClientKeys, Secret};

use super::exchange::{Fetch, Fresh};
use super::{Pair, Signing, TokenError, now_unix};

/// Serves secrets and tokens from a connected tenant.
#[derive(Debug, Clone, Copy)]
pub struct TenantFetch<'a> {
    /// The Management API client (its governor paces every request).
    pub client: &'a tenant::Client,
    /// The config's directory (`private_key_file`s are relative to it).
    pub config_dir: &'a Path,
}

/// What proves an application at `/oauth/token`.
#[derive(Debug, Clone)]
pub enum AppKeys {
    /// Its secret, as the tenant holds it.
    Secret(ClientKeys),
    /// Its private key (`private_key_jwt`), from `private_key_file`.
    Private(PrivateKey, KeyAlg),
}

impl Fetch for TenantFetch<'_> {
    type Keys = AppKeys;

    /// The private key of a `private_key_jwt` application (no request), else its secret.
    async fn secret(&self, pair: &Pair) -> Result<AppKeys, TokenError> {
        if pair.auth_method == AuthMethod::PrivateKeyJwt {
            let signing = pair
                .signing
                .as_ref()
                .ok_or_else(|| TokenError::NoPrivateKey {
                    app: pair.app_key.clone(),
                })?;
            let key = private_key(&pair.app_key, signing, self.config_dir)?;
            return Ok(AppKeys::Private(key, signing.alg));
        }
        let keys = client_keys(self.client, &pair.app_key, &pair.client_id).await?;
        Ok(AppKeys::Secret(keys))
    }

    /// Authenticates the way the tenant records for the client, else as the config declares;
    /// a key application with a client assertion signed for this request (`aud` = the issuer).
    async fn token(&self, pair: &Pair, keys: &AppKeys) -> Result<Fresh, TokenError> {
        let response = match keys {
            AppKeys::Secret(keys) => {
                let method = keys.auth_method.unwrap_or(pair.auth_method);
                self.client
                    .oauth_token_in(
                        &pair.client_id,
                        &keys.client_secret,
                        &pair.audience,
                        method,
                        pair.organization.as_deref(),
                    )
                    .await
            }
            AppKeys::Private(key, alg) => {
                let issuer = self.client.tenant().issuer();
                let assertion = key
                    .assertion(*alg, &pair.client_id, &issuer, now_unix())
                    .map_err(|e| TokenError::PrivateKey {
                        app: pair.app_key.clone(),
                        key: pair
                            .signing
                            .as_ref()
                            .map(|s| s.name.clone())
                            .unwrap_or_default(),
                        path: pair
                            .signing
                            .as_ref()
                            .map(|s| s.file.clone())
                            .unwrap_or_default(),
                        reason: e.to_string(),
                        help: "check the key with `openssl pkey -in FILE -noout`".into(),
                    })?;
                self.client
                    .oauth_token_assertion_in(
                        &pair.client_id,
                        &assertion,
                        &pair.audience,
                        pair.organization.as_deref(),
                    )
                    .await
            }
        }
        .map_err(|e| oauth_error(e, pair))?;
        Ok(Fresh {
            access_token: response.access_token,
            scopes: response.scope,
            expires_in: response.expires_in,
        })
    }
}

/// Reads and checks a `private_key_file`: a private RSA key whose public half is the config's
/// key (same thumbprint). Errors name the file and the key, never its content.
pub fn private_key(
    app: &str,
    signing: &Signing,
    config_dir: &Path,
) -> Result<PrivateKey, TokenError> {
    let path = config_dir.join(&signing.file);
    let shown = path.display().to_string();
    let fail = |reason: String, help: String| TokenError::PrivateKey {
        app: app.to_string(),
        key: signing.name.clone(),
        path: shown.clone(),
        reason,
        help,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        fail(
            e.to_string(),
            format!("`private_key_file` is relative to the config file; `m2mctl keygen {app}` writes a new pair"),
        )
    })?;
    let key = PrivateKey::from_pem(&Secret::new(text)).map_err(|e| {
        fail(
            format!("it holds {e}"),
            "give the private key PEM (`-----BEGIN PRIVATE KEY-----` or `-----BEGIN RSA PRIVATE KEY-----`), unencrypted".into(),
        )
    })?;
    if key.kid() != signing.kid {
        return Err(fail(
            format!("it is not the private half of the key's `public_key` (thumbprint `{}`, the key has `{}`)", key.kid(), signing.kid),
            "point `private_key_file` at the private key of this entry's `public_key`, or fix `public_key`".into(),
        ));
    }
    Ok(key)
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
