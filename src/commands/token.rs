//! `m2mctl token`: not built yet (see the open issue that owns it).

use crate::Exit;
use crate::ui::Context;

/// Runs `m2mctl token`.
pub async fn run(_args: crate::cli::TokenArgs, _ctx: &Context) -> miette::Result<Exit> {
    Err(miette::miette!(
        help = "this command is not implemented yet in this build",
        "`m2mctl token` is not available yet"
    ))
}
