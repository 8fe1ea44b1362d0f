//! Auth0 fact tables: the Management API among system APIs, client grants, auth methods.

use super::*;

fn system(identifier: &str) -> RemoteApi {
    RemoteApi {
        id: identifier.into(),
        identifier: identifier.into(),
        name: String::new(),
        scopes: Vec::new(),
        token_lifetime: None,
        is_system: true,
    }
}

#[test]
fn management_api_is_found_whatever_the_order_of_system_apis() {
    let me = system("https://t.example/me/");
    let mgmt = system("https://t.example/api/v2/");
    let custom = RemoteApi {
        is_system: false,
        ..system("https://other.example/api/v2/")
    };
    let cases: [(Vec<RemoteApi>, Option<&str>, Option<&str>); 6] = [
        (
            vec![me.clone(), mgmt.clone()],
            Some("t.example"),
            Some("https://t.example/api/v2/"),
        ),
        (
            vec![mgmt.clone(), me.clone()],
            Some("t.example"),
            Some("https://t.example/api/v2/"),
        ),
        // connected through a custom domain: the only system API of the form wins
        (
            vec![me.clone(), mgmt.clone()],
            Some("login.acme.com"),
            Some("https://t.example/api/v2/"),
        ),
        (vec![me.clone(), custom.clone()], Some("t.example"), None),
        (vec![me.clone()], None, None),
        (
            vec![custom, me, mgmt],
            None,
            Some("https://t.example/api/v2/"),
        ),
    ];
    for (apis, authority, want) in cases {
        let got = management_api(&apis, authority).map(|a| a.identifier.as_str());
        assert_eq!(got, want, "{authority:?}");
    }
}

#[test]
fn management_identifiers() {
    assert_eq!(
        management_identifier("127.0.0.1:4000"),
        "https://127.0.0.1:4000/api/v2/"
    );
    for (id, want) in [
        ("https://t.eu.auth0.com/api/v2/", true),
        ("https://127.0.0.1:9/api/v2/", true),
        ("https://t/me/", false),
        ("http://t/api/v2/", false),
        ("https:///api/v2/", false),
        ("https://t/x/api/v2/", false),
        ("https://t/api/v2/users", false),
    ] {
        assert_eq!(is_management_identifier(id), want, "{id}");
    }
    assert_eq!(authority_of("https://t:1/api/v2/"), Some("t:1"));
    assert_eq!(authority_of("https://t/me/"), None);
}

#[test]
fn client_auth_reads_client_authentication_methods() {
    let json = serde_json::json!({
        "client_id": "c", "name": "n",
        "client_authentication_methods": {"private_key_jwt": {"credentials": [{"id": "cred_1"}]}}
    });
    let c: RemoteClient = serde_json::from_value(json).unwrap();
    assert_eq!(
        client_auth(&c),
        ClientAuth::Methods(vec!["private_key_jwt"])
    );
    assert_eq!(client_auth(&c).label(), "private_key_jwt");
    let json = serde_json::json!({"client_id": "c", "client_authentication_methods": null,
        "token_endpoint_auth_method": "client_secret_basic"});
    let c: RemoteClient = serde_json::from_value(json).unwrap();
    assert_eq!(
        client_auth(&c),
        ClientAuth::Secret(Some("client_secret_basic"))
    );
}

#[test]
fn user_grants_and_default_grants_are_not_client_grants() {
    assert!(is_client_subject(None));
    assert!(is_client_subject(Some("client")));
    assert!(!is_client_subject(Some("user")));
    // terraform-provider-auth0 TestAccClientGrant_DefaultFor.yaml: no client_id at all
    let default: RemoteGrant = serde_json::from_str(
        r#"{"id":"cgr_XB6ZHmjNC4RXBCpg","audience":"https://a/","scope":["read:data"],
            "subject_type":"client","default_for":"third_party_clients"}"#,
    )
    .unwrap();
    assert!(!is_client_grant(&default));
    let grant = RemoteGrant {
        client_id: "c".into(),
        default_for: None,
        ..default
    };
    assert!(is_client_grant(&grant));
}

#[test]
fn auth_methods_have_one_wire_name_each() {
    for m in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        assert_eq!(AuthMethod::parse(m.as_str()), Some(m));
        assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
    }
    assert_eq!(AuthMethod::default().as_str(), AUTH_CLIENT_SECRET_POST);
    assert_eq!(AuthMethod::parse(AUTH_PRIVATE_KEY_JWT), None);
    assert_eq!(AuthMethod::parse("none"), None);
}
