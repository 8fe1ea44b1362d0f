//! Output paths that are not regular files (issue 11 item 9): `plan --out`, `export -o` and
//! `emulator --cert-out` never rename over a directory, FIFO, device or a symlink to one; a FIFO
//! or character device is written into, anything else is refused before the tenant is read.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use m2mctl::emulator::{self, EmulatorConfig, TlsMode};

use crate::support::Tenant;

const EMPTY: &str = "version: 1\nproject: empty\ntenant:\n  domain: ${AUTH0_DOMAIN}\n";

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// Reads a FIFO to its end on another thread.
fn drain(path: &Path) -> std::thread::JoinHandle<String> {
    let path = path.to_path_buf();
    std::thread::spawn(move || std::fs::read_to_string(path).expect("read fifo"))
}

fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_fifo())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_out_refuses_a_directory_or_a_link_to_one_before_reading_the_tenant() {
    let t = Tenant::start().await;
    std::fs::write(t.dir().join("m2mctl.yaml"), EMPTY).unwrap();
    let dir = t.dir().join("plans");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "mine").unwrap();
    std::os::unix::fs::symlink("plans", t.dir().join("link")).unwrap();
    for out in ["plans", "link"] {
        let run = t.m2mctl(&["plan", "--out", out]).await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("is a directory, not a regular file"),
            "{}",
            run.stderr
        );
    }
    assert!(dir.is_dir());
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
        "mine"
    );
    let link = std::fs::symlink_metadata(t.dir().join("link")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was not replaced");
    assert_eq!(t.stats().await["total"], 0, "refused before any request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_out_writes_into_a_fifo_and_leaves_it_a_fifo() {
    let t = Tenant::start().await;
    std::fs::write(t.dir().join("m2mctl.yaml"), EMPTY).unwrap();
    let fifo = t.dir().join("plan.fifo");
    mkfifo(&fifo);
    let reader = drain(&fifo);
    let run = t.m2mctl(&["plan", "--out", "plan.fifo"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let saved: serde_json::Value = serde_json::from_str(&reader.join().unwrap()).expect("json");
    assert!(saved.is_object(), "{saved}");
    assert!(is_fifo(&fifo), "still a FIFO");
    let run = t.m2mctl(&["plan", "--out", "/dev/null"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_force_never_renames_over_a_directory() {
    let t = Tenant::start().await;
    let dir = t.dir().join("out.yaml");
    std::fs::create_dir(&dir).unwrap();
    let run = t.m2mctl(&["export", "-o", "out.yaml", "--force"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("is a directory"), "{}", run.stderr);
    assert!(dir.is_dir());
    assert_eq!(t.stats().await["total"], 0, "refused before any request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_force_writes_into_a_fifo() {
    let t = Tenant::start().await;
    let fifo = t.dir().join("out.yaml");
    mkfifo(&fifo);
    let reader = drain(&fifo);
    let run = t.m2mctl(&["export", "-o", "out.yaml", "--force"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(reader.join().unwrap().contains("version: 1"));
    assert!(is_fifo(&fifo));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_cert_out_refuses_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("ca.pem");
    std::fs::create_dir(&target).unwrap();
    let mut config = EmulatorConfig::local("127.0.0.1:0".parse().unwrap());
    config.tls = TlsMode::SelfSigned {
        cert_out: Some(target.clone()),
    };
    let err = match emulator::spawn(config).await {
        Ok(_) => panic!("the emulator started with --cert-out naming a directory"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("is a directory, not a regular file"), "{err}");
    assert!(target.is_dir());
}
