//! Table tests of the diff: APIs, grants, the Management API, external APIs and the guards.
//! Application matching and fields are in `tests_apps.rs`.

use serde_json::Value;

use super::fixtures::*;
use super::*;
use crate::model::{DesiredState, RemoteState};

/// One line per change, warning, block or error, with every field value: the table's currency.
pub(super) fn brief(result: &Result<Plan, Error>) -> Vec<String> {
    let plan = match result {
        Ok(plan) => plan,
        Err(e) => return vec![format!("error: {e}")],
    };
    let show = |v: &Option<Value>| v.as_ref().map_or("∅".to_string(), Value::to_string);
    let mut lines: Vec<String> = plan
        .changes
        .iter()
        .map(|c| {
            let fields: Vec<String> = c
                .fields
                .iter()
                .map(|f| format!("{} {}->{}", f.field, show(&f.before), show(&f.after)))
                .collect();
            let id = c.id.as_deref().unwrap_or("new");
            let cascade: Vec<&str> = c.cascade.iter().map(|g| g.id.as_str()).collect();
            let cascade = if cascade.is_empty() {
                String::new()
            } else {
                format!(" (+{})", cascade.join(","))
            };
            format!(
                "{:?} {} [{id}]{cascade}: {}",
                c.action,
                c.address,
                fields.join("; ")
            )
        })
        .collect();
    lines.extend(plan.warnings.iter().map(|w| format!("warn: {}", w.message)));
    if let Some(b) = &plan.blocked {
        lines.push(format!("blocked: {} > {}", b.deletes, b.max_deletes));
    }
    lines
}

/// Runs a table: each case is (name, desired, remote, options, expected lines).
pub(super) fn run_table(cases: Vec<(&str, DesiredState, RemoteState, PlanOptions, Vec<&str>)>) {
    for (name, desired, remote, options, want) in cases {
        let got = brief(&diff(&desired, &remote, &options));
        assert_eq!(got, want, "case `{name}`");
    }
}

const ORDERS: &str = "https://orders.example.com/";

fn with_grants(key: &str, grants: Vec<crate::model::DesiredGrant>) -> crate::model::DesiredApp {
    crate::model::DesiredApp { grants, ..app(key) }
}

#[test]
fn apis_table() {
    let none = PlanOptions::default();
    let mut lifetime = api(ORDERS, &["read:orders"]);
    lifetime.token_lifetime = Some(3600);
    let mut renamed = api(ORDERS, &["read:orders"]);
    renamed.name = "Orders API".into();
    let mut described = remote_api("a1", ORDERS, &["read:orders"]);
    described.scopes[0].description = "old words".into();
    let mut mgmt_lifetime = desired(vec![], vec![]);
    mgmt_lifetime.management_token_lifetime = Some(7200);
    let mut mgmt_same = mgmt_lifetime.clone();
    mgmt_same.management_token_lifetime = Some(86400);
    run_table(vec![
        (
            "create with the whole body",
            desired(vec![], vec![lifetime.clone()]),
            remote(vec![], vec![], vec![]),
            none.clone(),
            vec![
                r#"Create api.https://orders.example.com/ [new]: identifier ∅->"https://orders.example.com/"; name ∅->"https://orders.example.com/"; scopes ∅->[{"value":"read:orders","description":"read:orders access"}]; token_lifetime ∅->3600"#,
            ],
        ),
        (
            "in sync, scopes in another order",
            desired(vec![], vec![api(ORDERS, &["write:orders", "read:orders"])]),
            remote(
                vec![],
                vec![],
                vec![remote_api("a1", ORDERS, &["read:orders", "write:orders"])],
            ),
            none.clone(),
            vec![],
        ),
        (
            "name and token lifetime",
            desired(
                vec![],
                vec![{
                    let mut a = renamed.clone();
                    a.token_lifetime = Some(3600);
                    a
                }],
            ),
            remote(
                vec![],
                vec![],
                vec![remote_api("a1", ORDERS, &["read:orders"])],
            ),
            none.clone(),
            vec![
                r#"Update api.https://orders.example.com/ [a1]: name "https://orders.example.com/"->"Orders API"; token_lifetime 86400->3600"#,
            ],
        ),
        (
            "scope added and removed (full set)",
            desired(vec![], vec![api(ORDERS, &["write:orders"])]),
            remote(
                vec![],
                vec![],
                vec![remote_api("a1", ORDERS, &["read:orders"])],
            ),
            none.clone(),
            vec![
                r#"Update api.https://orders.example.com/ [a1]: scopes [{"value":"read:orders","description":"read:orders access"}]->[{"value":"write:orders","description":"write:orders access"}]"#,
            ],
        ),
        (
            "scope description change counts",
            desired(vec![], vec![api(ORDERS, &["read:orders"])]),
            remote(vec![], vec![], vec![described]),
            none.clone(),
            vec![
                r#"Update api.https://orders.example.com/ [a1]: scopes [{"value":"read:orders","description":"old words"}]->[{"value":"read:orders","description":"read:orders access"}]"#,
            ],
        ),
        (
            "undeclared APIs are never deleted, unset lifetime is not managed",
            desired(vec![], vec![api(ORDERS, &["read:orders"])]),
            remote(
                vec![],
                vec![],
                vec![
                    remote_api("a1", ORDERS, &["read:orders"]),
                    remote_api("a2", "https://other/", &[]),
                ],
            ),
            none.clone(),
            vec![],
        ),
        (
            "management API: only token_lifetime",
            mgmt_lifetime,
            remote(vec![], vec![], vec![]),
            none.clone(),
            vec!["Update api.management [mgmt0000]: token_lifetime 86400->7200"],
        ),
        (
            "management API lifetime already right",
            mgmt_same,
            remote(vec![], vec![], vec![]),
            none.clone(),
            vec![],
        ),
        (
            "declaring the system API is an error",
            desired(vec![], vec![api(MGMT, &["read:clients"])]),
            remote(vec![], vec![], vec![]),
            none.clone(),
            vec![
                "error: api `https://tenant.example/api/v2/` is a system API of the tenant and cannot be managed",
            ],
        ),
        (
            "external API present: referenced, never changed",
            desired(
                vec![with_grants("a", vec![grant("https://ext/", &["x"])])],
                vec![external("https://ext/")],
            ),
            remote(
                vec![managed("c1", "a")],
                vec![rgrant("g1", "c1", "https://ext/", &["x"])],
                vec![remote_api("e1", "https://ext/", &["y"])],
            ),
            none.clone(),
            vec![],
        ),
        (
            "external API missing and granted: error",
            desired(
                vec![with_grants("a", vec![grant("https://ext/", &["x"])])],
                vec![external("https://ext/")],
            ),
            remote(vec![managed("c1", "a")], vec![], vec![]),
            none.clone(),
            vec![
                "error: application `a` is granted `https://ext/`, an external API that does not exist in the tenant",
            ],
        ),
        (
            "external API missing, not granted: warning",
            desired(vec![], vec![external("https://ext/")]),
            remote(vec![], vec![], vec![]),
            none,
            vec!["warn: external API `https://ext/` does not exist in the tenant"],
        ),
    ]);
}

#[test]
fn grants_table() {
    let none = PlanOptions::default();
    let apis = || vec![api(ORDERS, &["read:orders", "write:orders"])];
    let tenant_apis = || vec![remote_api("a1", ORDERS, &["read:orders", "write:orders"])];
    let mut user_grant = rgrant("g9", "c1", ORDERS, &["read:orders"]);
    user_grant.subject_type = Some("user".into());
    run_table(vec![
        (
            "create for an existing client",
            desired(
                vec![with_grants("a", vec![grant(ORDERS, &["read:orders"])])],
                apis(),
            ),
            remote(vec![managed("c1", "a")], vec![], tenant_apis()),
            none.clone(),
            vec![
                r#"Create grant.a -> https://orders.example.com/ [new]: audience ∅->"https://orders.example.com/"; scope ∅->["read:orders"]"#,
            ],
        ),
        (
            "scopes as sets: another order is no change",
            desired(
                vec![with_grants(
                    "a",
                    vec![grant(ORDERS, &["write:orders", "read:orders"])],
                )],
                apis(),
            ),
            remote(
                vec![managed("c1", "a")],
                vec![rgrant("g1", "c1", ORDERS, &["write:orders", "read:orders"])],
                tenant_apis(),
            ),
            none.clone(),
            vec![],
        ),
        (
            "scope update",
            desired(
                vec![with_grants("a", vec![grant(ORDERS, &["write:orders"])])],
                apis(),
            ),
            remote(
                vec![managed("c1", "a")],
                vec![rgrant("g1", "c1", ORDERS, &["read:orders"])],
                tenant_apis(),
            ),
            none.clone(),
            vec![
                r#"Update grant.a -> https://orders.example.com/ [g1]: scope ["read:orders"]->["write:orders"]"#,
            ],
        ),
        (
            "authoritative: undeclared grant of a managed client is deleted, user grants untouched",
            desired(vec![app("a")], apis()),
            remote(
                vec![managed("c1", "a")],
                vec![rgrant("g1", "c1", ORDERS, &["read:orders"]), user_grant],
                tenant_apis(),
            ),
            none.clone(),
            vec![
                r#"Delete grant.a -> https://orders.example.com/ [g1]: audience "https://orders.example.com/"->∅; scope ["read:orders"]->∅"#,
            ],
        ),
        (
            "management grant uses the system API identifier",
            desired(
                vec![with_grants(
                    "a",
                    vec![grant("management", &["read:clients"])],
                )],
                vec![],
            ),
            remote(vec![managed("c1", "a")], vec![], vec![]),
            none.clone(),
            vec![
                r#"Create grant.a -> management [new]: audience ∅->"https://tenant.example/api/v2/"; scope ∅->["read:clients"]"#,
            ],
        ),
        (
            "management grant without a known Management API",
            desired(
                vec![with_grants(
                    "a",
                    vec![grant("management", &["read:clients"])],
                )],
                vec![],
            ),
            RemoteState {
                clients: vec![managed("c1", "a")],
                ..RemoteState::default()
            },
            none.clone(),
            vec![
                "error: the tenant has no Management API and its identifier is unknown (needed by the grants of `a`)",
            ],
        ),
        (
            "management audience from the options when the read has none",
            desired(
                vec![with_grants(
                    "a",
                    vec![grant("management", &["read:clients"])],
                )],
                vec![],
            ),
            RemoteState {
                clients: vec![managed("c1", "a")],
                ..RemoteState::default()
            },
            PlanOptions {
                management_audience: Some("https://t/api/v2/".into()),
                ..none.clone()
            },
            vec![
                r#"Create grant.a -> management [new]: audience ∅->"https://t/api/v2/"; scope ∅->["read:clients"]"#,
            ],
        ),
        (
            "grants of unmanaged clients are never touched",
            desired(vec![], apis()),
            remote(
                vec![client("u1", "hand-made", None)],
                vec![rgrant("g1", "u1", ORDERS, &["read:orders"])],
                tenant_apis(),
            ),
            none,
            vec![],
        ),
    ]);
}
