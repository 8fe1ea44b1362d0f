//! The state journal: an append-only file of the records each group of writes changed, beside
//! the snapshot (`<state>.journal`), so saving costs what changed rather than the whole tenant.
//!
//! Owns the line format and replay. One line per batch: `{"generation", "seq", "clients":
//! {"put": [...], "del": [...]}, "client_grants": …, "resource_servers": …, "signing_keys": …}`
//! where `put` holds whole records (new ones in creation order) and `del` ids. A line belongs to the snapshot with
//! the same `generation`; lines of an older generation were folded into a newer snapshot and are
//! skipped, so a crash between writing a snapshot and emptying the journal loses nothing and
//! applies nothing twice. A last line without its newline (a write cut short by a kill) was never
//! acknowledged and is dropped; any other unreadable line is corruption. Must not decide when to
//! write or sync (the persister does).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::Error;
use super::store::Tenant;
use super::table::Table;

/// The journal beside a state file.
pub fn path_for(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    state.with_file_name(name)
}

#[derive(Serialize, Deserialize, Default)]
struct Changes<M> {
    #[serde(default = "Vec::new", skip_serializing_if = "Vec::is_empty")]
    put: Vec<M>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    del: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch<M> {
    generation: u64,
    seq: u64,
    #[serde(default = "empty")]
    clients: Changes<M>,
    #[serde(default = "empty")]
    client_grants: Changes<M>,
    #[serde(default = "empty")]
    resource_servers: Changes<M>,
    #[serde(default = "empty")]
    client_credentials: Changes<M>,
    #[serde(default = "empty")]
    organizations: Changes<M>,
    #[serde(default = "empty")]
    signing_keys: Changes<M>,
}

fn empty<M>() -> Changes<M> {
    Changes {
        put: Vec::new(),
        del: Vec::new(),
    }
}

/// Takes the changed ids of a table: present ones as records (in list order), the rest as ids.
fn drain(table: &mut Table) -> (Vec<String>, Vec<String>) {
    let (mut present, absent): (Vec<String>, Vec<String>) = table
        .take_changed()
        .into_iter()
        .partition(|id| table.get(id).is_some());
    present.sort_by_key(|id| table.get(id).map_or(0, |r| r.seq));
    (present, absent)
}

fn changes(table: &Table, (put, del): (Vec<String>, Vec<String>)) -> Changes<&Map<String, Value>> {
    Changes {
        put: put
            .iter()
            .filter_map(|id| table.get(id))
            .map(|r| &r.obj)
            .collect(),
        del,
    }
}

/// Takes what changed since the last call as one journal line (with its newline); `None` when
/// nothing did.
pub fn take_batch(t: &mut Tenant, generation: u64) -> Result<Option<Vec<u8>>, serde_json::Error> {
    let clients = drain(&mut t.clients);
    let grants = drain(&mut t.grants);
    let apis = drain(&mut t.resource_servers);
    let creds = drain(&mut t.credentials);
    let orgs = drain(&mut t.organizations);
    let keys = drain(&mut t.keys);
    if [&clients, &grants, &apis, &creds, &orgs, &keys]
        .iter()
        .all(|(p, d)| p.is_empty() && d.is_empty())
    {
        return Ok(None);
    }
    let batch = Batch {
        generation,
        seq: t.seq,
        clients: changes(&t.clients, clients),
        client_grants: changes(&t.grants, grants),
        resource_servers: changes(&t.resource_servers, apis),
        client_credentials: changes(&t.credentials, creds),
        organizations: changes(&t.organizations, orgs),
        signing_keys: changes(&t.keys, keys),
    };
    let mut line = serde_json::to_vec(&batch)?;
    line.push(b'\n');
    Ok(Some(line))
}

/// Forgets the changes so far (they are in a snapshot being written).
pub fn discard_changes(t: &mut Tenant) {
    for table in t.tables_mut() {
        table.take_changed();
    }
}

fn apply(table: &mut Table, seq: &mut u64, changes: Changes<Map<String, Value>>, id_key: &str) {
    for id in &changes.del {
        table.remove(id);
    }
    for obj in changes.put {
        let Some(id) = obj.get(id_key).and_then(Value::as_str) else {
            continue;
        };
        match table.get_mut(id) {
            Some(record) => record.obj = obj,
            None => {
                *seq += 1;
                table.push(*seq, obj);
            }
        }
    }
}

/// Replays the journal's lines of `generation` onto `t`; returns how many batches applied.
/// `path` names the journal in errors.
pub fn replay(t: &mut Tenant, bytes: &[u8], generation: u64, path: &Path) -> Result<usize, Error> {
    let complete = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(end) => &bytes[..=end],
        None => &[][..],
    };
    if complete.len() < bytes.len() {
        tracing::warn!(
            "dropping a cut-off last line of `{}` (a write interrupted by a kill; it was never acknowledged)",
            path.display()
        );
    }
    let lines: Vec<&[u8]> = complete
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut applied = 0;
    for (i, line) in lines.iter().enumerate() {
        let batch: Batch<Map<String, Value>> = match serde_json::from_slice(line) {
            Ok(batch) => batch,
            Err(e) if i + 1 == lines.len() => {
                tracing::warn!(
                    "dropping an unreadable last line of `{}`: {e}",
                    path.display()
                );
                break;
            }
            Err(e) => {
                return Err(Error::StateCorrupt {
                    path: path.to_path_buf(),
                    reason: format!("line {}: {e}", i + 1),
                });
            }
        };
        if batch.generation != generation {
            continue;
        }
        let mut seq = t.seq;
        apply(&mut t.clients, &mut seq, batch.clients, "client_id");
        apply(&mut t.grants, &mut seq, batch.client_grants, "id");
        apply(
            &mut t.resource_servers,
            &mut seq,
            batch.resource_servers,
            "id",
        );
        apply(&mut t.credentials, &mut seq, batch.client_credentials, "id");
        apply(&mut t.organizations, &mut seq, batch.organizations, "id");
        apply(&mut t.keys, &mut seq, batch.signing_keys, "kid");
        super::signing_keys::sync_current(t);
        t.seq = seq.max(batch.seq);
        applied += 1;
    }
    Ok(applied)
}

/// The open journal file of the current generation.
#[derive(Debug)]
pub struct Journal {
    file: File,
    /// Bytes in the file.
    pub len: u64,
    /// The snapshot generation its lines belong to.
    pub generation: u64,
    /// Appended since the last [`Journal::sync`].
    pub unsynced: bool,
}

impl Journal {
    /// Opens (creating, mode 0600) and empties the journal: a snapshot of `generation` holds
    /// everything it had.
    pub fn reset(path: &Path, generation: u64) -> std::io::Result<Journal> {
        let file = crate::fs::open_append(path, crate::fs::Mode::Private)?;
        file.set_len(0)?;
        file.sync_all()?;
        Ok(Journal {
            file,
            len: 0,
            generation,
            unsynced: false,
        })
    }

    /// Empties the journal after a snapshot of `generation` replaced the old one.
    pub fn restart(&mut self, generation: u64) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.sync_all()?;
        self.len = 0;
        self.generation = generation;
        self.unsynced = false;
        Ok(())
    }

    /// Appends one line (visible to any reader, and surviving a kill of this process, once
    /// this returns).
    pub fn append(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.file.write_all(line)?;
        self.len += line.len() as u64;
        self.unsynced = true;
        Ok(())
    }

    /// Cuts the file back to `len` bytes (undoing a failed append).
    pub fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)?;
        self.len = len;
        Ok(())
    }

    /// Flushes appended lines to the disk (power-loss durability).
    pub fn sync(&mut self) -> std::io::Result<()> {
        if self.unsynced {
            self.file.sync_data()?;
            self.unsynced = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::KeyMaterial;
    use serde_json::json;

    fn tenant() -> Tenant {
        let key = KeyMaterial {
            kid: "k".into(),
            pem: String::new(),
        };
        Tenant::new("127.0.0.1:1", key, Some(("boot".into(), "s".into())))
    }

    fn client(id: &str, name: &str) -> Map<String, Value> {
        match json!({"client_id": id, "name": name}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn ids(t: &Table) -> Vec<(String, Value)> {
        t.all()
            .iter()
            .map(|r| {
                (
                    r.str("client_id").unwrap_or_default().to_string(),
                    Value::Object(r.obj.clone()),
                )
            })
            .collect()
    }

    /// Two batches of creates, an update and deletes; replayed onto the starting state.
    fn two_batches(t: &mut Tenant) -> Vec<u8> {
        for table in t.tables_mut() {
            table.track_changes();
        }
        let mut lines = Vec::new();
        for name in ["a", "b", "c"] {
            let seq = t.next_seq();
            t.clients.push(seq, client(name, name));
        }
        let seq = t.next_seq();
        let mut cred = Map::new();
        cred.insert("id".into(), "cred_a".into());
        cred.insert("client_id".into(), "a".into());
        t.credentials.push(seq, cred);
        let seq = t.next_seq();
        let mut org = Map::new();
        org.insert("id".into(), "org_a".into());
        org.insert("client_grants".into(), serde_json::json!(["cgr_a"]));
        t.organizations.push(seq, org);
        lines.extend(take_batch(t, 7).unwrap().unwrap());
        if let Some(r) = t.clients.get_mut("a") {
            r.obj.insert("name".into(), "renamed".into());
        }
        t.delete_client("boot");
        t.clients.remove("b");
        let seq = t.next_seq();
        t.clients.push(seq, client("d", "d"));
        lines.extend(take_batch(t, 7).unwrap().unwrap());
        assert!(take_batch(t, 7).unwrap().is_none(), "nothing left");
        lines
    }

    #[test]
    fn replay_rebuilds_the_same_tables_in_the_same_order() {
        let before = tenant();
        let mut live = before.clone();
        let lines = two_batches(&mut live);
        let mut replayed = before.clone();
        let n = replay(&mut replayed, &lines, 7, Path::new("j")).unwrap();
        assert_eq!(n, 2);
        assert_eq!(ids(&replayed.clients), ids(&live.clients));
        assert_eq!(
            replayed.grants.len(),
            live.grants.len(),
            "cascaded grant delete"
        );
        assert_eq!(
            replayed.credentials.len(),
            1,
            "client credentials journalled"
        );
        assert_eq!(replayed.credentials.len(), live.credentials.len());
        let org = replayed.organizations.get("org_a").map(|r| r.obj.clone());
        assert_eq!(
            org.and_then(|o| o.get("client_grants").cloned()),
            Some(serde_json::json!(["cgr_a"])),
            "organizations and their grant associations journalled"
        );
        assert!(replayed.seq >= live.seq);
        // Replaying onto the state that already holds it changes nothing (a crash between a
        // snapshot and the journal reset).
        let mut again = live.clone();
        replay(&mut again, &lines, 7, Path::new("j")).unwrap();
        assert_eq!(ids(&again.clients), ids(&live.clients));
    }

    #[test]
    fn other_generations_torn_tails_and_corruption() {
        let before = tenant();
        let mut live = before.clone();
        let lines = two_batches(&mut live);
        let mut t = before.clone();
        assert_eq!(
            replay(&mut t, &lines, 8, Path::new("j")).unwrap(),
            0,
            "older generation"
        );
        assert_eq!(ids(&t.clients), ids(&before.clients));

        let first_end = lines.iter().position(|b| *b == b'\n').unwrap() + 1;
        for cut in [first_end + 1, lines.len() - 1] {
            let mut t = before.clone();
            assert_eq!(
                replay(&mut t, &lines[..cut], 7, Path::new("j")).unwrap(),
                1,
                "cut at {cut}"
            );
        }
        let mut garbled = lines[..first_end].to_vec();
        garbled.extend_from_slice(b"{garbage\n");
        let mut t = before.clone();
        assert_eq!(
            replay(&mut t, &garbled, 7, Path::new("j")).unwrap(),
            1,
            "unreadable last line dropped"
        );
        let mut middle = b"{garbage\n".to_vec();
        middle.extend_from_slice(&lines);
        let err = replay(&mut before.clone(), &middle, 7, Path::new("j")).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
