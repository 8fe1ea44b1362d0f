//! `m2mctl validate`: load the config offline, print a one-line summary or every diagnostic.

use crate::Exit;
use crate::config::{self, Vars};
use crate::ui::Context;

/// Runs `m2mctl validate`: exit 0 with a summary on stdout, exit 1 with all diagnostics on stderr.
pub async fn run(args: crate::cli::ValidateArgs, ctx: &Context) -> miette::Result<Exit> {
    let loaded = Vars::from_env_and_args(&args.config.vars)
        .and_then(|vars| config::load(&args.config.file, &vars));
    match loaded {
        Ok(loaded) => {
            println!("{} is valid: {}", loaded.name, loaded.summary());
            Ok(Exit::Success)
        }
        Err(err) => {
            eprint!(
                "{}",
                config::render(&err, ctx.color_stderr, ctx.diagnostic_width())
            );
            Ok(Exit::Failure)
        }
    }
}
