//! The embedded local tenant's state under attack: kill -9 in the middle of an apply (the state
//! loads and holds every write m2mctl reported), two processes on one state file (neither loses
//! the other's writes; the second waits and says for whom), `emulator --state` on a state in use
//! (refused), private permissions and stale temp files of a killed process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use m2mctl::emulator::lockfile::StateLock;
use m2mctl::emulator::persist;

use crate::apply_kit::{App, config};
use crate::support::run_binary;

const STATE: &str = ".m2mctl/local-tenant.json";

/// `n` apps with one grant each, on the local tenant.
fn local_config(project: &str, n: usize) -> String {
    let apps: Vec<App> = (0..n)
        .map(|i| {
            App::new(
                &format!("{project}{i:04}"),
                &format!("{project} service {i:04}"),
            )
        })
        .collect();
    config(project, &apps).replace("domain: ${AUTH0_DOMAIN}", "domain: local")
}

/// The binary with the harness's environment, in `dir`, stderr piped.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_m2mctl"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("M2MCTL_CACHE_DIR", dir.join(".cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for key in [
        "AUTH0_DOMAIN",
        "AUTH0_ACCESS_TOKEN",
        "AUTH0_CLIENT_ID",
        "AUTH0_CLIENT_SECRET",
    ] {
        cmd.env_remove(key);
    }
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_apply_loses_no_reported_write() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("m2mctl.yaml"), local_config("crash", 400)).expect("config");
    let state = dir.path().join(STATE);
    let path = dir.path().to_path_buf();
    let reported = tokio::task::spawn_blocking(move || {
        let mut child = command(&path, &["apply", "--auto-approve"])
            .spawn()
            .expect("spawn");
        let stderr = child.stderr.take().expect("stderr");
        let mut reported = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.expect("line");
            // `+ application.crash0001 created (client_id XYZ)`: answered by the tenant
            if let Some(rest) = line.split("(client_id ").nth(1) {
                reported.push(rest.trim_end_matches(')').to_string());
            }
            if reported.len() == 60 {
                child.kill().expect("kill -9");
                break;
            }
        }
        let status = child.wait().expect("wait");
        (reported, status)
    })
    .await
    .expect("join");
    let (reported, status) = reported;
    assert_eq!(
        reported.len(),
        60,
        "apply reported too few creates before it ended"
    );
    assert!(!status.success(), "killed, not finished");

    let tenant = persist::load(&state)
        .expect("state loads")
        .expect("state exists");
    for id in &reported {
        assert!(
            tenant.clients.get(id).is_some(),
            "reported client {id} lost"
        );
    }
    // The next run takes over: every app exists exactly once.
    let run = run_binary(dir.path(), &["apply", "--auto-approve"], &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let plan = run_binary(dir.path(), &["plan", "--detailed-exitcode"], &[]).await;
    assert_eq!(plan.code, 0, "converged: {}\n{}", plan.stdout, plan.stderr);
    let tenant = persist::load(&state).expect("loads").expect("exists");
    let names: Vec<&str> = tenant
        .clients
        .all()
        .iter()
        .filter_map(|c| c.str("name"))
        .collect();
    let ours = names
        .iter()
        .filter(|n| n.starts_with("crash service"))
        .count();
    assert_eq!(ours, 400, "no duplicates, none missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_local_tenant_keep_each_others_writes() {
    let dir = tempfile::tempdir().expect("dir");
    for project in ["alpha", "beta"] {
        let file = dir.path().join(format!("{project}.yaml"));
        std::fs::write(file, local_config(project, 150)).expect("config");
    }
    let runs: Vec<_> = ["alpha", "beta"]
        .iter()
        .map(|project| {
            let dir: PathBuf = dir.path().to_path_buf();
            let file = format!("{project}.yaml");
            tokio::task::spawn_blocking(move || {
                command(&dir, &["apply", "--auto-approve", "-f", &file])
                    .output()
                    .expect("run")
            })
        })
        .collect();
    for run in runs {
        let out = run.await.expect("join");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
    }
    let tenant = persist::load(&dir.path().join(STATE))
        .expect("loads")
        .expect("exists");
    for project in ["alpha", "beta"] {
        let prefix = format!("{project} service");
        let n = tenant
            .clients
            .all()
            .iter()
            .filter(|c| c.str("name").is_some_and(|n| n.starts_with(&prefix)))
            .count();
        assert_eq!(n, 150, "{project}'s applications survived the other run");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_waits_and_names_the_holder() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("m2mctl.yaml"), local_config("wait", 2)).expect("config");
    let state = dir.path().join(STATE);
    let held = StateLock::try_take(&state).expect("lock");
    let path = dir.path().to_path_buf();
    let waiting = tokio::task::spawn_blocking(move || {
        let mut child = command(&path, &["plan"]).spawn().expect("spawn");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        stderr.read_line(&mut line).expect("line");
        (child, stderr, line)
    });
    let (mut child, mut stderr, line) = waiting.await.expect("join");
    let pid = std::process::id().to_string();
    assert!(
        line.contains("waiting for process") && line.contains(&pid),
        "{line}"
    );
    drop(held);
    let status = tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        (child.wait().expect("wait"), rest)
    })
    .await
    .expect("join");
    assert!(status.0.success(), "{}", status.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_refuses_a_state_file_in_use() {
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path().join("tenant.json");
    let _held = StateLock::try_take(&state).expect("lock");
    let args = [
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--state",
        "tenant.json",
    ];
    let run = run_binary(dir.path(), &args, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let pid = std::process::id().to_string();
    assert!(
        run.stderr.contains("is in use by process") && run.stderr.contains(&pid),
        "{}",
        run.stderr
    );
    assert!(!state.exists(), "nothing written");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_files_are_private_and_stale_temp_files_go() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("m2mctl.yaml"), local_config("perm", 2)).expect("config");
    let folder = dir.path().join(".m2mctl");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let stale = folder.join(".local-tenant.json.99999.0123456789abcdef.tmp");
    std::fs::write(&stale, "half a tenant").expect("stale");

    let run = run_binary(dir.path(), &["apply", "--auto-approve"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700);
    for name in [
        "local-tenant.json",
        "local-tenant.json.journal",
        "local-tenant.json.lock",
    ] {
        assert_eq!(mode(&folder.join(name)), 0o600, "{name}");
    }
    assert!(!stale.exists(), "stale temp file removed");

    // `emulator --state` in a new folder: 0700 folder, 0600 files.
    let args = [
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--state",
        "new/t.json",
    ];
    let mut child = command(dir.path(), &args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        // the emulator prints its `state:` line once it serves (the state is written by then)
        let lines: Vec<String> = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.starts_with("state:"))
            .collect();
        child.kill().ok();
        child.wait().ok();
        lines
    })
    .await
    .expect("join");
    let state = dir.path().join("new/t.json");
    assert!(state.exists(), "{lines:?}");
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    assert_eq!(mode(&state), 0o600);
}
