//! Token-lifetime folding: an application's `token_lifetime` applies to every API it is granted.
//!
//! In Auth0 the lifetime is a property of the API, not of the client, so each API gets at most
//! one lifetime: from its own entry and from every application granted it. Different values are
//! one finding naming every source. An application lifetime reaching an `external` API is an
//! error (m2mctl does not change APIs it does not manage). Pure: no I/O.

use std::collections::HashMap;
use std::ops::Range;

use super::apps::Resolved;
use super::diagnostics::Finding;
use super::model::{ApiConfig, MAX_TOKEN_LIFETIME};
use super::validate::Checker;
use crate::model::ApiRef;

/// Labels shown for one conflict (the message gives the full count).
const MAX_LABELS: usize = 8;

/// The lifetime each API ends up with.
#[derive(Debug, Default)]
pub(crate) struct Folded<'f> {
    /// By API identifier.
    pub apis: HashMap<&'f str, u32>,
    /// For the Management API.
    pub management: Option<u32>,
}

/// One place that asks for a lifetime.
struct Source {
    value: u32,
    at: Range<usize>,
    who: String,
}

/// Folds API-entry and application lifetimes per API; conflicts become findings.
pub(crate) fn fold<'f>(
    apis: &'f [ApiConfig],
    resolved: &[Resolved<'_>],
    c: &mut Checker<'_>,
) -> Folded<'f> {
    let mut sources: HashMap<ApiRef, Vec<Source>> = HashMap::new();
    let mut order: Vec<ApiRef> = Vec::new();
    let mut add = |api: ApiRef, source: Source| {
        let list = sources.entry(api.clone()).or_default();
        if list.is_empty() {
            order.push(api);
        }
        list.push(source);
    };
    for api in apis {
        let Some(lifetime) = &api.token_lifetime else {
            continue;
        };
        if let Ok(value) = u32::try_from(lifetime.value).map_err(drop).and_then(|v| {
            (1..=MAX_TOKEN_LIFETIME)
                .contains(&lifetime.value)
                .then_some(v)
                .ok_or(())
        }) {
            add(
                ApiRef::Identifier(api.identifier.value.clone()),
                Source {
                    value,
                    at: c.at(lifetime),
                    who: "the API entry".to_string(),
                },
            );
        }
    }
    for r in resolved {
        let (Some(value), Some(spanned)) = (r.app.token_lifetime, &r.cfg.token_lifetime) else {
            continue;
        };
        let at = c.at(spanned);
        for (api, api_at, external) in &r.targets {
            if *external {
                let ApiRef::Identifier(id) = api else {
                    continue;
                };
                c.push(
                    Finding::new(
                        "config::lifetime_on_external_api",
                        format!("`token_lifetime` of `{}` would apply to external API `{id}`", r.app.name),
                    )
                    .label(at.clone(), "applies to every API this application is granted")
                    .label(api_at.clone(), "external: m2mctl does not change it")
                    .help("set `token_lifetime` on the API entries m2mctl manages instead, or remove it from this application"),
                );
                continue;
            }
            add(
                api.clone(),
                Source {
                    value,
                    at: at.clone(),
                    who: format!("application `{}`", r.app.name),
                },
            );
        }
    }
    let ids: HashMap<&str, &'f str> = apis
        .iter()
        .map(|a| (a.identifier.value.as_str(), a.identifier.value.as_str()))
        .collect();
    let mut folded = Folded::default();
    for api in order {
        let list = &sources[&api];
        let first = list[0].value;
        if list.iter().all(|s| s.value == first) {
            match &api {
                ApiRef::Management => folded.management = Some(first),
                ApiRef::Identifier(id) => {
                    if let Some(id) = ids.get(id.as_str()) {
                        folded.apis.insert(id, first);
                    }
                }
            }
            continue;
        }
        c.push(conflict(&api, list));
    }
    folded
}

/// One finding for every source of a conflicting lifetime.
fn conflict(api: &ApiRef, list: &[Source]) -> Finding {
    let name = match api {
        ApiRef::Management => "management".to_string(),
        ApiRef::Identifier(id) => id.clone(),
    };
    let mut values: Vec<u32> = list.iter().map(|s| s.value).collect();
    values.sort_unstable();
    values.dedup();
    let values: Vec<String> = values.iter().map(u32::to_string).collect();
    let mut message = format!(
        "conflicting token lifetimes for API `{name}`: {} from {} sources",
        values.join(", "),
        list.len()
    );
    if list.len() > MAX_LABELS {
        message.push_str(&format!(" (first {MAX_LABELS} shown)"));
    }
    let mut finding = Finding::new("config::lifetime_conflict", message).help(
        "a token lifetime belongs to the API in Auth0, so every application granted it gets the same one; make them equal or keep one",
    );
    for s in list.iter().take(MAX_LABELS) {
        finding = finding.label(s.at.clone(), format!("{} from {}", s.value, s.who));
    }
    finding
}
