//! The policy rules over a config: every violation is an error pointing at the offending value
//! (or, when the value is absent, at the application or API it is missing from).
//!
//! Pure: the loaded config and the policy in, violations out, in file order.

use super::glob;
use super::rules::{PolicyConfig, Source};
use super::{At, PolicySet, Rule, Severity, Violation};
use crate::config::{AppConfig, GrantConfig, Loaded, Sp};
use crate::model::{AuthMethod, DesiredApp};
use crate::plan::MANAGEMENT_ADDRESS;

/// Auth0's token lifetime when an API sets none.
pub const DEFAULT_TOKEN_LIFETIME: i64 = 86_400;

/// Whether a Management API scope writes (`create:`, `update:`, `delete:`).
pub fn is_write_scope(scope: &str) -> bool {
    ["create:", "update:", "delete:"]
        .iter()
        .any(|p| scope.starts_with(p))
}

/// Management API scopes `key` may hold under `management_scopes` (`None`: no such rule).
pub fn allowed_management<'p>(policy: &'p PolicyConfig, key: &str) -> Option<Vec<&'p Sp<String>>> {
    let table = policy.management_scopes.as_ref()?;
    Some(
        table
            .iter()
            .filter(|(pattern, _)| glob::matches(pattern, key))
            .flat_map(|(_, scopes)| scopes.iter())
            .collect(),
    )
}

/// Checks every rule of every source against the config.
pub fn check_config(loaded: &Loaded, set: &PolicySet) -> Vec<Violation> {
    let mut out = Vec::new();
    for source in &set.sources {
        Check {
            loaded,
            source,
            out: &mut out,
        }
        .run();
    }
    out.sort_by_key(|v| v.at.as_ref().map_or(usize::MAX, |a| a.start));
    out
}

/// One source's check.
struct Check<'a> {
    loaded: &'a Loaded,
    source: &'a Source,
    out: &'a mut Vec<Violation>,
}

/// One application of the file with its resolved form.
struct App<'a> {
    cfg: &'a AppConfig,
    desired: &'a DesiredApp,
}

impl App<'_> {
    fn address(&self) -> String {
        format!("application.{}", self.desired.key)
    }
}

fn grant_address(key: &str, grant: &GrantConfig) -> String {
    format!("grant.{key} -> {}", grant.api.value)
}

impl<'a> Check<'a> {
    fn policy(&self) -> &'a PolicyConfig {
        &self.source.policy
    }

    fn apps(&self) -> impl Iterator<Item = App<'a>> + use<'a> {
        let l = self.loaded;
        l.config
            .applications
            .iter()
            .zip(&l.desired.applications)
            .map(|(cfg, desired)| App { cfg, desired })
    }

    fn at<T>(&self, value: &Sp<T>, label: impl Into<String>) -> Option<At> {
        let l = self.loaded;
        Some(At::new(&l.name, &l.source, l.span(value), label))
    }

    fn rule_at<T>(&self, value: &Sp<T>, label: impl Into<String>) -> Option<At> {
        let (file, text, span) = self.source.locate(self.loaded, value);
        (span != (0..0)).then(|| At::new(file, text, span, label))
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule: Rule,
        address: String,
        message: String,
        help: String,
        at: Option<At>,
        rule_at: Option<At>,
    ) {
        self.out.push(Violation {
            rule,
            severity: Severity::Error,
            address,
            message,
            help,
            at,
            rule_at,
        });
    }

    fn run(&mut self) {
        self.forbidden_scopes();
        self.max_token_lifetime();
        self.management_scopes();
        self.required_authentication();
        self.max_management_writers();
        self.required_metadata();
    }

    fn forbidden_scopes(&mut self) {
        let patterns = &self.source.policy.forbidden_scopes;
        if patterns.is_empty() {
            return;
        }
        let mut found = Vec::new();
        for app in self.apps() {
            for grant in &app.cfg.grants {
                for scope in &grant.scopes {
                    if let Some(p) = patterns
                        .iter()
                        .find(|p| glob::matches(&p.value, &scope.value))
                    {
                        found.push((app.desired.key.clone(), grant, scope, p));
                    }
                }
            }
        }
        for (key, grant, scope, pattern) in found {
            self.push(
                Rule::ForbiddenScopes,
                grant_address(&key, grant),
                format!(
                    "`{key}` is granted `{}` on `{}`, which the policy forbids",
                    scope.value, grant.api.value
                ),
                format!(
                    "remove `{}` from this grant; the policy's `forbidden_scopes` lists `{}`",
                    scope.value, pattern.value
                ),
                self.at(scope, format!("forbidden by `{}`", pattern.value)),
                self.rule_at(pattern, "the rule"),
            );
        }
    }

    fn max_token_lifetime(&mut self) {
        let Some(max) = self.policy().max_token_lifetime.clone() else {
            return;
        };
        let help = |what: &str| {
            format!(
                "set `token_lifetime` of this {what} to at most {} seconds (the policy's `max_token_lifetime`)",
                max.value
            )
        };
        let rule_at = self.rule_at(&max, "the rule");
        let l = self.loaded;
        for (api, desired) in l.config.apis.iter().zip(&l.desired.apis) {
            if desired.external {
                continue;
            }
            let (lifetime, at) = match (&api.token_lifetime, desired.token_lifetime) {
                (Some(set), _) => (set.value, self.at(set, format!("{} seconds", set.value))),
                // Folded in from an application: reported at that application.
                (None, Some(_)) => continue,
                (None, None) => (
                    DEFAULT_TOKEN_LIFETIME,
                    self.at(
                        &api.identifier,
                        "no `token_lifetime`: Auth0's default is 86400 seconds",
                    ),
                ),
            };
            if lifetime > max.value {
                self.push(
                    Rule::MaxTokenLifetime,
                    format!("api.{}", desired.identifier),
                    format!(
                        "API `{}` issues tokens for {lifetime} seconds, more than the policy's {}",
                        desired.identifier, max.value
                    ),
                    help("API"),
                    at,
                    rule_at.clone(),
                );
            }
        }
        let over: Vec<(String, Sp<i64>)> = self
            .apps()
            .filter_map(|app| {
                let set = app.cfg.token_lifetime.clone()?;
                (set.value > max.value).then(|| (app.desired.key.clone(), set))
            })
            .collect();
        for (key, set) in over {
            self.push(
                Rule::MaxTokenLifetime,
                format!("application.{key}"),
                format!(
                    "application `{key}` asks for {}-second tokens, more than the policy's {}",
                    set.value, max.value
                ),
                help("application"),
                self.at(&set, format!("{} seconds", set.value)),
                rule_at.clone(),
            );
        }
    }

    fn management_scopes(&mut self) {
        let mut found = Vec::new();
        for app in self.apps() {
            let Some(allowed) = allowed_management(self.policy(), &app.desired.key) else {
                return;
            };
            for grant in app
                .cfg
                .grants
                .iter()
                .filter(|g| g.api.value == MANAGEMENT_ADDRESS)
            {
                for scope in &grant.scopes {
                    if !allowed
                        .iter()
                        .any(|p| glob::matches(&p.value, &scope.value))
                    {
                        found.push((app.desired.key.clone(), grant, scope, allowed.is_empty()));
                    }
                }
            }
        }
        for (key, grant, scope, none) in found {
            let (label, help) = if none {
                (
                    "no Management API scope allowed".to_string(),
                    format!(
                        "no key of the policy's `management_scopes` matches `{key}`, so it may hold no Management API scope; remove the grant or add `{key}` to `management_scopes`"
                    ),
                )
            } else {
                (
                    "not in the allowlist".to_string(),
                    format!(
                        "remove `{}`, or allow it for `{key}` in the policy's `management_scopes`",
                        scope.value
                    ),
                )
            };
            self.push(
                Rule::ManagementScopes,
                grant_address(&key, grant),
                format!(
                    "`{key}` holds Management API scope `{}`, which the policy does not allow it",
                    scope.value
                ),
                help,
                self.at(scope, label),
                None,
            );
        }
    }

    fn required_authentication(&mut self) {
        let Some(required) = self.policy().required_authentication.clone() else {
            return;
        };
        let want = required.value;
        let rule_at = self.rule_at(&required, "the rule");
        let found: Vec<_> = self
            .apps()
            .filter(|app| app.desired.auth_method != want)
            .map(|app| {
                let method = app.desired.auth_method;
                // Where the method is written: `authentication.method`, else the older
                // `token_endpoint_auth_method`, else nowhere (the default, at the name).
                let written = app
                    .cfg
                    .authentication
                    .as_ref()
                    .and_then(|a| a.method.as_ref())
                    .map(|m| (m, "authentication.method"))
                    .or_else(|| {
                        (app.cfg.token_endpoint_auth_method.as_ref())
                            .map(|m| (m, "token_endpoint_auth_method"))
                    });
                let at = match written {
                    Some((set, _)) => self.at(set, format!("`{}`", method.as_str())),
                    None => self.at(
                        &app.cfg.name,
                        format!("authenticates with `{}` (the default)", method.as_str()),
                    ),
                };
                let help = auth_help(&app.desired.key, method, want, written.map(|w| w.1));
                (app.address(), app.desired.key.clone(), method, at, help)
            })
            .collect();
        for (address, key, method, at, help) in found {
            self.push(
                Rule::RequiredAuthentication,
                address,
                format!(
                    "`{key}` authenticates with `{}`; the policy requires `{}`",
                    method.as_str(),
                    want.as_str()
                ),
                help,
                at,
                rule_at.clone(),
            );
        }
    }

    fn max_management_writers(&mut self) {
        let Some(max) = self.policy().max_management_writers.clone() else {
            return;
        };
        let writers: Vec<(String, &GrantConfig, &Sp<String>)> = self
            .apps()
            .filter_map(|app| {
                let grant = app
                    .cfg
                    .grants
                    .iter()
                    .find(|g| g.api.value == MANAGEMENT_ADDRESS)?;
                let scope = grant.scopes.iter().find(|s| is_write_scope(&s.value))?;
                Some((app.desired.key.clone(), grant, scope))
            })
            .collect();
        let limit = max.value as usize;
        if writers.len() <= limit {
            return;
        }
        let first: Vec<String> = writers[..limit]
            .iter()
            .map(|w| format!("`{}`", w.0))
            .collect();
        let allowed = if first.is_empty() {
            "none".to_string()
        } else {
            first.join(", ")
        };
        let rule_at = self.rule_at(&max, "the rule");
        for (key, grant, scope) in &writers[limit..] {
            self.push(
                Rule::MaxManagementWriters,
                grant_address(key, grant),
                format!(
                    "{} applications hold Management API write scopes; the policy allows {}",
                    writers.len(),
                    max.value
                ),
                format!(
                    "keep write scopes (`create:`, `update:`, `delete:`) on {allowed} only, or raise `max_management_writers`"
                ),
                self.at(scope, format!("`{key}` writes with `{}`", scope.value)),
                rule_at.clone(),
            );
        }
    }

    fn required_metadata(&mut self) {
        let required = self.policy().required_metadata.clone();
        let mut found = Vec::new();
        for app in self.apps() {
            for key in &required {
                let set = app
                    .desired
                    .metadata
                    .get(&key.value)
                    .is_some_and(|v| !v.trim().is_empty());
                if !set {
                    found.push((app.address(), app.desired.key.clone(), &app.cfg.name, key));
                }
            }
        }
        for (address, app_key, name, key) in found {
            self.push(
                Rule::RequiredMetadata,
                address,
                format!(
                    "`{app_key}` has no `{}` metadata, which the policy requires",
                    key.value
                ),
                format!(
                    "add `metadata: {{ {}: ... }}` to this application",
                    key.value
                ),
                self.at(name, format!("no `metadata.{}`", key.value)),
                self.rule_at(key, "the rule"),
            );
        }
    }
}

/// What to do about application `key` authenticating with `has` where the policy requires
/// `want`; `field` is where the config writes its method (`None`: nowhere, the default).
fn auth_help(key: &str, has: AuthMethod, want: AuthMethod, field: Option<&str>) -> String {
    match (has, want) {
        (_, AuthMethod::PrivateKeyJwt) => format!(
            "sign with a key: `authentication: {{ method: private_key_jwt, keys: [...] }}` on this application (`m2mctl keygen {key}` writes a key pair and prints the entry; see docs/credentials.md)"
        ),
        (AuthMethod::PrivateKeyJwt, _) => format!(
            "this application signs with a key; m2mctl never switches such a client back to a secret: change the policy's `required_authentication`, or switch the client to `{}` in Auth0 first",
            want.as_str()
        ),
        _ => format!(
            "set `{}: {}` on this application",
            field.unwrap_or("authentication.method"),
            want.as_str()
        ),
    }
}
