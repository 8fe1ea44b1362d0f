//! serde-saphyr errors (syntax, types, unknown and duplicate keys) as findings in the original file.
//!
//! Owns the wording of parse-time problems and the translation of serde-saphyr locations into
//! byte ranges (through the substitution `SpanMap`). Must not hold semantic rules.

use std::ops::Range;

use super::diagnostics::{Finding, did_you_mean, suggest};
use super::subst::SpanMap;

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
    if code == "config::syntax"
        && message.contains("tab")
        && let Some(tab) = first_indent_tab(source)
    {
        return Finding::new(
            "config::tab",
            "a tab in the indentation: YAML indents with spaces",
        )
        .help("replace the tab with spaces (YAML does not allow tabs for indentation)")
        .label(tab..tab + 1, "this tab");
    }
    let finding = Finding::new(code, message).help(help);
    match at {
        Some(at) => finding.label(at, label),
        None => finding,
    }
}

/// Byte offset of the first tab in the leading whitespace of a line (where YAML forbids it).
fn first_indent_tab(source: &str) -> Option<usize> {
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indent].find('\t') {
            return Some(offset + tab);
        }
        offset += line.len();
    }
    None
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
