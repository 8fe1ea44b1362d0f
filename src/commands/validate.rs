//! `m2mctl validate`: load the config offline and check its policy (`policy:` and `--policy`),
//! print a one-line summary or every diagnostic (policy violations at their lines).

use crate::Exit;
use crate::commands::policy_check;
use crate::config::{self, Vars};
use crate::ui::Context;

/// Below this Management API token lifetime (seconds) m2mctl's own token can expire mid-run.
pub(super) const SHORT_MANAGEMENT_LIFETIME: u32 = 300;

/// The warning for a Management API `token_lifetime` that is too short for m2mctl's own token.
pub(super) fn short_lifetime_warning(lifetime: Option<u32>) -> Option<String> {
    let secs = lifetime.filter(|s| *s < SHORT_MANAGEMENT_LIFETIME)?;
    Some(format!(
        "the Management API `token_lifetime` is {secs} s (below {SHORT_MANAGEMENT_LIFETIME} s): \
         m2mctl's own token reaches the tenant too and is cached only while more than 60 s \
         remain, so most runs request a new one and long applies renew it mid-run; \
         use at least {SHORT_MANAGEMENT_LIFETIME} s"
    ))
}

/// Runs `m2mctl validate`: exit 0 with a summary on stdout, exit 1 with all diagnostics on stderr.
pub(super) async fn run(args: crate::cli::ValidateArgs, ctx: &Context) -> miette::Result<Exit> {
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
            if let Some(warning) = short_lifetime_warning(loaded.desired.management_token_lifetime)
            {
                tracing::warn!("{warning}");
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_only_below_300_seconds() {
        for (lifetime, warns) in [
            (None, false),
            (Some(1), true),
            (Some(299), true),
            (Some(300), false),
            (Some(86_400), false),
        ] {
            assert_eq!(
                short_lifetime_warning(lifetime).is_some(),
                warns,
                "{lifetime:?}"
            );
        }
        let text = short_lifetime_warning(Some(120)).unwrap_or_default();
        assert!(text.contains("120 s") && text.contains("300 s"), "{text}");
    }
}
