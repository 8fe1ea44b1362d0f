//! What each sink receives, as text: the `.env` entries merged into an existing file, the JSON
//! a command reads on stdin, and the Kubernetes Secret manifest.
//!
//! Pure: every function returns a `String` (or entries) and does no I/O. These are the only
//! renderers in m2mctl that put a client secret into text; their output goes to a sink only. An
//! application that signs with keys gets its method and key id instead, never a secret.

use serde::Serialize;
use serde_json::json;

use crate::tenant::Secret;
use crate::token::TokenError;
use crate::token::envname;
use crate::token::key_auth::KeyAuth;

/// How the application proves itself at `/oauth/token`.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Its client secret.
    Secret(&'a Secret),
    /// Client assertions signed with its private key: the method and the key id are delivered,
    /// no secret (the private key stays where the service keeps it).
    Keys(&'a KeyAuth),
}

impl Auth<'_> {
    /// The secret to deliver, if the application uses one.
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            Auth::Secret(s) => Some(s),
            Auth::Keys(_) => None,
        }
    }

    fn keys(&self) -> Option<&KeyAuth> {
        match self {
            Auth::Secret(_) => None,
            Auth::Keys(k) => Some(k),
        }
    }
}

/// The tenant-wide variable every `.env` delivery writes.
pub const DOMAIN_VAR: &str = "AUTH0_DOMAIN";

/// One application's credentials and how to use them.
#[derive(Debug, Clone)]
pub struct Payload<'a> {
    /// The application's key.
    pub app: &'a str,
    /// Its display name.
    pub name: &'a str,
    /// Its client id.
    pub client_id: &'a str,
    /// Its secret, or its method and key id when it signs with keys.
    pub auth: Auth<'a>,
    /// The tenant's domain (`host[:port]`), what `AUTH0_DOMAIN` holds.
    pub domain: &'a str,
    /// `https://{domain}/oauth/token`.
    pub token_url: String,
    /// The API of its first grant (absent for an application without grants).
    pub audience: Option<String>,
}

#[derive(Serialize)]
struct Json<'a> {
    app: &'a str,
    name: &'a str,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<&'a str>,
    domain: &'a str,
    token_url: &'a str,
    audience: Option<&'a str>,
}

/// The JSON a `command` sink reads on stdin (one object, a trailing newline).
pub fn payload_json(p: &Payload) -> String {
    let value = Json {
        app: p.app,
        name: p.name,
        client_id: p.client_id,
        client_secret: p.auth.secret().map(Secret::expose),
        auth_method: p.auth.keys().map(|k| k.method.as_str()),
        key_id: p.auth.keys().and_then(|k| k.key_id.as_deref()),
        domain: p.domain,
        token_url: &p.token_url,
        audience: p.audience.as_deref(),
    };
    let mut out = serde_json::to_string(&value).unwrap_or_default();
    out.push('\n');
    out
}

/// `(name, value)` of a `.env` delivery: `AUTH0_DOMAIN`, then `M2M_<APP>_CLIENT_ID`,
/// `_CLIENT_SECRET` (the names of `credentials --format env`; `_AUTH_METHOD` and `_KEY_ID`
/// instead for an application that signs with keys), `_TOKEN_URL` and `_AUDIENCE`.
pub fn env_entries(p: &Payload) -> Result<Vec<(String, String)>, TokenError> {
    let name = |suffix: &str| -> Result<String, TokenError> {
        let names = envname::app_names(&[p.app], suffix)?;
        Ok(names.into_iter().next().unwrap_or_default())
    };
    let mut out = vec![
        (DOMAIN_VAR.to_string(), p.domain.to_string()),
        (name("CLIENT_ID")?, p.client_id.to_string()),
    ];
    match p.auth {
        Auth::Secret(secret) => out.push((name("CLIENT_SECRET")?, secret.expose().to_string())),
        Auth::Keys(keys) => {
            out.push((name("AUTH_METHOD")?, keys.method.clone()));
            if let Some(kid) = &keys.key_id {
                out.push((name("KEY_ID")?, kid.clone()));
            }
        }
    }
    out.push((name("TOKEN_URL")?, p.token_url.clone()));
    if let Some(audience) = &p.audience {
        out.push((name("AUDIENCE")?, audience.clone()));
    }
    Ok(out)
}

/// A `.env` value: bare when it is plain, else double-quoted with `\`, `"`, `$`, `` ` `` and
/// newlines escaped (what dotenv parsers in Node, Python, Go, Rust and Docker Compose read back).
pub fn dotenv_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@+=,%".contains(c));
    if plain {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' | '"' | '$' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The variable a `.env` line sets (`NAME=…` or `export NAME=…`), if it sets one.
fn line_key(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with('#') {
        return None;
    }
    let t = t.strip_prefix("export ").map_or(t, str::trim_start);
    let (key, _) = t.split_once('=')?;
    let key = key.trim_end();
    (!key.is_empty() && !key.contains(char::is_whitespace)).then_some(key)
}

/// `existing` with each entry's line replaced in place (its later duplicates dropped) and the
/// entries it lacked appended; every other line is kept as it was.
pub fn merge_dotenv(existing: &str, entries: &[(String, String)]) -> String {
    let line_of = |(k, v): &(String, String)| format!("{k}={}", dotenv_value(v));
    let mut written = vec![false; entries.len()];
    let mut out = String::with_capacity(existing.len() + 256);
    for line in existing.lines() {
        let found = line_key(line).and_then(|k| entries.iter().position(|(n, _)| n == k));
        match found {
            Some(i) if written[i] => continue,
            Some(i) => {
                written[i] = true;
                out.push_str(&line_of(&entries[i]));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    for (entry, done) in entries.iter().zip(written) {
        if !done {
            out.push_str(&line_of(entry));
            out.push('\n');
        }
    }
    out
}

/// A `v1` Secret manifest with the credentials in `stringData` (keys `AUTH0_DOMAIN`,
/// `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET` (or `AUTH0_CLIENT_AUTH_METHOD` and
/// `AUTH0_CLIENT_KEY_ID` for an application that signs with keys), `AUTH0_TOKEN_URL`,
/// `AUTH0_AUDIENCE`: one Secret per application, ready for `envFrom`).
pub fn kubernetes_secret(p: &Payload, namespace: &str, name: &str) -> String {
    let mut data = serde_json::Map::new();
    data.insert("AUTH0_DOMAIN".into(), p.domain.into());
    data.insert("AUTH0_CLIENT_ID".into(), p.client_id.into());
    match p.auth {
        Auth::Secret(secret) => {
            data.insert("AUTH0_CLIENT_SECRET".into(), secret.expose().into());
        }
        Auth::Keys(keys) => {
            data.insert(
                "AUTH0_CLIENT_AUTH_METHOD".into(),
                keys.method.clone().into(),
            );
            if let Some(kid) = &keys.key_id {
                data.insert("AUTH0_CLIENT_KEY_ID".into(), kid.clone().into());
            }
        }
    }
    data.insert("AUTH0_TOKEN_URL".into(), p.token_url.clone().into());
    if let Some(audience) = &p.audience {
        data.insert("AUTH0_AUDIENCE".into(), audience.clone().into());
    }
    let manifest = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": { "app.kubernetes.io/managed-by": "m2mctl" },
            "annotations": { "m2mctl/application": p.app },
        },
        "type": "Opaque",
        "stringData": data,
    });
    let body = serde_saphyr::to_string(&manifest)
        .unwrap_or_else(|_| serde_json::to_string_pretty(&manifest).unwrap_or_default());
    let holds = if p.auth.secret().is_some() {
        "holds a client secret; do not commit"
    } else {
        "holds no secret (the application signs with its private key)"
    };
    format!(
        "# Written by m2mctl for application `{}`: {holds}.\n{body}",
        p.app
    )
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
