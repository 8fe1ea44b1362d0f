//! `--verify`: checks a token against the config and the tenant, as a list of differences.
//!
//! Owns the checks: RS256 signature by a key of the tenant's JWKS (HS256 with the API's
//! `signing_secret` for an API the tenant says signs with HS256), `iss`, `aud`, `azp` and `gty`
//! (or `client_id` in the RFC 9068 profile), `sub`, scope set equal to the declared one,
//! `exp - iat` equal to the declared lifetime, not expired, `org_id` (or `org_name`) naming the
//! organization asked for; and the tenant grant's scopes against the declared ones. Pure
//! functions: no I/O. A difference names claims and scopes, never the token nor a secret. The
//! algorithm comes from the API as the tenant has it, never from the token's header: an HS256
//! token for an RS256 API fails (no key confusion), and an HS256 API whose `signing_secret` the
//! tenant does not show fails the signature check by name.

use std::collections::BTreeSet;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use super::{Issued, scope_set, scope_string};
use crate::tenant::Secret;

/// What a token's signature is checked with: how the tenant says its API signs.
#[derive(Debug, Clone, Copy)]
pub enum Signer<'a> {
    /// RS256 by a key of the tenant's JWKS (Auth0's default).
    Jwks(&'a JwkSet),
    /// HS256 with the API's `signing_secret`; `None` when the tenant did not show it.
    Hs256(Option<&'a Secret>),
}

/// What a token for one pair must say.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// `https://{domain}/`.
    pub issuer: &'a str,
    /// The API identifier.
    pub audience: &'a str,
    /// The application's client id.
    pub client_id: &'a str,
    /// The declared scopes.
    pub scopes: &'a BTreeSet<String>,
    /// The declared lifetime, when the config sets one.
    pub lifetime: Option<u32>,
    /// The organization asked for (`--organization`: an `org_…` id or a name), when one was.
    pub organization: Option<&'a str>,
}

/// The claims of an Auth0 client-credentials access token that m2mctl checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: Option<String>,
    /// Subject, `<client_id>@clients`.
    pub sub: Option<String>,
    /// Audience: a string (Auth0 M2M) or a list.
    pub aud: Option<serde_json::Value>,
    /// Authorized party: the client id.
    pub azp: Option<String>,
    /// Grant type, `client-credentials` (Auth0 dialect; absent in the RFC 9068 profile).
    pub gty: Option<String>,
    /// The client id, in an API's `rfc9068_profile` dialect (instead of `azp` and `gty`).
    pub client_id: Option<String>,
    /// Space-separated scopes.
    pub scope: Option<String>,
    /// Issued at.
    pub iat: Option<i64>,
    /// Expires at.
    pub exp: Option<i64>,
    /// The organization's id, on a token asked in an organization's name.
    pub org_id: Option<String>,
    /// The organization's name, when the tenant adds it.
    pub org_name: Option<String>,
}

/// One way a token (or grant) differs from what the config and tenant say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What was checked: `signature`, `iss`, `aud`, `azp`, `sub`, `gty`, `scope`, `lifetime`,
    /// `exp`, `grant`.
    pub check: &'static str,
    /// What the config or tenant expects.
    pub expected: String,
    /// What was found.
    pub actual: String,
    /// Scopes missing and extra, for scope checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn diff(check: &'static str, expected: impl Into<String>, actual: impl Into<String>) -> Difference {
    Difference {
        check,
        expected: expected.into(),
        actual: actual.into(),
        note: None,
    }
}

fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "(absent)".to_string())
}

/// Every check of a token; empty when it matches.
pub fn check_token(
    token: &str,
    signer: Signer<'_>,
    expected: &Expected,
    now: i64,
) -> Vec<Difference> {
    let mut out: Vec<Difference> = check_signature(token, signer).into_iter().collect();
    match jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(token) {
        Ok(claims) => out.extend(check_claims(&claims, expected, now)),
        Err(e) => out.push(diff("claims", "a JWT with Auth0's claims", e.to_string())),
    }
    out
}

/// Every check of every served token against its pair, with the pair each difference is for.
/// `hs256` holds the APIs (by identifier) the tenant says sign with HS256, with their
/// `signing_secret` when shown; every other API's tokens are checked against `jwks`.
pub fn check_issued<'a>(
    issued: &'a [Issued],
    jwks: &JwkSet,
    hs256: &std::collections::BTreeMap<String, Option<Secret>>,
    issuer: &str,
    now: i64,
) -> Vec<(&'a Issued, Difference)> {
    issued
        .iter()
        .flat_map(|i| {
            let expected = Expected {
                issuer,
                audience: &i.pair.audience,
                client_id: &i.pair.client_id,
                scopes: &i.pair.scopes,
                lifetime: i.pair.lifetime,
                organization: i.pair.organization.as_deref(),
            };
            let signer = match hs256.get(&i.pair.audience) {
                Some(secret) => Signer::Hs256(secret.as_ref()),
                None => Signer::Jwks(jwks),
            };
            check_token(i.access_token.expose(), signer, &expected, now)
                .into_iter()
                .map(move |d| (i, d))
        })
        .collect()
}

/// True when the token's header says HS256 (which APIs' signing to look up for `--verify`).
pub fn is_hs256(token: &str) -> bool {
    jsonwebtoken::decode_header(token).is_ok_and(|h| h.alg == Algorithm::HS256)
}

/// The signature, with what the API's signer says: RS256 against the JWKS key named by the
/// token's `kid`, or HS256 with the API's `signing_secret`.
pub fn check_signature(token: &str, signer: Signer<'_>) -> Option<Difference> {
    let jwks = match signer {
        Signer::Jwks(jwks) => jwks,
        Signer::Hs256(secret) => return check_hs256(token, secret),
    };
    let expected = "RS256 by a key of the tenant's JWKS";
    let header = match header_with(token, Algorithm::RS256, expected) {
        Ok(header) => header,
        Err(difference) => return Some(difference),
    };
    let jwk = match header.kid.as_deref() {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    };
    let Some(jwk) = jwk else {
        let kid = header.kid.unwrap_or_else(|| "(absent)".to_string());
        return Some(diff(
            "signature",
            expected,
            format!("kid `{kid}` is not in the JWKS"),
        ));
    };
    let key = match DecodingKey::from_jwk(jwk) {
        Ok(key) => key,
        Err(e) => {
            return Some(diff(
                "signature",
                expected,
                format!("unusable JWKS key: {e}"),
            ));
        }
    };
    signed_with(token, &key, Algorithm::RS256, expected)
}

/// The token's header when it is readable and names `alg` (the algorithm comes from the API,
/// never from the token: no key confusion); else the signature difference.
fn header_with(
    token: &str,
    alg: Algorithm,
    expected: &str,
) -> Result<jsonwebtoken::Header, Difference> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| diff("signature", expected, format!("unreadable header: {e}")))?;
    if header.alg != alg {
        return Err(diff("signature", expected, format!("alg {:?}", header.alg)));
    }
    Ok(header)
}

/// The HS256 signature with the API's `signing_secret` (the token's `alg` must be HS256).
fn check_hs256(token: &str, secret: Option<&Secret>) -> Option<Difference> {
    let expected = "HS256 with the API's `signing_secret`";
    if let Err(difference) = header_with(token, Algorithm::HS256, expected) {
        return Some(difference);
    }
    let Some(secret) = secret else {
        return Some(diff(
            "signature",
            expected,
            "the tenant shows no `signing_secret` for this API (set one on the API to verify its tokens)",
        ));
    };
    let key = DecodingKey::from_secret(secret.expose().as_bytes());
    signed_with(token, &key, Algorithm::HS256, expected)
}

/// The signature alone (claims are checked apart, with their own differences).
fn signed_with(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
    expected: &str,
) -> Option<Difference> {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    match jsonwebtoken::decode::<serde_json::Value>(token, key, &validation) {
        Ok(_) => None,
        Err(e) => Some(diff("signature", expected, e.to_string())),
    }
}

/// The claim checks over decoded claims.
pub fn check_claims(claims: &Claims, expected: &Expected, now: i64) -> Vec<Difference> {
    let mut out = Vec::new();
    if claims.iss.as_deref() != Some(expected.issuer) {
        out.push(diff("iss", expected.issuer, shown(&claims.iss)));
    }
    let aud_ok = match &claims.aud {
        Some(serde_json::Value::String(aud)) => aud == expected.audience,
        Some(serde_json::Value::Array(list)) => list.iter().any(|a| a == expected.audience),
        _ => false,
    };
    if !aud_ok {
        let actual = claims
            .aud
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "(absent)".to_string());
        out.push(diff("aud", expected.audience, actual));
    }
    // An API whose `token_dialect` is `rfc9068_profile*` gets `client_id` (RFC 9068 §2.2) in place
    // of Auth0's `azp` and `gty`; either form names the client, never a mix of both.
    if claims.client_id.is_some() && claims.azp.is_none() && claims.gty.is_none() {
        if claims.client_id.as_deref() != Some(expected.client_id) {
            out.push(diff(
                "client_id",
                expected.client_id,
                shown(&claims.client_id),
            ));
        }
    } else if claims.azp.as_deref() != Some(expected.client_id) {
        out.push(diff("azp", expected.client_id, shown(&claims.azp)));
    }
    let sub = format!("{}@clients", expected.client_id);
    if claims.sub.as_deref() != Some(sub.as_str()) {
        out.push(diff("sub", sub, shown(&claims.sub)));
    }
    if claims.client_id.is_none() && claims.gty.as_deref() != Some("client-credentials") {
        out.push(diff("gty", "client-credentials", shown(&claims.gty)));
    }
    let scopes = scope_set(claims.scope.as_deref().unwrap_or(""));
    out.extend(compare_scopes("scope", expected.scopes, &scopes));
    out.extend(check_organization(claims, expected.organization));
    match (claims.iat, claims.exp) {
        (Some(iat), Some(exp)) => {
            if let Some(lifetime) = expected.lifetime
                && exp - iat != i64::from(lifetime)
            {
                out.push(diff(
                    "lifetime",
                    format!("{lifetime}s"),
                    format!("{}s", exp - iat),
                ));
            }
            if exp <= now {
                out.push(diff(
                    "exp",
                    "in the future",
                    format!("expired {}s ago", now - exp),
                ));
            }
        }
        _ => out.push(diff("exp", "`iat` and `exp`", "absent")),
    }
    out
}

/// A token asked in an organization's name carries `org_id`: that id when the organization was
/// named by id (`org_…`), else `org_name` equal to the name given (or, when the tenant does not
/// add `org_name`, at least an `org_id`).
fn check_organization(claims: &Claims, asked: Option<&str>) -> Option<Difference> {
    let asked = asked?;
    let by_id = asked.starts_with("org_");
    let ok = match (&claims.org_id, &claims.org_name) {
        (None, _) => false,
        (Some(id), _) if by_id => id == asked,
        (Some(_), Some(name)) => name == asked,
        (Some(_), None) => true,
    };
    if ok {
        return None;
    }
    let actual = match (&claims.org_id, &claims.org_name) {
        (Some(id), Some(name)) => format!("{id} ({name})"),
        (id, _) => shown(id),
    };
    let check = if by_id || claims.org_id.is_none() {
        "org_id"
    } else {
        "org_name"
    };
    Some(diff(check, asked, actual))
}

/// Set comparison of scopes, with the missing and extra ones named.
pub fn compare_scopes(
    check: &'static str,
    declared: &BTreeSet<String>,
    actual: &BTreeSet<String>,
) -> Option<Difference> {
    if declared == actual {
        return None;
    }
    let missing: BTreeSet<String> = declared.difference(actual).cloned().collect();
    let extra: BTreeSet<String> = actual.difference(declared).cloned().collect();
    let mut note = Vec::new();
    if !missing.is_empty() {
        note.push(format!("missing {}", scope_string(&missing)));
    }
    if !extra.is_empty() {
        note.push(format!("extra {}", scope_string(&extra)));
    }
    let or_none = |s: &BTreeSet<String>| {
        if s.is_empty() {
            "(none)".to_string()
        } else {
            scope_string(s)
        }
    };
    Some(Difference {
        check,
        expected: or_none(declared),
        actual: or_none(actual),
        note: Some(note.join("; ")),
    })
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
