//! Whether an address serves a given tenant: its OpenID discovery document names the issuer.
//!
//! Owns that one probe (the local tenant's `m2mctl emulator --state` check: plain http, or https
//! when `--ca-cert` trusts the certificate). Any failure is "no"; must not send anything else.

use std::time::Duration;

use super::{Options, load_ca};
use crate::emulator::discovery;

/// How long the probe waits for the discovery document.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// True when `origin` answers a discovery document with `issuer`.
pub async fn serves(origin: &str, issuer: &str, options: &Options) -> bool {
    let mut builder = reqwest::Client::builder().timeout(PROBE_TIMEOUT);
    if origin.starts_with("https://") {
        let Some(Ok(certs)) = options.ca_cert.as_deref().map(load_ca) else {
            return false;
        };
        builder = builder.tls_certs_merge(certs);
    }
    let Ok(http) = builder.build() else {
        return false;
    };
    let Ok(response) = http
        .get(format!("{origin}{}", discovery::PATH))
        .send()
        .await
    else {
        return false;
    };
    match response.json::<serde_json::Value>().await {
        Ok(doc) => doc["issuer"] == issuer,
        Err(_) => false,
    }
}
