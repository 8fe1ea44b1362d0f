//! `m2mctl export`: not built yet (see the open issue that owns it).

use crate::Exit;
use crate::ui::Context;

/// Runs `m2mctl export`.
pub async fn run(_args: crate::cli::ExportArgs, _ctx: &Context) -> miette::Result<Exit> {
    Err(miette::miette!(
        help = "this command is not implemented yet in this build",
        "`m2mctl export` is not available yet"
    ))
}
