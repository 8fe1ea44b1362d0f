//! Auth0's two pagination styles, followed to the end for `m2mctl api --paginate`:
//!
//! - offset: `page` (0-based) and `per_page` (at most 100) with `include_totals=true`, answered
//!   as `{start, limit, length, total, <items>: [...]}` (or a bare array without totals);
//! - checkpoint: `from` and `take` (at most 100), answered as `{<items>: [...], next}`; used when
//!   the request names `from` or `take`.
//!
//! [`Pager`] rewrites the query for each page and collects the items into one array. Pure.

use serde_json::Value;

/// Largest page Auth0 serves.
pub const MAX_PAGE: u64 = 100;
/// A bound on pages, against a server that never stops (100 × 100,000 items).
pub const MAX_PAGES: u32 = 100_000;

/// Why paging stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// A page is neither an array nor an object holding one.
    #[error("page {page} holds no array of items; `--paginate` only follows list endpoints")]
    #[diagnostic(code(api::paginate), help("drop `--paginate` for this endpoint"))]
    NotAList {
        /// 0-based page number.
        page: u32,
    },
    /// The server repeated a checkpoint or never stopped.
    #[error("pagination does not end (page {page})")]
    #[diagnostic(
        code(api::paginate_loop),
        help("drop `--paginate` and page by hand with `from`")
    )]
    Endless {
        /// 0-based page number.
        page: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Offset { page: u64, per_page: u64 },
    Checkpoint { from: Option<String>, take: u64 },
}

/// Follows the pages of one list request.
#[derive(Debug)]
pub struct Pager {
    path: String,
    fixed: Vec<(String, String)>,
    mode: Mode,
    items: Vec<Value>,
    pages: u32,
}

impl Pager {
    /// Starts from the user's `path?query` (its `page`, `per_page`, `from`, `take` honoured).
    pub fn new(path_and_query: &str) -> Pager {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let number = |k: &str, default: u64| {
            get(k)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(default)
        };
        let mode = if get("from").is_some() || get("take").is_some() {
            Mode::Checkpoint {
                from: get("from"),
                take: number("take", MAX_PAGE).clamp(1, MAX_PAGE),
            }
        } else {
            Mode::Offset {
                page: number("page", 0),
                per_page: number("per_page", MAX_PAGE).clamp(1, MAX_PAGE),
            }
        };
        let paging = ["page", "per_page", "include_totals", "from", "take"];
        let fixed = pairs
            .into_iter()
            .filter(|(k, _)| !paging.contains(&k.as_str()))
            .collect();
        Pager {
            path: path.to_string(),
            fixed,
            mode,
            items: Vec::new(),
            pages: 0,
        }
    }

    /// The `path?query` of the page to fetch now.
    pub fn request(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.fixed {
            query.append_pair(k, v);
        }
        match &self.mode {
            Mode::Offset { page, per_page } => {
                query.append_pair("page", &page.to_string());
                query.append_pair("per_page", &per_page.to_string());
                query.append_pair("include_totals", "true");
            }
            Mode::Checkpoint { from, take } => {
                if let Some(from) = from {
                    query.append_pair("from", from);
                }
                query.append_pair("take", &take.to_string());
            }
        }
        format!("{}?{}", self.path, query.finish())
    }

    /// Takes one page's body; true when there is another page to fetch.
    pub fn feed(&mut self, body: Value) -> Result<bool, Error> {
        let page = self.pages;
        self.pages += 1;
        let (items, total, next) = split(body).ok_or(Error::NotAList { page })?;
        let got = items.len() as u64;
        self.items.extend(items);
        if self.pages >= MAX_PAGES {
            return Err(Error::Endless { page });
        }
        match &mut self.mode {
            Mode::Offset { page, per_page } => {
                let done = got == 0
                    || got < *per_page
                    || total.is_some_and(|t| self.items.len() as u64 >= t);
                *page += 1;
                Ok(!done)
            }
            Mode::Checkpoint { from, .. } => match next {
                Some(next) if got > 0 => {
                    if from.as_deref() == Some(next.as_str()) {
                        return Err(Error::Endless { page });
                    }
                    *from = Some(next);
                    Ok(true)
                }
                _ => Ok(false),
            },
        }
    }

    /// Every item of every page, in order.
    pub fn into_items(self) -> Vec<Value> {
        self.items
    }
}

/// The items, `total` and `next` of a page: a bare array, or the one array field of an object.
fn split(body: Value) -> Option<(Vec<Value>, Option<u64>, Option<String>)> {
    match body {
        Value::Array(items) => Some((items, None, None)),
        Value::Object(mut map) => {
            let total = map.get("total").and_then(Value::as_u64);
            let next = map
                .get("next")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            let key = map
                .iter()
                .find(|(_, v)| v.is_array())
                .map(|(k, _)| k.clone())?;
            match map.remove(&key) {
                Some(Value::Array(items)) => Some((items, total, next)),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn offset_pages_run_until_the_total() {
        let mut p = Pager::new("/api/v2/clients?fields=name");
        assert_eq!(
            p.request(),
            "/api/v2/clients?fields=name&page=0&per_page=100&include_totals=true"
        );
        let page = |n: usize| json!({"start": 0, "limit": 100, "length": n, "total": 250, "clients": vec![json!({}); n]});
        assert!(p.feed(page(100)).unwrap());
        assert_eq!(
            p.request(),
            "/api/v2/clients?fields=name&page=1&per_page=100&include_totals=true"
        );
        assert!(p.feed(page(100)).unwrap());
        assert!(!p.feed(page(50)).unwrap());
        assert_eq!(p.into_items().len(), 250);
    }

    #[test]
    fn bare_arrays_stop_on_a_short_page_and_user_sizes_are_kept() {
        let mut p = Pager::new("/api/v2/roles?per_page=2&page=3");
        assert_eq!(
            p.request(),
            "/api/v2/roles?page=3&per_page=2&include_totals=true"
        );
        assert!(p.feed(json!([1, 2])).unwrap());
        assert!(!p.feed(json!([3])).unwrap());
        assert_eq!(p.into_items(), vec![json!(1), json!(2), json!(3)]);
        let mut empty = Pager::new("/api/v2/roles");
        assert!(!empty.feed(json!({"roles": [], "total": 0})).unwrap());
    }

    #[test]
    fn checkpoints_follow_next_until_it_is_gone() {
        let mut p = Pager::new("/api/v2/client-grants?take=2&audience=x");
        assert_eq!(p.request(), "/api/v2/client-grants?audience=x&take=2");
        assert!(
            p.feed(json!({"client_grants": [1, 2], "next": "abc"}))
                .unwrap()
        );
        assert_eq!(
            p.request(),
            "/api/v2/client-grants?audience=x&from=abc&take=2"
        );
        assert!(!p.feed(json!({"client_grants": [3]})).unwrap());
        assert_eq!(p.into_items().len(), 3);
    }

    #[test]
    fn a_repeated_checkpoint_or_a_non_list_is_an_error() {
        let mut p = Pager::new("/api/v2/client-grants?from=a");
        assert_eq!(
            p.feed(json!({"client_grants": [1], "next": "a"})),
            Err(Error::Endless { page: 0 })
        );
        let mut q = Pager::new("/api/v2/tenants/settings");
        assert_eq!(
            q.feed(json!({"friendly_name": "x"})),
            Err(Error::NotAList { page: 0 })
        );
    }
}
