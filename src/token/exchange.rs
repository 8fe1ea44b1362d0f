//! Serving tokens for pairs: cache hits first, then one secret read per application and one
//! client-credentials exchange per remaining pair, run concurrently.
//!
//! Owns the order of work and the cache bookkeeping. The tenant is reached through the [`Fetch`]
//! port (implemented over the Management API client by the command), so the rules here — no
//! request on a cache hit, one secret per application, not per pair — are unit-tested. Must not
//! log a token or secret: logs name apps, audiences and sources only.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures::{StreamExt, TryStreamExt, stream};

use super::cache::{Cache, Entry, Key};
use super::{Issued, Pair, Source, TokenError};
use crate::tenant::Secret;

/// How many secret reads or token requests run at once (the tenant client's governor still
/// paces them).
pub const CONCURRENCY: usize = 8;

/// A token fresh from `/oauth/token`.
#[derive(Debug, Clone)]
pub struct Fresh {
    /// The token.
    pub access_token: Secret,
    /// The granted scopes from the response (empty when Auth0 sent no `scope`).
    pub scopes: BTreeSet<String>,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// What serving tokens needs from a tenant.
pub trait Fetch {
    /// What a token request needs from the application (its secret; redacted in `Debug`).
    type Keys;
    /// Reads the client secret of the pair's application.
    fn secret(&self, pair: &Pair) -> impl Future<Output = Result<Self::Keys, TokenError>>;
    /// Exchanges the secret for a token for the pair's audience.
    fn token(
        &self,
        pair: &Pair,
        keys: &Self::Keys,
    ) -> impl Future<Output = Result<Fresh, TokenError>>;
}

/// The tenant domain, for cache keys.
fn key(domain: &str, pair: &Pair) -> Key {
    Key {
        domain: domain.to_string(),
        client_id: pair.client_id.clone(),
        audience: pair.audience.clone(),
        organization: pair.organization.clone(),
    }
}

/// Whether cached tokens may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Serve a cached token when it has the declared scopes and over a minute left.
    Cached,
    /// Always ask the tenant (`--verify`: check what it issues now); still refresh the cache.
    Fresh,
}

/// Serves every pair, in order: from `cache` when `reuse` allows and it holds a token with the
/// scopes the tenant grants now and over a minute left, else from the tenant (new tokens go into
/// `cache`). Keyed by the granted scopes, not the declared ones: while a config change is not
/// applied, the tenant issues the granted scopes, and a lookup by the declared ones would miss
/// on every run and spend the tenant's token quota.
pub async fn serve<F: Fetch>(
    fetch: &F,
    pairs: Vec<Pair>,
    mut cache: Option<&mut Cache>,
    reuse: Reuse,
    domain: &str,
    now: i64,
) -> Result<Vec<Issued>, TokenError> {
    let mut served: Vec<Option<Issued>> = Vec::with_capacity(pairs.len());
    let mut todo: Vec<usize> = Vec::new();
    for (index, pair) in pairs.iter().enumerate() {
        let hit = cache
            .as_deref()
            .filter(|_| reuse == Reuse::Cached)
            .and_then(|c| c.lookup(&key(domain, pair), &pair.tenant_scopes, now));
        match hit {
            Some(entry) => {
                tracing::info!(app = %pair.app_key, api = %pair.api_label(), "token from the cache");
                served.push(Some(Issued {
                    pair: pair.clone(),
                    access_token: entry.access_token.clone(),
                    scopes: entry.scopes.clone(),
                    expires_at: entry.expires_at,
                    source: Source::Cache,
                }));
            }
            None => {
                served.push(None);
                todo.push(index);
            }
        }
    }

    // One secret per application (by client id), not per pair.
    let mut first_pair: BTreeMap<&str, &Pair> = BTreeMap::new();
    for &i in &todo {
        first_pair
            .entry(pairs[i].client_id.as_str())
            .or_insert(&pairs[i]);
    }
    let secrets: BTreeMap<&str, F::Keys> = stream::iter(first_pair)
        .map(|(client_id, pair)| async move { Ok((client_id, fetch.secret(pair).await?)) })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;

    let fresh: Vec<(usize, Fresh)> = stream::iter(todo)
        .map(|i| {
            let pair = &pairs[i];
            let secret = &secrets[pair.client_id.as_str()];
            async move {
                let fresh = fetch.token(pair, secret).await?;
                tracing::info!(app = %pair.app_key, api = %pair.api_label(), "new token");
                Ok::<_, TokenError>((i, fresh))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;

    for (i, fresh) in fresh {
        let pair = &pairs[i];
        let scopes = fresh.scopes;
        let expires_at = now.saturating_add(i64::try_from(fresh.expires_in).unwrap_or(i64::MAX));
        if let Some(cache) = cache.as_deref_mut() {
            cache.insert(Entry {
                key: key(domain, pair),
                access_token: fresh.access_token.clone(),
                scopes: scopes.clone(),
                expires_at,
            });
        }
        served[i] = Some(Issued {
            pair: pair.clone(),
            access_token: fresh.access_token,
            scopes,
            expires_at,
            source: Source::New,
        });
    }
    Ok(served.into_iter().flatten().collect())
}

#[cfg(test)]
#[path = "exchange_tests.rs"]
mod tests;
