//! Delivery of an application's credentials to where its service reads them: a `.env` file, a
//! command (Vault, a secrets manager CLI, `gh secret set`), a Kubernetes Secret manifest.
//!
//! Owns the sinks of `deliver:` (resolved against the config file's directory), delivering one
//! payload to each sink independently (a failed sink never stops the others), and the wording
//! of what was delivered or failed. Rendering is pure ([`render`]); the file and process I/O is
//! in [`sinks`]. Must not talk to the tenant (callers hand in the credentials) and must not
//! print or log a credential: only sinks receive one.

pub mod render;
pub mod sinks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use render::{Auth, Payload};

use crate::config::{ConfigFile, DeliverConfig};

/// Why one sink failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// `crate::fs` refused or failed the write.
    #[error(transparent)]
    File(Box<crate::fs::Error>),
    /// Creating the file's directory failed.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        /// The target.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading the existing `.env` file failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The target.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The command could not be started.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        /// argv[0].
        program: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The command ran and failed.
    #[error("`{program}` failed ({}){}", exit(*code), excerpt(stderr))]
    CommandFailed {
        /// argv[0].
        program: String,
        /// Its exit code (none when killed by a signal).
        code: Option<i32>,
        /// The end of its stderr, the delivered secret masked.
        stderr: String,
    },
    /// The command ran longer than its time limit and was killed.
    #[error("`{program}` did not finish within {seconds} s and was killed")]
    TimedOut {
        /// argv[0].
        program: String,
        /// The limit, in seconds.
        seconds: f64,
    },
    /// The credentials to deliver could not be read from the tenant.
    #[error("cannot read the credentials: {reason}")]
    Fetch {
        /// The tenant's error, as shown to users.
        reason: String,
    },
    /// A command sink with no program.
    #[error("the delivery command is empty")]
    EmptyCommand,
    /// Environment variable names could not be made.
    #[error(transparent)]
    Names(Box<crate::token::TokenError>),
}

fn exit(code: Option<i32>) -> String {
    code.map_or_else(|| "killed by a signal".into(), |c| format!("exit code {c}"))
}

fn excerpt(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

impl From<crate::token::TokenError> for DeliverError {
    fn from(e: crate::token::TokenError) -> DeliverError {
        DeliverError::Names(Box::new(e))
    }
}

/// One place credentials go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// A `.env` file.
    Dotenv(PathBuf),
    /// A program and arguments, run in the config file's directory.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
        /// Working directory.
        cwd: PathBuf,
    },
    /// A Kubernetes Secret manifest.
    KubernetesSecret {
        /// `metadata.namespace`.
        namespace: String,
        /// `metadata.name`.
        name: String,
        /// The manifest file.
        file: PathBuf,
    },
}

impl Sink {
    /// `dotenv secrets/app.env`, `command vault kv put …`, `kubernetes_secret payments/app (k8s/app.yaml)`.
    pub fn describe(&self) -> String {
        match self {
            Sink::Dotenv(path) => format!("dotenv {}", path.display()),
            Sink::Command { argv, .. } => format!("command `{}`", argv.join(" ")),
            Sink::KubernetesSecret {
                namespace,
                name,
                file,
            } => format!("kubernetes_secret {namespace}/{name} ({})", file.display()),
        }
    }
}

/// The sinks of every application that has some, by application key; paths are resolved
/// against `base` (the config file's directory).
pub fn sinks_by_app(config: &ConfigFile, base: &Path) -> BTreeMap<String, Vec<Sink>> {
    let join = |p: &str| {
        if base == Path::new(".") {
            PathBuf::from(p)
        } else {
            base.join(p)
        }
    };
    let mut out = BTreeMap::new();
    for app in &config.applications {
        if app.deliver.is_empty() {
            continue;
        }
        let key = app.key.as_ref().unwrap_or(&app.name).value.clone();
        let sinks = app
            .deliver
            .iter()
            .map(|d| match d {
                DeliverConfig::Dotenv(path) => Sink::Dotenv(join(&path.value)),
                DeliverConfig::Command(argv) => Sink::Command {
                    argv: argv.iter().map(|a| a.value.clone()).collect(),
                    cwd: base.to_path_buf(),
                },
                DeliverConfig::KubernetesSecret(k) => Sink::KubernetesSecret {
                    namespace: k.namespace.value.clone(),
                    name: k.name.value.clone(),
                    file: join(&k.file.value),
                },
            })
            .collect();
        out.insert(key, sinks);
    }
    out
}

/// Delivers `payload` to one sink.
pub fn deliver_one(payload: &Payload, sink: &Sink) -> Result<(), DeliverError> {
    match sink {
        Sink::Dotenv(path) => {
            // Refuse a FIFO or device before reading it (reading one would block or leak).
            crate::fs::check(path, crate::fs::Mode::Private)
                .map_err(|e| DeliverError::File(Box::new(e)))?;
            let existing = sinks::read_existing(path)?;
            let merged = render::merge_dotenv(&existing, &render::env_entries(payload)?);
            sinks::write_private(path, merged.as_bytes())
        }
        Sink::Command { argv, cwd } => sinks::run_command(
            argv,
            cwd,
            &render::payload_json(payload),
            payload.auth.secret().map_or("", |s| s.expose()),
            sinks::COMMAND_TIMEOUT,
        ),
        Sink::KubernetesSecret {
            namespace,
            name,
            file,
        } => {
            let text = render::kubernetes_secret(payload, namespace, name);
            sinks::write_private(file, text.as_bytes())
        }
    }
}

/// The result of delivering to one sink.
#[derive(Debug)]
pub struct Outcome {
    /// The application's key.
    pub app: String,
    /// [`Sink::describe`].
    pub sink: String,
    /// What happened.
    pub result: Result<(), DeliverError>,
}

impl Outcome {
    /// `delivered ledger-sync -> dotenv secrets/ledger-sync.env` or
    /// `error: delivery of ledger-sync -> command `vault …` failed: …`.
    pub fn line(&self) -> String {
        match &self.result {
            Ok(()) => format!("delivered {} -> {}", self.app, self.sink),
            Err(e) => format!(
                "error: delivery of {} -> {} failed: {e}",
                self.app, self.sink
            ),
        }
    }
}

/// Delivers `payload` to every sink, each independently, in order.
pub fn deliver_all(payload: &Payload, sinks: &[Sink]) -> Vec<Outcome> {
    sinks
        .iter()
        .map(|sink| Outcome {
            app: payload.app.to_string(),
            sink: sink.describe(),
            result: deliver_one(payload, sink),
        })
        .collect()
}

/// The closing lines after deliveries: nothing when all succeeded, else each failure again and
/// how to deliver again.
pub fn failure_summary(outcomes: &[Outcome]) -> Option<String> {
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    if failed.is_empty() {
        return None;
    }
    let mut apps: Vec<&str> = failed.iter().map(|o| o.app.as_str()).collect();
    apps.dedup();
    let mut out = format!(
        "error: {} of {} deliveries failed:\n",
        failed.len(),
        outcomes.len()
    );
    for o in &failed {
        out.push_str(&format!("  {}\n", o.line().trim_start_matches("error: ")));
    }
    out.push_str(&format!(
        "help: fix the sink, then deliver the current credentials again with `m2mctl credentials {} --deliver`\n",
        apps.join(" ")
    ));
    Some(out)
}

#[cfg(test)]
mod tests;
