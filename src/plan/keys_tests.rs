//! Table tests of key plans: register before listing, remove after, the 2-key and last-key rules,
//! `expires_at` updates, expiry warnings, and the public key never rendered.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Credentials, diff_keys};
use crate::keys::KeyAlg;
use crate::model::{AuthMethod, DesiredKey, RemoteClient, RemoteCredential};
use crate::plan::fixtures::{app, desired, managed, remote};
use crate::plan::{Action, Error, Kind, Plan, PlanOptions, diff};

fn key(name: &str, expires_at: Option<&str>) -> DesiredKey {
    DesiredKey {
        name: name.into(),
        kid: format!("kid-{name}"),
        alg: KeyAlg::RS256,
        public_pem: format!(
            "-----BEGIN PUBLIC KEY-----\nPEM-OF-{name}\n-----END PUBLIC KEY-----\n"
        ),
        expires_at: expires_at.map(str::to_string),
        private_key_file: None,
    }
}

fn cred(name: &str, expires_at: Option<&str>) -> RemoteCredential {
    RemoteCredential {
        id: format!("cred_{name}"),
        name: name.into(),
        kid: format!("kid-{name}"),
        alg: Some("RS256".into()),
        expires_at: expires_at.map(str::to_string),
    }
}

/// `c1`, managed as `svc`, listing `listed` for private-key JWT.
fn signing_client(listed: &[&str]) -> RemoteClient {
    let mut c = managed("c1", "svc");
    if !listed.is_empty() {
        let ids: Vec<Value> = listed
            .iter()
            .map(|n| json!({"id": format!("cred_{n}")}))
            .collect();
        c.client_authentication_methods = Some(json!({"private_key_jwt": {"credentials": ids}}));
        c.token_endpoint_auth_method = None;
    }
    c
}

fn now() -> OffsetDateTime {
    OffsetDateTime::parse("2026-11-30T12:00:00Z", &Rfc3339).unwrap()
}

/// The plan for `svc` with `keys` and `method` against `client` holding `creds`.
fn plan(
    keys: Vec<DesiredKey>,
    method: AuthMethod,
    client: Option<RemoteClient>,
    creds: Vec<RemoteCredential>,
) -> Result<Plan, Error> {
    plan_with(keys, method, client, creds, 5)
}

/// [`plan`] with `settings.max_deletes`.
fn plan_with(
    keys: Vec<DesiredKey>,
    method: AuthMethod,
    client: Option<RemoteClient>,
    creds: Vec<RemoteCredential>,
    max_deletes: usize,
) -> Result<Plan, Error> {
    let mut a = app("svc");
    a.keys = keys;
    a.auth_method = method;
    let mut d = desired(vec![a], Vec::new());
    d.settings.max_deletes = max_deletes;
    let r = remote(client.into_iter().collect(), Vec::new(), Vec::new());
    let options = PlanOptions::default();
    let mut p = diff(&d, &r, &options)?;
    let credentials: Credentials = [("c1".to_string(), creds)].into();
    diff_keys(&mut p, &d, &r, &credentials, &options, now())?;
    Ok(p)
}

/// `(kind, action, address)` of the key changes.
fn key_changes(p: &Plan) -> Vec<(Kind, Action, String)> {
    p.changes
        .iter()
        .filter(|c| matches!(c.kind(), Kind::Credential | Kind::SigningKeys))
        .map(|c| (c.kind(), c.action, c.address.clone()))
        .collect()
}

fn listed_after(p: &Plan) -> Vec<String> {
    p.changes
        .iter()
        .find(|c| c.kind() == Kind::SigningKeys)
        .and_then(|c| c.field(crate::auth0::field::PRIVATE_KEY_JWT))
        .and_then(|f| f.after.clone())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|k| k["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_new_application_gets_its_key_then_the_list() {
    let p = plan(
        vec![key("a", None)],
        AuthMethod::PrivateKeyJwt,
        None,
        vec![],
    )
    .unwrap();
    assert_eq!(
        key_changes(&p),
        [
            (
                Kind::Credential,
                Action::Create,
                "key.svc -> a (kid-a)".into()
            ),
            (Kind::SigningKeys, Action::Create, "signing_keys.svc".into()),
        ]
    );
    assert_eq!(listed_after(&p), ["a"]);
    let create = &p.changes[p.changes.len() - 2];
    let body = create.body().unwrap();
    assert_eq!(body["pem"], key("a", None).public_pem.as_str());
    assert_eq!(body["credential_type"], "public_key");
    // The client itself is created without a secret method.
    let client = p.changes.iter().find(|c| c.kind() == Kind::Client).unwrap();
    assert!(client.field("token_endpoint_auth_method").is_none());
    // Text and markdown show the name and the thumbprint, never the public key.
    let mut text = Vec::new();
    crate::render::text(&p, &mut text, false).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("kid-a"), "{text}");
    assert!(
        !text.contains("PEM-OF-a") && !text.contains("BEGIN"),
        "{text}"
    );
}

#[test]
fn rotation_adds_before_it_lists_and_removes_after_it_stops_listing() {
    // Step 1: add b next to a.
    let client = signing_client(&["a"]);
    let p = plan(
        vec![key("a", None), key("b", None)],
        AuthMethod::PrivateKeyJwt,
        Some(client),
        vec![cred("a", None)],
    )
    .unwrap();
    assert_eq!(
        key_changes(&p),
        [
            (
                Kind::Credential,
                Action::Create,
                "key.svc -> b (kid-b)".into()
            ),
            (Kind::SigningKeys, Action::Update, "signing_keys.svc".into()),
        ]
    );
    assert_eq!(listed_after(&p), ["a", "b"]);
    // Step 2: remove a.
    let client = signing_client(&["a", "b"]);
    let p = plan(
        vec![key("b", None)],
        AuthMethod::PrivateKeyJwt,
        Some(client),
        vec![cred("a", None), cred("b", None)],
    )
    .unwrap();
    assert_eq!(
        key_changes(&p),
        [
            (
                Kind::Credential,
                Action::Delete,
                "key.svc -> a (kid-a)".into()
            ),
            (Kind::SigningKeys, Action::Update, "signing_keys.svc".into()),
        ]
    );
    assert_eq!(listed_after(&p), ["b"]);
    // In line: nothing to do.
    let client = signing_client(&["b"]);
    let p = plan(
        vec![key("b", None)],
        AuthMethod::PrivateKeyJwt,
        Some(client),
        vec![cred("b", None)],
    )
    .unwrap();
    assert!(key_changes(&p).is_empty(), "{:?}", key_changes(&p));
}

#[test]
fn a_switch_from_a_secret_lists_the_keys_and_drops_the_secret_method() {
    let p = plan(
        vec![key("a", None)],
        AuthMethod::PrivateKeyJwt,
        Some(managed("c1", "svc")),
        vec![cred("a", None)],
    )
    .unwrap();
    let list = p
        .changes
        .iter()
        .find(|c| c.kind() == Kind::SigningKeys)
        .unwrap();
    let method = list.field("token_endpoint_auth_method").unwrap();
    assert_eq!(method.before, Some(json!("client_secret_post")));
    assert_eq!(method.after, None);
}

#[test]
fn the_two_key_limit_and_the_last_key_are_refused() {
    let client = signing_client(&["a", "b"]);
    let err = plan(
        vec![key("b", None), key("c", None)],
        AuthMethod::PrivateKeyJwt,
        Some(client.clone()),
        vec![cred("a", None), cred("b", None)],
    )
    .unwrap_err();
    assert!(matches!(err, Error::TooManyKeys { .. }), "{err:?}");
    let err = plan(
        vec![key("b", None)],
        AuthMethod::ClientSecretPost,
        Some(client),
        vec![cred("a", None), cred("b", None)],
    )
    .unwrap_err();
    assert!(matches!(err, Error::KeysToSecret { .. }), "{err:?}");
}

#[test]
fn expiry_is_updated_in_place_and_warned_about_within_the_window() {
    let client = signing_client(&["a"]);
    let p = plan(
        vec![key("a", Some("2026-12-10T00:00:00Z"))],
        AuthMethod::PrivateKeyJwt,
        Some(client.clone()),
        vec![cred("a", Some("2027-01-01T00:00:00.000Z"))],
    )
    .unwrap();
    assert_eq!(
        key_changes(&p),
        [(
            Kind::Credential,
            Action::Update,
            "key.svc -> a (kid-a)".into()
        )]
    );
    assert_eq!(p.changes.last().unwrap().id.as_deref(), Some("cred_a"));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.message.contains("key `a` (kid-a) of `svc` expires")),
        "{:?}",
        p.warnings
    );
    // Same instant written differently: no change, and no warning 60 days out.
    let p = plan(
        vec![key("a", Some("2027-01-29T00:00:00Z"))],
        AuthMethod::PrivateKeyJwt,
        Some(client),
        vec![cred("a", Some("2027-01-29T00:00:00.000Z"))],
    )
    .unwrap();
    assert!(key_changes(&p).is_empty());
    assert!(!p.warnings.iter().any(|w| w.message.contains("expires")));
}

#[test]
fn deleted_keys_count_toward_max_deletes_and_the_plan_says_so() {
    let drop_a = |max_deletes| {
        plan_with(
            vec![key("b", None)],
            AuthMethod::PrivateKeyJwt,
            Some(signing_client(&["a", "b"])),
            vec![cred("a", None), cred("b", None)],
            max_deletes,
        )
        .unwrap()
    };
    let p = drop_a(0);
    let blocked = p.blocked.clone().expect("blocked by one key delete");
    assert_eq!(
        (blocked.deletes, blocked.keys, blocked.max_deletes),
        (1, 1, 0)
    );
    let err = p.check_mass_delete(false).unwrap_err().to_string();
    assert_eq!(
        err,
        "the plan deletes 1 objects (1 of them keys: each deleted key counts once), more than `max_deletes` (0)"
    );
    assert_eq!(p.check_mass_delete(true), Ok(()));
    let mut text = Vec::new();
    crate::render::text(&p, &mut text, false).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("Blocked: this plan deletes 1 objects (1 of them keys: each deleted key counts once), more than `max_deletes` (0)"),
        "{text}"
    );
    assert_eq!(drop_a(1).blocked, None);
}

#[test]
fn the_fingerprint_covers_the_credential_lists_of_clients_whose_keys_change() {
    use crate::plan::{ObjectRef, fingerprint};
    let creds = vec![cred("a", None)];
    let p = plan(
        vec![key("a", None), key("b", None)],
        AuthMethod::PrivateKeyJwt,
        Some(signing_client(&["a"])),
        creds.clone(),
    )
    .unwrap();
    let covered = ObjectRef {
        kind: Kind::Credential,
        id: "c1".into(),
    };
    assert!(p.touched.contains(&covered), "{:?}", p.touched);
    assert_eq!(super::clients_in_fingerprint(&p.touched), ["c1"]);
    let r = remote(vec![signing_client(&["a"])], Vec::new(), Vec::new());
    let with = |list: Vec<RemoteCredential>| -> Credentials { [("c1".to_string(), list)].into() };
    // As read at plan time (in any order): the same fingerprint.
    assert_eq!(
        fingerprint(&p.touched, &r, &with(creds.clone())),
        p.fingerprint
    );
    // Another key registered, an expiry changed, the key removed, the list unreadable: stale.
    let changed = [
        vec![cred("a", None), cred("c", None)],
        vec![cred("a", Some("2027-01-01T00:00:00.000Z"))],
        vec![],
    ];
    for list in changed {
        assert_ne!(
            fingerprint(&p.touched, &r, &with(list.clone())),
            p.fingerprint,
            "{list:?}"
        );
    }
    assert_ne!(
        fingerprint(&p.touched, &r, &Credentials::new()),
        p.fingerprint
    );
    // A plan without key changes does not look at credentials.
    let quiet = plan(
        vec![key("a", None)],
        AuthMethod::PrivateKeyJwt,
        Some(signing_client(&["a"])),
        creds,
    )
    .unwrap();
    assert!(super::clients_in_fingerprint(&quiet.touched).is_empty());
}
