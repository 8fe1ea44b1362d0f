//! `m2mctl keygen APP`: a new RSA key pair for a private-key JWT application, and the config
//! entry that registers it.
//!
//! Owns the file plumbing: default paths beside the config, the private key written 0600 and
//! never over an existing file without `--force`, a `.gitignore` in a `secrets/` directory it
//! creates, and the YAML printed to stdout (paths relative to the config). Must never print the
//! private key; the key material comes from `keys`.

use std::path::{Component, Path, PathBuf};

use crate::Exit;
use crate::cli::{KeygenAlg, KeygenArgs};
use crate::commands::pipeline::config_dir;
use crate::fs::{Mode, Replace};
use crate::keys::{self, KeyAlg};
use crate::ui::Context;

/// Runs `m2mctl keygen`.
pub(super) fn run(args: &KeygenArgs, ctx: &Context) -> miette::Result<Exit> {
    let dir = config_dir(&args.file);
    let name = args.name.clone().unwrap_or_else(this_month);
    if name.trim().is_empty() || name.contains(['/', '\\']) || name.contains(char::is_control) {
        return Err(miette::miette!(
            help = "name keys after when they were made, e.g. `--name 2026-11`",
            "`{name}` cannot name a key file"
        ));
    }
    let stem = format!("{}-{name}", slug(&args.app));
    let public = args
        .public_key
        .clone()
        .unwrap_or_else(|| dir.join("keys").join(format!("{stem}.pub.pem")));
    let private = args
        .private_key
        .clone()
        .unwrap_or_else(|| dir.join("secrets").join(format!("{stem}.pem")));
    let replace = if args.force {
        Replace::Always
    } else {
        Replace::Never
    };
    for path in [&public, &private] {
        if !args.force && path.exists() {
            return Err(miette::miette!(
                help = "give another `--name`, or `--force` to replace it (the old key stops working where it is registered)",
                "`{}` already exists; nothing was written",
                path.display()
            ));
        }
    }
    let pair = keys::generate().map_err(|e| miette::miette!("{e}"))?;
    if let Some(parent) = private.parent().filter(|p| !p.as_os_str().is_empty()) {
        let created = !parent.exists();
        crate::fs::create_private_dir(parent)
            .map_err(|e| miette::miette!("cannot create `{}`: {e}", parent.display()))?;
        if created && parent.file_name().is_some_and(|n| n == "secrets") {
            let ignore = parent.join(".gitignore");
            crate::fs::write(&ignore, b"*\n", Mode::Public, Replace::Never)?;
        }
    }
    crate::fs::write(
        &private,
        pair.private_pem.expose().as_bytes(),
        Mode::Private,
        replace,
    )?;
    if let Some(parent) = public.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| miette::miette!("cannot create `{}`: {e}", parent.display()))?;
    }
    crate::fs::write(&public, pair.public_pem.as_bytes(), Mode::Public, replace)?;
    let alg = match args.alg {
        KeygenAlg::Rs256 => KeyAlg::RS256,
        KeygenAlg::Rs384 => KeyAlg::RS384,
        KeygenAlg::Ps256 => KeyAlg::PS256,
    };
    print!(
        "{}",
        entry(
            &args.app,
            &name,
            &relative_to(&dir, &public),
            &relative_to(&dir, &private),
            alg
        )
    );
    if !ctx.quiet {
        eprintln!(
            "wrote private key `{}` (mode 0600; keep it out of version control) and public key `{}`; thumbprint (kid) {}",
            private.display(),
            public.display(),
            pair.kid
        );
        eprintln!(
            "next: add the entry above under `authentication.keys` of `{}`, then `m2mctl apply`",
            args.app
        );
    }
    Ok(Exit::Success)
}

/// The YAML entry to paste under `authentication.keys`.
fn entry(app: &str, name: &str, public: &str, private: &str, alg: KeyAlg) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!(
        "# under `authentication.keys` of application {}:\n- name: {}\n  public_key: {}\n  private_key_file: {}\n  alg: {}\n",
        q(app),
        q(name),
        q(public),
        q(private),
        alg.as_str()
    )
}

/// `2026-11`, this month in UTC.
fn this_month() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{}-{:02}", now.year(), u8::from(now.month()))
}

/// A file-name-safe form of an application key: ASCII letters, digits, `.`, `_`, `-`.
fn slug(app: &str) -> String {
    let mut out = String::with_capacity(app.len());
    for ch in app.chars() {
        if ch.is_ascii_alphanumeric() || "._-".contains(ch) {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "app".into() } else { out }
}

/// `path` as the config at `dir` refers to it: relative when both resolve, else absolute.
fn relative_to(dir: &Path, path: &Path) -> String {
    let (Ok(dir), Ok(path)) = (dir.canonicalize(), path.canonicalize()) else {
        return path.display().to_string();
    };
    let (d, p): (Vec<Component>, Vec<Component>) =
        (dir.components().collect(), path.components().collect());
    let common = d.iter().zip(&p).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_entries() {
        assert_eq!(slug("ledger-sync"), "ledger-sync");
        assert_eq!(slug("Billing Worker/eu"), "Billing-Worker-eu");
        assert_eq!(slug("::"), "app");
        let yaml = entry(
            "ledger",
            "2026-11",
            "keys/a.pub.pem",
            "../s/a.pem",
            KeyAlg::PS256,
        );
        assert_eq!(
            yaml,
            "# under `authentication.keys` of application \"ledger\":\n- name: \"2026-11\"\n  public_key: \"keys/a.pub.pem\"\n  private_key_file: \"../s/a.pem\"\n  alg: PS256\n"
        );
    }

    #[test]
    fn printed_paths_are_relative_to_the_config() {
        let tmp = tempfile::tempdir().unwrap();
        let conf = tmp.path().join("infra");
        let secrets = tmp.path().join("secrets");
        std::fs::create_dir_all(conf.join("keys")).unwrap();
        std::fs::create_dir_all(&secrets).unwrap();
        std::fs::write(conf.join("keys/a.pub.pem"), "x").unwrap();
        std::fs::write(secrets.join("a.pem"), "x").unwrap();
        assert_eq!(
            relative_to(&conf, &conf.join("keys/a.pub.pem")),
            "keys/a.pub.pem"
        );
        assert_eq!(
            relative_to(&conf, &secrets.join("a.pem")),
            "../secrets/a.pem"
        );
    }
}
