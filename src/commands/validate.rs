//! `m2mctl validate`: load the config offline and check its policy (`policy:` and `--policy`),
//! print a one-line summary or every diagnostic (policy violations at their lines).

use crate::Exit;
use crate::commands::policy_check;
use crate::config::{self, Vars};
use crate::ui::Context;

/// Width diagnostics are wrapped at.
const WIDTH: usize = 80;

/// Runs `m2mctl validate`: exit 0 with a summary on stdout, exit 1 with all diagnostics on stderr.
pub async fn run(args: crate::cli::ValidateArgs, ctx: &Context) -> miette::Result<Exit> {
    let loaded = Vars::from_env_and_args(&args.config.vars)
        .and_then(|vars| config::load(&args.config.file, &vars));
    let policy = match policy_check::load(&args.policy) {
        Ok(policy) => policy,
        Err(err) => return err.report(ctx),
    };
    match loaded {
        Ok(loaded) => {
            let violations = policy_check::check_config(&loaded, policy.as_ref());
            if policy_check::print(&violations, &loaded, ctx) {
                return Ok(Exit::Failure);
            }
            println!("{} is valid: {}", loaded.name, loaded.summary());
            Ok(Exit::Success)
        }
        Err(err) => {
            eprint!("{}", config::render(&err, ctx.color_stderr, WIDTH));
            Ok(Exit::Failure)
        }
    }
}
