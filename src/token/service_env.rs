//! What `credentials --format env` and `token --format env` add so that a service started from
//! them works without reading docs: the tenant (`AUTH0_DOMAIN`, `AUTH0_ISSUER`, `AUTH0_TOKEN_URL`)
//! and each (application, API) pair's audience (`M2M_<APP>_<API>_AUDIENCE`, named per
//! [`envname`](super::envname)).
//!
//! Formatting only: no I/O, no secret (domains, URLs and audiences are not secrets).

use super::TokenError;
use super::envname;
use super::output::shell_quote;

/// The tenant as a service sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantEnv {
    /// `host[:port]` (what Auth0 SDKs take as the domain).
    pub domain: String,
    /// `https://host[:port]/`: the `iss` of the tokens, and where discovery is.
    pub issuer: String,
    /// `https://host[:port]/oauth/token` (`http://` for a local tenant served over plain HTTP).
    pub token_url: String,
}

/// `# tenant` and the three `export` lines.
pub fn tenant_lines(tenant: &TenantEnv) -> String {
    format!(
        "# tenant\nexport AUTH0_DOMAIN={}\nexport AUTH0_ISSUER={}\nexport AUTH0_TOKEN_URL={}\n",
        shell_quote(&tenant.domain),
        shell_quote(&tenant.issuer),
        shell_quote(&tenant.token_url)
    )
}

/// `export M2M_<APP>_<API>_AUDIENCE=…` per `(app key, API label, audience)`, under `# audiences`.
pub fn audience_lines(pairs: &[(&str, &str, &str)]) -> Result<String, TokenError> {
    if pairs.is_empty() {
        return Ok(String::new());
    }
    let names = envname::pair_names(pairs, "AUDIENCE")?;
    let mut out = String::from("# audiences\n");
    for (name, (_, _, audience)) in names.iter().zip(pairs) {
        out.push_str(&format!("export {name}={}\n", shell_quote(audience)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_and_audience_lines() {
        let tenant = TenantEnv {
            domain: "127.0.0.1:8443".into(),
            issuer: "https://127.0.0.1:8443/".into(),
            token_url: "http://127.0.0.1:8443/oauth/token".into(),
        };
        assert_eq!(
            tenant_lines(&tenant),
            "# tenant\nexport AUTH0_DOMAIN='127.0.0.1:8443'\nexport AUTH0_ISSUER='https://127.0.0.1:8443/'\nexport AUTH0_TOKEN_URL='http://127.0.0.1:8443/oauth/token'\n"
        );
        let pairs = [
            (
                "billing",
                "https://orders.example.com/",
                "https://orders.example.com/",
            ),
            ("billing", "management", "https://127.0.0.1:8443/api/v2/"),
        ];
        assert_eq!(
            audience_lines(&pairs).unwrap(),
            "# audiences\nexport M2M_BILLING_ORDERS_EXAMPLE_COM_AUDIENCE='https://orders.example.com/'\nexport M2M_BILLING_MANAGEMENT_AUDIENCE='https://127.0.0.1:8443/api/v2/'\n"
        );
        assert_eq!(audience_lines(&[]).unwrap(), "");
    }
}
