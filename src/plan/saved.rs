//! The saved plan (`plan --out`): the plan, the desired state it came from and the options, as
//! JSON. It holds no secret because none of these types can hold one.
//!
//! Owns the document and its version check; reading and writing the file is the command's job.
//! Must do no I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Error, FORMAT_VERSION, Plan, PlanOptions};
use crate::model::DesiredState;

/// What `plan --out` writes and `apply PLAN` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`FORMAT_VERSION`]; checked before anything else is read.
    pub format_version: u32,
    /// The m2mctl version that wrote it (informational).
    pub m2mctl_version: String,
    /// sha256 of the touched tenant objects at plan time (same as `plan.fingerprint`).
    pub fingerprint: String,
    /// The options the plan was made with.
    pub options: PlanOptions,
    /// The resolved config.
    pub desired: DesiredState,
    /// The changes to apply.
    pub plan: Plan,
}

impl SavedPlan {
    /// Wraps a fresh plan for saving.
    pub fn new(plan: Plan, desired: DesiredState, options: PlanOptions) -> SavedPlan {
        SavedPlan {
            format_version: FORMAT_VERSION,
            m2mctl_version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint: plan.fingerprint.clone(),
            options,
            desired,
            plan,
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        // Serialising these plain data types cannot fail (no maps with non-string keys).
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a saved plan, checking `format_version` first so that a newer document gets a
    /// version error rather than a confusing field error.
    pub fn from_json(text: &str) -> Result<SavedPlan, Error> {
        let invalid = |e: serde_json::Error| Error::SavedPlanInvalid {
            reason: e.to_string(),
        };
        let value: Value = serde_json::from_str(text).map_err(invalid)?;
        let version = value.get("format_version");
        if version.and_then(Value::as_u64) != Some(u64::from(FORMAT_VERSION)) {
            return Err(Error::SavedPlanVersion {
                found: version.map_or_else(|| "(missing)".to_string(), Value::to_string),
                expected: FORMAT_VERSION,
            });
        }
        let saved: SavedPlan = serde_json::from_value(value).map_err(invalid)?;
        if saved.plan.format_version != FORMAT_VERSION
            || saved.plan.fingerprint != saved.fingerprint
        {
            return Err(Error::SavedPlanInvalid {
                reason: "the plan inside does not match its envelope".into(),
            });
        }
        Ok(saved)
    }
}
