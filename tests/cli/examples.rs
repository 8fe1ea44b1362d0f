//! Every example runs as documented, from a fresh copy of `examples/`, in either order: the
//! quickstart and the multi-environment file each keep their own local tenant (the config's
//! directory holds it). The CI workflow files parse as YAML, and every `m2mctl` command in their
//! `run:` scripts parses with m2mctl's own command line.

use std::path::{Path, PathBuf};

use clap::Parser;

use crate::support::{Run, run_binary};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh copy of `examples/` (no local-tenant state) in a temp dir, as a new clone has it.
fn fresh_examples() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let copy = |from: &Path, to: &Path| {
        for rel in ["quickstart.yaml", "multi-env/m2mctl.yaml"] {
            let target = to.join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(from.join(rel), target).unwrap();
        }
    };
    copy(&root().join("examples"), &dir.path().join("examples"));
    let cwd = dir.path().to_path_buf();
    (dir, cwd)
}

async fn ok(cwd: &Path, command: &str) -> Run {
    let args: Vec<&str> = command.split_whitespace().collect();
    let run = run_binary(cwd, &args, &[]).await;
    assert_eq!(
        run.code, 0,
        "`m2mctl {command}`\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    run
}

/// The quickstart's documented commands (README "The two commands").
async fn quickstart(cwd: &Path) {
    let apply = ok(cwd, "apply -f examples/quickstart.yaml --auto-approve").await;
    assert!(
        apply.stderr.contains("Apply complete: 9 created"),
        "{}",
        apply.stderr
    );
    let tokens = ok(cwd, "token -f examples/quickstart.yaml").await;
    let tokens: serde_json::Value = serde_json::from_str(&tokens.stdout).expect("json");
    assert_eq!(tokens.as_array().map(Vec::len), Some(4), "{tokens}");
    let again = ok(cwd, "apply -f examples/quickstart.yaml --auto-approve").await;
    assert_eq!(
        again.stdout,
        "No changes. The tenant matches the configuration.\n"
    );
    assert!(cwd.join("examples/.m2mctl/local-tenant.json").is_file());
}

/// The multi-environment file's documented dev commands (its header and docs/guide.md).
async fn multi_env(cwd: &Path) {
    let file = "examples/multi-env/m2mctl.yaml";
    ok(cwd, &format!("validate -f {file}")).await;
    let plan = ok(cwd, &format!("plan -f {file}")).await;
    assert!(plan.stdout.contains("Plan: 7 to create"), "{}", plan.stdout);
    ok(cwd, &format!("apply -f {file} --auto-approve")).await;
    let tokens = ok(cwd, &format!("token -f {file} --format json")).await;
    let tokens: serde_json::Value = serde_json::from_str(&tokens.stdout).expect("json");
    assert_eq!(tokens.as_array().map(Vec::len), Some(3), "{tokens}");
    let none = run_binary(cwd, &["plan", "-f", file, "--detailed-exitcode"], &[]).await;
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(
        cwd.join("examples/multi-env/.m2mctl/local-tenant.json")
            .is_file()
    );
    // staging and prod only validate here (their tenants are remote)
    let staging = [
        "validate",
        "-f",
        file,
        "--var",
        "ENV=staging",
        "--var",
        "LEDGER_EXTERNAL=true",
    ];
    assert_eq!(run_binary(cwd, &staging, &[]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_then_multi_env() {
    let (_dir, cwd) = fresh_examples();
    quickstart(&cwd).await;
    multi_env(&cwd).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_env_then_quickstart() {
    let (_dir, cwd) = fresh_examples();
    multi_env(&cwd).await;
    quickstart(&cwd).await;
}

#[test]
fn ci_workflows_parse_and_their_m2mctl_commands_are_valid() {
    let dir = root().join("examples/ci");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/ci") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yml" && e != "yaml") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).expect("read");
        let doc: serde_json::Value =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let jobs = doc["jobs"]
            .as_object()
            .unwrap_or_else(|| panic!("{path:?}: no jobs"));
        let mut commands = 0;
        for (name, job) in jobs {
            let steps = job["steps"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: no steps"));
            for run in steps.iter().filter_map(|s| s["run"].as_str()) {
                for (line, words) in run
                    .lines()
                    .filter_map(|l| Some((l.trim(), crate::docs_parse::m2mctl_words(l)?)))
                {
                    if let Err(e) = m2mctl::cli::Cli::try_parse_from(&words) {
                        panic!("{path:?} job {name}: `{line}` does not parse:\n{e}");
                    }
                    commands += 1;
                }
            }
        }
        assert!(commands >= 1, "{path:?}: no m2mctl command");
        assert!(!text.contains("OWNER"), "{path:?}: a placeholder owner");
        assert!(
            text.contains("actions/cache@"),
            "{path:?}: builds m2mctl on every run"
        );
    }
    assert!(files >= 1);
}
