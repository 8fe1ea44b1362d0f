//! Connecting to the tenant a config names: a remote tenant with `AUTH0_*` credentials, or the
//! embedded local tenant started in-process.
//!
//! Owns [`connect`] and the [`Connection`] that keeps a local emulator alive until
//! [`Connection::close`] flushes its state. Reads the `AUTH0_*` variables only through
//! [`Credentials::from_env`]. Must not print anything but the one notice saying the local
//! tenant is in use (a [`NOTICE`](crate::ui::NOTICE): shown by default, hidden by `-q`).

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use super::error::{Error, Result};
use super::{Client, Credentials, Options, Secret, TenantUrl};
use crate::cli::TenantArgs;
use crate::emulator::{self, Emulator, EmulatorConfig};
use crate::model::Domain;

/// Where the local tenant keeps its state, relative to the config's directory.
pub const LOCAL_STATE_FILE: &str = ".m2mctl/local-tenant.json";

/// A connected tenant; for the local tenant it also owns the running emulator.
pub struct Connection {
    client: Client,
    local: Option<Emulator>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("tenant", &self.client.tenant().origin())
            .field("local", &self.local.is_some())
            .finish()
    }
}

impl Connection {
    /// The Management API client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// True for the embedded local tenant.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// Shuts the connection down; for the local tenant, stops the emulator gracefully and makes
    /// sure its state file holds every write.
    pub async fn close(self) -> Result<()> {
        match self.local {
            Some(emulator) => emulator
                .shutdown()
                .await
                .map_err(|e| Error::Local(format!("cannot save the local tenant: {e}"))),
            None => Ok(()),
        }
    }
}

/// Connects to `domain`: a remote tenant with credentials from the environment, or the embedded
/// local tenant with its state in `<config_dir>/.m2mctl/local-tenant.json` (announced in one
/// line on stderr).
pub async fn connect(domain: &Domain, args: &TenantArgs, config_dir: &Path) -> Result<Connection> {
    let options = Options::from_args(args);
    match domain {
        Domain::Remote(input) => {
            let url = TenantUrl::parse(input)?;
            // Before any request: a config must not redirect CI's credentials to another host.
            let env_domain = std::env::var(crate::cli::env::AUTH0_DOMAIN).ok();
            super::domain::check_override(env_domain.as_deref(), &url, args.allow_domain_override)?;
            let credentials = Credentials::from_env(url.authority())?;
            let client = Client::connect(url, credentials, &options).await?;
            Ok(Connection {
                client,
                local: None,
            })
        }
        Domain::Local => connect_local(&options, config_dir).await,
    }
}

/// Starts the emulator with `state`, on the port the state file was last served from when that
/// port is free, else on a new one. A stable port keeps the tenant's domain, and with it the
/// Management API audience, token issuer and token-cache keys, the same from run to run.
async fn spawn_local(state: &Path) -> Result<Emulator> {
    let config = |port| {
        let mut c = EmulatorConfig::local(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        c.state = Some(state.to_path_buf());
        c
    };
    if let Some(port) = previous_port(state) {
        match emulator::spawn(config(port)).await {
            Ok(emulator) => return Ok(emulator),
            Err(emulator::Error::Bind { .. }) => {}
            Err(e) => return Err(Error::Local(format!("cannot start it: {e}"))),
        }
    }
    emulator::spawn(config(0))
        .await
        .map_err(|e| Error::Local(format!("cannot start it: {e}")))
}

/// The port in the state file's `domain` (`127.0.0.1:PORT`), if it has one.
pub(super) fn previous_port(state: &Path) -> Option<u16> {
    let bytes = std::fs::read(state).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let domain = value.get("domain")?.as_str()?;
    let (host, port) = domain.rsplit_once(':')?;
    (host == "127.0.0.1")
        .then(|| port.parse().ok())
        .flatten()
        .filter(|p| *p != 0)
}

/// The local tenant's state holds client secrets (it is the tenant's database), and it sits
/// beside a config that lives in git: a `.gitignore` of `*` in its folder keeps it out of commits.
fn keep_out_of_git(dir: &Path) -> Result<()> {
    let ignore = dir.join(".gitignore");
    if ignore.exists() {
        return Ok(());
    }
    std::fs::write(
        &ignore,
        "# m2mctl's local tenant: holds client secrets, never commit it\n*\n",
    )
    .map_err(|e| Error::Local(format!("cannot write `{}`: {e}", ignore.display())))
}

/// Starts the emulator on 127.0.0.1 (plain http) with its state beside the config, and
/// authenticates as its bootstrap application.
async fn connect_local(options: &Options, config_dir: &Path) -> Result<Connection> {
    let state = config_dir.join(LOCAL_STATE_FILE);
    if let Some(dir) = state.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Local(format!("cannot create `{}`: {e}", dir.display())))?;
        keep_out_of_git(dir)?;
    }
    let shown = state.strip_prefix(".").unwrap_or(&state);
    if let Some(client) = super::local_served::connect(&state, options).await {
        tracing::info!(
            target: crate::ui::NOTICE,
            "using the local tenant served at {} (state: {})",
            client.tenant().origin(),
            shown.display()
        );
        return Ok(Connection {
            client,
            local: None,
        });
    }
    let emulator = spawn_local(&state).await?;
    tracing::info!(target: crate::ui::NOTICE, "using the local tenant (state: {})", shown.display());
    let credentials = Credentials::ClientCredentials {
        client_id: emulator.bootstrap_client_id().to_string(),
        client_secret: Secret::new(emulator.bootstrap_client_secret()),
    };
    let connected = match TenantUrl::parse(emulator.base_url()) {
        Ok(url) => Client::connect(url, credentials, options).await,
        Err(e) => Err(e),
    };
    match connected {
        Ok(client) => Ok(Connection {
            client,
            local: Some(emulator),
        }),
        Err(e) => {
            let _ = emulator.shutdown().await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_port_reads_the_state_files_domain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(previous_port(&path), None, "no file");
        let cases = [
            (r#"{"domain":"127.0.0.1:41234"}"#, Some(41234)),
            (r#"{"domain":"127.0.0.1:0"}"#, None),
            (r#"{"domain":"example.com:443"}"#, None),
            (r#"{"domain":"127.0.0.1"}"#, None),
            (r#"{"other":1}"#, None),
            ("not json", None),
        ];
        for (content, want) in cases {
            std::fs::write(&path, content).unwrap();
            assert_eq!(previous_port(&path), want, "{content}");
        }
    }
}
