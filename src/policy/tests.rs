//! Table tests of the policy rules: each rule against a small config, violations with their lines.

use super::*;
use crate::config::{self, Vars};
use crate::model::{RemoteClient, RemoteGrant, RemoteState};

const BASE: &str = "version: 1
project: shop
apis:
  - identifier: https://orders/
    token_lifetime: 3600
    scopes: [{value: read:orders}, {value: delete:orders}]
  - identifier: https://refunds/
    scopes: [{value: write:refunds}]
applications:
  - name: deployer
    metadata: {owner: platform}
    grants:
      - api: management
        scopes: [read:clients, create:clients]
  - name: reporting-eu
    token_endpoint_auth_method: client_secret_basic
    metadata: {owner: data}
    grants:
      - api: https://orders/
        scopes: [read:orders, delete:orders]
      - api: management
        scopes: [read:logs, update:clients]
  - name: refunder
    token_lifetime: 7200
    grants:
      - api: https://refunds/
        scopes: [write:refunds]
";

fn check(policy: &str) -> Vec<(Rule, usize, String)> {
    let text = format!("{BASE}policy:\n{policy}");
    let loaded = config::load_str("m2mctl.yaml", &text, &Vars::empty())
        .unwrap_or_else(|e| panic!("{}", config::render(&e, false, Some(100))));
    let set = PolicySet::of(&loaded, None);
    check_config(&loaded, &set)
        .into_iter()
        .map(|v| {
            let at = v.at.expect("located");
            let snippet = text[at.start..at.end].to_string();
            (v.rule, at.line, snippet)
        })
        .collect()
}

/// (rule, line, the offending text).
type Expected = (Rule, usize, &'static str);

#[test]
fn each_rule_points_at_the_offending_line() {
    use Rule::*;
    let cases: Vec<(&str, Vec<Expected>)> = vec![
        (
            "  forbidden_scopes: [\"delete:*\", write:refunds]\n",
            vec![
                (ForbiddenScopes, 20, "delete:orders"),
                (ForbiddenScopes, 27, "write:refunds"),
            ],
        ),
        (
            "  max_token_lifetime: 3000\n",
            vec![
                (MaxTokenLifetime, 5, "3600"),
                (MaxTokenLifetime, 24, "7200"),
            ],
        ),
        ("  max_token_lifetime: 86400\n", vec![]),
        // An API without `token_lifetime` (and none folded in) has Auth0's default of 86400.
        (
            "  max_token_lifetime: 60\n",
            vec![
                (MaxTokenLifetime, 5, "3600"),
                (MaxTokenLifetime, 24, "7200"),
            ],
        ),
        (
            "  management_scopes:\n    deployer: [\"*\"]\n    \"reporting-*\": [\"read:*\"]\n",
            vec![(ManagementScopes, 22, "update:clients")],
        ),
        (
            "  management_scopes:\n    deployer: [\"read:*\"]\n",
            vec![
                (ManagementScopes, 14, "create:clients"),
                (ManagementScopes, 22, "read:logs"),
                (ManagementScopes, 22, "update:clients"),
            ],
        ),
        (
            "  required_authentication: client_secret_basic\n",
            vec![
                (RequiredAuthentication, 10, "deployer"),
                (RequiredAuthentication, 23, "refunder"),
            ],
        ),
        (
            "  max_management_writers: 1\n",
            vec![(MaxManagementWriters, 22, "update:clients")],
        ),
        ("  max_management_writers: 2\n", vec![]),
        (
            "  required_metadata: [owner]\n",
            vec![(RequiredMetadata, 23, "refunder")],
        ),
        ("  required_metadata: []\n", vec![]),
    ];
    for (policy, want) in cases {
        let got = check(policy);
        let want: Vec<(Rule, usize, String)> = want
            .into_iter()
            .map(|(r, l, s)| (r, l, s.to_string()))
            .collect();
        assert_eq!(got, want, "{policy}");
    }
}

#[test]
fn inline_rules_are_labelled_in_the_same_file() {
    let text = format!("{BASE}policy:\n  forbidden_scopes: [\"delete:*\"]\n");
    let loaded = config::load_str("m2mctl.yaml", &text, &Vars::empty()).unwrap();
    let violations = check_config(&loaded, &PolicySet::of(&loaded, None));
    let rule = violations[0].rule_at.as_ref().expect("rule located");
    assert_eq!(
        (rule.line, &text[rule.start..rule.end]),
        (29, "\"delete:*\"")
    );
    let err = diagnostics(&violations, "m2mctl.yaml", &loaded.source).expect("errors");
    let shown = config::render(&err, false, Some(100));
    assert!(shown.contains("policy::forbidden_scopes"), "{shown}");
    assert!(shown.contains("forbidden by `delete:*`"), "{shown}");
    assert!(shown.contains("help: remove `delete:orders`"), "{shown}");
}

#[test]
fn a_policy_file_is_named_in_the_help() {
    let loaded = config::load_str("m2mctl.yaml", BASE, &Vars::empty()).unwrap();
    let text = "required_metadata: [owner]\n";
    let policy: PolicyConfig = config::parse_yaml("org.yaml", text).unwrap();
    let file = Source {
        policy,
        file: Some(("org.yaml".into(), text.into())),
    };
    let violations = check_config(&loaded, &PolicySet::of(&loaded, Some(&file)));
    assert_eq!(violations.len(), 1);
    let f = report::finding(&violations[0], "m2mctl.yaml");
    assert!(f.help.ends_with("(rule at org.yaml:1:21)"), "{}", f.help);
    assert_eq!(f.labels.len(), 1);
}

#[test]
fn refusal_counts_errors_only_and_yields_to_the_flag() {
    let v = |severity| Violation {
        rule: Rule::RequiredMetadata,
        severity,
        address: "application.a".into(),
        message: "m".into(),
        help: "h".into(),
        at: None,
        rule_at: None,
    };
    assert!(refuse(&[], false).is_ok());
    assert!(refuse(&[v(Severity::Warning)], false).is_ok());
    assert_eq!(
        refuse(&[v(Severity::Error), v(Severity::Warning)], false)
            .unwrap_err()
            .count,
        1
    );
    assert!(refuse(&[v(Severity::Error)], true).is_ok());
}

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

#[test]
fn at_counts_lines_and_characters() {
    let text = "a: 1\nbé: x\n";
    let at = At::new("f", text, 10..11, "");
    assert_eq!(
        (at.line, at.column, at.position()),
        (2, 5, "f:2:5".to_string())
    );
}

#[test]
fn an_api_without_lifetime_has_auth0s_default() {
    let text =
        "version: 1\napis:\n  - identifier: https://audit/\npolicy:\n  max_token_lifetime: 3600\n";
    let loaded = config::load_str("m2mctl.yaml", text, &Vars::empty()).unwrap();
    let v = check_config(&loaded, &PolicySet::of(&loaded, None));
    assert_eq!(v.len(), 1, "{v:?}");
    let at = v[0].at.as_ref().unwrap();
    assert_eq!((at.line, &text[at.start..at.end]), (3, "https://audit/"));
    assert!(at.label.contains("86400"), "{}", at.label);
}
