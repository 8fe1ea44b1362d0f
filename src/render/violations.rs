//! The policy part of a plan as text and markdown: errors (which make apply refuse the plan)
//! first, then warnings about the tenant outside the file. Both renderers put it first.
//!
//! Must not decide what violates a rule (that is `policy`).

use std::io::{self, Write};

use crate::policy::{self, Violation, error_count};

/// The sentence saying apply will refuse the plan, when it will.
pub(crate) fn refused_line(violations: &[Violation]) -> Option<String> {
    let n = error_count(violations);
    (n > 0).then(|| {
        format!(
            "this plan violates the policy ({}); apply refuses it without `--allow-policy-violations`",
            crate::config::count_noun(n, "violation")
        )
    })
}

/// The text block (nothing without violations).
pub(crate) fn text(violations: &[Violation], out: &mut impl Write) -> io::Result<()> {
    if violations.is_empty() {
        return Ok(());
    }
    if let Some(line) = refused_line(violations) {
        writeln!(out, "Policy: {line}:")?;
    } else {
        writeln!(out, "Policy warnings (the tenant outside this config):")?;
    }
    for v in violations {
        writeln!(
            out,
            "  {}",
            crate::sanitize::control(&policy::report::line(v))
        )?;
    }
    writeln!(out)
}

/// The markdown block: a caution line and one table row per violation (nothing without any).
pub(crate) fn markdown(violations: &[Violation], out: &mut impl Write) -> io::Result<()> {
    if violations.is_empty() {
        return Ok(());
    }
    match refused_line(violations) {
        Some(line) => {
            writeln!(out, "> [!CAUTION]")?;
            writeln!(out, "> **Policy:** {line}.")?;
        }
        None => {
            writeln!(out, "> [!WARNING]")?;
            writeln!(
                out,
                "> **Policy:** the tenant holds objects outside this config that violate the policy."
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "| | where | object | rule | violation |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for v in violations {
        let kind = if v.is_error() { "error" } else { "warning" };
        let at = v.at.as_ref().map_or("tenant".to_string(), |a| {
            format!("`{}`", code_cell(&a.position()))
        });
        writeln!(
            out,
            "| {kind} | {at} | `{}` | `{}` | {} |",
            code_cell(&v.address),
            v.rule.code(),
            cell(&v.message)
        )?;
    }
    writeln!(out)
}

/// Text made safe inside a code span of one table cell: no column or row breaks, no closing
/// backtick (code spans show `<` and `&` as they are, so those stay).
fn code_cell(text: &str) -> String {
    let cell = text
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('`', "'");
    // Other control characters (escapes, bidi overrides) escaped as everywhere else.
    crate::sanitize::control(&cell).into_owned()
}

/// Text made safe for one markdown table cell: no row or column breaks, no raw HTML.
fn cell(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '|' => s.push_str("\\|"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '&' => s.push_str("&amp;"),
            '\n' | '\r' => s.push(' '),
            c => s.push(c),
        }
    }
    crate::sanitize::control(&s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{cell, code_cell};

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        let cases = [
            ("a|b", "a\\|b"),
            ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
            ("line\nbreak", "line break"),
            ("grant.a -> b", "grant.a -&gt; b"),
        ];
        for (input, want) in cases {
            assert_eq!(cell(input), want);
        }
        let code = [("grant.a -> b", "grant.a -> b"), ("a|b`c\nd", "a\\|b'c d")];
        for (input, want) in code {
            assert_eq!(code_cell(input), want);
        }
    }
}
