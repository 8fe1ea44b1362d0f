//! Comparing two JSON bodies by shape: the same keys with the same JSON types, recursively. Values
//! are never compared, so hosts, ids, timestamps and secrets are masked by construction. Arrays
//! compare the union of their items' shapes (lists differ in length between tenants).

use std::collections::BTreeMap;

use serde_json::Value;

/// One difference, at a dotted key path (`[]` for array items).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Diff {
    /// Auth0 sent the key, the emulator did not.
    Missing(String),
    /// The emulator sent a key Auth0 did not (only checked for raw recorded bodies).
    Extra(String),
    /// Both sent it with different JSON types (`recorded`/`emulator`).
    Type(String, &'static str, &'static str),
}

impl Diff {
    /// The key path.
    pub(crate) fn path(&self) -> &str {
        match self {
            Diff::Missing(p) | Diff::Extra(p) | Diff::Type(p, ..) => p,
        }
    }

    /// `missing`, `extra` or `type`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Diff::Missing(_) => "missing",
            Diff::Extra(_) => "extra",
            Diff::Type(..) => "type",
        }
    }
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Diff::Type(p, r, e) => write!(f, "type {p}: recorded {r}, emulator {e}"),
            d => write!(f, "{} {}", d.kind(), d.path()),
        }
    }
}

/// The JSON type name of a value.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A body's shape: key path → the JSON types seen there.
type Shape = BTreeMap<String, Vec<&'static str>>;

fn walk(v: &Value, path: &str, out: &mut Shape) {
    let types = out.entry(path.to_string()).or_default();
    let t = type_name(v);
    if !types.contains(&t) {
        types.push(t);
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(child, &p, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

/// Keys under these paths are free-form maps whose keys are data, not shape.
fn is_data_map(path: &str) -> bool {
    ["client_metadata", "metadata"].iter().any(|m| {
        path == *m || path.ends_with(&format!(".{m}")) || path.ends_with(&format!("[].{m}"))
    })
}

/// Differences between a recorded body and the emulator's; `extra` also reports keys only the
/// emulator sent.
pub(crate) fn compare(recorded: &Value, emulator: &Value, extra: bool) -> Vec<Diff> {
    let (mut r, mut e) = (Shape::new(), Shape::new());
    walk(recorded, "", &mut r);
    walk(emulator, "", &mut e);
    let under_data = |p: &str| {
        let parent = p.rsplit_once('.').map_or("", |(head, _)| head);
        is_data_map(parent) || p.contains(".client_metadata.")
    };
    let mut diffs = Vec::new();
    for (path, rtypes) in &r {
        if under_data(path) {
            continue;
        }
        match e.get(path) {
            None => diffs.push(Diff::Missing(path.clone())),
            Some(etypes) => {
                // null is compatible with any type (Auth0 sends null for unset optional fields).
                let rt: Vec<_> = rtypes.iter().filter(|t| **t != "null").collect();
                let et: Vec<_> = etypes.iter().filter(|t| **t != "null").collect();
                if let (Some(rt0), Some(et0)) = (rt.first(), et.first())
                    && !rt.iter().any(|t| et.contains(t))
                {
                    diffs.push(Diff::Type(path.clone(), rt0, et0));
                }
            }
        }
    }
    if extra {
        for path in e.keys() {
            if !r.contains_key(path) && !under_data(path) {
                diffs.push(Diff::Extra(path.clone()));
            }
        }
    }
    // Report a missing subtree once, at its root.
    diffs.sort();
    let mut out: Vec<Diff> = Vec::new();
    for d in diffs {
        let covered = out.iter().any(|o| {
            o.kind() == d.kind()
                && d.kind() != "type"
                && (d.path().starts_with(&format!("{}.", o.path()))
                    || d.path().starts_with(&format!("{}[]", o.path())))
        });
        if !covered {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_compare_keys_and_types_not_values() {
        let r = json!({"id": "a", "n": 1, "l": [{"x": 1}], "m": {"client_metadata": {"k": "v"}}});
        let e = json!({"id": "b", "n": 2, "l": [{"x": 2}], "m": {"client_metadata": {}}});
        assert_eq!(compare(&r, &e, true), vec![]);
        let e = json!({"id": 5, "l": [], "more": {"deep": 1}});
        assert_eq!(
            compare(&r, &e, true),
            vec![
                Diff::Missing("l[]".into()),
                Diff::Missing("m".into()),
                Diff::Missing("n".into()),
                Diff::Extra("more".into()),
                Diff::Type("id".into(), "string", "number"),
            ]
        );
    }
}
