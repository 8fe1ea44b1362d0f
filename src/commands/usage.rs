//! `m2mctl usage`: tokens issued per managed application and API from the tenant's
//! token-exchange logs; flags what had no token in `--days N`; `--plan FILE` writes the config
//! without the unused grants, for review.
//!
//! Owns the command's contract: the report on stdout (text, markdown, JSON), notes on stderr,
//! exit 0 (1 on error, and when the token may not read logs: no usage can be known). Must not
//! count or edit by itself (`usage`).

use crate::Exit;
use crate::cli::{PlanFormat, UsageArgs};
use crate::commands::pipeline;
use crate::fs::{self, Mode, Replace};
use crate::model::ApiRef;
use crate::settings::TenantSettings;
use crate::tenant::logs::Logs;
use crate::ui::Context;
use crate::usage::{self, Report, edit, render};

/// Runs `m2mctl usage`.
pub async fn run(args: UsageArgs, tenant: &TenantSettings, ctx: &Context) -> miette::Result<Exit> {
    let loaded = match pipeline::load(&args.config) {
        Ok(loaded) => loaded,
        Err(err) => return err.report(ctx),
    };
    let connection =
        match pipeline::connect(&loaded.desired.domain, tenant, &args.config.file).await {
            Ok(c) => c,
            Err(err) => return err.report(ctx),
        };
    let result = async {
        let client = connection.client();
        let remote = pipeline::read(client).await.map_err(miette::Report::new)?;
        let logs = client
            .read_logs(usage::TOKEN_QUERY)
            .await
            .map_err(miette::Report::new)?;
        let Logs::Read { entries, truncated } = logs else {
            return Err(miette::miette!(
                help = "grant `read:logs` to the client m2mctl runs as",
                "cannot read the tenant's logs: the token lacks `read:logs`, so token usage is unknown"
            ));
        };
        let since = window_start(args.days);
        let audience = client.management_audience();
        let mut report =
            usage::report(&loaded.desired, &remote, &audience, &entries, &since, args.days);
        report.truncated = truncated;
        show(&report, args.format)?;
        if let Some(path) = &args.plan {
            write_plan(&loaded, &report, path, &args.config.vars, ctx)?;
        }
        Ok::<_, miette::Report>(Exit::Success)
    }
    .await;
    let closed = connection.close().await;
    let exit = result?;
    closed.map_err(miette::Report::new)?;
    Ok(exit)
}

/// `now - days` as Auth0 writes dates.
fn window_start(days: u32) -> String {
    let start = time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(days));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        start.year(),
        u8::from(start.month()),
        start.day(),
        start.hour(),
        start.minute(),
        start.second()
    )
}

fn show(report: &Report, format: PlanFormat) -> miette::Result<()> {
    super::to_stdout(
        "the usage report",
        "check that stdout is writable",
        |out| match format {
            PlanFormat::Text => render::text(report, out),
            PlanFormat::Markdown => render::markdown(report, out),
            PlanFormat::Json => render::json(report, out),
        },
    )
}

/// Writes the config without the unused grants (checked to load) to `path`.
fn write_plan(
    loaded: &crate::config::Loaded,
    report: &Report,
    path: &std::path::Path,
    vars: &[String],
    ctx: &Context,
) -> miette::Result<()> {
    let mut offsets = Vec::new();
    for (cfg, usage) in loaded.config.applications.iter().zip(&report.applications) {
        for (grant_cfg, desired) in cfg.grants.iter().zip(
            loaded
                .desired
                .applications
                .iter()
                .find(|a| a.key == usage.key)
                .map(|a| a.grants.as_slice())
                .unwrap_or_default(),
        ) {
            let api = match &desired.api {
                ApiRef::Management => "management".to_string(),
                ApiRef::Identifier(id) => id.clone(),
            };
            if usage.grants.iter().any(|g| g.unused && g.api == api) {
                offsets.push(loaded.span(&grant_cfg.api).start);
            }
        }
    }
    let text = edit::remove_grants(&loaded.source, &offsets).map_err(|e| {
        miette::miette!(
            help = "remove the unused grants by hand (see the report)",
            "{e}"
        )
    })?;
    let vars = crate::config::Vars::from_env_and_args(vars).map_err(miette::Report::new)?;
    if let Err(e) = crate::config::load_str(&loaded.name, &text, &vars) {
        return Err(miette::miette!(
            help = "remove the unused grants by hand (see the report); nothing was written",
            "the config without the unused grants would not load: {e}"
        ));
    }
    fs::write(path, text.as_bytes(), Mode::Public, Replace::Always).map_err(|e| {
        miette::miette!(
            help = "check that the directory exists and is writable",
            "cannot write `{}`: {e}",
            path.display()
        )
    })?;
    if !ctx.quiet {
        eprintln!(
            "Wrote `{}`: the config without {} unused grants; review it with `diff` and `m2mctl plan -f`",
            path.display(),
            offsets.len()
        );
    }
    Ok(())
}
