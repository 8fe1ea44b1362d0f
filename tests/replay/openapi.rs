//! Validating emulator answers against the response schemas of Auth0's OpenAPI documents (the
//! extracted parts in `tests/fixtures/auth0/openapi/`).

use std::collections::HashMap;

use serde_json::{Value, json};

/// Compiled response schemas by (`METHOD /route/template`, status).
pub(crate) struct Schemas {
    compiled: HashMap<(String, u16), Option<jsonschema::Validator>>,
    management: Value,
    authentication: Value,
}

fn load(name: &str) -> Value {
    let path = super::recording::root().join("openapi").join(name);
    serde_json::from_slice(&std::fs::read(path).expect("openapi file")).expect("openapi json")
}

impl Schemas {
    /// Loads both documents.
    pub(crate) fn load() -> Schemas {
        Schemas {
            compiled: HashMap::new(),
            management: load("management-api.json"),
            authentication: load("authentication-api.json"),
        }
    }

    /// The errors of `body` against the schema of (`route`, `status`); `None` when the document
    /// has no JSON schema for that answer.
    pub(crate) fn check(&mut self, route: &str, status: u16, body: &Value) -> Option<Vec<String>> {
        let key = (route.to_string(), status);
        if !self.compiled.contains_key(&key) {
            let validator = self.compile(route, status);
            self.compiled.insert(key.clone(), validator);
        }
        let validator = self.compiled.get(&key)?.as_ref()?;
        Some(
            validator
                .iter_errors(body)
                .map(|e| format!("schema {}: {}", e.instance_path(), short(&e.to_string())))
                .collect(),
        )
    }

    fn compile(&self, route: &str, status: u16) -> Option<jsonschema::Validator> {
        let (method, template) = route.split_once(' ')?;
        let (doc, path) = match template.strip_prefix("/api/v2") {
            Some(p) => (
                &self.management,
                p.replace(
                    "/clients/{id}/credentials",
                    "/clients/{client_id}/credentials",
                ),
            ),
            None => (&self.authentication, template.to_string()),
        };
        let path = if path.ends_with("/credentials/{id}") {
            path.replace("/credentials/{id}", "/credentials/{credential_id}")
        } else {
            path
        };
        let schema = doc
            .get("paths")?
            .get(&path)?
            .get(method.to_lowercase())?
            .get("responses")?
            .get(status.to_string())?
            .get("content")?
            .get("application/json")?
            .get("schema")?;
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": [schema],
            "components": doc["components"],
        });
        Some(jsonschema::validator_for(&root).expect("schema compiles"))
    }
}

/// The first line of a validation message, without the (long) instance it quotes.
fn short(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    match line.find(" is not ") {
        Some(i) => format!("value{}", &line[i..]).chars().take(120).collect(),
        None => line.chars().take(120).collect(),
    }
}
