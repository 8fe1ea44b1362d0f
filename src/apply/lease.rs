//! The apply lease: at most one `apply` of a project writes to a tenant at a time.
//!
//! The lock is the tenant's one atomic create-if-absent: a resource server's `identifier` is
//! unique (Auth0 answers 409 to a duplicate), so `POST /resource-servers` with
//! `urn:m2mctl:lease:<project>` succeeds for exactly one run. The lease records its holder, a
//! random run id and an expiry (unix milliseconds, holder's clock) in its scopes; the holder renews
//! the expiry every third of the time-to-live and deletes the lease by its id when done. A run
//! that finds the lease held waits (telling the user who holds it) until it is released, its
//! expiry passes, or `--lock-timeout` runs out. An expired lease (a crashed holder) is taken over
//! by compare-and-delete: delete by the `id` that was read as expired, then create again; two
//! takers may both delete (the second delete finds nothing), but only one create can win.
//! Owns the lease's wire format, acquire/renew/release and the wait; must not plan or apply.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::{Value, json};

use super::Error;
use crate::model::{LEASE_PREFIX, RemoteApi};
use crate::tenant::{self, Client};

/// Scopes the lease needs besides reading the tenant.
pub const SCOPES: [&str; 3] = [
    "create:resource_servers",
    "update:resource_servers",
    "delete:resource_servers",
];

/// First pause between two looks at a held lease; doubles up to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(100);
/// Longest pause between two looks at a held lease.
const MAX_POLL: Duration = Duration::from_secs(2);

/// How long to wait, how long a lease lives without renewal, and who holds it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--lock-timeout`: give up waiting after this long (zero: refuse at once).
    pub timeout: Duration,
    /// `--lock-ttl`: a lease not renewed for this long is stale.
    pub ttl: Duration,
    /// This run as waiting runs see it, `user@host pid N` (named by the settings stage).
    pub holder: String,
}

/// What a lease says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Who holds it: `user@host pid N` (shown to waiting runs).
    pub holder: String,
    /// Random id of the holding run (tells a run its own lease after a lost response).
    pub run: String,
    /// Expiry, unix milliseconds on the holder's clock.
    pub expires_at_ms: u64,
}

impl Record {
    /// The resource-server body of a lease for `project`.
    pub fn body(&self, project: &str) -> Value {
        json!({
            "identifier": identifier(project),
            "name": format!("m2mctl apply lease of project {project} (do not use)"),
            "scopes": self.scopes(),
        })
    }

    /// The scopes that carry the record.
    fn scopes(&self) -> Value {
        json!([
            {"value": "holder", "description": self.holder},
            {"value": "run", "description": self.run},
            {"value": "expires_at_ms", "description": self.expires_at_ms.to_string()},
        ])
    }

    /// Reads a lease back; `None` when the resource server is not a lease m2mctl wrote.
    pub fn read(api: &RemoteApi) -> Option<Record> {
        let field = |name: &str| {
            api.scopes
                .iter()
                .find(|s| s.value == name)
                .map(|s| s.description.clone())
        };
        Some(Record {
            holder: field("holder")?,
            run: field("run")?,
            expires_at_ms: field("expires_at_ms")?.parse().ok()?,
        })
    }

    /// True once the expiry has passed at `now_ms` (unix milliseconds).
    pub fn expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// Whole seconds left before the expiry at `now_ms`.
    pub fn expires_in(&self, now_ms: u64) -> u64 {
        self.expires_at_ms.saturating_sub(now_ms).div_ceil(1000)
    }

    /// The holder as it may be shown on a terminal: printable characters only, at most 120.
    pub fn shown_holder(&self) -> String {
        printable(&self.holder)
    }
}

/// `urn:m2mctl:lease:<project>`.
pub fn identifier(project: &str) -> String {
    format!("{LEASE_PREFIX}{project}")
}

/// Control characters escaped, at most 120 characters: a lease is tenant data.
fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(120)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// Unix milliseconds now.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A held lease; renewed in the background until [`Lease::release`].
#[derive(Debug)]
pub struct Lease {
    client: Client,
    id: String,
    lost: Arc<AtomicBool>,
    renewer: tokio::task::JoinHandle<()>,
}

/// Takes the lease of `project`, waiting for a live holder as `settings` allow; `waiting` is
/// called with the holder each time a different one is found holding it.
pub async fn acquire(
    client: &Client,
    project: &str,
    settings: Settings,
    mut waiting: impl FnMut(&Record, Duration),
) -> Result<Lease, Error> {
    let started = Instant::now();
    let identifier = identifier(project);
    let mine = Record {
        holder: printable(&settings.holder),
        run: format!("{:016x}", rand::rng().random::<u64>()),
        expires_at_ms: 0,
    };
    let ttl = u64::try_from(settings.ttl.as_millis()).unwrap_or(u64::MAX);
    let mut poll = FIRST_POLL;
    let mut last_holder: Option<String> = None;
    loop {
        let record = Record {
            expires_at_ms: now().saturating_add(ttl),
            ..mine.clone()
        };
        match client.create_api(&record.body(project)).await {
            Ok(api) => return Ok(Lease::start(client, api.id, record, project, settings.ttl)),
            Err(tenant::Error::Api { status: 409, .. }) => {}
            Err(tenant::Error::OutcomeUnknown { .. }) => {
                // The create may have happened: a lease with our run id is ours.
            }
            Err(err) => return Err(lease_error(err)),
        }
        let Some(current) = client.get_api(&identifier).await.map_err(lease_error)? else {
            continue; // released in between: try again at once
        };
        let Some(held) = Record::read(&current) else {
            return Err(Error::LeaseForeign { identifier });
        };
        if held.run == mine.run {
            return Ok(Lease::start(
                client,
                current.id,
                held,
                project,
                settings.ttl,
            ));
        }
        if held.expired(now()) {
            tracing::warn!(
                holder = %held.shown_holder(),
                "taking over an expired apply lease (its holder stopped renewing it)"
            );
            // Compare-and-delete: by the id read as expired, never by identifier, so a lease
            // another run took over meanwhile is left alone (this delete then finds nothing).
            client.delete_api(&current.id).await.map_err(lease_error)?;
            continue;
        }
        let waited = started.elapsed();
        if waited >= settings.timeout {
            return Err(Error::LeaseHeld {
                holder: held.shown_holder(),
                expires_in: held.expires_in(now()),
                waited: waited.as_secs(),
            });
        }
        if last_holder.as_deref() != Some(held.run.as_str()) {
            waiting(&held, settings.timeout.saturating_sub(waited));
            last_holder = Some(held.run.clone());
        }
        let pause = poll.min(settings.timeout.saturating_sub(waited));
        tokio::time::sleep(jitter(pause)).await;
        poll = (poll * 2).min(MAX_POLL);
    }
}

/// `pause` plus up to a quarter more, so that waiting runs do not retry in lockstep.
fn jitter(pause: Duration) -> Duration {
    let quarter = pause.as_millis() as u64 / 4;
    pause + Duration::from_millis(rand::rng().random_range(0..=quarter))
}

fn lease_error(err: tenant::Error) -> Error {
    match err {
        tenant::Error::Api { status: 403, .. } => Error::LeaseForbidden {
            reason: err.to_string(),
        },
        other => Error::Lease(Box::new(other)),
    }
}

impl Lease {
    fn start(client: &Client, id: String, record: Record, project: &str, ttl: Duration) -> Lease {
        let lost = Arc::new(AtomicBool::new(false));
        let renewer = tokio::spawn(renew(
            client.clone(),
            id.clone(),
            record,
            project.to_string(),
            ttl,
            Arc::clone(&lost),
        ));
        tracing::info!(lease = %id, "took the apply lease");
        Lease {
            client: client.clone(),
            id,
            lost,
            renewer,
        }
    }

    /// True when a renewal found the lease gone or replaced (another run took it over).
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// A cheap flag for [`super::execute_while`]: true while the lease was not found lost.
    pub fn still_held(&self) -> impl Fn() -> bool + Sync + use<> {
        let lost = Arc::clone(&self.lost);
        move || !lost.load(Ordering::SeqCst)
    }

    /// Stops renewing and deletes the lease by its id; a failure only delays the next run until
    /// the lease expires, so it is a warning.
    pub async fn release(self) {
        self.renewer.abort();
        match self.client.delete_api(&self.id).await {
            Ok(()) => tracing::info!(lease = %self.id, "released the apply lease"),
            Err(err) => tracing::warn!(
                "could not release the apply lease ({err}); the next apply waits until it expires"
            ),
        }
    }
}

/// Pushes the expiry forward every third of `ttl`; a lease that is gone or not ours any more
/// is lost (its holder was too slow and another run took over).
async fn renew(
    client: Client,
    id: String,
    record: Record,
    project: String,
    ttl: Duration,
    lost: Arc<AtomicBool>,
) {
    let every = (ttl / 3).max(Duration::from_millis(100));
    let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
    loop {
        tokio::time::sleep(every).await;
        let next = Record {
            expires_at_ms: now().saturating_add(ttl_ms),
            ..record.clone()
        };
        let patch = json!({ "scopes": next.scopes() });
        match client.update_api(&id, &patch).await {
            Ok(api) if Record::read(&api).is_some_and(|r| r.run == record.run) => {}
            Ok(_) | Err(tenant::Error::Api { status: 404, .. }) => {
                tracing::error!(project, "the apply lease was taken over by another run");
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(err) => tracing::warn!("could not renew the apply lease: {err}"),
        }
    }
}

/// Parses `--lock-timeout` / `--lock-ttl`: `0`, `90` (seconds), `500ms`, `30s`, `5m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; use e.g. `0`, `30s`, `5m` or `1h`"))?;
    let millis = match unit {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}`; use ms, s, m or h"
            ));
        }
    };
    match millis {
        Some(ms) if ms <= 7 * 24 * 3_600_000 => Ok(Duration::from_millis(ms)),
        _ => Err(format!("`{text}` is longer than a week")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScopeDef;

    fn api(scopes: &[(&str, &str)]) -> RemoteApi {
        RemoteApi {
            id: "rs1".into(),
            identifier: identifier("payments"),
            name: "lease".into(),
            scopes: scopes
                .iter()
                .map(|(v, d)| ScopeDef {
                    value: v.to_string(),
                    description: d.to_string(),
                })
                .collect(),
            token_lifetime: None,
            is_system: false,
        }
    }

    #[test]
    fn a_lease_round_trips_through_its_resource_server() {
        let record = Record {
            holder: "ci@runner-7 pid 42".into(),
            run: "00ff".into(),
            expires_at_ms: 1_800_000_000_000,
        };
        let body = record.body("payments");
        assert_eq!(body["identifier"], "urn:m2mctl:lease:payments");
        let scopes: Vec<ScopeDef> = serde_json::from_value(body["scopes"].clone()).unwrap();
        let read = Record::read(&RemoteApi { scopes, ..api(&[]) });
        assert_eq!(read, Some(record.clone()));
        assert!(!record.expired(1_799_999_999_999));
        assert!(record.expired(1_800_000_000_000));
        assert_eq!(record.expires_in(1_799_999_998_001), 2);
        assert_eq!(record.expires_in(1_800_000_000_001), 0);
    }

    #[test]
    fn a_resource_server_that_is_not_a_lease_reads_as_none() {
        assert_eq!(Record::read(&api(&[])), None);
        assert_eq!(
            Record::read(&api(&[
                ("holder", "x"),
                ("run", "y"),
                ("expires_at_ms", "soon")
            ])),
            None
        );
    }

    #[test]
    fn a_hostile_holder_is_shown_escaped_and_bounded() {
        let record = Record {
            holder: format!("evil\u{1b}[2Jname{}", "x".repeat(300)),
            run: "r".into(),
            expires_at_ms: 0,
        };
        let shown = record.shown_holder();
        assert!(shown.starts_with("evil\\u{1b}[2Jname"), "{shown}");
        assert!(!shown.contains('\u{1b}'));
        assert!(shown.chars().count() < 140, "{shown}");
        assert!(!printable("a\nb\u{7}").chars().any(char::is_control));
    }

    #[test]
    fn durations_table() {
        let ok = [
            ("0", 0),
            ("90", 90_000),
            ("500ms", 500),
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h", 3_600_000),
        ];
        for (text, ms) in ok {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in [
            "",
            "-1",
            "1.5s",
            "5 min",
            "10d",
            "99999999999999999999",
            "200h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
