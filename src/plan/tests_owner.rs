//! Table tests of the ownership boundary: a marker on a client m2mctl must never own (the global
//! client, a non-M2M application) is never matched, updated, granted, recovered or pruned.

use super::fixtures::*;
use super::tests::brief;
use super::*;
use crate::model::{DesiredApp, RemoteClient};

/// `worker` wants `read:clients` on the Management API: what an attacker would like to get.
fn worker() -> DesiredApp {
    DesiredApp {
        grants: vec![grant("management", &["read:clients"])],
        ..app("worker")
    }
}

fn with_type(mut c: RemoteClient, app_type: Option<&str>) -> RemoteClient {
    c.app_type = app_type.map(str::to_string);
    c
}

#[test]
fn a_marker_on_a_client_m2mctl_must_not_own_is_never_matched() {
    let mut global = managed("g0", "billing");
    global.global = true;
    let cases = [
        (
            "spa",
            Some("spa"),
            "has `app_type: spa`, not `non_interactive`",
        ),
        (
            "regular web",
            Some("regular_web"),
            "has `app_type: regular_web`, not `non_interactive`",
        ),
        (
            "no app_type",
            None,
            "has no `app_type`, not `non_interactive`",
        ),
    ];
    for (name, app_type, why) in cases {
        let hostile = with_type(managed("s1", "worker"), app_type);
        let d = desired(vec![worker(), app("billing")], vec![]);
        let tenant = remote(
            vec![hostile, global.clone()],
            vec![rgrant("gr1", "s1", MGMT, &["read:users"])],
            vec![],
        );
        let options = PlanOptions {
            prune: true,
            ..PlanOptions::default()
        };
        let plan = diff(&d, &tenant, &options).unwrap();
        let lines = brief(&Ok(plan.clone()));
        // nothing addresses the hostile clients or their grant: no update, adopt, grant or prune
        for c in &plan.changes {
            assert!(c.action == Action::Create, "{name}: {lines:#?}");
            assert!(
                c.target
                    .grant_client()
                    .is_none_or(|r| r.client_id.is_none()),
                "{name}: {lines:#?}"
            );
        }
        assert_eq!(plan.summary().create, 3, "{name}: {lines:#?}");
        assert!(plan.touched.is_empty(), "{name}: {lines:#?}");
        let warnings: Vec<&str> = plan.warnings.iter().map(|w| w.message.as_str()).collect();
        let spa = format!(
            "client `s1` carries the marker of `worker` but {why}; m2mctl never manages it and leaves it alone"
        );
        assert_eq!(
            warnings,
            [
                spa.as_str(),
                "client `g0` carries the marker of `billing` but is the tenant's global client; m2mctl never manages it and leaves it alone",
            ],
            "{name}"
        );
    }
}

#[test]
fn unownable_clients_neither_block_nor_claim_keys() {
    // another project's marker on a spa does not block this project's key
    let foreign = with_type(client("f1", "x", Some("shipping:worker")), Some("spa"));
    let d = desired(vec![worker()], vec![]);
    let plan = diff(
        &d,
        &remote(vec![foreign], vec![], vec![]),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(plan.summary().create, 2, "{:#?}", brief(&Ok(plan.clone())));
    // the same marker on an M2M client still belongs to the other project
    let owned = client("f1", "x", Some("shipping:worker"));
    let err = diff(
        &d,
        &remote(vec![owned], vec![], vec![]),
        &PlanOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::OwnedByOtherProject { .. }), "{err}");
    // pinning such a client is an explicit adoption
    let spa = with_type(managed("s1", "worker"), Some("spa"));
    let pinned = DesiredApp {
        client_id: Some("s1".into()),
        ..worker()
    };
    let plan = diff(
        &desired(vec![pinned], vec![]),
        &remote(vec![spa], vec![], vec![]),
        &PlanOptions::default(),
    )
    .unwrap();
    let adopt = &plan.changes[0];
    assert_eq!(
        (adopt.action, adopt.id.as_deref()),
        (Action::Adopt, Some("s1"))
    );
}
