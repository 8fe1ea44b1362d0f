//! The desired states both tools are given, written as each tool's input: the m2mctl config
//! (from the shared seed helpers) and the deploy CLI's `tenant.yaml` and `config.json`.
//!
//! Owns the file contents. Must not run anything. The two inputs describe the same objects:
//! `apis` custom APIs (`read:data`, `write:data`), `apps` M2M applications `app-NNNNN`, each with
//! one grant to API `i % apis`; the "changed" variant adds `write:data` to every 10th grant.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::seed::Shape;

/// Which variant of the desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// Every grant `[read:data]`.
    Base,
    /// Every 10th application's grant also gets `write:data` (10% of the grants change).
    Changed,
}

impl Variant {
    fn widened(self) -> impl Fn(usize) -> bool {
        move |i| self == Variant::Changed && i % 10 == 0
    }
    fn suffix(self) -> &'static str {
        match self {
            Variant::Base => "base",
            Variant::Changed => "changed",
        }
    }
}

/// Grants the changed variant modifies among `apps` applications.
pub(crate) fn changed_grants(apps: usize) -> usize {
    apps.div_ceil(10)
}

/// Writes the m2mctl config for `shape`/`variant` into `dir`; returns its path.
pub(crate) fn m2mctl_config(
    dir: &Path,
    shape: &Shape,
    variant: Variant,
) -> Result<PathBuf, String> {
    let path = dir.join(format!("m2mctl-{}.yaml", variant.suffix()));
    let text = shape.config_yaml_with("${AUTH0_DOMAIN}", variant.widened());
    write(&path, &text)?;
    Ok(path)
}

/// Writes the deploy CLI's `tenant.yaml` (see research/a0deploy-measured.md §1) for
/// `shape`/`variant` into `dir`; returns its path.
pub(crate) fn deploy_tenant_yaml(
    dir: &Path,
    shape: &Shape,
    variant: Variant,
) -> Result<PathBuf, String> {
    let path = dir.join(format!("tenant-{}.yaml", variant.suffix()));
    let mut y = String::from("resourceServers:\n");
    for i in 0..shape.apis {
        let _ = write!(
            y,
            "  - name: Bench API {i}\n    identifier: {}\n    scopes:\n      - value: read:data\n        description: Read data\n      - value: write:data\n        description: Write data\n",
            shape.api_identifier(i)
        );
    }
    y.push_str("clients:\n");
    for i in 0..shape.apps {
        let _ = write!(
            y,
            "  - name: {}\n    app_type: non_interactive\n    grant_types:\n      - client_credentials\n",
            shape.app_key(i)
        );
    }
    y.push_str("clientGrants:\n");
    for i in 0..shape.apps {
        let _ = write!(
            y,
            "  - client_id: {}\n    audience: {}\n    scope: {}\n",
            shape.app_key(i),
            shape.api_identifier(i % shape.apis),
            shape.grant_scopes(i, variant.widened())
        );
    }
    write(&path, &y)?;
    Ok(path)
}

/// Writes the deploy CLI's `config.json` for a tenant at `domain`; returns its path. Deletions
/// stay off (`AUTH0_ALLOW_DELETE` unset) and only the three resource types are handled.
pub(crate) fn deploy_config(
    dir: &Path,
    domain: &str,
    id: &str,
    secret: &str,
) -> Result<PathBuf, String> {
    let path = dir.join(format!("a0deploy-{}.json", domain.replace([':', '.'], "_")));
    let config = serde_json::json!({
        "AUTH0_DOMAIN": domain,
        "AUTH0_CLIENT_ID": id,
        "AUTH0_CLIENT_SECRET": secret,
        "AUTH0_INCLUDED_ONLY": ["clients", "clientGrants", "resourceServers"],
    });
    write(&path, &config.to_string())?;
    Ok(path)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tools_get_the_same_objects_and_the_same_change() {
        let dir = tempfile::tempdir().unwrap();
        let shape = Shape::new(25, 3);
        for (variant, widened) in [(Variant::Base, 0), (Variant::Changed, changed_grants(25))] {
            let m = std::fs::read_to_string(m2mctl_config(dir.path(), &shape, variant).unwrap())
                .unwrap();
            let d =
                std::fs::read_to_string(deploy_tenant_yaml(dir.path(), &shape, variant).unwrap())
                    .unwrap();
            assert_eq!(m.matches("- name: app-").count(), 25);
            assert_eq!(d.matches("- name: app-").count(), 25);
            assert_eq!(d.matches("- client_id: app-").count(), 25);
            assert_eq!(m.matches("identifier: https://api-").count(), 3);
            assert_eq!(d.matches("identifier: https://api-").count(), 3);
            assert_eq!(
                m.matches("scopes: [read:data, write:data]").count(),
                widened
            );
            assert_eq!(d.matches("scope: [read:data, write:data]").count(), widened);
        }
        assert_eq!(changed_grants(25), 3);
    }
}
