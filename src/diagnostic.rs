//! Renders miette diagnostics in m2mctl's one style, for every error the binary prints.
//!
//! Owns the layout rules: the message comes first and the error code follows it in brackets
//! (`× scope … is declared twice [config::duplicate_scope]`), never as a bare first line;
//! related diagnostics (one per problem of a config) are rendered one after another, each like a
//! top-level one; lines are wrapped only for a terminal (`width: None` = never wrap, so a CI log
//! keeps URLs and flags whole). Must not decide what an error says: it only lays it out.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, ReportHandler, Severity,
    SourceCode,
};

/// Renders `diagnostic` (and its related diagnostics) as text; `width: None` never wraps.
pub fn render(diagnostic: &dyn Diagnostic, color: bool, width: Option<usize>) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(width.unwrap_or(usize::MAX / 4))
        .with_wrap_lines(width.is_some());
    let mut out = String::new();
    if render_tree(&handler, &mut out, diagnostic, None).is_err() {
        out = format!("{diagnostic}\n");
    }
    out
}

fn render_tree(
    handler: &GraphicalReportHandler,
    out: &mut String,
    diagnostic: &dyn Diagnostic,
    parent_src: Option<&dyn SourceCode>,
) -> fmt::Result {
    let src = diagnostic.source_code().or(parent_src);
    let flat = Flat::of(diagnostic, src);
    handler.render_report(out, &flat)?;
    if let Some(related) = diagnostic.related() {
        for rel in related {
            out.push('\n');
            render_tree(handler, out, rel, src)?;
        }
    }
    Ok(())
}

/// One diagnostic without its code (folded into the message) and without related ones.
struct Flat<'a> {
    message: String,
    severity: Option<Severity>,
    help: Option<String>,
    url: Option<String>,
    src: Option<&'a dyn SourceCode>,
    labels: Vec<LabeledSpan>,
    cause: Option<&'a (dyn std::error::Error + 'static)>,
}

impl<'a> Flat<'a> {
    fn of(d: &'a dyn Diagnostic, src: Option<&'a dyn SourceCode>) -> Flat<'a> {
        let message = match d.code() {
            Some(code) => format!("{d} [{code}]"),
            None => d.to_string(),
        };
        Flat {
            message,
            severity: d.severity(),
            help: d.help().map(|h| h.to_string()),
            url: d.url().map(|u| u.to_string()),
            src,
            labels: d.labels().map(Iterator::collect).unwrap_or_default(),
            cause: d.source(),
        }
    }
}

impl fmt::Debug for Flat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Flat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Flat<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
    }
}

impl Diagnostic for Flat<'_> {
    fn severity(&self) -> Option<Severity> {
        self.severity
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<_>)
    }
}

/// The miette hook's handler: every `miette::Report` the binary prints goes through [`render`].
#[derive(Debug, Clone, Copy)]
pub struct Handler {
    /// Colour allowed on stderr.
    pub color: bool,
    /// Wrap width, `None` when stderr is not a terminal.
    pub width: Option<usize>,
}

impl ReportHandler for Handler {
    fn debug(&self, diagnostic: &dyn Diagnostic, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(render(diagnostic, self.color, self.width).trim_end_matches('\n'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error(
        "the flag --a-rather-long-flag-name and https://example.com/a/very/long/path/that/goes/on"
    )]
    #[diagnostic(
        code(test::long),
        help("run `m2mctl plan --out plan.json` and then apply it")
    )]
    struct Long;

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("2 problems")]
    struct Parent {
        #[related]
        problems: Vec<Long>,
    }

    #[test]
    fn code_follows_the_message_and_nothing_wraps_without_a_width() {
        let out = render(&Long, false, None);
        assert_eq!(
            out.lines().next(),
            Some(
                "  × the flag --a-rather-long-flag-name and https://example.com/a/very/long/path/that/goes/on [test::long]"
            ),
            "{out}"
        );
        assert!(!out.contains("\ntest::long"), "{out}");
        assert!(out.contains("help: run `m2mctl plan --out plan.json` and then apply it"));
    }

    #[test]
    fn a_width_wraps_for_terminals() {
        let out = render(&Long, false, Some(40));
        assert!(out.lines().count() > 3, "{out}");
    }

    #[test]
    fn related_problems_render_one_after_another_with_their_codes() {
        let out = render(
            &Parent {
                problems: vec![Long, Long],
            },
            false,
            None,
        );
        assert!(out.starts_with("  × 2 problems\n"), "{out}");
        assert_eq!(out.matches("[test::long]").count(), 2, "{out}");
        assert!(!out.contains("Error:"), "{out}");
    }
}
