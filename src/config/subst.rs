//! `${VAR}` substitution over a YAML document, and the map from substituted to original offsets.
//!
//! Design: the original text is scanned once with the YAML event parser (granit, the parser
//! under serde-saphyr). Only scalar *values* are expanded (never keys, never comments). Each
//! changed scalar is rewritten in a copy of the text:
//! - a plain scalar becomes the expanded text when YAML reads it back as the same plain scalar
//!   (so `token_lifetime: ${TTL}` types as a number), otherwise a double-quoted string;
//! - a quoted scalar becomes a double-quoted string;
//! - a block scalar (`|`, `>`) is expanded in place in its raw text (line breaks in a value are
//!   re-indented), since its header is outside the scalar's span.
//!
//! Every rewrite is recorded as an `Edit`; `SpanMap` translates any span of the rewritten text
//! back into the original, so diagnostics always point into the file as the user wrote it (a
//! span inside a rewritten scalar widens to the whole original scalar). Undefined or malformed
//! references are all collected, each pointing at its own `${...}`. A YAML syntax error stops the
//! scan without findings: the typed parse reports it. The scan ends at the first node after the
//! last `${` (a large file with its variables at the top costs one short scan, not a whole
//! extra parse). Must not type or validate anything.

use std::borrow::Cow;
use std::ops::Range;

use serde_saphyr::granit_parser::{Event, Options as ParserOptions, Parser, ScalarStyle};

use super::diagnostics::{Finding, suggest};
use super::vars::{VarIssue, VarIssueKind, Vars, expand};

/// One rewritten region: `orig` in the file became `new` in the substituted text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    orig: Range<usize>,
    new: Range<usize>,
}

/// Translates byte offsets of the substituted text back to the original text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SpanMap {
    edits: Vec<Edit>,
}

impl SpanMap {
    /// The original range of a range in the substituted text.
    pub(crate) fn to_orig(&self, new: Range<usize>) -> Range<usize> {
        let start = self.point(new.start, false);
        let end = self.point(new.end, true).max(start);
        start..end
    }

    fn point(&self, at: usize, is_end: bool) -> usize {
        let idx = if is_end {
            self.edits.partition_point(|e| e.new.start < at)
        } else {
            self.edits.partition_point(|e| e.new.start <= at)
        };
        let Some(edit) = idx.checked_sub(1).and_then(|i| self.edits.get(i)) else {
            return at;
        };
        match (is_end, at) {
            (false, at) if at < edit.new.end => edit.orig.start,
            (true, at) if at <= edit.new.end => edit.orig.end,
            (_, at) => at - edit.new.end + edit.orig.end,
        }
    }
}

/// Where the scanner is: inside a mapping (expecting a key or a value) or a sequence.
#[derive(Debug, Clone, Copy)]
enum Frame {
    Map { expect_key: bool },
    Seq,
}

/// Expands every `${...}` in the scalar values of `source`.
pub(crate) fn substitute<'a>(
    source: &'a str,
    vars: &Vars,
) -> Result<(Cow<'a, str>, SpanMap), Vec<Finding>> {
    if !source.contains("${") {
        return Ok((Cow::Borrowed(source), SpanMap::default()));
    }
    let Some((rewrites, findings)) = scan(source, vars) else {
        return Ok((Cow::Borrowed(source), SpanMap::default()));
    };
    if !findings.is_empty() {
        return Err(findings);
    }
    if rewrites.is_empty() {
        return Ok((Cow::Borrowed(source), SpanMap::default()));
    }
    let (text, map) = rewrite(source, rewrites);
    Ok((Cow::Owned(text), map))
}

/// A region of the original text and what replaces it.
type Rewrite = (Range<usize>, String);

/// Walks the YAML events of `source` up to the last reference: the rewrites of its scalar values
/// in order, and the findings of every bad reference. `None` on a YAML syntax error.
fn scan(source: &str, vars: &Vars) -> Option<(Vec<Rewrite>, Vec<Finding>)> {
    let mut rewrites: Vec<Rewrite> = Vec::new();
    let mut findings = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    // No scalar starting after the last `${` can hold a reference: once the scan is past it with
    // nothing to report, the rest of the file is the typed parse's alone (syntax errors included).
    let last_reference = source.rfind("${").unwrap_or(0);
    let mut options = ParserOptions::default();
    options.emit_comments = false;
    for event in Parser::new_from_str_with_options(source, options) {
        let (event, span) = event.ok()?;
        if findings.is_empty() && span.start.byte_offset().is_some_and(|s| s > last_reference) {
            break;
        }
        let is_key = matches!(stack.last(), Some(Frame::Map { expect_key: true }));
        match event {
            Event::MappingStart(..) => stack.push(Frame::Map { expect_key: true }),
            Event::SequenceStart(..) => stack.push(Frame::Seq),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                node_done(&mut stack);
            }
            Event::Alias(_) => node_done(&mut stack),
            Event::Scalar(value, style, ..) => {
                node_done(&mut stack);
                let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset())
                else {
                    continue;
                };
                if is_key || !source.get(start..end).is_some_and(|r| r.contains('$')) {
                    continue;
                }
                let scalar = Scalar {
                    at: start..end,
                    col: span.start.col(),
                    value: &value,
                    style,
                };
                match scalar.expand(source, vars) {
                    Ok(None) => {}
                    Ok(Some(text)) => rewrites.push((start..end, text)),
                    Err(found) => findings.extend(found),
                }
            }
            _ => {}
        }
    }
    Some((rewrites, findings))
}

/// A scalar value whose text holds a `$`.
struct Scalar<'e> {
    /// Where it is in the original text.
    at: Range<usize>,
    /// The column it starts at (the indentation of a block scalar's lines).
    col: usize,
    /// Its value as YAML reads it.
    value: &'e str,
    /// How it is written.
    style: ScalarStyle,
}

impl Scalar<'_> {
    /// The text that replaces the scalar (`None`: no reference, unchanged), or one finding per
    /// bad reference.
    fn expand(&self, source: &str, vars: &Vars) -> Result<Option<String>, Vec<Finding>> {
        let raw = &source[self.at.clone()];
        let block = matches!(self.style, ScalarStyle::Literal | ScalarStyle::Folded);
        let result = if block {
            let indent = " ".repeat(self.col);
            expand(raw, vars, Some(&indent))
        } else {
            expand(self.value, vars, None)
        };
        match result {
            Ok(None) => Ok(None),
            Ok(Some(expanded)) if block => Ok(Some(expanded)),
            Ok(Some(expanded)) => {
                let plain = self.style == ScalarStyle::Plain && plain_safe(&expanded);
                Ok(Some(if plain {
                    expanded
                } else {
                    double_quoted(&expanded)
                }))
            }
            Err(issues) => Err(self.locate(issues, raw, vars)),
        }
    }

    /// One finding per bad reference of `raw` (the scalar's text), each at its own `${...}`
    /// (found in order, so a reference written twice gets two spans).
    fn locate(&self, issues: Vec<VarIssue>, raw: &str, vars: &Vars) -> Vec<Finding> {
        let mut findings = Vec::with_capacity(issues.len());
        let mut cursor = 0;
        for issue in issues {
            let at = match raw[cursor..].find(&issue.text) {
                Some(pos) => {
                    let s = self.at.start + cursor + pos;
                    cursor += pos + issue.text.len();
                    s..s + issue.text.len()
                }
                None => self.at.clone(),
            };
            findings.push(var_finding(issue.kind, &issue.text, at, vars));
        }
        findings
    }
}

/// `source` with `rewrites` (in order, not overlapping) applied, and the map of its spans back.
fn rewrite(source: &str, rewrites: Vec<Rewrite>) -> (String, SpanMap) {
    let mut text = String::with_capacity(source.len() + 64);
    let mut edits = Vec::with_capacity(rewrites.len());
    let mut last = 0;
    for (orig, replacement) in rewrites {
        text.push_str(&source[last..orig.start]);
        let new_start = text.len();
        text.push_str(&replacement);
        edits.push(Edit {
            new: new_start..text.len(),
            orig: orig.clone(),
        });
        last = orig.end;
    }
    text.push_str(&source[last..]);
    (text, SpanMap { edits })
}

/// A node finished: in a mapping, the next node is a key again (or a value after a key).
fn node_done(stack: &mut [Frame]) {
    if let Some(Frame::Map { expect_key }) = stack.last_mut() {
        *expect_key = !*expect_key;
    }
}

/// Whether YAML reads `text`, written as a plain scalar in any context, back as exactly `text`.
fn plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let leading_indicator = "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(first == '-' && text.len() > 1 && !text[1..].starts_with(' '));
    !leading_indicator
        && text.trim() == text
        && !text.chars().any(|c| c.is_control() || ",[]{}".contains(c))
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
}

/// `text` as a YAML double-quoted scalar.
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The diagnostic for one bad reference.
fn var_finding(kind: VarIssueKind, text: &str, at: Range<usize>, vars: &Vars) -> Finding {
    match kind {
        VarIssueKind::Undefined(name) => {
            let mut help = format!(
                "set `{name}` in the environment, pass `--var {name}=VALUE`, or give a default: `${{{name}:-value}}`"
            );
            if let Some(close) = suggest(&name, vars.names()) {
                help = format!("did you mean `{close}`? otherwise {help}");
            }
            Finding::new(
                "config::undefined_variable",
                format!("variable `{name}` is not set"),
            )
            .label(at, "undefined variable")
            .help(help)
        }
        VarIssueKind::Malformed(why) => Finding::new(
            "config::bad_variable",
            format!("malformed variable reference `{text}`: {why}"),
        )
        .label(at, "not a valid reference")
        .help("write `${NAME}` or `${NAME:-default}`; write `$${` for a literal `${`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> (String, SpanMap) {
        let vars = Vars::from_map([("TTL", "3600"), ("HOST", "x.example.com"), ("ML", "a\nb")]);
        let (text, map) = substitute(src, &vars).expect("substitutes");
        (text.into_owned(), map)
    }

    #[test]
    fn rewrites_only_values_with_the_right_style() {
        let cases = [
            ("a: ${TTL}\n", "a: 3600\n"),
            ("a: \"${TTL}\"\n", "a: \"3600\"\n"),
            ("a: '${HOST}'\n", "a: \"x.example.com\"\n"),
            ("a: x ${ML}\n", "a: \"x a\\nb\"\n"),
            ("a: ${HOST}: y\n", "a: ${HOST}: y\n"),
            ("${TTL}: 1\n", "${TTL}: 1\n"),
            ("# ${NOPE}\na: 1\n", "# ${NOPE}\na: 1\n"),
            ("a: |\n  x ${ML}\nb: 1\n", "a: |\n  x a\n  b\nb: 1\n"),
            ("a: [\"${TTL}\", b]\n", "a: [\"3600\", b]\n"),
            ("a: $${TTL}\n", "a: \"${TTL}\"\n"),
        ];
        for (src, want) in cases {
            assert_eq!(run(src).0, want, "{src:?}");
        }
    }

    #[test]
    fn maps_spans_back_to_the_original() {
        let src = "a: ${TTL}\nb: \"${HOST}/x\"\nc: 1\n";
        let (text, map) = run(src);
        assert_eq!(text, "a: 3600\nb: \"x.example.com/x\"\nc: 1\n");
        let c_new = text.find("c: 1").unwrap();
        let c_orig = src.find("c: 1").unwrap();
        assert_eq!(map.to_orig(c_new..c_new + 4), c_orig..c_orig + 4);
        let ttl_new = text.find("3600").unwrap();
        assert_eq!(map.to_orig(ttl_new..ttl_new + 4), 3..9);
        assert_eq!(map.to_orig(ttl_new..ttl_new), 3..3);
        assert_eq!(map.to_orig(0..1), 0..1);
    }

    #[test]
    fn the_scan_ends_after_the_last_reference() {
        // what follows the last `${` is not scanned: a syntax error there is the typed parse's
        let src = "a: ${TTL}\nb: \"${HOST}\"\nc: [unclosed\n";
        let (text, map) = run(src);
        assert_eq!(text, "a: 3600\nb: \"x.example.com\"\nc: [unclosed\n");
        let (c, orig) = (text.find("c:").unwrap(), src.find("c:").unwrap());
        assert_eq!(map.to_orig(c..c + 2), orig..orig + 2);
        // a reference in the last scalar is still expanded
        assert_eq!(run("a: 1\nb: ${TTL}\n").0, "a: 1\nb: 3600\n");
    }

    #[test]
    fn collects_every_undefined_variable_at_its_own_span() {
        let src = "a: ${A}\nb: \"x ${B} ${A}\"\nc: ${TTL:-1}\n";
        let findings = substitute(src, &Vars::empty()).unwrap_err();
        let spans: Vec<&str> = findings
            .iter()
            .map(|f| &src[f.labels[0].span.clone()])
            .collect();
        assert_eq!(spans, ["${A}", "${B}", "${A}"]);
        assert_eq!(findings[1].labels[0].span.start, src.find("${B}").unwrap());
    }
}
