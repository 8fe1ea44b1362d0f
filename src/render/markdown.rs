//! The markdown renderer for pull-request comments: the summary first (line and object table), then
//! one collapsible `<details>` section per object holding a ```` ```diff ```` block, then warnings.
//!
//! Output is stable for a given plan (no timestamps, no colour). Must not decide what changed.

use std::io::{self, Write};

use super::{
    FieldView, NO_CHANGES, blocked_line, cascade_lines, field_views, object_line, summary_line,
};
use crate::plan::{Action, Change, Plan};
use crate::sanitize;

/// Writes `plan` as GitHub-flavoured markdown.
pub fn markdown(plan: &Plan, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "### m2mctl plan")?;
    writeln!(out)?;
    super::violations::markdown(&plan.violations, out)?;
    if plan.is_empty() {
        writeln!(out, "**{NO_CHANGES}**")?;
    } else {
        writeln!(out, "**{}**", summary_line(plan))?;
        if let Some(line) = blocked_line(plan) {
            writeln!(out)?;
            writeln!(out, "> [!CAUTION]")?;
            writeln!(out, "> {line}")?;
        }
        writeln!(out)?;
        writeln!(out, "| | object | action |")?;
        writeln!(out, "| --- | --- | --- |")?;
        for c in &plan.changes {
            writeln!(
                out,
                "| `{}` | {} | {} |",
                c.action.symbol(),
                code(&c.address),
                verb(c.action)
            )?;
        }
        for c in &plan.changes {
            writeln!(out)?;
            section(out, c)?;
        }
    }
    if !plan.endpoint_scopes.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Scopes from endpoints**")?;
        writeln!(out)?;
        for e in &plan.endpoint_scopes {
            writeln!(
                out,
                "- `{}`: `{}` needs `{}`",
                e.address, e.endpoint, e.scope
            )?;
        }
    }
    if !plan.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "**Warnings**")?;
        writeln!(out)?;
        for w in &plan.warnings {
            let at = w
                .address
                .as_ref()
                .map_or(String::new(), |a| format!("{}: ", code(a)));
            writeln!(out, "- {at}{}", prose(&w.message))?;
        }
    }
    Ok(())
}

/// The table's action word.
fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Adopt => "adopt",
        Action::Delete => "delete",
    }
}

/// One object: a collapsed summary line and its diff block.
fn section(out: &mut impl Write, c: &Change) -> io::Result<()> {
    let mut lines = vec![format!("{} {}", c.action.symbol(), object_line(c))];
    let sign = match c.action {
        Action::Create => '+',
        Action::Delete => '-',
        Action::Update | Action::Adopt => ' ',
    };
    for v in field_views(c) {
        diff_lines(&mut lines, sign, &v);
    }
    lines.extend(cascade_lines(c).into_iter().map(|l| format!("- {l}")));
    let body = lines.join("\n");
    // A value holding a fence must not close the block early: the fence is longer than any run
    // of backticks in the body.
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    writeln!(
        out,
        "<details><summary><code>{} {}</code> will be {}</summary>",
        html(c.action.symbol()),
        html(&c.address),
        c.action.verb()
    )?;
    writeln!(out)?;
    writeln!(out, "{fence}diff")?;
    writeln!(out, "{body}")?;
    writeln!(out, "{fence}")?;
    writeln!(out)?;
    writeln!(out, "</details>")
}

/// A field as diff lines: `-` before, `+` after, two spaces for context.
fn diff_lines(lines: &mut Vec<String>, sign: char, v: &FieldView) {
    match v {
        FieldView::Scalar {
            field,
            before,
            after,
        } => {
            if let Some(b) = before {
                lines.push(format!("- {field}: {b}"));
            }
            if let Some(a) = after {
                lines.push(format!("+ {field}: {a}"));
            }
        }
        FieldView::Set {
            field,
            added,
            removed,
            changed,
        } => {
            if added.is_empty() && removed.is_empty() && changed.is_empty() {
                lines.push(format!("{sign} {field}: []"));
                return;
            }
            lines.push(format!("{sign} {field}:"));
            lines.extend(added.iter().map(|a| format!("+     {a}")));
            lines.extend(removed.iter().map(|r| format!("-     {r}")));
            for (b, a) in changed {
                lines.push(format!("-     {b}"));
                lines.push(format!("+     {a}"));
            }
        }
        FieldView::Text {
            field,
            before,
            after,
            ..
        } => {
            lines.push(format!(
                "- {field}: {}",
                serde_json::Value::from(before.as_str())
            ));
            lines.push(format!(
                "+ {field}: {}",
                serde_json::Value::from(after.as_str())
            ));
        }
    }
}

/// Escapes text for an HTML context (`<summary>`): see [`sanitize::html`].
fn html(s: &str) -> String {
    sanitize::html(s)
}

/// Inline code in a table cell or list item: a code span, or `<code>` when the text holds a
/// backtick (a code span cannot escape one); control characters escaped, `|` kept in its cell.
fn code(s: &str) -> String {
    let text = sanitize::control(s);
    if text.contains('`') {
        format!("<code>{}</code>", sanitize::html(&text))
    } else {
        format!("`{}`", text.replace('|', "\\|"))
    }
}

/// A message with names in backticks: the names as [`code`], the rest markdown-escaped. A name
/// holding a backtick only shifts which parts are code; every part is escaped either way.
fn prose(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                code(part)
            } else {
                sanitize::markdown(part)
            }
        })
        .collect()
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}
