//! Table tests of `keys`: the thumbprint is the `kid` real Auth0 gave a recorded key, PEM kinds
//! are told apart, and signed assertions verify with the matching public key only.

use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;

use super::*;

/// The key of go-auth0 `TestClient_CreateCredential.yaml` (interaction 0), which Auth0 answered
/// with `"kid":"4e7yYf0TKdyTLbVnpq2wLN6mZ8t7eb9UJkMksyHj9iU"`.
const RECORDED: &str = "-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAua6LXMfgDE/tDdkOL1Oe
3oWUwg1r4dSTg9L7RCcI5hItUzmkVofHtWN0H4CH2lm2ANmaJUsnhzctYowYW2+R
tHvU9afTmtbdhpy993972hUqZSYLsE3iGziphYkOKVsqq38+VRH3TNg93zSLoRao
JnTTkMXseVqiyqYRmFN8+gQQoEclHSGPUWQG5XMZ+hhuXeFyo+Yw/qbZWca/6/2I
3rsca9jXR1alhxhHrXrg8N4Dm3gBgGbmiht6YYYT2Tyl1OqB9+iOI/9D7dfoCF6X
AWJXRE454cmC8k8oucpjZVpflA+ocKshwPDR6YTLQYbXYiaWxEoaz0QGUErNQBnG
I+sr9jDY3ua/s6HF6h0qyi/HVZH4wx+m4CtOfJoYTjrGBbaRszzUxhtSN2/MhXDu
+a35q9/2zcu/3fjkkfVvGUt+NyyiYOKQ9vsJC1g/xxdUWtowjNwjfZE2zcG4usi8
r38Bp0lmiipAsMLduZM/D5dFXkRdWCBNDfULmmg/4nv2wwjbjQuLemAMh7mmrztW
i/85WMnjKQZT8NqS43pmgyIzg1gK1neMqdS90YmQ/PvJ36qALxCs245w1JpN9BAL
JbwxCg/dbmKT7PalfWrksx9hGcJxtGqebldaOpw+5GVIPxxtC1C0gVr9BKeiDS3f
aibASY5pIRiKENmbZELDtucCAwEAAQ==
-----END PUBLIC KEY-----
";

const SMALL: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDMIgwva4XLWZFPdr35X7AJ1sKM
nu5rGl/iU9YzOo4c+GNbvBf2O9MWkESpKWBwW5dUWvE6QoZPlhYZcLHKm4uCc81z
Jp/0KYyrHXt6RvYpP3ypZlT9rHnm3om0t7EwljDi22CZJgRK7SV7+il1de0frnwK
ezJz9nQXohOHoXwErwIDAQAB
-----END PUBLIC KEY-----
";

#[test]
fn the_thumbprint_is_the_kid_auth0_gave_the_recorded_key() {
    assert_eq!(
        public_kid(RECORDED).unwrap(),
        "4e7yYf0TKdyTLbVnpq2wLN6mZ8t7eb9UJkMksyHj9iU"
    );
}

#[test]
fn keys_that_cannot_be_credentials_are_refused_without_quoting_them() {
    let generated = generate().unwrap();
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let ec = "-----BEGIN EC PARAMETERS-----\nBggq\n-----END EC PARAMETERS-----\n";
    let cases: [(&str, KeyError); 6] = [
        ("keys/a.pub.pem", KeyError::NotPem),
        (generated.private_pem.expose(), KeyError::PrivateGiven),
        (cert, KeyError::Certificate),
        (ec, KeyError::OtherPem("EC PARAMETERS".into())),
        (SMALL, KeyError::TooSmall(1024)),
        (
            "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
            KeyError::Unreadable(String::new()),
        ),
    ];
    for (pem, want) in cases {
        let got = public_kid(pem).unwrap_err();
        match want {
            KeyError::Unreadable(_) => assert!(matches!(got, KeyError::Unreadable(_)), "{got:?}"),
            want => assert_eq!(got, want),
        }
        assert!(!got.to_string().contains("MII"), "{got}");
    }
    let public = Secret::new(generated.public_pem.clone());
    assert_eq!(
        PrivateKey::from_pem(&public).unwrap_err(),
        KeyError::PublicGiven
    );
}

#[test]
fn a_generated_pair_signs_assertions_its_public_half_verifies() {
    let a = generate().unwrap();
    let b = generate().unwrap();
    assert_ne!(a.kid, b.kid);
    assert_eq!(public_kid(&a.public_pem).unwrap(), a.kid);
    let key = PrivateKey::from_pem(&a.private_pem).unwrap();
    assert_eq!(key.kid(), a.kid);
    assert!(!format!("{key:?}").contains("PRIVATE"));
    for alg in [KeyAlg::RS256, KeyAlg::RS384, KeyAlg::PS256] {
        let jwt = key
            .assertion(alg, "cid", "https://t.example/", 1_000)
            .unwrap();
        let header = jsonwebtoken::decode_header(jwt.expose()).unwrap();
        assert_eq!(header.kid.as_deref(), Some(a.kid.as_str()));
        let mut v = Validation::new(alg.jwt());
        v.set_audience(&["https://t.example/"]);
        v.validate_exp = false;
        let good = DecodingKey::from_rsa_pem(a.public_pem.as_bytes()).unwrap();
        let claims = jsonwebtoken::decode::<Value>(jwt.expose(), &good, &v)
            .unwrap()
            .claims;
        assert_eq!(claims["iss"], "cid");
        assert_eq!(claims["sub"], "cid");
        assert_eq!(claims["exp"], 1_000 + ASSERTION_LIFETIME);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
        let wrong = DecodingKey::from_rsa_pem(b.public_pem.as_bytes()).unwrap();
        assert!(jsonwebtoken::decode::<Value>(jwt.expose(), &wrong, &v).is_err());
    }
    let one = key.assertion(KeyAlg::RS256, "c", "a", 1).unwrap();
    let two = key.assertion(KeyAlg::RS256, "c", "a", 1).unwrap();
    assert_ne!(one, two, "every assertion has its own jti");
}

#[test]
fn pem_kinds() {
    for (text, kind) in [
        ("-----BEGIN RSA PRIVATE KEY-----", PemKind::Private),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----", PemKind::Private),
        ("  -----BEGIN PUBLIC KEY-----", PemKind::Public),
        ("-----BEGIN RSA PUBLIC KEY-----", PemKind::Public),
        ("-----BEGIN CERTIFICATE-----", PemKind::Certificate),
        ("keys/x.pem", PemKind::None),
    ] {
        assert_eq!(pem_kind(text), kind, "{text}");
    }
    assert!(is_pem("\n-----BEGIN PUBLIC KEY-----"));
    assert!(!is_pem("keys/-----BEGIN"));
}
