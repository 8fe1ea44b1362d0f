//! What `credentials` and the delivery sinks show of an application that signs with keys
//! (private-key JWT, or another of the client's `client_authentication_methods`): its method, the
//! keys it signs with (names and kids) and the kid its service uses. Auth0 still keeps a client
//! secret for such a client; it is unused, so it is never read, printed or delivered.
//!
//! Owns deciding, from the tenant's client, whether an application signs with keys, and the
//! view of its keys. Pure: the client and its credentials come in as data.

use serde::Serialize;

use crate::auth0::{self, ClientAuth};
use crate::model::{DesiredApp, RemoteClient, RemoteCredential};

/// One key a client signs with, as shown: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyView {
    /// The credential's name.
    pub name: String,
    /// Its `kid` (the key's RFC 7638 thumbprint).
    pub kid: String,
    /// `RS256`, `RS384` or `PS256`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// When it stops working, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// How an application that signs with keys authenticates, without any secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAuth {
    /// `private_key_jwt` (the client's `client_authentication_methods`, comma-separated).
    pub method: String,
    /// The kid of the key the service signs with: the config's key with a `private_key_file`
    /// (the one `m2mctl token` signs with) when the client lists it, else the last listed key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The keys the client lists for private-key JWT, in its order.
    pub keys: Vec<KeyView>,
}

/// True when the tenant's client authenticates with `client_authentication_methods` (its secret
/// is unused): read its credentials instead of its secret.
pub fn signs_with_keys(client: &RemoteClient) -> bool {
    matches!(auth0::client_auth(client), ClientAuth::Methods(_))
}

/// The key view of `client` (`None` when it authenticates with a secret), from its credentials
/// (`GET /clients/{id}/credentials`) and the application's config.
pub fn key_auth(
    client: &RemoteClient,
    credentials: &[RemoteCredential],
    app: &DesiredApp,
) -> Option<KeyAuth> {
    let ClientAuth::Methods(methods) = auth0::client_auth(client) else {
        return None;
    };
    let keys: Vec<KeyView> = crate::plan::keys::listed_ids(client)
        .iter()
        .filter_map(|id| credentials.iter().find(|c| &c.id == id))
        .map(|c| KeyView {
            name: c.name.clone(),
            kid: c.kid.clone(),
            alg: c.alg.clone(),
            expires_at: c.expires_at.clone(),
        })
        .collect();
    let configured = super::Signing::of(app).map(|s| s.kid);
    let key_id = configured
        .filter(|kid| keys.iter().any(|k| &k.kid == kid))
        .or_else(|| keys.last().map(|k| k.kid.clone()));
    Some(KeyAuth {
        method: methods.join(", "),
        key_id,
        keys,
    })
}

/// The key view of an application whose configured keys an apply just registered and listed (no
/// request: what the config says is what the tenant now has).
pub fn configured(app: &DesiredApp) -> KeyAuth {
    let keys: Vec<KeyView> = app
        .keys
        .iter()
        .map(|k| KeyView {
            name: k.name.clone(),
            kid: k.kid.clone(),
            alg: Some(k.alg.as_str().to_string()),
            expires_at: k.expires_at.clone(),
        })
        .collect();
    let key_id = super::Signing::of(app)
        .map(|s| s.kid)
        .or_else(|| keys.last().map(|k| k.kid.clone()));
    KeyAuth {
        method: crate::model::AuthMethod::PrivateKeyJwt.as_str().to_string(),
        key_id,
        keys,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::fixtures::{app, managed};

    fn cred(name: &str) -> RemoteCredential {
        RemoteCredential {
            id: format!("cred_{name}"),
            name: name.into(),
            kid: format!("kid-{name}"),
            alg: Some("RS256".into()),
            expires_at: None,
        }
    }

    #[test]
    fn a_client_signing_with_keys_shows_its_listed_keys_and_a_secret_client_none() {
        let secret_client = managed("c1", "svc");
        assert!(!signs_with_keys(&secret_client));
        assert_eq!(key_auth(&secret_client, &[cred("a")], &app("svc")), None);

        let mut keyed = managed("c1", "svc");
        keyed.token_endpoint_auth_method = None;
        keyed.client_authentication_methods = Some(json!({"private_key_jwt": {"credentials": [
            {"id": "cred_b"}, {"id": "cred_a"}
        ]}}));
        assert!(signs_with_keys(&keyed));
        // c is registered but not listed: it does not sign.
        let shown = key_auth(&keyed, &[cred("a"), cred("b"), cred("c")], &app("svc")).unwrap();
        assert_eq!(shown.method, "private_key_jwt");
        let names: Vec<&str> = shown.keys.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        // Without a private_key_file in the config: the last listed key.
        assert_eq!(shown.key_id.as_deref(), Some("kid-a"));
        let text = serde_json::to_string(&shown).unwrap();
        assert!(!text.contains("secret"), "{text}");
    }
}
