//! Request payload parsing and validation, worded like Auth0's `Payload validation error: …`.
//!
//! Owns the schema language (field kinds) and the messages. Must not know endpoint semantics:
//! each endpoint declares its field table and required fields.

use serde_json::{Map, Value};

use super::error::ApiError;

/// What a property may hold.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs, reason = "each variant's doc names its fields")]
pub enum Kind {
    /// A string of `min..=max` chars; `no_angle` forbids `<` and `>`.
    Str {
        min: usize,
        max: usize,
        no_angle: bool,
    },
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A boolean.
    Bool,
    /// An integer in `min..=max`.
    Int { min: i64, max: i64 },
    /// An array of non-empty strings (at most `item_max` chars), unique if asked.
    Strings { unique: bool, item_max: usize },
    /// Any JSON object.
    Object,
    /// Any JSON array.
    Array,
    /// `client_metadata`: at most 10 string values of at most 255 chars (null deletes on PATCH).
    Metadata,
    /// Resource-server `scopes`: `[{value, description}]`.
    Scopes,
    /// Anything.
    Any,
}

/// One allowed property.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Property name.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Whether JSON `null` is accepted.
    pub nullable: bool,
}

/// A property that must not be null.
pub const fn f(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        nullable: false,
    }
}

/// A property that may be null (`null` unsets it).
pub const fn n(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        nullable: true,
    }
}

/// Shorthand for a string kind.
pub const fn s(max: usize) -> Kind {
    Kind::Str {
        min: 0,
        max,
        no_angle: false,
    }
}

/// Parses a JSON body; an empty body or `null` is an empty object.
pub fn parse(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(ApiError::invalid_body(format!(
            "'Expected type object but found type {}'.",
            type_name(&other)
        ))),
        Err(_) => Err(ApiError::bad_request(
            "invalid_body",
            "Invalid request payload JSON format",
        )),
    }
}

/// Checks `body` against `fields`, `required` and a minimum property count.
pub fn check(
    body: &Map<String, Value>,
    fields: &[Field],
    required: &[&str],
    min_properties: usize,
) -> Result<(), ApiError> {
    let unknown: Vec<&str> = body
        .keys()
        .filter(|k| !fields.iter().any(|f| f.name == k.as_str()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid_body(format!(
            "'Additional properties not allowed: {}'.",
            unknown.join(",")
        )));
    }
    if body.len() < min_properties {
        return Err(ApiError::invalid_body(format!(
            "'Too few properties defined ({}), minimum {min_properties}'.",
            body.len()
        )));
    }
    if let Some(missing) = required.iter().find(|r| !body.contains_key(**r)) {
        return Err(ApiError::invalid_body(format!(
            "'Missing required property: {missing}'."
        )));
    }
    for field in fields {
        if let Some(value) = body.get(field.name) {
            if value.is_null() && field.nullable {
                continue;
            }
            check_value(value, field.kind).map_err(|reason| {
                ApiError::invalid_body(format!("'{reason}' on property {}.", field.name))
            })?;
        }
    }
    Ok(())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn expected(want: &str, v: &Value) -> String {
    format!("Expected type {want} but found type {}", type_name(v))
}

fn check_str(v: &Value, min: usize, max: usize, no_angle: bool) -> Result<(), String> {
    let Some(text) = v.as_str() else {
        return Err(expected("string", v));
    };
    let len = text.chars().count();
    if len < min {
        return Err(format!("String is too short ({len} chars), minimum {min}"));
    }
    if len > max {
        return Err(format!("String is too long ({len} chars), maximum {max}"));
    }
    if no_angle && text.contains(['<', '>']) {
        return Err("String does not match pattern: ^[^<>]+$".into());
    }
    Ok(())
}

fn check_value(v: &Value, kind: Kind) -> Result<(), String> {
    match kind {
        Kind::Str { min, max, no_angle } => check_str(v, min, max, no_angle),
        Kind::Enum(options) => match v.as_str() {
            Some(text) if options.contains(&text) => Ok(()),
            Some(_) => Err(format!("No enum match for: {v}")),
            None => Err(expected("string", v)),
        },
        Kind::Bool => v
            .as_bool()
            .map(|_| ())
            .ok_or_else(|| expected("boolean", v)),
        Kind::Int { min, max } => {
            let Some(i) = v.as_i64() else {
                return Err(expected("integer", v));
            };
            if i < min {
                return Err(format!("Value {i} is less than minimum {min}"));
            }
            if i > max {
                return Err(format!("Value {i} is greater than maximum {max}"));
            }
            Ok(())
        }
        Kind::Strings { unique, item_max } => {
            let Some(items) = v.as_array() else {
                return Err(expected("array", v));
            };
            for (i, item) in items.iter().enumerate() {
                check_str(item, 1, item_max, false).map_err(|e| format!("{e} (item {i})"))?;
                if unique && let Some(j) = items[..i].iter().position(|x| x == item) {
                    return Err(format!("Array items are not unique (indexes {j} and {i})"));
                }
            }
            Ok(())
        }
        Kind::Object => v
            .as_object()
            .map(|_| ())
            .ok_or_else(|| expected("object", v)),
        Kind::Array => v.as_array().map(|_| ()).ok_or_else(|| expected("array", v)),
        Kind::Metadata => {
            let Some(map) = v.as_object() else {
                return Err(expected("object", v));
            };
            if map.len() > 10 {
                return Err(format!(
                    "Too many properties defined ({}), maximum 10",
                    map.len()
                ));
            }
            for (key, value) in map {
                if key.chars().count() > 255 {
                    return Err(format!("Property name too long: {key}"));
                }
                if !value.is_null() {
                    check_str(value, 0, 255, false).map_err(|e| format!("{e} (key {key})"))?;
                }
            }
            Ok(())
        }
        Kind::Scopes => {
            let Some(items) = v.as_array() else {
                return Err(expected("array", v));
            };
            for item in items {
                let Some(obj) = item.as_object() else {
                    return Err(expected("object", item));
                };
                if let Some(extra) = obj.keys().find(|k| *k != "value" && *k != "description") {
                    return Err(format!("Additional properties not allowed: {extra}"));
                }
                let value = obj.get("value").ok_or("Missing required property: value")?;
                check_str(value, 1, 280, false)?;
                if let Some(d) = obj.get("description") {
                    check_str(d, 0, 500, false)?;
                }
            }
            Ok(())
        }
        Kind::Any => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[Field] = &[
        f(
            "name",
            Kind::Str {
                min: 1,
                max: 10,
                no_angle: true,
            },
        ),
        f(
            "grant_types",
            Kind::Strings {
                unique: true,
                item_max: 50,
            },
        ),
        n("token_lifetime", Kind::Int { min: 0, max: 100 }),
        f("client_metadata", Kind::Metadata),
        f("app_type", Kind::Enum(&["spa", "native"])),
    ];

    fn run(v: Value) -> Result<(), String> {
        let map = v.as_object().cloned().unwrap_or_default();
        check(&map, FIELDS, &["name"], 1).map_err(|e| e.message)
    }

    #[test]
    fn messages_follow_auth0() {
        let table = [
            (
                json!({"name": "a", "x": 1}),
                "Payload validation error: 'Additional properties not allowed: x'.",
            ),
            (
                json!({"app_type": "spa"}),
                "Payload validation error: 'Missing required property: name'.",
            ),
            (
                json!({}),
                "Payload validation error: 'Too few properties defined (0), minimum 1'.",
            ),
            (
                json!({"name": 5}),
                "Payload validation error: 'Expected type string but found type integer' on property name.",
            ),
            (
                json!({"name": "<b>"}),
                "Payload validation error: 'String does not match pattern: ^[^<>]+$' on property name.",
            ),
            (
                json!({"name": "a", "grant_types": ["x", "y", "y"]}),
                "Payload validation error: 'Array items are not unique (indexes 1 and 2)' on property grant_types.",
            ),
            (
                json!({"name": "a", "token_lifetime": 101}),
                "Payload validation error: 'Value 101 is greater than maximum 100' on property token_lifetime.",
            ),
            (
                json!({"name": "a", "app_type": "tv"}),
                "Payload validation error: 'No enum match for: \"tv\"' on property app_type.",
            ),
        ];
        for (body, want) in table {
            assert_eq!(run(body.clone()), Err(want.to_string()), "{body}");
        }
        assert_eq!(
            run(json!({"name": "a", "token_lifetime": null, "client_metadata": {"k": null}})),
            Ok(())
        );
    }

    #[test]
    fn parse_accepts_empty_and_null_and_rejects_garbage() {
        assert!(parse(b"").is_ok_and(|m| m.is_empty()));
        assert!(parse(b"null").is_ok_and(|m| m.is_empty()));
        assert_eq!(
            parse(b"{").map_err(|e| e.message),
            Err("Invalid request payload JSON format".into())
        );
        assert!(parse(b"[1]").is_err());
    }
}
