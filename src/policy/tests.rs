//! Table tests of the policy rules over a config: each rule against a small config, violations
//! with their lines; `required_authentication` against secret and key-signing applications.

use super::*;
use crate::config::{self, Vars};

pub(super) const BASE: &str = "version: 1
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

/// One key file served from memory (a fresh RSA public key).
struct OneKey(String);

impl crate::config::KeyFiles for OneKey {
    fn read(&self, _path: &str) -> std::io::Result<String> {
        Ok(self.0.clone())
    }
}

const KEYED: &str = "version: 1
applications:
  - name: signer
    authentication:
      method: private_key_jwt
      keys:
        - name: k1
          public_key: keys/k1.pub.pem
  - name: basic
    authentication:
      method: client_secret_basic
  - name: legacy
    token_endpoint_auth_method: client_secret_basic
  - name: plain
policy:
";

/// (key, line, offending text, label, help) of each `required_authentication` violation.
fn auth_violations(required: &str) -> Vec<(String, usize, String, String, String)> {
    let pem = crate::keys::generate().expect("key").public_pem;
    let text = format!("{KEYED}  required_authentication: {required}\n");
    let loaded = config::load_with(
        "m2mctl.yaml",
        &text,
        &Vars::empty(),
        &OneKey(pem),
        time::OffsetDateTime::now_utc(),
    )
    .unwrap_or_else(|e| panic!("{}", config::render(&e, false, Some(100))));
    check_config(&loaded, &PolicySet::of(&loaded, None))
        .into_iter()
        .map(|v| {
            assert_eq!(v.rule, Rule::RequiredAuthentication);
            let at = v.at.expect("located");
            let key = v.address.trim_start_matches("application.").to_string();
            let snippet = text[at.start..at.end].to_string();
            (key, at.line, snippet, at.label, v.help)
        })
        .collect()
}

#[test]
fn private_key_jwt_apps_satisfy_the_rule_and_secret_apps_are_pointed_at_authentication() {
    let got = auth_violations("private_key_jwt");
    let where_: Vec<(&str, usize, &str)> = got
        .iter()
        .map(|(k, l, s, _, _)| (k.as_str(), *l, s.as_str()))
        .collect();
    assert_eq!(
        where_,
        vec![
            ("basic", 11, "client_secret_basic"),
            ("legacy", 13, "client_secret_basic"),
            ("plain", 14, "plain"),
        ]
    );
    for (key, _, _, label, help) in &got {
        assert!(!help.contains("cannot yet"), "{key}: {help}");
        assert!(help.contains("authentication:"), "{key}: {help}");
        assert!(help.contains("method: private_key_jwt"), "{key}: {help}");
        assert!(
            help.contains(&format!("m2mctl keygen {key}")),
            "{key}: {help}"
        );
        assert!(!label.contains("private_key_jwt"), "{key}: {label}");
    }
    assert!(got[2].3.contains("(the default)"), "{}", got[2].3);
}

#[test]
fn a_private_key_jwt_app_breaks_a_secret_rule_at_its_method() {
    let got = auth_violations("client_secret_basic");
    let where_: Vec<(&str, usize, &str, &str)> = got
        .iter()
        .map(|(k, l, s, label, _)| (k.as_str(), *l, s.as_str(), label.as_str()))
        .collect();
    assert_eq!(
        where_,
        vec![
            ("signer", 5, "private_key_jwt", "`private_key_jwt`"),
            (
                "plain",
                14,
                "plain",
                "authenticates with `client_secret_post` (the default)"
            ),
        ]
    );
    assert!(got[0].4.contains("required_authentication"), "{}", got[0].4);
    assert!(
        got[1].4.contains("method: client_secret_basic"),
        "{}",
        got[1].4
    );
}
