//! Table tests of the diff on 2026 tenant shapes: a second system API (My Account) listed before
//! the Management API, user-access grants beside client grants, private-key-JWT clients, SPAs.

use super::fixtures::*;
use super::tests::run_table;
use super::*;
use crate::model::{DesiredApp, RemoteApi, RemoteClient, RemoteGrant, RemoteState};

const ME: &str = "https://tenant.example/me/";

fn my_account_api() -> RemoteApi {
    RemoteApi {
        id: "me000000".into(),
        identifier: ME.into(),
        name: "Auth0 My Account API".into(),
        scopes: scope_defs(&["read:me:authentication_methods"]),
        token_lifetime: Some(600),
        is_system: true,
    }
}

/// A tenant holding exactly these objects (unlike `remote`, which puts the Management API first).
fn tenant(
    clients: Vec<RemoteClient>,
    grants: Vec<RemoteGrant>,
    apis: Vec<RemoteApi>,
) -> RemoteState {
    RemoteState {
        clients,
        grants,
        apis,
    }
}

fn with_grants(key: &str, grants: Vec<crate::model::DesiredGrant>) -> DesiredApp {
    DesiredApp { grants, ..app(key) }
}

fn user_grant(id: &str, client_id: &str, audience: &str) -> RemoteGrant {
    RemoteGrant {
        subject_type: Some("user".into()),
        ..rgrant(id, client_id, audience, &["read:clients"])
    }
}

fn pkjwt(id: &str, name: &str, marker: Option<&str>) -> RemoteClient {
    RemoteClient {
        token_endpoint_auth_method: None,
        client_authentication_methods: Some(serde_json::json!({
            "private_key_jwt": {"credentials": [{"id": "cred_abc"}]}
        })),
        ..client(id, name, marker)
    }
}

#[test]
fn tenant_shapes_of_2026_table() {
    let none = PlanOptions::default();
    let mgmt_grant = || with_grants("a", vec![grant("management", &["read:clients"])]);
    run_table(vec![
        (
            "my account API listed first: the management grant is the /api/v2/ one",
            desired(vec![mgmt_grant()], vec![]),
            tenant(
                vec![managed("c1", "a")],
                vec![rgrant("g1", "c1", MGMT, &["read:clients"])],
                vec![my_account_api(), mgmt_api()],
            ),
            none.clone(),
            vec![],
        ),
        (
            "my account API alone is never taken for the Management API",
            desired(vec![mgmt_grant()], vec![]),
            tenant(vec![managed("c1", "a")], vec![], vec![my_account_api()]),
            PlanOptions {
                management_audience: Some(MGMT.into()),
                ..none.clone()
            },
            vec![
                r#"Create grant.a -> management [new]: audience ∅->"https://tenant.example/api/v2/"; scope ∅->["read:clients"]"#,
            ],
        ),
        (
            "a user grant beside the client grant of the same (app, API) is left alone",
            desired(vec![mgmt_grant()], vec![]),
            tenant(
                vec![managed("c1", "a")],
                vec![
                    user_grant("g0", "c1", MGMT),
                    rgrant("g1", "c1", MGMT, &["read:clients"]),
                ],
                vec![my_account_api(), mgmt_api()],
            ),
            none.clone(),
            vec![],
        ),
        (
            "a private-key-JWT client is adopted without touching its authentication method",
            desired(
                vec![DesiredApp {
                    client_id: Some("k1".into()),
                    ..app("signer")
                }],
                vec![],
            ),
            tenant(vec![pkjwt("k1", "signer", None)], vec![], vec![mgmt_api()]),
            none.clone(),
            vec![
                r#"Adopt application.signer [k1]: client_metadata.m2mctl ∅->"payments:signer""#,
                "warn: `signer` authenticates with `private_key_jwt` (`client_authentication_methods`); m2mctl leaves its authentication method alone",
            ],
        ),
        (
            "a managed private-key-JWT client stays as it is",
            desired(vec![app("signer")], vec![]),
            tenant(
                vec![pkjwt("k1", "signer", Some("payments:signer"))],
                vec![],
                vec![mgmt_api()],
            ),
            none.clone(),
            vec![
                "warn: `signer` authenticates with `private_key_jwt` (`client_authentication_methods`); m2mctl leaves its authentication method alone",
            ],
        ),
        (
            "an unmanaged SPA and its grants are never touched",
            desired(vec![mgmt_grant()], vec![]),
            tenant(
                vec![
                    managed("c1", "a"),
                    RemoteClient {
                        app_type: Some("spa".into()),
                        ..client("s1", "web", None)
                    },
                ],
                vec![
                    rgrant("g1", "c1", MGMT, &["read:clients"]),
                    rgrant("g2", "s1", MGMT, &["read:users"]),
                    user_grant("g3", "s1", ME),
                ],
                vec![my_account_api(), mgmt_api()],
            ),
            none,
            vec![],
        ),
    ]);
}
