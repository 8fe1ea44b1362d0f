//! The JSON renderer: the plan document with its summary, for machines (CI, scripts).
//!
//! The shape is stable and documented in the README ("JSON plan format"); fields are only added,
//! and an incompatible change bumps `format_version`. Must not decide what changed.

use std::io::{self, Write};

use serde::Serialize;

use crate::plan::{Blocked, Change, ObjectRef, Plan, Summary, Warning};

/// The document `plan --format json` prints (the [`Plan`] plus its summary).
#[derive(Serialize)]
struct Document<'a> {
    format_version: u32,
    project: &'a str,
    summary: Summary,
    blocked: &'a Option<Blocked>,
    changes: &'a [Change],
    warnings: &'a [Warning],
    touched: &'a [ObjectRef],
    fingerprint: &'a str,
    max_deletes: usize,
}

/// Writes `plan` as pretty JSON followed by a newline.
pub fn json(plan: &Plan, out: &mut impl Write) -> io::Result<()> {
    let doc = Document {
        format_version: plan.format_version,
        project: &plan.project,
        summary: plan.summary(),
        blocked: &plan.blocked,
        changes: &plan.changes,
        warnings: &plan.warnings,
        touched: &plan.touched,
        fingerprint: &plan.fingerprint,
        max_deletes: plan.max_deletes,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
