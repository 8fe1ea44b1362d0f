//! Unit tests of the `token` / `credentials` renderers.

use super::*;
use crate::model::{ApiRef, AuthMethod};
use crate::tenant::Secret;
use crate::token::{Pair, Source, scope_set};

fn issued(app: &str, api: ApiRef, audience: &str, token: &str, source: Source) -> Issued {
    Issued {
        pair: Pair {
            app_key: app.into(),
            app_name: format!("{app} name"),
            client_id: format!("cid-{app}"),
            auth_method: AuthMethod::ClientSecretPost,
            api,
            audience: audience.into(),
            scopes: scope_set("read:orders"),
            tenant_scopes: scope_set("read:orders"),
            lifetime: None,
            signing: None,
            organization: None,
        },
        access_token: Secret::new(token),
        scopes: scope_set("write:orders read:orders"),
        expires_at: 1_767_229_200,
        source,
    }
}

fn sample() -> Vec<Issued> {
    vec![
        issued(
            "billing",
            ApiRef::Identifier("https://orders.example.com/".into()),
            "https://orders.example.com/",
            "aaaa.bbbb.cccc'dd",
            Source::New,
        ),
        issued(
            "billing",
            ApiRef::Management,
            "https://t/api/v2/",
            "eeee.ffff.gggg",
            Source::Cache,
        ),
    ]
}

#[test]
fn json_has_the_documented_fields() {
    let value: serde_json::Value = serde_json::from_str(&tokens_json(&sample())).unwrap();
    insta::assert_json_snapshot!(value[1], @r#"
    {
      "app": "billing",
      "name": "billing name",
      "client_id": "cid-billing",
      "api": "management",
      "audience": "https://t/api/v2/",
      "scopes": [
        "read:orders",
        "write:orders"
      ],
      "expires_at": "2026-01-01T01:00:00Z",
      "source": "cache",
      "access_token": "eeee.ffff.gggg"
    }
    "#);
}

#[test]
fn env_exports_quoted_values_once_per_app_id() {
    insta::assert_snapshot!(tokens_env(&sample()).unwrap(), @r"
    # billing
    export M2M_BILLING_CLIENT_ID='cid-billing'
    # billing https://orders.example.com/ (expires 2026-01-01T01:00:00Z)
    export M2M_BILLING_ORDERS_EXAMPLE_COM_TOKEN='aaaa.bbbb.cccc'\''dd'
    # billing management (expires 2026-01-01T01:00:00Z)
    export M2M_BILLING_MANAGEMENT_TOKEN='eeee.ffff.gggg'
    ");
}

#[test]
fn table_shortens_tokens() {
    let now = 1_767_229_200 - 3_600 - 125;
    insta::assert_snapshot!(tokens_table(&sample(), now), @r"
    APP      API                          SCOPES                    EXPIRES                          SOURCE  TOKEN
    billing  https://orders.example.com/  read:orders write:orders  2026-01-01T01:00:00Z (in 1h 2m)  new     ….cccc'dd
    billing  management                   read:orders write:orders  2026-01-01T01:00:00Z (in 1h 2m)  cache   …fff.gggg
    ");
}

#[test]
fn credentials_render_in_both_formats() {
    let creds = [Credential {
        app: "billing-worker",
        name: "Billing",
        client_id: "cid",
        client_secret: Some("s3cr$t'x"),
        keys: None,
    }];
    insta::assert_snapshot!(credentials_env(&creds).unwrap(), @r"
    # billing-worker
    export M2M_BILLING_WORKER_CLIENT_ID='cid'
    export M2M_BILLING_WORKER_CLIENT_SECRET='s3cr$t'\''x'
    ");
    let value: serde_json::Value = serde_json::from_str(&credentials_json(&creds)).unwrap();
    assert_eq!(value[0]["client_secret"], "s3cr$t'x");
    assert_eq!(value[0]["app"], "billing-worker");
}

#[test]
fn helpers_table() {
    let cases = [
        (0, "0s"),
        (59, "59s"),
        (60, "1m"),
        (3_599, "59m"),
        (3_660, "1h 1m"),
        (90_000, "1d 1h"),
        (-5, "0s"),
    ];
    for (secs, want) in cases {
        assert_eq!(human_secs(secs), want, "{secs}");
    }
    assert_eq!(shell_quote("a b"), "'a b'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shorten("abc"), "…abc");
    assert_eq!(shorten("header.payload.signature"), "…ignature");
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
}
