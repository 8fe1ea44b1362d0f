//! Table tests of the diff on grants' organization settings (`organization_usage`,
//! `allow_any_organization`): absent in the config means "keep the tenant's value", Auth0's
//! defaults (`deny`, false) stand in for a grant that does not show them, creates and updates
//! carry exactly the fields set, and apply's body is the change's body.

use super::fixtures::*;
use super::tests::run_table;
use super::*;
use crate::model::{
    DesiredApp, DesiredGrant, GrantOrganization, OrganizationUsage, RemoteGrant, RemoteState,
};

const ORDERS: &str = "https://orders.example.com/";

fn org_grant(usage: Option<OrganizationUsage>, any: Option<bool>) -> DesiredGrant {
    DesiredGrant {
        organization: GrantOrganization {
            usage,
            allow_any: any,
        },
        ..grant(ORDERS, &["read:orders"])
    }
}

fn worker(grant: DesiredGrant) -> DesiredApp {
    DesiredApp {
        grants: vec![grant],
        ..app("w")
    }
}

/// The tenant's grant of `w` to the orders API, with these organization fields as read.
fn tenant_grant(usage: Option<&str>, any: Option<bool>) -> RemoteState {
    let g = RemoteGrant {
        organization_usage: usage.map(str::to_string),
        allow_any_organization: any,
        ..rgrant("g1", "c1", ORDERS, &["read:orders"])
    };
    remote(
        vec![managed("c1", "w")],
        vec![g],
        vec![remote_api("a1", ORDERS, &["read:orders"])],
    )
}

#[test]
fn organization_settings_table() {
    use OrganizationUsage::{Allow, Deny, Require};
    let none = PlanOptions::default();
    let apis = || vec![api(ORDERS, &["read:orders"])];
    let case = |name: &'static str,
                usage: Option<OrganizationUsage>,
                any: Option<bool>,
                tenant: RemoteState,
                want: Vec<&'static str>| {
        (
            name,
            desired(vec![worker(org_grant(usage, any))], apis()),
            tenant,
            none.clone(),
            want,
        )
    };
    run_table(vec![
        case(
            "not in the config, the tenant's require and any are kept",
            None,
            None,
            tenant_grant(Some("require"), Some(true)),
            vec![],
        ),
        case(
            "deny in the config, nothing in the tenant: Auth0's default, no change",
            Some(Deny),
            Some(false),
            tenant_grant(None, None),
            vec![],
        ),
        case(
            "require in the config, nothing in the tenant: before is the default",
            Some(Require),
            None,
            tenant_grant(None, None),
            vec![
                r#"Update grant.w -> https://orders.example.com/ [g1]: organization_usage "deny"->"require""#,
            ],
        ),
        case(
            "allow and any in the config, deny shown by the tenant",
            Some(Allow),
            Some(true),
            tenant_grant(Some("deny"), None),
            vec![
                r#"Update grant.w -> https://orders.example.com/ [g1]: organization_usage "deny"->"allow"; allow_any_organization false->true"#,
            ],
        ),
        case(
            "back to deny",
            Some(Deny),
            None,
            tenant_grant(Some("allow"), Some(true)),
            vec![
                r#"Update grant.w -> https://orders.example.com/ [g1]: organization_usage "allow"->"deny""#,
            ],
        ),
        case(
            "only allow_any managed: the tenant's usage stays",
            Some(Require),
            Some(false),
            tenant_grant(Some("require"), Some(true)),
            vec![
                r#"Update grant.w -> https://orders.example.com/ [g1]: allow_any_organization true->false"#,
            ],
        ),
        case(
            "a new grant carries the settings the config sets, and only those",
            Some(Require),
            None,
            remote(
                vec![managed("c1", "w")],
                vec![],
                vec![remote_api("a1", ORDERS, &["read:orders"])],
            ),
            vec![
                r#"Create grant.w -> https://orders.example.com/ [new]: audience ∅->"https://orders.example.com/"; scope ∅->["read:orders"]; organization_usage ∅->"require""#,
            ],
        ),
        case(
            "a grant deleted shows the settings it had",
            None,
            None,
            {
                let mut t = tenant_grant(None, None);
                t.grants.push(RemoteGrant {
                    organization_usage: Some("allow".into()),
                    ..rgrant("g2", "c1", "https://gone.example.com/", &["x"])
                });
                t
            },
            vec![
                r#"Delete grant.w -> https://gone.example.com/ [g2]: audience "https://gone.example.com/"->∅; scope ["x"]->∅; organization_usage "allow"->∅"#,
            ],
        ),
    ]);
}

#[test]
fn apply_sends_the_organization_fields_in_the_grant_body() {
    let plan = diff(
        &desired(
            vec![worker(org_grant(
                Some(OrganizationUsage::Require),
                Some(true),
            ))],
            vec![api(ORDERS, &["read:orders"])],
        ),
        &remote(
            vec![managed("c1", "w")],
            vec![],
            vec![remote_api("a1", ORDERS, &["read:orders"])],
        ),
        &PlanOptions::default(),
    )
    .expect("diff");
    let create = plan
        .changes
        .iter()
        .find(|c| c.kind() == Kind::Grant)
        .expect("grant create");
    assert_eq!(
        create.body(),
        Some(serde_json::json!({
            "audience": ORDERS, "scope": ["read:orders"], "organization_usage": "require",
            "allow_any_organization": true, "client_id": "c1"
        }))
    );
    let update = diff(
        &desired(
            vec![worker(org_grant(Some(OrganizationUsage::Allow), None))],
            vec![api(ORDERS, &["read:orders"])],
        ),
        &tenant_grant(Some("require"), Some(true)),
        &PlanOptions::default(),
    )
    .expect("diff");
    assert_eq!(
        update.changes[0].body(),
        Some(serde_json::json!({"organization_usage": "allow"}))
    );
}

#[test]
fn the_plan_is_empty_once_applied() {
    use OrganizationUsage::{Allow, Deny, Require};
    for (usage, any) in [
        (Some(Require), None),
        (Some(Allow), Some(true)),
        (Some(Deny), Some(false)),
        (None, Some(true)),
    ] {
        for tenant in [
            tenant_grant(None, None),
            tenant_grant(Some("allow"), Some(false)),
        ] {
            let want = desired(
                vec![worker(org_grant(usage, any))],
                vec![api(ORDERS, &["read:orders"])],
            );
            let options = PlanOptions::default();
            let plan = diff(&want, &tenant, &options).expect("diff");
            let after = simulate::simulate(&plan, &tenant);
            let again = diff(&want, &after, &options).expect("diff");
            assert!(
                again.changes.is_empty(),
                "{usage:?} {any:?}: {:?}",
                again.changes
            );
        }
    }
}
