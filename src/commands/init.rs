//! `m2mctl init`: a starter `m2mctl.yaml` (the `$schema` line, `project` from the directory name,
//! a commented example application and API) and the JSON Schema beside it; `--create-deployer`
//! goes to [`init_deployer`](super::init_deployer).
//!
//! Owns the starter text and refusing to overwrite without `--force`. Writes through
//! [`fs::write`](crate::fs::write) (atomic; a file created meanwhile is not replaced). Must not
//! touch a tenant.

use std::path::Path;

use miette::miette;

use crate::Exit;
use crate::cli::InitArgs;
use crate::export::SCHEMA_FILE;
use crate::fs::{self, Mode, Replace};
use crate::settings::TenantSettings;
use crate::ui::Context;

/// Runs `m2mctl init`.
pub async fn run(args: InitArgs, tenant: &TenantSettings, ctx: &Context) -> miette::Result<Exit> {
    if args.create_deployer {
        return super::init_deployer::run(&args, tenant, ctx).await;
    }
    let dir = super::pipeline::config_dir(&args.file);
    if !dir.is_dir() {
        return Err(miette!(
            help = "create the directory first, or pass another path with `-f`",
            "directory `{}` does not exist",
            dir.display()
        ));
    }
    let project = project_name(&dir);
    let replace = if args.force {
        Replace::Always
    } else {
        Replace::Never
    };
    match fs::write(
        &args.file,
        starter(&project).as_bytes(),
        Mode::Public,
        replace,
    ) {
        Ok(()) => {}
        Err(fs::Error::Exists { path }) => {
            return Err(miette!(
                help = "pass `--force` to overwrite it, or `-f OTHER.yaml` to write another file",
                "`{}` already exists; nothing was written",
                path.display()
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let schema = dir.join(SCHEMA_FILE);
    let wrote_schema = match fs::write(
        &schema,
        crate::config::schema_json().as_bytes(),
        Mode::Public,
        replace,
    ) {
        Ok(()) => true,
        Err(fs::Error::Exists { .. }) => false,
        Err(e) => return Err(e.into()),
    };
    if !ctx.quiet {
        let schema_note = if wrote_schema {
            format!(" and `{}` (editor schema)", schema.display())
        } else {
            String::new()
        };
        eprintln!(
            "wrote `{}`{schema_note} for project `{project}`\n\
             next: `m2mctl validate`, then `m2mctl plan` (the embedded local tenant until AUTH0_DOMAIN is set);\n\
             for a real tenant, `m2mctl init --create-deployer` makes the application m2mctl runs as",
            args.file.display()
        );
    }
    Ok(Exit::Success)
}

/// The directory's name as a project (`[A-Za-z0-9._-]+`: other characters become `-`), or
/// `default` when nothing usable is left.
pub fn project_name(dir: &Path) -> String {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    sanitise_project(&raw)
}

fn sanitise_project(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        if ch.is_ascii_alphanumeric() || "._-".contains(ch) {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(['-', '.']).to_string();
    if out.is_empty() {
        "default".to_string()
    } else {
        out
    }
}

/// The starter file: valid as is (no applications yet); uncommenting the example keeps it valid.
pub fn starter(project: &str) -> String {
    format!(
        "# yaml-language-server: $schema={SCHEMA_FILE}
#
# m2mctl: Auth0 machine-to-machine applications as code (docs/init-and-api.md).
#   m2mctl validate    check this file (offline)
#   m2mctl plan        show what apply would change
#   m2mctl apply       make the tenant match this file
#   m2mctl token APP   an access token for an application
# Without AUTH0_DOMAIN the tenant is the embedded local one (state in .m2mctl/).
# For a real tenant: `m2mctl init --create-deployer`, then set AUTH0_DOMAIN, AUTH0_CLIENT_ID
# and AUTH0_CLIENT_SECRET to what it prints.
version: 1
project: {project}                # owner of what this file manages (ownership marker)
tenant:
  domain: ${{AUTH0_DOMAIN:-local}}
settings:
  prune: false                     # delete managed applications that leave this file
  max_deletes: 5
# Uncomment and edit: an API, and one application per program with only what it needs.
# apis:
#   - identifier: https://orders.example.com/
#     name: Orders API
#     token_lifetime: 3600
#     scopes:
#       - value: read:orders
#         description: Read orders
#       - value: write:orders
#         description: Create and update orders
# applications:
#   - name: order-sync
#     description: Copies new orders to the warehouse
#     grants:
#       - api: https://orders.example.com/
#         scopes: [read:orders]
#       - api: management
#         endpoints: [\"GET /api/v2/users\"]   # scopes from the endpoints it calls
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_sanitised_directory_names() {
        let cases = [
            ("payments-platform", "payments-platform"),
            ("My Service", "My-Service"),
            ("a..b", "a..b"),
            ("--x--", "x"),
            ("é", "default"),
            ("", "default"),
        ];
        for (raw, want) in cases {
            assert_eq!(sanitise_project(raw), want, "{raw:?}");
        }
    }
}
