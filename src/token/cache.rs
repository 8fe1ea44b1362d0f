//! The token cache: one JSON file (`tokens.json` in the directory the settings stage resolved:
//! `M2MCTL_CACHE_DIR`, else `m2mctl/` in the user cache directory), mode 0600 from the moment it
//! exists.
//!
//! Owns the file format, reuse rule and safe writes. Entries are keyed by tenant domain, client id
//! and audience. A corrupt or unreadable file is ignored (and rewritten on save), never fatal. A
//! save takes a lock file, re-reads the file, merges and replaces it through [`crate::fs::write`]
//! (0600 from creation, atomic, never over a FIFO, device or directory), so concurrent runs never
//! see a half-written file and never drop each other's entries; a cache path that is not a
//! regular file is ignored, never read (a FIFO would block). Must not log a
//! token: entries hold a [`Secret`], written to the file only through `expose_secret`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fs::{Mode, Replace};
use crate::tenant::Secret;

/// File name inside the cache directory.
pub const FILE_NAME: &str = "tokens.json";

/// The lock file beside it, held while a save merges and replaces the file.
const LOCK_NAME: &str = ".tokens.lock";

/// A cached token is reused only while more than this many seconds remain.
pub const MIN_REMAINING_SECS: i64 = 60;

const FORMAT_VERSION: u32 = 1;

/// What identifies a cached token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    /// The tenant domain as configured (`host[:port]`).
    pub domain: String,
    /// The client.
    pub client_id: String,
    /// The audience.
    pub audience: String,
    /// The organization the token was asked in the name of (`token --organization`), as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

/// One cached token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// What it is for.
    #[serde(flatten)]
    pub key: Key,
    /// The token.
    #[serde(serialize_with = "expose_secret")]
    pub access_token: Secret,
    /// The scopes it carries.
    pub scopes: BTreeSet<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    entries: Vec<Entry>,
}

/// The cache file and its entries in memory.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    entries: Vec<Entry>,
    added: Vec<Entry>,
}

/// Why the file on disk was not used (reported as a warning, never an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored(pub String);

impl Cache {
    /// [`Cache::load`], with a warning when the file on disk was not usable.
    pub fn load_or_warn(dir: &Path) -> Cache {
        let (cache, ignored) = Cache::load(dir);
        if let Some(why) = ignored {
            tracing::warn!(
                "ignoring the token cache `{}` ({}); it will be rewritten",
                cache.path().display(),
                why.0
            );
        }
        cache
    }

    /// Reads `dir/tokens.json`; a missing file is an empty cache, a corrupt one is reported and
    /// treated as empty.
    pub fn load(dir: &Path) -> (Cache, Option<Ignored>) {
        let path = dir.join(FILE_NAME);
        let (entries, ignored) = match read_entries(&path) {
            Ok(entries) => (entries, None),
            Err(why) => (Vec::new(), Some(Ignored(why))),
        };
        (
            Cache {
                path,
                entries,
                added: Vec::new(),
            },
            ignored,
        )
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A token for `key` whose scopes equal `scopes` and with more than a minute left at `now`.
    pub fn lookup(&self, key: &Key, scopes: &BTreeSet<String>, now: i64) -> Option<&Entry> {
        self.added
            .iter()
            .rev()
            .chain(self.entries.iter().rev())
            .find(|e| &e.key == key)
            .filter(|e| &e.scopes == scopes && e.expires_at - now > MIN_REMAINING_SECS)
    }

    /// A token for `key` with more than a minute left at `now`, whatever its scopes (m2mctl's own
    /// Management API token: its scopes are whatever the tenant grants).
    pub fn lookup_any_scopes(&self, key: &Key, now: i64) -> Option<&Entry> {
        self.added
            .iter()
            .rev()
            .chain(self.entries.iter().rev())
            .find(|e| &e.key == key)
            .filter(|e| e.expires_at - now > MIN_REMAINING_SECS)
    }

    /// Remembers a new token (written by [`Cache::save`]).
    pub fn insert(&mut self, entry: Entry) {
        self.added.retain(|e| e.key != entry.key);
        self.added.push(entry);
    }

    /// True when there is something to write.
    pub fn is_dirty(&self) -> bool {
        !self.added.is_empty()
    }

    /// Merges the new entries into the file as it is now on disk (other runs may have written
    /// since `load`), drops expired entries, and replaces the file atomically.
    pub fn save(&self, now: i64) -> std::io::Result<()> {
        if self.added.is_empty() {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        crate::fs::create_private_dir(dir)?;
        // Serialises concurrent savers so none drops another's entries; readers need no lock.
        let lock = crate::fs::open_lock(&dir.join(LOCK_NAME), Mode::Private)?;
        if let Err(e) = lock.lock() {
            tracing::debug!("token cache lock unavailable, saving without it: {e}");
        }
        let mut entries = read_entries(&self.path).unwrap_or_default();
        entries.retain(|e| e.expires_at > now && !self.added.iter().any(|a| a.key == e.key));
        entries.extend(self.added.iter().cloned());
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        let file = File {
            version: FORMAT_VERSION,
            entries,
        };
        let body = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        write_atomically(&self.path, &body)
    }
}

/// Writes a token into the cache file (the one place it is serialised).
fn expose_secret<S: serde::Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

fn read_entries(path: &Path) -> Result<Vec<Entry>, String> {
    // Reading a FIFO would block forever; a device or directory is no cache either.
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err("it is not a regular file".into()),
        _ => {}
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    let file: File =
        serde_json::from_slice(&bytes).map_err(|e| format!("it is not a valid cache: {e}"))?;
    if file.version != FORMAT_VERSION {
        return Err(format!("unknown format version {}", file.version));
    }
    Ok(file.entries)
}

/// Replaces `path` through [`crate::fs::write`]: 0600 from creation, never over a non-regular file.
fn write_atomically(path: &Path, body: &[u8]) -> std::io::Result<()> {
    Ok(crate::fs::write(
        path,
        body,
        Mode::Private,
        Replace::Always,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(client: &str) -> Key {
        Key {
            domain: "t.example".into(),
            client_id: client.into(),
            audience: "https://api/".into(),
            organization: None,
        }
    }

    fn entry(client: &str, scopes: &[&str], expires_at: i64) -> Entry {
        Entry {
            key: key(client),
            access_token: Secret::new(format!("tok-{client}")),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_at,
        }
    }

    fn set(scopes: &[&str]) -> BTreeSet<String> {
        scopes.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reuse_rule_table() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, ignored) = Cache::load(dir.path());
        assert!(ignored.is_none());
        cache.insert(entry("a", &["r", "w"], 1_000));
        let cases = [
            ("a", &["r", "w"][..], 900, true),
            ("a", &["w", "r"][..], 939, true),
            ("a", &["r", "w"][..], 940, false),
            ("a", &["r"][..], 0, false),
            ("a", &["r", "w", "x"][..], 0, false),
            ("b", &["r", "w"][..], 0, false),
        ];
        for (client, scopes, now, hit) in cases {
            assert_eq!(
                cache.lookup(&key(client), &set(scopes), now).is_some(),
                hit,
                "{client} {scopes:?} {now}"
            );
        }
    }

    #[test]
    fn own_token_lookup_ignores_scopes_but_not_time_or_key() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, _) = Cache::load(dir.path());
        cache.insert(entry("own", &["read:clients"], 1_000));
        assert!(cache.lookup_any_scopes(&key("own"), 939).is_some());
        assert!(cache.lookup_any_scopes(&key("own"), 940).is_none());
        assert!(cache.lookup_any_scopes(&key("other"), 0).is_none());
    }

    #[test]
    fn save_round_trips_merges_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join("nested").join("m2mctl");
        let (mut first, _) = Cache::load(&cache_dir);
        first.insert(entry("a", &["r"], 5_000));
        first.insert(entry("old", &["r"], 50));
        first.save(100).unwrap();
        // A second run that loaded before the first saved still keeps the first one's entries.
        let (mut second, _) = Cache::load(&dir.path().join("elsewhere"));
        second.path = cache_dir.join(FILE_NAME);
        second.insert(entry("b", &["r"], 6_000));
        second.save(100).unwrap();
        let (reread, ignored) = Cache::load(&cache_dir);
        assert!(ignored.is_none());
        let clients: Vec<_> = reread
            .entries
            .iter()
            .map(|e| e.key.client_id.as_str())
            .collect();
        assert_eq!(clients, ["a", "b"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(reread.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers = std::fs::read_dir(&cache_dir).unwrap().count();
        assert_eq!(
            leftovers, 2,
            "temporary files left behind (tokens.json + lock expected)"
        );
    }

    #[test]
    fn corrupt_file_is_ignored_then_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        for garbage in ["{not json", r#"{"version":99,"entries":[]}"#, ""] {
            std::fs::write(dir.path().join(FILE_NAME), garbage).unwrap();
            let (mut cache, ignored) = Cache::load(dir.path());
            assert!(ignored.is_some(), "{garbage:?}");
            cache.insert(entry("a", &["r"], 5_000));
            cache.save(0).unwrap();
            let (reread, ignored) = Cache::load(dir.path());
            assert!(ignored.is_none());
            assert!(reread.lookup(&key("a"), &set(&["r"]), 0).is_some());
        }
    }

    #[test]
    fn concurrent_writers_never_leave_a_torn_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (path, stop) = (path.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut reads = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (_, ignored) = Cache::load(&path);
                    assert_eq!(ignored, None, "a reader saw a torn file");
                    reads += 1;
                }
                reads
            })
        };
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let (mut cache, ignored) = Cache::load(&path);
                        assert_eq!(ignored, None);
                        cache.insert(entry(&format!("w{w}-{i}"), &["r"], 5_000));
                        cache.save(0).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        let (cache, ignored) = Cache::load(&path);
        assert_eq!(ignored, None);
        // The lock serialises read-merge-replace: no writer dropped another's entries.
        assert_eq!(cache.entries.len(), 100);
        let files = std::fs::read_dir(&path).unwrap().count();
        assert_eq!(
            files, 2,
            "temporary files left (tokens.json + lock expected)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_symlink_planted_as_the_lock_fails_the_save_instead_of_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join(LOCK_NAME);
        let status = std::process::Command::new("mkfifo")
            .arg(&lock)
            .status()
            .unwrap();
        assert!(status.success());
        let (mut cache, _) = Cache::load(dir.path());
        cache.insert(entry("a", &["r"], 5_000));
        let err = cache.save(0).unwrap_err().to_string();
        assert!(err.contains("a FIFO, not a regular file"), "{err}");
        std::fs::remove_file(&lock).unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&elsewhere, &lock).unwrap();
        let err = cache.save(0).unwrap_err().to_string();
        assert!(err.contains("a symbolic link"), "{err}");
        assert!(!elsewhere.exists(), "nothing created through the link");
        assert!(
            !dir.path().join(FILE_NAME).exists(),
            "nothing saved without the lock"
        );
    }

    #[test]
    fn file_does_not_debug_print_tokens() {
        let shown = format!("{:?}", entry("a", &["r"], 1));
        assert!(!shown.contains("tok-a"), "{shown}");
    }
}
