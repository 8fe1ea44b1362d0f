//! The check after every apply: no ownership marker of the project is carried by two clients.
//!
//! Two clients with one marker are a duplicated application (two runs that did not share the
//! lease, `--no-lock`, a hand copy); the next plan would refuse to choose between them. Only
//! clients m2mctl may own count ([`RemoteClient::owned_marker`]). Pure: the command lists the
//! clients and passes them in.

use std::collections::BTreeMap;

use super::Error;
use crate::model::RemoteClient;

/// `Err` naming every marker of `project` carried by more than one client, with the client ids.
pub fn unique_markers(project: &str, clients: &[RemoteClient]) -> Result<(), Error> {
    let mut by_marker: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for c in clients {
        if let Some(m) = c.owned_marker().filter(|m| m.project == project) {
            by_marker
                .entry(m.encode())
                .or_default()
                .push(c.client_id.as_str());
        }
    }
    let list: Vec<String> = by_marker
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(marker, mut ids)| {
            ids.sort_unstable();
            let ids: Vec<String> = ids.iter().map(|id| format!("`{id}`")).collect();
            format!(
                "marker `{marker}` is on {} clients: {}",
                ids.len(),
                ids.join(", ")
            )
        })
        .collect();
    if list.is_empty() {
        Ok(())
    } else {
        Err(Error::DuplicateMarkers {
            list: list.join("; "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::{client, managed};

    #[test]
    fn duplicates_are_named_with_their_ids() {
        assert!(unique_markers("payments", &[managed("a", "x"), managed("b", "y")]).is_ok());
        let mut spa = managed("s", "x");
        spa.app_type = Some("spa".into());
        // a copy on a client m2mctl must not own is not a duplicate application
        assert!(unique_markers("payments", &[managed("a", "x"), spa]).is_ok());
        // another project's duplicates are that project's to report
        let theirs = [
            client("d", "n", Some("other:x")),
            client("e", "n", Some("other:x")),
        ];
        assert!(unique_markers("payments", &theirs).is_ok());
        let err = unique_markers(
            "payments",
            &[
                managed("c", "x"),
                managed("a", "x"),
                managed("b", "y"),
                managed("f", "y"),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "duplicate applications: marker `payments:x` is on 2 clients: `a`, `c`; marker `payments:y` is on 2 clients: `b`, `f`"
        );
    }
}
