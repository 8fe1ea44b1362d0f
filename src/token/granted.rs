//! Drift between the config and the tenant's grants, as `token` reports it.
//!
//! Owns the wording of the one warning per application whose tenant grant holds other scopes
//! than the config declares (an unapplied change): tokens carry what the tenant grants, so that
//! is what `token` serves and caches. Pure: returns lines, prints nothing.

use std::collections::{BTreeMap, BTreeSet};

use super::{Pair, scope_string};

/// One line per application whose granted scopes differ from the declared ones, in pair order.
pub fn drift_warnings(pairs: &[Pair]) -> Vec<String> {
    let mut by_app: BTreeMap<&str, (usize, Vec<String>)> = BTreeMap::new();
    for (index, pair) in pairs.iter().enumerate() {
        if pair.scopes == pair.tenant_scopes {
            continue;
        }
        let missing: BTreeSet<String> = pair
            .scopes
            .difference(&pair.tenant_scopes)
            .cloned()
            .collect();
        let extra: BTreeSet<String> = pair
            .tenant_scopes
            .difference(&pair.scopes)
            .cloned()
            .collect();
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("not granted yet: {}", scope_string(&missing)));
        }
        if !extra.is_empty() {
            parts.push(format!(
                "granted but not in the config: {}",
                scope_string(&extra)
            ));
        }
        by_app
            .entry(pair.app_key.as_str())
            .or_insert((index, Vec::new()))
            .1
            .push(format!("{} ({})", pair.api_label(), parts.join("; ")));
    }
    let mut lines: Vec<(usize, String)> = by_app
        .into_iter()
        .map(|(app, (index, apis))| {
            (
                index,
                format!(
                    "`{app}`: the tenant's grant differs from the config for {}; tokens carry the tenant's scopes until `m2mctl apply`",
                    apis.join(", ")
                ),
            )
        })
        .collect();
    lines.sort();
    lines.into_iter().map(|(_, line)| line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApiRef, AuthMethod};
    use crate::token::scope_set;

    fn pair(app: &str, api: &str, declared: &str, granted: &str) -> Pair {
        Pair {
            app_key: app.into(),
            app_name: app.into(),
            client_id: format!("cid-{app}"),
            auth_method: AuthMethod::ClientSecretPost,
            api: ApiRef::Identifier(api.into()),
            audience: api.into(),
            scopes: scope_set(declared),
            tenant_scopes: scope_set(granted),
            lifetime: None,
            signing: None,
            organization: None,
        }
    }

    #[test]
    fn one_line_per_drifted_app_naming_each_api_and_the_scopes() {
        let pairs = [
            pair("zeta", "https://a/", "r w", "r"),
            pair("zeta", "https://b/", "x", "x y"),
            pair("alpha", "https://a/", "r", "r"),
            pair("beta", "https://a/", "r", "w"),
        ];
        assert_eq!(
            drift_warnings(&pairs),
            [
                "`zeta`: the tenant's grant differs from the config for https://a/ (not granted yet: w), https://b/ (granted but not in the config: y); tokens carry the tenant's scopes until `m2mctl apply`",
                "`beta`: the tenant's grant differs from the config for https://a/ (not granted yet: r; granted but not in the config: w); tokens carry the tenant's scopes until `m2mctl apply`",
            ]
        );
    }

    #[test]
    fn no_warning_when_the_tenant_matches() {
        assert!(drift_warnings(&[pair("a", "https://a/", "r w", "w r")]).is_empty());
    }
}
