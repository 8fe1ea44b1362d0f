//! The drift report as text (for a terminal or a job log), markdown (an issue body) and JSON.
//!
//! Must not decide what drifted. Markdown escapes every tenant-supplied text (names, paths).

use std::io::{self, Write};

use super::{Authors, Report};
use crate::render::md_code as code;
use crate::sanitize::markdown as cell;

/// The sentence under a report without authors.
pub const NO_AUTHORS: &str = "authors unknown: the token lacks `read:logs` (grant it to the client m2mctl runs as to see who changed what)";

fn authors_note(report: &Report) -> Option<&'static str> {
    match report.authors {
        Authors::NoPermission => Some(NO_AUTHORS),
        Authors::Found { truncated: true } => Some(
            "only the newest 1000 Management API log entries were searched (Auth0's paging window)",
        ),
        Authors::Found { truncated: false } => None,
    }
}

fn headline(report: &Report) -> String {
    if report.is_clean() {
        "No drift: the tenant matches the configuration.".to_string()
    } else {
        let n = report.drifted.len();
        format!(
            "Drift: {} in the tenant {} from the configuration of project `{}`.",
            crate::config::count_noun(n, "object"),
            if n == 1 { "differs" } else { "differ" },
            report.project
        )
    }
}

/// Plain text.
pub fn text(report: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", headline(report))?;
    for d in &report.drifted {
        writeln!(out)?;
        let id = d.id.as_ref().map_or(String::new(), |id| format!(" ({id})"));
        writeln!(
            out,
            "  {} {}{id}: apply would {}",
            d.action.symbol(),
            d.address,
            verb(d.action)
        )?;
        if !d.fields.is_empty() {
            writeln!(out, "      fields: {}", d.fields.join(", "))?;
        }
        if report.authors != Authors::NoPermission {
            if d.touched_by.is_empty() {
                writeln!(
                    out,
                    "      no log entry within the tenant's log retention touched it"
                )?;
            }
            for t in &d.touched_by {
                writeln!(
                    out,
                    "      {} {} by {}: {}",
                    t.date,
                    t.operation,
                    who(t),
                    t.request
                )?;
            }
        }
    }
    if let Some(note) = authors_note(report) {
        writeln!(out)?;
        writeln!(out, "Note: {note}")?;
    }
    Ok(())
}

fn verb(action: crate::plan::Action) -> &'static str {
    match action {
        crate::plan::Action::Create => "create it (missing in the tenant)",
        crate::plan::Action::Update => "update it",
        crate::plan::Action::Delete => "delete it",
        crate::plan::Action::Adopt => "adopt it",
    }
}

fn who(t: &super::Touch) -> String {
    match &t.user {
        Some(user) => format!("user `{user}`"),
        None if t.client_name.is_empty() => format!("client {}", t.client_id),
        None => format!("client `{}` ({})", t.client_name, t.client_id),
    }
}

/// Markdown (an issue body): headline, then a table per drifted object.
pub fn markdown(report: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "### m2mctl drift")?;
    writeln!(out)?;
    writeln!(out, "**{}**", cell(&headline(report)))?;
    if let Some(note) = authors_note(report) {
        writeln!(out)?;
        writeln!(out, "> [!NOTE]")?;
        writeln!(out, "> {note}")?;
    }
    for d in &report.drifted {
        writeln!(out)?;
        let id =
            d.id.as_ref()
                .map_or(String::new(), |id| format!(" ({})", cell(id)));
        writeln!(
            out,
            "#### {}{id}: apply would {}",
            code(&d.address),
            verb(d.action)
        )?;
        if !d.fields.is_empty() {
            let fields: Vec<String> = d.fields.iter().map(|f| code(f)).collect();
            writeln!(out)?;
            writeln!(out, "Fields: {}", fields.join(", "))?;
        }
        if report.authors == Authors::NoPermission {
            continue;
        }
        writeln!(out)?;
        if d.touched_by.is_empty() {
            writeln!(
                out,
                "No log entry within the tenant's log retention touched it."
            )?;
            continue;
        }
        writeln!(out, "| when | who | operation | request |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
        for t in &d.touched_by {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&t.date),
                cell(&who(t)),
                cell(&t.operation),
                code(&t.request)
            )?;
        }
    }
    Ok(())
}

/// Pretty JSON: the report as is (`project`, `drifted[]`, `authors`), plus `drift: bool`.
pub fn json(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let mut value = serde_json::to_value(report).map_err(io::Error::other)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("drift".into(), (!report.is_clean()).into());
    }
    serde_json::to_writer_pretty(&mut *out, &value).map_err(io::Error::other)?;
    writeln!(out)
}
