//! [`check`]: the exported text must load as a valid config, and the plan of that config
//! against the state it came from must be adoptions only (the marker, nothing else).
//!
//! The command runs it before writing, so that every change the first apply would make beyond
//! adoption is reported up front. Pure: no I/O.

use crate::config::{self, Vars};
use crate::model::{MARKER_KEY, RemoteState};
use crate::plan::{self, Action, Kind, METADATA_PREFIX, PlanOptions};

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

impl Check {
    /// True when the first plan is adoptions only.
    pub fn is_clean(&self) -> bool {
        matches!(self, Check::Planned { extra, .. } if extra.is_empty())
    }
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
        let what = match (change.action, change.kind) {
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
