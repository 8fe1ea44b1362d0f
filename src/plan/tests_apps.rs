//! Table tests of the diff for applications: matching, ownership, managed fields, prune.

use super::fixtures::*;
use super::tests::run_table;
use super::*;
use crate::model::{AuthMethod, DesiredApp};

const ORDERS: &str = "https://orders.example.com/";

fn pinned(key: &str, client_id: &str) -> DesiredApp {
    DesiredApp {
        client_id: Some(client_id.into()),
        ..app(key)
    }
}

#[test]
fn matching_and_ownership_table() {
    let none = PlanOptions::default();
    let mut drifted = client("u1", "old name", None);
    drifted.app_type = Some("regular_web".into());
    drifted.grant_types = vec!["authorization_code".into(), "client_credentials".into()];
    drifted.client_metadata.insert("team".into(), "x".into());
    let mut global = client("g0", "All Applications", None);
    global.global = true;
    run_table(vec![
        (
            "create a new application with its grant",
            desired(
                vec![DesiredApp {
                    grants: vec![grant(ORDERS, &["read:orders"])],
                    ..app("billing")
                }],
                vec![api(ORDERS, &["read:orders"])],
            ),
            remote(
                vec![],
                vec![],
                vec![remote_api("a1", ORDERS, &["read:orders"])],
            ),
            none.clone(),
            vec![
                r#"Create application.billing [new]: name ∅->"billing"; app_type ∅->"non_interactive"; grant_types ∅->["client_credentials"]; token_endpoint_auth_method ∅->"client_secret_post"; client_metadata.m2mctl ∅->"payments:billing""#,
                r#"Create grant.billing -> https://orders.example.com/ [new]: audience ∅->"https://orders.example.com/"; scope ∅->["read:orders"]"#,
            ],
        ),
        (
            "in sync: no changes",
            desired(vec![app("billing")], vec![]),
            remote(vec![managed("c1", "billing")], vec![], vec![]),
            none.clone(),
            vec![],
        ),
        (
            "adoption via pin: marker added, managed fields brought in line, metadata authoritative",
            desired(vec![pinned("billing", "u1")], vec![]),
            remote(vec![drifted], vec![], vec![]),
            none.clone(),
            vec![
                r#"Adopt application.billing [u1]: name "old name"->"billing"; app_type "regular_web"->"non_interactive"; grant_types ["authorization_code","client_credentials"]->["client_credentials"]; client_metadata.m2mctl ∅->"payments:billing"; client_metadata.team "x"->∅"#,
            ],
        ),
        (
            "marked client with the same pin: plain match",
            desired(vec![pinned("billing", "c1")], vec![]),
            remote(vec![managed("c1", "billing")], vec![], vec![]),
            none.clone(),
            vec![],
        ),
        (
            "pinned client missing",
            desired(vec![pinned("billing", "nope")], vec![]),
            remote(vec![], vec![], vec![]),
            none.clone(),
            vec![
                "error: application `billing` pins `client_id: nope`, which does not exist in the tenant",
            ],
        ),
        (
            "pinned client owned by another project",
            desired(vec![pinned("billing", "c9")], vec![]),
            remote(
                vec![client("c9", "billing", Some("shipping:billing"))],
                vec![],
                vec![],
            ),
            none.clone(),
            vec!["error: application `billing`: client `c9` is owned by project `shipping`"],
        ),
        (
            "same key owned by another project",
            desired(vec![app("billing")], vec![]),
            remote(
                vec![client("c9", "other name", Some("shipping:billing"))],
                vec![],
                vec![],
            ),
            none.clone(),
            vec!["error: application `billing`: client `c9` is owned by project `shipping`"],
        ),
        (
            "same-named unmanaged client without a pin",
            desired(vec![app("billing")], vec![]),
            remote(vec![client("u1", "billing", None)], vec![], vec![]),
            none.clone(),
            vec![
                "error: application `billing`: an unmanaged client named `billing` already exists (`u1`)",
            ],
        ),
        (
            "foreign and unmarked clients untouched, global client ignored for names",
            desired(vec![app("billing"), app("All Applications")], vec![]),
            remote(
                vec![
                    managed("c1", "billing"),
                    client("f1", "billing", Some("shipping:worker")),
                    client("u1", "hand-made", None),
                    global,
                ],
                vec![rgrant("g1", "f1", ORDERS, &["x"])],
                vec![],
            ),
            none.clone(),
            vec![
                r#"Create application.All Applications [new]: name ∅->"All Applications"; app_type ∅->"non_interactive"; grant_types ∅->["client_credentials"]; token_endpoint_auth_method ∅->"client_secret_post"; client_metadata.m2mctl ∅->"payments:All Applications""#,
            ],
        ),
        (
            "pin conflicts with the marked client",
            desired(vec![pinned("billing", "u1")], vec![]),
            remote(
                vec![managed("c1", "billing"), client("u1", "x", None)],
                vec![],
                vec![],
            ),
            none.clone(),
            vec![
                "error: application `billing` pins `client_id: u1` but client `c1` already carries its marker",
            ],
        ),
        (
            "two apps pin one client",
            desired(vec![pinned("a", "u1"), pinned("b", "u1")], vec![]),
            remote(vec![client("u1", "x", None)], vec![], vec![]),
            none.clone(),
            vec!["error: applications `a` and `b` both pin client `u1`"],
        ),
        (
            "pinned client managed here under another key",
            desired(vec![pinned("b", "c1")], vec![]),
            remote(vec![managed("c1", "a")], vec![], vec![]),
            none.clone(),
            vec!["error: application `b` pins client `c1`, which this project manages as `a`"],
        ),
        (
            "duplicate markers",
            desired(vec![app("a")], vec![]),
            remote(vec![managed("c1", "a"), managed("c2", "a")], vec![], vec![]),
            none.clone(),
            vec!["error: application `a` is carried by several clients: `c1`, `c2`"],
        ),
        (
            "pinning the global client",
            desired(vec![pinned("a", "g0")], vec![]),
            remote(
                vec![client("g0", "All", None)]
                    .into_iter()
                    .map(|mut c| {
                        c.global = true;
                        c
                    })
                    .collect(),
                vec![],
                vec![],
            ),
            none,
            vec![
                "error: application `a` pins `g0`, the tenant's global client, which m2mctl cannot manage",
            ],
        ),
    ]);
}

#[test]
fn managed_fields_table() {
    let none = PlanOptions::default();
    let with = |f: &dyn Fn(&mut DesiredApp)| {
        let mut a = app("billing");
        f(&mut a);
        desired(vec![a], vec![])
    };
    let mut described = managed("c1", "billing");
    described.description = Some("old".into());
    let mut unset = managed("c1", "billing");
    unset.token_endpoint_auth_method = None;
    unset.grant_types = vec![];
    let mut extra_meta = managed("c1", "billing");
    extra_meta
        .client_metadata
        .insert("legacy".into(), "1".into());
    run_table(vec![
        (
            "name (a rename is an update, not create + delete)",
            with(&|a| a.name = "billing-worker".into()),
            remote(vec![managed("c1", "billing")], vec![], vec![]),
            none.clone(),
            vec![r#"Update application.billing [c1]: name "billing"->"billing-worker""#],
        ),
        (
            "description set",
            with(&|a| a.description = Some("new".into())),
            remote(vec![described.clone()], vec![], vec![]),
            none.clone(),
            vec![r#"Update application.billing [c1]: description "old"->"new""#],
        ),
        (
            "description removed from the config is cleared",
            with(&|_| {}),
            remote(vec![described], vec![], vec![]),
            none.clone(),
            vec![r#"Update application.billing [c1]: description "old"->"""#],
        ),
        (
            "auth method",
            with(&|a| a.auth_method = AuthMethod::ClientSecretBasic),
            remote(vec![managed("c1", "billing")], vec![], vec![]),
            none.clone(),
            vec![
                r#"Update application.billing [c1]: token_endpoint_auth_method "client_secret_post"->"client_secret_basic""#,
            ],
        ),
        (
            "forced M2M values when absent (a marked client without `app_type` is never matched)",
            with(&|_| {}),
            remote(vec![unset], vec![], vec![]),
            none.clone(),
            vec![
                r#"Update application.billing [c1]: grant_types []->["client_credentials"]; token_endpoint_auth_method ∅->"client_secret_post""#,
            ],
        ),
        (
            "metadata: declared keys set, undeclared removed",
            with(&|a| {
                a.metadata.insert("team".into(), "billing".into());
            }),
            remote(vec![extra_meta], vec![], vec![]),
            none,
            vec![
                r#"Update application.billing [c1]: client_metadata.team ∅->"billing"; client_metadata.legacy "1"->∅"#,
            ],
        ),
    ]);
}

#[test]
fn prune_and_guards_table() {
    let orphan_tenant = || {
        remote(
            vec![managed("c1", "kept"), managed("c2", "gone")],
            vec![
                rgrant("g2", "c2", ORDERS, &["read:orders"]),
                rgrant("g3", "c2", MGMT, &["read:clients"]),
            ],
            vec![],
        )
    };
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let mut by_settings = desired(vec![app("kept")], vec![]);
    by_settings.settings.prune = true;
    let mut tight = desired(vec![app("kept")], vec![]);
    tight.settings.max_deletes = 0;
    let me = |opts: PlanOptions| PlanOptions {
        self_client_id: Some("c2".into()),
        ..opts
    };
    let mgmt_app = |scopes: &[&str]| DesiredApp {
        grants: vec![grant("management", scopes)],
        ..app("gone")
    };
    let delete_gone = r#"Delete application.gone [c2] (+g2,g3): name "gone"->∅; app_type "non_interactive"->∅; grant_types ["client_credentials"]->∅; token_endpoint_auth_method "client_secret_post"->∅; client_metadata.m2mctl "payments:gone"->∅"#;
    run_table(vec![
        (
            "prune off: a warning, no change",
            desired(vec![app("kept")], vec![]),
            orphan_tenant(),
            PlanOptions::default(),
            vec![
                "warn: managed application `gone` (`c2`) is not in the config; run with `--prune` to delete it",
            ],
        ),
        (
            "prune on: delete, grants cascade",
            desired(vec![app("kept")], vec![]),
            orphan_tenant(),
            prune.clone(),
            vec![delete_gone],
        ),
        (
            "prune from settings",
            by_settings,
            orphan_tenant(),
            PlanOptions::default(),
            vec![delete_gone],
        ),
        (
            "mass delete guard blocks the plan",
            tight.clone(),
            orphan_tenant(),
            prune.clone(),
            vec![delete_gone, "blocked: 1 > 0"],
        ),
        (
            "mass delete allowed",
            tight,
            orphan_tenant(),
            PlanOptions {
                allow_mass_delete: true,
                ..prune.clone()
            },
            vec![delete_gone],
        ),
        (
            "lockout: never delete our own client",
            desired(vec![app("kept")], vec![]),
            orphan_tenant(),
            me(prune.clone()),
            vec!["error: the plan would delete `c2`, the client m2mctl authenticates as"],
        ),
        (
            "lockout: never narrow our Management API grant",
            desired(vec![app("kept"), mgmt_app(&[])], vec![]),
            orphan_tenant(),
            me(PlanOptions::default()),
            vec![
                "error: the plan would remove Management API scopes from `c2`, the client m2mctl authenticates as",
            ],
        ),
        (
            "lockout: never delete our Management API grant",
            desired(vec![app("kept"), app("gone")], vec![]),
            orphan_tenant(),
            me(PlanOptions::default()),
            vec![
                "error: the plan would delete the Management API grant of `c2`, the client m2mctl authenticates as",
            ],
        ),
        (
            "widening our own grant is fine",
            desired(
                vec![
                    app("kept"),
                    DesiredApp {
                        grants: vec![
                            grant("management", &["read:clients", "update:clients"]),
                            grant(ORDERS, &["read:orders"]),
                        ],
                        ..app("gone")
                    },
                ],
                vec![],
            ),
            orphan_tenant(),
            me(PlanOptions::default()),
            vec![
                r#"Update grant.gone -> management [g3]: scope ["read:clients"]->["read:clients","update:clients"]"#,
            ],
        ),
    ]);
}

#[test]
fn mass_delete_check_for_apply() {
    let mut d = desired(vec![], vec![]);
    d.settings.max_deletes = 1;
    let tenant = remote(vec![managed("c1", "a"), managed("c2", "b")], vec![], vec![]);
    let plan = diff(
        &d,
        &tenant,
        &PlanOptions {
            prune: true,
            ..PlanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(plan.summary().delete, 2);
    assert_eq!(
        plan.check_mass_delete(false),
        Err(Error::MassDelete {
            deletes: 2,
            keys: 0,
            max_deletes: 1
        })
    );
    assert_eq!(plan.check_mass_delete(true), Ok(()));
}
