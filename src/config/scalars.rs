//! Strict scalars: a boolean is YAML 1.2's `true` / `false`, an integer is plain decimal.
//!
//! serde-saphyr types leniently: `prune: yes`, `external: on` and `prune: 'true'` become
//! booleans, `token_lifetime: '3600'`, `0x10` and `1_0` become numbers. A config is reviewed by
//! people who read YAML 1.2, so m2mctl refuses those spellings with a hint instead of guessing.
//! This pass walks the YAML events of the substituted text (after `${VAR}` expansion, so
//! `prune: ${PRUNE}` with `PRUNE=yes` is refused too) and checks the values of the typed keys,
//! wherever they sit except under `metadata` (whose values are strings). Must not type anything
//! else or touch the file.

use serde_saphyr::granit_parser::{Event, Options as ParserOptions, Parser, ScalarStyle};

use super::diagnostics::Finding;
use super::subst::SpanMap;

/// Keys whose values are booleans.
const BOOLEAN_KEYS: [&str; 3] = ["prune", "external", "allow_any_organization"];
/// Keys whose values are integers.
const INTEGER_KEYS: [&str; 3] = ["version", "max_deletes", "token_lifetime"];

#[derive(Debug)]
enum Frame {
    Map {
        expect_key: bool,
        key: Option<String>,
    },
    Seq,
}

/// Findings for every typed value spelled other than YAML 1.2 allows; empty when all are fine
/// (or the YAML does not parse: the typed parse reports that).
pub(crate) fn check(text: &str, source: &str, map: &SpanMap) -> Vec<Finding> {
    if plainly_strict(text) {
        return Vec::new();
    }
    scan(text, source, map)
}

/// [`check`] by the YAML events (the text check aside).
fn scan(text: &str, source: &str, map: &SpanMap) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut options = ParserOptions::default();
    options.emit_comments = false;
    for event in Parser::new_from_str_with_options(text, options) {
        let Ok((event, span)) = event else {
            return Vec::new();
        };
        match event {
            Event::MappingStart(..) => stack.push(Frame::Map {
                expect_key: true,
                key: None,
            }),
            Event::SequenceStart(..) => stack.push(Frame::Seq),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                node_done(&mut stack, None);
            }
            Event::Alias(_) => node_done(&mut stack, None),
            Event::Scalar(value, style, ..) => {
                let key = match stack.last() {
                    Some(Frame::Map {
                        expect_key: false,
                        key,
                    }) => key.clone(),
                    _ => None,
                };
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Map {
                        expect_key: true,
                        ..
                    })
                );
                node_done(&mut stack, is_key.then(|| value.to_string()));
                let (Some(key), false) = (key, under_metadata(&stack)) else {
                    continue;
                };
                let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset())
                else {
                    continue;
                };
                let plain = style == ScalarStyle::Plain;
                let at = map.to_orig(start..end);
                let written = source.get(at.clone()).unwrap_or(&value).to_string();
                // Only what serde-saphyr would coerce; other values get its type error.
                let strict_bool = plain && is_bool(&value);
                let strict_int = plain && is_decimal(&value);
                if BOOLEAN_KEYS.contains(&key.as_str()) && !strict_bool && is_loose_bool(&value) {
                    findings.push(not_boolean(&key, &written, &value, plain, at));
                } else if INTEGER_KEYS.contains(&key.as_str())
                    && !strict_int
                    && is_loose_int(&value)
                {
                    findings.push(not_integer(&key, &written, &value, plain, at));
                }
            }
            _ => {}
        }
    }
    findings
}

/// True when a look at the text alone proves every typed key's value strict, so the event scan
/// would find nothing: each `KEY:` of a typed key is followed on its line by a strict plain
/// value (`prune: true`, `{ max_deletes: 5 }`), and any other occurrence of a typed key's name
/// is not a mapping key (`prune_old:`, `name: version one`). Anything this cannot decide (a
/// value on the next line, quotes, aliases `*`, explicit keys `?`, escapes `\`) leaves the
/// answer to the scan; a false `false` costs time, a false `true` would hide a finding.
fn plainly_strict(text: &str) -> bool {
    if text.contains(['\\', '*', '?']) {
        return false;
    }
    let bytes = text.as_bytes();
    let keys = BOOLEAN_KEYS.iter().map(|k| (k, true));
    let keys = keys.chain(INTEGER_KEYS.iter().map(|k| (k, false)));
    for (key, boolean) in keys {
        for (at, _) in text.match_indices(key) {
            let mut i = at + key.len();
            if matches!(bytes.get(i), Some(b'"' | b'\'')) {
                i += 1;
            }
            while matches!(bytes.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            if bytes.get(i) != Some(&b':') {
                continue; // not the key `KEY` (a longer name, or text inside a value)
            }
            let rest = &text[i + 1..];
            let end = rest
                .find(['\n', '\r', ',', '}', ']', '#'])
                .unwrap_or(rest.len());
            let value = rest[..end].trim_matches([' ', '\t']);
            let strict = if boolean {
                is_bool(value)
            } else {
                is_decimal(value)
            };
            if !strict {
                return false;
            }
        }
    }
    true
}

/// A node finished; a finished key is remembered so its value knows where it is.
fn node_done(stack: &mut [Frame], finished_key: Option<String>) {
    if let Some(Frame::Map { expect_key, key }) = stack.last_mut() {
        if *expect_key {
            *key = finished_key;
        }
        *expect_key = !*expect_key;
    }
}

/// True inside the value of a `metadata:` key (free-form strings).
fn under_metadata(stack: &[Frame]) -> bool {
    let depth = stack.len().saturating_sub(1);
    stack[..depth]
        .iter()
        .any(|f| matches!(f, Frame::Map { expect_key: false, key: Some(k) } if k == "metadata"))
}

/// YAML 1.2 core schema booleans.
fn is_bool(value: &str) -> bool {
    matches!(
        value,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
    )
}

/// What YAML 1.1 (and serde-saphyr by default) reads as a boolean.
fn is_loose_bool(value: &str) -> bool {
    is_bool(value)
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "y" | "yes" | "n" | "no" | "on" | "off" | "true" | "false"
        )
}

/// What serde-saphyr reads as an integer: decimal, `0x`, `0o`, `0b`, with `_` separators.
fn is_loose_int(value: &str) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    let lower = digits.to_ascii_lowercase();
    let (body, radix) = match lower.get(..2) {
        Some("0x") => (&lower[2..], 16),
        Some("0o") => (&lower[2..], 8),
        Some("0b") => (&lower[2..], 2),
        _ => (lower.as_str(), 10),
    };
    body.chars().any(|c| c.is_digit(radix)) && body.chars().all(|c| c == '_' || c.is_digit(radix))
}

/// An optional sign and decimal digits: no `0x`, `0o`, `_`, exponent or fraction.
fn is_decimal(value: &str) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// How the value was written, with its substituted value when `${VAR}` made it.
fn shown(written: &str, value: &str) -> String {
    let written = crate::sanitize::control(written);
    if written.contains("${") {
        format!("`{written}` (`{}`)", crate::sanitize::control(value))
    } else {
        format!("`{written}`")
    }
}

fn not_boolean(
    key: &str,
    written: &str,
    value: &str,
    plain: bool,
    at: std::ops::Range<usize>,
) -> Finding {
    let why = if !plain && is_bool(value) {
        "a quoted string, not a boolean"
    } else {
        "not a YAML 1.2 boolean"
    };
    Finding::new(
        "config::not_a_boolean",
        format!("`{key}` is {}, {why}", shown(written, value)),
    )
    .label(at, "write `true` or `false`, unquoted")
    .help(format!(
        "YAML 1.2 booleans only: `{key}: true` or `{key}: false` (`yes`, `no`, `on`, `off` and quoted values are not booleans)"
    ))
}

fn not_integer(
    key: &str,
    written: &str,
    value: &str,
    plain: bool,
    at: std::ops::Range<usize>,
) -> Finding {
    let why = if !plain && is_decimal(value) {
        "a quoted string, not a number"
    } else {
        "not a decimal integer"
    };
    let example = match (is_decimal(value), key) {
        (true, _) => value,
        (false, "version") => "1",
        (false, "max_deletes") => "5",
        _ => "3600",
    };
    Finding::new(
        "config::not_an_integer",
        format!("`{key}` is {}, {why}", shown(written, value)),
    )
    .label(at, "write a whole number in decimal, unquoted")
    .help(format!(
        "YAML 1.2 integers in decimal only, e.g. `{key}: {example}` (no quotes, `0x`, `0o`, `_` or fractions)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        check(text, text, &SpanMap::default())
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn booleans_and_integers_table() {
        let ok: [&str; 0] = [];
        let cases: [(&str, &[&str]); 24] = [
            ("settings: {prune: true}", &ok),
            ("settings: {prune: FALSE}", &ok),
            ("settings: {prune: yes}", &["config::not_a_boolean"]),
            ("settings: {prune: 'true'}", &["config::not_a_boolean"]),
            ("settings: {prune: \"false\"}", &["config::not_a_boolean"]),
            ("settings: {prune: on}", &["config::not_a_boolean"]),
            ("settings: {prune: 1}", &ok),
            ("settings: {prune: sometimes}", &ok),
            (
                "apis: [{identifier: x, external: off}]",
                &["config::not_a_boolean"],
            ),
            ("apis: [{identifier: x, external: true}]", &ok),
            ("settings: {max_deletes: 7}", &ok),
            ("settings: {max_deletes: 0x10}", &["config::not_an_integer"]),
            ("settings: {max_deletes: 0o10}", &["config::not_an_integer"]),
            ("settings: {max_deletes: '7'}", &["config::not_an_integer"]),
            ("settings: {max_deletes: 1_0}", &["config::not_an_integer"]),
            ("settings: {max_deletes: 0b11}", &["config::not_an_integer"]),
            // Not integers at all: serde-saphyr's type error says so.
            ("settings: {max_deletes: 7.0}", &ok),
            ("settings: {max_deletes: soon}", &ok),
            (
                "applications: [{name: a, token_lifetime: '3600'}]",
                &["config::not_an_integer"],
            ),
            ("applications: [{name: a, token_lifetime: -5}]", &ok),
            ("version: '1'", &["config::not_an_integer"]),
            // Metadata values are strings, whatever their key.
            (
                "applications: [{name: a, metadata: {prune: 'yes', version: x}}]",
                &ok,
            ),
            // Keys named like typed fields are not values.
            ("applications: [{name: prune}]", &ok),
            ("bad: [unclosed", &ok),
        ];
        for (text, want) in cases {
            assert_eq!(codes(text), want, "{text}");
        }
    }

    #[test]
    fn a_plain_config_skips_the_event_scan() {
        let text = "version: 1\nsettings: { prune: false, max_deletes: 5 }\napis:\n  - identifier: x\n    external: true\n    token_lifetime: 3600\napplications:\n  - name: version one\n    metadata: {prune_old: yes, versions: '2'}\n";
        assert!(plainly_strict(text));
        assert!(scan(text, text, &SpanMap::default()).is_empty());
    }

    #[test]
    fn the_text_check_leaves_every_finding_to_the_scan() {
        let found = [
            "settings: {prune: yes}",
            "\"prune\": 'true'",
            "'prune' : on",
            "settings:\n  prune:\n    no\n",
            "? prune\n: yes\n",
            "\"pr\\u0075ne\": yes",
            "version: !!str 0x1",
            "max_deletes: &a 0x10",
            "token_lifetime: \"3600\" # quoted",
            "x: 1\nversion: 1_0\n",
            "a: [{external: off}]",
        ];
        for text in found {
            assert!(!scan(text, text, &SpanMap::default()).is_empty(), "{text}");
            assert!(!plainly_strict(text), "{text}");
        }
    }

    proptest::proptest! {
        /// Whatever the text, the text check says "strict" only when the scan finds nothing.
        #[test]
        fn the_text_check_never_hides_a_finding(
            parts in proptest::collection::vec(proptest::sample::select(&[
                "prune", "external", "version", "max_deletes", "token_lifetime", "metadata",
                "name", "\"prune\"", "'version'", ": ", ":", " : ", "\n", "\n  ", "\n    ",
                "{", "}", ", ", "[", "]", "- ", "? ", "*a", "&a ", "yes", "true", "'1'", "0x10",
                "1_0", "1", "on", "'true'", "\"5\"", "# c", "!!str ", "|\n  ",
            ][..]), 0..24)
        ) {
            let text = parts.concat();
            if plainly_strict(&text) {
                proptest::prop_assert!(scan(&text, &text, &SpanMap::default()).is_empty(), "{}", text);
            }
        }
    }

    #[test]
    fn the_finding_shows_the_text_as_written_and_a_hint() {
        let text = "settings:\n  prune: yes\n";
        let found = check(text, text, &SpanMap::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "`prune` is `yes`, not a YAML 1.2 boolean");
        assert!(found[0].help.contains("`prune: true`"), "{}", found[0].help);
        let text = "applications:\n  - name: a\n    token_lifetime: '3600'\n";
        let found = check(text, text, &SpanMap::default());
        assert_eq!(
            found[0].message,
            "`token_lifetime` is `'3600'`, a quoted string, not a number"
        );
        assert!(found[0].help.contains("`token_lifetime: 3600`"));
    }

    #[test]
    fn a_variable_is_typed_after_substitution() {
        let text = "version: 1\nsettings:\n  prune: ${PRUNE}\n  max_deletes: ${MAX}\n";
        for (vars, want) in [
            (
                ["PRUNE=yes", "MAX=3"],
                Some("`prune` is `${PRUNE}` (`yes`), not a YAML 1.2 boolean"),
            ),
            (
                ["PRUNE=true", "MAX=0x10"],
                Some("`max_deletes` is `${MAX}` (`0x10`), not a decimal integer"),
            ),
            (["PRUNE=false", "MAX=3"], None),
        ] {
            let mut v = crate::config::Vars::empty();
            v.apply_args(&vars.map(String::from)).unwrap();
            let got = crate::config::load_str("c.yaml", text, &v);
            match (got, want) {
                (Ok(_), None) => {}
                (Err(e), Some(message)) => {
                    let shown = format!("{e:?}");
                    assert!(shown.contains(message), "{vars:?}: {shown}");
                }
                (got, want) => panic!("{vars:?}: {:?} vs {want:?}", got.err()),
            }
        }
    }
}
