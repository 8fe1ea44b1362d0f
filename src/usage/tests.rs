//! Counting table tests: tokens per application and grant, failures, the window, unused flags.

use super::*;
use crate::config::{self, Vars};
use crate::model::RemoteClient;

const CONFIG: &str = "version: 1
project: p
apis:
  - identifier: https://orders/
    scopes: [{value: read:orders}]
applications:
  - name: busy
    grants:
      - api: https://orders/
        scopes: [read:orders]
      - api: management
        scopes: [read:clients]
  - name: idle
    grants:
      - api: https://orders/
        scopes: [read:orders]
  - name: pinned
    client_id: pin1
";

fn client(id: &str, key: &str) -> RemoteClient {
    serde_json::from_value(serde_json::json!({
        "client_id": id, "name": key, "app_type": "non_interactive", "client_metadata": {"m2mctl": format!("p:{key}")}
    }))
    .unwrap()
}

fn entry(kind: &str, client: &str, audience: &str, date: &str) -> LogEntry {
    serde_json::from_value(serde_json::json!({
        "log_id": format!("{date}{client}"), "type": kind, "date": date,
        "client_id": client, "audience": audience
    }))
    .unwrap()
}

#[test]
fn tokens_failures_and_unused_flags() {
    let loaded = config::load_str("m2mctl.yaml", CONFIG, &Vars::empty()).unwrap();
    let remote = RemoteState {
        clients: vec![client("c_busy", "busy"), client("c_idle", "idle")],
        ..Default::default()
    };
    let mgmt = "https://t/api/v2/";
    let entries = [
        entry(
            "seccft",
            "c_busy",
            "https://orders/",
            "2026-11-30T10:00:00.000Z",
        ),
        entry(
            "seccft",
            "c_busy",
            "https://orders/",
            "2026-11-30T11:00:00.000Z",
        ),
        entry("seccft", "c_busy", mgmt, "2026-11-30T09:00:00.000Z"),
        entry("feccft", "c_busy", mgmt, "2026-11-30T09:30:00.000Z"),
        entry(
            "seccft",
            "c_idle",
            "https://orders/",
            "2026-11-01T00:00:00.000Z",
        ),
        entry(
            "seccft",
            "someone_else",
            "https://orders/",
            "2026-11-30T10:00:00.000Z",
        ),
    ];
    let r = report(
        &loaded.desired,
        &remote,
        mgmt,
        &entries,
        "2026-11-29T00:00:00.000Z",
        1,
    );
    let row = |k: &str| r.applications.iter().find(|a| a.key == k).unwrap();
    let busy = row("busy");
    assert_eq!((busy.tokens, busy.failures, busy.unused), (3, 1, false));
    assert_eq!(busy.last_token.as_deref(), Some("2026-11-30T11:00:00.000Z"));
    let per_grant: Vec<(&str, usize, bool)> = busy
        .grants
        .iter()
        .map(|g| (g.api.as_str(), g.tokens, g.unused))
        .collect();
    assert_eq!(
        per_grant,
        [("https://orders/", 2, false), ("management", 1, false)]
    );
    let idle = row("idle");
    assert_eq!(
        (idle.tokens, idle.unused, idle.grants[0].unused),
        (0, true, true)
    );
    let pinned = row("pinned");
    assert_eq!(
        (pinned.client_id.as_deref(), pinned.unused),
        (Some("pin1"), true)
    );
    assert_eq!(r.unused_count(), 3);
    assert_eq!(r.oldest_entry.as_deref(), Some("2026-11-01T00:00:00.000Z"));
    let mut out = Vec::new();
    render::text(&r, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("UNUSED"), "{text}");
    assert!(text.contains("Enterprise 30 d"), "{text}");
}
