//! The config module's error type and the diagnostics it carries.
//!
//! Owns `Finding` (a located problem as plain data, what rules produce), `Problem` (a finding
//! attached to its file, a `miette::Diagnostic`), `Error` (what `load` returns), "did you mean"
//! hints, and `render` (one fixed graphical style, used by `validate` and tests). Must not decide
//! what is valid.

use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource};

/// At most this many problems are kept for rendering (the count still says how many exist).
pub(super) const MAX_RENDERED: usize = 50;

/// One label of a finding: a byte range of the original file and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Byte range in the original file.
    pub span: Range<usize>,
    /// What is at that range.
    pub text: String,
}

/// A located problem (pure data); the first label is the primary one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable code, e.g. `config::unknown_scope`.
    pub code: &'static str,
    /// One lowercase line, names in backticks.
    pub message: String,
    /// Where.
    pub labels: Vec<Label>,
    /// What to do.
    pub help: String,
}

impl Finding {
    /// A finding with no labels and no help yet.
    pub fn new(code: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            code,
            message: message.into(),
            labels: Vec::new(),
            help: String::new(),
        }
    }

    /// Adds a label.
    pub fn label(mut self, span: Range<usize>, text: impl Into<String>) -> Finding {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = help.into();
        self
    }

    fn first_offset(&self) -> usize {
        self.labels.first().map_or(usize::MAX, |l| l.span.start)
    }
}

/// A finding attached to the file it is about.
#[derive(Debug, thiserror::Error)]
#[error("{}", finding.message)]
pub struct Problem {
    finding: Finding,
    src: NamedSource<Arc<str>>,
}

impl Problem {
    /// The finding (code, message, labels, help).
    pub fn finding(&self) -> &Finding {
        &self.finding
    }
}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.finding.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        (!self.finding.help.is_empty()).then(|| Box::new(&self.finding.help) as Box<_>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.finding.labels.iter().enumerate().map(
            |(i, l)| {
                let span = (l.span.start, l.span.len());
                let text = (!l.text.is_empty()).then(|| l.text.clone());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                }
            },
        )))
    }
}

/// Every problem found in one config file.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`{file}` is not valid: {}{}", count_noun(*total, "problem"), shown_note(*total))]
#[diagnostic()]
pub struct Invalid {
    file: String,
    total: usize,
    #[related]
    problems: Vec<Problem>,
}

/// Errors of `config::load`.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read config `{path}`: {source}")]
    #[diagnostic(code(config::read), help("{help}"))]
    Read {
        /// The path as given.
        path: String,
        /// Why.
        source: std::io::Error,
        /// What to do.
        help: String,
    },
    /// A `--var` argument is not `KEY=VALUE`.
    #[error("invalid `--var {arg}`: {reason}")]
    #[diagnostic(
        code(config::var_arg),
        help("write `--var KEY=VALUE`, e.g. `--var AUTH0_DOMAIN=example.eu.auth0.com`")
    )]
    BadVarArg {
        /// The argument.
        arg: String,
        /// Why it is wrong.
        reason: String,
    },
    /// The file has problems (syntax, types, variables or rules); all of them are listed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<Invalid>),
}

impl Error {
    /// Builds the multi-problem error, in file order, keeping at most `MAX_RENDERED`.
    pub(crate) fn invalid(file: &str, source: &Arc<str>, mut findings: Vec<Finding>) -> Error {
        findings.sort_by_key(Finding::first_offset);
        let total = findings.len();
        let src = NamedSource::new(file, Arc::clone(source));
        let problems = findings
            .into_iter()
            .take(MAX_RENDERED)
            .map(|finding| Problem {
                finding,
                src: src.clone(),
            })
            .collect();
        Error::Invalid(Box::new(Invalid {
            file: file.to_string(),
            total,
            problems,
        }))
    }

    /// The problems of an invalid file (empty for other errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Invalid(invalid) => &invalid.problems,
            _ => &[],
        }
    }
}

/// ` (first 50 shown)` when problems were left out.
fn shown_note(total: usize) -> String {
    if total > MAX_RENDERED {
        format!(" (first {MAX_RENDERED} shown)")
    } else {
        String::new()
    }
}

/// `1 problem`, `3 problems`.
pub fn count_noun(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Renders a diagnostic in m2mctl's one style (see [`crate::diagnostic`]); `width: None` never
/// wraps (stderr is not a terminal).
pub fn render(diagnostic: &dyn Diagnostic, color: bool, width: Option<usize>) -> String {
    crate::diagnostic::render(diagnostic, color, width)
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub(super) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 4);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= limit && *c != word)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// `did you mean `x`?` or the fallback help.
pub(super) fn did_you_mean(close: Option<&str>, otherwise: String) -> String {
    match close {
        Some(close) => format!("did you mean `{close}`?"),
        None => otherwise,
    }
}
