//! `m2mctl apply`: plan (or load a saved plan), show it, get approval, execute it, report.
//!
//! Owns the apply command's contract: the plan as text on stdout; the prompt, progress, failures
//! and the closing summary on stderr; nothing written to the tenant before pre-flight passed and
//! the plan was approved (`yes` on a terminal, `--auto-approve`, or a saved plan, which was
//! reviewed when it was made, as with Terraform); exit 0 when every change succeeded, 1 otherwise.
//! Must not diff, format plans or talk HTTP itself.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::Path;

use crate::Exit;
use crate::apply::saved::{self, Target};
use crate::apply::{self, Error, Mode, Progress, preflight};
use crate::cli::{ApplyArgs, env};
use crate::commands::pipeline::{self, Planned, Switches};
use crate::commands::policy_check;
use crate::plan::{Plan, SavedPlan};
use crate::render;
use crate::tenant::{Client, Connection};
use crate::ui::Context;

/// The confirmation question, as Terraform asks it.
const PROMPT: &str = "Do you want to apply these changes? Only 'yes' will be accepted: ";

/// How the plan gets approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Approval {
    /// Ask on the terminal unless `--auto-approve`.
    Ask { auto_approve: bool },
    /// A saved plan: approved when it was reviewed and saved.
    Saved,
}

/// Runs `m2mctl apply`.
pub async fn run(args: ApplyArgs, ctx: &Context) -> miette::Result<Exit> {
    match args.plan.clone() {
        Some(path) => from_saved(&path, &args, ctx).await,
        None => from_config(&args, ctx).await,
    }
}

/// `apply [-f FILE]`: the shared pipeline makes a fresh plan.
async fn from_config(args: &ApplyArgs, ctx: &Context) -> miette::Result<Exit> {
    let switches = Switches {
        prune: args.prune,
        allow_mass_delete: args.allow_mass_delete,
    };
    let policy = match policy_check::load(&args.policy) {
        Ok(policy) => policy,
        Err(err) => return err.report(ctx),
    };
    let mut planned = match pipeline::plan(&args.config, &args.tenant, switches).await {
        Ok(planned) => planned,
        Err(err) => return err.report(ctx),
    };
    policy_check::attach(&mut planned, policy.as_ref());
    let Planned {
        connection,
        plan,
        loaded,
        ..
    } = planned;
    let allow = args.allow_policy_violations;
    if let Err(refused) = policy_check::gate(&plan, Some(&loaded), allow, ctx) {
        let shown = show(&plan, ctx).map(|()| Exit::Failure);
        return close(connection, shown.and(Err(refused.into()))).await;
    }
    let approval = Approval::Ask {
        auto_approve: args.auto_approve,
    };
    let allow = args.allow_mass_delete;
    let result = approve_and_execute(&plan, connection.client(), allow, approval, ctx).await;
    close(connection, result).await
}

/// `apply PLAN`: load, check target and freshness, execute.
async fn from_saved(path: &Path, args: &ApplyArgs, ctx: &Context) -> miette::Result<Exit> {
    let shown = path.display().to_string();
    let saved = read_saved(path, &shown)?;
    let env_domain = std::env::var(env::AUTH0_DOMAIN).ok();
    let config = args
        .config
        .file
        .exists()
        .then(|| pipeline::load(&args.config))
        .and_then(|loaded| {
            loaded
                .map_err(|e| tracing::warn!("not comparing the saved plan with the config: {e}"))
                .ok()
        });
    let target = Target {
        env_domain: env_domain.as_deref().filter(|d| !d.trim().is_empty()),
        config: config
            .as_ref()
            .map(|c| (c.desired.project.as_str(), &c.desired.domain)),
    };
    saved::check_target(&saved, &target)?;
    let connection =
        match pipeline::connect(&saved.desired.domain, &args.tenant, &args.config.file).await {
            Ok(c) => c,
            Err(err) => return err.report(ctx),
        };
    let result = async {
        let fresh = pipeline::read(connection.client())
            .await
            .map_err(miette::Report::new)?;
        saved::check_fresh(&saved, &fresh, &shown)?;
        saved::check_creates(&saved.plan, &fresh, &shown)?;
        let allow = args.allow_policy_violations;
        if let Err(refused) = policy_check::gate(&saved.plan, None, allow, ctx) {
            show(&saved.plan, ctx)?;
            return Err(refused.into());
        }
        let allow = args.allow_mass_delete || saved.options.allow_mass_delete;
        approve_and_execute(
            &saved.plan,
            connection.client(),
            allow,
            Approval::Saved,
            ctx,
        )
        .await
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

/// Shows the plan, runs pre-flight, gets approval, executes and reports.
async fn approve_and_execute(
    plan: &Plan,
    client: &Client,
    allow_mass_delete: bool,
    approval: Approval,
    ctx: &Context,
) -> miette::Result<Exit> {
    show(plan, ctx)?;
    if plan.is_empty() {
        return Ok(Exit::Success);
    }
    let who = preflight::Identity {
        scopes: client.scopes(),
        self_client_id: client.self_client_id(),
    };
    preflight::check(plan, allow_mass_delete, who)?;
    if let Approval::Ask { auto_approve } = approval
        && !auto_approve
    {
        confirm(ctx).await?;
    }
    let mode = Mode::choose(plan.changes.len(), ctx.stderr_tty, ctx.quiet);
    let progress = Progress::new(plan.changes.len(), mode);
    let report = apply::execute(plan, client, &progress).await;
    let m = report.metrics;
    tracing::info!(
        requests = m.requests,
        retries = m.retries,
        throttled = m.throttled,
        "apply finished"
    );
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
        return Err(err.into());
    }
    if !ctx.quiet {
        eprintln!("{}", report.summary());
    }
    Ok(Exit::Success)
}

/// The plan as text on stdout (a plan without changes says "No changes.").
fn show(plan: &Plan, ctx: &Context) -> miette::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match render::text(plan, &mut out, ctx.color).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(miette::miette!(
            help = "check that stdout is writable; nothing was written to the tenant",
            "cannot write the plan to stdout: {e}"
        )),
    }
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
