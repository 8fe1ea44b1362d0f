//! Table tests of the policy rules over tenant objects outside the file: warnings, user-access
//! grants that never count as an application's access, key-signing clients read as Auth0 shows
//! them.

use super::tests::BASE;
use super::*;
use crate::auth0;
use crate::config::{self, Vars};
use crate::model::{RemoteClient, RemoteGrant, RemoteState};

fn client(id: &str, name: &str, marker: Option<&str>) -> RemoteClient {
    let metadata: serde_json::Map<String, serde_json::Value> = marker
        .map(|m| [("m2mctl".to_string(), m.into())].into_iter().collect())
        .unwrap_or_default();
    serde_json::from_value(serde_json::json!({
        "client_id": id, "name": name, "app_type": "non_interactive",
        "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_post",
        "client_metadata": metadata
    }))
    .expect("client")
}

fn grant(client_id: &str, audience: &str, scope: &[&str]) -> RemoteGrant {
    serde_json::from_value(serde_json::json!({
        "id": format!("cgr_{client_id}"), "client_id": client_id, "audience": audience, "scope": scope
    }))
    .expect("grant")
}

#[test]
fn tenant_objects_outside_the_file_are_warnings() {
    let policy = "  forbidden_scopes: [\"delete:*\"]\n  max_management_writers: 1\n  required_metadata: [owner]\n";
    let text = format!("{BASE}policy:\n{policy}");
    let loaded = config::load_str("m2mctl.yaml", &text, &Vars::empty()).unwrap();
    let mgmt = "https://t/api/v2/";
    let remote = RemoteState {
        clients: vec![
            client("managed1", "deployer", Some("shop:deployer")),
            client("legacy1", "Legacy sync", None),
            client("other1", "Other team", Some("other:x")),
        ],
        grants: vec![
            grant("managed1", mgmt, &["create:clients"]),
            grant("legacy1", mgmt, &["delete:users"]),
            grant("other1", "https://orders/", &["read:orders"]),
        ],
        apis: vec![],
    };
    let got: Vec<(Rule, String)> = check_tenant(
        &loaded.desired,
        &remote,
        Some(mgmt),
        &PolicySet::of(&loaded, None),
    )
    .into_iter()
    .inspect(|v| assert_eq!(v.severity, Severity::Warning))
    .map(|v| (v.rule, v.address))
    .collect();
    assert_eq!(
        got,
        vec![
            (Rule::ForbiddenScopes, "client.legacy1".to_string()),
            (Rule::RequiredMetadata, "client.legacy1".to_string()),
            (Rule::RequiredMetadata, "client.other1".to_string()),
            (Rule::MaxManagementWriters, "client.legacy1".to_string()),
        ]
    );
}

/// The rules and addresses of the tenant warnings under `policy` (on [`BASE`]).
fn tenant_warnings(policy: &str, remote: &RemoteState) -> Vec<(Rule, String, String)> {
    let text = format!("{BASE}policy:\n{policy}");
    let loaded = config::load_str("m2mctl.yaml", &text, &Vars::empty()).unwrap();
    check_tenant(
        &loaded.desired,
        remote,
        Some("https://t/api/v2/"),
        &PolicySet::of(&loaded, None),
    )
    .into_iter()
    .map(|v| (v.rule, v.address, v.message))
    .collect()
}

#[test]
fn a_tenant_client_signing_with_a_key_is_read_as_private_key_jwt() {
    // Auth0's shape: the credentials under `client_authentication_methods`, no
    // `token_endpoint_auth_method`.
    let mut signer = client("signer1", "Signer", None);
    signer.token_endpoint_auth_method = None;
    signer.client_authentication_methods = Some(serde_json::json!({
        "private_key_jwt": {"credentials": [{"id": "cred_1"}]}
    }));
    let remote = RemoteState {
        clients: vec![signer, client("secret1", "Secret", None)],
        grants: vec![],
        apis: vec![],
    };
    let got = tenant_warnings("  required_authentication: private_key_jwt\n", &remote);
    let addresses: Vec<&str> = got.iter().map(|(_, a, _)| a.as_str()).collect();
    assert_eq!(addresses, vec!["client.secret1"], "{got:?}");
    assert!(got[0].2.contains("`client_secret_post`"), "{}", got[0].2);

    let got = tenant_warnings("  required_authentication: client_secret_post\n", &remote);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, "client.signer1");
    assert!(
        got[0].2.contains("authenticates with `private_key_jwt`"),
        "{}",
        got[0].2
    );
}

#[test]
fn user_access_grants_never_count_as_an_m2m_apps_access() {
    let mgmt = "https://t/api/v2/";
    let mut user_grant = grant("legacy1", mgmt, &["delete:users", "create:users"]);
    user_grant.subject_type = Some(auth0::SUBJECT_USER.to_string());
    user_grant.id = "cgr_user".into();
    let mut client_grant = grant("legacy1", "https://orders/", &["read:orders"]);
    client_grant.subject_type = Some(auth0::SUBJECT_CLIENT.to_string());
    let remote = RemoteState {
        clients: vec![client("legacy1", "Legacy sync", None)],
        grants: vec![user_grant.clone(), client_grant],
        apis: vec![],
    };
    // BASE holds 2 management writers: the limit is met, the user grant adds none.
    let policy = "  forbidden_scopes: [\"delete:*\"]\n  max_management_writers: 2\n  management_scopes:\n    deployer: [\"*\"]\n    \"reporting-*\": [\"*\"]\n";
    assert_eq!(tenant_warnings(policy, &remote), vec![]);

    // The same scopes in a client grant are reported by each rule.
    let mut as_client = user_grant;
    as_client.subject_type = None;
    let remote = RemoteState {
        grants: vec![as_client],
        ..remote
    };
    let rules: Vec<Rule> = tenant_warnings(policy, &remote)
        .into_iter()
        .map(|(r, _, _)| r)
        .collect();
    assert_eq!(
        rules,
        vec![
            Rule::ForbiddenScopes,
            Rule::ManagementScopes,
            Rule::MaxManagementWriters
        ]
    );
}
