//! The state file: format (marker + version), loading with clear errors, and the group-commit
//! persister that saves each batch of writes as one journal line and folds the journal into a
//! new snapshot now and then.
//!
//! Owns file I/O of the tenant. Saving costs what changed: a batch appends the records it
//! touched to `<state>.journal` ([`super::journal`]); once the journal outgrows the snapshot
//! (and at shutdown) the whole tenant is written as a new snapshot through [`crate::fs::write`]
//! (temp file, fsync, rename, directory fsync) and the journal emptied, so the total work stays
//! linear in the writes. Guarantees: a write is answered only after its journal line was written
//! to the file, so killing the process at any moment loses no answered write; lines are fsynced
//! at most [`SYNC_INTERVAL`] later (an OS crash or power loss can lose that window, never
//! consistency); the snapshot is always complete. The state is used by one process at a time
//! ([`super::lockfile`]). A corrupt or foreign file is never overwritten.

use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use tokio::sync::watch;

use super::app::AppState;
use super::error::Error;
use super::journal::{self, Journal};
use super::lockfile::StateLock;
use super::store::{CLIENT_ORDER, GRANT_ORDER, KeyMaterial, Tenant};
use super::table::{Order, Record, Table};

/// `format` marker of the state file.
pub const FORMAT: &str = "m2mctl-emulator-state";
/// Current state file version.
pub const VERSION: u64 = 1;

#[derive(Serialize)]
struct FileRef<'a> {
    format: &'static str,
    version: u64,
    domain: &'a str,
    seq: u64,
    generation: u64,
    bootstrap_client_id: &'a str,
    signing_key: KeyRef<'a>,
    signing_keys: Records<'a>,
    clients: Records<'a>,
    client_grants: Records<'a>,
    resource_servers: Records<'a>,
    client_credentials: Records<'a>,
    organizations: Records<'a>,
}

#[derive(Serialize, Deserialize)]
struct KeyRef<'a> {
    kid: &'a str,
    pem: &'a str,
}

struct Records<'a>(&'a [Record]);

impl Serialize for Records<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|r| &r.obj))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOwned {
    #[allow(dead_code)]
    format: String,
    #[allow(dead_code)]
    version: u64,
    domain: String,
    seq: u64,
    /// Journal lines of this generation belong to this snapshot (0 in files without a journal).
    #[serde(default)]
    generation: u64,
    bootstrap_client_id: String,
    signing_key: KeyOwned,
    /// The key ring (current, next, previous keys); absent in state files written before
    /// rotation existed (the emulator then adds a next key when it opens the file).
    #[serde(default)]
    signing_keys: Vec<Map<String, Value>>,
    clients: Vec<Map<String, Value>>,
    client_grants: Vec<Map<String, Value>>,
    resource_servers: Vec<Map<String, Value>>,
    /// Absent in state files written before client credentials existed.
    #[serde(default)]
    client_credentials: Vec<Map<String, Value>>,
    /// Absent in state files written before organizations existed.
    #[serde(default)]
    organizations: Vec<Map<String, Value>>,
}

#[derive(Deserialize)]
struct KeyOwned {
    kid: String,
    pem: String,
}

/// The tenant as state-file bytes (compact JSON; records kept small, no per-client certificates),
/// as the snapshot of journal `generation`.
pub fn to_bytes(t: &Tenant, generation: u64) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&FileRef {
        format: FORMAT,
        version: VERSION,
        domain: &t.domain,
        seq: t.seq,
        generation,
        bootstrap_client_id: &t.bootstrap_client_id,
        signing_key: KeyRef {
            kid: &t.key.kid,
            pem: &t.key.pem,
        },
        signing_keys: Records(t.keys.all()),
        clients: Records(t.clients.all()),
        client_grants: Records(t.grants.all()),
        resource_servers: Records(t.resource_servers.all()),
        client_credentials: Records(t.credentials.all()),
        organizations: Records(t.organizations.all()),
    })
}

/// Parses state-file bytes into the tenant and its journal generation; `path` only names the
/// file in errors.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<(Tenant, u64), Error> {
    let corrupt = |reason: String| Error::StateCorrupt {
        path: path.to_path_buf(),
        reason,
    };
    let foreign = |reason: &str| Error::StateForeign {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    match value.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        _ => return Err(foreign("no `format: m2mctl-emulator-state` marker")),
    }
    match value.get("version").and_then(Value::as_u64) {
        Some(VERSION) => {}
        Some(v) => return Err(foreign(&format!("version {v}, this build reads {VERSION}"))),
        None => return Err(foreign("no `version`")),
    }
    let file: FileOwned = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
    let table = |id_key: &'static str, rows: Vec<Map<String, Value>>, order: Order| {
        let mut table = Table::ordered(id_key, order);
        for (i, obj) in rows.into_iter().enumerate() {
            if !obj.get(id_key).is_some_and(Value::is_string) {
                return Err(corrupt(format!("a record without `{id_key}` (#{i})")));
            }
            table.push(i as u64 + 1, obj);
        }
        Ok(table)
    };
    let clients = table("client_id", file.clients, CLIENT_ORDER)?;
    let grants = table("id", file.client_grants, GRANT_ORDER)?;
    let resource_servers = table("id", file.resource_servers, Order::Creation)?;
    let credentials = table("id", file.client_credentials, Order::Creation)?;
    let organizations = table("id", file.organizations, Order::Creation)?;
    let keys = table("kid", file.signing_keys, Order::Creation)?;
    let seq = file
        .seq
        .max(clients.len() as u64)
        .max(grants.len() as u64)
        .max(resource_servers.len() as u64);
    let tenant = Tenant {
        domain: file.domain,
        clients,
        grants,
        resource_servers,
        credentials,
        organizations,
        keys,
        bootstrap_client_id: file.bootstrap_client_id,
        key: KeyMaterial {
            kid: file.signing_key.kid,
            pem: file.signing_key.pem,
        },
        seq,
        version: 0,
    };
    Ok((tenant, file.generation))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::StateRead {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads the state file and replays its journal (`None` if there is no state file); also returns
/// the snapshot's generation. Reading needs no lock: it sees every answered write.
pub fn load_with_generation(path: &Path) -> Result<Option<(Tenant, u64)>, Error> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(None);
    };
    let (mut tenant, generation) = from_bytes(path, &bytes)?;
    let journal_path = journal::path_for(path);
    if let Some(lines) = read_optional(&journal_path)? {
        journal::replay(&mut tenant, &lines, generation, &journal_path)?;
    }
    Ok(Some((tenant, generation)))
}

/// Reads the state file and replays its journal (`None` if there is no state file).
pub fn load(path: &Path) -> Result<Option<Tenant>, Error> {
    Ok(load_with_generation(path)?.map(|(tenant, _)| tenant))
}

/// A state file opened for exclusive use: locked, with its tenant loaded (if it existed).
#[derive(Debug)]
pub struct Opened {
    path: PathBuf,
    lock: StateLock,
    generation: u64,
    /// The tenant in the file, journal replayed; `None` for a new state.
    pub tenant: Option<Tenant>,
}

/// Takes the state's lock ([`Error::StateLocked`] when another process has it), removes temp
/// files a killed process left, and loads the tenant.
pub fn open(path: &Path) -> Result<Opened, Error> {
    let lock = StateLock::try_take(path)?;
    let (tenant, generation) = match load_with_generation(path)? {
        Some((tenant, generation)) => (Some(tenant), generation),
        None => (None, 0),
    };
    Ok(Opened {
        path: path.to_path_buf(),
        lock,
        generation,
        tenant,
    })
}

fn write_snapshot(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::fs::write(
        path,
        bytes,
        crate::fs::Mode::Private,
        crate::fs::Replace::Always,
    )
    .map_err(std::io::Error::other)
}

impl Opened {
    /// Writes `tenant` as a new snapshot, empties the journal and starts tracking changes; the
    /// persister then saves every later write.
    pub fn start(self, tenant: &mut Tenant) -> Result<(Persister, PersisterTask), Error> {
        let write_err = |path: &Path, source| Error::StateWrite {
            path: path.to_path_buf(),
            source,
        };
        let generation = self.generation + 1;
        let bytes = to_bytes(tenant, generation)
            .map_err(|e| write_err(&self.path, std::io::Error::other(e)))?;
        write_snapshot(&self.path, &bytes).map_err(|e| write_err(&self.path, e))?;
        let journal_path = journal::path_for(&self.path);
        let journal =
            Journal::reset(&journal_path, generation).map_err(|e| write_err(&journal_path, e))?;
        for table in tenant.tables_mut() {
            table.track_changes();
        }
        let (persister, mut task) = Persister::new(self.path, tenant.version);
        task.files = Some(Files {
            journal,
            snapshot_len: bytes.len() as u64,
            _lock: self.lock,
        });
        Ok((persister, task))
    }
}

/// Journal lines reach the disk (fsync) at most this long after they were written.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(200);
/// The journal is folded into a new snapshot once it is larger than the snapshot and than this.
const COMPACT_MIN: u64 = 1 << 20;

#[derive(Debug, Clone, Default)]
struct Saved {
    version: u64,
    attempted: u64,
    error: Option<String>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Wanted {
    version: u64,
    stop: bool,
}

/// Group commit: writers ask for a version and wait; the task saves everything pending at once.
#[derive(Debug)]
pub struct Persister {
    path: PathBuf,
    wanted: watch::Sender<Wanted>,
    saved: watch::Receiver<Saved>,
}

/// What the task holds while it runs: the journal, the snapshot's size and the state's lock.
#[derive(Debug)]
struct Files {
    journal: Journal,
    snapshot_len: u64,
    _lock: StateLock,
}

/// One unit of file work, prepared under the tenant lock and done off the runtime.
enum Work {
    Append(Vec<u8>),
    Snapshot(Vec<u8>),
    Sync,
}

impl Files {
    fn run(&mut self, path: &Path, work: Work, sync: bool) -> std::io::Result<()> {
        match work {
            Work::Append(line) => {
                let before = self.journal.len;
                if let Err(e) = self.journal.append(&line) {
                    // never leave half a line for the next one to be glued to
                    let _ = self.journal.truncate(before);
                    return Err(e);
                }
                if sync {
                    self.journal.sync()?;
                }
                Ok(())
            }
            Work::Snapshot(bytes) => {
                write_snapshot(path, &bytes)?;
                self.snapshot_len = bytes.len() as u64;
                self.journal.restart(self.journal.generation + 1)
            }
            Work::Sync => self.journal.sync(),
        }
    }
}

/// The background half of a [`Persister`]; run it with [`PersisterTask::run`].
#[derive(Debug)]
pub struct PersisterTask {
    path: PathBuf,
    wanted: watch::Receiver<Wanted>,
    saved: watch::Sender<Saved>,
    files: Option<Files>,
}

impl Persister {
    /// A persister for `path` whose files already hold `version`.
    fn new(path: PathBuf, version: u64) -> (Persister, PersisterTask) {
        let (wanted_tx, wanted_rx) = watch::channel(Wanted {
            version,
            stop: false,
        });
        let (saved_tx, saved_rx) = watch::channel(Saved {
            version,
            attempted: version,
            error: None,
        });
        let task = PersisterTask {
            path: path.clone(),
            wanted: wanted_rx,
            saved: saved_tx,
            files: None,
        };
        let persister = Persister {
            path,
            wanted: wanted_tx,
            saved: saved_rx,
        };
        (persister, task)
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until the files hold `version` or a newer one.
    pub async fn wait_for(&self, version: u64) -> Result<(), String> {
        self.wanted
            .send_modify(|w| w.version = w.version.max(version));
        let mut saved = self.saved.clone();
        let state = saved
            .wait_for(|s| s.version >= version || (s.attempted >= version && s.error.is_some()))
            .await
            .map_err(|_| "the persister stopped".to_string())?;
        match (&state.error, state.version >= version) {
            (_, true) => Ok(()),
            (Some(e), false) => Err(e.clone()),
            (None, false) => Err("the persister stopped".into()),
        }
    }

    /// Stops the task after it saved everything asked so far (and folded the journal into the
    /// snapshot).
    pub fn stop(&self) {
        self.wanted.send_modify(|w| w.stop = true);
    }
}

impl PersisterTask {
    /// Does `work` on a blocking thread; `None` when that thread panicked (files gone).
    async fn blocking(&mut self, work: Work, sync: bool) -> Option<std::io::Result<()>> {
        let mut files = self.files.take()?;
        let path = self.path.clone();
        let done = tokio::task::spawn_blocking(move || {
            let outcome = files.run(&path, work, sync);
            (files, outcome)
        })
        .await
        .ok()?;
        self.files = Some(done.0);
        Some(done.1)
    }

    /// Takes the pending changes (or the whole tenant when compacting) under the tenant's lock.
    fn prepare(&self, app: &AppState, compact: bool) -> (u64, Result<Option<Work>, String>) {
        let Some(files) = &self.files else {
            return (0, Err("the state files are closed".into()));
        };
        let mut tenant = app.write();
        let version = tenant.version;
        let work = if compact {
            journal::discard_changes(&mut tenant);
            to_bytes(&tenant, files.journal.generation + 1).map(|b| Some(Work::Snapshot(b)))
        } else {
            journal::take_batch(&mut tenant, files.journal.generation)
                .map(|line| line.map(Work::Append))
        };
        (version, work.map_err(|e| e.to_string()))
    }

    /// Saves on demand until stopped or the state is gone, then folds the journal into the
    /// snapshot. Started by [`Opened::start`].
    pub async fn run(mut self, app: Weak<AppState>) {
        let mut attempted = self.saved.borrow().version;
        let mut last_sync = Instant::now();
        // after a failed save the journal may miss drained changes: the next save is a snapshot
        let mut must_compact = false;
        loop {
            let Some(files) = &self.files else { return };
            let wanted = *self.wanted.borrow_and_update();
            if wanted.version > attempted {
                let Some(app) = app.upgrade() else { break };
                let compact =
                    must_compact || files.journal.len > files.snapshot_len.max(COMPACT_MIN);
                let (version, work) = self.prepare(&app, compact);
                drop(app);
                attempted = version;
                let sync = last_sync.elapsed() >= SYNC_INTERVAL;
                let outcome = match work {
                    Ok(Some(work)) => match self.blocking(work, sync || compact).await {
                        Some(Ok(())) => Ok(()),
                        Some(Err(e)) => Err(format!("`{}`: {e}", self.path.display())),
                        None => Err("the writer thread failed".to_string()),
                    },
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                };
                if sync || compact {
                    last_sync = Instant::now();
                }
                must_compact = outcome.is_err();
                self.report(version, outcome);
                continue;
            }
            if wanted.stop {
                break;
            }
            if files.journal.unsynced {
                let left = SYNC_INTERVAL.saturating_sub(last_sync.elapsed());
                match tokio::time::timeout(left, self.wanted.changed()).await {
                    Ok(Ok(())) => continue,
                    Ok(Err(_)) => break,
                    Err(_) => {
                        if let Some(Err(e)) = self.blocking(Work::Sync, true).await {
                            tracing::error!("cannot sync the emulator state journal: {e}");
                        }
                        last_sync = Instant::now();
                    }
                }
            } else if self.wanted.changed().await.is_err() {
                break;
            }
        }
        self.close(&app).await;
    }

    fn report(&self, version: u64, outcome: Result<(), String>) {
        self.saved.send_modify(|s| {
            s.attempted = version;
            match outcome {
                Ok(()) => {
                    s.version = version;
                    s.error = None;
                }
                Err(e) => {
                    tracing::error!("cannot save the emulator state: {e}");
                    s.error = Some(e);
                }
            }
        });
    }

    /// Folds a non-empty journal into the snapshot (one file again), else just syncs it.
    async fn close(&mut self, app: &Weak<AppState>) {
        let Some(files) = &self.files else { return };
        let work = match app.upgrade() {
            Some(app) if files.journal.len > 0 => match self.prepare(&app, true) {
                (_, Ok(Some(work))) => work,
                _ => Work::Sync,
            },
            _ => Work::Sync,
        };
        if let Some(Err(e)) = self.blocking(work, true).await {
            tracing::error!("cannot save the emulator state at shutdown: {e}");
        }
    }
}
