//! `GET /api/v2/logs` and `GET /api/v2/logs/{id}` over the recorded entries, as Auth0 serves
//! them: `read:logs` (or `read:logs_users`); `q`/`search` filters; offset pages (`page`,
//! `per_page` up to 100, `sort` on any field with `:1`/`:-1`, newest first by default,
//! `include_totals` wrapping them in `{start, limit, length, total, logs}`); checkpoint pages
//! (`from` a `log_id`, `take` up to 100: the entries after it, oldest first); `fields`.
//!
//! Must not record entries (that is `logs`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::app::AppState;
use super::auth::Bearer;
use super::error::{ApiError, json_response};
use super::list::{Fields, QueryParams, View};
use super::logs_query::Query;

const READ: &[&str] = &["read:logs", "read:logs_users"];
const PARAMS: &[&str] = &[
    "page",
    "per_page",
    "sort",
    "fields",
    "include_fields",
    "include_totals",
    "from",
    "take",
    "q",
    "search",
];

fn views<'a>(entries: &'a [Map<String, Value>], fields: Option<&'a Fields>) -> Vec<View<'a>> {
    entries
        .iter()
        .map(|obj| View {
            obj,
            fields,
            hidden: &[],
            only: None,
        })
        .collect()
}

fn log_id(e: &Map<String, Value>) -> &str {
    e.get("log_id").and_then(Value::as_str).unwrap_or_default()
}

/// `sort=field:1|-1` (default `date:-1`).
fn sort(entries: &mut [Map<String, Value>], spec: Option<&str>) -> Result<(), ApiError> {
    let spec = spec.unwrap_or("date:-1");
    let (field, dir) = spec
        .rsplit_once(':')
        .filter(|(f, d)| !f.is_empty() && (*d == "1" || *d == "-1"))
        .ok_or_else(|| {
            ApiError::invalid_query(format!(
                "'String does not match pattern ^(([a-zA-Z\\-_])+:(-1|1))$: {spec}' on property sort."
            ))
        })?;
    let key = |e: &Map<String, Value>| {
        e.get(field)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .unwrap_or_default()
    };
    entries.sort_by(|a, b| (key(a), log_id(a)).cmp(&(key(b), log_id(b))));
    if dir == "-1" {
        entries.reverse();
    }
    Ok(())
}

/// `GET /api/v2/logs`.
pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    bearer.require(READ)?;
    let q = QueryParams::parse(raw.as_deref(), PARAMS)?;
    let search = q.get("q").or_else(|| q.get("search")).unwrap_or_default();
    let query = Query::parse(search)
        .map_err(|e| ApiError::invalid_query(format!("'{e}' on property q.")))?;
    let fields = Fields::from_query(&q)?;
    let mut entries = app.logs.snapshot();
    entries.retain(|e| query.matches(e));
    if q.get("from").is_some() || q.get("take").is_some() {
        let take = q.int("take", 1, 100)?.unwrap_or(50) as usize;
        if let Some(from) = q.get("from").filter(|f| !f.is_empty()) {
            entries.retain(|e| log_id(e) > from);
        }
        entries.truncate(take);
        return Ok(json_response(
            StatusCode::OK,
            &views(&entries, fields.as_ref()),
        ));
    }
    sort(&mut entries, q.get("sort"))?;
    let page = q.int("page", 0, 1_000_000)?.unwrap_or(0) as usize;
    let per_page = q.int("per_page", 0, 100)?.unwrap_or(50) as usize;
    let total = entries.len();
    let start = page.saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    let items = views(&entries[start..end], fields.as_ref());
    if q.bool("include_totals")?.unwrap_or(false) {
        let body = json!({
            "start": page.saturating_mul(per_page),
            "limit": per_page,
            "length": items.len(),
            "total": total,
            "logs": items,
        });
        return Ok(json_response(StatusCode::OK, &body));
    }
    Ok(json_response(StatusCode::OK, &items))
}

/// `GET /api/v2/logs/{id}`.
pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    bearer.require(READ)?;
    let entries = app.logs.snapshot();
    let entry = entries
        .iter()
        .find(|e| log_id(e) == id)
        .ok_or_else(|| ApiError::not_found("inexistent_log", "The log does not exist."))?;
    Ok(json_response(StatusCode::OK, entry))
}
