//! `m2mctl scopes`: the Management API scopes each endpoint needs (canonical first, then the other
//! scopes the spec accepts), or `--list` for every endpoint.
//!
//! Owns the output of the command. Must not hold the table or the matching: those are
//! [`endpoints`](crate::endpoints).

use std::io::Write;

use serde::Serialize;

use crate::Exit;
use crate::cli::{ScopesArgs, ScopesFormat};
use crate::endpoints::{self, ENDPOINTS, Endpoint};

#[derive(Serialize)]
struct Row<'a> {
    endpoint: String,
    summary: &'a str,
    scope: &'a str,
    accepted: &'a [&'a str],
}

/// Runs `m2mctl scopes`; an unknown endpoint is an error with "did you mean".
pub(super) fn run(args: &ScopesArgs) -> miette::Result<Exit> {
    let found: Vec<&Endpoint> = if args.list {
        ENDPOINTS.iter().collect()
    } else {
        args.endpoints
            .iter()
            .map(|e| endpoints::lookup(e))
            .collect::<Result<_, _>>()?
    };
    let text = match args.format {
        ScopesFormat::Text => text(&found),
        ScopesFormat::Json => json(&found),
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| miette::miette!("cannot write to stdout: {e}"))?;
    Ok(Exit::Success)
}

/// `GET /api/v2/clients  read:clients  (also: read:client_keys, …)` per endpoint, aligned.
fn text(found: &[&Endpoint]) -> String {
    let width = found.iter().map(|e| e.label().len()).max().unwrap_or(0);
    let mut out = String::new();
    for e in found {
        let label = e.label();
        let mut line = format!("{label:<width$}  {}", e.canonical_scope());
        if e.scopes.len() > 1 {
            line.push_str(&format!("  (also accepted: {})", e.scopes[1..].join(", ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn json(found: &[&Endpoint]) -> String {
    let rows: Vec<Row> = found
        .iter()
        .map(|e| Row {
            endpoint: e.label(),
            summary: e.summary,
            scope: e.canonical_scope(),
            accepted: e.scopes,
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_aligns_and_lists_alternatives() {
        let found = [
            endpoints::lookup("GET /api/v2/roles").unwrap(),
            endpoints::lookup("PATCH /api/v2/users/{id}").unwrap(),
        ];
        assert_eq!(
            text(&found),
            "GET /api/v2/roles         read:roles\n\
             PATCH /api/v2/users/{id}  update:users  (also accepted: update:users_app_metadata, update:current_user_metadata)\n"
        );
    }
}
