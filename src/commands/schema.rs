//! `m2mctl schema`: print the JSON Schema of the config file on stdout.

use std::io::Write;

use crate::Exit;
use crate::ui::Context;

/// Runs `m2mctl schema` (a closed pipe is not an error).
pub(super) async fn run(_ctx: &Context) -> miette::Result<Exit> {
    let text = crate::config::schema_json();
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(Exit::Success),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Success),
        Err(e) => Err(miette::miette!("cannot write the schema to stdout: {e}")),
    }
}
