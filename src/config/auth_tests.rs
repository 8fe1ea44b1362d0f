//! Table tests of `authentication:`: the desired keys, and one finding per broken rule, with
//! key files served from memory and a fixed clock.

use std::collections::HashMap;
use std::sync::OnceLock;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::{Error, KeyFiles, Loaded, Vars, load_with};
use crate::keys::{self, Generated, KeyAlg};
use crate::model::AuthMethod;

fn pairs() -> &'static [Generated; 3] {
    static PAIRS: OnceLock<[Generated; 3]> = OnceLock::new();
    PAIRS.get_or_init(|| {
        [
            keys::generate().unwrap(),
            keys::generate().unwrap(),
            keys::generate().unwrap(),
        ]
    })
}

struct Files(HashMap<&'static str, String>);

impl KeyFiles for Files {
    fn read(&self, path: &str) -> std::io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

fn files() -> Files {
    let [a, b, c] = pairs();
    Files(HashMap::from([
        ("keys/a.pub.pem", a.public_pem.clone()),
        ("keys/b.pub.pem", b.public_pem.clone()),
        ("keys/c.pub.pem", c.public_pem.clone()),
        ("keys/a.pem", a.private_pem.expose().to_string()),
        ("keys/notes.txt", "not a key".to_string()),
    ]))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::parse("2026-11-30T12:00:00Z", &Rfc3339).unwrap()
}

fn load(auth: &str) -> Result<Loaded, Error> {
    let text = format!("version: 1\napplications:\n  - name: ledger\n{auth}");
    load_with("m2mctl.yaml", &text, &Vars::empty(), &files(), now())
}

fn codes(auth: &str) -> Vec<&'static str> {
    match load(auth) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(|p| p.finding().code).collect(),
    }
}

fn indented(pem: &str, by: usize) -> String {
    pem.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(by)))
        .collect()
}

#[test]
fn keys_resolve_to_thumbprints_from_files_and_inline_pem() {
    let [a, b, _] = pairs();
    let auth = format!(
        "    authentication:
      method: private_key_jwt
      keys:
        - name: 2026-11
          public_key: keys/a.pub.pem
          private_key_file: ../secrets/a.pem
          alg: PS256
          expires_at: 2027-11-30T00:00:00Z
        - name: inline
          public_key: |
{}",
        indented(&b.public_pem, 12)
    );
    let loaded = load(&auth).unwrap();
    let app = &loaded.desired.applications[0];
    assert_eq!(app.auth_method, AuthMethod::PrivateKeyJwt);
    let got: Vec<_> = app
        .keys
        .iter()
        .map(|k| {
            (
                k.name.as_str(),
                k.kid.as_str(),
                k.alg,
                k.expires_at.as_deref(),
                k.private_key_file.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "2026-11",
                a.kid.as_str(),
                KeyAlg::PS256,
                Some("2027-11-30T00:00:00Z"),
                Some("../secrets/a.pem")
            ),
            ("inline", b.kid.as_str(), KeyAlg::RS256, None, None),
        ]
    );
    assert_eq!(app.keys[0].public_pem, a.public_pem);
}

#[test]
fn secret_methods_come_from_either_key_and_keys_may_wait_for_the_switch() {
    let basic = load("    authentication:\n      method: client_secret_basic\n").unwrap();
    assert_eq!(
        basic.desired.applications[0].auth_method,
        AuthMethod::ClientSecretBasic
    );
    let old = load("    token_endpoint_auth_method: client_secret_basic\n").unwrap();
    assert_eq!(
        old.desired.applications[0].auth_method,
        AuthMethod::ClientSecretBasic
    );
    // Keys registered before the method switches: allowed, without private key files.
    let early = load("    authentication:\n      keys:\n        - name: a\n          public_key: keys/a.pub.pem\n").unwrap();
    let app = &early.desired.applications[0];
    assert_eq!(
        (app.auth_method, app.keys.len()),
        (AuthMethod::ClientSecretPost, 1)
    );
}

#[test]
fn every_broken_rule_is_one_finding() {
    let key =
        |name: &str, file: &str| format!("        - name: {name}\n          public_key: {file}\n");
    let jwt = "    authentication:\n      method: private_key_jwt\n      keys:\n";
    let cases: Vec<(String, &str)> = vec![
        (
            format!(
                "{jwt}{}{}{}",
                key("a", "keys/a.pub.pem"),
                key("b", "keys/b.pub.pem"),
                key("c", "keys/c.pub.pem")
            ),
            "config::too_many_keys",
        ),
        (
            format!(
                "{jwt}{}{}",
                key("a", "keys/a.pub.pem"),
                key("a", "keys/b.pub.pem")
            ),
            "config::duplicate_key_name",
        ),
        (
            format!(
                "{jwt}{}{}",
                key("a", "keys/a.pub.pem"),
                key("b", "keys/a.pub.pem")
            ),
            "config::duplicate_key",
        ),
        (
            format!("{jwt}{}", key("a", "keys/missing.pem")),
            "config::key_file",
        ),
        (
            format!("{jwt}{}", key("a", "keys/notes.txt")),
            "config::bad_public_key",
        ),
        (
            format!("{jwt}{}", key("a", "keys/a.pem")),
            "config::private_key_as_public",
        ),
        (
            format!(
                "{jwt}{}          expires_at: 2026-11-01T00:00:00Z\n",
                key("a", "keys/a.pub.pem")
            ),
            "config::expired_key",
        ),
        (
            format!(
                "{jwt}{}          expires_at: next year\n",
                key("a", "keys/a.pub.pem")
            ),
            "config::bad_expires_at",
        ),
        (
            format!(
                "    authentication:\n      keys:\n{}          private_key_file: keys/a.pem\n",
                key("a", "keys/a.pub.pem")
            ),
            "config::private_key_for_secret",
        ),
        (
            "    authentication:\n      method: private_key_jwt\n".to_string(),
            "config::no_keys",
        ),
        (
            format!(
                "    token_endpoint_auth_method: client_secret_basic\n{jwt}{}",
                key("a", "keys/a.pub.pem")
            ),
            "config::two_auth_methods",
        ),
        (
            "    token_endpoint_auth_method: private_key_jwt\n".to_string(),
            "config::auth_method_place",
        ),
        (
            format!("{jwt}{}          alg: HS256\n", key("a", "keys/a.pub.pem")),
            "config::unknown_value",
        ),
    ];
    for (auth, want) in cases {
        assert_eq!(codes(&auth), [want], "{auth}");
    }
}

#[test]
fn a_private_key_pasted_as_public_key_is_refused_and_never_shown() {
    let [a, _, _] = pairs();
    let auth = format!(
        "    authentication:
      method: private_key_jwt
      keys:
        - name: oops
          public_key: |
{}          alg: RS256
",
        indented(a.private_pem.expose(), 12)
    );
    let err = load(&auth).unwrap_err();
    let codes: Vec<_> = err.problems().iter().map(|p| p.finding().code).collect();
    assert_eq!(codes, ["config::private_key_in_config"]);
    let shown = crate::config::render(&err, false, None);
    assert!(shown.contains("(line 9)"), "{shown}");
    assert!(shown.contains("help:"), "{shown}");
    for line in a
        .private_pem
        .expose()
        .lines()
        .filter(|l| !l.starts_with("-----"))
    {
        assert!(!shown.contains(line), "key material shown:\n{shown}");
    }
}
