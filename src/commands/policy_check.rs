//! Policy wiring shared by `validate`, `plan` and `apply`: read `--policy FILE`, check a config
//! (and, for a plan, its tenant), print the config's violations as diagnostics, gate apply.
//!
//! Must not decide what violates a rule (`policy`) nor format plans (`render`).

use crate::cli::PolicyArgs;
use crate::commands::pipeline::{self, Planned};
use crate::config::{self, Loaded};
use crate::plan::{Plan, management_audience};
use crate::policy::{self, PolicySet, Refused, Source, Violation};
use crate::ui::Context;

/// Reads `--policy FILE` (offline), or nothing without the flag.
pub(super) fn load(args: &PolicyArgs) -> Result<Option<Source>, pipeline::Error> {
    match &args.policy_file {
        Some(path) => Ok(Some(policy::load_file(path)?)),
        None => Ok(None),
    }
}

/// The config's violations (errors at their lines).
pub(super) fn check_config(loaded: &Loaded, file: Option<&Source>) -> Vec<Violation> {
    policy::check_config(loaded, &PolicySet::of(loaded, file))
}

/// Fills a fresh plan's violations: the config's errors, then the tenant's warnings.
pub(super) fn attach(planned: &mut Planned, file: Option<&Source>) {
    let set = PolicySet::of(&planned.loaded, file);
    if set.is_empty() {
        return;
    }
    let mut violations = policy::check_config(&planned.loaded, &set);
    let audience = management_audience(&planned.remote, &planned.options);
    violations.extend(policy::check_tenant(
        &planned.loaded.desired,
        &planned.remote,
        audience.as_deref(),
        &set,
    ));
    planned.plan.violations = violations;
}

/// Prints the config's error violations on stderr as diagnostics; true when there was one.
pub(super) fn print(violations: &[Violation], loaded: &Loaded, ctx: &Context) -> bool {
    match policy::diagnostics(violations, &loaded.name, &loaded.source) {
        Some(err) => {
            eprint!(
                "{}",
                config::render(&err, ctx.color_stderr, ctx.diagnostic_width())
            );
            true
        }
        None => false,
    }
}

/// Apply's gate: `Err` (after printing every violation on stderr) when the plan violates the
/// policy and `--allow-policy-violations` was not given. Without the config (a saved plan from
/// elsewhere) each violation is one `file:line:column` line.
pub(super) fn gate(
    plan: &Plan,
    loaded: Option<&Loaded>,
    allow: bool,
    ctx: &Context,
) -> Result<(), Refused> {
    let refused = policy::refuse(&plan.violations, allow);
    if refused.is_err() {
        let printed = loaded.is_some_and(|l| print(&plan.violations, l, ctx));
        if !printed {
            for v in plan.violations.iter().filter(|v| v.is_error()) {
                eprintln!("{}", policy::report::line(v));
            }
        }
    }
    refused
}
