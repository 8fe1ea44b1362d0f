//! Export: turn a tenant's M2M applications, their grants and the APIs they use into a config
//! file that adopts them (brownfield adoption).
//!
//! Owns which tenant objects are exported and how ([`build`]: keys, pins, external APIs,
//! skipped grants), the text of the file ([`render`]: the `$schema` and provenance header, then
//! `config::to_yaml`), and the self-check ([`check`]: the file must load and its first plan must
//! be adoptions only). Must do no I/O: the command reads the tenant and writes the file.
//!
//! Rules (README "Adopting an existing tenant"):
//! - exported: every non-global client with `app_type: non_interactive` and no ownership marker
//!   (pinned by `client_id`, so the first apply adopts it), except the client m2mctl runs as;
//!   and every non-global client carrying this project's marker (with its key, no pin);
//! - clients managed by another project are skipped with a warning;
//! - custom APIs are exported once, with their scopes and token lifetime, when an exported
//!   application is granted them; grants to the Management API become `api: management`;
//! - grants to other APIs (system APIs such as the Management API's siblings) become
//!   `external: true` API entries unless foreign grants are excluded, in which case they are
//!   skipped with a warning (the first apply would then delete them: grants are authoritative).

mod build;
mod entries;
mod keys;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_check;

pub use build::build;
pub use keys::slug;

use crate::config::{self, ConfigFile, Vars, to_yaml};
use crate::model::{Domain, MARKER_KEY, RemoteState};
use crate::plan::{self, Action, Kind, METADATA_PREFIX, PlanOptions};

/// Where editors find the schema; relative to the exported file (`m2mctl schema` writes it).
pub const SCHEMA_FILE: &str = "m2mctl.schema.json";

/// Inputs of an export that do not come from the tenant state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// The tenant, written as `tenant.domain` (`local` for the embedded tenant).
    pub domain: Domain,
    /// The client m2mctl authenticates as: never exported unless this project manages it.
    pub self_client_id: Option<String>,
    /// The Management API identifier, when the tenant read has no system API for it.
    pub management_audience: Option<String>,
    /// Export grants to APIs that are neither custom nor the Management API as `external` APIs.
    pub include_foreign_grants: bool,
    /// The `project` of the file (`None`: the default project, not written).
    pub project: Option<String>,
}

impl ExportOptions {
    /// Options for `domain` with every other input at its default (foreign grants included).
    pub fn new(domain: Domain) -> ExportOptions {
        ExportOptions {
            domain,
            self_client_id: None,
            management_audience: None,
            include_foreign_grants: true,
            project: None,
        }
    }
}

/// What [`build`] produced.
#[derive(Debug, Clone)]
pub struct Export {
    /// The config, sorted: APIs by identifier, applications by key, grants by API.
    pub config: ConfigFile,
    /// Things the user must know (skipped clients or grants, APIs exported as external).
    pub warnings: Vec<String>,
    /// Counts for the closing summary.
    pub stats: Stats,
}

/// Counts of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Applications written (adopted and already managed).
    pub applications: usize,
    /// Of those, pinned by `client_id` (to be adopted).
    pub pinned: usize,
    /// API entries written (external ones included).
    pub apis: usize,
    /// Grants written.
    pub grants: usize,
}

/// Provenance written in the header comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The tenant as the user named it (`local` for the embedded tenant).
    pub tenant: String,
    /// RFC 3339 time of the export.
    pub exported_at: String,
}

/// Errors of [`render`].
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The YAML writer failed (a bug: the model always serializes).
    #[error("cannot write the exported config as YAML: {0}")]
    #[diagnostic(
        code(m2mctl::export::yaml),
        help("this is a bug in m2mctl; please report it with the output of `-vv`")
    )]
    Yaml(String),
}

/// The file text: the `$schema` comment, a header saying where and when it came from, the YAML.
pub fn render(export: &Export, header: &Header) -> Result<String, Error> {
    let yaml = to_yaml(&export.config).map_err(|e| Error::Yaml(e.to_string()))?;
    let version = env!("CARGO_PKG_VERSION");
    let mut text = format!(
        "# yaml-language-server: $schema={SCHEMA_FILE}\n\
         #\n\
         # Exported by m2mctl {version} from tenant `{}` at {}.\n\
         # Applications pinned by `client_id` are adopted by the first `m2mctl apply`, which adds\n\
         # the ownership marker and changes nothing else.\n\
         # Editor schema: `m2mctl schema > {SCHEMA_FILE}`.\n\n",
        header.tenant.replace('\n', " "),
        header.exported_at,
    );
    text.push_str(&yaml);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Escapes `${` as `$${` so that exported text is never taken for a config variable.
pub(crate) fn literal(text: &str) -> String {
    text.replace("${", "$${")
}

// The self-check: the exported text must load as a valid config, and the plan of that config
// against the state it came from must be adoptions only (the marker, nothing else). The command
// runs it before writing, so every change the first apply would make beyond adoption is reported.

/// The outcome of checking an export.
#[derive(Debug)]
pub enum Check {
    /// The text does not load (the diagnostics point into it).
    Invalid(Box<config::Error>),
    /// The config loads but a plan of it is refused.
    Refused(plan::Error),
    /// The first plan.
    Planned {
        /// Applications adopted (only the ownership marker added).
        adoptions: usize,
        /// Every other change, one line each (`address: what`).
        extra: Vec<String>,
    },
}

/// Loads `text` and plans it against `remote` (as the first `plan` after the export would).
pub fn check(text: &str, remote: &RemoteState, options: &PlanOptions) -> Check {
    let loaded = match config::load_str("export", text, &Vars::empty()) {
        Ok(loaded) => loaded,
        Err(e) => return Check::Invalid(Box::new(e)),
    };
    let plan = match plan::diff(&loaded.desired, remote, options) {
        Ok(plan) => plan,
        Err(e) => return Check::Refused(e),
    };
    let marker = format!("{METADATA_PREFIX}{MARKER_KEY}");
    let mut adoptions = 0;
    let mut extra = Vec::new();
    for change in &plan.changes {
        let fields: Vec<&str> = change
            .fields
            .iter()
            .map(|f| f.field.as_str())
            .filter(|f| *f != marker)
            .collect();
        let what = match (change.action, change.kind()) {
            (Action::Adopt, Kind::Client) if fields.is_empty() => {
                adoptions += 1;
                continue;
            }
            (Action::Adopt, _) => "adoption also changes",
            (Action::Create, _) => "creates",
            (Action::Update, _) => "changes",
            (Action::Delete, _) => "deletes",
        };
        let fields = if fields.is_empty() || change.action == Action::Delete {
            String::new()
        } else {
            let list: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
            format!(" {}", list.join(", "))
        };
        extra.push(format!("`{}`: {what}{fields}", change.address));
    }
    Check::Planned { adoptions, extra }
}
