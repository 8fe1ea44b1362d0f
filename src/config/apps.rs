//! Application rules: names, keys, descriptions, pins, metadata, and each grant's API and scopes.
//!
//! Owns everything under `applications:`; produces one `Resolved` per application (the desired
//! app plus what `lifetimes` needs). Checks are hash lookups, so 10,000 applications stay linear.
//! Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use super::diagnostics::{Finding, did_you_mean, suggest};
use super::model::{ApiConfig, AppConfig, ConfigFile, GrantConfig};
use super::validate::Checker;
use crate::model::{ApiRef, DesiredApp, DesiredGrant, Domain, MARKER_KEY};
use crate::scopes::{MANAGEMENT_API_SCOPES, is_management_scope};

/// Longest description Auth0 accepts.
pub(super) const MAX_DESCRIPTION: usize = 140;
/// The characters an application key may hold, for messages (the JSON Schema says the same).
const KEY_CHARS_TEXT: &str = "letters, digits, spaces and `. _ - : / ( ) + @ , =`";

/// An application key is letters and digits (of any script, as `export` writes them), space and
/// `._-:/()+@,=`: nothing a terminal, markdown or HTML interprets, no control, formatting or
/// invisible characters.
pub(crate) fn is_key_char(ch: char) -> bool {
    ch.is_alphanumeric() || " ._-:/()+@,=".contains(ch)
}

/// A character as a message shows it: `` `&` ``, or its code point for invisible ones.
fn shown(ch: char) -> String {
    if ch == '`' {
        "a backtick".to_string()
    } else if ch.is_control() || ch.is_whitespace() || !ch.is_ascii() {
        format!("the character U+{:04X}", ch as u32)
    } else {
        format!("`{ch}`")
    }
}

fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    crate::sanitize::control(text)
}

/// User metadata keys allowed (Auth0 allows 10; one is the ownership marker).
pub(super) const MAX_METADATA_KEYS: usize = 9;
/// Longest metadata key or value Auth0 accepts.
pub(super) const MAX_METADATA_LEN: usize = 255;

/// A grant's API, the span of its `api:` value, and whether that API is external.
pub(crate) type Target = (ApiRef, Range<usize>, bool);

/// One checked application and where its grants point.
pub(crate) struct Resolved<'f> {
    /// The desired application.
    pub app: DesiredApp,
    /// Its entry in the file.
    pub cfg: &'f AppConfig,
    /// Each grant's API with the span of its `api:` value and whether that API is external.
    pub targets: Vec<Target>,
}

/// What earlier applications used: names, keys and pinned client ids, with where.
#[derive(Default)]
struct Seen<'f> {
    names: HashMap<&'f str, Range<usize>>,
    keys: HashMap<&'f str, Range<usize>>,
    pins: HashMap<&'f str, Range<usize>>,
    pinned_names: HashMap<&'f str, Range<usize>>,
}

/// Checks every application.
pub(crate) fn check<'f>(
    file: &'f ConfigFile,
    apis: &HashMap<&str, &ApiConfig>,
    project: &str,
    domain: &Domain,
    c: &mut Checker<'_>,
) -> Vec<Resolved<'f>> {
    let management_url = match domain {
        Domain::Remote(d) => Some(crate::auth0::management_identifier(
            d.trim_start_matches("https://"),
        )),
        Domain::Local => None,
    };
    let mut seen = Seen {
        names: HashMap::with_capacity(file.applications.len()),
        keys: HashMap::with_capacity(file.applications.len()),
        ..Seen::default()
    };
    let mut out = Vec::with_capacity(file.applications.len());
    for cfg in &file.applications {
        let key = identity(cfg, project, &mut seen, c);
        description(cfg, c);
        pin(cfg, &mut seen, c);
        let token_lifetime = cfg.token_lifetime.as_ref().and_then(|l| c.lifetime(l));
        let metadata = metadata(cfg, c);
        let (grants, targets) = grants(cfg, apis, management_url.as_deref(), c);
        let (auth_method, keys) = super::auth::check(cfg, c);
        out.push(Resolved {
            app: DesiredApp {
                key: key.to_string(),
                name: cfg.name.value.clone(),
                description: cfg.description.as_ref().map(|d| d.value.clone()),
                client_id: cfg.client_id.as_ref().map(|p| p.value.clone()),
                auth_method,
                keys,
                token_lifetime,
                grants,
                metadata,
            },
            cfg,
            targets,
        });
    }
    out
}

/// Name and key rules: a usable name, unique unless every same-named application pins its
/// client; a key of the allowed characters that fits the marker, unique. Returns the key.
fn identity<'f>(
    cfg: &'f AppConfig,
    project: &str,
    seen: &mut Seen<'f>,
    c: &mut Checker<'_>,
) -> &'f str {
    c.name(&cfg.name, "application");
    let name = cfg.name.value.as_str();
    let name_at = c.at(&cfg.name);
    // Auth0 names are not unique: same-named clients of a tenant may be adopted side by
    // side (as `m2mctl export` writes them) when every one of them pins its `client_id`.
    let pinned = cfg.client_id.is_some();
    let clash = match (seen.names.get(name), seen.pinned_names.get(name)) {
        (Some(first), _) => Some(first.clone()),
        (None, Some(first)) if !pinned => Some(first.clone()),
        _ => None,
    };
    let name_dup = clash.is_some();
    if let Some(first) = clash {
        c.push(
            Finding::new(
                "config::duplicate_app_name",
                format!("application name `{name}` is used twice"),
            )
            .label(name_at.clone(), "used again here")
            .label(first, "first used here")
            .help("names identify applications in plans and in the Dashboard; rename one (keep its `key` to keep its identity)"),
        );
    } else if pinned {
        seen.pinned_names
            .entry(name)
            .or_insert_with(|| name_at.clone());
    } else {
        seen.names.insert(name, name_at.clone());
    }
    let (key, key_at) = match &cfg.key {
        Some(k) => (k.value.as_str(), c.at(k)),
        None => (name, name_at),
    };
    let defaulted = cfg.key.is_none();
    if key.trim().is_empty() && !defaulted {
        c.push(
            Finding::new("config::empty_key", "application key is empty")
                .label(key_at.clone(), "empty key")
                .help("remove `key` to default it to the name, or give a stable identifier"),
        );
    } else if let Some(bad) = key
        .chars()
        .find(|ch| !is_key_char(*ch))
        // A defaulted key from a name already refused says nothing new.
        .filter(|_| !defaulted || !(name.contains(['<', '>']) || name.contains(char::is_control)))
    {
        let (what, help) = if defaulted {
            (
                format!(
                    "application key `{}` (the name, as no `key` is given) contains {}",
                    escape(key),
                    shown(bad)
                ),
                format!(
                    "keys go into the ownership marker, plans and PR comments: add `key:` with only {KEY_CHARS_TEXT} (e.g. `key: billing-worker`), and keep this name"
                ),
            )
        } else {
            (
                format!("application key `{}` contains {}", escape(key), shown(bad)),
                format!(
                    "keys go into the ownership marker, plans and PR comments: use only {KEY_CHARS_TEXT}"
                ),
            )
        };
        c.push(
            Finding::new("config::bad_key", what)
                .label(key_at.clone(), "not allowed in a key")
                .help(help),
        );
    } else if project.len() + 1 + key.len() > MAX_METADATA_LEN {
        c.push(
            Finding::new(
                "config::long_key",
                format!("application key `{key}` is too long"),
            )
            .label(
                key_at.clone(),
                "the marker `project:key` exceeds 255 characters",
            )
            .help(
                "Auth0 metadata values hold at most 255 characters; shorten the key or the project",
            ),
        );
    }
    if defaulted && name_dup {
        // Same name, key defaulted from it: the name finding already says it.
        seen.keys.entry(key).or_insert(key_at);
    } else {
        unique(
            c,
            &mut seen.keys,
            key,
            key_at,
            "config::duplicate_app_key",
            format!("application key `{key}` is used twice"),
            "keys identify managed applications (`key` defaults to the name); give each application its own key",
        );
    }
    key
}

/// `description`: at most 140 characters.
fn description(cfg: &AppConfig, c: &mut Checker<'_>) {
    let name = &cfg.name.value;
    if let Some(d) = &cfg.description {
        let len = d.value.chars().count();
        if len > MAX_DESCRIPTION {
            let at = c.at(d);
            c.push(
                Finding::new(
                    "config::long_description",
                    format!("description of `{name}` is {len} characters long"),
                )
                .label(at, "more than 140 characters")
                .help("Auth0 accepts at most 140 characters; shorten it"),
            );
        }
    }
}

/// `client_id`: not empty, and pinned by one application only.
fn pin<'f>(cfg: &'f AppConfig, seen: &mut Seen<'f>, c: &mut Checker<'_>) {
    if let Some(pin) = &cfg.client_id {
        let at = c.at(pin);
        if pin.value.trim().is_empty() {
            c.push(Finding::new("config::empty_client_id", "`client_id` is empty")
                .label(at.clone(), "empty")
                .help("remove `client_id` to let m2mctl create the client, or pin an existing client id"));
        }
        unique(
            c,
            &mut seen.pins,
            pin.value.as_str(),
            at,
            "config::duplicate_client_id",
            format!("client id `{}` is pinned twice", pin.value),
            "one Auth0 client can back only one application; remove one of the pins",
        );
    }
}

/// Each grant: its API resolved, not granted twice, its scopes and endpoints checked.
fn grants(
    cfg: &AppConfig,
    apis: &HashMap<&str, &ApiConfig>,
    management_url: Option<&str>,
    c: &mut Checker<'_>,
) -> (Vec<DesiredGrant>, Vec<Target>) {
    let name = &cfg.name.value;
    let mut grants = Vec::with_capacity(cfg.grants.len());
    let mut targets = Vec::with_capacity(cfg.grants.len());
    let mut granted: HashMap<ApiRef, Range<usize>> = HashMap::new();
    for grant in &cfg.grants {
        let api_at = c.at(&grant.api);
        let Some((api, external)) = resolve(grant, apis, management_url, c) else {
            continue;
        };
        if let Some(first) = granted.get(&api) {
            c.push(
                Finding::new(
                    "config::duplicate_grant",
                    format!("`{name}` is granted API `{}` twice", grant.api.value),
                )
                .label(api_at, "granted again here")
                .label(first.clone(), "first granted here")
                .help("merge the scopes into one grant"),
            );
            continue;
        }
        granted.insert(api.clone(), api_at.clone());
        let mut scopes = grant_scopes(grant, &api, apis, c);
        let endpoints = super::endpoints::grant_endpoints(grant, &api, c);
        let organization = super::organizations::grant_organization(grant, &api, c);
        scopes.extend(endpoints.iter().map(|e| e.scope.clone()));
        targets.push((api.clone(), api_at, external));
        grants.push(DesiredGrant {
            api,
            scopes,
            endpoints,
            organization,
        });
    }
    (grants, targets)
}

/// Records `value` as seen, or a duplicate finding pointing at both places (returns true).
fn unique<'a>(
    c: &mut Checker<'_>,
    seen: &mut HashMap<&'a str, Range<usize>>,
    value: &'a str,
    at: Range<usize>,
    code: &'static str,
    message: String,
    help: &str,
) -> bool {
    match seen.get(value) {
        Some(first) => {
            c.push(
                Finding::new(code, message)
                    .label(at, "used again here")
                    .label(first.clone(), "first used here")
                    .help(help),
            );
            true
        }
        None => {
            seen.insert(value, at);
            false
        }
    }
}

/// The API a grant points at: `management` (or the tenant's Management API URL), or a declared one.
fn resolve(
    grant: &GrantConfig,
    apis: &HashMap<&str, &ApiConfig>,
    management_url: Option<&str>,
    c: &mut Checker<'_>,
) -> Option<(ApiRef, bool)> {
    let id = grant.api.value.as_str();
    if id == "management" || management_url == Some(id) {
        return Some((ApiRef::Management, false));
    }
    if let Some(api) = apis.get(id) {
        let external = api.external.as_ref().is_some_and(|e| e.value);
        return Some((ApiRef::Identifier(id.to_string()), external));
    }
    let at = c.at(&grant.api);
    let candidates = apis.keys().copied().chain(["management"]);
    c.push(
        Finding::new("config::unknown_api", format!("grant to undeclared API `{id}`"))
            .label(at, "not declared under `apis`")
            .help(did_you_mean(
                suggest(id, candidates),
                "declare it under `apis` (with `external: true` if it is managed elsewhere), or use `management` for the Management API".to_string(),
            )),
    );
    None
}

/// Checks a grant's scopes against its API; the scope set.
fn grant_scopes(
    grant: &GrantConfig,
    api: &ApiRef,
    apis: &HashMap<&str, &ApiConfig>,
    c: &mut Checker<'_>,
) -> BTreeSet<String> {
    let declared: Option<(&ApiConfig, Vec<&str>)> = match api {
        ApiRef::Management => None,
        ApiRef::Identifier(id) => apis.get(id.as_str()).and_then(|a| {
            let external = a.external.as_ref().is_some_and(|e| e.value);
            let scopes: Vec<&str> = a.scopes.iter().map(|s| s.value.value.as_str()).collect();
            (!(external && scopes.is_empty())).then_some((*a, scopes))
        }),
    };
    let mut set = BTreeSet::new();
    let mut seen: HashMap<&str, Range<usize>> = HashMap::with_capacity(grant.scopes.len());
    for scope in &grant.scopes {
        let value = scope.value.as_str();
        let at = c.at(scope);
        if let Some(first) = seen.get(value) {
            c.push(
                Finding::new(
                    "config::duplicate_scope",
                    format!("scope `{value}` is granted twice"),
                )
                .label(at, "granted again here")
                .label(first.clone(), "first granted here")
                .help("remove one of them"),
            );
            continue;
        }
        seen.insert(value, at.clone());
        set.insert(value.to_string());
        match (api, &declared) {
            (ApiRef::Management, _) if !is_management_scope(value) => c.push(
                Finding::new("config::unknown_management_scope", format!("unknown Management API scope `{value}`"))
                    .label(at, "not a Management API scope")
                    .help(did_you_mean(
                        suggest(value, MANAGEMENT_API_SCOPES.iter().copied()),
                        "Management API scopes look like `read:clients`, `create:client_grants`; run `m2mctl schema` or see Auth0's Management API docs".to_string(),
                    )),
            ),
            (ApiRef::Identifier(id), Some((cfg, scopes))) if !scopes.contains(&value) => {
                let api_at = c.at(&cfg.identifier);
                let otherwise = if scopes.is_empty() {
                    format!("API `{id}` declares no scopes; add `{value}` under its `scopes`")
                } else {
                    format!("declare `{value}` under the API's `scopes`, or grant one of: {}", scopes.join(", "))
                };
                c.push(
                    Finding::new("config::undeclared_scope", format!("scope `{value}` is not declared on API `{id}`"))
                        .label(at, "not declared on this API")
                        .label(api_at, "API declared here")
                        .help(did_you_mean(suggest(value, scopes.iter().copied()), otherwise)),
                );
            }
            _ => {}
        }
    }
    set
}

/// Metadata rules: at most 9 keys, key `m2mctl` reserved, keys and values up to 255 characters.
fn metadata(cfg: &AppConfig, c: &mut Checker<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let name = &cfg.name.value;
    for (i, (key, value)) in cfg.metadata.iter().enumerate() {
        let value_at = c.at(value);
        let key_at = key_span(c.source, value_at.start, key);
        if i == MAX_METADATA_KEYS {
            c.push(Finding::new("config::too_many_metadata_keys", format!("`{name}` has {} metadata keys", cfg.metadata.len()))
                .label(key_at.clone(), "the 10th key")
                .help("Auth0 allows 10 metadata keys and m2mctl reserves one for its ownership marker: keep at most 9"));
        }
        if key == MARKER_KEY {
            c.push(Finding::new("config::reserved_metadata_key", format!("metadata key `{MARKER_KEY}` is reserved"))
                .label(key_at.clone(), "reserved for the ownership marker")
                .help("m2mctl writes `project:key` there to recognise the clients it manages; rename this key"));
        }
        let bad_char = key
            .chars()
            .find(|ch| !(ch.is_ascii_alphanumeric() || ":,-+=_*?\"/\\()<>@\t ".contains(*ch)));
        if key.is_empty() || key.chars().count() > MAX_METADATA_LEN || bad_char.is_some() {
            c.push(
                Finding::new(
                    "config::bad_metadata_key",
                    format!("invalid metadata key `{key}`"),
                )
                .label(key_at, "empty, too long, or with a character Auth0 rejects")
                .help("use up to 255 letters, digits, spaces and `:,-+=_*?\"/\\()<>@`"),
            );
        }
        let len = value.value.chars().count();
        if len > MAX_METADATA_LEN {
            c.push(
                Finding::new(
                    "config::long_metadata_value",
                    format!("metadata value `{key}` is {len} characters long"),
                )
                .label(value_at, "more than 255 characters")
                .help("Auth0 metadata values hold at most 255 characters; shorten it"),
            );
        }
        out.insert(key.clone(), value.value.clone());
    }
    out
}

/// The span of a mapping key written before its value (last occurrence before `value_start`).
pub(crate) fn key_span(source: &str, value_start: usize, key: &str) -> Range<usize> {
    let before = source.get(..value_start).unwrap_or("");
    match before.rfind(key).filter(|_| !key.is_empty()) {
        Some(pos) => pos..pos + key.len(),
        None => value_start..value_start,
    }
}
