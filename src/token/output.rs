//! Renderers for `token` and `credentials`: JSON, `export` lines for `eval`, and tables.
//!
//! Owns formatting only; every function returns a `String` and does no I/O. The table shortens
//! tokens (the full value is in `json` and `env`); the differences table of `--verify` never
//! shows a token.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::verify::Difference;
use super::{Issued, TokenError, envname, scope_string};

/// How many characters of a token the table shows: its last ones (the end of the signature),
/// which tell two tokens apart; the first ones are the JWT header, the same for every token.
pub const TABLE_TOKEN_CHARS: usize = 8;

/// The stderr hint under a token table.
pub const TABLE_HINT: &str = "hint: tokens are shortened to their last characters; use `--format json`, `--format env` or `-r` (one token) for the full value";

/// One application's credentials, for `credentials`.
#[derive(Debug, Clone, Serialize)]
pub struct Credential<'a> {
    /// The application's key.
    pub app: &'a str,
    /// Its display name.
    pub name: &'a str,
    /// Its client id.
    pub client_id: &'a str,
    /// Its client secret (shown because the user asked); `None` for an application that signs
    /// with keys, whose secret is unused and never shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    /// For an application that signs with keys: its method and keys (names and kids).
    #[serde(rename = "authentication", skip_serializing_if = "Option::is_none")]
    pub keys: Option<&'a super::key_auth::KeyAuth>,
}

/// RFC 3339 (UTC) of a Unix time.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// `'value'` for a POSIX shell, single quotes escaped.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[derive(Serialize)]
struct JsonToken<'a> {
    app: &'a str,
    name: &'a str,
    client_id: &'a str,
    api: &'a str,
    audience: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<&'a str>,
    scopes: Vec<&'a str>,
    expires_at: String,
    source: &'static str,
    access_token: &'a str,
}

/// A JSON array of tokens: app, name, client_id, api, audience, organization (when asked for),
/// scopes, expires_at, source, access_token.
pub fn tokens_json(issued: &[Issued]) -> String {
    let rows: Vec<JsonToken> = issued
        .iter()
        .map(|i| JsonToken {
            app: &i.pair.app_key,
            name: &i.pair.app_name,
            client_id: &i.pair.client_id,
            api: i.pair.api_label(),
            audience: &i.pair.audience,
            organization: i.pair.organization.as_deref(),
            scopes: i.scopes.iter().map(String::as_str).collect(),
            expires_at: rfc3339(i.expires_at),
            source: i.source.as_str(),
            access_token: i.access_token.expose(),
        })
        .collect();
    to_json(&rows)
}

/// The tokens alone, one per line (`--format raw` serves exactly one).
pub fn token_raw(issued: &[Issued]) -> String {
    issued
        .iter()
        .map(|i| format!("{}\n", i.access_token.expose()))
        .collect()
}

/// A JSON array of credentials.
pub fn credentials_json(creds: &[Credential]) -> String {
    to_json(&creds)
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut out = serde_json::to_string_pretty(value).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

/// `export` lines: `M2M_<APP>_CLIENT_ID` once per application, then `M2M_<APP>_<API>_TOKEN` per
/// pair (names per [`envname`]).
pub fn tokens_env(issued: &[Issued]) -> Result<String, TokenError> {
    let triples: Vec<(&str, &str, &str)> = issued
        .iter()
        .map(|i| {
            (
                i.pair.app_key.as_str(),
                i.pair.api_label(),
                i.pair.audience.as_str(),
            )
        })
        .collect();
    let token_names = envname::token_names(&triples)?;
    let keys: Vec<&str> = issued.iter().map(|i| i.pair.app_key.as_str()).collect();
    let id_names = envname::app_names(&keys, "CLIENT_ID")?;
    let mut out = String::new();
    let mut last_app: Option<&str> = None;
    for ((i, token_name), id_name) in issued.iter().zip(&token_names).zip(&id_names) {
        if last_app != Some(i.pair.app_key.as_str()) {
            out.push_str(&format!("# {}\n", i.pair.app_key));
            out.push_str(&export(id_name, &i.pair.client_id));
            last_app = Some(&i.pair.app_key);
        }
        out.push_str(&format!(
            "# {} {} (expires {})\n",
            i.pair.app_key,
            i.pair.api_label(),
            rfc3339(i.expires_at)
        ));
        out.push_str(&export(token_name, i.access_token.expose()));
    }
    Ok(out)
}

/// `export` lines `M2M_<APP>_CLIENT_ID` and `M2M_<APP>_CLIENT_SECRET` per application; for an
/// application that signs with keys, `M2M_<APP>_AUTH_METHOD` and `M2M_<APP>_KEY_ID` (the kid its
/// service signs with) instead of a secret, and its keys in the comment line.
pub fn credentials_env(creds: &[Credential]) -> Result<String, TokenError> {
    let keys: Vec<&str> = creds.iter().map(|c| c.app).collect();
    let ids = envname::app_names(&keys, "CLIENT_ID")?;
    let secrets = envname::app_names(&keys, "CLIENT_SECRET")?;
    let methods = envname::app_names(&keys, "AUTH_METHOD")?;
    let kids = envname::app_names(&keys, "KEY_ID")?;
    let mut out = String::new();
    for (i, c) in creds.iter().enumerate() {
        match (c.keys, c.client_secret) {
            (Some(auth), _) => {
                let shown: Vec<String> = auth
                    .keys
                    .iter()
                    .map(|k| format!("{} ({})", k.name, k.kid))
                    .collect();
                out.push_str(&format!(
                    "# {} ({}, no client secret; keys: {})\n",
                    c.app,
                    auth.method,
                    if shown.is_empty() {
                        "none".to_string()
                    } else {
                        shown.join(", ")
                    }
                ));
                out.push_str(&export(&ids[i], c.client_id));
                out.push_str(&export(&methods[i], &auth.method));
                if let Some(kid) = &auth.key_id {
                    out.push_str(&export(&kids[i], kid));
                }
            }
            (None, secret) => {
                out.push_str(&format!("# {}\n", c.app));
                out.push_str(&export(&ids[i], c.client_id));
                out.push_str(&export(&secrets[i], secret.unwrap_or_default()));
            }
        }
    }
    Ok(out)
}

fn export(name: &str, value: &str) -> String {
    format!("export {name}={}\n", shell_quote(value))
}

/// The human table: app, API, scopes, expiry, source and the token shortened.
pub fn tokens_table(issued: &[Issued], now: i64) -> String {
    let rows = issued
        .iter()
        .map(|i| {
            vec![
                i.pair.app_key.clone(),
                i.pair.api_label().to_string(),
                scope_string(&i.scopes),
                format!(
                    "{} (in {})",
                    rfc3339(i.expires_at),
                    human_secs(i.expires_at - now)
                ),
                i.source.as_str().to_string(),
                shorten(i.access_token.expose()),
            ]
        })
        .collect();
    table(
        &["APP", "API", "SCOPES", "EXPIRES", "SOURCE", "TOKEN"],
        rows,
    )
}

/// The `--verify` table: one row per difference.
pub fn differences_table(rows: &[(&str, &str, &Difference)]) -> String {
    let rows = rows
        .iter()
        .map(|(app, api, d)| {
            vec![
                app.to_string(),
                api.to_string(),
                d.check.to_string(),
                d.expected.clone(),
                d.actual.clone(),
                d.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["APP", "API", "CHECK", "EXPECTED", "ACTUAL", "NOTE"], rows)
}

/// `…` and the last [`TABLE_TOKEN_CHARS`] characters.
pub fn shorten(token: &str) -> String {
    let skip = token.chars().count().saturating_sub(TABLE_TOKEN_CHARS);
    let tail: String = token.chars().skip(skip).collect();
    format!("…{tail}")
}

/// `59m`, `23h 59m`, `2d 3h`, `30s`.
pub fn human_secs(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h {}m", s / 3_600, s % 3_600 / 60),
        s => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
    }
}

/// Left-aligned columns separated by two spaces; trailing spaces trimmed.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "output_tests.rs"]
mod tests;
