//! Attribution table tests: which log entries touched which drifted object.

use serde_json::json;

use super::*;
use crate::model::RemoteGrant;
use crate::plan::fixtures::change_of;
use crate::plan::{FieldChange, Target};

fn change(kind: Kind, action: Action, name: &str, id: Option<&str>) -> Change {
    let mut c = change_of(kind, action, name, id);
    c.fields = vec![FieldChange::new(
        "description",
        Some(json!("a")),
        Some(json!("b")),
    )];
    c
}

fn entry(
    id: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
    response: serde_json::Value,
) -> LogEntry {
    LogEntry {
        log_id: id.into(),
        date: format!("2026-11-30T10:00:0{}.000Z", id.len() % 10),
        kind: "sapi".into(),
        description: Some("Update a Client".into()),
        client_id: Some("ops1".into()),
        client_name: Some("ops-bot".into()),
        user_id: None,
        user_name: None,
        audience: None,
        scope: None,
        details: Some(
            json!({"request": {"method": method, "path": path, "body": body},
                             "response": {"statusCode": 200, "body": response}}),
        ),
    }
}

#[test]
fn entries_are_matched_to_the_objects_they_wrote() {
    let remote = RemoteState {
        grants: vec![
            serde_json::from_value::<RemoteGrant>(json!({
                "id": "cgr_1", "client_id": "c1", "audience": "https://orders/", "scope": []
            }))
            .unwrap(),
        ],
        ..Default::default()
    };
    let mut missing_grant = change(Kind::Grant, Action::Create, "a -> https://orders/", None);
    if let Target::Grant { client, .. } = &mut missing_grant.target {
        client.client_id = Some("c1".into());
    }
    missing_grant.fields = vec![FieldChange::new(
        "audience",
        None,
        Some(json!("https://orders/")),
    )];
    let changes = [
        change(Kind::Client, Action::Update, "a", Some("c1")),
        change(
            Kind::Grant,
            Action::Update,
            "a -> https://orders/",
            Some("cgr_1"),
        ),
        change(Kind::Api, Action::Update, "https://orders/", Some("rs1")),
        missing_grant,
    ];
    let entries = [
        entry("1", "patch", "/api/v2/clients/c1", json!({}), json!({})),
        entry("2", "patch", "/api/v2/clients/c2", json!({}), json!({})),
        entry(
            "3",
            "patch",
            "/api/v2/client-grants/cgr_1",
            json!({}),
            json!({}),
        ),
        entry(
            "4",
            "post",
            "/api/v2/clients",
            json!({"name": "a"}),
            json!({"client_id": "c1"}),
        ),
        entry(
            "5",
            "patch",
            "/api/v2/resource-servers/rs1",
            json!({}),
            json!({}),
        ),
        entry(
            "6",
            "post",
            "/api/v2/client-grants",
            json!({"client_id": "c1", "audience": "https://orders/"}),
            json!({"id": "cgr_9"}),
        ),
        entry(
            "7",
            "patch",
            "/api/v2/clients/c1/rotate-secret",
            json!({}),
            json!({}),
        ),
        entry(
            "8",
            "patch",
            "/api/v2/clients-other/c1",
            json!({}),
            json!({}),
        ),
    ];
    let want: [&[&str]; 4] = [&["1", "4", "7"], &["3", "6"], &["5"], &["6"]];
    for (c, want) in changes.iter().zip(want) {
        let got: Vec<&str> = entries
            .iter()
            .filter(|e| touches(e, c, &remote))
            .map(|e| e.log_id.as_str())
            .collect();
        assert_eq!(got, want, "{}", c.address);
    }
}

fn plan(changes: Vec<Change>) -> Plan {
    crate::plan::Plan {
        format_version: crate::plan::FORMAT_VERSION,
        project: "p".into(),
        changes,
        warnings: Vec::new(),
        touched: Vec::new(),
        fingerprint: String::new(),
        max_deletes: 5,
        blocked: None,
        violations: Vec::new(),
        endpoint_scopes: Vec::new(),
    }
}

#[test]
fn without_read_logs_drift_is_reported_and_says_why() {
    let p = plan(vec![change(Kind::Client, Action::Update, "a", Some("c1"))]);
    let r = report(&p, &RemoteState::default(), &Logs::Forbidden);
    assert!(!r.is_clean());
    assert_eq!(r.authors, Authors::NoPermission);
    let mut out = Vec::new();
    render::text(&r, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("a (c1): apply would update it"), "{text}");
    assert!(text.contains("lacks `read:logs`"), "{text}");
}

#[test]
fn markdown_escapes_tenant_text() {
    let p = plan(vec![change(Kind::Client, Action::Update, "a", Some("c1"))]);
    let mut e = entry("1", "patch", "/api/v2/clients/c1", json!({}), json!({}));
    e.client_name = Some("<img src=x> | evil".into());
    let logs = Logs::Read {
        entries: vec![e],
        truncated: false,
    };
    let r = report(&p, &RemoteState::default(), &logs);
    let mut out = Vec::new();
    render::markdown(&r, &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    assert!(md.contains("&lt;img src=x&gt; \\| evil"), "{md}");
    assert!(!md.contains("<img"), "{md}");
}
