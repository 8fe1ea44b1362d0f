//! `m2mctl emulator`: not built yet (see the open issue that owns it).

use crate::Exit;
use crate::ui::Context;

/// Runs `m2mctl emulator`.
pub async fn run(_args: crate::cli::EmulatorArgs, _ctx: &Context) -> miette::Result<Exit> {
    Err(miette::miette!(
        help = "this command is not implemented yet in this build",
        "`m2mctl emulator` is not available yet"
    ))
}
