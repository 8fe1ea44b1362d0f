//! Edge cases of `build` and what `check` reports about them.

use super::tests::{MGMT, api, grant, m2m, messy, options, system, text};
use super::*;
use crate::model::{Marker, RemoteState};
use crate::plan::PlanOptions;

fn marked(id: &str, name: &str, project: &str, key: &str) -> crate::model::RemoteClient {
    let mut c = m2m(id, name);
    let marker = Marker {
        project: project.into(),
        key: key.into(),
    };
    c.client_metadata
        .insert(crate::model::MARKER_KEY.into(), marker.encode());
    c
}

/// True when the first plan is adoptions only.
fn is_clean(check: &Check) -> bool {
    matches!(check, Check::Planned { extra, .. } if extra.is_empty())
}

fn checked(remote: &RemoteState, options: &ExportOptions) -> (Export, Check) {
    let export = build(remote, options);
    let check = check(&text(&export), remote, &PlanOptions::default());
    (export, check)
}

#[test]
fn managed_clients_keep_their_key_and_other_projects_are_skipped() {
    let remote = RemoteState {
        clients: vec![
            marked("A1", "Orders", "default", "orders-key"),
            marked("B1", "Payments", "payments", "pay"),
            m2m("C1", "orders-key"),
        ],
        grants: vec![grant("cgr_1", "A1", "https://orders/", &["read"])],
        apis: vec![api("https://orders/", "Orders", &["read"], 86400)],
    };
    let (export, check) = checked(&remote, &options());
    let keys: Vec<(String, Option<String>)> = export
        .config
        .applications
        .iter()
        .map(|a| {
            (
                a.key.as_ref().unwrap().value.clone(),
                a.client_id.as_ref().map(|c| c.value.clone()),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("orders-key".to_string(), None),
            ("orders-key-c1".to_string(), Some("C1".to_string())),
        ]
    );
    assert_eq!(export.warnings.len(), 1);
    assert!(export.warnings[0].contains("`--project payments`"));
    assert!(
        matches!(check, Check::Planned { adoptions: 1, ref extra } if extra.is_empty()),
        "{check:?}"
    );

    // The same tenant exported for project `payments` takes B1 and skips A1.
    let export = build(
        &remote,
        &ExportOptions {
            project: Some("payments".into()),
            ..options()
        },
    );
    let names: Vec<&str> = export
        .config
        .applications
        .iter()
        .map(|a| a.name.value.as_str())
        .collect();
    assert_eq!(names, ["orders-key", "Payments"]);
    assert!(text(&export).contains("project: payments"));
}

#[test]
fn undeclared_grant_scopes_make_the_api_external() {
    let remote = RemoteState {
        clients: vec![m2m("A1", "Worker")],
        grants: vec![grant("cgr_1", "A1", "https://orders/", &["read", "gone"])],
        apis: vec![api("https://orders/", "Orders", &["read"], 3600)],
    };
    let (export, check) = checked(&remote, &options());
    assert_eq!(export.warnings.len(), 1);
    assert!(
        export.warnings[0].contains("`gone` (`worker`)"),
        "{:?}",
        export.warnings
    );
    assert_eq!(
        export.config.apis[0].external.as_ref().map(|e| e.value),
        Some(true)
    );
    assert!(is_clean(&check), "{check:?}");
}

#[test]
fn unknown_management_scopes_are_dropped_and_the_check_reports_the_change() {
    let remote = RemoteState {
        clients: vec![m2m("A1", "Worker")],
        grants: vec![grant("cgr_1", "A1", MGMT, &["read:clients", "read:future"])],
        apis: vec![system(MGMT, "Auth0 Management API")],
    };
    let (export, check) = checked(&remote, &options());
    assert!(
        export.warnings[0].contains("`read:future`"),
        "{:?}",
        export.warnings
    );
    let Check::Planned { adoptions, extra } = check else {
        panic!("{check:?}");
    };
    assert_eq!(adoptions, 1);
    assert_eq!(extra, ["`grant.worker -> management`: changes `scope`"]);
}

#[test]
fn adoption_that_must_change_more_than_the_marker_is_reported() {
    let mut odd = m2m("A1", "Worker");
    odd.grant_types.push("password".into());
    odd.token_endpoint_auth_method = None;
    let remote = RemoteState {
        clients: vec![odd],
        ..RemoteState::default()
    };
    let (_, check) = checked(&remote, &options());
    let Check::Planned { adoptions, extra } = check else {
        panic!("{check:?}");
    };
    assert_eq!(adoptions, 0);
    assert_eq!(
        extra,
        ["`application.worker`: adoption also changes `grant_types`, `token_endpoint_auth_method`"]
    );
}

#[test]
fn invalid_tenant_data_fails_the_check_with_diagnostics() {
    let mut many = m2m("A1", "Worker");
    for i in 0..10 {
        many.client_metadata.insert(format!("k{i}"), "v".into());
    }
    let remote = RemoteState {
        clients: vec![many],
        ..RemoteState::default()
    };
    let (_, check) = checked(&remote, &options());
    assert!(matches!(check, Check::Invalid(_)), "{check:?}");
}

#[test]
fn local_tenant_and_empty_tenant() {
    let export = build(&RemoteState::default(), &ExportOptions::new(Domain::Local));
    let text = text(&export);
    assert!(text.contains("domain: local"), "{text}");
    assert_eq!(export.stats, Stats::default());
    assert!(is_clean(&check(
        &text,
        &RemoteState::default(),
        &PlanOptions::default()
    )));
}

#[test]
fn no_client_secret_or_marker_leaks_into_the_file() {
    let mut remote = messy();
    remote.clients[0]
        .client_metadata
        .insert("m2mctl".into(), "not-a-marker".into());
    let export = build(&remote, &options());
    let text = text(&export);
    assert!(!text.contains("not-a-marker"), "{text}");
    assert!(!text.contains("client_secret:"), "{text}");
    assert!(export.warnings[0].contains("not an m2mctl marker"));
}

#[test]
fn same_names_are_valid_only_when_every_one_is_pinned() {
    let base = "version: 1\napplications:\n";
    let cases = [
        (
            "- {name: w, key: a, client_id: A}\n- {name: w, key: b, client_id: B}\n",
            true,
        ),
        (
            "- {name: w, key: a, client_id: A}\n- {name: w, key: b}\n",
            false,
        ),
        (
            "- {name: w, key: a}\n- {name: w, key: b, client_id: B}\n",
            false,
        ),
        ("- {name: w, key: a}\n- {name: w, key: b}\n", false),
    ];
    for (apps, valid) in cases {
        let text = format!("{base}{apps}");
        let got = crate::config::load_str("x", &text, &crate::config::Vars::empty());
        assert_eq!(got.is_ok(), valid, "{text}: {got:?}");
    }
}
