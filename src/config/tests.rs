//! Table tests of `load_str`: defaults, folding, management shorthand, variables, and that every
//! problem is collected with its span (the rendered form is covered by the CLI snapshots).

use super::*;
use crate::model::{ApiRef, AuthMethod, Domain};

const BASE: &str = "version: 1
apis:
  - identifier: https://orders.example.com/
    scopes:
      - value: read:orders
      - value: write:orders
";

fn load(body: &str) -> Result<Loaded, Error> {
    load_str("t.yaml", &format!("{BASE}{body}"), &Vars::empty())
}

fn codes(body: &str) -> Vec<&'static str> {
    match load(body) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(|p| p.finding().code).collect(),
    }
}

#[test]
fn defaults_fill_in() {
    let loaded = load("applications:\n  - name: worker\n").unwrap();
    let d = &loaded.desired;
    assert_eq!(d.project, "default");
    assert_eq!(d.domain, Domain::Local);
    assert_eq!(d.settings, crate::model::Settings::default());
    assert_eq!(d.apis[0].name, "https://orders.example.com/");
    assert!(!d.apis[0].external);
    let app = &d.applications[0];
    assert_eq!(
        (app.key.as_str(), app.auth_method),
        ("worker", AuthMethod::ClientSecretPost)
    );
    assert_eq!(loaded.summary(), "1 application, 1 API, 0 grants");
}

#[test]
fn app_lifetimes_fold_onto_granted_apis() {
    let body = "applications:
  - name: a
    token_lifetime: 900
    grants:
      - api: https://orders.example.com/
        scopes: [read:orders]
      - api: management
        scopes: [read:clients]
  - name: b
    token_lifetime: 900
    grants:
      - api: https://orders.example.com/
";
    let d = load(body).unwrap().desired;
    assert_eq!(d.apis[0].token_lifetime, Some(900));
    assert_eq!(d.management_token_lifetime, Some(900));
    assert_eq!(d.applications[0].grants[1].api, ApiRef::Management);
}

#[test]
fn management_url_of_a_remote_tenant_is_the_management_api() {
    let src = "version: 1
tenant: { domain: acme.eu.auth0.com }
applications:
  - name: a
    grants:
      - api: https://acme.eu.auth0.com/api/v2/
        scopes: [read:clients]
";
    let d = load_str("t", src, &Vars::empty()).unwrap().desired;
    assert_eq!(d.domain, Domain::Remote("acme.eu.auth0.com".into()));
    assert_eq!(d.applications[0].grants[0].api, ApiRef::Management);
}

#[test]
fn external_api_without_scopes_is_not_scope_checked() {
    let src = "version: 1
apis:
  - identifier: https://ledger.example.com/
    external: true
applications:
  - name: a
    grants:
      - api: https://ledger.example.com/
        scopes: [anything:goes]
";
    let d = load_str("t", src, &Vars::empty()).unwrap().desired;
    assert!(d.apis[0].external);
    assert!(d.applications[0].grants[0].scopes.contains("anything:goes"));
}

#[test]
fn variables_type_after_substitution_and_spans_stay_in_the_original() {
    let src = "version: 1\napis:\n  - identifier: ${AUD}\n    token_lifetime: ${TTL}\n";
    let vars = Vars::from_map([("AUD", "https://x.example.com/"), ("TTL", "99999999")]);
    let err = load_str("t", src, &vars).unwrap_err();
    let f = err.problems()[0].finding();
    assert_eq!(f.code, "config::token_lifetime_range");
    assert_eq!(&src[f.labels[0].span.clone()], "${TTL}");
    let vars = Vars::from_map([("AUD", "https://x.example.com/"), ("TTL", "60")]);
    let d = load_str("t", src, &vars).unwrap().desired;
    assert_eq!(d.apis[0].identifier, "https://x.example.com/");
    assert_eq!(d.apis[0].token_lifetime, Some(60));
}

#[test]
fn every_problem_is_reported_in_file_order() {
    let body = "applications:
  - name: a
    description: ok
    token_endpoint_auth_method: client_secret_basic
    grants:
      - api: https://orders.example.com/
        scopes: [read:order]
      - api: management
        scopes: [read:clientz]
      - api: nowhere
  - name: a
    token_lifetime: 0
";
    assert_eq!(
        codes(body),
        [
            "config::undeclared_scope",
            "config::unknown_management_scope",
            "config::unknown_api",
            "config::duplicate_app_name",
            "config::token_lifetime_range",
        ]
    );
}

#[test]
fn rule_table() {
    let cases: &[(&str, &[&str])] = &[
        (
            "applications:\n  - name: a\n    key: b\n  - name: c\n    key: b\n",
            &["config::duplicate_app_key"],
        ),
        (
            "applications:\n  - name: a\n    client_id: \"\"\n",
            &["config::empty_client_id"],
        ),
        (
            "applications:\n  - name: a\n    metadata: { m2mctl: x }\n",
            &["config::reserved_metadata_key"],
        ),
        (
            "applications:\n  - name: a\n    grants:\n      - api: management\n        scopes: [read:clients, read:clients]\n",
            &["config::duplicate_scope"],
        ),
        (
            "applications:\n  - name: a\n    token_lifetime: 100\n  - name: b\n    token_lifetime: 200\n",
            &[],
        ),
        ("project: \"\"\n", &["config::project"]),
    ];
    for (body, want) in cases {
        assert_eq!(codes(body), *want, "{body}");
    }
}

#[test]
fn config_types_serialize_back_to_yaml_that_loads() {
    let loaded = load_str(
        "q",
        include_str!("../../examples/quickstart.yaml"),
        &Vars::empty(),
    )
    .unwrap();
    let yaml = to_yaml(&loaded.config).unwrap();
    let again = load_str("again", &yaml, &Vars::empty()).unwrap();
    assert_eq!(again.desired, loaded.desired);
    assert!(
        yaml.starts_with("version: 1\nproject: quickstart\n"),
        "{yaml}"
    );
}

#[test]
fn application_keys_hold_only_the_safe_set() {
    let load = |key: &str| {
        let text = format!(
            "version: 1\napplications:\n  - name: worker\n    key: {}\n",
            serde_json::Value::from(key)
        );
        crate::config::load_str("c.yaml", &text, &crate::config::Vars::empty())
    };
    for ok in [
        "billing-worker",
        "zürich worker",
        "日本語",
        "a.b_c:d/e(f)+g@h,i=j",
    ] {
        assert!(load(ok).is_ok(), "{ok}: {:?}", load(ok).err());
    }
    for bad in [
        "a`b",
        "a|b",
        "a<b>",
        "a*b",
        "a[b]",
        "a\\b",
        "a\u{202e}b",
        "a\u{1b}b",
        "a&b",
        "a\tb",
    ] {
        let err = format!("{:?}", load(bad).expect_err(bad));
        assert!(err.contains("config::bad_key"), "{bad:?}: {err}");
    }
}

#[test]
fn organization_settings_table() {
    let grant = |extra: &str| {
        format!(
            "applications:\n  - name: w\n    grants:\n      - api: https://orders.example.com/\n        scopes: [read:orders]\n{extra}"
        )
    };
    let cases: [(&str, &[&str]); 8] = [
        ("", &[]),
        ("        organization_usage: deny\n", &[]),
        ("        organization_usage: require\n", &[]),
        (
            "        organization_usage: allow\n        allow_any_organization: true\n",
            &[],
        ),
        ("        allow_any_organization: false\n", &[]),
        (
            "        allow_any_organization: true\n",
            &["config::any_organization_without_usage"],
        ),
        (
            "        organization_usage: deny\n        allow_any_organization: true\n",
            &["config::any_organization_denied"],
        ),
        (
            "        organization_usage: maybe\n",
            &["config::unknown_value"],
        ),
    ];
    for (extra, want) in cases {
        assert_eq!(codes(&grant(extra)), want, "{extra}");
    }
    let on_management = "applications:\n  - name: w\n    grants:\n      - api: management\n        scopes: [read:clients]\n        allow_any_organization: false\n";
    assert_eq!(codes(on_management), ["config::management_organization"]);
}
