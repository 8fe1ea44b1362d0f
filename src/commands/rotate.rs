//! `m2mctl rotate APP...`: rotate each application's client secret, deliver the new one to the
//! application's sinks, then prove it with a token (retried while the tenant propagates it).
//!
//! Owns the plumbing and what users see: `--dry-run` steps on stdout; progress, failures and
//! the closing summary on stderr; exit 1 when any rotation, delivery or proof failed (the other
//! applications still run). Must not print a secret: the new one goes to sinks only.

use std::io::Write;

use crate::Exit;
use crate::cli::RotateArgs;
use crate::model::AuthMethod;
use crate::rotate::{self, Attempt, PROOF_BUDGET};
use crate::settings::TenantSettings;
use crate::tenant::{self, Client, Secret};
use crate::token::{TokenError, select};
use crate::ui::Context;

use super::deliver::{self, Sinks};
use super::token::Opened;

/// Runs `m2mctl rotate`.
pub(super) async fn run(
    args: RotateArgs,
    tenant: &TenantSettings,
    ctx: &Context,
) -> miette::Result<Exit> {
    super::token::with_tenant(&args.config, tenant, ctx, async |opened| {
        rotate_all(&args, ctx, opened).await
    })
    .await
}

async fn rotate_all(args: &RotateArgs, ctx: &Context, opened: &Opened) -> miette::Result<Exit> {
    let client = opened.connection.client();
    let apps = select::select_apps(&opened.desired, &opened.remote, &args.apps)?;
    if let Some(keyed) = apps.iter().find(|a| {
        a.client.token_endpoint_auth_method.as_deref() == Some("none")
            || crate::token::key_auth::signs_with_keys(a.client)
    }) {
        return Err(miette::miette!(
            help = "private-key JWT applications rotate keys declaratively: add the new key, apply, switch the service, remove the old key, apply (docs/credentials.md)",
            "application `{}` does not authenticate with a client secret",
            keyed.app.key
        ));
    }
    if args.dry_run {
        let mut out = String::new();
        for a in &apps {
            let sinks = sink_lines(&opened.sinks, &a.app.key);
            let audience = deliver::first_audience(a.app, client);
            out.push_str(&rotate::steps(
                &a.app.key,
                &a.client.client_id,
                &sinks,
                audience.as_deref(),
            ));
        }
        std::io::stdout()
            .write_all(out.as_bytes())
            .map_err(TokenError::Output)?;
        return Ok(Exit::Success);
    }
    let mut ok = true;
    let mut outcomes = Vec::new();
    for a in &apps {
        let (key, id) = (a.app.key.as_str(), a.client.client_id.as_str());
        let secret = match client.rotate_secret(id).await {
            Ok(secret) => secret,
            Err(e) => {
                eprintln!("error: cannot rotate the secret of {key}: {e}");
                if let tenant::Error::Api { status: 403, .. } = e {
                    eprintln!(
                        "help: rotating needs the `update:client_keys` scope on m2mctl's Management API grant"
                    );
                }
                ok = false;
                continue;
            }
        };
        if !ctx.quiet {
            eprintln!("rotated {key} (client_id {id}); the old secret no longer works");
        }
        let sinks = opened.sinks.get(key).map_or(&[][..], Vec::as_slice);
        if sinks.is_empty() {
            eprintln!(
                "warning: {key} has no `deliver:` sinks; `m2mctl credentials {key}` prints the new secret"
            );
        }
        outcomes.extend(deliver::deliver_app(
            client,
            a.app,
            id,
            crate::deliver::Auth::Secret(&secret),
            sinks,
            ctx,
        ));
        let method = a
            .client
            .token_endpoint_auth_method
            .as_deref()
            .and_then(AuthMethod::parse)
            .unwrap_or(a.app.auth_method);
        let Some(audience) = deliver::first_audience(a.app, client) else {
            eprintln!(
                "warning: {key} has no grant, so the new secret cannot be proven with a token"
            );
            continue;
        };
        match prove(client, id, &secret, &audience, method).await {
            Ok(proof) if !ctx.quiet => eprintln!(
                "proved {key}: the new secret gets a token for {audience} ({} after {:.1} s)",
                crate::config::count_noun(proof.tries as usize, "try"),
                proof.waited.as_secs_f64()
            ),
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: {key}: {e}");
                ok = false;
            }
        }
    }
    let delivered = deliver::finish(&outcomes);
    Ok(if ok && delivered {
        Exit::Success
    } else {
        Exit::Failure
    })
}

fn sink_lines(sinks: &Sinks, key: &str) -> Vec<String> {
    sinks
        .get(key)
        .map(|s| s.iter().map(|s| s.describe()).collect())
        .unwrap_or_default()
}

/// Token requests with the new secret until one is issued (401: not propagated yet).
async fn prove(
    client: &Client,
    client_id: &str,
    secret: &Secret,
    audience: &str,
    method: AuthMethod,
) -> Result<rotate::Proof, rotate::ProofError> {
    let attempt = || async {
        match client
            .oauth_token(client_id, secret, audience, method)
            .await
        {
            Ok(_) => Attempt::Accepted,
            Err(tenant::Error::OAuth {
                status: 401,
                error,
                description,
                ..
            }) => Attempt::Refused(format!("401 {error}: {description}")),
            Err(e) => Attempt::Failed(e.to_string()),
        }
    };
    rotate::prove(attempt, PROOF_BUDGET, &rotate::TokioClock::default()).await
}
