//! The delivery step `credentials --deliver`, `rotate` and `apply` share: build each
//! application's payload from the tenant it lives in, deliver it to the application's sinks,
//! and show one line per sink on stderr.
//!
//! Owns turning a (application, client id, secret) into a [`deliver::Payload`] (domain, token
//! URL, audience of the first grant) and the lines users see. Must not fetch or rotate secrets
//! (callers hand them in) nor print a credential.

use std::collections::BTreeMap;

use crate::apply::{Outcome as Applied, Report};
use crate::deliver::{self, Auth, DeliverError, Outcome, Payload, Sink};
use crate::model::{ApiRef, DesiredApp, DesiredState, RemoteClient};
use crate::plan::Target;
use crate::tenant::{Client, Secret};
use crate::token::TokenError;
use crate::token::key_auth::{self, KeyAuth};
use crate::ui::Context;

/// How an application proves itself, as the tenant has it.
#[derive(Debug, Clone)]
pub(super) enum Proof {
    /// Its client secret.
    Secret(Secret),
    /// It signs with keys: its method and keys (its unused secret is never read).
    Keys(KeyAuth),
}

impl Proof {
    /// What the sinks receive.
    pub(super) fn auth(&self) -> Auth<'_> {
        match self {
            Proof::Secret(s) => Auth::Secret(s),
            Proof::Keys(k) => Auth::Keys(k),
        }
    }
}

/// The proof of `app` (the tenant's client `remote`): for a client that signs with keys its
/// credentials (one list request, `read:client_credentials`), else its secret (one read,
/// `read:client_keys`).
pub(super) async fn proof_of(
    client: &Client,
    app: &DesiredApp,
    remote: &RemoteClient,
) -> Result<Proof, TokenError> {
    if key_auth::signs_with_keys(remote) {
        let credentials = client
            .list_credentials(&remote.client_id)
            .await
            .map_err(|e| TokenError::Tenant(Box::new(e)))?;
        if let Some(keys) = key_auth::key_auth(remote, &credentials, app) {
            return Ok(Proof::Keys(keys));
        }
    }
    let keys = crate::token::remote::client_keys(client, &app.key, &remote.client_id).await?;
    Ok(Proof::Secret(keys.client_secret))
}

/// Every application's sinks, by key.
pub(super) type Sinks = BTreeMap<String, Vec<Sink>>;

/// What `AUTH0_DOMAIN` holds for this tenant: its host, or the `http://` origin of a loopback
/// emulator (what m2mctl and the Auth0 SDKs accept for it).
pub(super) fn domain_value(client: &Client) -> String {
    let tenant = client.tenant();
    if tenant.is_plain_http() {
        tenant.origin().to_string()
    } else {
        tenant.authority().to_string()
    }
}

/// The audience of the application's first grant, if it has one.
pub(super) fn first_audience(app: &DesiredApp, client: &Client) -> Option<String> {
    app.grants.first().map(|g| match &g.api {
        ApiRef::Management => client.management_audience(),
        ApiRef::Identifier(id) => id.clone(),
    })
}

/// Delivers one application's credentials to its sinks, printing a line per sink (unless
/// quiet, for successes); the outcomes for the closing summary.
pub(super) fn deliver_app(
    client: &Client,
    app: &DesiredApp,
    client_id: &str,
    auth: Auth<'_>,
    sinks: &[Sink],
    ctx: &Context,
) -> Vec<Outcome> {
    let domain = domain_value(client);
    let payload = Payload {
        app: &app.key,
        name: &app.name,
        client_id,
        auth,
        domain: &domain,
        token_url: format!("{}/oauth/token", client.tenant().origin()),
        audience: first_audience(app, client),
    };
    let outcomes = deliver::deliver_all(&payload, sinks);
    for o in &outcomes {
        if o.result.is_err() || !ctx.quiet {
            eprintln!("{}", o.line());
        }
    }
    outcomes
}

/// After an apply: delivers the secret of every application it created that has sinks (also
/// when other changes failed, so a created secret never waits for a person to copy it).
pub(super) async fn deliver_created(
    report: &Report,
    desired: &DesiredState,
    sinks: &Sinks,
    client: &Client,
    ctx: &Context,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for entry in &report.entries {
        let (Target::Client { key }, Applied::Created { id, .. }) = (&entry.target, &entry.outcome)
        else {
            continue;
        };
        let (Some(app), Some(app_sinks)) = (
            desired.applications.iter().find(|a| a.key == *key),
            sinks.get(key),
        ) else {
            continue;
        };
        // A key application whose list of signing keys this apply set signs with its configured
        // keys (no request); otherwise its secret is what works.
        let listed = report.entries.iter().any(|e| {
            matches!(&e.target, Target::SigningKeys { client } if client.key == *key)
                && matches!(e.outcome, Applied::Created { .. } | Applied::Updated)
        });
        let proof = if listed {
            Ok(Proof::Keys(key_auth::configured(app)))
        } else {
            crate::token::remote::client_keys(client, key, id)
                .await
                .map(|k| Proof::Secret(k.client_secret))
        };
        match proof {
            Ok(proof) => {
                outcomes.extend(deliver_app(client, app, id, proof.auth(), app_sinks, ctx))
            }
            Err(e) => {
                for sink in app_sinks {
                    let o = Outcome {
                        app: key.to_string(),
                        sink: sink.describe(),
                        result: Err(DeliverError::Fetch {
                            reason: e.to_string(),
                        }),
                    };
                    eprintln!("{}", o.line());
                    outcomes.push(o);
                }
            }
        }
    }
    outcomes
}

/// Prints the failure summary, if any; whether every delivery succeeded.
pub(super) fn finish(outcomes: &[Outcome]) -> bool {
    match deliver::failure_summary(outcomes) {
        Some(summary) => {
            eprint!("{summary}");
            false
        }
        None => true,
    }
}
