//! `m2mctl completions SHELL`: shell completion scripts from the clap definition.

use std::io::Write;

use clap::CommandFactory;

use crate::Exit;
use crate::cli::{Cli, CompletionsArgs};

/// Prints the completion script. Generated into memory first: clap_complete panics on a broken
/// pipe (clap#5457), and a closed pipe (`| head`) is a success here.
pub(super) fn run(args: CompletionsArgs) -> miette::Result<Exit> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "m2mctl", &mut buf);
    match std::io::stdout().write_all(&buf) {
        Ok(()) => Ok(Exit::Success),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Success),
        Err(e) => Err(miette::miette!("cannot write completions: {e}")),
    }
}
