//! The settings stage: flags, the environment and the host resolved once, before any work, into
//! plain settings that `tenant`, `token` and `apply` take (as ripgrep's `flags/hiargs.rs` turns
//! low-level arguments into ready-to-use values).
//!
//! Owns [`Env`], the one snapshot of the environment variables m2mctl acts on (their names live
//! in [`crate::cli::env`]), and the rules turning clap's `*Args` and that snapshot into
//! [`TenantSettings`] (connection, credentials, token cache, deadline) and [`ApplySettings`]
//! (switches and the lease, with its holder name `user@host pid N`). Other readers of the
//! environment stay where they are by design: `ui` (`NO_COLOR`, `M2MCTL_LOG`), `config::Vars`
//! (`${VAR}` substitution) and clap itself (the `env =` of `--ca-cert` and `--domain`). Must not
//! send requests, write files or print; `tenant`, `token` and `apply` never see clap structs and
//! never read the environment.

use std::path::PathBuf;

use crate::apply::lease;
use crate::cli::{ApplyArgs, Deadline, TenantArgs, env};
use crate::tenant::{self, Credentials, DEFAULT_CONCURRENCY, Options, Secret};

/// The environment m2mctl acts on, read once ([`Env::read`]); values as set (blank included).
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `AUTH0_DOMAIN`.
    pub domain: Option<String>,
    /// `AUTH0_ACCESS_TOKEN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET`.
    pub credentials: EnvCredentials,
    /// `M2MCTL_CACHE_DIR`, when set and not empty.
    pub cache_dir: Option<PathBuf>,
    /// The user name (`USER`, else `USERNAME`).
    pub user: Option<String>,
    /// The host name (`/proc/sys/kernel/hostname`, else `HOSTNAME`).
    pub host: Option<String>,
    /// The user cache directory of the platform (`None` when it has none).
    pub user_cache_dir: Option<PathBuf>,
}

/// The `AUTH0_*` credential variables as set; `Debug` never shows the secrets.
#[derive(Debug, Clone, Default)]
pub struct EnvCredentials {
    /// `AUTH0_ACCESS_TOKEN`.
    pub access_token: Option<Secret>,
    /// `AUTH0_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `AUTH0_CLIENT_SECRET`.
    pub client_secret: Option<Secret>,
    /// `AUTH0_CLIENT_SIGNING_KEY_PATH`: a private key instead of the secret.
    pub signing_key_path: Option<PathBuf>,
    /// `AUTH0_CLIENT_SIGNING_ALGORITHM`.
    pub signing_algorithm: Option<String>,
}

impl Env {
    /// Reads the process environment (and the host name): the only place m2mctl's commands do.
    #[allow(clippy::disallowed_methods, reason = "the settings stage")]
    pub fn read() -> Env {
        let var = |name: &str| std::env::var(name).ok();
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| var("HOSTNAME"));
        Env {
            domain: var(env::AUTH0_DOMAIN),
            credentials: EnvCredentials {
                access_token: var(env::AUTH0_ACCESS_TOKEN).map(Secret::new),
                client_id: var(env::AUTH0_CLIENT_ID),
                client_secret: var(env::AUTH0_CLIENT_SECRET).map(Secret::new),
                signing_key_path: std::env::var_os(env::AUTH0_CLIENT_SIGNING_KEY_PATH)
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from),
                signing_algorithm: var(env::AUTH0_CLIENT_SIGNING_ALGORITHM),
            },
            cache_dir: std::env::var_os(env::M2MCTL_CACHE_DIR)
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            user: var("USER").or_else(|| var("USERNAME")),
            host,
            user_cache_dir: dirs::cache_dir(),
        }
    }

    /// `AUTH0_DOMAIN` when it holds more than whitespace.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref().filter(|d| !d.trim().is_empty())
    }

    /// This process as an apply lease names its holder: `user@host pid N`.
    pub fn lease_holder(&self) -> String {
        let user = self.user.as_deref().unwrap_or("unknown");
        let host = self
            .host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .unwrap_or("unknown-host");
        format!("{user}@{host} pid {}", std::process::id())
    }

    /// The token cache directory: `M2MCTL_CACHE_DIR`, else `<user cache dir>/m2mctl`.
    pub fn token_cache_dir(&self) -> Option<PathBuf> {
        self.cache_dir
            .clone()
            .or_else(|| self.user_cache_dir.as_ref().map(|d| d.join("m2mctl")))
    }
}

impl EnvCredentials {
    /// `AUTH0_ACCESS_TOKEN`, else `AUTH0_CLIENT_ID` + `AUTH0_CLIENT_SECRET`, else
    /// `AUTH0_CLIENT_ID` + the private key at `AUTH0_CLIENT_SIGNING_KEY_PATH` (read here, with
    /// `AUTH0_CLIENT_SIGNING_ALGORITHM`, default RS256); blank values count as unset. `domain`
    /// only names the tenant in the error.
    pub fn resolve(&self, domain: &str) -> tenant::Result<Credentials> {
        fn set(v: &Option<Secret>) -> Option<&Secret> {
            v.as_ref().filter(|s| !s.is_blank())
        }
        let client_id = self.client_id.clone().filter(|v| !v.trim().is_empty());
        if set(&self.access_token).is_none()
            && set(&self.client_secret).is_none()
            && let (Some(client_id), Some(path)) = (client_id, &self.signing_key_path)
        {
            return signing_credentials(client_id.trim(), path, self.signing_algorithm.as_deref());
        }
        Credentials::from_values(
            domain,
            set(&self.access_token).map(|s| s.expose().to_string()),
            self.client_id.clone().filter(|v| !v.trim().is_empty()),
            set(&self.client_secret).map(|s| s.expose().to_string()),
        )
    }

    /// True when there is no Management API token to use once: `AUTH0_ACCESS_TOKEN` set but
    /// blank, or neither it nor `AUTH0_CLIENT_ID` set (`init --create-deployer`).
    pub fn lacks_one_off_token(&self) -> bool {
        self.access_token.as_ref().is_some_and(Secret::is_blank)
            || (self.access_token.is_none() && self.client_id.is_none())
    }
}

/// Client credentials with the private key at `path` (`AUTH0_CLIENT_SIGNING_KEY_PATH`).
fn signing_credentials(
    client_id: &str,
    path: &std::path::Path,
    algorithm: Option<&str>,
) -> tenant::Result<Credentials> {
    use crate::keys::{KeyAlg, PrivateKey};
    let shown = path.display();
    let alg = match algorithm.map(str::trim).filter(|a| !a.is_empty()) {
        None => KeyAlg::RS256,
        Some(a) => KeyAlg::parse(a).ok_or_else(|| tenant::Error::SigningKey {
            reason: format!("`AUTH0_CLIENT_SIGNING_ALGORITHM` is `{a}`, not RS256, RS384 or PS256"),
        })?,
    };
    let text = std::fs::read_to_string(path).map_err(|e| tenant::Error::SigningKey {
        reason: format!("cannot read `{shown}`: {e}"),
    })?;
    let key = PrivateKey::from_pem(&Secret::new(text)).map_err(|e| tenant::Error::SigningKey {
        reason: format!("`{shown}` holds {e}"),
    })?;
    Ok(Credentials::SignedAssertion {
        client_id: client_id.to_string(),
        key,
        alg,
    })
}

/// Where tokens are cached (m2mctl's own Management API token and `token`'s tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCache {
    /// `--no-cache`: neither read nor written.
    Off,
    /// No `M2MCTL_CACHE_DIR` and no user cache directory.
    Unavailable,
    /// This directory.
    Dir(PathBuf),
}

impl TokenCache {
    /// The directory, when caching is on and there is one.
    pub fn dir(&self) -> Option<&PathBuf> {
        match self {
            TokenCache::Dir(dir) => Some(dir),
            TokenCache::Off | TokenCache::Unavailable => None,
        }
    }
}

/// Everything about reaching a tenant, resolved from `TenantArgs` and [`Env`].
#[derive(Debug, Clone)]
pub struct TenantSettings {
    /// The client's settings: CA, rate limit, concurrency, own-token cache.
    pub options: Options,
    /// `AUTH0_DOMAIN` (not blank): the tenant CI's credentials belong to.
    pub env_domain: Option<String>,
    /// `--allow-domain-override`.
    pub allow_domain_override: bool,
    /// The `AUTH0_*` credentials.
    pub credentials: EnvCredentials,
    /// The token cache.
    pub token_cache: TokenCache,
    /// `--timeout`.
    pub timeout: Deadline,
}

impl TenantSettings {
    /// Resolves the shared tenant flags against the environment.
    pub fn resolve(args: &TenantArgs, env: &Env) -> TenantSettings {
        let token_cache = match (args.no_cache, env.token_cache_dir()) {
            (true, _) => TokenCache::Off,
            (false, None) => TokenCache::Unavailable,
            (false, Some(dir)) => TokenCache::Dir(dir),
        };
        TenantSettings {
            options: Options {
                ca_cert: args.ca_cert.clone(),
                max_rps: args.max_rps,
                concurrency: DEFAULT_CONCURRENCY,
                token_cache: token_cache.dir().cloned(),
            },
            env_domain: env.domain().map(str::to_string),
            allow_domain_override: args.allow_domain_override,
            credentials: env.credentials.clone(),
            token_cache,
            timeout: args.timeout,
        }
    }
}

/// What `apply` runs with beyond the tenant: its switches and the lease.
#[derive(Debug, Clone)]
pub struct ApplySettings {
    /// `--prune`.
    pub prune: bool,
    /// `--allow-mass-delete`.
    pub allow_mass_delete: bool,
    /// `--auto-approve`.
    pub auto_approve: bool,
    /// `--allow-policy-violations`.
    pub allow_policy_violations: bool,
    /// The lease to take; `None` with `--no-lock`.
    pub lease: Option<lease::Settings>,
}

impl ApplySettings {
    /// Resolves `apply`'s flags; the lease holder is named from the environment.
    pub fn resolve(args: &ApplyArgs, env: &Env) -> ApplySettings {
        ApplySettings {
            prune: args.prune,
            allow_mass_delete: args.allow_mass_delete,
            auto_approve: args.auto_approve,
            allow_policy_violations: args.allow_policy_violations,
            lease: (!args.no_lock).then(|| lease::Settings {
                timeout: args.lock_timeout,
                ttl: args.lock_ttl,
                holder: env.lease_holder(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(no_cache: bool) -> TenantArgs {
        TenantArgs {
            ca_cert: Some(PathBuf::from("ca.pem")),
            max_rps: Some(2.0),
            allow_domain_override: true,
            no_cache,
            timeout: Deadline::default(),
        }
    }

    #[test]
    fn the_token_cache_is_the_flag_then_the_variable_then_the_user_cache() {
        let env = |cache_dir: Option<&str>, user: Option<&str>| Env {
            cache_dir: cache_dir.map(PathBuf::from),
            user_cache_dir: user.map(PathBuf::from),
            ..Env::default()
        };
        let cases = [
            (true, env(Some("/c"), Some("/u")), TokenCache::Off),
            (
                false,
                env(Some("/c"), Some("/u")),
                TokenCache::Dir("/c".into()),
            ),
            (
                false,
                env(None, Some("/u")),
                TokenCache::Dir("/u/m2mctl".into()),
            ),
            (false, env(None, None), TokenCache::Unavailable),
        ];
        for (no_cache, env, want) in cases {
            let got = TenantSettings::resolve(&args(no_cache), &env);
            assert_eq!(got.token_cache, want, "{no_cache} {env:?}");
            assert_eq!(got.options.token_cache.as_ref(), want.dir());
        }
    }

    #[test]
    fn tenant_flags_and_a_blank_domain_resolve_once() {
        let env = Env {
            domain: Some("  ".into()),
            ..Env::default()
        };
        let got = TenantSettings::resolve(&args(true), &env);
        assert_eq!(got.env_domain, None, "blank AUTH0_DOMAIN counts as unset");
        assert_eq!(got.options.ca_cert, Some(PathBuf::from("ca.pem")));
        assert_eq!(got.options.max_rps, Some(2.0));
        assert_eq!(got.options.concurrency, DEFAULT_CONCURRENCY);
        assert!(got.allow_domain_override);
        let env = Env {
            domain: Some("acme.auth0.com".into()),
            ..Env::default()
        };
        let got = TenantSettings::resolve(&args(true), &env);
        assert_eq!(got.env_domain.as_deref(), Some("acme.auth0.com"));
    }

    #[test]
    fn a_signing_key_replaces_the_secret_and_its_problems_name_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let pair = crate::keys::generate().unwrap();
        let file = dir.path().join("own.pem");
        std::fs::write(&file, pair.private_pem.expose()).unwrap();
        let with =
            |secret: Option<&str>, path: &std::path::Path, alg: Option<&str>| EnvCredentials {
                client_id: Some("me".into()),
                client_secret: secret.map(Secret::new),
                signing_key_path: Some(path.to_path_buf()),
                signing_algorithm: alg.map(str::to_string),
                ..EnvCredentials::default()
            };
        match with(None, &file, Some("PS256")).resolve("t").unwrap() {
            Credentials::SignedAssertion {
                client_id,
                key,
                alg,
            } => {
                assert_eq!(client_id, "me");
                assert_eq!(key.kid(), pair.kid);
                assert_eq!(alg, crate::keys::KeyAlg::PS256);
            }
            other => panic!("{other:?}"),
        }
        // A secret, when set, still wins (unchanged behaviour).
        let c = with(Some("s"), &file, None).resolve("t").unwrap();
        assert!(matches!(c, Credentials::ClientCredentials { .. }));
        let public = dir.path().join("own.pub.pem");
        std::fs::write(&public, &pair.public_pem).unwrap();
        for (path, alg, want) in [
            (dir.path().join("missing.pem"), None, "cannot read"),
            (public, None, "a public key, not a private key"),
            (file, Some("HS256"), "not RS256, RS384 or PS256"),
        ] {
            let err = with(None, &path, alg).resolve("t").unwrap_err().to_string();
            assert!(
                err.contains("AUTH0_CLIENT_SIGNING") && err.contains(want),
                "{err}"
            );
            assert!(!err.contains("MII"), "{err}");
        }
    }

    #[test]
    fn credentials_follow_the_precedence_and_blank_means_unset() {
        let creds = |token: Option<&str>, id: Option<&str>, secret: Option<&str>| EnvCredentials {
            access_token: token.map(Secret::new),
            client_id: id.map(str::to_string),
            client_secret: secret.map(Secret::new),
            ..EnvCredentials::default()
        };
        let c = creds(Some("tok"), Some("id"), Some("s"))
            .resolve("t")
            .unwrap();
        assert!(matches!(c, Credentials::AccessToken(_)));
        let c = creds(Some(" "), Some("id"), Some("s"))
            .resolve("t")
            .unwrap();
        assert_eq!(c.client_id(), Some("id"));
        let err = creds(None, Some("id"), Some("")).resolve("acme.auth0.com");
        assert!(err.unwrap_err().to_string().contains("acme.auth0.com"));
        let shown = format!("{:?}", creds(Some("tok-secret"), None, Some("sec-secret")));
        assert!(
            !shown.contains("tok-secret") && !shown.contains("sec-secret"),
            "{shown}"
        );
        // `init --create-deployer` needs a one-off token (or client credentials) to start from.
        let table = [
            (creds(None, None, None), true),
            (creds(Some(""), Some("id"), None), true),
            (creds(Some("tok"), None, None), false),
            (creds(None, Some("id"), Some("s")), false),
        ];
        for (c, lacks) in table {
            assert_eq!(c.lacks_one_off_token(), lacks, "{c:?}");
        }
    }

    #[test]
    fn apply_settings_name_the_lease_holder_or_take_no_lease() {
        let env = Env {
            user: Some("ci".into()),
            host: Some("runner-7\n".into()),
            ..Env::default()
        };
        assert_eq!(
            env.lease_holder(),
            format!("ci@runner-7 pid {}", std::process::id())
        );
        assert!(
            Env::default()
                .lease_holder()
                .starts_with("unknown@unknown-host pid ")
        );
        assert!(!Env::read().lease_holder().chars().any(char::is_control));
        let apply = |flags: &[&str]| {
            let cli = <crate::cli::Cli as clap::Parser>::try_parse_from(
                ["m2mctl", "apply"].iter().chain(flags),
            );
            match cli.map(|c| c.command) {
                Ok(crate::cli::Command::Apply(args)) => ApplySettings::resolve(&args, &env),
                other => panic!("{other:?}"),
            }
        };
        let locked = apply(&["--lock-timeout", "1m", "--prune"]);
        let lease = locked.lease.expect("a lease unless --no-lock");
        assert_eq!(lease.timeout, std::time::Duration::from_secs(60));
        assert_eq!(lease.holder, env.lease_holder());
        assert!(locked.prune && !locked.auto_approve);
        assert!(apply(&["--no-lock"]).lease.is_none());
    }
}
