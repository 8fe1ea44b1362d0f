//! Unit tests of `exchange::serve` with a counting in-memory `Fetch`.

use std::cell::RefCell;
use std::collections::BTreeSet;

use super::*;
use crate::model::{ApiRef, AuthMethod};
use crate::tenant::Secret;
use crate::token::scope_set;

#[derive(Default)]
struct Counting {
    secrets: RefCell<Vec<String>>,
    tokens: RefCell<Vec<(String, String)>>,
    refuse: Option<&'static str>,
}

impl Fetch for Counting {
    type Keys = String;

    async fn secret(&self, pair: &Pair) -> Result<String, TokenError> {
        self.secrets.borrow_mut().push(pair.client_id.clone());
        Ok(format!("secret-of-{}", pair.client_id))
    }

    async fn token(&self, pair: &Pair, secret: &String) -> Result<Fresh, TokenError> {
        assert_eq!(secret, &format!("secret-of-{}", pair.client_id));
        if self.refuse == Some(pair.audience.as_str()) {
            return Err(TokenError::OAuth {
                app: pair.app_key.clone(),
                api: pair.api_label().to_string(),
                status: 403,
                error: "access_denied".into(),
                description: "Client has not been granted scopes: x".into(),
                help: String::new(),
            });
        }
        self.tokens
            .borrow_mut()
            .push((pair.client_id.clone(), pair.audience.clone()));
        Ok(Fresh {
            access_token: Secret::new(format!("{}|{}", pair.client_id, pair.audience)),
            scopes: pair.tenant_scopes.clone(),
            expires_in: 3600,
        })
    }
}

fn pair(client: &str, audience: &str, scopes: &str) -> Pair {
    Pair {
        app_key: format!("app-{client}"),
        app_name: client.into(),
        client_id: client.into(),
        auth_method: AuthMethod::ClientSecretPost,
        api: ApiRef::Identifier(audience.into()),
        audience: audience.into(),
        scopes: scope_set(scopes),
        tenant_scopes: scope_set(scopes),
        lifetime: None,
        signing: None,
        organization: None,
    }
}

fn pairs() -> Vec<Pair> {
    vec![
        pair("a", "https://x/", "r"),
        pair("a", "https://y/", "r w"),
        pair("b", "https://x/", ""),
    ]
}

fn run<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn one_secret_per_app_and_order_kept() {
    let fetch = Counting::default();
    let served = run(serve(&fetch, pairs(), None, Reuse::Cached, "t", 100)).unwrap();
    let mut secrets = fetch.secrets.borrow().clone();
    secrets.sort();
    assert_eq!(secrets, ["a", "b"]);
    assert_eq!(fetch.tokens.borrow().len(), 3);
    let got: Vec<(&str, &str, Source, i64)> = served
        .iter()
        .map(|i| {
            (
                i.pair.client_id.as_str(),
                i.pair.audience.as_str(),
                i.source,
                i.expires_at,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a", "https://x/", Source::New, 3700),
            ("a", "https://y/", Source::New, 3700),
            ("b", "https://x/", Source::New, 3700),
        ]
    );
    assert_eq!(served[1].access_token.expose(), "a|https://y/");
}

#[test]
fn second_run_is_served_from_the_cache_without_requests() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cache, _) = Cache::load(dir.path());
    let first = Counting::default();
    run(serve(
        &first,
        pairs(),
        Some(&mut cache),
        Reuse::Cached,
        "t",
        100,
    ))
    .unwrap();
    cache.save(100).unwrap();

    let (mut cache, _) = Cache::load(dir.path());
    let second = Counting::default();
    let served = run(serve(
        &second,
        pairs(),
        Some(&mut cache),
        Reuse::Cached,
        "t",
        200,
    ))
    .unwrap();
    assert!(second.secrets.borrow().is_empty());
    assert!(second.tokens.borrow().is_empty());
    assert!(served.iter().all(|i| i.source == Source::Cache));
    assert!(!cache.is_dirty());

    // Another tenant domain, a grant changed in the tenant (after an apply), or near expiry:
    // new requests.
    let mut changed = pairs();
    changed[0].scopes = scope_set("r extra");
    changed[0].tenant_scopes = scope_set("r extra");
    let third = Counting::default();
    let served = run(serve(
        &third,
        changed,
        Some(&mut cache),
        Reuse::Cached,
        "t",
        200,
    ))
    .unwrap();
    let sources: Vec<Source> = served.iter().map(|i| i.source).collect();
    assert_eq!(sources, [Source::New, Source::Cache, Source::Cache]);
    assert_eq!(third.secrets.borrow().as_slice(), ["a"]);

    let fourth = Counting::default();
    run(serve(
        &fourth,
        pairs(),
        Some(&mut cache),
        Reuse::Cached,
        "other",
        200,
    ))
    .unwrap();
    assert_eq!(fourth.tokens.borrow().len(), 3);

    let fresh = Counting::default();
    let served = run(serve(
        &fresh,
        pairs(),
        Some(&mut cache),
        Reuse::Fresh,
        "t",
        300,
    ))
    .unwrap();
    assert_eq!(fresh.tokens.borrow().len(), 3);
    assert!(served.iter().all(|i| i.source == Source::New));
    assert_eq!(
        cache
            .lookup(&key("t", &served[0].pair), &scope_set("r"), 300)
            .unwrap()
            .expires_at,
        3900
    );

    let fifth = Counting::default();
    run(serve(
        &fifth,
        pairs(),
        Some(&mut cache),
        Reuse::Cached,
        "t",
        3900 - 60,
    ))
    .unwrap();
    assert_eq!(fifth.tokens.borrow().len(), 3);
}

#[test]
fn a_refusal_is_the_error_and_nothing_is_cached_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cache, _) = Cache::load(dir.path());
    let fetch = Counting {
        refuse: Some("https://y/"),
        ..Counting::default()
    };
    let err = run(serve(
        &fetch,
        pairs(),
        Some(&mut cache),
        Reuse::Cached,
        "t",
        0,
    ))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("\"Client has not been granted scopes: x\""),
        "{err}"
    );
    let key = Key {
        domain: "t".into(),
        client_id: "a".into(),
        audience: "https://y/".into(),
        organization: None,
    };
    assert!(
        cache
            .lookup(&key, &BTreeSet::from(["r".to_string(), "w".to_string()]), 0)
            .is_none()
    );
}

#[test]
fn an_unapplied_scope_change_is_cached_by_the_granted_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let mut drifted = pair("a", "https://x/", "r w");
    drifted.tenant_scopes = scope_set("r");
    for (run_no, want_requests) in [(1, 1), (2, 0)] {
        let (mut cache, _) = Cache::load(dir.path());
        let fetch = Counting::default();
        let served = run(serve(
            &fetch,
            vec![drifted.clone()],
            Some(&mut cache),
            Reuse::Cached,
            "t",
            100,
        ))
        .unwrap();
        cache.save(100).unwrap();
        assert_eq!(fetch.tokens.borrow().len(), want_requests, "run {run_no}");
        assert_eq!(served[0].scopes, scope_set("r"), "run {run_no}");
    }
}

#[test]
fn tokens_in_an_organizations_name_are_cached_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cache, _) = Cache::load(dir.path());
    let in_org = |org: Option<&str>| {
        let mut p = pair("a", "https://x/", "r");
        p.organization = org.map(str::to_string);
        vec![p]
    };
    let fetch = Counting::default();
    for (org, requests) in [
        (Some("org_a"), 1),
        (Some("org_a"), 1),
        (None, 2),
        (Some("acme"), 3),
        (None, 3),
        (Some("org_a"), 3),
    ] {
        let served = run(serve(
            &fetch,
            in_org(org),
            Some(&mut cache),
            Reuse::Cached,
            "t",
            100,
        ))
        .unwrap();
        assert_eq!(served[0].pair.organization.as_deref(), org);
        assert_eq!(fetch.tokens.borrow().len(), requests, "{org:?}");
    }
    cache.save(100).unwrap();
    let (reread, _) = Cache::load(dir.path());
    let key = |org: Option<&str>| Key {
        domain: "t".into(),
        client_id: "a".into(),
        audience: "https://x/".into(),
        organization: org.map(str::to_string),
    };
    for org in [None, Some("org_a"), Some("acme")] {
        assert!(
            reread.lookup(&key(org), &scope_set("r"), 100).is_some(),
            "{org:?}"
        );
    }
    assert!(
        reread
            .lookup(&key(Some("org_b")), &scope_set("r"), 100)
            .is_none()
    );
}
