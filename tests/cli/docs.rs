//! The documentation is tested like code: console samples in README.md and docs/*.md are the real
//! output (each `$ m2mctl validate …` is run and compared, as trycmd would), the environment table
//! of docs/commands.md lists exactly the variables `src/cli.rs` names, every file the docs point at
//! exists, and the README stays short.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, CONTRIBUTING.md, ARCHITECTURE.md and docs/*.md.
fn documents() -> Vec<PathBuf> {
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

/// `(command, expected output)` of each `$ ` line in ```console blocks.
fn console_samples(text: &str) -> Vec<(String, String)> {
    let mut samples = Vec::new();
    let mut in_block = false;
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if line.starts_with("```") {
            if let Some(done) = current.take() {
                samples.push(done);
            }
            in_block = line.trim() == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            if let Some(done) = current.take() {
                samples.push(done);
            }
            current = Some((command.to_string(), String::new()));
        } else if let Some((_, out)) = current.as_mut() {
            out.push_str(line);
            out.push('\n');
        }
    }
    samples
}

#[test]
fn console_samples_are_the_real_output() {
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read");
        for (command, expected) in console_samples(&text) {
            let words: Vec<&str> = command.split_whitespace().collect();
            let words: &[&str] = match words.as_slice() {
                ["NO_COLOR=1", rest @ ..] => rest,
                all => all,
            };
            // offline commands only: the others need a tenant or an emulator on a fixed port
            if words.first() != Some(&"m2mctl") || words.get(1) != Some(&"validate") {
                continue;
            }
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_m2mctl"))
                .args(&words[1..])
                .current_dir(root())
                .env("NO_COLOR", "1")
                .env_remove("AUTH0_DOMAIN")
                .output()
                .expect("run");
            let actual = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                actual.trim_end(),
                expected.trim_end(),
                "{}: `{command}` prints something else",
                doc.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} samples checked");
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
fn the_readme_stays_short() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(lines <= 200, "README.md has {lines} lines");
}
