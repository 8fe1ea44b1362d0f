//! The local tenant when another process already serves it: `m2mctl emulator --state
//! .m2mctl/local-tenant.json` keeps it on a fixed address for services, and commands of a
//! `domain: local` config then talk to that process instead of starting a second emulator on the
//! same state file.
//!
//! Owns the probe: something listens on the port the state file was last served from, its
//! discovery document names that address as issuer, and the state's bootstrap credentials get a
//! token there (secrets are random per state, so that proves it is this tenant). Any failure
//! means "not served elsewhere" and the caller starts the embedded emulator as before. Must not
//! write the state file.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use super::local_tenant::previous_port;
use crate::tenant::{Client, Credentials, Options, Secret, TenantUrl, serves};

/// A client of the process serving `state`, if one does (plain http, or https when `--ca-cert`
/// trusts its certificate).
pub(super) async fn connect(state: &Path, options: &Options) -> Option<Client> {
    let port = previous_port(state)?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    tokio::net::TcpStream::connect(addr).await.ok()?;
    let tenant = crate::emulator::persist::load(state).ok()??;
    let id = tenant.bootstrap_client_id.clone();
    let secret = tenant.clients.get(&id)?.str("client_secret")?.to_string();
    for scheme in ["http", "https"] {
        let origin = format!("{scheme}://127.0.0.1:{port}");
        let issuer = format!("{origin}/");
        if !serves(&origin, &issuer, options).await {
            continue;
        }
        let url = TenantUrl::parse(&origin).ok()?;
        let credentials = Credentials::ClientCredentials {
            client_id: id.clone(),
            client_secret: Secret::new(secret.clone()),
        };
        match Client::connect(url, credentials, options).await {
            Ok(client) => return Some(client),
            Err(e) => {
                tracing::debug!("the process on {origin} does not serve this local tenant: {e}");
                return None;
            }
        }
    }
    None
}
