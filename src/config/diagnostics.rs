//! The config module's error type and the diagnostics it carries.
//!
//! Owns `Finding` (a located problem as plain data, what rules produce), `Problem` (a finding
//! attached to its file, a `miette::Diagnostic`), `Error` (what `load` returns), the translation
//! of serde-saphyr parse errors into findings, "did you mean" hints, and `render` (one fixed
//! graphical style, used by `validate` and tests). Must not decide what is valid.

use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use super::subst::SpanMap;

/// At most this many problems are kept for rendering (the count still says how many exist).
pub const MAX_RENDERED: usize = 50;

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
#[error("`{file}` is not valid: {}", count_noun(*total, "problem"))]
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

    /// How many problems the file has (may exceed `problems().len()`).
    pub fn problem_count(&self) -> usize {
        match self {
            Error::Invalid(invalid) => invalid.total,
            _ => 0,
        }
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

/// Renders a diagnostic in m2mctl's one style: graphical, unicode, `width` columns, colour or not.
pub fn render(diagnostic: &dyn Diagnostic, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = format!("{diagnostic}\n");
    }
    out
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 4);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= limit && *c != word)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// `did you mean `x`?` or the fallback help.
pub fn did_you_mean(close: Option<&str>, otherwise: String) -> String {
    match close {
        Some(close) => format!("did you mean `{close}`?"),
        None => otherwise,
    }
}

/// A serde-saphyr error (syntax, type, unknown or duplicate key) as a finding in the original file.
pub(crate) fn parse_finding(
    err: &serde_saphyr::Error,
    source: &str,
    text: &str,
    map: &SpanMap,
) -> Finding {
    use serde_saphyr::Error as E;
    let err = err.without_snippet();
    let at = err
        .location()
        .and_then(|loc| location_range(&loc, text))
        .map(|r| map.to_orig(r));
    let found = at
        .clone()
        .and_then(|r| source.get(r))
        .filter(|f| !f.is_empty() && !f.contains('\n'));
    let type_help = |expected: &str| match found {
        Some(f) if f.contains("${") => {
            format!("this value comes from a variable, whose value must be {expected}")
        }
        _ => "see `m2mctl schema` for the type of every key".to_string(),
    };
    let (code, message, label, help) = match err {
        E::InvalidScalar { ty, .. } => {
            let expected = friendly_type(ty);
            (
                "config::wrong_type",
                match found {
                    Some(f) => format!("wrong type: expected {expected}, found `{f}`"),
                    None => format!("wrong type: expected {expected}"),
                },
                format!("expected {expected}"),
                type_help(expected),
            )
        }
        E::Unexpected { expected, .. } => {
            let expected = friendly_type(expected);
            (
                "config::wrong_type",
                format!("wrong type: expected {expected}"),
                format!("expected {expected}"),
                type_help(expected),
            )
        }
        E::SerdeUnknownField {
            field, expected, ..
        } => (
            "config::unknown_key",
            format!("unknown key `{field}`"),
            "not a known key here".to_string(),
            did_you_mean(
                suggest(field, expected.iter().copied()),
                format!("known keys here: {}", backticked(expected)),
            ),
        ),
        E::SerdeMissingField { field, .. } => (
            "config::missing_key",
            format!("missing key `{field}`"),
            format!("`{field}` is required in this entry"),
            format!("add `{field}: ...`"),
        ),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            "config::unknown_value",
            format!("unknown value `{variant}`"),
            "not one of the allowed values".to_string(),
            did_you_mean(
                suggest(variant, expected.iter().copied()),
                format!("allowed values: {}", backticked(expected)),
            ),
        ),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => (
            "config::wrong_type",
            format!("wrong type: expected {expected}, found {unexpected}"),
            format!("expected {expected}"),
            "see `m2mctl schema` for the type of every key".to_string(),
        ),
        E::DuplicateMappingKey { key, .. } => (
            "config::duplicate_key",
            match key {
                Some(key) => format!("duplicate key `{key}`"),
                None => "duplicate key".to_string(),
            },
            "already set above".to_string(),
            "each key may appear once in a mapping; remove one of them".to_string(),
        ),
        other => (
            "config::syntax",
            strip_location(&other.to_string()),
            "here".to_string(),
            "check the YAML syntax at this line (indentation, `:` after keys, quotes)".to_string(),
        ),
    };
    let finding = Finding::new(code, message).help(help);
    match at {
        Some(at) => finding.label(at, label),
        None => finding,
    }
}

/// A reader's name for a serde-saphyr type or token name.
fn friendly_type(ty: &'static str) -> &'static str {
    match ty {
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize"
        | "isize" => "an integer",
        "f32" | "f64" => "a number",
        "bool" => "`true` or `false`",
        t if t.contains("sequence") => "a list (`[a, b]` or `- a` lines)",
        t if t.contains("mapping") => "a mapping (`key: value` lines)",
        t => t,
    }
}

/// `a`, `b`, `c` with backticks.
fn backticked(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Drops serde-saphyr's ` at line N, column M` suffix (the label shows the place).
fn strip_location(message: &str) -> String {
    let message = message.lines().next().unwrap_or(message);
    let message = match message.rfind(" at line ") {
        Some(pos) => &message[..pos],
        None => message,
    };
    message.trim_start_matches("error: ").to_string()
}

/// The byte range of a serde-saphyr location in `text` (byte offsets, else line/column).
pub(crate) fn location_range(loc: &serde_saphyr::Location, text: &str) -> Option<Range<usize>> {
    let span = loc.span();
    if let (Some(offset), Some(len)) = (span.byte_offset(), span.byte_len()) {
        let start = usize::try_from(offset).ok()?.min(text.len());
        let end = start
            .saturating_add(usize::try_from(len).ok()?)
            .min(text.len());
        return Some(start..end);
    }
    let (line, column) = (loc.line(), loc.column());
    if line == 0 {
        return None;
    }
    let line_start: usize = text
        .split_inclusive('\n')
        .take(usize::try_from(line - 1).ok()?)
        .map(str::len)
        .sum();
    let rest = text.get(line_start..)?;
    let col = rest
        .char_indices()
        .nth(usize::try_from(column.saturating_sub(1)).ok()?)
        .map_or(rest.len(), |(i, _)| i);
    Some(line_start + col..line_start + col)
}
