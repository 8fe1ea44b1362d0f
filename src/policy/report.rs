//! How violations reach the user: as config diagnostics (miette, a label at the offending line,
//! a `help:` line), as one line each for plans and saved plans, and as apply's refusal.
//!
//! Must not decide what violates a rule. No printing: callers render.

use std::sync::Arc;

use miette::Diagnostic;

use super::{Violation, error_count};
use crate::config::{self, Finding};

/// Apply's refusal of a plan with policy violations.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("apply refused: the plan has {} (nothing was written to the tenant)", config::count_noun(*count, "policy violation"))]
#[diagnostic(
    code(policy::refused),
    help(
        "fix the config (each violation above points at its line), or pass `--allow-policy-violations` to apply anyway"
    )
)]
pub struct Refused {
    /// Error violations.
    pub count: usize,
}

/// Ok unless `violations` holds errors and they are not allowed.
pub fn refuse(violations: &[Violation], allow: bool) -> Result<(), Refused> {
    let count = error_count(violations);
    if count == 0 || allow {
        Ok(())
    } else {
        Err(Refused { count })
    }
}

/// The config's error violations as diagnostics of `file` (`None` when there is none).
pub fn diagnostics(
    violations: &[Violation],
    file: &str,
    source: &Arc<str>,
) -> Option<config::Error> {
    let findings: Vec<Finding> = violations
        .iter()
        .filter(|v| v.is_error())
        .map(|v| finding(v, file))
        .collect();
    (!findings.is_empty()).then(|| config::Error::invalid(file, source, findings))
}

/// One violation as a finding: its label, the rule's label when written in the same file.
pub fn finding(v: &Violation, file: &str) -> Finding {
    let mut f = Finding::new(v.rule.code(), v.message.clone());
    let mut help = v.help.clone();
    if let Some(at) = &v.at {
        f = f.label(at.start..at.end, at.label.clone());
    }
    match &v.rule_at {
        Some(rule) if rule.file == file => f = f.label(rule.start..rule.end, rule.label.clone()),
        Some(rule) => help.push_str(&format!(" (rule at {})", rule.position())),
        None => {}
    }
    f.help(help)
}

/// `error m2mctl.yaml:12:9 grant.billing -> management: … [policy::forbidden_scopes]`.
pub fn line(v: &Violation) -> String {
    let kind = if v.is_error() { "error" } else { "warning" };
    let at =
        v.at.as_ref()
            .map_or(String::new(), |a| format!(" {}", a.position()));
    format!(
        "{kind}{at} {}: {} [{}]",
        v.address,
        v.message,
        v.rule.code()
    )
}
