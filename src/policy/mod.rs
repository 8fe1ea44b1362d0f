//! Policy: rules a config and its tenant must obey (`policy:` in the config or `--policy FILE`).
//!
//! Owns the rules' model ([`rules`]), glob matching ([`glob`]), the checks over a config
//! ([`config_rules`]: errors pointing at the offending line) and over a tenant's objects the file
//! does not manage ([`tenant_rules`]: warnings), and how violations become diagnostics
//! ([`report`]). Pure: no I/O except [`load_file`] reading a `--policy` file; no printing.

pub mod config_rules;
pub mod glob;
pub mod report;
pub mod rules;
pub mod tenant_rules;

#[cfg(test)]
mod tenant_tests;
#[cfg(test)]
mod tests;

use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use config_rules::check_config;
pub use report::{Refused, diagnostics, refuse};
pub use rules::{PolicyConfig, PolicySet, Source, load_file};
pub use tenant_rules::check_tenant;

/// Which rule a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// `forbidden_scopes`.
    ForbiddenScopes,
    /// `max_token_lifetime`.
    MaxTokenLifetime,
    /// `management_scopes`.
    ManagementScopes,
    /// `required_authentication`.
    RequiredAuthentication,
    /// `max_management_writers`.
    MaxManagementWriters,
    /// `required_metadata`.
    RequiredMetadata,
}

impl Rule {
    /// The diagnostic code, e.g. `policy::forbidden_scopes`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::ForbiddenScopes => "policy::forbidden_scopes",
            Rule::MaxTokenLifetime => "policy::max_token_lifetime",
            Rule::ManagementScopes => "policy::management_scopes",
            Rule::RequiredAuthentication => "policy::required_authentication",
            Rule::MaxManagementWriters => "policy::max_management_writers",
            Rule::RequiredMetadata => "policy::required_metadata",
        }
    }
}

/// How bad a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// In the config: `validate` fails, `apply` refuses without `--allow-policy-violations`.
    Error,
    /// In the tenant, outside the file (foreign or unmanaged clients and APIs): reported only.
    Warning,
}

/// A place in a file: `file:line:column` plus the byte range and what the label says there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct At {
    /// The file name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset of the end.
    pub end: usize,
    /// What the label says at that place.
    pub label: String,
}

impl At {
    /// Locates `span` of `text` (named `file`).
    pub fn new(file: &str, text: &str, span: Range<usize>, label: impl Into<String>) -> At {
        let start = span.start.min(text.len());
        let before = text.get(..start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text
            .get(line_start..start)
            .map_or(1, |s| s.chars().count() + 1);
        At {
            file: file.to_string(),
            line,
            column,
            start,
            end: span.end.max(start).min(text.len()),
            label: label.into(),
        }
    }

    /// `m2mctl.yaml:12:9`.
    pub fn position(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One broken rule (plain data, saved with plans).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// Error (the config) or warning (the tenant outside the file).
    pub severity: Severity,
    /// The plan address of the object, e.g. `application.billing`, `grant.billing -> management`.
    pub address: String,
    /// One lowercase line, names in backticks.
    pub message: String,
    /// What to do.
    pub help: String,
    /// The offending value in the config (`None` for tenant objects).
    pub at: Option<At>,
    /// Where the rule was written.
    pub rule_at: Option<At>,
}

impl Violation {
    /// True for a violation that blocks `apply`.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// How many violations block apply.
pub fn error_count(violations: &[Violation]) -> usize {
    violations.iter().filter(|v| v.is_error()).count()
}
