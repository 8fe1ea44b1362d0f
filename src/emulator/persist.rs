//! The state file: format (marker + version), loading with clear errors, atomic replace, and the
//! group-commit persister that saves the latest state once for every write pending.
//!
//! Owns file I/O of the tenant. Guarantees: a write is answered only after the file holding it was
//! fsynced and renamed into place (then the directory fsynced), so a kill -9 at any moment leaves
//! the previous or the new complete file. A corrupt or foreign file is never overwritten.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Weak;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use tokio::sync::watch;

use super::app::AppState;
use super::error::Error;
use super::store::{KeyMaterial, Tenant};
use super::table::{Record, Table};

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
    bootstrap_client_id: &'a str,
    signing_key: KeyRef<'a>,
    clients: Records<'a>,
    client_grants: Records<'a>,
    resource_servers: Records<'a>,
    client_credentials: Records<'a>,
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
    bootstrap_client_id: String,
    signing_key: KeyOwned,
    clients: Vec<Map<String, Value>>,
    client_grants: Vec<Map<String, Value>>,
    resource_servers: Vec<Map<String, Value>>,
    /// Absent in state files written before client credentials existed.
    #[serde(default)]
    client_credentials: Vec<Map<String, Value>>,
}

#[derive(Deserialize)]
struct KeyOwned {
    kid: String,
    pem: String,
}

/// The tenant as state-file bytes (compact JSON; records kept small, no per-client certificates).
pub fn to_bytes(t: &Tenant) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&FileRef {
        format: FORMAT,
        version: VERSION,
        domain: &t.domain,
        seq: t.seq,
        bootstrap_client_id: &t.bootstrap_client_id,
        signing_key: KeyRef {
            kid: &t.key.kid,
            pem: &t.key.pem,
        },
        clients: Records(t.clients.all()),
        client_grants: Records(t.grants.all()),
        resource_servers: Records(t.resource_servers.all()),
        client_credentials: Records(t.credentials.all()),
    })
}

/// Parses state-file bytes; `path` only names the file in errors.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Tenant, Error> {
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
    let table = |id_key: &'static str, rows: Vec<Map<String, Value>>| {
        let mut table = Table::new(id_key);
        for (i, obj) in rows.into_iter().enumerate() {
            if !obj.get(id_key).is_some_and(Value::is_string) {
                return Err(corrupt(format!("a record without `{id_key}` (#{i})")));
            }
            table.push(i as u64 + 1, obj);
        }
        Ok(table)
    };
    let clients = table("client_id", file.clients)?;
    let grants = table("id", file.client_grants)?;
    let resource_servers = table("id", file.resource_servers)?;
    let credentials = table("id", file.client_credentials)?;
    let seq = file
        .seq
        .max(clients.len() as u64)
        .max(grants.len() as u64)
        .max(resource_servers.len() as u64);
    Ok(Tenant {
        domain: file.domain,
        clients,
        grants,
        resource_servers,
        credentials,
        bootstrap_client_id: file.bootstrap_client_id,
        key: KeyMaterial {
            kid: file.signing_key.kid,
            pem: file.signing_key.pem,
        },
        seq,
        version: 0,
    })
}

/// Reads the state file if it exists (`None` if it does not).
pub fn load(path: &Path) -> Result<Option<Tenant>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => from_bytes(path, &bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::StateRead {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Replaces `path` atomically: temp file in the same directory, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

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

/// Group commit: writers ask for a version and wait; the task saves the newest state once for all.
#[derive(Debug)]
pub struct Persister {
    path: PathBuf,
    wanted: watch::Sender<Wanted>,
    saved: watch::Receiver<Saved>,
}

/// The background half of a [`Persister`]; run it with [`PersisterTask::run`].
#[derive(Debug)]
pub struct PersisterTask {
    path: PathBuf,
    wanted: watch::Receiver<Wanted>,
    saved: watch::Sender<Saved>,
}

impl Persister {
    /// A persister for `path` whose file already holds `version`.
    pub fn new(path: PathBuf, version: u64) -> (Persister, PersisterTask) {
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

    /// Waits until the file holds `version` or a newer one.
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

    /// Stops the task after it saved everything asked so far.
    pub fn stop(&self) {
        self.wanted.send_modify(|w| w.stop = true);
    }
}

impl PersisterTask {
    /// Saves on demand until stopped or the state is gone.
    pub async fn run(mut self, app: Weak<AppState>) {
        let mut attempted = self.saved.borrow().version;
        loop {
            let wanted = *self.wanted.borrow_and_update();
            if wanted.version > attempted {
                let Some(app) = app.upgrade() else { return };
                let (version, bytes) = app.snapshot();
                drop(app);
                attempted = version;
                let path = self.path.clone();
                let outcome = match bytes {
                    Ok(bytes) => tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| r.map_err(|e| format!("`{}`: {e}", self.path.display()))),
                    Err(e) => Err(e.to_string()),
                };
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
                continue;
            }
            if wanted.stop || self.wanted.changed().await.is_err() {
                return;
            }
        }
    }
}
