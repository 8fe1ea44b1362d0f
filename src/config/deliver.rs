//! Delivery rules: each application's `deliver:` sinks are usable before any secret exists.
//!
//! Owns the checks serde cannot express: a command names a program, Kubernetes names follow
//! Kubernetes' rules, paths are not empty, and no two applications write the same whole-file
//! sink (a Kubernetes manifest holds one application; `.env` files are shared on purpose).
//! Pure: no I/O (paths are not resolved or opened here).

use std::collections::HashMap;
use std::ops::Range;

use super::diagnostics::Finding;
use super::model::{ConfigFile, DeliverConfig, Sp};
use super::validate::Checker;

/// Checks every application's `deliver:` entries.
pub(crate) fn check(file: &ConfigFile, c: &mut Checker<'_>) {
    let mut manifests: HashMap<&str, Range<usize>> = HashMap::new();
    for app in &file.applications {
        for sink in &app.deliver {
            match sink {
                DeliverConfig::Dotenv(path) => non_empty(path, "dotenv", c),
                DeliverConfig::Command(argv) => command(argv, &app.name, c),
                DeliverConfig::KubernetesSecret(k) => {
                    non_empty(&k.file, "kubernetes_secret.file", c);
                    dns(&k.namespace, 63, false, "namespace", c);
                    dns(&k.name, 253, true, "name", c);
                    let at = c.at(&k.file);
                    if let Some(first) = manifests.get(k.file.value.as_str()) {
                        c.push(
                            Finding::new(
                                "config::shared_manifest",
                                format!("Kubernetes manifest `{}` is written twice", k.file.value),
                            )
                            .label(at, "written again here")
                            .label(first.clone(), "first written here")
                            .help("a Secret manifest holds one application's credentials; give each its own file"),
                        );
                    } else {
                        manifests.insert(k.file.value.as_str(), at);
                    }
                }
            }
        }
    }
}

fn non_empty(path: &Sp<String>, what: &str, c: &mut Checker<'_>) {
    if path.value.trim().is_empty() {
        let at = c.at(path);
        c.push(
            Finding::new("config::empty_path", format!("`{what}` path is empty"))
                .label(at, "empty")
                .help("give a file path, relative to the config file"),
        );
    }
}

fn command(argv: &[Sp<String>], app: &Sp<String>, c: &mut Checker<'_>) {
    match argv.first() {
        Some(program) if !program.value.trim().is_empty() => {}
        Some(program) => {
            let at = c.at(program);
            c.push(
                Finding::new("config::empty_command", "delivery command has no program")
                    .label(at, "empty program name")
                    .help("start the list with the program to run, e.g. `[vault, kv, put, secret/app, credentials=-]`"),
            );
        }
        None => {
            let at = c.at(app);
            c.push(
                Finding::new(
                    "config::empty_command",
                    format!("a delivery command of `{}` is empty", app.value),
                )
                .label(at, "this application")
                .help(
                    "give the program and its arguments; it reads the credentials as JSON on stdin",
                ),
            );
        }
    }
}

/// A DNS label (`dots` false, up to 63) or subdomain (`dots` true, up to 253): lowercase
/// letters, digits and `-` (and `.`), starting and ending alphanumeric.
pub(crate) fn is_dns_name(value: &str, max: usize, dots: bool) -> bool {
    let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let inner =
        |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || (dots && *b == b'.');
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= max
        && edge(bytes.first())
        && edge(bytes.last())
        && bytes.iter().all(inner)
}

fn dns(value: &Sp<String>, max: usize, dots: bool, what: &str, c: &mut Checker<'_>) {
    if is_dns_name(&value.value, max, dots) {
        return;
    }
    let at = c.at(value);
    let kind = if dots { "DNS subdomain" } else { "DNS label" };
    c.push(
        Finding::new(
            "config::kubernetes_name",
            format!("`{}` is not a valid Kubernetes {what}", value.value),
        )
        .label(at, format!("not a {kind}"))
        .help(format!(
            "use at most {max} lowercase letters, digits and `-`{}, starting and ending with a letter or digit",
            if dots { " or `.`" } else { "" }
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::is_dns_name;

    #[test]
    fn dns_names_follow_kubernetes_rules() {
        let table = [
            ("payments", 63, false, true),
            ("ledger-sync-auth0", 253, true, true),
            ("a.b-c", 253, true, true),
            ("a.b", 63, false, false),
            ("Payments", 63, false, false),
            ("-x", 63, false, false),
            ("x-", 63, false, false),
            ("", 63, false, false),
            (&*"a".repeat(64), 63, false, false),
            (&*"a".repeat(63), 63, false, true),
        ];
        for (value, max, dots, ok) in table {
            assert_eq!(is_dns_name(value, max, dots), ok, "{value:?}");
        }
    }
}
