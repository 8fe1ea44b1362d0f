//! Recognising a failed TLS handshake in a transport error, so it is reported at once instead
//! of being retried like a dropped connection.
//!
//! Owns [`handshake_failure`]: it walks an error's source chain for the `rustls::Error` that
//! reqwest wraps (inside nested `std::io::Error`s, whose `source()` skips it) and tells an untrusted
//! certificate from other handshake failures, with the help line for each. A handshake failure
//! is deterministic: the same certificate is refused on every attempt. Pure: no I/O.

use std::error::Error as StdError;

/// A TLS handshake that cannot succeed by retrying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandshakeFailure {
    /// rustls' description, e.g. `invalid peer certificate: UnknownIssuer`.
    pub reason: String,
    /// The server's certificate was refused (rather than the protocol failing).
    pub certificate: bool,
}

impl HandshakeFailure {
    /// What the user can do about it.
    pub(super) fn help(&self, host: &str) -> String {
        if self.certificate {
            format!(
                "`{host}` presented a certificate that is not trusted: pass its CA certificate with `--ca-cert FILE` or `M2MCTL_CA_CERT=FILE` (for `m2mctl emulator --tls`, the file written by its `--cert-out`)"
            )
        } else {
            format!(
                "check that `{host}` serves HTTPS on this port; for a private CA pass `--ca-cert FILE` or `M2MCTL_CA_CERT=FILE`"
            )
        }
    }
}

/// The TLS handshake failure somewhere in `err`'s source chain, if there is one.
pub(crate) fn handshake_failure(err: &(dyn StdError + 'static)) -> Option<HandshakeFailure> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(tls) = as_rustls(e) {
            return Some(HandshakeFailure {
                reason: tls.to_string(),
                certificate: matches!(
                    tls,
                    rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
                ),
            });
        }
        current = e.source();
    }
    None
}

/// `e` itself, or the error carried by `io::Error`s nested in it (reqwest's connector wraps
/// tokio-rustls' `InvalidData` error in another `io::Error`), as a rustls error.
fn as_rustls<'e>(e: &'e (dyn StdError + 'static)) -> Option<&'e rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    as_rustls(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outer error with a source, like reqwest's and hyper's wrappers.
    #[derive(Debug)]
    struct Wrapped(Box<dyn StdError + Send + Sync>);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("error sending request")
        }
    }

    impl StdError for Wrapped {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.0)
        }
    }

    /// As reqwest 0.13 reports it: `Other` around tokio-rustls' `InvalidData` around rustls.
    fn in_io(e: rustls::Error) -> Wrapped {
        let handshake = std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        Wrapped(Box::new(std::io::Error::other(handshake)))
    }

    #[test]
    fn handshake_failures_are_found_through_io_errors_and_classified() {
        let unknown = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let found = handshake_failure(&in_io(unknown)).expect("found");
        assert!(found.certificate);
        assert!(found.reason.contains("UnknownIssuer"), "{}", found.reason);
        assert!(found.help("h:1").contains("--ca-cert FILE"));
        assert!(found.help("h:1").contains("M2MCTL_CA_CERT"));
        assert!(found.help("h:1").contains("--cert-out"));

        let corrupt = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        let found = handshake_failure(&in_io(corrupt)).expect("found");
        assert!(!found.certificate);
        assert!(found.help("h:1").contains("serves HTTPS"));

        let direct = rustls::Error::NoCertificatesPresented;
        let wrapped = Wrapped(Box::new(direct));
        assert!(handshake_failure(&wrapped).expect("found").certificate);
    }

    #[test]
    fn transport_failures_are_not_handshake_failures() {
        for kind in [
            std::io::ErrorKind::ConnectionRefused,
            std::io::ErrorKind::ConnectionReset,
            std::io::ErrorKind::TimedOut,
        ] {
            let e = Wrapped(Box::new(std::io::Error::from(kind)));
            assert_eq!(handshake_failure(&e), None, "{kind:?}");
        }
    }
}
