//! Unit tests of `token::select`.

use super::*;
use crate::model::*;
use std::collections::BTreeMap;

const MGMT: &str = "https://t.example/api/v2/";

fn app(key: &str, name: &str, grants: &[(ApiRef, &[&str])]) -> DesiredApp {
    DesiredApp {
        key: key.into(),
        name: name.into(),
        description: None,
        client_id: None,
        auth_method: AuthMethod::ClientSecretPost,
        keys: Vec::new(),
        token_lifetime: None,
        grants: grants
            .iter()
            .map(|(api, scopes)| DesiredGrant {
                api: api.clone(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                endpoints: Vec::new(),
                organization: Default::default(),
            })
            .collect(),
        metadata: BTreeMap::new(),
    }
}

fn client(id: &str, marker: Option<&str>) -> RemoteClient {
    RemoteClient {
        client_id: id.into(),
        name: id.into(),
        description: None,
        app_type: Some("non_interactive".into()),
        grant_types: vec!["client_credentials".into()],
        token_endpoint_auth_method: None,
        client_metadata: marker
            .map(|m| BTreeMap::from([(MARKER_KEY.to_string(), m.to_string())]))
            .unwrap_or_default(),
        client_authentication_methods: None,
        global: false,
    }
}

fn grant(client_id: &str, audience: &str, scope: &[&str]) -> RemoteGrant {
    RemoteGrant {
        id: format!("cgr_{client_id}"),
        client_id: client_id.into(),
        audience: audience.into(),
        scope: scope.iter().map(|s| s.to_string()).collect(),
        subject_type: None,
        organization_usage: None,
        allow_any_organization: None,
        default_for: None,
    }
}

fn orders() -> ApiRef {
    ApiRef::Identifier("https://orders/".into())
}

fn fixture() -> (DesiredState, RemoteState) {
    let mut pinned = app("legacy", "Legacy", &[(orders(), &["read"])]);
    pinned.client_id = Some("pinned1".into());
    let desired = DesiredState {
        project: "p".into(),
        domain: Domain::Local,
        settings: Settings::default(),
        apis: vec![DesiredApi {
            identifier: "https://orders/".into(),
            name: "Orders".into(),
            scopes: vec![],
            token_lifetime: Some(600),
            external: false,
        }],
        applications: vec![
            app(
                "billing",
                "Billing Worker",
                &[
                    (orders(), &["read", "write"]),
                    (ApiRef::Management, &["read:clients"]),
                ],
            ),
            app("reports", "Reports", &[(orders(), &["read"])]),
            pinned,
            app("fresh", "Fresh", &[(orders(), &["read"])]),
        ],
        management_token_lifetime: Some(86400),
    };
    let remote = RemoteState {
        clients: vec![
            client("c-other", Some("other:billing")),
            client("c-bill", Some("p:billing")),
            client("c-rep", Some("p:reports")),
            client("pinned1", None),
        ],
        grants: vec![
            grant("c-bill", "https://orders/", &["write", "read"]),
            grant("c-bill", MGMT, &["read:clients"]),
            grant("pinned1", "https://orders/", &["read"]),
        ],
        apis: vec![],
    };
    (desired, remote)
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn selects_pairs_by_key_name_and_api() {
    let (d, r) = fixture();
    let summary = |pairs: Vec<Pair>| -> Vec<String> {
        pairs
            .iter()
            .map(|p| {
                format!(
                    "{}:{}:{}:{:?}",
                    p.app_key, p.client_id, p.audience, p.lifetime
                )
            })
            .collect()
    };
    let cases: [(&[&str], Option<&str>, &[&str]); 4] = [
        (
            &["billing"],
            None,
            &[
                "billing:c-bill:https://orders/:Some(600)",
                "billing:c-bill:https://t.example/api/v2/:Some(86400)",
            ],
        ),
        (
            &["Billing Worker"],
            Some("management"),
            &["billing:c-bill:https://t.example/api/v2/:Some(86400)"],
        ),
        (
            &["billing"],
            Some(MGMT),
            &["billing:c-bill:https://t.example/api/v2/:Some(86400)"],
        ),
        (
            &["legacy", "billing", "legacy"],
            Some("https://orders/"),
            &[
                "billing:c-bill:https://orders/:Some(600)",
                "legacy:pinned1:https://orders/:Some(600)",
            ],
        ),
    ];
    for (apps, api, want) in cases {
        let got = select_pairs(&d, &r, &args(apps), api, MGMT).unwrap();
        assert_eq!(summary(got), want, "{apps:?} {api:?}");
    }
}

#[test]
fn pair_carries_declared_and_tenant_scopes() {
    let (d, mut r) = fixture();
    r.grants[0].scope = vec!["read".into()];
    let pairs = select_pairs(&d, &r, &args(&["billing"]), Some("https://orders/"), MGMT).unwrap();
    assert_eq!(pairs[0].scopes.len(), 2);
    assert_eq!(pairs[0].tenant_scopes.iter().collect::<Vec<_>>(), ["read"]);
}

#[test]
fn errors_name_the_problem() {
    let (d, r) = fixture();
    let cases: [(&[&str], Option<&str>, &str); 5] = [
        (
            &["biling"],
            None,
            "application `biling` is not in the config",
        ),
        (
            &["fresh"],
            None,
            "application `fresh` is not in the tenant yet",
        ),
        (
            &["reports"],
            None,
            "application `reports` has no grant for `https://orders/` in the tenant",
        ),
        (
            &["billing"],
            Some("https://nope/"),
            "no selected application is granted `https://nope/`",
        ),
        (&[], None, "application `fresh` is not in the tenant yet"),
    ];
    for (apps, api, want) in cases {
        let err = select_pairs(&d, &r, &args(apps), api, MGMT).unwrap_err();
        assert_eq!(err.to_string(), want, "{apps:?}");
    }
}

#[test]
fn foreign_project_marker_is_not_this_app() {
    let (d, mut r) = fixture();
    r.clients.retain(|c| c.client_id != "c-bill");
    let err = select_apps(&d, &r, &args(&["billing"])).unwrap_err();
    assert!(matches!(err, TokenError::NotApplied { .. }));
}

#[test]
fn management_audience_prefers_the_system_api() {
    let mut r = RemoteState::default();
    assert_eq!(management_audience(&r, "h:1"), "https://h:1/api/v2/");
    r.apis.push(RemoteApi {
        id: "1".into(),
        identifier: "https://real/api/v2/".into(),
        name: String::new(),
        scopes: vec![],
        token_lifetime: None,
        is_system: true,
    });
    assert_eq!(management_audience(&r, "h:1"), "https://real/api/v2/");
}

#[test]
fn a_marker_on_a_client_m2mctl_must_not_own_never_selects_it() {
    // A hostile or mistaken marker copied onto an SPA or the global client must not make `token`
    // or `credentials` serve that client: plan ignores it, so they do too.
    let (d, r0) = fixture();
    let spa = |mut c: RemoteClient| {
        c.app_type = Some("spa".into());
        c
    };
    let global = |mut c: RemoteClient| {
        c.global = true;
        c
    };
    for (what, make) in [
        ("spa", &spa as &dyn Fn(RemoteClient) -> RemoteClient),
        ("global", &global),
    ] {
        let mut r = r0.clone();
        r.clients.retain(|c| c.client_id != "c-rep");
        r.clients.push(make(client("c-hostile", Some("p:reports"))));
        r.grants
            .push(grant("c-hostile", "https://orders/", &["read"]));
        let err = select_pairs(&d, &r, &args(&["reports"]), None, MGMT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "application `reports` is not in the tenant yet",
            "{what}"
        );
    }
}
