//! The documentation is tested like code: console samples are the real output (`docs_samples.rs`),
//! the environment table of docs/commands.md lists exactly the variables `src/cli.rs` names, every
//! file the docs point at exists, and the README stays short.

use std::path::{Path, PathBuf};

pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, CONTRIBUTING.md, ARCHITECTURE.md and docs/*.md.
pub(crate) fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "ARCHITECTURE.md"]
        .iter()
        .map(|f| root().join(f))
        .collect();
    for entry in std::fs::read_dir(root().join("docs")).expect("docs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    docs.sort();
    docs
}

#[test]
fn the_environment_table_lists_exactly_the_variables_cli_rs_names() {
    let cli = std::fs::read_to_string(root().join("src/cli.rs")).expect("cli.rs");
    let module = cli
        .split("pub mod env {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("the env module");
    let mut named: Vec<String> = module
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1))
        .map(str::to_string)
        .collect();
    named.sort();
    let doc = std::fs::read_to_string(root().join("docs/commands.md")).expect("commands.md");
    let table = doc
        .split("## Environment variables")
        .nth(1)
        .expect("an environment section");
    let mut documented: Vec<String> = table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let first = l.split('|').nth(1).unwrap_or_default().to_string();
            first
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|v| v != "M2MCTL_FAULT_SEEDS") // read by the test suite, not by m2mctl
        .collect();
    documented.sort();
    assert_eq!(documented, named, "docs/commands.md vs src/cli.rs `env`");
}

#[test]
fn the_commands_table_lists_every_command_cli_rs_has() {
    let doc = std::fs::read_to_string(root().join("docs/commands.md")).expect("commands.md");
    let missing: Vec<String> = <m2mctl::cli::Cli as clap::CommandFactory>::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| !doc.contains(&format!("| `m2mctl {name}")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/commands.md has no row for: {missing:?}"
    );
}

#[test]
fn plan_format_md_documents_the_json_fields_render_json_rs_documents() {
    let rows = |text: &str, prefix: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .filter(|l| l.starts_with("| `"))
            .filter_map(|l| l.split('|').nth(1))
            .map(|field| field.trim().to_string())
            .collect()
    };
    let code = std::fs::read_to_string(root().join("src/render/json.rs")).expect("json.rs");
    let doc = std::fs::read_to_string(root().join("docs/plan-format.md")).expect("plan-format.md");
    let doc = doc
        .split("## JSON format")
        .nth(1)
        .expect("a JSON format section");
    assert_eq!(rows(doc, ""), rows(&code, "//! "));
}

#[test]
fn every_file_the_docs_point_at_exists() {
    let mut missing = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read");
        let dir = doc.parent().expect("dir");
        // markdown links to local files
        for target in text.split("](").skip(1).filter_map(|s| s.split(')').next()) {
            let target = target.split('#').next().unwrap_or_default();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if !dir.join(target).exists() {
                missing.push(format!("{}: link {target}", doc.display()));
            }
        }
        // repository paths in backticks: `examples/…`, `src/…`, `tests/…`, `docs/…`, `schemas/…`
        for word in text.split('`').skip(1).step_by(2) {
            let path = word.split_whitespace().next().unwrap_or_default();
            let path = path.trim_end_matches([',', '.', ':', ')']);
            let repo_path = ["examples/", "src/", "tests/", "docs/", "schemas/", ".ci/"]
                .iter()
                .any(|p| path.starts_with(p));
            // made at run time (a local tenant's `.m2mctl/`, a `.venv`), not committed
            let generated = path.contains("/.");
            if !repo_path || generated || path.contains(['<', '*', '…', '{', '$']) {
                continue;
            }
            if !root().join(path).exists() {
                missing.push(format!("{}: `{path}`", doc.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in the repository:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_whole_config_in_the_docs_is_valid() {
    let dir = tempfile::tempdir().expect("dir");
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read");
        for block in text.split("```yaml\n").skip(1) {
            let config = block.split("\n```").next().unwrap_or_default();
            // whole files only (fragments show one key)
            if !config.lines().any(|l| l == "version: 1") {
                continue;
            }
            let file = dir.path().join("m2mctl.yaml");
            std::fs::write(&file, config).expect("write");
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_m2mctl"))
                .args(["validate", "-f"])
                .arg(&file)
                .env("NO_COLOR", "1")
                .env_remove("AUTH0_DOMAIN")
                .output()
                .expect("run");
            assert!(
                out.status.success(),
                "{}: a config sample is not valid:\n{config}\n{}",
                doc.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} config samples checked");
}

#[test]
fn every_m2mctl_command_in_the_docs_parses() {
    use clap::Parser;
    let mut checked = 0;
    let mut wrong = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read");
        for block in text.split("```sh\n").skip(1) {
            let block = block.split("\n```").next().unwrap_or_default();
            for line in block.lines() {
                let Some(words) = crate::docs_parse::m2mctl_words(line) else {
                    continue;
                };
                if let Err(e) = m2mctl::cli::Cli::try_parse_from(&words) {
                    wrong.push(format!(
                        "{}: `{}`: {}",
                        doc.display(),
                        words.join(" "),
                        e.kind()
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "commands that do not parse:\n{}",
        wrong.join("\n")
    );
    assert!(checked >= 20, "only {checked} commands checked");
}

#[test]
fn the_readme_stays_short() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(lines <= 200, "README.md has {lines} lines");
}
