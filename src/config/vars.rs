//! Variable values (`Vars`) and the expansion of one scalar's text (`expand`).
//!
//! Owns the `${VAR}` grammar: `${NAME}`, `${NAME:-default}` (default when unset or empty) and
//! `$${` for a literal `${`. Any other `$` is literal. Must not know about YAML: the caller
//! (`subst`) decides which scalars are expanded and how the result is written back.

use std::collections::HashMap;

use super::diagnostics::Error;

/// Values for `${VAR}` references: the process environment, overridden by `--var KEY=VALUE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    map: HashMap<String, String>,
}

impl Vars {
    /// No variables at all (every `${VAR}` without a default is an error).
    pub fn empty() -> Vars {
        Vars::default()
    }

    /// Variables from the given pairs (tests, embedding).
    pub fn from_map<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Vars
    where
        K: Into<String>,
        V: Into<String>,
    {
        Vars {
            map: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The process environment (UTF-8 entries only), then each `--var KEY=VALUE` on top.
    #[allow(
        clippy::disallowed_methods,
        reason = "`${VAR}` substitution reads the whole environment"
    )]
    pub fn from_env_and_args(args: &[String]) -> Result<Vars, Error> {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        let mut vars = Vars::from_map(env);
        vars.apply_args(args)?;
        Ok(vars)
    }

    /// Applies `--var KEY=VALUE` arguments (later ones win).
    pub fn apply_args(&mut self, args: &[String]) -> Result<(), Error> {
        for arg in args {
            let (key, value) = parse_var_arg(arg)?;
            self.map.insert(key.to_string(), value.to_string());
        }
        Ok(())
    }

    /// Every variable name (for "did you mean" hints).
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }
}

/// Splits one `--var KEY=VALUE` argument.
fn parse_var_arg(arg: &str) -> Result<(&str, &str), Error> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(Error::BadVarArg {
            arg: arg.to_string(),
            reason: "it has no `=`".to_string(),
        });
    };
    if !is_var_name(key) {
        return Err(Error::BadVarArg {
            arg: arg.to_string(),
            reason: format!(
                "`{key}` is not a variable name (letters, digits, `_`; not starting with a digit)"
            ),
        });
    }
    Ok((key, value))
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// A problem with one `${...}` reference inside a scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarIssue {
    /// The reference exactly as written, e.g. `${TTL}` (used to locate it in the source).
    pub text: String,
    /// Which problem.
    pub kind: VarIssueKind,
}

/// What is wrong with a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarIssueKind {
    /// `${NAME}` with no value and no default.
    Undefined(String),
    /// `${` not followed by `NAME}` or `NAME:-default}`.
    Malformed(&'static str),
}

/// Expands the references in one scalar's text.
///
/// Returns `Ok(None)` when the text holds no reference and no escape (nothing to rewrite),
/// `Ok(Some(value))` with the expanded text, or every issue found in the text.
/// `indent`, when given, is written after every line break of a substituted value (block
/// scalars, where the expansion happens in the raw source text).
pub(crate) fn expand(
    text: &str,
    vars: &Vars,
    indent: Option<&str>,
) -> Result<Option<String>, Vec<VarIssue>> {
    if !text.contains('$') {
        return Ok(None);
    }
    let mut out = String::with_capacity(text.len());
    let mut issues = Vec::new();
    let mut changed = false;
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
            changed = true;
        } else if tail.starts_with("${") {
            changed = true;
            let (consumed, result) = reference(tail, vars);
            match result {
                Ok(value) => match indent {
                    Some(indent) if value.contains('\n') => {
                        out.push_str(&value.replace('\n', &format!("\n{indent}")))
                    }
                    _ => out.push_str(&value),
                },
                Err(kind) => issues.push(VarIssue {
                    text: tail[..consumed].to_string(),
                    kind,
                }),
            }
            rest = &tail[consumed..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(changed.then_some(out))
}

/// Resolves the reference at the start of `tail` (which starts with `${`); returns how many
/// bytes it spans and its value.
fn reference(tail: &str, vars: &Vars) -> (usize, Result<String, VarIssueKind>) {
    let Some(close) = tail.find('}') else {
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        return (end, Err(VarIssueKind::Malformed("it has no closing `}`")));
    };
    let body = &tail[2..close];
    let consumed = close + 1;
    let (name, default) = match body.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (body, None),
    };
    if !is_var_name(name) {
        let why = if name.is_empty() {
            "the variable name is empty"
        } else {
            "the variable name must be letters, digits and `_`, not starting with a digit"
        };
        return (consumed, Err(VarIssueKind::Malformed(why)));
    }
    if default.is_some_and(|d| d.contains("${")) {
        return (
            consumed,
            Err(VarIssueKind::Malformed(
                "a default cannot contain another `${...}`",
            )),
        );
    }
    let value = match (vars.get(name), default) {
        (Some(v), None) => v.to_string(),
        (Some(v), Some(_)) if !v.is_empty() => v.to_string(),
        (_, Some(d)) => d.to_string(),
        (None, None) => return (consumed, Err(VarIssueKind::Undefined(name.to_string()))),
    };
    (consumed, Ok(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::from_map([("TTL", "3600"), ("EMPTY", ""), ("HOST", "a.example.com")])
    }

    #[test]
    fn expands_references_defaults_and_escapes() {
        let cases: &[(&str, Option<&str>)] = &[
            ("plain", None),
            ("cost: $5", None),
            ("${TTL}", Some("3600")),
            ("https://${HOST}/api", Some("https://a.example.com/api")),
            ("${MISSING:-local}", Some("local")),
            ("${EMPTY:-fallback}", Some("fallback")),
            ("${EMPTY}", Some("")),
            ("${TTL:-1}", Some("3600")),
            ("$${HOST}", Some("${HOST}")),
            ("$$HOST", None),
            ("${MISSING:-}", Some("")),
        ];
        for (input, want) in cases {
            assert_eq!(
                expand(input, &vars(), None).unwrap().as_deref(),
                *want,
                "{input}"
            );
        }
    }

    #[test]
    fn reports_every_issue_with_its_text() {
        let issues =
            expand("${A} and ${B:-x} and ${} and ${1X} and ${C", &vars(), None).unwrap_err();
        let got: Vec<(&str, &VarIssueKind)> =
            issues.iter().map(|i| (i.text.as_str(), &i.kind)).collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0], ("${A}", &VarIssueKind::Undefined("A".into())));
        assert_eq!(got[1].0, "${}");
        assert_eq!(got[2].0, "${1X}");
        assert_eq!(got[3].0, "${C");
    }

    #[test]
    fn var_args_override_and_reject_bad_syntax() {
        let mut v = vars();
        v.apply_args(&["TTL=60".into(), "X=a=b".into()]).unwrap();
        assert_eq!(v.get("TTL"), Some("60"));
        assert_eq!(v.get("X"), Some("a=b"));
        assert!(v.apply_args(&["novalue".into()]).is_err());
        assert!(v.apply_args(&["1A=x".into()]).is_err());
        assert!(v.apply_args(&["=x".into()]).is_err());
    }
}
