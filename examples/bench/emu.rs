//! The tenant under test: the in-process `m2mctl::emulator` served over TLS (the deploy CLI needs
//! HTTPS; m2mctl gets the same server), its request counters, and moving a tenant onto a
//! rate-limited emulator.
//!
//! Owns talking to the emulator as an operator (stats, totals, a Management API token for seeding).
//! Must not run the tools under test (`run.rs` does) nor decide what a run means (`scenario.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use m2mctl::emulator::{self, Emulator, EmulatorConfig, FaultSpec, RateLimit, TlsMode};
use serde_json::Value;

/// Fixed bootstrap credentials of every benchmark tenant (loopback only, never a real secret).
pub(crate) const CLIENT_ID: &str = "benchbootstrapclient0000000000000";
/// See [`CLIENT_ID`].
pub(crate) const CLIENT_SECRET: &str =
    "bench-bootstrap-secret-not-for-production-use-000000000000000000";

/// A running emulator with an HTTP client that trusts its certificate.
pub(crate) struct Tenant {
    emu: Emulator,
    http: reqwest::Client,
    cert: PathBuf,
    /// `Some((rps, burst))` when rate limited.
    pub limit: Option<(f64, u32)>,
}

/// Request counters of one run, from `/__m2mctl/stats`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    /// Every response counted (429s and token requests included).
    pub total: u64,
    /// `METHOD /template STATUS` → count.
    pub by_route: BTreeMap<String, u64>,
}

impl Stats {
    fn sum(&self, pick: impl Fn(&str, &str, &str) -> bool) -> u64 {
        self.by_route
            .iter()
            .filter(|(key, _)| {
                let mut parts = key.splitn(3, ' ');
                let (m, p, s) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                );
                pick(m, p, s)
            })
            .map(|(_, n)| n)
            .sum()
    }
    /// Responses with status 429.
    pub(crate) fn throttled(&self) -> u64 {
        self.sum(|_, _, s| s == "429")
    }
    /// Successful Management API writes (POST/PATCH/DELETE answered 2xx).
    pub(crate) fn writes(&self) -> u64 {
        self.sum(|m, p, s| {
            m != "GET" && p.starts_with("/api/v2/") && s.starts_with('2') && s.len() == 3
        })
    }
    /// Successful `POST /oauth/token` responses.
    pub(crate) fn tokens(&self) -> u64 {
        self.sum(|m, p, s| m == "POST" && p == "/oauth/token" && s == "200")
    }
}

/// Object counts of a tenant (system objects included), for the floors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Totals {
    /// Clients (global and bootstrap app included).
    pub clients: usize,
    /// Client grants (the bootstrap app's included).
    pub grants: usize,
    /// Resource servers (the Management API included).
    pub apis: usize,
}

impl Tenant {
    /// Starts an empty in-memory tenant over TLS, with `limit` as `--rate-limit`/`--burst`.
    pub(crate) async fn start(dir: &Path, limit: Option<(f64, u32)>) -> Result<Tenant, String> {
        Tenant::start_with(dir, limit, None).await
    }

    /// [`Tenant::start`] with injected faults (e.g. a fixed latency).
    pub(crate) async fn start_with(
        dir: &Path,
        limit: Option<(f64, u32)>,
        faults: Option<FaultSpec>,
    ) -> Result<Tenant, String> {
        let cert = dir.join(format!("cert-{}.pem", next_id()));
        let mut config = EmulatorConfig::local("127.0.0.1:0".parse().map_err(|_| "address")?);
        config.tls = TlsMode::SelfSigned {
            cert_out: Some(cert.clone()),
        };
        config.bootstrap = Some((CLIENT_ID.into(), CLIENT_SECRET.into()));
        config.rate_limit = match limit {
            Some((rps, burst)) => Some(RateLimit::new(rps, burst).map_err(|e| e.to_string())?),
            None => None,
        };
        config.faults = faults;
        let emu = emulator::spawn(config).await.map_err(|e| e.to_string())?;
        let pem = emu.cert_pem().ok_or("the emulator gave no certificate")?;
        let ca = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Tenant {
            emu,
            http,
            cert,
            limit,
        })
    }

    /// A new emulator with `limit` holding a copy of this tenant's objects (re-homed on its port),
    /// so a seeded tenant can be measured under a rate limit without seeding it again slowly.
    pub(crate) async fn copy_with_limit(
        &self,
        dir: &Path,
        limit: (f64, u32),
    ) -> Result<Tenant, String> {
        self.copy_with(dir, Some(limit), None).await
    }

    /// A copy of this tenant on a new emulator with `limit` and `faults`.
    pub(crate) async fn copy_with(
        &self,
        dir: &Path,
        limit: Option<(f64, u32)>,
        faults: Option<FaultSpec>,
    ) -> Result<Tenant, String> {
        let target = Tenant::start_with(dir, limit, faults).await?;
        let mut tenant = self.emu.state().read().clone();
        {
            let mut slot = target.emu.state().write();
            tenant.key = slot.key.clone();
            tenant.rehome(&slot.domain);
            *slot = tenant;
        }
        Ok(target)
    }

    /// `127.0.0.1:PORT`: what both tools take as the Auth0 domain.
    pub(crate) fn domain(&self) -> &str {
        self.emu.domain()
    }
    /// The PEM file clients must trust.
    pub(crate) fn cert(&self) -> &Path {
        &self.cert
    }
    /// `https://127.0.0.1:PORT`.
    pub(crate) fn base_url(&self) -> &str {
        self.emu.base_url()
    }
    /// The HTTP client trusting only this emulator's certificate.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A Management API token of the bootstrap app (every scope).
    pub(crate) async fn management_token(&self) -> Result<String, String> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("audience", &self.emu.management_audience()),
        ];
        let body = self
            .http
            .post(format!("{}/oauth/token", self.base_url()))
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("token: {e}"))?
            .json::<Value>()
            .await
            .map_err(|e| format!("token: {e}"))?;
        body["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or(format!("no token in {body}"))
    }

    /// Zeroes the counters.
    pub(crate) async fn reset_stats(&self) -> Result<(), String> {
        let url = format!("{}/__m2mctl/stats/reset", self.base_url());
        let r = self
            .http
            .post(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        match r.status().is_success() {
            true => Ok(()),
            false => Err(format!("stats reset: {}", r.status())),
        }
    }

    /// The counters since the last reset.
    pub(crate) async fn stats(&self) -> Result<Stats, String> {
        let url = format!("{}/__m2mctl/stats", self.base_url());
        let v: Value = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let by_route = v["by_route"]
            .as_object()
            .ok_or(format!("stats without by_route: {v}"))?
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
            .collect();
        Ok(Stats {
            total: v["total"].as_u64().unwrap_or(0),
            by_route,
        })
    }

    /// Object counts, read from the in-process store (no request is counted).
    pub(crate) fn totals(&self) -> Totals {
        let t = self.emu.state().read();
        Totals {
            clients: t.clients.all().len(),
            grants: t.grants.all().len(),
            apis: t.resource_servers.all().len(),
        }
    }

    /// Grants whose scope set contains `scope`, from the store (checks that a run converged).
    pub(crate) fn grants_with_scope(&self, scope: &str) -> usize {
        let t = self.emu.state().read();
        t.grants
            .all()
            .iter()
            .filter(|g| {
                g.obj
                    .get("scope")
                    .and_then(Value::as_array)
                    .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(scope)))
            })
            .count()
    }

    /// Stops serving.
    pub(crate) async fn stop(self) -> Result<(), String> {
        self.emu.shutdown().await.map_err(|e| e.to_string())
    }
}

fn next_id() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::Stats;

    #[test]
    fn stats_split_writes_throttles_and_tokens() {
        let by_route = [
            ("GET /api/v2/clients 200", 3),
            ("GET /api/v2/clients 429", 2),
            ("POST /api/v2/clients 201", 5),
            ("PATCH /api/v2/client-grants/{id} 200", 4),
            ("PATCH /api/v2/client-grants/{id} 429", 1),
            ("DELETE /api/v2/clients/{id} 204", 1),
            ("POST /api/v2/clients lost", 1),
            ("POST /oauth/token 200", 7),
            ("POST /oauth/token 401", 1),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
        let s = Stats {
            total: 25,
            by_route,
        };
        assert_eq!(s.writes(), 10);
        assert_eq!(s.throttled(), 3);
        assert_eq!(s.tokens(), 7);
    }
}
