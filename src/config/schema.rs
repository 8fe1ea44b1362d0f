//! The JSON Schema of `m2mctl.yaml`, generated from the serde model (schemars).
//!
//! Owns the schema text printed by `m2mctl schema` and committed as `schemas/m2mctl.schema.json`
//! (a test keeps the file in sync). Must not hold rules: the schema follows `model`.

use super::model::ConfigFile;

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
