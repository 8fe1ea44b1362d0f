//! Idempotent creates: a create whose response was lost is never blindly repeated.
//!
//! Owns the create-with-recovery loops. When a `POST` ends with "outcome unknown" (5xx, reset,
//! timeout after sending) — or, for grants and APIs, with a 409 — the object is looked up by its
//! natural key: a client by its ownership marker (a fresh list of clients, shared by concurrent
//! recoveries), a grant by client and audience, an API by identifier. If it exists, it counts as
//! created, and fields that differ from the planned body are patched; if not, the create did not
//! happen and is sent again (at most [`MAX_CREATES`] times). Updates and deletes need none of
//! this: the tenant client retries them safely. Must not decide what to create.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};
use tokio::sync::Mutex;

use crate::auth0::field;
use crate::model::{MARKER_KEY, RemoteClient};
use crate::tenant::{self, Client};

/// Attempts of one create before giving up (each after a lookup found nothing).
pub const MAX_CREATES: u32 = 3;

/// A created (or found) object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Its tenant id.
    pub id: String,
    /// Found by a lookup after a lost response or a 409, not from the create's response.
    pub recovered: bool,
    /// For a client: `kid` → id of the credentials it lists (keys sent with its create).
    pub credentials: BTreeMap<String, String>,
}

/// A list of all clients, refreshed at most once for any number of concurrent recoveries.
#[derive(Debug, Default)]
pub struct ClientIndex {
    latest: Mutex<Option<(Instant, Arc<Vec<RemoteClient>>)>>,
}

impl ClientIndex {
    /// All clients, as listed by a read that started after `since`.
    async fn after(
        &self,
        client: &Client,
        since: Instant,
    ) -> tenant::Result<Arc<Vec<RemoteClient>>> {
        let mut latest = self.latest.lock().await;
        if let Some((at, list)) = latest.as_ref()
            && *at >= since
        {
            return Ok(Arc::clone(list));
        }
        let started = Instant::now();
        let list = Arc::new(client.list_clients().await?);
        *latest = Some((started, Arc::clone(&list)));
        Ok(list)
    }
}

/// True when a create failed in a way that calls for a lookup (`conflict_too`: a 409 as well).
fn unknown(err: &tenant::Error, conflict_too: bool) -> bool {
    match err {
        tenant::Error::OutcomeUnknown { .. } => true,
        tenant::Error::Api { status: 409, .. } => conflict_too,
        _ => false,
    }
}

/// `POST /clients` with recovery by `marker`, the ownership marker `body` gives the client.
pub async fn create_client(
    client: &Client,
    index: &ClientIndex,
    marker: &str,
    body: &Value,
) -> tenant::Result<Created> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match client.create_client(body).await {
            Ok(c) => {
                return Ok(Created {
                    credentials: super::inline::registered(&c),
                    ..fresh(c.client_id)
                });
            }
            Err(err) => err,
        };
        // A lost response means the write already happened: a list started from now on sees it.
        let failed_at = Instant::now();
        if !unknown(&err, false) {
            return Err(err);
        }
        tracing::info!(%marker, "client create outcome unknown ({err}); looking it up");
        let list = index.after(client, failed_at).await?;
        // Only a client m2mctl may own counts: a marker copied onto the global client or a
        // non-M2M application must never be taken for the lost create.
        let found = list.iter().find(|c| {
            c.client_metadata.get(MARKER_KEY).map(String::as_str) == Some(marker)
                && c.unownable().is_none()
        });
        if let Some(existing) = found {
            // Keys sent with the create came with it (the PEMs are never read back to compare).
            let patch = differing(
                body,
                &to_value(existing),
                &["client_authentication_methods"],
            );
            if !patch.is_empty() {
                client
                    .update_client(&existing.client_id, &Value::Object(patch))
                    .await?;
            }
            return Ok(Created {
                credentials: super::inline::registered(existing),
                ..recovered(existing.client_id.clone())
            });
        }
        if attempt >= MAX_CREATES {
            return Err(err);
        }
    }
}

/// `POST /client-grants` of `body` with recovery by (client, audience), the grant's natural key.
pub async fn create_grant(
    client: &Client,
    client_id: &str,
    audience: &str,
    body: &Value,
) -> tenant::Result<Created> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match client.create_grant(body).await {
            Ok(g) => return Ok(fresh(g.id)),
            Err(err) if unknown(&err, true) => err,
            Err(err) => return Err(err),
        };
        tracing::info!(client_id, audience, "grant create: {err}; looking it up");
        if let Some(existing) = client.find_grant(client_id, audience).await? {
            let patch = differing(body, &to_value(&existing), field::GRANT_KEY);
            if !patch.is_empty() {
                client
                    .update_grant(&existing.id, &Value::Object(patch))
                    .await?;
            }
            return Ok(recovered(existing.id));
        }
        if attempt >= MAX_CREATES {
            return Err(err);
        }
    }
}

/// `POST /resource-servers` with recovery by identifier.
pub async fn create_api(
    client: &Client,
    identifier: &str,
    body: &Value,
) -> tenant::Result<Created> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match client.create_api(body).await {
            Ok(api) => return Ok(fresh(api.id)),
            Err(err) if unknown(&err, true) => err,
            Err(err) => return Err(err),
        };
        tracing::info!(identifier, "API create: {err}; looking it up");
        if let Some(existing) = client.get_api(identifier).await? {
            let patch = differing(body, &to_value(&existing), field::API_KEY);
            if !patch.is_empty() {
                client
                    .update_api(&existing.id, &Value::Object(patch))
                    .await?;
            }
            return Ok(recovered(existing.id));
        }
        if attempt >= MAX_CREATES {
            return Err(err);
        }
    }
}

fn fresh(id: String) -> Created {
    Created {
        id,
        recovered: false,
        credentials: BTreeMap::new(),
    }
}

fn recovered(id: String) -> Created {
    Created {
        id,
        recovered: true,
        credentials: BTreeMap::new(),
    }
}

fn to_value<T: serde::Serialize>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// The fields of `body` whose value differs from `existing`, as a PATCH body: arrays compare as
/// sets, `client_metadata` key by key (a `null` in `body` differs only from a present key).
/// Keys in `skip` are never patched.
pub fn differing(body: &Value, existing: &Value, skip: &[&str]) -> Map<String, Value> {
    let mut patch = Map::new();
    let Some(fields) = body.as_object() else {
        return patch;
    };
    for (key, want) in fields {
        if skip.contains(&key.as_str()) {
            continue;
        }
        let have = existing.get(key).unwrap_or(&Value::Null);
        if key == field::CLIENT_METADATA {
            let mut meta = Map::new();
            for (k, v) in want.as_object().into_iter().flatten() {
                let current = have.get(k).unwrap_or(&Value::Null);
                if current != v {
                    meta.insert(k.clone(), v.clone());
                }
            }
            if !meta.is_empty() {
                patch.insert(key.clone(), Value::Object(meta));
            }
        } else if !same_set(want, have) {
            patch.insert(key.clone(), want.clone());
        }
    }
    patch
}

/// Equality, with arrays compared as sets of their elements.
fn same_set(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            let canon = |items: &[Value]| {
                let mut v: Vec<String> = items.iter().map(Value::to_string).collect();
                v.sort();
                v.dedup();
                v
            };
            canon(x) == canon(y)
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn differing_fields_table() {
        let cases = [
            // same object: nothing to patch
            (
                json!({"name": "a", "grant_types": ["x", "y"]}),
                json!({"name": "a", "grant_types": ["y", "x"]}),
                json!({}),
            ),
            // a changed scalar, a missing field
            (
                json!({"name": "b", "description": "d"}),
                json!({"name": "a"}),
                json!({"name": "b", "description": "d"}),
            ),
            // metadata key by key; null only when present
            (
                json!({"client_metadata": {"m2mctl": "p:k", "team": "t", "old": null, "gone": null}}),
                json!({"client_metadata": {"m2mctl": "p:k", "team": "x", "old": "1"}}),
                json!({"client_metadata": {"team": "t", "old": null}}),
            ),
            // API scopes as a set of objects
            (
                json!({"scopes": [{"value": "a", "description": ""}, {"value": "b", "description": "B"}]}),
                json!({"scopes": [{"value": "b", "description": "B"}, {"value": "a", "description": ""}]}),
                json!({}),
            ),
            (
                json!({"scopes": [{"value": "a", "description": "new"}], "token_lifetime": 60}),
                json!({"scopes": [{"value": "a", "description": "old"}], "token_lifetime": 60}),
                json!({"scopes": [{"value": "a", "description": "new"}]}),
            ),
        ];
        for (body, existing, want) in cases {
            let got = Value::Object(differing(&body, &existing, &[]));
            assert_eq!(got, want, "{body} vs {existing}");
        }
        let got = differing(
            &json!({"identifier": "x", "name": "n"}),
            &json!({"name": "m"}),
            &["identifier"],
        );
        assert_eq!(Value::Object(got), json!({"name": "n"}));
    }

    #[test]
    fn lookups_follow_lost_responses_and_conflicts_only() {
        let lost = tenant::Error::OutcomeUnknown {
            method: "POST",
            path: "/api/v2/clients",
            reason: "status 500".into(),
        };
        let api = |status| tenant::Error::Api {
            method: "POST",
            path: "/api/v2/client-grants",
            status,
            message: "m".into(),
            error_code: None,
            help: None,
        };
        assert!(unknown(&lost, false));
        assert!(unknown(&api(409), true));
        assert!(!unknown(&api(409), false));
        assert!(!unknown(&api(400), true));
    }
}
