//! Connecting to the tenant a config names: the command layer's decision between a remote tenant
//! (with the `AUTH0_*` credentials the settings stage read) and the embedded local tenant,
//! started in-process here (`tenant`, the HTTP client, never starts an emulator).
//!
//! Owns [`connect`] and the [`Connection`] that keeps a local emulator alive until
//! [`Connection::close`] flushes its state. One process at a time uses a local tenant: a second
//! one waits for the state's lock (up to [`LOCK_WAIT`], saying whom it waits for) rather than
//! losing writes. Must not read the environment (it takes [`TenantSettings`]) nor print anything
//! but the notices saying the local tenant is in use or awaited (a
//! [`NOTICE`](crate::ui::NOTICE): shown by default, hidden by `-q`).

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::emulator::{self, Emulator, EmulatorConfig};
use crate::fs::{self, Mode, Replace};
use crate::model::Domain;
use crate::settings::TenantSettings;
use crate::tenant::{self, Client, Credentials, Error, Options, Result, Secret, TenantUrl};

/// Where the local tenant keeps its state, relative to the config's directory.
pub const LOCAL_STATE_FILE: &str = ".m2mctl/local-tenant.json";

/// How long a second process waits for the local tenant another one is using.
pub const LOCK_WAIT: Duration = Duration::from_secs(300);
/// How often it looks again.
const LOCK_POLL: Duration = Duration::from_millis(100);

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

/// Connects to `domain`: a remote tenant with the `AUTH0_*` credentials of `settings`, or the
/// embedded local tenant with its state in `<config_dir>/.m2mctl/local-tenant.json` (announced in
/// one line on stderr).
pub async fn connect(
    domain: &Domain,
    settings: &TenantSettings,
    config_dir: &Path,
) -> Result<Connection> {
    match domain {
        Domain::Remote(input) => {
            let url = TenantUrl::parse(input)?;
            // Before any request: a config must not redirect CI's credentials to another host.
            tenant::check_override(
                settings.env_domain.as_deref(),
                &url,
                settings.allow_domain_override,
            )?;
            let credentials = settings.credentials.resolve(url.authority())?;
            let client = Client::connect(url, credentials, &settings.options).await?;
            Ok(Connection {
                client,
                local: None,
            })
        }
        Domain::Local => connect_local(&settings.options, config_dir).await,
    }
}

/// Starts the emulator with `state`, on the port the state file was last served from when that
/// port is free, else on a new one. A stable port keeps the tenant's domain, and with it the
/// Management API audience, token issuer and token-cache keys, the same from run to run.
async fn spawn_local(state: &Path) -> std::result::Result<Emulator, emulator::Error> {
    let config = |port| {
        let mut c = EmulatorConfig::local(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        c.state = Some(state.to_path_buf());
        c
    };
    if let Some(port) = previous_port(state) {
        match emulator::spawn(config(port)).await {
            Err(emulator::Error::Bind { .. }) => {}
            other => return other,
        }
    }
    emulator::spawn(config(0)).await
}

/// [`spawn_local`], waiting up to `wait` while another process holds the state's lock.
async fn spawn_local_waiting(state: &Path, wait: Duration) -> Result<Emulator> {
    let started = Instant::now();
    let mut announced = false;
    loop {
        match spawn_local(state).await {
            Ok(emulator) => return Ok(emulator),
            Err(emulator::Error::StateLocked { holder, .. }) if started.elapsed() < wait => {
                if !announced {
                    tracing::info!(
                        target: crate::ui::NOTICE,
                        "waiting for {holder}, which is using the local tenant ({})",
                        state.display()
                    );
                    announced = true;
                }
                tokio::time::sleep(LOCK_POLL).await;
            }
            Err(emulator::Error::StateLocked { holder, .. }) => {
                return Err(Error::Local(format!(
                    "{holder} has used it for more than {} s (state: {}); let it finish or stop it, then run this again",
                    wait.as_secs(),
                    state.display()
                )));
            }
            Err(e) => return Err(Error::Local(format!("cannot start it: {e}"))),
        }
    }
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
/// An existing `.gitignore` (whatever it is) is left alone; one created meanwhile too.
fn keep_out_of_git(dir: &Path) -> Result<()> {
    let ignore = dir.join(".gitignore");
    if ignore.exists() {
        return Ok(());
    }
    let text = "# m2mctl's local tenant: holds client secrets, never commit it\n*\n";
    match fs::write(&ignore, text.as_bytes(), Mode::Public, Replace::Never) {
        Ok(()) | Err(fs::Error::Exists { .. }) => Ok(()),
        Err(e) => Err(Error::Local(e.to_string())),
    }
}

/// Starts the emulator on 127.0.0.1 (plain http) with its state beside the config, and
/// authenticates as its bootstrap application.
async fn connect_local(options: &Options, config_dir: &Path) -> Result<Connection> {
    let state = config_dir.join(LOCAL_STATE_FILE);
    if let Some(dir) = state.parent() {
        fs::make_private_dir(dir)
            .map_err(|e| Error::Local(format!("cannot create `{}`: {e}", dir.display())))?;
        keep_out_of_git(dir)?;
    }
    let shown = state.strip_prefix(".").unwrap_or(&state);
    // Another command's embedded tenant stops when that command ends: wait for its lock instead
    // of talking to it. A process serving the state (`m2mctl emulator --state`) is used.
    let served = !emulator::lockfile::last_holder_embedded(&state);
    if served && let Some(client) = super::local_served::connect(&state, options).await {
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
    emulator::lockfile::mark_embedded();
    let emulator = spawn_local_waiting(&state, LOCK_WAIT).await?;
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
    fn the_gitignore_is_written_once_and_never_over_something_else() {
        let dir = tempfile::tempdir().unwrap();
        let ignore = dir.path().join(".gitignore");
        keep_out_of_git(dir.path()).unwrap();
        let text = std::fs::read_to_string(&ignore).unwrap();
        assert!(text.ends_with("\n*\n"), "{text}");
        std::fs::write(&ignore, "mine\n").unwrap();
        keep_out_of_git(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&ignore).unwrap(), "mine\n");
        std::fs::remove_file(&ignore).unwrap();
        std::fs::create_dir(&ignore).unwrap();
        keep_out_of_git(dir.path()).unwrap();
        assert!(ignore.is_dir(), "a folder in its place is left alone");
    }

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
