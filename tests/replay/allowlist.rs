//! The reviewed allowlist (`tests/fixtures/auth0/replay-allowlist.yaml`): known differences between
//! the recordings and the emulator, each with a reason. An entry nothing matches fails the test,
//! so the list stays as short as the differences are.

use std::cell::Cell;

use serde::Deserialize;

/// One reviewed difference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// `METHOD /route/template`, or `*` for every route.
    pub route: String,
    /// The difference as the test prints it (`status 200 -> 404`, `missing signing_keys`, …);
    /// a trailing `*` matches any suffix.
    pub diff: String,
    /// Only cassettes whose name starts with this (e.g. `ruby-auth0/`).
    #[serde(default)]
    pub files: Option<String>,
    /// Why the difference is accepted.
    pub reason: String,
    #[serde(skip)]
    pub used: Cell<usize>,
}

/// Every entry of the file.
pub(crate) fn load() -> Vec<Entry> {
    let path = super::recording::root().join("replay-allowlist.yaml");
    let text = std::fs::read_to_string(&path).expect("allowlist");
    let entries: Vec<Entry> = serde_saphyr::from_str(&text).expect("allowlist parses");
    for e in &entries {
        assert!(
            e.reason.trim().len() > 20,
            "allowlist entry `{} {}` needs a reason",
            e.route,
            e.diff
        );
    }
    entries
}

/// The entry covering `diff` on `route` in cassette `file`, if any (counted as used).
pub(crate) fn find<'a>(
    entries: &'a [Entry],
    file: &str,
    route: &str,
    diff: &str,
) -> Option<&'a Entry> {
    let hit = entries.iter().find(|e| {
        (e.route == "*" || e.route == route)
            && e.files.as_deref().is_none_or(|f| file.starts_with(f))
            && match e.diff.strip_suffix('*') {
                Some(prefix) => diff.starts_with(prefix),
                None => e.diff == diff,
            }
    })?;
    hit.used.set(hit.used.get() + 1);
    Some(hit)
}
