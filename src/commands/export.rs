//! `m2mctl export`: read a tenant, write a config that adopts its M2M applications.
//!
//! Owns the edges of export: where the tenant is (`--domain` / AUTH0_DOMAIN, else the local
//! tenant beside the output), where the text goes (`-o FILE`, `-o -` for stdout), the
//! no-overwrite rule (`--force`), the atomic write, and what is said on stderr. What is exported
//! and how is `export::build`; the self-check is `export::check`.

use std::io::Write;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, miette};

use crate::Exit;
use crate::cli::ExportArgs;
use crate::config;
use crate::export::{self, Check, Export, ExportOptions, Header};
use crate::fs::{self, Mode, Replace};
use crate::model::Domain;
use crate::plan::PlanOptions;
use crate::settings::TenantSettings;
use crate::ui::Context;

/// Runs `m2mctl export`.
pub async fn run(args: ExportArgs, tenant: &TenantSettings, ctx: &Context) -> miette::Result<Exit> {
    let target = Target::new(&args.output)?;
    if let Target::File(path) = &target {
        refuse_overwrite(path, args.force)?;
    }
    if let Some(project) = &args.project {
        check_project(project)?;
    }
    let domain = match args.domain.as_deref().map(str::trim) {
        None | Some("") | Some("local") => Domain::Local,
        Some(d) => Domain::Remote(d.to_string()),
    };
    let connection = super::connect(&domain, tenant, &target.dir()?).await?;
    let client = connection.client();
    let remote = client.read_state().await?;
    let self_client_id = client.self_client_id().map(str::to_string);
    let management_audience = Some(client.management_audience());
    connection.close().await?;

    let options = ExportOptions {
        domain: domain.clone(),
        self_client_id: self_client_id.clone(),
        management_audience: management_audience.clone(),
        include_foreign_grants: args.include_foreign_grants,
        project: args.project.clone(),
    };
    let built = export::build(&remote, &options);
    let header = Header {
        tenant: match &domain {
            Domain::Local => "local".to_string(),
            Domain::Remote(d) => d.clone(),
        },
        exported_at: now_rfc3339(),
    };
    let text = export::render(&built, &header)?;
    let plan_options = PlanOptions {
        self_client_id,
        management_audience,
        ..PlanOptions::default()
    };
    let check = export::check(&text, &remote, &plan_options);

    match &target {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .into_diagnostic()?;
        }
        Target::File(path) => write_atomic(path, &text, args.force)?,
    }
    report(&built, &check, &target, ctx)
}

/// Where the text goes.
enum Target {
    /// `-o -`.
    Stdout,
    /// A file path.
    File(PathBuf),
}

impl Target {
    fn new(output: &Path) -> miette::Result<Target> {
        if output.as_os_str() == "-" {
            return Ok(Target::Stdout);
        }
        Ok(Target::File(output.to_path_buf()))
    }

    /// The directory the local tenant's state lives in (beside the output).
    fn dir(&self) -> miette::Result<PathBuf> {
        let parent = match self {
            Target::File(path) => path.parent().map(Path::to_path_buf),
            Target::Stdout => None,
        };
        match parent.filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => Ok(dir),
            None => std::env::current_dir().map_err(|e| {
                miette!(
                    help = "run m2mctl from an existing directory",
                    "cannot read the current directory: {e}"
                )
            }),
        }
    }

    fn name(&self) -> String {
        match self {
            Target::Stdout => "stdout".to_string(),
            Target::File(path) => format!("`{}`", path.display()),
        }
    }
}

/// Fails before any network call when the file exists and `--force` is not given.
fn refuse_overwrite(path: &Path, force: bool) -> miette::Result<()> {
    fs::check(path, Mode::Public)?;
    if path.exists() && !force {
        return Err(miette!(
            help = "pass `--force` to overwrite it, `-o OTHER.yaml` to write elsewhere, or `-o -` for stdout",
            "`{}` already exists",
            path.display()
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(miette!(
            help = "create the directory first, or pass another path with `-o`",
            "directory `{}` does not exist",
            dir.display()
        ));
    }
    Ok(())
}

/// `[A-Za-z0-9._-]+`, as the config validator wants it.
fn check_project(project: &str) -> miette::Result<()> {
    let valid = !project.is_empty()
        && project
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch));
    if valid {
        return Ok(());
    }
    Err(miette!(
        help = "use only letters, digits, `.`, `_` and `-`, e.g. `--project payments-platform`",
        "invalid project name `{project}`"
    ))
}

/// Writes `text` through [`fs::write`]: atomic, 0644, never over a non-regular file; without
/// `force`, an existing file (created meanwhile) is never replaced.
fn write_atomic(path: &Path, text: &str, force: bool) -> miette::Result<()> {
    let replace = if force {
        Replace::Always
    } else {
        Replace::Never
    };
    match fs::write(path, text.as_bytes(), Mode::Public, replace) {
        Ok(()) => Ok(()),
        Err(fs::Error::Exists { .. }) => refuse_overwrite(path, false),
        Err(e) => Err(e.into()),
    }
}

/// Now, in RFC 3339 (UTC, whole seconds).
fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// The warnings and closing lines on stderr (none with `-q`, errors aside), and the exit code: 1 when the file does not validate or its
/// first plan would be refused (the file is written all the same, to be fixed by hand).
fn report(built: &Export, check: &Check, target: &Target, ctx: &Context) -> miette::Result<Exit> {
    let say = |line: String| {
        if !ctx.quiet {
            eprintln!("{line}");
        }
    };
    for warning in &built.warnings {
        say(format!("warning: {warning}"));
    }
    let s = built.stats;
    say(format!(
        "exported {} ({} to adopt), {}, {} to {}",
        config::count_noun(s.applications, "application"),
        s.pinned,
        config::count_noun(s.apis, "API"),
        config::count_noun(s.grants, "grant"),
        target.name(),
    ));
    match check {
        Check::Planned { adoptions, extra } if extra.is_empty() => {
            say(format!(
                "the first plan adopts {} and changes nothing else; next: `m2mctl plan`",
                config::count_noun(*adoptions, "application")
            ));
            Ok(Exit::Success)
        }
        Check::Planned { adoptions, extra } => {
            say(format!(
                "warning: the first plan adopts {} as they are; {} beyond adoption, because the config cannot express what the tenant holds:",
                config::count_noun(*adoptions, "application"),
                match extra.len() {
                    1 => "1 change goes".to_string(),
                    n => format!("{n} changes go"),
                },
            ));
            for line in extra {
                say(format!("  {line}"));
            }
            Ok(Exit::Success)
        }
        Check::Invalid(err) => {
            eprint!(
                "{}",
                config::render(err.as_ref(), ctx.color_stderr, ctx.diagnostic_width())
            );
            Err(miette!(
                help = "the tenant holds values the config format rejects; fix them in the file (or in the tenant and export again)",
                "the exported config does not validate"
            ))
        }
        Check::Refused(err) => Err(miette!(
            help = "fix the tenant as the message says, then export again",
            "the first plan of the exported config would fail: {err}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> ExportArgs {
        let argv = ["m2mctl", "export"].iter().chain(args).copied();
        match Cli::try_parse_from(argv).expect("parses").command {
            Command::Export(a) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn foreign_grants_are_included_unless_turned_off() {
        let cases: [(&[&str], bool); 4] = [
            (&[], true),
            (&["--include-foreign-grants"], true),
            (&["--include-foreign-grants=false"], false),
            (&["--include-foreign-grants", "false"], false),
        ];
        for (args, want) in cases {
            assert_eq!(parse(args).include_foreign_grants, want, "{args:?}");
        }
    }

    #[test]
    fn atomic_write_never_replaces_a_file_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m2mctl.yaml");
        write_atomic(&path, "one\n", false).unwrap();
        let err = write_atomic(&path, "two\n", false).unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\n");
        write_atomic(&path, "three\n", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }

    #[test]
    fn project_names_follow_the_config_rule() {
        for ok in ["default", "payments-platform", "a.b_c"] {
            assert!(check_project(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a:b", "a b", "ä"] {
            assert!(check_project(bad).is_err(), "{bad}");
        }
    }
}
