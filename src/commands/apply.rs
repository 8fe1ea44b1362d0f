//! `m2mctl apply`: plan (or load a saved plan), show it, get approval, take the lease, re-check
//! under it, execute, check for duplicates, release, report.
//!
//! Owns the apply command's contract: the plan as text on stdout; the prompt, progress, lease
//! waits, failures and the closing summary on stderr; nothing written to the tenant before
//! pre-flight passed and the plan was approved (`yes` on a terminal, `--auto-approve`, or a saved
//! plan, which was reviewed when it was made, as with Terraform); the plan's writes only under
//! the project's lease (`apply::lease`, unless `--no-lock`), after the tenant was read again
//! under it; exit 0 when every change succeeded and no application is duplicated, 1 otherwise.
//! Must not diff, format plans or talk HTTP itself.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use crate::Exit;
use crate::apply::lease::{self, Lease};
use crate::apply::saved::{self, Target};
use crate::apply::{self, Error, Mode, Progress, preflight, verify};
use crate::cli::{ApplyArgs, ConfigArgs};
use crate::commands::deliver::{self, Sinks};
use crate::commands::pipeline::{self, Planned, Switches};
use crate::commands::{Connection, LOCAL_STATE_FILE, policy_check};
use crate::model::{DesiredState, Domain};
use crate::plan::{Plan, SavedPlan};
use crate::render;
use crate::settings::{ApplySettings, TenantSettings};
use crate::tenant::Client;
use crate::ui::Context;

/// The confirmation question, as Terraform asks it.
const PROMPT: &str = "Do you want to apply these changes? Only 'yes' will be accepted: ";

/// Runs `m2mctl apply`.
pub(super) async fn run(
    args: ApplyArgs,
    tenant: &TenantSettings,
    settings: &ApplySettings,
    ctx: &Context,
) -> miette::Result<Exit> {
    let run = Run {
        args: &args,
        tenant,
        settings,
        ctx,
    };
    match args.plan.clone() {
        Some(path) => from_saved(&path, &run).await,
        None => from_config(&run).await,
    }
}

/// What one apply runs with: the config and plan paths, and the resolved settings.
struct Run<'a> {
    args: &'a ApplyArgs,
    tenant: &'a TenantSettings,
    settings: &'a ApplySettings,
    ctx: &'a Context,
}

/// `apply [-f FILE]`: the shared pipeline makes a fresh plan; after approval the lease is taken
/// and the tenant read again, so that what runs is planned from the tenant as it is under the
/// lease (another run may have applied the same config meanwhile).
async fn from_config(run: &Run<'_>) -> miette::Result<Exit> {
    let Run {
        args,
        settings,
        ctx,
        ..
    } = *run;
    let switches = Switches {
        prune: settings.prune,
        allow_mass_delete: settings.allow_mass_delete,
    };
    let policy = match policy_check::load(&args.policy) {
        Ok(policy) => policy,
        Err(err) => return err.report(ctx),
    };
    let mut planned = match pipeline::plan(&args.config, run.tenant, switches).await {
        Ok(planned) => planned,
        Err(err) => return err.report(ctx),
    };
    policy_check::attach(&mut planned, policy.as_ref());
    let Planned {
        connection,
        plan,
        loaded,
        options,
        ..
    } = planned;
    let allow = settings.allow_policy_violations;
    if let Err(refused) = policy_check::gate(&plan, Some(&loaded), allow, ctx) {
        let shown = show(&plan, ctx).map(|()| Exit::Failure);
        return close(connection, shown.and(Err(refused.into()))).await;
    }
    let client = connection.client();
    let sinks =
        crate::deliver::sinks_by_app(&loaded.config, &pipeline::config_dir(&args.config.file));
    let after = (&loaded.desired, &sinks);
    let result = async {
        show(&plan, ctx)?;
        if plan.is_empty() {
            return Ok(Exit::Success);
        }
        before_writes(&plan, client, settings)?;
        if !settings.auto_approve {
            confirm(ctx).await?;
        }
        let lease = take_lease(client, &plan.project, settings, ctx).await?;
        let run = async {
            if lease.is_none() {
                return execute(&plan, client, lease.as_ref(), after, ctx).await;
            }
            // Another run may have written while this one planned or waited: plan again.
            let fresh = pipeline::read(client).await.map_err(miette::Report::new)?;
            let now = pipeline::diff(client, &loaded.desired, &fresh, &options)
                .await
                .map_err(miette::Report::new)?;
            if now.changes == plan.changes {
                return execute(&plan, client, lease.as_ref(), after, ctx).await;
            }
            if now.is_empty() {
                eprintln!("No changes left: another apply made them while this one waited.");
                return Ok(Exit::Success);
            }
            Err(Error::TenantMoved.into())
        }
        .await;
        release(lease, run).await
    }
    .await;
    close(connection, result).await
}

/// `apply PLAN`: load, check target, freshness and creates (once before the lease, so that a
/// refusal writes nothing, and again under it), execute. Everything comes from the plan: the
/// tenant, the local tenant's state file and the config it is checked against, so it applies
/// the same from any directory.
async fn from_saved(path: &Path, run: &Run<'_>) -> miette::Result<Exit> {
    let Run {
        args,
        settings,
        ctx,
        ..
    } = *run;
    let shown = path.display().to_string();
    let saved = read_saved(path, &shown)?;
    // The plan's own config (plans of older versions did not record it: the working directory's).
    let config_file = saved
        .config_file
        .as_ref()
        .map_or_else(|| args.config.file.clone(), PathBuf::from);
    let config_args = ConfigArgs {
        file: config_file.clone(),
        vars: args.config.vars.clone(),
    };
    let config = config_file
        .exists()
        .then(|| pipeline::load(&config_args))
        .and_then(|loaded| {
            loaded
                .map_err(|e| tracing::warn!("not comparing the saved plan with its config: {e}"))
                .ok()
        });
    let config_shown = config_file.display().to_string();
    let target = Target {
        env_domain: run.tenant.env_domain.as_deref(),
        config: config.as_ref().map(|c| {
            (
                c.desired.project.as_str(),
                &c.desired.domain,
                config_shown.as_str(),
            )
        }),
    };
    saved::check_target(&saved, &target)?;
    // The tenant the plan was made on: for the local tenant, the recorded state file, which must
    // still exist (an empty new local tenant would only make the plan look stale).
    let dir = match &saved.desired.domain {
        Domain::Local => {
            let state = saved.local_tenant.as_ref().map_or_else(
                || pipeline::config_dir(&args.config.file).join(LOCAL_STATE_FILE),
                PathBuf::from,
            );
            if !state.is_file() {
                return Err(Error::LocalTenantMissing {
                    state: state.display().to_string(),
                }
                .into());
            }
            pipeline::local_tenant_dir(&state)
        }
        Domain::Remote(_) => pipeline::config_dir(&config_file),
    };
    let connection = match super::connect(&saved.desired.domain, run.tenant, &dir).await {
        Ok(c) => c,
        Err(err) => return pipeline::Error::from(err).report(ctx),
    };
    let client = connection.client();
    let plan = &saved.plan;
    let sinks = config.as_ref().map_or_else(Default::default, |c| {
        crate::deliver::sinks_by_app(&c.config, &pipeline::config_dir(&args.config.file))
    });
    let after = (&saved.desired, &sinks);
    let check = || async {
        let fresh = pipeline::read(client).await.map_err(miette::Report::new)?;
        // The key lists the plan's fingerprint covers, of the clients that still exist (a
        // vanished one hashes as absent, so the plan is stale).
        let ids = crate::plan::keys::clients_in_fingerprint(&saved.plan.touched)
            .into_iter()
            .filter(|id| fresh.clients.iter().any(|c| &c.client_id == id))
            .collect();
        let credentials = pipeline::read_credentials_of(client, ids)
            .await
            .map_err(miette::Report::new)?;
        saved::check_fresh(&saved, &fresh, &credentials, &shown)?;
        saved::check_creates(plan, &fresh, &shown)?;
        Ok::<_, miette::Report>(())
    };
    let result = async {
        check().await?;
        let allow = settings.allow_policy_violations;
        if let Err(refused) = policy_check::gate(plan, None, allow, ctx) {
            show(plan, ctx)?;
            return Err(refused.into());
        }
        show(plan, ctx)?;
        if plan.is_empty() {
            return Ok(Exit::Success);
        }
        let allow = ApplySettings {
            allow_mass_delete: settings.allow_mass_delete || saved.options.allow_mass_delete,
            ..settings.clone()
        };
        before_writes(plan, client, &allow)?;
        let lease = take_lease(client, &plan.project, settings, ctx).await?;
        let run = async {
            if lease.is_some() {
                check().await?;
            }
            execute(plan, client, lease.as_ref(), after, ctx).await
        }
        .await;
        release(lease, run).await
    }
    .await;
    close(connection, result).await
}

/// Reads and parses a saved plan.
fn read_saved(path: &Path, shown: &str) -> Result<SavedPlan, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::SavedPlanRead {
        path: shown.to_string(),
        reason: e.to_string(),
    })?;
    Ok(SavedPlan::from_json(&text)?)
}

/// Pre-flight, and the scopes of the lease: everything that must hold before approval and writes.
fn before_writes(plan: &Plan, client: &Client, settings: &ApplySettings) -> Result<(), Error> {
    let who = preflight::Identity {
        scopes: &client.scopes(),
        self_client_id: client.self_client_id(),
    };
    preflight::check(plan, settings.allow_mass_delete, who)?;
    let scopes = client.scopes();
    let missing: Vec<String> = lease::SCOPES
        .iter()
        .filter(|s| !scopes.is_empty() && !scopes.contains(**s))
        .map(|s| format!("`{s}`"))
        .collect();
    if settings.lease.is_none() || missing.is_empty() {
        return Ok(());
    }
    Err(Error::LeaseForbidden {
        reason: format!("the Management API token lacks {}", missing.join(", ")),
    })
}

/// Takes the project's lease (`None` with `--no-lock`), telling the user whom it waits for.
async fn take_lease(
    client: &Client,
    project: &str,
    settings: &ApplySettings,
    ctx: &Context,
) -> Result<Option<Lease>, Error> {
    let Some(settings) = settings.lease.clone() else {
        tracing::warn!(
            "--no-lock: not taking the apply lease; an overlapping apply may duplicate applications"
        );
        return Ok(None);
    };
    let quiet = ctx.quiet;
    let lease = lease::acquire(client, project, settings, |held, left| {
        if !quiet {
            eprintln!(
                "Waiting for another apply of project `{project}` to finish: the lease is held by {} (giving up in {} s)",
                held.shown_holder(),
                left.as_secs()
            );
        }
    })
    .await?;
    Ok(Some(lease))
}

/// Releases the lease after `result`; a lease lost while writing turns success into an error.
async fn release(lease: Option<Lease>, result: miette::Result<Exit>) -> miette::Result<Exit> {
    let Some(lease) = lease else {
        return result;
    };
    let lost = lease.lost();
    lease.release().await;
    match result {
        Ok(_) if lost => Err(Error::LeaseLost.into()),
        other => other,
    }
}

/// Executes an approved plan (starting no change once the lease is lost), delivers created
/// applications' secrets to their sinks, reports, and checks that no application was duplicated.
async fn execute(
    plan: &Plan,
    client: &Client,
    lease: Option<&Lease>,
    (desired, sinks): (&DesiredState, &Sinks),
    ctx: &Context,
) -> miette::Result<Exit> {
    let mode = Mode::choose(plan.changes.len(), ctx.stderr_tty, ctx.quiet);
    let progress = Progress::new(plan.changes.len(), mode);
    let report = match lease {
        Some(lease) => apply::execute_while(plan, client, &progress, &lease.still_held()).await,
        None => apply::execute(plan, client, &progress).await,
    };
    // Created applications get their secret delivered whatever else failed.
    let delivered = deliver::deliver_created(&report, desired, sinks, client, ctx).await;
    let m = report.metrics;
    tracing::info!(
        requests = m.requests,
        retries = m.retries,
        throttled = m.throttled,
        "apply finished"
    );
    let duplicates = match client.list_clients().await {
        Ok(clients) => verify::unique_markers(&plan.project, &clients),
        Err(err) => {
            tracing::warn!("could not check the tenant for duplicate applications: {err}");
            Ok(())
        }
    };
    if let Err(err) = report.result() {
        eprintln!();
        eprintln!("Done before the failure stays applied:");
        for e in report.entries.iter().filter(|e| e.succeeded()) {
            eprintln!("  {}", crate::sanitize::control(&e.line()));
        }
        eprintln!("Not applied:");
        for e in report.entries.iter().filter(|e| !e.succeeded()) {
            eprintln!("  {}", crate::sanitize::control(&e.line()));
        }
        eprintln!("{}", report.summary());
        if let Err(dup) = duplicates {
            eprintln!("{:?}", miette::Report::new(dup));
        }
        deliver::finish(&delivered);
        return Err(err.into());
    }
    if !ctx.quiet {
        // The bar is cleared when it ends: list what the user needs next, the new client ids.
        if mode == Mode::Bar {
            for e in report.entries.iter().filter(|e| created_client(e)) {
                eprintln!("{}", e.line());
            }
        }
        eprintln!("{}", report.summary());
    }
    let delivered = deliver::finish(&delivered);
    duplicates?;
    Ok(if delivered {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// A created application (its line carries the new client id).
fn created_client(entry: &apply::Entry) -> bool {
    entry.kind() == crate::plan::Kind::Client
        && matches!(entry.outcome, apply::Outcome::Created { .. })
}

/// The plan as text on stdout (a plan without changes says "No changes.").
fn show(plan: &Plan, ctx: &Context) -> miette::Result<()> {
    super::to_stdout(
        "the plan",
        "check that stdout is writable; nothing was written to the tenant",
        |out| render::text(plan, out, ctx.color),
    )
}

/// Asks for `yes` on the terminal; without one, refuses.
async fn confirm(ctx: &Context) -> Result<(), Error> {
    if !ctx.stdin_tty {
        return Err(Error::NoConfirmation);
    }
    let answer = tokio::task::spawn_blocking(|| {
        eprint!("\n{PROMPT}");
        let _ = io::stderr().flush();
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await;
    match answer {
        Ok(Ok(line)) if line.trim() == "yes" => Ok(()),
        _ => Err(Error::Cancelled),
    }
}

/// Closes the connection (flushing the local tenant) whatever happened, then returns `result`.
async fn close(connection: Connection, result: miette::Result<Exit>) -> miette::Result<Exit> {
    let closed = connection.close().await;
    let exit = result?;
    closed.map_err(miette::Report::new)?;
    Ok(exit)
}
