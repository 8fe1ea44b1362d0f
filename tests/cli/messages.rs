//! Help and messages a new user meets first: `--help` groups the global options under their own
//! heading, `plan` output starts without a blank line, and after a progress bar on a terminal the
//! created client ids are still listed.

use std::path::Path;

use crate::support::run_binary;

const QUICKSTART: &str = include_str!("../../examples/quickstart.yaml");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_groups_global_options_under_their_own_heading() {
    let dir = tempfile::tempdir().expect("dir");
    for args in [&["--help"][..], &["plan", "--help"], &["token", "-h"]] {
        let run = run_binary(dir.path(), args, &[]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        let (options, global) = run
            .stdout
            .split_once("\nGlobal options:\n")
            .unwrap_or_else(|| panic!("{args:?}: no `Global options:` heading\n{}", run.stdout));
        for flag in ["--verbose", "--quiet", "--color"] {
            assert!(
                global.contains(flag),
                "{args:?}: {flag} not under the heading"
            );
            assert!(
                !options.contains(flag),
                "{args:?}: {flag} also among the options"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_output_starts_with_its_first_line() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("m2mctl.yaml"), QUICKSTART).unwrap();
    let changes = run_binary(dir.path(), &["plan"], &[]).await;
    assert!(
        changes.stdout.starts_with("m2mctl will perform"),
        "{}",
        changes.stdout
    );
    let applied = run_binary(dir.path(), &["apply", "--auto-approve"], &[]).await;
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let none = run_binary(dir.path(), &["plan"], &[]).await;
    assert_eq!(
        none.stdout,
        "No changes. The tenant matches the configuration.\n"
    );
}

/// `m2mctl ARGS` under `script(1)` (stdin, stdout and stderr a terminal) in `dir`; `None` when
/// `script` is not installed.
fn on_a_terminal(dir: &Path, args: &str) -> Option<String> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_m2mctl"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("M2MCTL_CACHE_DIR", dir.join(".cache"))
        .env_remove("AUTH0_DOMAIN")
        .output()
        .expect("script");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

#[test]
fn after_the_progress_bar_the_created_client_ids_are_listed() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("m2mctl.yaml"), QUICKSTART).unwrap();
    // 9 changes on a terminal: a progress bar, cleared when done
    let Some(out) = on_a_terminal(dir.path(), "apply --auto-approve") else {
        return;
    };
    let after_bar = out.rsplit("Plan: 9 to create").next().unwrap_or_default();
    for app in ["billing", "order-sync", "platform"] {
        let line = format!("+ application.{app} created (client_id ");
        assert!(
            after_bar.contains(&line),
            "{line} missing after the bar:\n{out}"
        );
    }
    assert!(after_bar.contains("Apply complete: 9 created"), "{out}");
}
