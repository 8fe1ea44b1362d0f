//! The JSON Schema of `m2mctl.yaml`, generated from the serde model (schemars).
//!
//! Owns the schema text printed by `m2mctl schema` and committed as `schemas/m2mctl.schema.json`
//! (a test keeps the file in sync). Must not hold rules: the schema follows `model`.

use schemars::{Schema, SchemaGenerator, json_schema};

use super::model::{ConfigFile, MAX_TOKEN_LIFETIME};

/// Where the committed schema lives, relative to the repository root.
pub const SCHEMA_PATH: &str = "schemas/m2mctl.schema.json";

/// The schema as pretty JSON, with a trailing newline.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ConfigFile);
    let mut text = serde_json::to_string_pretty(&schema)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize the schema: {e}\"}}"));
    text.push('\n');
    text
}

/// A whole-value `${VAR}` / `${VAR:-default}` reference, for keys typed as numbers or booleans
/// (the file is checked by editors before substitution).
fn variable() -> serde_json::Value {
    serde_json::json!({
        "type": "string",
        "pattern": r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$"
    })
}

/// `version`: 1 (or a variable).
pub(crate) fn version(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "anyOf": [{ "type": "integer", "const": 1 }, variable()] })
}

/// A token lifetime: 1..=2592000 seconds (or a variable).
pub(crate) fn lifetime(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "anyOf": [
        { "type": "integer", "minimum": 1, "maximum": MAX_TOKEN_LIFETIME },
        variable()
    ] })
}

/// A non-negative count (or a variable).
pub(crate) fn count(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "anyOf": [{ "type": "integer", "minimum": 0 }, variable()] })
}

/// A boolean (or a variable).
pub(crate) fn boolean(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "anyOf": [{ "type": "boolean" }, variable()] })
}

/// `project`: letters, digits, `.`, `_`, `-`, and variables.
pub(crate) fn project(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "pattern": r"^([A-Za-z0-9._-]|\$\{[^}]*\})+$" })
}

/// `token_endpoint_auth_method`: the two secret methods.
pub(crate) fn secret_method(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": ["client_secret_post", "client_secret_basic"] })
}
