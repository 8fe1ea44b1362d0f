//! Query strings and list responses: offset pages (bare array, or `{total,start,limit,<items>}` with
//! `include_totals`), checkpoint pages (`{<items>, next}` with `from`/`take`), and field selection.
//!
//! Owns pagination arithmetic and list shapes. Unfiltered offset pages slice the ordered table in
//! O(page); filtered lists scan once and count the total after filters. Must not know what the
//! records are; endpoints pass filters and views.

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::error::{ApiError, bytes_response, json_response};
use super::table::{Place, Record, Table};

/// Parsed query string (repeated keys kept).
#[derive(Debug, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Parses and rejects keys outside `allowed` (Auth0: "Additional properties not allowed").
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<QueryParams, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| ApiError::invalid_query(format!("'{e}'.")))?;
        let unknown: Vec<&str> = pairs
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !allowed.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(ApiError::invalid_query(format!(
                "'Additional properties not allowed: {}'.",
                unknown.join(",")
            )));
        }
        Ok(QueryParams { pairs })
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, comma lists split.
    pub fn list(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A `true`/`false` parameter.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_query(format!(
                "'Expected type boolean but found type string' on property {key}."
            ))),
        }
    }

    /// An integer parameter in `min..=max`.
    pub fn int(&self, key: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        let Some(text) = self.get(key) else {
            return Ok(None);
        };
        let value: i64 = text.parse().map_err(|_| {
            ApiError::invalid_query(format!(
                "'Expected type integer but found type string' on property {key}."
            ))
        })?;
        if value < min as i64 {
            return Err(ApiError::invalid_query(format!(
                "'Value {value} is less than minimum {min}' on property {key}."
            )));
        }
        if value > max as i64 {
            return Err(ApiError::invalid_query(format!(
                "'Value {value} is greater than maximum {max}' on property {key}."
            )));
        }
        Ok(Some(value as u64))
    }
}

/// Which page to return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "each variant's doc names its fields")]
pub enum Page {
    /// `page`/`per_page`, with or without totals.
    Offset {
        page: usize,
        per_page: usize,
        totals: bool,
    },
    /// `from`/`take`: start at the place `from` in the table's order.
    Checkpoint { from: Place, take: usize },
}

impl Page {
    /// Reads `page`, `per_page` (at least `min_per_page`: 0 on `/clients`, 1 on `/client-grants`
    /// and `/resource-servers`, as Auth0's OpenAPI document says), `include_totals`, and (when
    /// allowed) `from`/`take`; `take` or `from` switch to checkpoint mode even when
    /// `include_totals` is also sent.
    pub fn from_query(
        q: &QueryParams,
        checkpoint: bool,
        min_per_page: u64,
    ) -> Result<Page, ApiError> {
        if checkpoint && (q.get("take").is_some() || q.get("from").is_some()) {
            let take = q.int("take", 1, 100)?.unwrap_or(50) as usize;
            let from = match q.get("from") {
                Some(cursor) if !cursor.is_empty() => decode_cursor(cursor)?,
                _ => Place {
                    flagged: false,
                    seq: 0,
                    id: String::new(),
                },
            };
            return Ok(Page::Checkpoint { from, take });
        }
        Ok(Page::Offset {
            page: q.int("page", 0, 1_000_000)?.unwrap_or(0) as usize,
            per_page: q.int("per_page", min_per_page, 100)?.unwrap_or(50) as usize,
            totals: q.bool("include_totals")?.unwrap_or(false),
        })
    }
}

/// A cursor names the place of the next record: `at:{flagged}:{seq}:{id}`, base64url.
fn encode_cursor(place: &Place) -> String {
    let flagged = u8::from(place.flagged);
    URL_SAFE_NO_PAD.encode(format!("at:{flagged}:{}:{}", place.seq, place.id))
}

fn decode_cursor(cursor: &str) -> Result<Place, ApiError> {
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    text.as_deref()
        .and_then(|s| s.strip_prefix("at:"))
        .and_then(|s| {
            let mut parts = s.splitn(3, ':');
            let flagged = match parts.next()? {
                "0" => false,
                "1" => true,
                _ => return None,
            };
            let seq = parts.next()?.parse().ok()?;
            let id = parts.next()?.to_string();
            Some(Place { flagged, seq, id })
        })
        .ok_or_else(|| ApiError::invalid_query("'Invalid value for from' on property from."))
}

/// `fields` + `include_fields` selection.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    names: Vec<String>,
    include: bool,
}

impl Fields {
    /// From the query (`None` when `fields` is absent).
    pub fn from_query(q: &QueryParams) -> Result<Option<Fields>, ApiError> {
        let names: Vec<String> = q.list("fields").into_iter().map(str::to_string).collect();
        let include = q.bool("include_fields")?.unwrap_or(true);
        Ok((!names.is_empty()).then_some(Fields { names, include }))
    }

    /// `key` is asked for by name (`include_fields` true), not merely left unexcluded.
    pub fn requests(&self, key: &str) -> bool {
        self.include && self.names.iter().any(|n| n == key)
    }

    fn keeps(&self, key: &str) -> bool {
        self.names.iter().any(|n| n == key) == self.include
    }
}

/// How a record is shown: optional field selection, hidden keys, or a whitelist.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The record.
    pub obj: &'a Map<String, Value>,
    /// `fields`/`include_fields`.
    pub fields: Option<&'a Fields>,
    /// Keys never shown (secrets without the scope for them).
    pub hidden: &'a [&'a str],
    /// Only these keys (summary views).
    pub only: Option<&'a [&'a str]>,
}

impl View<'_> {
    /// The whole object: no selection, nothing hidden (write responses, grants).
    pub fn whole(obj: &Map<String, Value>) -> View<'_> {
        View {
            obj,
            fields: None,
            hidden: &[],
            only: None,
        }
    }
}

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keep = |k: &str| {
            !self.hidden.contains(&k)
                && self.only.is_none_or(|only| only.contains(&k))
                && self.fields.is_none_or(|f| f.keeps(k))
        };
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.obj.iter().filter(|(k, _)| keep(k)) {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

struct Items<'s, 'a, F>(&'s [&'a Record], &'s F);

impl<'a, F: Fn(&'a Record) -> View<'a>> Serialize for Items<'_, 'a, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(&(self.1)(r))?;
        }
        seq.end()
    }
}

/// A view factory for list responses.
pub fn viewer<'a>(
    fields: Option<&'a Fields>,
    hidden: &'a [&'a str],
    only: Option<&'a [&'a str]>,
) -> impl Fn(&'a Record) -> View<'a> {
    move |r| View {
        obj: &r.obj,
        fields,
        hidden,
        only,
    }
}

/// One record as a 200 response.
pub fn one(view: View<'_>) -> Response {
    json_response(StatusCode::OK, &view)
}

/// The list response for `page` over `table` (optionally filtered), in the shape Auth0 uses.
pub fn respond<'a>(
    table: &'a Table,
    filter: Option<&dyn Fn(&Record) -> bool>,
    page: Page,
    collection: &str,
    view: impl Fn(&'a Record) -> View<'a>,
) -> Response {
    let all = table.all();
    let matches = |r: &Record| filter.is_none_or(|f| f(r));
    let result = match page {
        Page::Offset {
            page,
            per_page,
            totals,
        } => {
            let start = page.saturating_mul(per_page);
            let (items, total): (Vec<&Record>, usize) = match filter {
                None => {
                    let lo = start.min(all.len());
                    let hi = start.saturating_add(per_page).min(all.len());
                    (all[lo..hi].iter().collect(), all.len())
                }
                Some(_) => {
                    let mut total = 0;
                    let mut items = Vec::with_capacity(per_page.min(100));
                    for r in all.iter().filter(|r| matches(r)) {
                        if total >= start && items.len() < per_page {
                            items.push(r);
                        }
                        total += 1;
                    }
                    (items, total)
                }
            };
            let items_ser = Items(&items, &view);
            if totals {
                let mut out = Vec::with_capacity(256 * items.len() + 64);
                let mut ser = serde_json::Serializer::new(&mut out);
                let r = (|| {
                    let mut map = ser.serialize_map(Some(4))?;
                    map.serialize_entry("total", &total)?;
                    map.serialize_entry("start", &start)?;
                    map.serialize_entry("limit", &per_page)?;
                    map.serialize_entry(collection, &items_ser)?;
                    SerializeMap::end(map)
                })();
                r.map(|_| out)
            } else {
                serde_json::to_vec(&items_ser)
            }
        }
        Page::Checkpoint { from, take } => {
            let begin = table.position(&from);
            let mut matching = all[begin..].iter().filter(|r| matches(r));
            let items: Vec<&Record> = matching.by_ref().take(take).collect();
            let next = matching.next().map(|r| encode_cursor(&table.place(r)));
            let items_ser = Items(&items, &view);
            let mut out = Vec::with_capacity(256 * items.len() + 64);
            let mut ser = serde_json::Serializer::new(&mut out);
            let r = (|| {
                let mut map = ser.serialize_map(None)?;
                map.serialize_entry(collection, &items_ser)?;
                if let Some(next) = &next {
                    map.serialize_entry("next", next)?;
                }
                SerializeMap::end(map)
            })();
            r.map(|_| out)
        }
    };
    match result {
        Ok(bytes) => bytes_response(StatusCode::OK, bytes),
        Err(e) => axum::response::IntoResponse::into_response(ApiError::internal(e.to_string())),
    }
}
