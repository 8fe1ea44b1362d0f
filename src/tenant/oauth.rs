//! The Authentication API side: `/oauth/token` client-credentials exchanges, reading a client's
//! secret for it, and the tenant's JWKS.
//!
//! Owns the OAuth error shape (`{error, error_description}`, quoted to the user) and where a
//! client secret goes (form body for `client_secret_post`, HTTP Basic for
//! `client_secret_basic`). Must not cache tokens or print them (that is the `token` command).

use std::collections::BTreeSet;

use reqwest::Method;
use serde::Deserialize;

use super::Client;
use super::backoff::Retry;
use super::error::{Error, Result, oauth_help};
use super::governor::Bucket;
use super::http::{Auth, Body, Http, Request, redact_serde};
use super::secret::Secret;
use super::write::encode;
use crate::model::AuthMethod;

/// A client-credentials token as `/oauth/token` returned it.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Secret,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Granted scopes (the `scope` field split on spaces; empty when absent).
    pub scope: BTreeSet<String>,
    /// `Bearer`.
    pub token_type: String,
}

#[derive(Deserialize)]
struct RawToken {
    access_token: Secret,
    expires_in: u64,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

/// What `/oauth/token` needs to know about an application.
#[derive(Debug, Clone)]
pub struct ClientKeys {
    /// The client secret.
    pub client_secret: Secret,
    /// How it authenticates, when the tenant records it (`None` also for `none`).
    pub auth_method: Option<AuthMethod>,
}

#[derive(Deserialize)]
struct RawKeys {
    client_secret: Option<Secret>,
    token_endpoint_auth_method: Option<String>,
}

/// How a client proves who it is at `/oauth/token`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Proof<'a> {
    /// Its secret, in the form body (`client_secret_post`).
    SecretPost(&'a Secret),
    /// Its secret, in an HTTP Basic header (`client_secret_basic`).
    SecretBasic(&'a Secret),
    /// A client assertion signed for this request (`private_key_jwt`, RFC 7523).
    Assertion(&'a Secret),
}

impl<'a> Proof<'a> {
    /// A secret sent the way `method` says (a `private_key_jwt` client has no secret to send:
    /// it goes in the body, and the tenant refuses it).
    pub(super) fn secret(secret: &'a Secret, method: AuthMethod) -> Proof<'a> {
        match method {
            AuthMethod::ClientSecretBasic => Proof::SecretBasic(secret),
            AuthMethod::ClientSecretPost | AuthMethod::PrivateKeyJwt => Proof::SecretPost(secret),
        }
    }
}

/// `client_assertion_type` of a private-key JWT assertion.
pub(super) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `POST /oauth/token` with `grant_type=client_credentials` (form-encoded, as Auth0's SDKs send).
///
/// With a secret, retried like a safe request: repeating it after a lost response only mints
/// another token. An assertion's `jti` is good for one use, so it is retried only when the
/// request certainly did not run (429, connection refused), like a create.
pub(crate) async fn exchange(
    http: &Http,
    client_id: &str,
    proof: Proof<'_>,
    audience: &str,
) -> Result<TokenResponse> {
    exchange_in(http, client_id, proof, audience, None).await
}

/// [`exchange`] in the name of `organization` (an `org_…` id or an organization name: Auth0's
/// `organization` parameter, Machine-to-Machine access for organizations), when given.
pub(crate) async fn exchange_in(
    http: &Http,
    client_id: &str,
    proof: Proof<'_>,
    audience: &str,
    organization: Option<&str>,
) -> Result<TokenResponse> {
    let mut form = vec![
        ("grant_type", crate::auth0::GRANT_TYPE_CLIENT_CREDENTIALS),
        ("audience", audience),
    ];
    if let Some(organization) = organization {
        form.push(("organization", organization));
    }
    let auth = match proof {
        Proof::SecretPost(secret) => {
            form.push(("client_id", client_id));
            form.push(("client_secret", secret.expose()));
            Auth::None
        }
        Proof::SecretBasic(secret) => Auth::Basic(client_id, secret),
        Proof::Assertion(assertion) => {
            form.push(("client_id", client_id));
            form.push(("client_assertion_type", JWT_BEARER));
            form.push(("client_assertion", assertion.expose()));
            Auth::None
        }
    };
    let req = Request {
        method: Method::POST,
        template: "/oauth/token",
        path: "/oauth/token".into(),
        query: Vec::new(),
        body: Body::Form(form),
        auth,
        retry: match proof {
            Proof::Assertion(_) => Retry::Create,
            Proof::SecretPost(_) | Proof::SecretBasic(_) => Retry::Safe,
        },
        bucket: Bucket::Authentication,
    };
    let reply = http.send(req).await?;
    if !reply.status.is_success() {
        let parsed: Option<OAuthErrorBody> = serde_json::from_slice(&reply.body).ok();
        let (error, description) = match parsed {
            Some(OAuthErrorBody {
                error: Some(e),
                error_description,
            }) => (
                reply.redact(&e),
                reply.redact(&error_description.unwrap_or_default()),
            ),
            _ => ("unexpected_response".to_string(), reply.text_excerpt()),
        };
        let status = reply.status.as_u16();
        return Err(Error::OAuth {
            client_id: client_id.to_string(),
            audience: audience.to_string(),
            status,
            help: oauth_help(status, &error, &description),
            error,
            description,
        });
    }
    TokenResponse::from_json(&reply.body)
        .map_err(|reason| reply.unexpected(format!("not a token response: {reason}")))
}

impl TokenResponse {
    /// Decodes a `/oauth/token` success body (the error never quotes it).
    pub fn from_json(body: &[u8]) -> std::result::Result<TokenResponse, String> {
        let raw: RawToken = serde_json::from_slice(body).map_err(|e| redact_serde(&e))?;
        Ok(TokenResponse {
            access_token: raw.access_token,
            expires_in: raw.expires_in,
            scope: raw
                .scope
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            token_type: raw.token_type.unwrap_or_else(|| "Bearer".into()),
        })
    }
}

impl Client {
    /// A client-credentials token for `client_id` and `audience`, authenticating as `method` says.
    pub async fn oauth_token(
        &self,
        client_id: &str,
        secret: &Secret,
        audience: &str,
        method: AuthMethod,
    ) -> Result<TokenResponse> {
        exchange(
            &self.http,
            client_id,
            Proof::secret(secret, method),
            audience,
        )
        .await
    }

    /// A client-credentials token for `client_id` and `audience`, proven by a client assertion,
    /// in the name of `organization` (id or name), when given.
    pub async fn oauth_token_assertion_in(
        &self,
        client_id: &str,
        assertion: &Secret,
        audience: &str,
        organization: Option<&str>,
    ) -> Result<TokenResponse> {
        let proof = Proof::Assertion(assertion);
        exchange_in(&self.http, client_id, proof, audience, organization).await
    }

    /// [`Client::oauth_token`] in the name of `organization` (id or name), when given.
    pub async fn oauth_token_in(
        &self,
        client_id: &str,
        secret: &Secret,
        audience: &str,
        method: AuthMethod,
        organization: Option<&str>,
    ) -> Result<TokenResponse> {
        let proof = Proof::secret(secret, method);
        exchange_in(&self.http, client_id, proof, audience, organization).await
    }

    /// A client's secret and auth method (`GET /clients/{id}?fields=client_secret,…`).
    /// Needs `read:client_keys`; a 403 says so.
    pub async fn client_keys(&self, client_id: &str) -> Result<ClientKeys> {
        let req = Request::management(
            Method::GET,
            "/api/v2/clients/{id}",
            format!("/api/v2/clients/{}", encode(client_id)),
        )
        .query(&[
            ("fields", "client_secret,token_endpoint_auth_method"),
            ("include_fields", "true"),
        ]);
        let reply = self.http.send(req).await?;
        let unreadable = |reason: String| Error::ClientKeys {
            client_id: client_id.to_string(),
            reason,
        };
        if reply.status.as_u16() == 403 {
            return Err(unreadable(reply.api_error().to_string()));
        }
        let raw: RawKeys = reply.json()?;
        let client_secret = raw
            .client_secret
            .ok_or_else(|| unreadable("the response has no `client_secret`".into()))?;
        Ok(ClientKeys {
            client_secret,
            auth_method: raw
                .token_endpoint_auth_method
                .as_deref()
                .and_then(AuthMethod::parse),
        })
    }

    /// Just the secret of [`Client::client_keys`].
    pub async fn client_secret(&self, client_id: &str) -> Result<Secret> {
        Ok(self.client_keys(client_id).await?.client_secret)
    }

    /// The tenant's signing keys (`GET /.well-known/jwks.json`).
    pub async fn jwks(&self) -> Result<jsonwebtoken::jwk::JwkSet> {
        let mut req = Request::management(
            Method::GET,
            "/.well-known/jwks.json",
            "/.well-known/jwks.json".into(),
        );
        req.auth = Auth::None;
        req.bucket = Bucket::Authentication;
        self.http.send(req).await?.json()
    }
}
