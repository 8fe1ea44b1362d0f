//! The errors of `token` and `credentials`, each with a `help:` line saying what to do.
//!
//! Owns wording only. Must never carry a token or a secret: fields hold names, ids, audiences
//! and Auth0's own error text.

use miette::Diagnostic;
use thiserror::Error;

/// Why `token` or `credentials` could not serve an application.
#[derive(Debug, Error, Diagnostic)]
pub enum TokenError {
    /// An `APP` argument names no application of the config.
    #[error("application `{name}` is not in the config")]
    #[diagnostic(code(m2mctl::token::unknown_app), help("{help}"))]
    UnknownApp {
        /// What the user typed.
        name: String,
        /// Did-you-mean or the list of known keys.
        help: String,
    },

    /// The application is declared but no client in the tenant carries its marker.
    #[error("application `{app}` is not in the tenant yet")]
    #[diagnostic(
        code(m2mctl::token::not_applied),
        help("run `m2mctl apply` to create it, then ask for its token again")
    )]
    NotApplied {
        /// The application's key.
        app: String,
    },

    /// A declared grant does not exist in the tenant.
    #[error("application `{app}` has no grant for `{api}` in the tenant")]
    #[diagnostic(
        code(m2mctl::token::grant_missing),
        help(
            "the tenant drifted from the config: `m2mctl plan` shows it, `m2mctl apply` restores the grant"
        )
    )]
    GrantMissing {
        /// The application's key.
        app: String,
        /// `management` or the API identifier.
        api: String,
    },

    /// `--api` selects nothing among the selected applications.
    #[error("no selected application is granted `{api}`")]
    #[diagnostic(code(m2mctl::token::no_grant), help("{help}"))]
    NoSuchGrant {
        /// The `--api` value.
        api: String,
        /// The APIs that are granted.
        help: String,
    },

    /// `--format raw` was asked for more (or fewer) than one token.
    #[error(
        "`--format raw` prints exactly one token, and {count} (application, API) pairs are selected: {pairs}"
    )]
    #[diagnostic(
        code(m2mctl::token::raw_needs_one),
        help(
            "name one application and one API, e.g. `m2mctl token APP --api IDENTIFIER -r` (`--api management` for the Management API)"
        )
    )]
    RawNeedsOne {
        /// How many pairs are selected.
        count: usize,
        /// `app → api` of each, comma-separated.
        pairs: String,
    },

    /// Auth0 refused the client-credentials exchange.
    #[error("auth0 refused a token for `{app}` on `{api}` ({status}): {error}: \"{description}\"")]
    #[diagnostic(code(m2mctl::token::oauth), help("{help}"))]
    OAuth {
        /// The application's key.
        app: String,
        /// `management` or the API identifier.
        api: String,
        /// HTTP status.
        status: u16,
        /// OAuth `error`.
        error: String,
        /// OAuth `error_description`, quoted as Auth0 wrote it.
        description: String,
        /// What to try.
        help: String,
    },

    /// The management token may not read client secrets.
    #[error(
        "cannot read the client secret of `{app}`: the management token lacks `read:client_keys`"
    )]
    #[diagnostic(
        code(m2mctl::token::read_client_keys),
        help(
            "grant `read:client_keys` on the Management API to the client m2mctl authenticates as (AUTH0_CLIENT_ID), or use an AUTH0_ACCESS_TOKEN that has it"
        )
    )]
    MissingReadClientKeys {
        /// The application's key.
        app: String,
    },

    /// The tenant returned a client without a secret.
    #[error("the tenant returned no client secret for `{app}`")]
    #[diagnostic(
        code(m2mctl::token::no_secret),
        help(
            "if the client authenticates with a private key, say so in the config: `authentication: {{ method: private_key_jwt, keys: [...] }}`"
        )
    )]
    NoSecret {
        /// The application's key.
        app: String,
    },

    /// A `private_key_jwt` application has no key with a `private_key_file`.
    #[error(
        "`{app}` signs its tokens with a private key, and none of its keys has `private_key_file`"
    )]
    #[diagnostic(
        code(m2mctl::token::no_private_key),
        help(
            "add `private_key_file: PATH` (relative to the config file) to the key whose private half you hold, under `applications[].authentication.keys`"
        )
    )]
    NoPrivateKey {
        /// The application's key.
        app: String,
    },

    /// The private key file cannot be read or used.
    #[error("cannot use private key `{path}` of `{app}` (key `{key}`): {reason}")]
    #[diagnostic(code(m2mctl::token::private_key), help("{help}"))]
    PrivateKey {
        /// The application's key.
        app: String,
        /// The key's name in the config.
        key: String,
        /// The file as resolved.
        path: String,
        /// Why (never the key).
        reason: String,
        /// What to do.
        help: String,
    },

    /// Two outputs would get the same environment variable name (should not happen; see envname).
    #[error("environment variable name `{name}` would be used twice")]
    #[diagnostic(
        code(m2mctl::token::env_collision),
        help("rename one of the application keys, or use `--format json`")
    )]
    EnvCollision {
        /// The name.
        name: String,
    },

    /// Writing to stdout failed.
    #[error("cannot write the output")]
    #[diagnostic(code(m2mctl::token::output))]
    Output(#[source] std::io::Error),

    /// Any other failure talking to the tenant (already worded by the tenant client).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Tenant(Box<dyn Diagnostic + Send + Sync + 'static>),
}

/// The help line for an unknown application: the closest key or name, else the known keys.
pub(super) fn unknown_app_help<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.into_iter().collect();
    let best = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!("did you mean `{k}`?"),
        None if known.is_empty() => "the config declares no applications".to_string(),
        None => format!(
            "the config declares: {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_app_help_suggests_or_lists() {
        let cases = [
            (
                "biling",
                vec!["billing", "reports"],
                "did you mean `billing`?",
            ),
            (
                "zzz",
                vec!["billing", "reports"],
                "the config declares: `billing`, `reports`",
            ),
            ("x", vec![], "the config declares no applications"),
        ];
        for (name, known, want) in cases {
            assert_eq!(unknown_app_help(name, known), want, "{name}");
        }
    }
}
