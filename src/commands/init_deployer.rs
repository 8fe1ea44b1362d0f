//! `m2mctl init --create-deployer`: with a one-off Management API token (`AUTH0_ACCESS_TOKEN`,
//! the token the Dashboard's API Explorer shows), create the M2M application m2mctl runs as,
//! granted exactly the Management API scopes m2mctl needs
//! ([`deployer_scopes`](crate::endpoints::deployer::deployer_scopes)), and print its credentials.
//!
//! Idempotent: the application carries the ownership marker `m2mctl:<name>`; a second run finds it
//! by the marker, fixes its grant's scopes if they drifted and changes nothing otherwise. A run
//! cut short after creating the client is finished by the next one (the grant is created then).
//! Owns the plumbing and stdout. Must not print the secret anywhere but stdout, and warns first
//! on a terminal.

use std::collections::BTreeSet;
use std::io::Write;

use miette::miette;
use serde_json::json;

use crate::Exit;
use crate::cli::{DeployerFormat, InitArgs, env};
use crate::endpoints::deployer::{Profile, deployer_scopes};
use crate::model::{AuthMethod, MARKER_KEY, Marker, RemoteClient};
use crate::settings::TenantSettings;
use crate::tenant::{Client, Secret, TenantUrl};
use crate::token::cache::{Cache, Entry, Key};
use crate::token::output::shell_quote;
use crate::ui::Context;

/// The `project` part of the deployer's ownership marker.
pub const DEPLOYER_PROJECT: &str = "m2mctl";

/// What the run did to the deployer.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Created,
    Unchanged,
    Fixed {
        added: Vec<String>,
        removed: Vec<String>,
    },
}

/// Runs `m2mctl init --create-deployer`.
pub async fn run(args: &InitArgs, tenant: &TenantSettings, ctx: &Context) -> miette::Result<Exit> {
    let domain = args
        .domain
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty() && *d != "local")
        .ok_or_else(|| {
            miette!(
                help = format!(
                    "set `{}` (or `--domain`) to the real tenant, e.g. `example.eu.auth0.com`; the embedded local tenant needs no deployer",
                    env::AUTH0_DOMAIN
                ),
                "no tenant to create the deployer in"
            )
        })?;
    let url = TenantUrl::parse(domain)?;
    if tenant.credentials.lacks_one_off_token() {
        return Err(miette!(
            help = format!(
                "copy a token from the Dashboard (Applications > APIs > Auth0 Management API > API Explorer) into `{}`; it is used once and never saved",
                env::AUTH0_ACCESS_TOKEN
            ),
            "no Management API token to create the deployer with"
        ));
    }
    let credentials = tenant.credentials.resolve(url.authority())?;
    let client = Client::connect(url, credentials, &tenant.options).await?;
    let profile = Profile {
        with_tokens: args.with_tokens,
        read_only: args.read_only,
    };
    let wanted = deployer_scopes(profile);
    let marker = Marker {
        project: DEPLOYER_PROJECT.to_string(),
        key: args.name.clone(),
    }
    .encode();
    let (client_id, outcome) = ensure(&client, &args.name, &marker, &wanted).await?;
    let secret = client.client_secret(&client_id).await?;
    if matches!(outcome, Outcome::Fixed { .. })
        && let Some(dir) = &tenant.options.token_cache
    {
        recache(&client, &client_id, &secret, dir).await?;
    }

    if !ctx.quiet {
        let name = &args.name;
        let count = crate::config::count_noun(wanted.len(), "Management API scope");
        match &outcome {
            Outcome::Created => eprintln!("created `{name}` ({client_id}) with {count}"),
            Outcome::Unchanged => {
                eprintln!("`{name}` ({client_id}) exists with its {count}: nothing changed")
            }
            Outcome::Fixed { added, removed } => eprintln!(
                "fixed the scopes of `{name}` ({client_id}): added [{}], removed [{}]",
                added.join(", "),
                removed.join(", ")
            ),
        }
    }
    let text = match args.format {
        DeployerFormat::Env => format!(
            "export {}={}\nexport {}={}\nexport {}={}\n",
            env::AUTH0_DOMAIN,
            shell_quote(domain),
            env::AUTH0_CLIENT_ID,
            shell_quote(&client_id),
            env::AUTH0_CLIENT_SECRET,
            shell_quote(secret.expose()),
        ),
        DeployerFormat::Json => {
            let doc = json!({
                "client_id": client_id,
                "client_secret": secret.expose(),
                "domain": domain,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
    };
    if ctx.stdout_tty {
        eprintln!(
            "warning: the deployer's client secret follows; store it (e.g. as CI secrets), then clear the terminal and its scrollback"
        );
    }
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| miette!("cannot write to stdout: {e}"))?;
    Ok(Exit::Success)
}

/// Replaces the deployer's cached Management API token (m2mctl caches its own token) by one
/// carrying the scopes just fixed, so the next command does not run with the old ones.
async fn recache(
    client: &Client,
    client_id: &str,
    secret: &Secret,
    dir: &std::path::Path,
) -> miette::Result<()> {
    let audience = client.management_audience();
    let response = client
        .oauth_token(client_id, secret, &audience, AuthMethod::ClientSecretPost)
        .await?;
    let now = crate::token::now_unix();
    let (mut cache, _ignored) = Cache::load(dir);
    cache.insert(Entry {
        key: Key {
            domain: client.tenant().authority().to_string(),
            client_id: client_id.to_string(),
            audience,
            organization: None,
        },
        access_token: response.access_token,
        scopes: response.scope,
        expires_at: now.saturating_add(i64::try_from(response.expires_in).unwrap_or(i64::MAX)),
    });
    if let Err(e) = cache.save(now) {
        tracing::warn!(
            "cannot refresh the deployer's cached token in `{}`: {e}; pass `--no-cache` until it expires",
            dir.display()
        );
    }
    Ok(())
}

/// Finds the deployer by its marker (creating it when absent) and makes its Management API grant
/// hold exactly `wanted`.
async fn ensure(
    client: &Client,
    name: &str,
    marker: &str,
    wanted: &BTreeSet<String>,
) -> miette::Result<(String, Outcome)> {
    let audience = client.management_audience();
    let clients = client.list_clients().await?;
    let mine: Vec<&RemoteClient> = clients
        .iter()
        .filter(|c| c.client_metadata.get(MARKER_KEY).map(String::as_str) == Some(marker))
        .collect();
    let existing = match mine.as_slice() {
        [] => None,
        [one] => Some(*one),
        many => {
            let ids: Vec<&str> = many.iter().map(|c| c.client_id.as_str()).collect();
            return Err(miette!(
                help = "delete all but one of them in the Dashboard, then run this again",
                "{} applications carry the deployer marker `{marker}`: {}",
                many.len(),
                ids.join(", ")
            ));
        }
    };
    let Some(existing) = existing else {
        let body = json!({
            "name": name,
            "description": "m2mctl runs as this application (made by `m2mctl init --create-deployer`)",
            "app_type": crate::auth0::APP_TYPE_M2M,
            "grant_types": [crate::auth0::GRANT_TYPE_CLIENT_CREDENTIALS],
            "token_endpoint_auth_method": crate::auth0::AUTH_CLIENT_SECRET_POST,
            "client_metadata": { MARKER_KEY: marker },
        });
        let created = client.create_client(&body).await?;
        let grant =
            json!({ "client_id": created.client_id, "audience": audience, "scope": wanted });
        client.create_grant(&grant).await?;
        return Ok((created.client_id, Outcome::Created));
    };
    let id = existing.client_id.clone();
    let outcome = match client.find_grant(&id, &audience).await? {
        None => {
            let grant = json!({ "client_id": id, "audience": audience, "scope": wanted });
            client.create_grant(&grant).await?;
            Outcome::Fixed {
                added: wanted.iter().cloned().collect(),
                removed: Vec::new(),
            }
        }
        Some(grant) => {
            let have: BTreeSet<String> = grant.scope.iter().cloned().collect();
            if &have == wanted {
                Outcome::Unchanged
            } else {
                client
                    .update_grant(&grant.id, &json!({ "scope": wanted }))
                    .await?;
                Outcome::Fixed {
                    added: wanted.difference(&have).cloned().collect(),
                    removed: have.difference(wanted).cloned().collect(),
                }
            }
        }
    };
    Ok((id, outcome))
}
