//! Tenant addresses: from what a user writes (`AUTH0_DOMAIN`, `tenant.domain`) to a base URL.
//!
//! Owns the https-only rule (plain `http://` only to loopback addresses) and the Management API
//! audience of a tenant. Pure: no DNS, no I/O.

use std::net::IpAddr;

use url::{Host, Url};

use super::error::{Error, Result};

/// Where a remote tenant is reached, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUrl {
    /// `scheme://host[:port]`, no trailing slash.
    origin: String,
    /// `host[:port]` (IPv6 in brackets).
    authority: String,
}

impl TenantUrl {
    /// Parses a domain as users write it.
    ///
    /// - `host[:port]` means `https://host[:port]`;
    /// - `https://host[:port]` (an optional trailing `/`) is accepted;
    /// - `http://host[:port]` only when `host` is loopback (127.0.0.0/8, ::1, localhost).
    pub fn parse(input: &str) -> Result<TenantUrl> {
        let trimmed = input.trim();
        let fail = |reason: &str| Error::Domain {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if trimmed.is_empty() {
            return Err(fail("it is empty"));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| fail(&e.to_string()))?;
        let host = url.host().ok_or_else(|| fail("it has no host"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(fail("it must not contain a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(fail("it must not contain a query or fragment"));
        }
        if url.path() != "/" && !url.path().is_empty() {
            return Err(fail(
                "it must be the tenant's address only, without a path such as `/api/v2`",
            ));
        }
        let host_str = match &host {
            Host::Domain(d) => d.to_string(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => format!("[{ip}]"),
        };
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => return Err(Error::InsecureDomain { host: host_str }),
            other => return Err(fail(&format!("unsupported scheme `{other}`"))),
        }
        let authority = match url.port() {
            Some(port) => format!("{host_str}:{port}"),
            None => host_str,
        };
        Ok(TenantUrl {
            origin: format!("{}://{authority}", url.scheme()),
            authority,
        })
    }

    /// `scheme://host[:port]`, no trailing slash.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `host[:port]`: the tenant's name in messages and cache keys.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// True for plain http (loopback only).
    pub fn is_plain_http(&self) -> bool {
        self.origin.starts_with("http://")
    }

    /// The Management API audience: `https://{host[:port]}/api/v2/`, https even for a loopback
    /// emulator served over http (that is what the emulator's tokens carry).
    pub fn management_audience(&self) -> String {
        crate::auth0::management_identifier(&self.authority)
    }

    /// The token issuer written into `iss`: `https://{host[:port]}/` (Auth0), or `http://…/` for a
    /// loopback emulator served over plain HTTP (its `iss` follows the scheme it is served on).
    pub fn issuer(&self) -> String {
        format!("{}/", self.origin)
    }

    /// Absolute URL of an already-encoded path starting with `/`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }
}

/// Refuses to send the `AUTH0_*` credentials to `config`'s tenant when `AUTH0_DOMAIN`
/// (`env_domain`) names another host (or cannot be parsed), unless `allow`. The same host and
/// port written differently (`https://`, a trailing `/`, letter case) is the same tenant.
pub fn check_override(env_domain: Option<&str>, config: &TenantUrl, allow: bool) -> Result<()> {
    let Some(env) = env_domain.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    let same = TenantUrl::parse(env).is_ok_and(|e| e.authority == config.authority);
    if same || allow {
        return Ok(());
    }
    Err(Error::DomainOverride {
        env: crate::sanitize::control(env).into_owned(),
        config: config.origin.clone(),
    })
}

/// 127.0.0.0/8, ::1 (and IPv4-mapped loopback) or `localhost`.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_domains_table() {
        let cases = [
            (
                "acme.eu.auth0.com",
                "https://acme.eu.auth0.com",
                "acme.eu.auth0.com",
            ),
            (
                "  acme.auth0.com  ",
                "https://acme.auth0.com",
                "acme.auth0.com",
            ),
            (
                "https://acme.auth0.com/",
                "https://acme.auth0.com",
                "acme.auth0.com",
            ),
            (
                "https://acme.auth0.com:8443",
                "https://acme.auth0.com:8443",
                "acme.auth0.com:8443",
            ),
            (
                "https://acme.auth0.com:443",
                "https://acme.auth0.com",
                "acme.auth0.com",
            ),
            ("127.0.0.1:8443", "https://127.0.0.1:8443", "127.0.0.1:8443"),
            (
                "http://127.0.0.1:3000",
                "http://127.0.0.1:3000",
                "127.0.0.1:3000",
            ),
            (
                "http://127.1.2.3:3000/",
                "http://127.1.2.3:3000",
                "127.1.2.3:3000",
            ),
            (
                "http://localhost:3000",
                "http://localhost:3000",
                "localhost:3000",
            ),
            ("http://[::1]:3000", "http://[::1]:3000", "[::1]:3000"),
            (
                "HTTPS://Acme.Auth0.com",
                "https://acme.auth0.com",
                "acme.auth0.com",
            ),
        ];
        for (input, origin, authority) in cases {
            let t = TenantUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(t.origin(), origin, "{input}");
            assert_eq!(t.authority(), authority, "{input}");
        }
    }

    #[test]
    fn refused_domains_table() {
        let cases = [
            ("", "empty"),
            ("http://acme.auth0.com", "refusing plain `http://`"),
            ("http://10.0.0.1:3000", "refusing plain `http://`"),
            ("http://localhost.evil.com", "refusing plain `http://`"),
            ("https://acme.auth0.com/api/v2", "without a path"),
            ("ftp://acme.auth0.com", "unsupported scheme"),
            ("https://user:pw@acme.auth0.com", "user name"),
            ("https://acme.auth0.com/?x=1", "query"),
            ("acme auth0.com", "invalid"),
        ];
        for (input, needle) in cases {
            let err = TenantUrl::parse(input).expect_err(input).to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn credentials_go_only_to_the_tenant_auth0_domain_names_table() {
        let config = TenantUrl::parse("prod.eu.auth0.com").unwrap();
        let cases = [
            (None, false, true),
            (Some(""), false, true),
            (Some("prod.eu.auth0.com"), false, true),
            (Some("https://PROD.eu.auth0.com/"), false, true),
            (Some("prod.eu.auth0.com:443"), false, true),
            (Some("evil.example"), false, false),
            (Some("prod.eu.auth0.com:8443"), false, false),
            (Some("local"), false, false),
            (Some("http://nope.example"), false, false),
            (Some("evil.example"), true, true),
        ];
        for (env, allow, ok) in cases {
            let got = check_override(env, &config, allow);
            assert_eq!(got.is_ok(), ok, "{env:?} allow={allow}: {got:?}");
            if let Err(e) = got {
                let text = e.to_string();
                assert!(text.contains("prod.eu.auth0.com"), "{text}");
                assert!(text.contains(env.unwrap()), "{text}");
            }
        }
    }

    #[test]
    fn audience_is_https_and_issuer_follows_the_scheme_for_loopback_http() {
        let t = TenantUrl::parse("http://127.0.0.1:4000").unwrap();
        assert_eq!(t.management_audience(), "https://127.0.0.1:4000/api/v2/");
        assert_eq!(t.issuer(), "http://127.0.0.1:4000/");
        let tls = TenantUrl::parse("https://127.0.0.1:4000/").unwrap();
        assert_eq!(tls.issuer(), "https://127.0.0.1:4000/");
        assert!(t.is_plain_http());
        assert_eq!(
            t.url("/api/v2/clients"),
            "http://127.0.0.1:4000/api/v2/clients"
        );
        let real = TenantUrl::parse("acme.auth0.com").unwrap();
        assert_eq!(real.management_audience(), "https://acme.auth0.com/api/v2/");
    }
}
