//! `m2mctl plan`: run the shared pipeline, render the plan to stdout, optionally save it.
//!
//! Owns the plan command's output contract: the plan (text, markdown or JSON) on stdout and
//! nothing else there; notes (saved plan, blocked plan) on stderr; the exit code (0 no changes,
//! 2 changes with `--detailed-exitcode`, 1 error). A plan blocked by the mass-delete guard is
//! still a successful plan: it renders with the block stated, exits like any plan with changes,
//! and warns on stderr that apply will refuse it without `--allow-mass-delete`.
//! Must not diff, format plans or talk HTTP itself.

use std::path::Path;

use crate::Exit;
use crate::cli::{PlanArgs, PlanFormat};
use crate::commands::pipeline::{self, Planned, Switches};
use crate::commands::policy_check;
use crate::fs::{self, Mode, Replace};
use crate::plan::{Plan, SavedPlan};
use crate::render;
use crate::settings::TenantSettings;
use crate::ui::Context;

/// Runs `m2mctl plan`.
pub async fn run(args: PlanArgs, tenant: &TenantSettings, ctx: &Context) -> miette::Result<Exit> {
    if let Some(path) = &args.out {
        // Refused before the tenant is read: `--out` names a directory, socket or block device.
        fs::check(path, Mode::Public)?;
    }
    let switches = Switches {
        prune: args.prune,
        allow_mass_delete: false,
    };
    let policy = match policy_check::load(&args.policy) {
        Ok(policy) => policy,
        Err(err) => return err.report(ctx),
    };
    let mut planned = match pipeline::plan(&args.config, tenant, switches).await {
        Ok(planned) => planned,
        Err(err) => return err.report(ctx),
    };
    policy_check::attach(&mut planned, policy.as_ref());
    if !ctx.quiet {
        policy_check::print(&planned.plan.violations, &planned.loaded, ctx);
    }
    let Planned {
        loaded,
        connection,
        options,
        plan,
        ..
    } = planned;
    let outcome = show(&plan, &args, ctx).and_then(|()| match &args.out {
        Some(path) => {
            let origin = pipeline::Origin::of(&args.config.file, &loaded.desired.domain);
            let saved = SavedPlan::new(plan.clone(), loaded.desired, options)
                .made_from(origin.config_file, origin.local_tenant);
            save(path, saved, ctx)
        }
        None => Ok(()),
    });
    // Close first in every case: for the local tenant this flushes its state file.
    let closed = connection.close().await;
    outcome?;
    closed.map_err(miette::Report::new)?;
    if let Some(line) = render::blocked_line(&plan)
        && !ctx.quiet
    {
        eprintln!("warning: {line}");
    }
    if let Some(line) = render::refused_line(&plan.violations)
        && !ctx.quiet
    {
        eprintln!("warning: {line}");
    }
    Ok(exit_code(&plan, args.detailed_exitcode))
}

/// 0 without changes; with changes 2 under `--detailed-exitcode`, else 0.
pub fn exit_code(plan: &Plan, detailed: bool) -> Exit {
    if detailed && !plan.is_empty() {
        Exit::Changes
    } else {
        Exit::Success
    }
}

/// Renders the plan in the chosen format to stdout.
fn show(plan: &Plan, args: &PlanArgs, ctx: &Context) -> miette::Result<()> {
    super::to_stdout(
        "the plan",
        "check that stdout is writable (disk full, closed pipe?)",
        |out| match args.format {
            PlanFormat::Text => render::text(plan, out, ctx.color),
            PlanFormat::Markdown => render::markdown(plan, out),
            PlanFormat::Json => render::json(plan, out),
        },
    )
}

/// Writes the saved plan through [`fs::write`] (atomic, 0644, never over a non-regular file)
/// and says how to apply it.
fn save(path: &Path, saved: SavedPlan, ctx: &Context) -> miette::Result<()> {
    fs::write(
        path,
        saved.to_json().as_bytes(),
        Mode::Public,
        Replace::Always,
    )?;
    if !ctx.quiet {
        let shown = path.display();
        let extra = if saved.plan.blocked.is_some() {
            " --allow-mass-delete"
        } else {
            ""
        };
        eprintln!(
            "Saved the plan to `{shown}`; apply exactly it with `m2mctl apply {shown}{extra}`"
        );
    }
    Ok(())
}
