//! Table tests of `build` and `render`: selection, keys, APIs, grants, metadata, determinism,
//! and the round trip through `config::load_str` + `plan::diff` (adoptions only).

use std::collections::BTreeMap;

use super::*;
use crate::config::Vars;
use crate::model::{RemoteApi, RemoteClient, RemoteGrant, RemoteState, ScopeDef};
use crate::plan::PlanOptions;

pub(super) const MGMT: &str = "https://t.example.com/api/v2/";

pub(super) fn client(id: &str, name: &str, app_type: Option<&str>) -> RemoteClient {
    RemoteClient {
        client_id: id.into(),
        name: name.into(),
        description: None,
        app_type: app_type.map(Into::into),
        grant_types: vec!["client_credentials".into()],
        token_endpoint_auth_method: Some("client_secret_post".into()),
        client_metadata: BTreeMap::new(),
        client_authentication_methods: None,
        global: false,
    }
}

pub(super) fn m2m(id: &str, name: &str) -> RemoteClient {
    client(id, name, Some("non_interactive"))
}

pub(super) fn grant(id: &str, client: &str, audience: &str, scope: &[&str]) -> RemoteGrant {
    RemoteGrant {
        id: id.into(),
        client_id: client.into(),
        audience: audience.into(),
        scope: scope.iter().map(|s| s.to_string()).collect(),
        subject_type: Some("client".into()),
        organization_usage: None,
        allow_any_organization: None,
        default_for: None,
    }
}

pub(super) fn api(identifier: &str, name: &str, scopes: &[&str], lifetime: u32) -> RemoteApi {
    RemoteApi {
        id: format!("id-{name}"),
        identifier: identifier.into(),
        name: name.into(),
        scopes: scopes
            .iter()
            .map(|s| ScopeDef {
                value: s.to_string(),
                description: format!("{s} things"),
            })
            .collect(),
        token_lifetime: Some(lifetime),
        is_system: false,
    }
}

pub(super) fn system(identifier: &str, name: &str) -> RemoteApi {
    RemoteApi {
        is_system: true,
        token_lifetime: Some(86400),
        ..api(identifier, name, &[], 86400)
    }
}

/// A messy tenant: twins, odd scope orders, metadata, a web app, a global client, m2mctl's own
/// client, a grant to the Management API and one to another system API.
pub(super) fn messy() -> RemoteState {
    let mut twin = m2m("TWIN0000bbbb", "Reporter");
    twin.description = Some("second ${HOME} twin".into());
    twin.token_endpoint_auth_method = Some("client_secret_basic".into());
    let mut meta = m2m("META0000cccc", "Billing Worker");
    meta.client_metadata = [("team".to_string(), "billing".to_string())].into();
    let mut web = client("WEB00000dddd", "Web App", Some("regular_web"));
    web.grant_types = vec!["authorization_code".into()];
    let mut global = client("GLOBAL00eeee", "All Applications", None);
    global.global = true;
    RemoteState {
        clients: vec![
            m2m("TWIN0000aaaa", "Reporter"),
            twin,
            meta,
            web,
            global,
            m2m("SELF0000ffff", "m2mctl"),
        ],
        grants: vec![
            grant(
                "cgr_1",
                "TWIN0000aaaa",
                "https://orders/",
                &["write", "read"],
            ),
            grant("cgr_2", "TWIN0000bbbb", "https://orders/", &["read"]),
            grant(
                "cgr_3",
                "META0000cccc",
                MGMT,
                &["read:users", "read:clients"],
            ),
            grant("cgr_4", "META0000cccc", "https://my.t/me/", &["read:me"]),
            grant("cgr_5", "SELF0000ffff", MGMT, &["read:clients"]),
            grant("cgr_6", "WEB00000dddd", "https://orders/", &["read"]),
        ],
        apis: vec![
            api(
                "https://orders/",
                "Orders",
                &["write", "read", "unused"],
                3600,
            ),
            api("https://unused/", "Unused", &["x"], 600),
            system(MGMT, "Auth0 Management API"),
            system("https://my.t/me/", "My Account API"),
        ],
    }
}

pub(super) fn options() -> ExportOptions {
    ExportOptions {
        self_client_id: Some("SELF0000ffff".into()),
        ..ExportOptions::new(Domain::Remote("t.example.com".into()))
    }
}

pub(super) fn text(export: &Export) -> String {
    let header = Header {
        tenant: "t.example.com".into(),
        exported_at: "2025-01-02T03:04:05Z".into(),
    };
    render(export, &header).unwrap()
}

#[test]
fn messy_tenant_exports_sorted_yaml() {
    let export = build(&messy(), &options());
    insta::assert_snapshot!(text(&export));
    assert_eq!(
        export.stats,
        Stats {
            applications: 3,
            pinned: 3,
            apis: 2,
            grants: 4
        }
    );
    assert!(export.warnings.is_empty(), "{:?}", export.warnings);
}

#[test]
fn export_loads_and_plans_adoptions_only() {
    let remote = messy();
    let export = build(&remote, &options());
    let plan_options = PlanOptions {
        self_client_id: Some("SELF0000ffff".into()),
        ..PlanOptions::default()
    };
    let check = check(&text(&export), &remote, &plan_options);
    let Check::Planned { adoptions, extra } = &check else {
        panic!("{check:?}");
    };
    assert_eq!((*adoptions, extra.len()), (3, 0), "{extra:?}");
    // And the loaded config keeps names, escaped text and pins.
    let loaded = crate::config::load_str("x", &text(&export), &Vars::empty()).unwrap();
    let twin = loaded
        .desired
        .applications
        .iter()
        .find(|a| a.client_id.as_deref() == Some("TWIN0000bbbb"))
        .unwrap();
    assert_eq!(twin.name, "Reporter");
    assert_eq!(twin.description.as_deref(), Some("second ${HOME} twin"));
}

#[test]
fn output_does_not_depend_on_the_order_of_the_tenant_read() {
    let mut shuffled = messy();
    shuffled.clients.reverse();
    shuffled.grants.reverse();
    shuffled.apis.reverse();
    for g in &mut shuffled.grants {
        g.scope.reverse();
    }
    assert_eq!(
        text(&build(&messy(), &options())),
        text(&build(&shuffled, &options()))
    );
}

#[test]
fn foreign_grants_can_be_left_out_with_a_warning() {
    let remote = messy();
    let export = build(
        &remote,
        &ExportOptions {
            include_foreign_grants: false,
            ..options()
        },
    );
    assert_eq!(export.stats.grants, 3);
    assert_eq!(export.warnings.len(), 1, "{:?}", export.warnings);
    assert!(export.warnings[0].contains("https://my.t/me/"));
    assert!(export.warnings[0].contains("would delete it"));
    let check = check(&text(&export), &remote, &PlanOptions::default());
    let Check::Planned { extra, .. } = check else {
        panic!("{check:?}");
    };
    assert_eq!(
        extra,
        ["`grant.billing-worker -> https://my.t/me/`: deletes"]
    );
}

#[test]
fn organization_settings_are_exported_when_not_defaults() {
    type Case = (
        Option<&'static str>,
        Option<bool>,
        Option<&'static str>,
        Option<bool>,
    );
    let cases: [Case; 7] = [
        // the tenant's organization_usage, allow_any_organization; what the file says
        (None, None, None, None),
        (Some("deny"), Some(false), None, None),
        (Some("deny"), Some(true), None, None),
        (None, Some(true), None, None),
        (Some("allow"), Some(false), Some("allow"), None),
        (Some("allow"), Some(true), Some("allow"), Some(true)),
        (Some("require"), None, Some("require"), None),
    ];
    for (usage, any, want_usage, want_any) in cases {
        let mut remote = messy();
        let g = remote.grants.iter_mut().find(|g| g.id == "cgr_1").unwrap();
        g.organization_usage = usage.map(Into::into);
        g.allow_any_organization = any;
        let export = build(&remote, &options());
        let app = export
            .config
            .applications
            .iter()
            .find(|a| a.client_id.as_ref().map(|c| c.value.as_str()) == Some("TWIN0000aaaa"))
            .unwrap();
        let grant = &app.grants[0];
        assert_eq!(
            grant.organization_usage.as_ref().map(|u| u.value.as_str()),
            want_usage,
            "{usage:?} {any:?}"
        );
        assert_eq!(
            grant.allow_any_organization.as_ref().map(|a| a.value),
            want_any,
            "{usage:?} {any:?}"
        );
        let yaml = text(&export);
        assert_eq!(yaml.contains("organization_usage:"), want_usage.is_some());
        crate::config::load_str("x", &yaml, &Vars::empty()).expect("the export loads");
    }

    // On the Management API grant the config may not set them: left out, with a warning.
    let mut remote = messy();
    let g = remote.grants.iter_mut().find(|g| g.id == "cgr_3").unwrap();
    g.organization_usage = Some("allow".into());
    let export = build(&remote, &options());
    assert!(!text(&export).contains("organization_usage"));
    assert_eq!(export.warnings.len(), 1, "{:?}", export.warnings);
    assert!(export.warnings[0].contains("organization settings"));
    crate::config::load_str("x", &text(&export), &Vars::empty()).expect("the export loads");
}
