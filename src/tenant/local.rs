//! Connecting to the tenant a config names: a remote tenant with `AUTH0_*` credentials, or the
//! embedded local tenant started in-process.
//!
//! Owns [`connect`] and the [`Connection`] that keeps a local emulator alive until
//! [`Connection::close`] flushes its state. Reads the `AUTH0_*` variables only through
//! [`Credentials::from_env`]. Must not print anything but the one line saying the local tenant
//! is in use.

use std::path::Path;

use super::error::{Error, Result};
use super::{Client, Credentials, Options, TenantUrl};
use crate::cli::TenantArgs;
use crate::model::Domain;

/// Where the local tenant keeps its state, relative to the config's directory.
pub const LOCAL_STATE_FILE: &str = ".m2mctl/local-tenant.json";

/// A connected tenant; for the local tenant it also owns the running emulator.
#[derive(Debug)]
pub struct Connection {
    client: Client,
}

impl Connection {
    /// The Management API client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Shuts the connection down (for the local tenant: stops the emulator, flushing its state).
    pub async fn close(self) -> Result<()> {
        Ok(())
    }
}

/// Connects to `domain`: a remote tenant with credentials from the environment, or the embedded
/// local tenant with its state in `<config_dir>/.m2mctl/local-tenant.json`.
pub async fn connect(domain: &Domain, args: &TenantArgs, config_dir: &Path) -> Result<Connection> {
    let options = Options::from_args(args);
    match domain {
        Domain::Remote(input) => {
            let url = TenantUrl::parse(input)?;
            let credentials = Credentials::from_env(url.authority())?;
            let client = Client::connect(url, credentials, &options).await?;
            Ok(Connection { client })
        }
        Domain::Local => Err(Error::Local(format!(
            "cannot start the embedded tenant for `{}` yet",
            config_dir.join(LOCAL_STATE_FILE).display()
        ))),
    }
}
