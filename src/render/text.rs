//! The terminal renderer, shaped like Terraform's: `+` create, `~` update, `-` delete, `<=` adopt,
//! one block per object with its fields, then warnings and a closing summary line.
//!
//! Colour (ANSI) only when the caller says so; the text reads the same without it. Must not decide
//! about colour or read the environment.

use std::io::{self, Write};

use super::{
    FieldView, NO_CHANGES, blocked_line, cascade_lines, field_views, heading, object_line,
    summary_line,
};
use crate::plan::{Action, Plan};
use crate::sanitize::control;

/// Writes `plan` as terminal text; `color` adds ANSI colours (decided by the caller).
pub fn text(plan: &Plan, out: &mut impl Write, color: bool) -> io::Result<()> {
    let p = Paint(color);
    super::violations::text(&plan.violations, out)?;
    if !plan.is_empty() {
        writeln!(out, "m2mctl will perform the following actions:")?;
        for change in &plan.changes {
            writeln!(out)?;
            writeln!(out, "  {}", p.bold(&format!("# {}", heading(change))))?;
            let sym = change.action.symbol();
            writeln!(
                out,
                "  {} {}",
                p.action(change.action, sym),
                object_line(change)
            )?;
            for v in field_views(change) {
                field(out, &p, change.action, &v)?;
            }
            for note in cascade_lines(change) {
                writeln!(out, "      {} {note}", p.action(Action::Delete, "-"))?;
            }
        }
    }
    // A blank line separates each block from what came before; the output never starts with one
    // (the policy block ends with its own).
    let mut gap = !plan.is_empty();
    if !plan.endpoint_scopes.is_empty() {
        if std::mem::replace(&mut gap, true) {
            writeln!(out)?;
        }
        writeln!(out, "Scopes from endpoints:")?;
        for e in &plan.endpoint_scopes {
            writeln!(out, "  {}: {} needs {}", e.address, e.endpoint, e.scope)?;
        }
    }
    if !plan.warnings.is_empty() {
        if std::mem::replace(&mut gap, true) {
            writeln!(out)?;
        }
        for w in &plan.warnings {
            let at = w
                .address
                .as_ref()
                .map_or(String::new(), |a| format!("{}: ", control(a)));
            let message = control(&w.message);
            writeln!(out, "{} {at}{message}", p.yellow("Warning:"))?;
        }
    }
    if gap {
        writeln!(out)?;
    }
    if plan.is_empty() {
        writeln!(out, "{}", p.bold(NO_CHANGES))?;
        return Ok(());
    }
    if let Some(line) = blocked_line(plan) {
        writeln!(out, "{} {line}", p.red("Blocked:"))?;
    }
    writeln!(out, "{}", p.bold(&summary_line(plan)))
}

/// One field, indented under its object.
fn field(out: &mut impl Write, p: &Paint, action: Action, v: &FieldView) -> io::Result<()> {
    match v {
        FieldView::Scalar {
            field,
            before,
            after,
        } => match (before, after) {
            (None, Some(a)) => {
                writeln!(out, "      {} {field}: {a}", p.action(Action::Create, "+"))
            }
            (Some(b), None) => {
                writeln!(out, "      {} {field}: {b}", p.action(Action::Delete, "-"))
            }
            (Some(b), Some(a)) => {
                writeln!(
                    out,
                    "      {} {field}: {b} -> {a}",
                    p.action(Action::Update, "~")
                )
            }
            (None, None) => Ok(()),
        },
        FieldView::Set {
            field,
            added,
            removed,
            changed,
        } => {
            let sign = match action {
                Action::Create => p.action(Action::Create, "+"),
                Action::Delete => p.action(Action::Delete, "-"),
                _ => p.action(Action::Update, "~"),
            };
            if added.is_empty() && removed.is_empty() && changed.is_empty() {
                return writeln!(out, "      {sign} {field}: []");
            }
            writeln!(out, "      {sign} {field}:")?;
            for a in added {
                writeln!(out, "          {} {a}", p.action(Action::Create, "+"))?;
            }
            for r in removed {
                writeln!(out, "          {} {r}", p.action(Action::Delete, "-"))?;
            }
            for (b, a) in changed {
                writeln!(
                    out,
                    "          {} {b} -> {a}",
                    p.action(Action::Update, "~")
                )?;
            }
            Ok(())
        }
        FieldView::Text {
            field,
            before,
            after,
            words,
        } => {
            writeln!(out, "      {} {field}:", p.action(Action::Update, "~"))?;
            let (old, new) = if p.0 {
                (highlight(p, words, '-'), highlight(p, words, '+'))
            } else {
                (before.clone(), after.clone())
            };
            writeln!(out, "          {} {old}", p.action(Action::Delete, "-"))?;
            writeln!(out, "          {} {new}", p.action(Action::Create, "+"))
        }
    }
}

/// One side of a word diff with the words only on that side in reverse video (one run per span).
fn highlight(p: &Paint, words: &[(char, String)], side: char) -> String {
    let mut runs: Vec<(bool, String)> = Vec::new();
    for (tag, w) in words.iter().filter(|(tag, _)| *tag == ' ' || *tag == side) {
        let marked = *tag == side;
        match runs.last_mut() {
            Some((m, text)) if *m == marked => text.push_str(w),
            _ => runs.push((marked, w.clone())),
        }
    }
    runs.into_iter()
        .map(|(marked, text)| if marked { p.wrap("7", &text) } else { text })
        .collect()
}

/// ANSI styling that is a no-op without colour.
struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("1;33", s)
    }
    fn action(&self, action: Action, s: &str) -> String {
        let code = match action {
            Action::Create => "32",
            Action::Update => "33",
            Action::Adopt => "36",
            Action::Delete => "31",
        };
        self.wrap(code, s)
    }
}
