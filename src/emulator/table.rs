//! An ordered collection of JSON records with an id index: the storage of clients, grants and
//! resource servers.
//!
//! Owns list order (creation order, creation order with flagged records last, or by id: see
//! [`Order`]), O(1) lookup by id, O(page) slicing, checkpoint cursors (a record's place in that
//! order) and, when asked, the ids changed since the last look (what the state journal writes).
//! Must not know what a record means; the endpoint modules do.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

/// One stored object (`client`, `client grant`, `resource server`) and its creation sequence.
#[derive(Debug, Clone)]
pub struct Record {
    /// Creation sequence: list order and checkpoint cursor.
    pub seq: u64,
    /// The object as Auth0 shows it (secrets included; views filter them).
    pub obj: Map<String, Value>,
}

impl Record {
    /// A string field.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.obj.get(key).and_then(Value::as_str)
    }
    /// A boolean field.
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.obj.get(key).and_then(Value::as_bool)
    }
}

/// How a table's records are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Creation order.
    Creation,
    /// Creation order, but records whose boolean field of this name is `true` after all others
    /// (Auth0 lists the global client last).
    CreationFlaggedLast(&'static str),
    /// By id, byte-wise ascending (Auth0 lists client grants so).
    ById,
}

/// A record's place in its table's [`Order`]: (flagged, creation sequence, id), each part zero
/// when the order does not use it. Checkpoint cursors carry it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// Listed after the unflagged records.
    pub flagged: bool,
    /// Creation sequence.
    pub seq: u64,
    /// Id.
    pub id: String,
}

/// Records in their [`Order`], indexed by the value of their id field.
#[derive(Debug, Clone)]
pub struct Table {
    id_key: &'static str,
    order: Order,
    items: Vec<Record>,
    index: HashMap<String, usize>,
    /// Ids pushed, handed out mutably or removed since [`Table::take_changed`] (when tracking).
    changed: Option<HashSet<String>>,
}

impl Table {
    /// An empty table in creation order whose records are identified by `id_key` (`client_id`,
    /// `id`).
    pub fn new(id_key: &'static str) -> Table {
        Table::ordered(id_key, Order::Creation)
    }

    /// An empty table listed in `order`.
    pub fn ordered(id_key: &'static str, order: Order) -> Table {
        Table {
            id_key,
            order,
            items: Vec::new(),
            index: HashMap::new(),
            changed: None,
        }
    }

    /// Starts remembering which ids change (a persisted tenant; in memory nothing is tracked).
    pub fn track_changes(&mut self) {
        self.changed.get_or_insert_with(HashSet::new);
    }

    /// The ids changed since the last call (present now, or removed), and forgets them.
    pub fn take_changed(&mut self) -> Vec<String> {
        self.changed
            .as_mut()
            .map(|set| set.drain().collect())
            .unwrap_or_default()
    }

    fn mark(&mut self, id: &str) {
        if let Some(set) = &mut self.changed
            && !set.contains(id)
        {
            set.insert(id.to_string());
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// All records in order.
    pub fn all(&self) -> &[Record] {
        &self.items
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.index.get(id).map(|&i| &self.items[i])
    }

    /// The record with this id, mutable.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Record> {
        let i = *self.index.get(id)?;
        self.mark(id);
        Some(&mut self.items[i])
    }

    /// The first record matching `pred`.
    pub fn find(&self, pred: impl Fn(&Record) -> bool) -> Option<&Record> {
        self.items.iter().find(|r| pred(r))
    }

    /// A record's place in the table's order.
    pub fn place(&self, record: &Record) -> Place {
        let id = || record.str(self.id_key).unwrap_or_default().to_string();
        match self.order {
            Order::Creation => Place {
                flagged: false,
                seq: record.seq,
                id: String::new(),
            },
            Order::CreationFlaggedLast(flag) => Place {
                flagged: record.bool(flag).unwrap_or(false),
                seq: record.seq,
                id: String::new(),
            },
            Order::ById => Place {
                flagged: false,
                seq: 0,
                id: id(),
            },
        }
    }

    /// Adds a record (its seq must be larger than every stored one) at its place; returns it.
    pub fn push(&mut self, seq: u64, obj: Map<String, Value>) -> &Record {
        let id = obj
            .get(self.id_key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.mark(&id);
        let record = Record { seq, obj };
        let place = self.place(&record);
        let at = self.position(&place);
        self.items.insert(at, record);
        if at + 1 == self.items.len() {
            self.index.insert(id, at);
        } else {
            self.reindex();
        }
        &self.items[at]
    }

    /// Removes the record with this id; returns whether it existed.
    pub fn remove(&mut self, id: &str) -> Option<Record> {
        let i = self.index.remove(id)?;
        self.mark(id);
        let record = self.items.remove(i);
        for item in &self.items[i..] {
            if let Some(key) = item.obj.get(self.id_key).and_then(Value::as_str)
                && let Some(slot) = self.index.get_mut(key)
            {
                *slot -= 1;
            }
        }
        Some(record)
    }

    /// Removes every record matching `pred`; returns how many.
    pub fn remove_where(&mut self, pred: impl Fn(&Record) -> bool) -> usize {
        let before = self.items.len();
        if let Some(set) = &mut self.changed {
            let key = self.id_key;
            set.extend(
                self.items
                    .iter()
                    .filter(|r| pred(r))
                    .filter_map(|r| r.str(key).map(str::to_string)),
            );
        }
        self.items.retain(|r| !pred(r));
        let removed = before - self.items.len();
        if removed > 0 {
            self.reindex();
        }
        removed
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (i, item) in self.items.iter().enumerate() {
            let id = item
                .obj
                .get(self.id_key)
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.index.insert(id.to_string(), i);
        }
    }

    /// Position of the first record at or after `place` (checkpoint cursors).
    pub fn position(&self, place: &Place) -> usize {
        self.items.partition_point(|r| self.place(r) < *place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(id: &str) -> Map<String, Value> {
        match json!({ "id": id }) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn keeps_order_and_index_across_removals() {
        let mut t = Table::new("id");
        for (seq, id) in ["a", "b", "c", "d"].iter().enumerate() {
            t.push(seq as u64 + 1, obj(id));
        }
        assert!(t.remove("b").is_some());
        assert!(t.remove("b").is_none());
        assert_eq!(t.get("c").map(|r| r.seq), Some(3));
        assert_eq!(t.get("d").map(|r| r.seq), Some(4));
        assert_eq!(t.remove_where(|r| r.str("id") == Some("a")), 1);
        assert_eq!(t.get("d").map(|r| r.seq), Some(4));
        assert_eq!(t.len(), 2);
        let at = |seq| Place {
            flagged: false,
            seq,
            id: String::new(),
        };
        assert_eq!(t.position(&at(4)), 1);
        assert_eq!(t.position(&at(99)), 2);
    }

    #[test]
    fn tracks_changed_ids_only_when_asked() {
        let mut t = Table::new("id");
        t.push(1, obj("a"));
        assert!(t.take_changed().is_empty(), "not tracking");
        t.track_changes();
        t.push(2, obj("b"));
        t.push(3, obj("c"));
        t.push(4, obj("d"));
        let _ = t.get("a");
        let _ = t.get_mut("a");
        t.remove("b");
        t.remove_where(|r| r.str("id") == Some("c"));
        let mut changed = t.take_changed();
        changed.sort();
        assert_eq!(changed, ["a", "b", "c", "d"]);
        assert!(t.take_changed().is_empty(), "taken");
    }

    #[test]
    fn lists_in_its_order_whatever_the_creation_order() {
        let flagged = |id: &str, flag: bool| {
            let mut o = obj(id);
            o.insert("global".into(), flag.into());
            o
        };
        let order = |t: &Table| -> Vec<String> {
            t.all()
                .iter()
                .filter_map(|r| r.str("id").map(str::to_string))
                .collect()
        };
        let mut by_id = Table::ordered("id", Order::ById);
        let mut last = Table::ordered("id", Order::CreationFlaggedLast("global"));
        for (seq, id) in ["cgr_m", "cgr_B", "cgr_z", "cgr_a"].iter().enumerate() {
            by_id.push(seq as u64 + 1, obj(id));
            last.push(seq as u64 + 1, flagged(id, seq == 0));
        }
        assert_eq!(order(&by_id), ["cgr_B", "cgr_a", "cgr_m", "cgr_z"]);
        assert_eq!(order(&last), ["cgr_B", "cgr_z", "cgr_a", "cgr_m"]);
        for t in [&by_id, &last] {
            for (i, r) in t.all().iter().enumerate() {
                let id = r.str("id").unwrap_or_default();
                assert_eq!(t.get(id).map(|g| g.seq), Some(r.seq), "index of {id}");
                assert_eq!(t.position(&t.place(r)), i, "place of {id}");
            }
        }
        assert!(by_id.remove("cgr_a").is_some());
        by_id.push(9, obj("cgr_0"));
        assert_eq!(order(&by_id), ["cgr_0", "cgr_B", "cgr_m", "cgr_z"]);
        assert_eq!(by_id.get("cgr_z").map(|r| r.seq), Some(3));
    }
}
