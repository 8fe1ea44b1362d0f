//! `m2mctl schema`: not built yet (see the open issue that owns it).

use crate::Exit;
use crate::ui::Context;

/// Runs `m2mctl schema`.
pub async fn run(_ctx: &Context) -> miette::Result<Exit> {
    Err(miette::miette!(
        help = "this command is not implemented yet in this build",
        "`m2mctl schema` is not available yet"
    ))
}
