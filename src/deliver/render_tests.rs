use super::*;

fn payload(secret: &Secret) -> Payload<'_> {
    Payload {
        app: "ledger-sync",
        name: "Ledger sync",
        client_id: "abc123",
        auth: Auth::Secret(secret),
        domain: "example.eu.auth0.com",
        token_url: "https://example.eu.auth0.com/oauth/token".into(),
        audience: Some("https://ledger.example.com/".into()),
    }
}

#[test]
fn env_entries_use_the_credentials_names_plus_domain_url_and_audience() {
    let secret = Secret::new("s3cr3t");
    let names: Vec<String> = env_entries(&payload(&secret))
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        names,
        [
            "AUTH0_DOMAIN",
            "M2M_LEDGER_SYNC_CLIENT_ID",
            "M2M_LEDGER_SYNC_CLIENT_SECRET",
            "M2M_LEDGER_SYNC_TOKEN_URL",
            "M2M_LEDGER_SYNC_AUDIENCE",
        ]
    );
}

#[test]
fn dotenv_values_are_quoted_only_when_needed() {
    let table = [
        ("abc-DEF_123", "abc-DEF_123"),
        ("https://x.example.com/", "https://x.example.com/"),
        ("", "\"\""),
        ("a b", "\"a b\""),
        ("a\"b$c`d\\e", "\"a\\\"b\\$c\\`d\\\\e\""),
        ("line1\nline2", "\"line1\\nline2\""),
        ("#hash", "\"#hash\""),
        ("it's", "\"it's\""),
    ];
    for (value, want) in table {
        assert_eq!(dotenv_value(value), want, "{value:?}");
    }
}

#[test]
fn merge_replaces_in_place_keeps_other_lines_and_appends_the_rest() {
    let existing = "# service config\nPORT=8080\nexport M2M_A_CLIENT_ID=old\n\nM2M_A_CLIENT_ID=older\nOTHER=\"x y\"\n# M2M_A_CLIENT_SECRET=commented\n";
    let entries = vec![
        ("M2M_A_CLIENT_ID".to_string(), "new-id".to_string()),
        ("M2M_A_CLIENT_SECRET".to_string(), "new secret".to_string()),
    ];
    let merged = merge_dotenv(existing, &entries);
    assert_eq!(
        merged,
        "# service config\nPORT=8080\nM2M_A_CLIENT_ID=new-id\n\nOTHER=\"x y\"\n# M2M_A_CLIENT_SECRET=commented\nM2M_A_CLIENT_SECRET=\"new secret\"\n"
    );
    // Idempotent: merging again changes nothing.
    assert_eq!(merge_dotenv(&merged, &entries), merged);
}

#[test]
fn merge_into_an_empty_or_unterminated_file() {
    let entries = vec![("K".to_string(), "v".to_string())];
    assert_eq!(merge_dotenv("", &entries), "K=v\n");
    assert_eq!(merge_dotenv("A=1", &entries), "A=1\nK=v\n");
}

#[test]
fn payload_json_holds_everything_a_service_needs() {
    let secret = Secret::new("s3cr3t");
    let json: serde_json::Value = serde_json::from_str(&payload_json(&payload(&secret))).unwrap();
    assert_eq!(json["client_secret"], "s3cr3t");
    assert_eq!(json["client_id"], "abc123");
    assert_eq!(
        json["token_url"],
        "https://example.eu.auth0.com/oauth/token"
    );
    assert_eq!(json["audience"], "https://ledger.example.com/");
    assert_eq!(json["domain"], "example.eu.auth0.com");
    assert_eq!(json["app"], "ledger-sync");
}

#[test]
fn kubernetes_manifest_is_a_v1_secret_with_string_data() {
    let secret = Secret::new("s3cr3t: with # yaml specials");
    let text = kubernetes_secret(&payload(&secret), "payments", "ledger-sync-auth0");
    let body: String = text.lines().skip(1).collect::<Vec<_>>().join("\n");
    let parsed: serde_json::Value = serde_saphyr::from_str(&body).unwrap();
    assert_eq!(parsed["apiVersion"], "v1");
    assert_eq!(parsed["kind"], "Secret");
    assert_eq!(parsed["type"], "Opaque");
    assert_eq!(parsed["metadata"]["namespace"], "payments");
    assert_eq!(parsed["metadata"]["name"], "ledger-sync-auth0");
    assert_eq!(
        parsed["stringData"]["AUTH0_CLIENT_SECRET"],
        "s3cr3t: with # yaml specials"
    );
    assert_eq!(parsed["stringData"]["AUTH0_CLIENT_ID"], "abc123");
    assert_eq!(
        parsed["stringData"]["AUTH0_AUDIENCE"],
        "https://ledger.example.com/"
    );
    assert!(text.starts_with("# Written by m2mctl"), "{text}");
}
