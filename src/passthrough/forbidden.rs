//! What a Management API 403 means: the scope that was missing (from Auth0's message, else the
//! endpoint's canonical scope) and the config line that would grant it. Pure.

use serde_json::Value;

use crate::endpoints::{self, Endpoint};

/// Who made the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller<'a> {
    /// m2mctl's own credentials (no `--as`).
    Own,
    /// A managed application (`--as APP`).
    App {
        /// Its key.
        key: &'a str,
        /// The config file.
        file: &'a str,
        /// Line of its `name:`.
        app_line: Option<u64>,
        /// Line of its `api: management` grant, when it has one.
        grant_line: Option<u64>,
    },
}

/// The scopes Auth0 names in `Insufficient scope, expected any of: a, b` (or `expected: a.`),
/// else the canonical scope of the endpoint.
pub fn missing_scopes(body: &[u8], endpoint: Option<&Endpoint>) -> Vec<String> {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            ["message", "description", "error_description"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
        })
        .unwrap_or_default();
    let listed: Vec<String> = message
        .split_once("expected any of:")
        .or_else(|| message.split_once("expected:"))
        .map(|(_, rest)| {
            rest.split([',', ' '])
                .map(|s| s.trim().trim_end_matches('.'))
                .filter(|s| s.contains(':'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if !listed.is_empty() {
        return listed;
    }
    endpoint
        .map(|e| vec![e.canonical_scope().to_string()])
        .unwrap_or_default()
}

/// The help line of a 403 on `method path`.
pub fn help(method: &str, path: &str, missing: &[String], caller: &Caller<'_>) -> String {
    let endpoint = endpoints::find(method, path);
    let scope = missing
        .first()
        .cloned()
        .or_else(|| endpoint.map(|e| e.canonical_scope().to_string()))
        .unwrap_or_else(|| "the scope this endpoint needs".to_string());
    let needs = match missing {
        [] | [_] => format!("`{scope}`"),
        many => format!(
            "one of {}",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let entry = match endpoint {
        Some(e) => format!("endpoints: [\"{}\"]", e.label()),
        None => format!("scopes: [{scope}]"),
    };
    match caller {
        Caller::Own => format!(
            "m2mctl's own application lacks {needs}; `m2mctl init --create-deployer` grants what m2mctl needs (`--with-tokens` adds `read:client_keys`); for other endpoints add the scope to its Management API grant, or call as a managed application with `--as APP`"
        ),
        Caller::App {
            key,
            file,
            grant_line: Some(line),
            ..
        } => format!(
            "`{key}` lacks {needs}: add `{entry}` (or `{scope}` to `scopes:`) to its `api: management` grant at {file}:{line}, then `m2mctl apply`"
        ),
        Caller::App {
            key,
            file,
            app_line,
            grant_line: None,
        } => {
            let at = app_line.map_or(file.to_string(), |l| format!("{file}:{l}"));
            format!(
                "`{key}` has no Management API grant: add `- api: management` with `{entry}` under its `grants:` ({at}), then `m2mctl apply`"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_scopes_come_from_auth0s_message_or_the_endpoint() {
        let any_of =
            br#"{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:clients, read:client_keys","errorCode":"insufficient_scope"}"#;
        assert_eq!(
            missing_scopes(any_of, None),
            ["read:clients", "read:client_keys"]
        );
        let recorded =
            br#"{"statusCode":403,"description":"Insufficient scope, expected: read:actions."}"#;
        assert_eq!(missing_scopes(recorded, None), ["read:actions"]);
        let endpoint = endpoints::lookup("GET /api/v2/roles").ok();
        assert_eq!(missing_scopes(b"<html>", endpoint), ["read:roles"]);
    }

    #[test]
    fn help_names_the_scope_and_the_config_line() {
        let missing = vec!["read:clients".to_string()];
        let with_grant = Caller::App {
            key: "billing",
            file: "m2mctl.yaml",
            app_line: Some(3),
            grant_line: Some(7),
        };
        assert_eq!(
            help("GET", "/api/v2/clients", &missing, &with_grant),
            "`billing` lacks `read:clients`: add `endpoints: [\"GET /api/v2/clients\"]` (or `read:clients` to `scopes:`) to its `api: management` grant at m2mctl.yaml:7, then `m2mctl apply`"
        );
        let without = Caller::App {
            key: "billing",
            file: "m2mctl.yaml",
            app_line: Some(3),
            grant_line: None,
        };
        assert!(
            help("GET", "/api/v2/clients/abc", &missing, &without)
                .contains("add `- api: management` with `endpoints: [\"GET /api/v2/clients/{id}\"]` under its `grants:` (m2mctl.yaml:3)")
        );
        assert!(
            help("GET", "/api/v2/clients", &missing, &Caller::Own)
                .contains("init --create-deployer")
        );
    }
}
