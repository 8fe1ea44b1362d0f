//! `m2mctl token`: an access token for each (application, API) of the config, cached, verified
//! on request, printed as a table, JSON or `export` lines.
//!
//! Owns the plumbing: config, one read of the tenant, the cache file, stdout/stderr. Must not
//! print a token anywhere but stdout, and only in the format asked for.

use std::io::Write;

use crate::Exit;
use crate::cli::{ConfigArgs, TokenArgs, TokenFormat};
use crate::commands::pipeline;
use crate::config::count_noun;
use crate::model::{DesiredState, Domain, RemoteState};
use crate::settings::{TenantSettings, TokenCache};
use crate::tenant;
use crate::token::cache::Cache;
use crate::token::exchange::Reuse;
use crate::token::remote::TenantFetch;
use crate::token::verify::{self, Difference};
use crate::token::{TokenError, exchange, granted, now_unix, output, select, service_env};
use crate::ui::Context;

/// Config, connection and one read of the tenant: what `token` and `credentials` start from.
pub(super) struct Opened {
    pub desired: DesiredState,
    pub connection: super::Connection,
    pub remote: RemoteState,
    /// Each application's `deliver:` sinks, by key.
    pub sinks: super::deliver::Sinks,
}

/// Loads the config, connects and reads the tenant once (the pipeline `plan` uses, without the
/// diff); a failed read closes the connection.
pub(super) async fn open(
    config: &ConfigArgs,
    tenant: &TenantSettings,
) -> Result<Opened, pipeline::Error> {
    let loaded = pipeline::load(config)?;
    let sinks = crate::deliver::sinks_by_app(&loaded.config, &pipeline::config_dir(&config.file));
    let desired = loaded.desired;
    let connection = pipeline::connect(&desired.domain, tenant, &config.file).await?;
    match pipeline::read(connection.client()).await {
        Ok(remote) => Ok(Opened {
            desired,
            connection,
            remote,
            sinks,
        }),
        Err(err) => {
            let _ = connection.close().await;
            Err(err)
        }
    }
}

/// Runs `body` on the opened tenant, then closes the connection (flushing the local tenant's
/// state) whatever `body` returned.
pub(super) async fn with_tenant(
    config: &ConfigArgs,
    tenant: &TenantSettings,
    ctx: &Context,
    body: impl AsyncFnOnce(&Opened) -> miette::Result<Exit>,
) -> miette::Result<Exit> {
    let opened = match open(config, tenant).await {
        Ok(opened) => opened,
        Err(err) => return err.report(ctx),
    };
    let outcome = body(&opened).await;
    let closed = opened.connection.close().await;
    let exit = outcome?;
    closed.map_err(miette::Report::new)?;
    Ok(exit)
}

/// Runs `m2mctl token`.
pub(super) async fn run(
    args: TokenArgs,
    tenant: &TenantSettings,
    ctx: &Context,
) -> miette::Result<Exit> {
    with_tenant(&args.config, tenant, ctx, async |opened| {
        serve_and_print(&args, &tenant.token_cache, ctx, opened).await
    })
    .await
}

/// What [`issue`] checks and says before asking for tokens.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Checks {
    /// Refuse unless exactly one pair is selected (`--format raw`), before any token request.
    pub exactly_one: bool,
    /// Warn once per application whose tenant grant differs from the config.
    pub warn_drift: bool,
}

/// Tokens for the (application, API) pairs `apps` and `api` select, in the name of
/// `organization` when given, from the cache when `reuse` allows and `cache` is on (the cache is
/// saved when it changed).
#[allow(clippy::too_many_arguments)]
pub(super) async fn issue(
    opened: &Opened,
    apps: &[String],
    api: Option<&str>,
    organization: Option<&str>,
    reuse: Reuse,
    cache: &TokenCache,
    config: &ConfigArgs,
    checks: Checks,
) -> Result<Vec<crate::token::Issued>, TokenError> {
    let client = opened.connection.client();
    let mut pairs = select::select_pairs(
        &opened.desired,
        &opened.remote,
        apps,
        api,
        &select::management_audience(&opened.remote, client.tenant().authority()),
    )?;
    for pair in &mut pairs {
        pair.organization = organization.map(str::to_string);
    }
    if checks.exactly_one && pairs.len() != 1 {
        let list: Vec<String> = pairs
            .iter()
            .map(|p| format!("{} → {}", p.app_key, p.api_label()))
            .collect();
        return Err(TokenError::RawNeedsOne {
            count: pairs.len(),
            pairs: list.join(", "),
        });
    }
    if checks.warn_drift {
        for line in granted::drift_warnings(&pairs) {
            eprintln!("warning: {line}");
        }
    }
    let now = now_unix();
    let domain = cache_domain(&opened.desired, client, config);
    let mut cache = load_cache(cache);
    let config_dir = pipeline::config_dir(&config.file);
    let fetch = TenantFetch {
        client,
        config_dir: &config_dir,
    };
    let issued = exchange::serve(&fetch, pairs, cache.as_mut(), reuse, &domain, now).await?;
    if let Some(cache) = cache.as_ref().filter(|c| c.is_dirty())
        && let Err(e) = cache.save(now)
    {
        let path = cache.path().display();
        tracing::warn!("cannot write the token cache `{path}`: {e}");
    }
    Ok(issued)
}

async fn serve_and_print(
    args: &TokenArgs,
    cache: &TokenCache,
    ctx: &Context,
    opened: &Opened,
) -> miette::Result<Exit> {
    let client = opened.connection.client();
    let now = now_unix();
    // `--verify` checks what the tenant issues now, so it never serves a cached token.
    let reuse = if args.verify {
        Reuse::Fresh
    } else {
        Reuse::Cached
    };
    let format = if args.raw {
        TokenFormat::Raw
    } else {
        args.format.unwrap_or(if ctx.stdout_tty {
            TokenFormat::Table
        } else {
            TokenFormat::Json
        })
    };
    let checks = Checks {
        exactly_one: format == TokenFormat::Raw,
        warn_drift: !ctx.quiet,
    };
    let issued = issue(
        opened,
        &args.apps,
        args.api.as_deref(),
        args.organization.as_deref(),
        reuse,
        cache,
        &args.config,
        checks,
    )
    .await?;

    let text = match format {
        TokenFormat::Json => output::tokens_json(&issued),
        TokenFormat::Env => {
            let pairs: Vec<(&str, &str, &str)> = issued
                .iter()
                .map(|i| {
                    (
                        i.pair.app_key.as_str(),
                        i.pair.api_label(),
                        i.pair.audience.as_str(),
                    )
                })
                .collect();
            format!(
                "{}{}{}",
                service_env::tenant_lines(&tenant_env(client)),
                output::tokens_env(&issued)?,
                service_env::audience_lines(&pairs)?
            )
        }
        TokenFormat::Table => output::tokens_table(&issued, now),
        TokenFormat::Raw => output::token_raw(&issued),
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(TokenError::Output)?;
    if format == TokenFormat::Table && !ctx.quiet {
        eprintln!("{}", output::TABLE_HINT);
    }
    if !args.verify {
        return Ok(Exit::Success);
    }

    let jwks = client.jwks().await?;
    let hs256 = hs256_secrets(client, &issued).await?;
    let issuer = client.tenant().issuer();
    let differences = verify::check_issued(&issued, &jwks, &hs256, &issuer, now);
    drop(hs256);
    let tokens = count_noun(issued.len(), "token");
    if differences.is_empty() {
        if !ctx.quiet {
            eprintln!("verified {tokens}: no differences from the config");
        }
        return Ok(Exit::Success);
    }
    let rows: Vec<(&str, &str, &Difference)> = differences
        .iter()
        .map(|(i, d)| (i.pair.app_key.as_str(), i.pair.api_label(), d))
        .collect();
    eprint!("{}", output::differences_table(&rows));
    let found = count_noun(differences.len(), "difference");
    eprintln!("error: verified {tokens}: {found} from the config");
    Ok(Exit::Failure)
}

/// The APIs of the HS256 tokens among `issued` that the tenant says sign with HS256, with their
/// `signing_secret` when it shows one: one `GET /resource-servers/{id}` per such API, none when
/// every token is RS256. The secrets live only for the check: never printed, logged or cached.
async fn hs256_secrets(
    client: &tenant::Client,
    issued: &[crate::token::Issued],
) -> Result<std::collections::BTreeMap<String, Option<tenant::Secret>>, TokenError> {
    let mut apis: Vec<&str> = issued
        .iter()
        .filter(|i| verify::is_hs256(i.access_token.expose()))
        .map(|i| i.pair.audience.as_str())
        .collect();
    apis.sort_unstable();
    apis.dedup();
    let mut out = std::collections::BTreeMap::new();
    for api in apis {
        let signing = client
            .api_signing(api)
            .await
            .map_err(|e| TokenError::Tenant(Box::new(e)))?;
        if let Some(signing) = signing.filter(|s| s.signing_alg.as_deref() == Some("HS256")) {
            out.insert(api.to_string(), signing.signing_secret);
        }
    }
    Ok(out)
}

/// The tenant lines of `--format env`: domain, issuer and token URL of the connected tenant.
pub(super) fn tenant_env(client: &tenant::Client) -> service_env::TenantEnv {
    let url = client.tenant();
    service_env::TenantEnv {
        domain: url.authority().to_string(),
        issuer: url.issuer(),
        token_url: format!("{}/oauth/token", url.origin()),
    }
}

/// The cache; none with `--no-cache`, or (with a warning) when there is no cache directory.
fn load_cache(cache: &TokenCache) -> Option<Cache> {
    match cache {
        TokenCache::Off => None,
        TokenCache::Unavailable => {
            tracing::warn!(
                "no user cache directory; set `{}` to cache tokens",
                crate::cli::env::M2MCTL_CACHE_DIR
            );
            None
        }
        TokenCache::Dir(dir) => Some(Cache::load_or_warn(dir)),
    }
}

/// The cache key's tenant: the domain's authority, or for the embedded local tenant (whose port
/// changes every run) its state file.
fn cache_domain(desired: &DesiredState, client: &tenant::Client, config: &ConfigArgs) -> String {
    match desired.domain {
        Domain::Local => {
            let dir = pipeline::config_dir(&config.file);
            let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
            format!("local:{}", dir.join(super::LOCAL_STATE_FILE).display())
        }
        Domain::Remote(_) => client.tenant().authority().to_string(),
    }
}
