//! The usage report as a text table, markdown, or JSON, with the log-retention caveat.
//!
//! Must not count anything.

use std::io::{self, Write};

use super::{RETENTION, Report};
use crate::render::md_code as code;

/// The retention sentence every format carries.
pub fn retention_note(report: &Report) -> String {
    let plans: Vec<String> = RETENTION
        .iter()
        .map(|(plan, days)| format!("{plan} {days} d"))
        .collect();
    let oldest = report
        .oldest_entry
        .as_deref()
        .map_or("no token-exchange entry was found".to_string(), |d| {
            format!("the oldest token-exchange entry read is from {d}")
        });
    let truncated = if report.truncated {
        "; only the newest 1000 entries could be read (Auth0's paging window)"
    } else {
        ""
    };
    format!(
        "Auth0 keeps logs for a limited time by plan ({}); {oldest}{truncated}. \
         Tokens older than the retention are not counted, so `--days {}` beyond it may flag an application that was used.",
        plans.join(", "),
        report.days
    )
}

fn or_dash(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

/// A table per application and grant.
pub fn text(report: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "Token usage since {} ({} days):",
        report.since, report.days
    )?;
    writeln!(out)?;
    // the first column fits the longest application key and `-> API` line
    let w = report
        .applications
        .iter()
        .flat_map(|a| {
            let apis = a.grants.iter().map(|g| g.api.chars().count() + 4);
            std::iter::once(a.key.chars().count()).chain(apis)
        })
        .fold(32, usize::max);
    writeln!(
        out,
        "  {:<w$} {:>7} {:>8}  last token",
        "application / API", "tokens", "failures"
    )?;
    for a in &report.applications {
        let flag = if a.unused { "  UNUSED" } else { "" };
        writeln!(
            out,
            "  {:<w$} {:>7} {:>8}  {:<26}{flag}",
            a.key,
            a.tokens,
            a.failures,
            or_dash(&a.last_token)
        )?;
        for g in &a.grants {
            let flag = if g.unused { "  UNUSED grant" } else { "" };
            writeln!(
                out,
                "    -> {:<v$} {:>7} {:>8}  {:<26}{flag}",
                g.api,
                g.tokens,
                "",
                or_dash(&g.last_token),
                v = w - 4
            )?;
        }
    }
    writeln!(out)?;
    let n = report.unused_count();
    writeln!(
        out,
        "{n} {} without a token in {} days.",
        if n == 1 {
            "application or grant"
        } else {
            "applications or grants"
        },
        report.days
    )?;
    writeln!(out, "Note: {}", retention_note(report))
}

/// Markdown (a review comment).
pub fn markdown(report: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "### m2mctl usage (since {}, {} days)",
        report.since, report.days
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| application | API | tokens | failures | last token | |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    for a in &report.applications {
        let flag = if a.unused { "**unused**" } else { "" };
        writeln!(
            out,
            "| {} | (all) | {} | {} | {} | {flag} |",
            code(&a.key),
            a.tokens,
            a.failures,
            or_dash(&a.last_token)
        )?;
        for g in &a.grants {
            let flag = if g.unused { "unused grant" } else { "" };
            writeln!(
                out,
                "| {} | {} | {} | | {} | {flag} |",
                code(&a.key),
                code(&g.api),
                g.tokens,
                or_dash(&g.last_token)
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "> [!NOTE]")?;
    writeln!(out, "> {}", retention_note(report))
}

/// Pretty JSON: the report plus `retention_note`.
pub fn json(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let mut value = serde_json::to_value(report).map_err(io::Error::other)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("retention_note".into(), retention_note(report).into());
    }
    serde_json::to_writer_pretty(&mut *out, &value).map_err(io::Error::other)?;
    writeln!(out)
}
