//! The policy part of a plan as text and markdown: errors (which make apply refuse the plan)
//! first, then warnings about the tenant outside the file. Both renderers put it first.
//!
//! Must not decide what violates a rule (that is `policy`).

use std::io::{self, Write};

use crate::policy::{self, Violation, error_count};
use crate::sanitize;

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
        let at =
            v.at.as_ref()
                .map_or("tenant".to_string(), |a| code(&a.position()));
        writeln!(
            out,
            "| {kind} | {at} | {} | `{}` | {} |",
            code(&v.address),
            v.rule.code(),
            sanitize::markdown(&v.message)
        )?;
    }
    writeln!(out)
}

/// Tenant-supplied text as inline code in a table cell (HTML-escaped, so it cannot close the
/// span, split the row or inject markup).
pub(crate) fn code(text: &str) -> String {
    format!("<code>{}</code>", sanitize::html(text))
}

#[cfg(test)]
mod tests {
    use super::code;

    #[test]
    fn code_cells_cannot_break_the_table_or_inject_html() {
        let cases = [
            ("grant.a -> b", "<code>grant.a -&gt; b</code>"),
            ("a|b`c<i>", "<code>a&#124;b&#96;c&lt;i&gt;</code>"),
        ];
        for (input, want) in cases {
            assert_eq!(code(input), want);
        }
    }
}
