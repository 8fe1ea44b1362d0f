//! Reading a whole tenant in the floor number of requests.
//!
//! Owns the list calls: `per_page=100&include_totals=true`, the first page of clients,
//! client grants and resource servers in parallel, then every remaining page concurrently once
//! each total is known, so a read costs ⌈clients/100⌉ + ⌈grants/100⌉ + ⌈APIs/100⌉ requests
//! (an empty list still costs one). Clients are read with `fields=` so no secret is ever fetched.
//!
//! Offset pages can shift if the tenant changes during the read (an object created or deleted
//! before a page moves later objects across page boundaries). Each collection is therefore
//! checked: every page must report the same `total`, and the ids read must be unique and exactly
//! `total` many. If not, the collection is read once more; a second inconsistent read is an
//! [`Error::UnstableRead`] rather than a plan built on a torn view. The one exception to "must not
//! interpret the objects": [`Client::read_state`] drops the apply lease (`urn:m2mctl:lease:*`,
//! m2mctl's lock) from the APIs, so that nothing downstream (plan, export) ever sees it.

use std::collections::HashSet;

use futures::future::try_join_all;
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::Client;
use super::error::{Error, Result};
use super::http::{Request, redact_serde};
use crate::model::{RemoteApi, RemoteClient, RemoteGrant, RemoteState, is_lease};

/// Page size of every list call (Auth0's maximum).
pub(super) const PER_PAGE: usize = 100;

/// Client fields m2mctl reads (never `client_secret`).
pub(super) use crate::auth0::CLIENT_FIELDS;

/// The largest `total` a list may report: 1000 pages. Above it the answer is not a tenant's
/// (Auth0 caps clients, grants and APIs far lower) and reading it would never end.
pub(super) const MAX_TOTAL: u64 = 100_000;

/// Number of pages for `total` objects (at least one request, even for an empty list).
pub(super) fn page_count(total: usize) -> usize {
    total.div_ceil(PER_PAGE).max(1)
}

/// The floor number of requests for a full read of a tenant with these counts.
pub fn floor_requests(clients: usize, grants: usize, apis: usize) -> usize {
    page_count(clients) + page_count(grants) + page_count(apis)
}

/// One list endpoint.
pub(super) struct Collection {
    /// JSON key of the items, also the collection's name in errors.
    key: &'static str,
    path: &'static str,
    fields: Option<&'static str>,
}

impl Collection {
    /// The clients, with the fields this token may read ([`crate::auth0::client_fields`]).
    fn clients(scopes: &std::collections::BTreeSet<String>) -> Collection {
        Collection {
            fields: Some(crate::auth0::client_fields(
                scopes.iter().map(String::as_str),
            )),
            ..CLIENTS
        }
    }
}

const CLIENTS: Collection = Collection {
    key: "clients",
    path: "/api/v2/clients",
    fields: Some(CLIENT_FIELDS),
};
pub(super) const GRANTS: Collection = Collection {
    key: "client_grants",
    path: "/api/v2/client-grants",
    fields: None,
};
const APIS: Collection = Collection {
    key: "resource_servers",
    path: "/api/v2/resource-servers",
    fields: None,
};

/// An object with a unique id in its collection.
pub(super) trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for RemoteClient {
    fn key(&self) -> &str {
        &self.client_id
    }
}

impl Keyed for RemoteGrant {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for RemoteApi {
    fn key(&self) -> &str {
        &self.id
    }
}

/// One page with its reported total.
struct Page<T> {
    total: usize,
    items: Vec<T>,
}

/// Checks pages of one read: same total everywhere, unique ids, `total` of them.
fn check_consistent<T: Keyed>(pages: &[Page<T>]) -> std::result::Result<(), String> {
    let total = pages.first().map_or(0, |p| p.total);
    if let Some(p) = pages.iter().find(|p| p.total != total) {
        return Err(format!("the total went from {total} to {}", p.total));
    }
    let mut seen = HashSet::new();
    for item in pages.iter().flat_map(|p| &p.items) {
        if !seen.insert(item.key()) {
            return Err(format!("`{}` appeared twice", item.key()));
        }
    }
    if seen.len() != total {
        return Err(format!("{} objects read, {total} expected", seen.len()));
    }
    Ok(())
}

impl Client {
    /// Reads all clients (without secrets), client grants and resource servers.
    pub async fn read_state(&self) -> Result<RemoteState> {
        let state = self.read_once().await?;
        if self.renew_if_stale(&state.grants).await? {
            // the fields read depend on the scopes: read again with the new token
            return self.read_once().await;
        }
        Ok(state)
    }

    async fn read_once(&self) -> Result<RemoteState> {
        let clients = Collection::clients(&self.scopes());
        let (clients, grants, apis) = futures::try_join!(
            self.read_all::<RemoteClient>(&clients, &[]),
            self.read_all::<RemoteGrant>(&GRANTS, &[]),
            self.read_all::<RemoteApi>(&APIS, &[]),
        )?;
        // An apply lease is m2mctl's lock, not the user's API: never planned, pruned or exported.
        let apis = apis
            .into_iter()
            .filter(|a| !is_lease(&a.identifier))
            .collect();
        Ok(RemoteState {
            clients,
            grants,
            apis,
        })
    }

    /// All clients (without secrets), e.g. for apply's recovery lookups by marker.
    pub async fn list_clients(&self) -> Result<Vec<RemoteClient>> {
        self.read_all(&Collection::clients(&self.scopes()), &[])
            .await
    }

    pub(super) async fn read_all<T: DeserializeOwned + Keyed>(
        &self,
        c: &Collection,
        filter: &[(&'static str, &str)],
    ) -> Result<Vec<T>> {
        let mut problem = String::new();
        for round in 0..2 {
            let first: Page<T> = self.page(c, filter, 0).await?;
            let rest =
                try_join_all((1..page_count(first.total)).map(|p| self.page(c, filter, p))).await?;
            let mut pages = Vec::with_capacity(rest.len() + 1);
            pages.push(first);
            pages.extend(rest);
            match check_consistent(&pages) {
                Ok(()) => return Ok(pages.into_iter().flat_map(|p| p.items).collect()),
                Err(why) => {
                    tracing::warn!(
                        collection = c.key,
                        round,
                        "tenant changed during the read ({why}); reading again"
                    );
                    problem = why;
                }
            }
        }
        Err(Error::UnstableRead {
            collection: c.key,
            detail: problem,
        })
    }

    async fn page<T: DeserializeOwned>(
        &self,
        c: &Collection,
        filter: &[(&'static str, &str)],
        page: usize,
    ) -> Result<Page<T>> {
        let page_str = page.to_string();
        let per_page = PER_PAGE.to_string();
        let mut query = vec![
            ("page", page_str.as_str()),
            ("per_page", per_page.as_str()),
            ("include_totals", "true"),
        ];
        if let Some(fields) = c.fields {
            query.extend([("fields", fields), ("include_fields", "true")]);
        }
        query.extend_from_slice(filter);
        let req = Request::management(Method::GET, c.path, c.path.to_string()).query(&query);
        let reply = self.http.send(req).await?;
        let mut body: serde_json::Map<String, serde_json::Value> = reply.json()?;
        let total = body
            .get("total")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| Error::Unexpected {
                method: "GET",
                path: c.path,
                status: 200,
                reason: "the list has no `total` (include_totals was ignored)".into(),
            })?;
        if total > MAX_TOTAL {
            return Err(Error::Unexpected {
                method: "GET",
                path: c.path,
                status: 200,
                reason: format!(
                    "the list reports {total} objects, more than the {MAX_TOTAL} m2mctl reads"
                ),
            });
        }
        let items = body
            .remove(c.key)
            .unwrap_or(serde_json::Value::Array(Vec::new()));
        let items = serde_json::from_value(items).map_err(|e| Error::Unexpected {
            method: "GET",
            path: c.path,
            status: 200,
            reason: format!("`{}`: {}", c.key, redact_serde(&e)),
        })?;
        Ok(Page {
            total: total as usize,
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Item(&'static str);
    impl Keyed for Item {
        fn key(&self) -> &str {
            self.0
        }
    }

    fn page(total: usize, ids: &[&'static str]) -> Page<Item> {
        Page {
            total,
            items: ids.iter().map(|i| Item(i)).collect(),
        }
    }

    #[test]
    fn page_planning_table() {
        let cases = [
            (0, 1),
            (1, 1),
            (99, 1),
            (100, 1),
            (101, 2),
            (250, 3),
            (1000, 10),
            (5000, 50),
        ];
        for (total, pages) in cases {
            assert_eq!(page_count(total), pages, "{total}");
        }
        assert_eq!(floor_requests(250, 250, 3), 7);
        assert_eq!(floor_requests(5000, 5000, 20), 101);
        assert_eq!(floor_requests(0, 0, 1), 3);
    }

    #[test]
    fn consistency_detects_shifted_pages() {
        assert!(check_consistent(&[page(3, &["a", "b"]), page(3, &["c"])]).is_ok());
        assert!(check_consistent::<Item>(&[page(0, &[])]).is_ok());
        let cases = [
            (
                vec![page(3, &["a", "b"]), page(4, &["c"])],
                "total went from 3 to 4",
            ),
            (
                vec![page(3, &["a", "b"]), page(3, &["b", "c"])],
                "`b` appeared twice",
            ),
            (
                vec![page(3, &["a", "b"]), page(3, &[])],
                "2 objects read, 3 expected",
            ),
        ];
        for (pages, needle) in cases {
            let err = check_consistent(&pages).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn client_fields_never_include_secrets() {
        assert!(!CLIENT_FIELDS.contains("secret"));
        assert!(!crate::auth0::CLIENT_FIELDS_WITH_METHODS.contains("secret"));
        assert!(CLIENT_FIELDS.split(',').any(|f| f == "client_metadata"));
    }
}
