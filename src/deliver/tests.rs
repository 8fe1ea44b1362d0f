//! Sinks attacked on a real file system and real processes: modes, symlinks, kept lines, a
//! command that tries to find the secret in its argv or environment, failing sinks.

use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::tenant::Secret;

const SECRET: &str = "very-secret-value-4711";

fn payload(secret: &Secret) -> Payload<'_> {
    Payload {
        app: "svc",
        name: "Service",
        client_id: "cid",
        auth: Auth::Secret(secret),
        domain: "tenant.example.com",
        token_url: "https://tenant.example.com/oauth/token".into(),
        audience: Some("https://api.example.com/".into()),
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn sh(script: &str, dir: &Path) -> Sink {
    Sink::Command {
        argv: vec!["sh".into(), "-c".into(), script.into()],
        cwd: dir.to_path_buf(),
    }
}

#[test]
fn dotenv_is_0600_keeps_other_lines_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/app.env");
    let secret = Secret::new(SECRET);
    deliver_one(&payload(&secret), &Sink::Dotenv(path.clone())).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    // The service's own lines survive a second delivery (with a newer secret).
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("PORT=8080\n{text}# keep me\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let newer = Secret::new("newer-secret");
    deliver_one(&payload(&newer), &Sink::Dotenv(path.clone())).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("PORT=8080\nAUTH0_DOMAIN=tenant.example.com\n"),
        "{text}"
    );
    assert!(
        text.contains("M2M_SVC_CLIENT_SECRET=newer-secret\n"),
        "{text}"
    );
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.ends_with("# keep me\n"), "{text}");
    assert_eq!(mode(&path), 0o600, "a delivery tightens a loose mode");
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_directory_or_fifo_target_is_refused_and_a_symlinked_env_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let secret = Secret::new(SECRET);
    let sink = Sink::KubernetesSecret {
        namespace: "ns".into(),
        name: "n".into(),
        file: dir.path().to_path_buf(),
    };
    let err = deliver_one(&payload(&secret), &sink).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    // A FIFO would hand the secret to whoever reads it: refused for private files.
    let fifo = dir.path().join("fifo.env");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let err = deliver_one(&payload(&secret), &Sink::Dotenv(fifo)).unwrap_err();
    assert!(err.to_string().contains("a FIFO"), "{err}");
    // A `.env` symlinked to a shared file: the file is replaced (0600), the link stays.
    let real = dir.path().join("real.env");
    std::fs::write(&real, "KEEP=1\n").unwrap();
    let link = dir.path().join("app.env");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    deliver_one(&payload(&secret), &Sink::Dotenv(link.clone())).unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode(&real), 0o600);
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .starts_with("KEEP=1\n")
    );
}

#[test]
fn kubernetes_manifest_is_written_0600() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k8s/secret.yaml");
    let secret = Secret::new(SECRET);
    let sink = Sink::KubernetesSecret {
        namespace: "payments".into(),
        name: "svc-auth0".into(),
        file: file.clone(),
    };
    deliver_one(&payload(&secret), &sink).unwrap();
    assert_eq!(mode(&file), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("kind: Secret"), "{text}");
    assert!(text.contains(SECRET), "{text}");
}

#[test]
fn a_command_reads_the_credentials_on_stdin_never_in_argv_or_environment() {
    let dir = tempfile::tempdir().unwrap();
    let secret = Secret::new(SECRET);
    // The command records its stdin, its argv and its whole environment.
    let script = "cat > stdin.json; echo \"$0 $*\" > argv.txt; env > env.txt";
    deliver_one(&payload(&secret), &sh(script, dir.path())).unwrap();
    let stdin = std::fs::read_to_string(dir.path().join("stdin.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdin).unwrap();
    assert_eq!(json["client_secret"], SECRET);
    assert_eq!(json["client_id"], "cid");
    for file in ["argv.txt", "env.txt"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(!text.contains(SECRET), "{file}: {text}");
    }
}

#[test]
fn a_failed_command_shows_its_exit_code_and_stderr_with_the_secret_masked() {
    let dir = tempfile::tempdir().unwrap();
    let secret = Secret::new(SECRET);
    let script = "read line; echo \"vault: permission denied for $line\" >&2; exit 3";
    let err = deliver_one(&payload(&secret), &sh(script, dir.path())).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("exit code 3"), "{text}");
    assert!(text.contains("vault: permission denied"), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
}

#[test]
fn a_command_that_hangs_is_killed_at_its_time_limit() {
    // A delivery command waiting on a prompt or a dead network must not hang apply. The limit is
    // short here and the command sleeps far longer, so the outcome does not depend on load.
    let dir = tempfile::tempdir().unwrap();
    let argv = ["sh", "-c", "read line; echo started >&2; exec sleep 600"].map(String::from);
    let started = std::time::Instant::now();
    let err = sinks::run_command(
        &argv,
        dir.path(),
        "{}",
        SECRET,
        std::time::Duration::from_millis(300),
    )
    .unwrap_err();
    assert!(matches!(err, DeliverError::TimedOut { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "`sh` did not finish within 0.3 s and was killed"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(300),
        "not killed"
    );
}

#[test]
fn a_missing_program_is_a_spawn_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let secret = Secret::new(SECRET);
    let sink = Sink::Command {
        argv: vec!["m2mctl-no-such-program".into()],
        cwd: dir.path().to_path_buf(),
    };
    let err = deliver_one(&payload(&secret), &sink).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot run `m2mctl-no-such-program`"),
        "{err}"
    );
}

#[test]
fn a_failed_sink_does_not_stop_the_next_and_the_summary_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let secret = Secret::new(SECRET);
    let env = dir.path().join("after.env");
    let sinks = [sh("exit 7", dir.path()), Sink::Dotenv(env.clone())];
    let outcomes = deliver_all(&payload(&secret), &sinks);
    assert!(outcomes[0].result.is_err());
    assert!(outcomes[1].result.is_ok());
    assert!(env.exists());
    let summary = failure_summary(&outcomes).unwrap();
    assert!(
        summary.starts_with("error: 1 of 2 deliveries failed:"),
        "{summary}"
    );
    assert!(summary.contains("exit code 7"), "{summary}");
    assert!(
        summary.contains("m2mctl credentials svc --deliver"),
        "{summary}"
    );
    assert!(failure_summary(&outcomes[1..]).is_none());
}

#[test]
fn sinks_resolve_against_the_config_directory() {
    let yaml = "version: 1\napplications:\n  - name: Ledger\n    key: ledger\n    deliver:\n      - dotenv: ../secrets/ledger.env\n      - command: [vault, kv, put, secret/ledger, credentials=-]\n      - kubernetes_secret: { namespace: payments, name: ledger-auth0, file: k8s/ledger.yaml }\n  - name: Other\n";
    let loaded =
        crate::config::load_str("m2mctl.yaml", yaml, &crate::config::Vars::default()).unwrap();
    let base = Path::new("/srv/conf");
    let sinks = sinks_by_app(&loaded.config, base);
    assert_eq!(sinks.len(), 1);
    assert_eq!(
        sinks["ledger"],
        vec![
            Sink::Dotenv(base.join("../secrets/ledger.env")),
            Sink::Command {
                argv: ["vault", "kv", "put", "secret/ledger", "credentials=-"]
                    .map(String::from)
                    .to_vec(),
                cwd: base.to_path_buf(),
            },
            Sink::KubernetesSecret {
                namespace: "payments".into(),
                name: "ledger-auth0".into(),
                file: base.join("k8s/ledger.yaml"),
            },
        ]
    );
}
