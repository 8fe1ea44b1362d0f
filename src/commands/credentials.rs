//! `m2mctl credentials`: not built yet (see the open issue that owns it).

use crate::Exit;
use crate::ui::Context;

/// Runs `m2mctl credentials`.
pub async fn run(_args: crate::cli::CredentialsArgs, _ctx: &Context) -> miette::Result<Exit> {
    Err(miette::miette!(
        help = "this command is not implemented yet in this build",
        "`m2mctl credentials` is not available yet"
    ))
}
