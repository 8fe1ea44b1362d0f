//! TLS for the emulator: a self-signed certificate (SAN IP 127.0.0.1 + DNS localhost) made with
//! rcgen, or a certificate and key loaded from PEM files; served through rustls (aws-lc-rs).
//!
//! Owns certificates and the rustls server config. Must not serve connections (server.rs does).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use super::error::Error;

/// How the emulator speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain HTTP.
    #[default]
    Off,
    /// A fresh self-signed certificate, optionally written as PEM for clients to trust.
    SelfSigned {
        /// Where to write the certificate PEM.
        cert_out: Option<PathBuf>,
    },
    /// A given certificate chain and private key (PEM files).
    Files {
        /// Certificate chain PEM.
        cert: PathBuf,
        /// Private key PEM (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

/// A ready TLS setup: the acceptor, the certificate PEM and where it was written.
pub struct TlsSetup {
    /// Accepts TLS connections.
    pub acceptor: TlsAcceptor,
    /// The leaf certificate (PEM) clients should trust.
    pub cert_pem: String,
    /// The file holding it (`--cert-out` or `--cert`).
    pub cert_path: Option<PathBuf>,
}

fn tls_err(reason: impl Into<String>) -> Error {
    Error::Tls {
        reason: reason.into(),
    }
}

/// Builds the TLS setup for `mode` (`None` for plain HTTP). With `http2`, ALPN offers `h2` before
/// `http/1.1` (as Auth0 does); without, HTTP/1.1 only.
pub fn setup(mode: &TlsMode, http2: bool) -> Result<Option<TlsSetup>, Error> {
    let (certs, key, cert_pem, cert_path) = match mode {
        TlsMode::Off => return Ok(None),
        TlsMode::SelfSigned { cert_out } => {
            let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
            let made = rcgen::generate_simple_self_signed(names)
                .map_err(|e| tls_err(format!("cannot make a self-signed certificate: {e}")))?;
            let pem = made.cert.pem();
            if let Some(path) = cert_out {
                let (mode, replace) = (crate::fs::Mode::Public, crate::fs::Replace::Always);
                crate::fs::write(path, pem.as_bytes(), mode, replace)
                    .map_err(|e| tls_err(format!("cannot write the certificate: {e}")))?;
            }
            let key =
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
            (vec![made.cert.der().clone()], key, pem, cert_out.clone())
        }
        TlsMode::Files { cert, key } => {
            let pem = read(cert)?;
            let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    tls_err(format!(
                        "`{}` is not a PEM certificate: {e}",
                        cert.display()
                    ))
                })?;
            if certs.is_empty() {
                return Err(tls_err(format!(
                    "`{}` holds no certificate",
                    cert.display()
                )));
            }
            let key_pem = read(key)?;
            let key_der = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| {
                tls_err(format!("`{}` is not a PEM private key: {e}", key.display()))
            })?;
            (certs, key_der, pem, Some(cert.clone()))
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_err(format!("the certificate and key do not work together: {e}")))?;
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Some(TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem,
        cert_path,
    }))
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path)
        .map_err(|e| tls_err(format!("cannot read `{}`: {e}", path.display())))
}
