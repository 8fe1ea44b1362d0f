//! Authentication rules: `authentication:` (method and keys) and `token_endpoint_auth_method`.
//!
//! Owns what makes an application's credentials usable before any request: one method, keys
//! only with a usable public key (inline PEM or a file beside the config), at most 2 keys with
//! distinct names and thumbprints, `private_key_file` only for `private_key_jwt`, `expires_at`
//! a future RFC 3339 time. A private key pasted where the public key goes is refused without
//! showing it. Public key files are read through the checker's [`KeyFiles`] port; nothing else
//! here does I/O.

use std::collections::HashMap;
use std::ops::Range;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::diagnostics::Finding;
use super::model::{AppConfig, KeyConfig, Sp};
use super::validate::Checker;
use crate::keys::{self, KeyError, PemKind};
use crate::model::{AuthMethod, DesiredKey};

/// Auth0's limit of credentials per client.
pub(super) const MAX_KEYS: usize = 2;
/// Longest credential name Auth0 accepts.
const MAX_KEY_NAME: usize = 128;

/// Reads the public key files a config names (paths as written, relative to the config).
pub trait KeyFiles {
    /// The file's text.
    fn read(&self, path: &str) -> std::io::Result<String>;
}

/// The method and keys of one application.
pub(crate) fn check(cfg: &AppConfig, c: &mut Checker<'_>) -> (AuthMethod, Vec<DesiredKey>) {
    let auth = cfg.authentication.as_ref();
    let method = method(cfg, c);
    let Some(auth) = auth else {
        return (method, Vec::new());
    };
    let app = cfg.name.value.as_str();
    if method == AuthMethod::PrivateKeyJwt && auth.keys.is_empty() {
        let at = auth.method.as_ref().map_or(0..0, |m| c.at(m));
        c.push(
            Finding::new(
                "config::no_keys",
                format!("`{app}` authenticates with `private_key_jwt` but has no keys"),
            )
            .label(at, "needs at least one key")
            .help(format!(
                "add a key under `authentication.keys`; `m2mctl keygen {app}` writes a key pair and prints the entry"
            )),
        );
    }
    let mut names: HashMap<&str, Range<usize>> = HashMap::new();
    let mut kids: HashMap<String, Range<usize>> = HashMap::new();
    let mut out = Vec::with_capacity(auth.keys.len());
    for (i, key) in auth.keys.iter().enumerate() {
        let name_at = c.at(&key.name);
        if i == MAX_KEYS {
            c.push(
                Finding::new(
                    "config::too_many_keys",
                    format!("`{app}` has {} keys", auth.keys.len()),
                )
                .label(name_at.clone(), "the third key")
                .help("Auth0 allows 2 credentials per client. To rotate: add the new key next to the old one, apply, switch the service to the new key, remove the old key, apply"),
            );
        }
        key_name(key, app, &mut names, c);
        let Some((kid, public_pem)) = public_key(key, app, c) else {
            continue;
        };
        let at = c.at(&key.public_key);
        if let Some(first) = kids.get(&kid) {
            c.push(
                Finding::new(
                    "config::duplicate_key",
                    format!("`{app}` lists the same public key twice (thumbprint `{kid}`)"),
                )
                .label(at, "same key again here")
                .label(first.clone(), "first listed here")
                .help("each credential needs its own key pair; `m2mctl keygen` writes a new one"),
            );
            continue;
        }
        kids.insert(kid.clone(), at);
        let private_key_file = private_key_file(key, method, app, c);
        let expires_at = key.expires_at.as_ref().and_then(|e| expires_at(e, c));
        out.push(DesiredKey {
            name: key.name.value.clone(),
            kid,
            alg: key.alg.as_ref().map(|a| a.value).unwrap_or_default(),
            public_pem,
            expires_at,
            private_key_file,
        });
    }
    (method, out)
}

/// `authentication.method`, else `token_endpoint_auth_method`, else `client_secret_post`; not both.
fn method(cfg: &AppConfig, c: &mut Checker<'_>) -> AuthMethod {
    let new = cfg.authentication.as_ref().and_then(|a| a.method.as_ref());
    let old = cfg.token_endpoint_auth_method.as_ref();
    if let Some(old) = old.filter(|o| !o.value.uses_secret()) {
        let at = c.at(old);
        c.push(
            Finding::new(
                "config::auth_method_place",
                "`token_endpoint_auth_method` cannot be `private_key_jwt`",
            )
            .label(at, "Auth0 keeps private-key JWT elsewhere")
            .help("write `authentication: { method: private_key_jwt, keys: [...] }` instead"),
        );
    }
    if let (Some(new), Some(old)) = (new, old) {
        let (new_at, old_at) = (c.at(new), c.at(old));
        c.push(
            Finding::new(
                "config::two_auth_methods",
                format!(
                    "`{}` sets both `token_endpoint_auth_method` and `authentication.method`",
                    cfg.name.value
                ),
            )
            .label(new_at, "here")
            .label(old_at, "and here")
            .help("keep `authentication.method` and remove `token_endpoint_auth_method`"),
        );
    }
    new.or(old).map(|m| m.value).unwrap_or_default()
}

fn key_name<'f>(
    key: &'f KeyConfig,
    app: &str,
    names: &mut HashMap<&'f str, Range<usize>>,
    c: &mut Checker<'_>,
) {
    let name = key.name.value.as_str();
    let at = c.at(&key.name);
    let len = name.chars().count();
    if name.trim().is_empty() || len > MAX_KEY_NAME || name.contains(char::is_control) {
        c.push(
            Finding::new("config::bad_key_name", format!("key name `{}` of `{app}` is not usable", crate::sanitize::control(name)))
                .label(at.clone(), "empty, over 128 characters, or with a control character")
                .help("name keys after when they were made, e.g. `2026-11`; plans show the name and the thumbprint"),
        );
    }
    if let Some(first) = names.get(name) {
        c.push(
            Finding::new(
                "config::duplicate_key_name",
                format!("key name `{name}` is used twice in `{app}`"),
            )
            .label(at, "used again here")
            .label(first.clone(), "first used here")
            .help("give each key its own name, e.g. the month it was made"),
        );
    } else {
        names.insert(name, at);
    }
}

/// The key's thumbprint and PEM, or a finding on `public_key`.
fn public_key(key: &KeyConfig, app: &str, c: &mut Checker<'_>) -> Option<(String, String)> {
    let value = key.public_key.value.as_str();
    let name = &key.name.value;
    let inline = keys::is_pem(value);
    let text = if inline {
        value.to_string()
    } else if value.trim().is_empty() {
        let at = c.at(&key.public_key);
        c.push(
            Finding::new("config::empty_path", "`public_key` is empty")
                .label(at, "empty")
                .help("give the public key file (relative to the config file) or the PEM itself"),
        );
        return None;
    } else {
        match c.key_files.read(value) {
            Ok(text) => text,
            Err(e) => {
                let at = c.at(&key.public_key);
                c.push(
                    Finding::new(
                        "config::key_file",
                        format!("cannot read public key `{value}` of `{app}`: {e}"),
                    )
                    .label(at, "not readable")
                    .help(format!(
                        "paths are relative to the config file; `m2mctl keygen {app}` writes a key pair and prints the entry"
                    )),
                );
                return None;
            }
        }
    };
    match keys::public_kid(&text) {
        Ok(kid) => Some((kid, text)),
        Err(KeyError::PrivateGiven) => {
            private_given(key, app, inline, c);
            None
        }
        Err(e) => {
            let at = c.at(&key.public_key);
            let what = if inline {
                format!("public key `{name}` of `{app}` is {e}")
            } else {
                format!("public key file `{value}` of `{app}` holds {e}")
            };
            let help = match keys::pem_kind(&text) {
                PemKind::Certificate => {
                    "give the key itself: `openssl x509 -pubkey -noout -in CERT > key.pub.pem`"
                }
                _ => {
                    "give an RSA public key of at least 2048 bits as `-----BEGIN PUBLIC KEY-----` PEM, e.g. from `m2mctl keygen`"
                }
            };
            c.push(
                Finding::new("config::bad_public_key", what)
                    .label(at, "not a usable public key")
                    .help(help),
            );
            None
        }
    }
}

/// A private key given as `public_key`. Inline, the finding points at the `public_key:` key,
/// never at the key material (a diagnostic shows the lines around its label).
fn private_given(key: &KeyConfig, app: &str, inline: bool, c: &mut Checker<'_>) {
    let name = &key.name.value;
    let at = c.at(&key.public_key);
    if inline {
        let key_at = safe_key_label(c, at.start, "public_key");
        let line = 1 + c.source[..at.start.min(c.source.len())]
            .matches('\n')
            .count();
        let mut finding = Finding::new(
            "config::private_key_in_config",
            format!("`public_key` of key `{name}` of `{app}` (line {line}) is a private key"),
        )
        .help("remove it from the config now and treat the key as leaked (it may be in version control): make a new pair with `m2mctl keygen`, put only the public key here, and the private key in `private_key_file`");
        if let Some(key_at) = key_at {
            finding = finding.label(key_at, "a private key follows");
        }
        c.push(finding);
    } else {
        c.push(
            Finding::new(
                "config::private_key_as_public",
                format!("`public_key` of key `{name}` of `{app}` names a private key file"),
            )
            .label(at, "this file holds a private key")
            .help("point `public_key` at the public half (`openssl pkey -in KEY -pubout > key.pub.pem`) and `private_key_file` at this file"),
        );
    }
}

/// The span of the mapping key `name` written before the value at `value_start`, unless its
/// line holds key material (a diagnostic prints the labelled line and its neighbours; the
/// `-----BEGIN` line alone carries none).
fn safe_key_label(c: &Checker<'_>, value_start: usize, name: &str) -> Option<Range<usize>> {
    let at = super::apps::key_span(c.source, value_start, name);
    let line_start = c.source[..at.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = c.source[at.start..]
        .find('\n')
        .map_or(c.source.len(), |i| at.start + i);
    let line = &c.source[line_start..line_end];
    (!at.is_empty() && !line.contains("-----")).then_some(at)
}

fn private_key_file(
    key: &KeyConfig,
    method: AuthMethod,
    app: &str,
    c: &mut Checker<'_>,
) -> Option<String> {
    let file = key.private_key_file.as_ref()?;
    let at = c.at(file);
    if method.uses_secret() {
        c.push(
            Finding::new(
                "config::private_key_for_secret",
                format!("`{app}` authenticates with `{}`, so `private_key_file` is never used", method.as_str()),
            )
            .label(at, "only for `method: private_key_jwt`")
            .help("set `authentication.method: private_key_jwt` to sign tokens with this key, or remove `private_key_file`"),
        );
    } else if file.value.trim().is_empty() {
        c.push(
            Finding::new("config::empty_path", "`private_key_file` is empty")
                .label(at, "empty")
                .help("give the private key file, relative to the config file, or remove the line"),
        );
    } else if keys::is_pem(&file.value) {
        let mut finding = Finding::new("config::private_key_in_config", format!("`private_key_file` of `{app}` holds key material, not a path"))
            .help("remove it from the config now and treat the key as leaked: make a new pair with `m2mctl keygen` and give the private key's file path here");
        if let Some(key_at) = safe_key_label(c, at.start, "private_key_file") {
            finding = finding.label(key_at, "key material follows");
        }
        c.push(finding);
        return None;
    }
    Some(file.value.clone())
}

fn expires_at(value: &Sp<String>, c: &mut Checker<'_>) -> Option<String> {
    let at = c.at(value);
    match OffsetDateTime::parse(&value.value, &Rfc3339) {
        Err(_) => {
            c.push(
                Finding::new(
                    "config::bad_expires_at",
                    format!("`expires_at: {}` is not an RFC 3339 time", value.value),
                )
                .label(at, "not a time")
                .help("write a UTC time such as `2027-11-30T00:00:00Z`"),
            );
            None
        }
        Ok(t) if t <= c.now => {
            c.push(
                Finding::new(
                    "config::expired_key",
                    format!("key expired at {}", value.value),
                )
                .label(at, "in the past")
                .help("Auth0 refuses an expired key: rotate it (add a new key, apply, switch the service, remove this one), or move `expires_at` later"),
            );
            None
        }
        Ok(_) => Some(value.value.clone()),
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
