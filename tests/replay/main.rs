//! Replay conformance against real Auth0, offline: the recordings Auth0's own SDK and Terraform
//! provider test suites made against real tenants (`tests/fixtures/auth0/`, sources and licences
//! in its README) are the ground truth.
//!
//! - every recorded answer of `/api/v2/clients`, `/client-grants`, `/resource-servers` and
//!   `/oauth/token` decodes through `m2mctl::tenant::decode` into the model, losing nothing m2mctl
//!   reads;
//! - the recorded requests, replayed in order against a fresh emulator per cassette (ids and hosts
//!   mapped), get the same status and bodies of the same shape (keys and JSON types), except for
//!   the reviewed differences in `replay-allowlist.yaml`;
//! - every emulator answer on these routes validates against Auth0's OpenAPI response schema.
#![allow(
    clippy::disallowed_methods,
    reason = "tests read their own knobs (REPLAY_ALLOWLIST_USAGE)"
)]

mod allowlist;
mod keys;
mod openapi;
mod recording;
mod session;
mod shape;

use std::collections::BTreeMap;

use futures::StreamExt;
use m2mctl::tenant::decode::{self, Decoded, Route};
use serde_json::Value;

/// The decode route of a path, when its answers are model objects.
fn decode_route(template: &str) -> Option<Route> {
    match template {
        "/api/v2/clients" | "/api/v2/clients/{id}" | "/api/v2/clients/{id}/rotate-secret" => {
            Some(Route::Clients)
        }
        "/api/v2/client-grants" | "/api/v2/client-grants/{id}" => Some(Route::ClientGrants),
        "/api/v2/resource-servers" | "/api/v2/resource-servers/{id}" => {
            Some(Route::ResourceServers)
        }
        _ => None,
    }
}

/// A `fields=` projection that leaves out the object's id (m2mctl's reads always include it).
fn projection_without_id(url: &url::Url, route: Route) -> bool {
    let id = match route {
        Route::Clients => "client_id",
        _ => "id",
    };
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    let Some(fields) = query.get("fields") else {
        return false;
    };
    let listed = fields.split(',').any(|f| f == id);
    let include = query.get("include_fields").is_none_or(|v| v != "false");
    listed != include
}

/// Paths (dotted) where the model's value does not hold what the raw item held.
fn lost(raw: &Value, model: &Value, path: &str, out: &mut Vec<String>) {
    match (raw, model) {
        (Value::Null, _) => {}
        (Value::Object(r), Value::Object(m)) => {
            for (k, mv) in m {
                if let Some(rv) = r.get(k) {
                    lost(rv, mv, &format!("{path}.{k}"), out);
                }
            }
            // A map-typed model field (metadata) must hold every raw key.
            if path.ends_with("client_metadata") {
                for k in r.keys().filter(|k| !m.contains_key(*k)) {
                    out.push(format!("{path}.{k}"));
                }
            }
        }
        (Value::Array(r), Value::Array(m)) if r.len() == m.len() => {
            for (i, (rv, mv)) in r.iter().zip(m).enumerate() {
                lost(rv, mv, &format!("{path}[{i}]"), out);
            }
        }
        (r, m) if r == m => {}
        _ => out.push(path.to_string()),
    }
}

#[test]
fn every_recorded_answer_decodes_into_the_model_without_loss() {
    let cassettes = recording::load_all();
    let (mut decoded, mut tokens, mut projections, mut artifacts) =
        (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for c in &cassettes {
        for (n, i) in c.interactions.iter().enumerate() {
            let Some(template) = recording::route(i.url.path()) else {
                continue;
            };
            if !(200..300).contains(&i.status) || i.response.trim().is_empty() {
                continue;
            }
            let at = format!("{} #{n} {} {template}", c.name, i.method);
            if template == "/oauth/token" {
                match decode::token(i.response.as_bytes()) {
                    Ok(_) => tokens += 1,
                    Err(e) => failures.push(format!("{at}: {e}")),
                }
                continue;
            }
            let Some(route) = decode_route(&template) else {
                continue;
            };
            if projection_without_id(&i.url, route) {
                projections += 1;
                continue;
            }
            if serde_json::from_str::<Value>(&i.response)
                .is_ok_and(|b| session::redaction_artifact(&b))
            {
                artifacts += 1;
                continue;
            }
            let raw = match decode::items(route, i.response.as_bytes()) {
                Ok(items) => items,
                Err(e) => {
                    failures.push(format!("{at}: {e}"));
                    continue;
                }
            };
            let model: Vec<Value> = match decode::decode(route, i.response.as_bytes()) {
                Ok(Decoded::Clients(v)) => {
                    v.iter().map(|x| serde_json::to_value(x).unwrap()).collect()
                }
                Ok(Decoded::Grants(v)) => {
                    v.iter().map(|x| serde_json::to_value(x).unwrap()).collect()
                }
                Ok(Decoded::Apis(v)) => {
                    v.iter().map(|x| serde_json::to_value(x).unwrap()).collect()
                }
                Err(e) => {
                    failures.push(format!("{at}: {e}"));
                    continue;
                }
            };
            for (r, m) in raw.iter().zip(&model) {
                let mut out = Vec::new();
                lost(r, m, "", &mut out);
                if !out.is_empty() {
                    failures.push(format!("{at}: lost {}", out.join(", ")));
                }
            }
            decoded += model.len();
        }
    }
    println!(
        "{decoded} recorded objects and {tokens} token answers decoded; {projections} `fields=` projections without the id left out (m2mctl always reads the id); {artifacts} bodies replaced by go-vcr's redaction left out"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        decoded > 500 && tokens > 10,
        "{decoded} objects, {tokens} tokens"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_requests_replayed_against_the_emulator_answer_in_the_same_shape() {
    let cassettes = recording::load_all();
    let entries = allowlist::load();
    let mut schemas = openapi::Schemas::load();
    let mut replays: Vec<(usize, session::Replay)> =
        futures::stream::iter(cassettes.iter().enumerate())
            .map(|(n, c)| async move { (n, session::replay(c).await) })
            .buffer_unordered(4)
            .collect()
            .await;
    replays.sort_by_key(|(n, _)| *n);

    let (mut replayed, mut same, mut allowed, mut skipped, mut validated) = (0, 0, 0, 0, 0);
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (n, replay) in &replays {
        let file = &cassettes[*n].name;
        skipped += replay.skipped;
        for o in &replay.outcomes {
            replayed += 1;
            let mut diffs = o.diffs.clone();
            if let Some(errors) = schemas.check(&o.route, o.status, &o.body) {
                validated += 1;
                diffs.extend(errors);
            }
            if diffs.is_empty() {
                same += 1;
                continue;
            }
            let open: Vec<&String> = diffs
                .iter()
                .filter(|d| allowlist::find(&entries, file, &o.route, d).is_none())
                .collect();
            if open.is_empty() {
                allowed += 1;
            }
            for d in open {
                failures
                    .entry(format!("{} | {d}", o.route))
                    .or_default()
                    .push(format!("{file} #{}", o.index));
            }
        }
    }
    println!("{replayed} replayed, {same} same shape, {allowed} allowlisted");
    println!(
        "{skipped} recorded requests not sent (they name objects the recording did not create); {validated} answers validated against the OpenAPI schemas"
    );
    let report: Vec<String> = failures
        .iter()
        .map(|(k, at)| format!("{k}  ({} times, first {})", at.len(), at[0]))
        .collect();
    assert!(
        report.is_empty(),
        "differences not in the allowlist:\n{}",
        report.join("\n")
    );
    if std::env::var_os("REPLAY_ALLOWLIST_USAGE").is_some() {
        for e in &entries {
            println!("{:>5}  {} | {}", e.used.get(), e.route, e.diff);
        }
    }
    let unused: Vec<String> = entries
        .iter()
        .filter(|e| e.used.get() == 0)
        .map(|e| format!("{} | {}", e.route, e.diff))
        .collect();
    assert!(
        unused.is_empty(),
        "allowlist entries nothing matched (remove them):\n{}",
        unused.join("\n")
    );
    assert_eq!(replayed, same + allowed);
}
