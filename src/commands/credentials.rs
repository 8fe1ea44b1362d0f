//! `m2mctl credentials`: client id and client secret of managed applications, for bootstrapping
//! services; for an application that signs with keys (private-key JWT), its client id, method and
//! keys (names and kids) instead, never its unused secret.
//!
//! Owns the plumbing: one read of the tenant, one secret read per application (one credentials
//! read for a key application; concurrent, paced by the tenant client), stdout. On a terminal it
//! warns on stderr before secrets follow. With `--deliver` the credentials go to each
//! application's sinks instead, and nothing to stdout. Must not print a secret anywhere but
//! stdout.

use std::io::Write;

use futures::{StreamExt, TryStreamExt, stream};

use crate::Exit;
use crate::cli::{CredentialsArgs, CredentialsFormat};
use crate::model::ApiRef;
use crate::settings::TenantSettings;
use crate::token::exchange::CONCURRENCY;
use crate::token::output::{self, Credential};
use crate::token::{MANAGEMENT, TokenError, select, service_env};

use super::deliver::{Proof, proof_of};
use crate::ui::Context;

/// Runs `m2mctl credentials`.
pub(super) async fn run(
    args: CredentialsArgs,
    tenant: &TenantSettings,
    ctx: &Context,
) -> miette::Result<Exit> {
    super::token::with_tenant(&args.config, tenant, ctx, async |opened| {
        print_credentials(&args, ctx, opened).await
    })
    .await
}

async fn print_credentials(
    args: &CredentialsArgs,
    ctx: &Context,
    opened: &super::token::Opened,
) -> miette::Result<Exit> {
    let client = opened.connection.client();
    let mut apps = select::select_apps(&opened.desired, &opened.remote, &args.apps)?;
    if args.deliver {
        apps = with_sinks(apps, &opened.sinks, !args.apps.is_empty())?;
    }
    let proofs: Vec<Proof> = stream::iter(&apps)
        .map(|a| proof_of(client, a.app, a.client))
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    if args.deliver {
        let mut outcomes = Vec::new();
        for (a, proof) in apps.iter().zip(&proofs) {
            let sinks = opened.sinks.get(&a.app.key).map_or(&[][..], Vec::as_slice);
            outcomes.extend(super::deliver::deliver_app(
                client,
                a.app,
                &a.client.client_id,
                proof.auth(),
                sinks,
                ctx,
            ));
        }
        return Ok(if super::deliver::finish(&outcomes) {
            Exit::Success
        } else {
            Exit::Failure
        });
    }
    let creds: Vec<Credential> = apps
        .iter()
        .zip(&proofs)
        .map(|(a, proof)| Credential {
            app: &a.app.key,
            name: &a.app.name,
            client_id: &a.client.client_id,
            client_secret: match proof {
                Proof::Secret(s) => Some(s.expose()),
                Proof::Keys(_) => None,
            },
            keys: match proof {
                Proof::Secret(_) => None,
                Proof::Keys(k) => Some(k),
            },
        })
        .collect();
    let text = match args.format {
        CredentialsFormat::Json => output::credentials_json(&creds),
        CredentialsFormat::Env => {
            let mgmt = select::management_audience(&opened.remote, client.tenant().authority());
            let pairs: Vec<(&str, &str, &str)> = apps
                .iter()
                .flat_map(|a| {
                    let mgmt = mgmt.as_str();
                    a.app.grants.iter().map(move |g| match &g.api {
                        ApiRef::Management => (a.app.key.as_str(), MANAGEMENT, mgmt),
                        ApiRef::Identifier(id) => (a.app.key.as_str(), id.as_str(), id.as_str()),
                    })
                })
                .collect();
            format!(
                "{}{}{}",
                service_env::tenant_lines(&super::token::tenant_env(client)),
                output::credentials_env(&creds)?,
                service_env::audience_lines(&pairs)?
            )
        }
    };
    let with_secret = creds.iter().filter(|c| c.client_secret.is_some()).count();
    if ctx.stdout_tty && with_secret > 0 {
        let apps = crate::config::count_noun(with_secret, "application");
        eprintln!(
            "warning: client secrets of {apps} follow; clear the terminal and its scrollback afterwards"
        );
    }
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(TokenError::Output)?;
    Ok(Exit::Success)
}

/// The selected applications that have sinks; naming one without sinks (or selecting none that
/// has any) is an error saying where sinks are declared.
fn with_sinks<'a>(
    apps: Vec<select::AppClient<'a>>,
    sinks: &super::deliver::Sinks,
    named: bool,
) -> miette::Result<Vec<select::AppClient<'a>>> {
    let (with, without): (Vec<_>, Vec<_>) = apps
        .into_iter()
        .partition(|a| sinks.contains_key(&a.app.key));
    let help = "declare where its credentials go under the application's `deliver:` (dotenv, command or kubernetes_secret)";
    if named && let Some(first) = without.first() {
        return Err(miette::miette!(
            help = help,
            "application `{}` has no `deliver:` sinks",
            first.app.key
        ));
    }
    if with.is_empty() {
        return Err(miette::miette!(
            help = help,
            "no application has `deliver:` sinks"
        ));
    }
    Ok(with)
}
