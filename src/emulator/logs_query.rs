//! The log search syntax (`q`, and its newer name `search`): the Lucene subset Auth0 documents
//! and m2mctl uses: `field:value` clauses joined by spaces or `AND`; unquoted values match
//! case-insensitively as a prefix (a trailing `*` is allowed), quoted ones exactly (ignoring
//! case); `field:(a OR b)`; `field:[from TO to]` ranges (`*` open, `{}` exclusive) on dates.
//! Fields are dotted paths into the entry (`details.request.path`).
//!
//! Pure. Anything else (`NOT`, `OR` between clauses, leading wildcards) is a query error, as
//! Auth0 answers with 400.

use serde_json::{Map, Value};

/// One value test.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Prefix(String),
    Exact(String),
    Range {
        from: Option<String>,
        to: Option<String>,
        inclusive: bool,
    },
    Any(Vec<Test>),
}

/// A parsed query: every clause must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Query {
    clauses: Vec<(String, Test)>,
}

impl Query {
    /// Parses `q`; the error text is what follows `Query validation error: `.
    pub(super) fn parse(text: &str) -> Result<Query, String> {
        let mut p = Parser {
            s: text.trim(),
            at: 0,
        };
        let mut clauses = Vec::new();
        while !p.done() {
            if !clauses.is_empty() && p.eat_word("AND") {
                p.skip_ws();
            }
            let field = p.field()?;
            let test = p.value()?;
            clauses.push((field, test));
            p.skip_ws();
        }
        Ok(Query { clauses })
    }

    /// Whether `entry` matches.
    pub(super) fn matches(&self, entry: &Map<String, Value>) -> bool {
        self.clauses.iter().all(|(field, test)| {
            let value = lookup(entry, field);
            value.is_some_and(|v| holds(test, &v))
        })
    }
}

fn lookup(entry: &Map<String, Value>, path: &str) -> Option<String> {
    let mut parts = path.split('.');
    let mut current = entry.get(parts.next()?)?;
    for part in parts {
        current = current.get(part)?;
    }
    match current {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn holds(test: &Test, value: &str) -> bool {
    let lower = value.to_lowercase();
    match test {
        Test::Prefix(p) => lower.starts_with(p.as_str()),
        Test::Exact(e) => lower == *e,
        Test::Range {
            from,
            to,
            inclusive,
        } => {
            let above = from.as_ref().is_none_or(|f| {
                if *inclusive {
                    value >= f.as_str()
                } else {
                    value > f.as_str()
                }
            });
            let below = to.as_ref().is_none_or(|t| {
                if *inclusive {
                    value <= t.as_str()
                } else {
                    value < t.as_str()
                }
            });
            above && below
        }
        Test::Any(tests) => tests.iter().any(|t| holds(t, value)),
    }
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    fn done(&self) -> bool {
        self.at >= self.s.len()
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.s.len() - trimmed.len();
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let rest = self.rest();
        if rest.starts_with(word) && rest[word.len()..].starts_with(char::is_whitespace) {
            self.at += word.len();
            true
        } else {
            false
        }
    }

    fn field(&mut self) -> Result<String, String> {
        let rest = self.rest();
        let end = rest
            .find(':')
            .ok_or_else(|| format!("expected `field:value` at `{rest}`"))?;
        let field = &rest[..end];
        let valid = !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._$".contains(c));
        if !valid {
            return Err(format!("invalid field name `{field}`"));
        }
        self.at += end + 1;
        Ok(field.to_string())
    }

    fn value(&mut self) -> Result<Test, String> {
        let rest = self.rest();
        if let Some(inner) = rest.strip_prefix('(') {
            let end = inner.find(')').ok_or("unclosed `(`")?;
            let body = &inner[..end];
            self.at += end + 2;
            let tests = body
                .split(" OR ")
                .map(|v| single(v.trim()))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Test::Any(tests));
        }
        if rest.starts_with('[') || rest.starts_with('{') {
            let inclusive = rest.starts_with('[');
            let close = if inclusive { ']' } else { '}' };
            let end = rest.find(close).ok_or("unclosed range")?;
            let body = &rest[1..end];
            self.at += end + 1;
            let (from, to) = body.split_once(" TO ").ok_or("a range needs `TO`")?;
            let bound = |b: &str| {
                let b = b.trim().trim_matches('"');
                (b != "*").then(|| b.to_string())
            };
            return Ok(Test::Range {
                from: bound(from),
                to: bound(to),
                inclusive,
            });
        }
        if let Some(inner) = rest.strip_prefix('"') {
            let end = inner.find('"').ok_or("unclosed quote")?;
            self.at += end + 2;
            return single(&rest[..end + 2]);
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        self.at += end;
        single(&rest[..end])
    }
}

fn single(value: &str) -> Result<Test, String> {
    if let Some(quoted) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return Ok(Test::Exact(quoted.to_lowercase()));
    }
    if value.is_empty() || value.starts_with('*') || value == "NOT" || value == "OR" {
        return Err(format!("unsupported value `{value}`"));
    }
    Ok(Test::Prefix(value.trim_end_matches('*').to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> Map<String, Value> {
        json!({"type": "sapi", "client_id": "AbC123", "client_name": "Ops Bot",
               "date": "2026-11-30T10:00:00.000Z",
               "details": {"request": {"path": "/api/v2/clients/xyz", "method": "patch"}},
               "details_num": 3})
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn query_table() {
        let cases = [
            ("type:sapi", true),
            ("type:s", true),
            ("type:\"s\"", false),
            ("type:\"SAPI\"", true),
            ("type:seccft", false),
            ("type:(seccft OR sapi)", true),
            ("type:(\"seccft\" OR \"feccft\")", false),
            ("client_id:\"abc123\"", true),
            ("client_id:abc*", true),
            ("client_name:\"Ops Bot\"", true),
            ("type:sapi AND client_id:\"abc123\"", true),
            ("type:sapi client_id:\"other\"", false),
            ("details.request.path:\"/api/v2/clients/xyz\"", true),
            ("details.request.method:patch", true),
            ("date:[2026-11-30T00:00:00Z TO *]", true),
            ("date:[* TO 2026-11-29T00:00:00Z]", false),
            ("date:{2026-11-30T10:00:00.000Z TO *}", false),
            ("missing:x", false),
            ("", true),
        ];
        for (q, want) in cases {
            let query = Query::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert_eq!(query.matches(&entry()), want, "{q}");
        }
    }

    #[test]
    fn unsupported_syntax_is_an_error() {
        for q in [
            "type",
            "type:*sapi",
            "type:(sapi",
            "date:[a b]",
            "ty pe:x",
            "type:\"x",
        ] {
            assert!(Query::parse(q).is_err(), "{q}");
        }
    }
}
