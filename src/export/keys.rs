//! Application keys for exported clients: stable, readable, distinct.
//!
//! A key is the slug of the client's name; clients whose slugs collide (same-named apps, or
//! names differing only in case and punctuation) get a suffix from their `client_id`, long
//! enough to be unique. Keys already in use (this project's markers) are never reused. The
//! result depends only on the inputs, never on their order. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

/// Longest slug taken from a name (the marker `project:key` must stay under 255 characters).
const MAX_SLUG: usize = 64;
/// Shortest `client_id` suffix used to tell same-named apps apart.
const MIN_SUFFIX: usize = 6;

/// `Billing Worker (EU)` → `billing-worker-eu`; letters and digits of any script are kept,
/// everything else becomes one `-`. Empty results become `app`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.chars().count() >= MAX_SLUG {
            break;
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "app".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Assigns a key to each `(client_id, name)`, avoiding `taken`; returns client_id → key.
pub(super) fn assign<'a>(
    clients: &[(&'a str, &'a str)],
    taken: &BTreeSet<String>,
) -> BTreeMap<&'a str, String> {
    let mut by_slug: BTreeMap<String, Vec<&'a str>> = BTreeMap::new();
    for (id, name) in clients {
        by_slug.entry(slug(name)).or_default().push(id);
    }
    let mut used = taken.clone();
    let mut keys = BTreeMap::new();
    // Unique slugs first, so that a suffixed key can never take a plain one.
    for (base, ids) in &by_slug {
        if ids.len() == 1 && !taken.contains(base) {
            used.insert(base.clone());
            keys.insert(ids[0], base.clone());
        }
    }
    for (base, ids) in &by_slug {
        if ids.len() == 1 && keys.contains_key(ids[0]) {
            continue;
        }
        let mut ids = ids.clone();
        ids.sort_unstable();
        for id in ids {
            let key = suffixed(base, id, &ids_sharing(&by_slug[base], id), &used);
            used.insert(key.clone());
            keys.insert(id, key);
        }
    }
    keys
}

/// The other client ids with the same slug.
fn ids_sharing<'a>(ids: &[&'a str], me: &str) -> Vec<&'a str> {
    ids.iter().copied().filter(|id| *id != me).collect()
}

/// `base-<prefix of id>`, the prefix long enough to differ from every sibling and unused.
fn suffixed(base: &str, id: &str, siblings: &[&str], used: &BTreeSet<String>) -> String {
    let id_lower = id.to_lowercase();
    let chars: Vec<char> = id_lower.chars().collect();
    let mut len = MIN_SUFFIX.min(chars.len());
    loop {
        let prefix: String = chars[..len].iter().collect();
        let shared = siblings
            .iter()
            .any(|s| s.to_lowercase().starts_with(&prefix));
        let key = format!("{base}-{prefix}");
        if (!shared && !used.contains(&key)) || len >= chars.len() {
            if used.contains(&key) {
                // Only when ids differ by case alone: fall back to a counter.
                return (2..)
                    .map(|n| format!("{key}-{n}"))
                    .find(|k| !used.contains(k))
                    .unwrap_or(key);
            }
            return key;
        }
        len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        let cases = [
            ("Billing Worker (EU)", "billing-worker-eu"),
            ("billing-worker", "billing-worker"),
            ("  --x--  ", "x"),
            ("Ünïcode Äpp", "ünïcode-äpp"),
            ("日本語", "日本語"),
            ("!!!", "app"),
            ("", "app"),
            ("a.b_c/d", "a-b-c-d"),
        ];
        for (name, want) in cases {
            assert_eq!(slug(name), want, "{name:?}");
        }
        assert_eq!(slug(&"x".repeat(300)).len(), MAX_SLUG);
    }

    #[test]
    fn same_named_apps_get_distinct_suffixed_keys() {
        let clients = [
            ("AbCdEf111111", "Worker"),
            ("abcdef222222", "Worker"),
            ("zzzzzz999999", "Other"),
        ];
        let keys = assign(&clients, &BTreeSet::new());
        assert_eq!(keys["AbCdEf111111"], "worker-abcdef1");
        assert_eq!(keys["abcdef222222"], "worker-abcdef2");
        assert_eq!(keys["zzzzzz999999"], "other");
    }

    #[test]
    fn keys_do_not_depend_on_input_order_and_avoid_taken_ones() {
        let a = [("id1aaaaaaa", "Api Client"), ("id2bbbbbbb", "api-client")];
        let b = [a[1], a[0]];
        let taken: BTreeSet<String> = ["other".to_string()].into();
        assert_eq!(assign(&a, &taken), assign(&b, &taken));
        let keys = assign(&[("q1w2e3r4t5", "Other")], &taken);
        assert_eq!(keys["q1w2e3r4t5"], "other-q1w2e3");
    }

    #[test]
    fn a_suffixed_key_never_steals_a_plain_one() {
        // `worker-abcdef` is a plain slug of another app, and the suffix of a `Worker` twin.
        let clients = [
            ("abcdef000001", "Worker"),
            ("abcdef000002", "Worker"),
            ("xyz", "Worker abcdef0"),
        ];
        let keys = assign(&clients, &BTreeSet::new());
        let distinct: BTreeSet<&String> = keys.values().collect();
        assert_eq!(distinct.len(), 3, "{keys:?}");
        assert_eq!(keys["xyz"], "worker-abcdef0");
    }
}
