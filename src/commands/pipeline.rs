//! The pipeline `plan` and `apply` share: load the config with its `--var`s, connect to its
//! tenant, read the tenant, diff.
//!
//! Owns the order of those steps, the [`PlanOptions`] they feed the diff (prune from the flag or
//! `settings.prune`, the lockout guard's own client id, the Management API audience), closing the
//! connection when a step after `connect` fails, and how each step's error reaches the user
//! (config errors with every diagnostic, tenant and plan errors with their help lines). Must not
//! render plans or write to the tenant.

use std::path::{Path, PathBuf};
use std::time::Instant;

use miette::Diagnostic;

use super::{Connection, LOCAL_STATE_FILE};
use crate::Exit;
use crate::cli::ConfigArgs;
use crate::config::{self, Loaded, Vars};
use crate::model::{Domain, RemoteState};
use crate::plan::{self, Plan, PlanOptions};
use crate::settings::TenantSettings;
use crate::tenant::{self, Client};
use crate::ui::Context;

/// What the pipeline needs beyond the config and tenant flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct Switches {
    /// `--prune`.
    pub prune: bool,
    /// `--allow-mass-delete` (apply only; `plan` shows a blocked plan instead).
    pub allow_mass_delete: bool,
}

/// Everything a fresh plan was made from; apply executes `plan` through `connection`.
#[derive(Debug)]
pub struct Planned {
    /// The loaded, valid config.
    pub loaded: Loaded,
    /// The open tenant connection; close it with [`Connection::close`] when done.
    pub connection: Connection,
    /// The tenant as read.
    pub remote: RemoteState,
    /// The options the diff ran with (saved with the plan).
    pub options: PlanOptions,
    /// The plan.
    pub plan: Plan,
}

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// The config (or a `--var`) is not valid; nothing was sent to the tenant.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] config::Error),
    /// Connecting to or reading the tenant failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Tenant(Box<tenant::Error>),
    /// The diff refused to make a plan (ambiguous match, foreign owner, lockout).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] plan::Error),
}

impl From<tenant::Error> for Error {
    fn from(err: tenant::Error) -> Error {
        Error::Tenant(Box::new(err))
    }
}

impl Error {
    /// Shows the error the way its module means it to be seen: a config error as every
    /// diagnostic of the file (then exit 1), the others as one miette report with its help line.
    pub fn report(self, ctx: &Context) -> miette::Result<Exit> {
        match self {
            Error::Config(err) => {
                eprint!(
                    "{}",
                    config::render(&err, ctx.color_stderr, ctx.diagnostic_width())
                );
                Ok(Exit::Failure)
            }
            other => Err(miette::Report::new(other)),
        }
    }
}

/// Reads `--var`s and the environment, then loads and validates the config (no network).
pub fn load(args: &ConfigArgs) -> Result<Loaded, Error> {
    let vars = Vars::from_env_and_args(&args.vars)?;
    Ok(config::load(&args.file, &vars)?)
}

/// The directory the local tenant keeps its state in: the config file's directory.
pub fn config_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Where a plan was made, as a saved plan records it: absolute paths, so that `apply PLAN`
/// finds the same config and the same local tenant from any directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The config file.
    pub config_file: String,
    /// The local tenant's state file (`domain: local` only).
    pub local_tenant: Option<String>,
}

impl Origin {
    /// The origin of a plan made from `file` for `domain`.
    pub fn of(file: &Path, domain: &Domain) -> Origin {
        let config_file = absolute(file);
        let local_tenant = matches!(domain, Domain::Local)
            .then(|| absolute(&config_dir(file)).join(LOCAL_STATE_FILE));
        Origin {
            config_file: config_file.display().to_string(),
            local_tenant: local_tenant.map(|p| p.display().to_string()),
        }
    }
}

/// The canonical path when it exists, else the path made absolute, else as given.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The config directory whose local tenant is `state` (`<dir>/.m2mctl/local-tenant.json`).
pub fn local_tenant_dir(state: &Path) -> PathBuf {
    let depth = Path::new(LOCAL_STATE_FILE).components().count();
    state
        .ancestors()
        .nth(depth)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Connects to the tenant a config names (the embedded local tenant for `domain: local`).
pub async fn connect(
    domain: &Domain,
    settings: &TenantSettings,
    file: &Path,
) -> Result<Connection, Error> {
    Ok(super::connect(domain, settings, &config_dir(file)).await?)
}

/// The diff options: prune from the flag or the config, lockout guard and Management API from
/// the connected client.
pub fn options(loaded: &Loaded, client: &Client, switches: Switches) -> PlanOptions {
    PlanOptions {
        prune: switches.prune || loaded.desired.settings.prune,
        allow_mass_delete: switches.allow_mass_delete,
        self_client_id: client.self_client_id().map(str::to_string),
        management_audience: Some(client.management_audience()),
    }
}

/// Reads the whole tenant (the floor number of list requests) and logs what it cost.
pub async fn read(client: &Client) -> Result<RemoteState, Error> {
    let started = Instant::now();
    let before = client.metrics();
    let remote = client.read_state().await?;
    let after = client.metrics();
    tracing::info!(
        clients = remote.clients.len(),
        grants = remote.grants.len(),
        apis = remote.apis.len(),
        requests = after.requests - before.requests,
        retries = after.retries - before.retries,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "read the tenant"
    );
    Ok(remote)
}

/// The credentials of the managed clients whose keys the plan looks at (one list request each,
/// concurrently; none when no application uses keys).
pub async fn read_credentials(
    client: &Client,
    desired: &crate::model::DesiredState,
    remote: &crate::model::RemoteState,
) -> Result<plan::keys::Credentials, Error> {
    let ids = plan::keys::clients_to_read(desired, remote)?;
    read_credentials_of(client, ids).await
}

/// The credentials of the clients `ids` (one list request each, 8 at a time).
pub async fn read_credentials_of(
    client: &Client,
    ids: Vec<String>,
) -> Result<plan::keys::Credentials, Error> {
    use futures::{StreamExt, TryStreamExt};
    let lists: Vec<(String, Vec<crate::model::RemoteCredential>)> = futures::stream::iter(ids)
        .map(|id| async move {
            let list = client.list_credentials(&id).await?;
            Ok::<_, tenant::Error>((id, list))
        })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    Ok(lists.into_iter().collect())
}

/// The plan of `desired` against `remote`: [`plan::diff`], then the keys of the applications
/// that manage them (their credentials read here, [`plan::keys::diff_keys`]).
pub async fn diff(
    client: &Client,
    desired: &crate::model::DesiredState,
    remote: &RemoteState,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    let mut plan = plan::diff(desired, remote, options)?;
    let credentials = read_credentials(client, desired, remote).await?;
    let now = time::OffsetDateTime::now_utc();
    plan::keys::diff_keys(&mut plan, desired, remote, &credentials, options, now)?;
    Ok(plan)
}

/// The whole pipeline: load, connect, read, diff. A config error stops before any request; a
/// failure after connecting closes the connection (flushing the local tenant) before returning.
pub async fn plan(
    config: &ConfigArgs,
    settings: &TenantSettings,
    switches: Switches,
) -> Result<Planned, Error> {
    let loaded = load(config)?;
    tracing::info!(config = %loaded.name, "loaded the config: {}", loaded.summary());
    let connection = connect(&loaded.desired.domain, settings, &config.file).await?;
    let client = connection.client().clone();
    let options = options(&loaded, &client, switches);
    let diffed = async {
        let remote = read(&client).await?;
        let plan = diff(&client, &loaded.desired, &remote, &options).await?;
        Ok::<_, Error>((remote, plan))
    }
    .await;
    match diffed {
        Ok((remote, plan)) => Ok(Planned {
            loaded,
            connection,
            remote,
            options,
            plan,
        }),
        Err(err) => {
            if let Err(close) = connection.close().await {
                tracing::warn!("closing the tenant connection failed: {close}");
            }
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_dir_of_a_bare_file_name_is_the_working_directory() {
        let cases = [
            ("m2mctl.yaml", "."),
            ("./m2mctl.yaml", "."),
            ("infra/m2mctl.yaml", "infra"),
            ("/etc/m2mctl/prod.yaml", "/etc/m2mctl"),
        ];
        for (file, want) in cases {
            assert_eq!(config_dir(Path::new(file)), PathBuf::from(want), "{file}");
        }
    }

    #[test]
    fn a_saved_origin_is_absolute_and_finds_its_local_tenant_again() {
        let origin = Origin::of(Path::new("infra/m2mctl.yaml"), &Domain::Local);
        assert!(Path::new(&origin.config_file).is_absolute(), "{origin:?}");
        let state = origin.local_tenant.expect("local");
        assert!(
            state.ends_with("infra/.m2mctl/local-tenant.json"),
            "{state}"
        );
        assert_eq!(
            local_tenant_dir(Path::new(&state)),
            absolute(Path::new("infra"))
        );
        let remote = Origin::of(
            Path::new("m2mctl.yaml"),
            &Domain::Remote("acme.auth0.com".into()),
        );
        assert_eq!(remote.local_tenant, None);
    }
}
