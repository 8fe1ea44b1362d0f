//! `m2mctl plan`: not built yet (see the open issue that owns it).

use crate::Exit;
use crate::ui::Context;

/// Runs `m2mctl plan`.
pub async fn run(_args: crate::cli::PlanArgs, _ctx: &Context) -> miette::Result<Exit> {
    Err(miette::miette!(
        help = "this command is not implemented yet in this build",
        "`m2mctl plan` is not available yet"
    ))
}
