//! `m2mctl drift`: for a scheduled job. Reads the tenant, compares it with the config (the plan
//! apply would run), and names the log entries that touched each differing object.
//!
//! Owns the drift command's contract: the report (text, markdown or JSON) on stdout; exit 0 no
//! drift, 2 drift, 1 error. Without `read:logs` the drift is still reported, without authors,
//! saying why. Must not diff, read logs or format by itself.

use crate::Exit;
use crate::cli::{DriftArgs, PlanFormat};
use crate::commands::pipeline::{self, Planned, Switches};
use crate::drift::{self, Report, render};
use crate::settings::TenantSettings;
use crate::tenant::logs::Logs;
use crate::ui::Context;

/// Runs `m2mctl drift`.
pub async fn run(args: DriftArgs, tenant: &TenantSettings, ctx: &Context) -> miette::Result<Exit> {
    let planned = match pipeline::plan(&args.config, tenant, Switches::default()).await {
        Ok(planned) => planned,
        Err(err) => return err.report(ctx),
    };
    let Planned {
        connection,
        remote,
        plan,
        ..
    } = planned;
    let result = async {
        let logs = if plan.is_empty() {
            Logs::Read {
                entries: Vec::new(),
                truncated: false,
            }
        } else {
            connection
                .client()
                .read_logs(drift::SAPI_QUERY)
                .await
                .map_err(miette::Report::new)?
        };
        let report = drift::report(&plan, &remote, &logs);
        show(&report, args.format)?;
        Ok::<_, miette::Report>(if report.is_clean() {
            Exit::Success
        } else {
            Exit::Changes
        })
    }
    .await;
    let closed = connection.close().await;
    let exit = result?;
    closed.map_err(miette::Report::new)?;
    Ok(exit)
}

fn show(report: &Report, format: PlanFormat) -> miette::Result<()> {
    super::to_stdout(
        "the drift report",
        "check that stdout is writable",
        |out| match format {
            PlanFormat::Text => render::text(report, out),
            PlanFormat::Markdown => render::markdown(report, out),
            PlanFormat::Json => render::json(report, out),
        },
    )
}
