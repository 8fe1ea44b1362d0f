//! Unit tests of `token::verify`.

use super::*;

fn set(s: &str) -> BTreeSet<String> {
    scope_set(s)
}

fn good() -> Claims {
    Claims {
        iss: Some("https://t/".into()),
        sub: Some("cid@clients".into()),
        aud: Some(serde_json::json!("https://api/")),
        azp: Some("cid".into()),
        gty: Some("client-credentials".into()),
        client_id: None,
        scope: Some("write:x read:x".into()),
        iat: Some(1_000),
        exp: Some(4_600),
        org_id: None,
        org_name: None,
    }
}

#[test]
fn claim_checks_table() {
    let declared = set("read:x write:x");
    let expected = Expected {
        issuer: "https://t/",
        audience: "https://api/",
        client_id: "cid",
        scopes: &declared,
        lifetime: Some(3600),
        organization: None,
    };
    type Edit = fn(&mut Claims);
    let cases: [(&str, Edit, &[&str]); 14] = [
        ("matching", |_| {}, &[]),
        (
            "RFC 9068 profile: client_id instead of azp and gty",
            |c| {
                c.azp = None;
                c.gty = None;
                c.client_id = Some("cid".into());
            },
            &[],
        ),
        (
            "RFC 9068 profile of another client",
            |c| {
                c.azp = None;
                c.gty = None;
                c.client_id = Some("x".into());
            },
            &["client_id"],
        ),
        (
            "client_id beside a wrong azp is still checked as azp",
            |c| {
                c.azp = Some("x".into());
                c.client_id = Some("cid".into());
            },
            &["azp"],
        ),
        ("neither azp nor client_id", |c| c.azp = None, &["azp"]),
        (
            "aud as list",
            |c| c.aud = Some(serde_json::json!(["https://api/", "x"])),
            &[],
        ),
        (
            "wrong iss",
            |c| c.iss = Some("https://other/".into()),
            &["iss"],
        ),
        (
            "wrong aud",
            |c| c.aud = Some(serde_json::json!("https://nope/")),
            &["aud"],
        ),
        (
            "other client",
            |c| {
                c.azp = Some("x".into());
                c.sub = Some("x@clients".into());
            },
            &["azp", "sub"],
        ),
        ("no gty", |c| c.gty = None, &["gty"]),
        (
            "scope missing",
            |c| c.scope = Some("read:x".into()),
            &["scope"],
        ),
        ("no scope", |c| c.scope = None, &["scope"]),
        ("lifetime", |c| c.exp = Some(1_060), &["lifetime"]),
        (
            "expired",
            |c| {
                c.iat = Some(-3_600);
                c.exp = Some(0);
            },
            &["exp"],
        ),
    ];
    for (name, edit, want) in cases {
        let mut claims = good();
        edit(&mut claims);
        let got: Vec<&str> = check_claims(&claims, &expected, 500)
            .iter()
            .map(|d| d.check)
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn no_declared_lifetime_skips_the_lifetime_check() {
    let declared = set("read:x write:x");
    let expected = Expected {
        issuer: "https://t/",
        audience: "https://api/",
        client_id: "cid",
        scopes: &declared,
        lifetime: None,
        organization: None,
    };
    let mut claims = good();
    claims.exp = Some(1_060);
    assert!(check_claims(&claims, &expected, 500).is_empty());
}

#[test]
fn scope_difference_names_missing_and_extra() {
    let d = compare_scopes("grant", &set("a b"), &set("b c")).unwrap();
    assert_eq!(d.expected, "a b");
    assert_eq!(d.actual, "b c");
    assert_eq!(d.note.as_deref(), Some("missing a; extra c"));
    assert_eq!(compare_scopes("grant", &set("a"), &set("a")), None);
    assert_eq!(
        compare_scopes("scope", &set("a"), &set("")).unwrap().actual,
        "(none)"
    );
}

#[test]
fn garbage_token_is_a_difference_not_a_panic() {
    let declared = set("a");
    let expected = Expected {
        issuer: "https://t/",
        audience: "https://api/",
        client_id: "cid",
        scopes: &declared,
        lifetime: None,
        organization: None,
    };
    let jwks = JwkSet { keys: vec![] };
    let got: Vec<&str> = check_token("not-a-jwt", Signer::Jwks(&jwks), &expected, 0)
        .iter()
        .map(|d| d.check)
        .collect();
    assert_eq!(got, ["signature", "claims"]);
}

/// A real RS256 key pair: (encoding key, its JWKS with kid `k1`).
fn signer() -> (jsonwebtoken::EncodingKey, JwkSet) {
    use aws_lc_rs::encoding::AsDer;
    use base64::Engine;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("k1".into());
    (key, JwkSet { keys: vec![jwk] })
}

#[test]
fn signature_checks_against_the_jwks() {
    let (key, jwks) = signer();
    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let claims = serde_json::json!({
        "iss": "https://t/", "sub": "cid@clients", "aud": "https://api/", "iat": 1000,
        "exp": 4600, "scope": "read:x", "gty": "client-credentials", "azp": "cid"
    });
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let declared = set("read:x write:x");
    let expected = Expected {
        issuer: "https://t/",
        audience: "https://api/",
        client_id: "cid",
        scopes: &declared,
        lifetime: Some(3600),
        organization: None,
    };
    let checks = |token: &str, jwks: &JwkSet| -> Vec<&'static str> {
        check_token(token, Signer::Jwks(jwks), &expected, 500)
            .iter()
            .map(|d| d.check)
            .collect()
    };
    assert_eq!(checks(&token, &jwks), ["scope"]);
    let (_, other_jwks) = signer();
    assert_eq!(checks(&token, &other_jwks), ["signature", "scope"]);
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = jsonwebtoken::encode(
        &header,
        &serde_json::json!({"scope": "read:x write:x"}),
        &key,
    )
    .unwrap();
    parts[1] = forged.split('.').nth(1).unwrap();
    let tampered = parts.join(".");
    assert_eq!(checks(&tampered, &jwks)[0], "signature");
    header.kid = Some("unknown".into());
    let unknown_kid = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let diff = check_signature(&unknown_kid, Signer::Jwks(&jwks)).unwrap();
    assert!(diff.actual.contains("`unknown`"), "{}", diff.actual);
}

#[test]
fn organization_claims_table() {
    let declared = set("read:x write:x");
    let with = |asked: Option<&'static str>| Expected {
        issuer: "https://t/",
        audience: "https://api/",
        client_id: "cid",
        scopes: &declared,
        lifetime: None,
        organization: asked,
    };
    let claims = |id: Option<&str>, name: Option<&str>| Claims {
        org_id: id.map(str::to_string),
        org_name: name.map(str::to_string),
        ..good()
    };
    type Case<'a> = (
        Option<&'static str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let cases: [Case; 8] = [
        // asked, org_id, org_name, the failing check
        (None, None, None, None),
        (None, Some("org_a"), None, None),
        (Some("org_a"), Some("org_a"), Some("acme"), None),
        (Some("org_a"), Some("org_b"), Some("acme"), Some("org_id")),
        (Some("org_a"), None, None, Some("org_id")),
        (Some("acme"), Some("org_a"), Some("acme"), None),
        (Some("acme"), Some("org_a"), Some("other"), Some("org_name")),
        (Some("acme"), Some("org_a"), None, None),
    ];
    for (asked, id, name, want) in cases {
        let got: Vec<&str> = check_claims(&claims(id, name), &with(asked), 500)
            .iter()
            .map(|d| d.check)
            .collect();
        assert_eq!(
            got,
            want.into_iter().collect::<Vec<_>>(),
            "{asked:?} {id:?} {name:?}"
        );
    }
}

#[test]
fn hs256_tokens_verify_with_the_apis_signing_secret_and_only_for_hs256_apis() {
    let secret = Secret::new("0123456789abcdef0123456789abcdef");
    let claims =
        serde_json::json!({"iss": "https://t/", "sub": "cid@clients", "aud": "https://api/"});
    let hs = |key: &[u8]| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(key),
        )
        .unwrap()
    };
    let token = hs(secret.expose().as_bytes());
    assert!(is_hs256(&token));
    assert_eq!(check_signature(&token, Signer::Hs256(Some(&secret))), None);
    // Another secret, or a tampered payload: refused.
    let other = hs(b"another-secret-another-secret-00");
    let d = check_signature(&other, Signer::Hs256(Some(&secret))).unwrap();
    assert_eq!(d.check, "signature");
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[1] = "eyJzdWIiOiJldmlsQGNsaWVudHMifQ";
    let tampered = parts.join(".");
    assert!(check_signature(&tampered, Signer::Hs256(Some(&secret))).is_some());
    // The tenant does not show the secret: failed by name, never silently passed.
    let d = check_signature(&token, Signer::Hs256(None)).unwrap();
    assert!(d.actual.contains("no `signing_secret`"), "{}", d.actual);
    // Key confusion: an HS256 token (signed with what an RS256 API's `signing_secret` or the
    // JWKS's public key would be) for an API that signs RS256 fails; so does an RS256 token for
    // an HS256 API.
    let (key, jwks) = signer();
    let d = check_signature(&token, Signer::Jwks(&jwks)).unwrap();
    assert_eq!(d.actual, "alg HS256");
    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let rs = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    assert!(!is_hs256(&rs));
    let d = check_signature(&rs, Signer::Hs256(Some(&secret))).unwrap();
    assert_eq!(d.actual, "alg RS256");
    // No difference ever quotes the secret.
    for d in [
        check_signature(&other, Signer::Hs256(Some(&secret))),
        check_signature(&rs, Signer::Hs256(Some(&secret))),
    ] {
        let d = d.unwrap();
        assert!(!format!("{d:?}").contains(secret.expose()));
    }
}
