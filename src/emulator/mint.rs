//! Minting at `POST /oauth/token`: an authorized request becomes claims in the API's token dialect,
//! a token signed as the API says (the tenant's RS256 key, or the API's `signing_secret` for
//! HS256), and Auth0's 200 answer (`access_token`, `scope`, `expires_in`, `token_type`, no-store).
//!
//! Owns the token's header and claim set per dialect (research/auth0-api.md §5.4; Auth0's "Access
//! Token Profiles"). Must not decide who may get a token (client_auth.rs, oauth.rs) nor hold the
//! tenant's key material (jwt.rs).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::app::AppState;
use super::error::{OAuthError, bytes_response};
use super::ids;
use super::jwt;

/// How an API wants its tokens: `token_dialect`, `signing_alg` and `signing_secret`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Profile {
    /// `rfc9068_profile*`: header `typ: at+jwt`; `client_id` and `jti` instead of `azp` and `gty`.
    pub rfc9068: bool,
    /// `*_authz`: a `permissions` claim holding the granted scopes.
    pub permissions: bool,
    /// `signing_alg: HS256`: signed with this secret (the API's `signing_secret`), no `kid`.
    pub hs256_secret: Option<String>,
}

impl Profile {
    /// The profile of a resource server object. An HS256 API without a secret cannot be signed for.
    pub(super) fn of(api: &Map<String, Value>) -> Result<Profile, OAuthError> {
        let dialect = api
            .get("token_dialect")
            .and_then(Value::as_str)
            .unwrap_or("access_token");
        let hs256_secret = match api.get("signing_alg").and_then(Value::as_str) {
            Some("HS256") => Some(
                api.get("signing_secret")
                    .or_else(|| api.get(super::resource_servers::GENERATED_SIGNING_SECRET))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| server_error("the HS256 API has no signing_secret"))?
                    .to_string(),
            ),
            _ => None,
        };
        Ok(Profile {
            rfc9068: dialect.starts_with("rfc9068_profile"),
            permissions: dialect.ends_with("_authz"),
            hs256_secret,
        })
    }
}

/// What a client-credentials request was authorized to get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Authorized {
    /// The authenticated client.
    pub client_id: String,
    /// The API identifier (`aud`).
    pub audience: String,
    /// Granted scopes, in the order asked (or granted).
    pub scopes: Vec<String>,
    /// The API's `token_lifetime` (seconds).
    pub lifetime: u64,
    /// The API's token profile.
    pub profile: Profile,
    /// The organization the token is in the name of: its id and name (`org_id`, `org_name`).
    pub organization: Option<(String, String)>,
}

fn server_error(text: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", text)
}

/// The claims, in Auth0's order: `iss sub aud iat exp scope [org_id org_name] gty azp` (Auth0
/// dialect) or `iss sub aud client_id exp iat jti scope [org_id org_name]` (RFC 9068), then
/// `permissions` for the authz dialects.
pub(super) fn claims(issuer: &str, a: &Authorized, now: u64) -> Map<String, Value> {
    let mut c = Map::new();
    let scope = (!a.scopes.is_empty()).then(|| a.scopes.join(" "));
    c.insert("iss".into(), issuer.into());
    c.insert("sub".into(), format!("{}@clients", a.client_id).into());
    c.insert("aud".into(), a.audience.clone().into());
    if a.profile.rfc9068 {
        c.insert("client_id".into(), a.client_id.clone().into());
        c.insert("exp".into(), (now + a.lifetime).into());
        c.insert("iat".into(), now.into());
        c.insert("jti".into(), ids::key_id().into());
        if let Some(scope) = scope {
            c.insert("scope".into(), scope.into());
        }
        organization_claims(&mut c, a);
    } else {
        c.insert("iat".into(), now.into());
        c.insert("exp".into(), (now + a.lifetime).into());
        if let Some(scope) = scope {
            c.insert("scope".into(), scope.into());
        }
        organization_claims(&mut c, a);
        c.insert("gty".into(), "client-credentials".into());
        c.insert("azp".into(), a.client_id.clone().into());
    }
    if a.profile.permissions {
        c.insert("permissions".into(), a.scopes.clone().into());
    }
    c
}

/// `org_id` and `org_name` of a token asked in an organization's name (after `scope`, as in
/// Auth0's samples).
fn organization_claims(c: &mut Map<String, Value>, a: &Authorized) {
    if let Some((id, name)) = &a.organization {
        c.insert("org_id".into(), id.clone().into());
        c.insert("org_name".into(), name.clone().into());
    }
}

/// Signs the token and answers 200.
pub(super) fn mint(app: &AppState, authorized: Authorized) -> Result<Response, OAuthError> {
    let claims = claims(&app.issuer, &authorized, jwt::now());
    let typ = if authorized.profile.rfc9068 {
        "at+jwt"
    } else {
        "JWT"
    };
    let signed = match &authorized.profile.hs256_secret {
        Some(secret) => jwt::sign_hs256(secret, typ, &claims),
        None => app.signer().sign_map(typ, &claims),
    };
    let token = signed.map_err(|e| server_error(e.to_string()))?;
    let scope = (!authorized.scopes.is_empty()).then(|| authorized.scopes.join(" "));
    Ok(answer(token, scope, authorized.lifetime))
}

/// Auth0's token answer: `access_token`, `scope` (when any), `expires_in`, `token_type`, with
/// `Cache-Control: no-store` and `Pragma: no-cache`.
fn answer(token: String, scope: Option<String>, lifetime: u64) -> Response {
    let mut body = Map::new();
    body.insert("access_token".into(), token.into());
    if let Some(scope) = scope {
        body.insert("scope".into(), scope.into());
    }
    body.insert("expires_in".into(), lifetime.into());
    body.insert("token_type".into(), "Bearer".into());
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = bytes_response(StatusCode::OK, bytes);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(api: Value) -> Result<Profile, OAuthError> {
        Profile::of(api.as_object().expect("object"))
    }

    #[test]
    fn claims_per_dialect_table() {
        // (token_dialect, claim keys in order)
        let cases: [(&str, &[&str]); 4] = [
            (
                "access_token",
                &["iss", "sub", "aud", "iat", "exp", "scope", "gty", "azp"],
            ),
            (
                "access_token_authz",
                &[
                    "iss",
                    "sub",
                    "aud",
                    "iat",
                    "exp",
                    "scope",
                    "gty",
                    "azp",
                    "permissions",
                ],
            ),
            (
                "rfc9068_profile",
                &[
                    "iss",
                    "sub",
                    "aud",
                    "client_id",
                    "exp",
                    "iat",
                    "jti",
                    "scope",
                ],
            ),
            (
                "rfc9068_profile_authz",
                &[
                    "iss",
                    "sub",
                    "aud",
                    "client_id",
                    "exp",
                    "iat",
                    "jti",
                    "scope",
                    "permissions",
                ],
            ),
        ];
        for (dialect, keys) in cases {
            let a = Authorized {
                client_id: "c".into(),
                audience: "https://api/".into(),
                scopes: vec!["read:a".into(), "write:a".into()],
                lifetime: 60,
                profile: profile(json!({ "token_dialect": dialect })).expect("profile"),
                organization: None,
            };
            let c = claims("https://t/", &a, 100);
            assert_eq!(c.keys().collect::<Vec<_>>(), keys.to_vec(), "{dialect}");
            // In an organization's name: `org_id` and `org_name` right after `scope`.
            let in_org = Authorized {
                organization: Some(("org_1".into(), "acme".into())),
                ..a.clone()
            };
            let c = claims("https://t/", &in_org, 100);
            let mut want: Vec<&str> = keys.to_vec();
            let at = want.iter().position(|k| *k == "scope").expect("scope") + 1;
            want.splice(at..at, ["org_id", "org_name"]);
            assert_eq!(
                c.keys().map(String::as_str).collect::<Vec<_>>(),
                want,
                "{dialect}"
            );
            assert_eq!(
                (&c["org_id"], &c["org_name"]),
                (&json!("org_1"), &json!("acme"))
            );
            assert_eq!(c["exp"], 160, "{dialect}");
            assert_eq!(c["sub"], "c@clients", "{dialect}");
            if let Some(p) = c.get("permissions") {
                assert_eq!(p, &json!(["read:a", "write:a"]), "{dialect}");
            }
            if let Some(jti) = c.get("jti") {
                assert_eq!(jti.as_str().map(str::len), Some(22), "{dialect}");
            }
        }
    }

    #[test]
    fn profiles_table() {
        let cases = [
            (json!({}), Some((false, false, None))),
            (
                json!({"signing_alg": "RS256", "signing_secret": "0123456789abcdef"}),
                Some((false, false, None)),
            ),
            (
                json!({"signing_alg": "HS256", "signing_secret": "0123456789abcdef", "token_dialect": "rfc9068_profile_authz"}),
                Some((true, true, Some("0123456789abcdef"))),
            ),
            (json!({"signing_alg": "HS256"}), None),
        ];
        for (api, want) in cases {
            let got = profile(api.clone()).ok();
            let got = got
                .as_ref()
                .map(|p| (p.rfc9068, p.permissions, p.hs256_secret.as_deref()));
            assert_eq!(got, want, "{api}");
        }
    }
}
