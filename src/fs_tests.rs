//! Attacks on [`super::write`]: every non-regular target an output path can name.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

use super::{Error, Mode, Replace, write};

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Reads a FIFO to its end on another thread.
fn drain(path: &Path) -> std::thread::JoinHandle<String> {
    let path = path.to_path_buf();
    std::thread::spawn(move || std::fs::read_to_string(path).unwrap())
}

#[test]
fn a_directory_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("plan.json");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "mine").unwrap();
    for mode in [Mode::Public, Mode::Private] {
        let err = write(&target, b"{}", mode, Replace::Always).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotRegular {
                    kind: "a directory",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("nothing was written"), "{err}");
    }
    assert!(target.is_dir());
    assert_eq!(
        std::fs::read_to_string(target.join("keep")).unwrap(),
        "mine"
    );
    assert_eq!(entries(dir.path()), ["plan.json"], "no temp file left");
}

#[test]
fn a_fifo_is_written_into_never_renamed_over() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out");
    mkfifo(&fifo);
    let reader = drain(&fifo);
    write(&fifo, b"plan\n", Mode::Public, Replace::Always).unwrap();
    assert_eq!(reader.join().unwrap(), "plan\n");
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "still a FIFO");
    assert_eq!(entries(dir.path()), ["out"]);
}

#[test]
fn a_secret_never_goes_into_a_fifo_or_device() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("tokens.json");
    mkfifo(&fifo);
    let err = write(&fifo, b"secret", Mode::Private, Replace::Always).unwrap_err();
    assert!(
        matches!(err, Error::NotRegular { kind: "a FIFO", .. }),
        "{err}"
    );
    let err = write(
        Path::new("/dev/null"),
        b"secret",
        Mode::Private,
        Replace::Always,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotRegular {
                kind: "a character device",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn a_character_device_is_written_into() {
    write(
        Path::new("/dev/null"),
        b"plan",
        Mode::Public,
        Replace::Always,
    )
    .unwrap();
    let kind = std::fs::metadata("/dev/null").unwrap().file_type();
    assert!(kind.is_char_device(), "/dev/null is still a device");
}

#[test]
fn a_symlink_to_a_fifo_or_directory_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let to_fifo = dir.path().join("to-fifo");
    let to_dir = dir.path().join("to-dir");
    std::os::unix::fs::symlink("fifo", &to_fifo).unwrap();
    std::os::unix::fs::symlink(&sub, &to_dir).unwrap();

    let err = write(&to_dir, b"x", Mode::Public, Replace::Always).unwrap_err();
    assert!(matches!(err, Error::NotRegular { .. }), "{err}");
    let reader = drain(&fifo);
    write(&to_fifo, b"through\n", Mode::Public, Replace::Always).unwrap();
    assert_eq!(reader.join().unwrap(), "through\n");
    for link in [&to_fifo, &to_dir] {
        let kind = std::fs::symlink_metadata(link).unwrap().file_type();
        assert!(kind.is_symlink(), "{} is still a link", link.display());
    }
    assert!(sub.is_dir());
    assert_eq!(entries(dir.path()), ["fifo", "sub", "to-dir", "to-fifo"]);
}

#[test]
fn a_symlink_to_a_file_keeps_the_link_and_replaces_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.yaml");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("m2mctl.yaml");
    std::os::unix::fs::symlink("real.yaml", &link).unwrap();
    write(&link, b"new", Mode::Public, Replace::Always).unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
}

#[test]
fn files_get_the_requested_mode_even_when_replacing() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("cache.json");
    std::fs::write(&private, "old").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o666)).unwrap();
    write(&private, b"token", Mode::Private, Replace::Always).unwrap();
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let public = dir.path().join("plan.json");
    write(&public, b"{}", Mode::Public, Replace::Always).unwrap();
    let mode = std::fs::metadata(&public).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, fresh_0644_mode(dir.path()), "0644 less the umask");
    assert_eq!(mode & 0o022, 0, "never group/world writable");
    assert_eq!(entries(dir.path()), ["cache.json", "plan.json"]);
}

/// The mode a new file asked to be 0644 gets under this process's umask.
fn fresh_0644_mode(dir: &Path) -> u32 {
    let probe = dir.join("probe");
    let mut options = std::fs::OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create_new(true), 0o644);
    options.open(&probe).unwrap();
    let mode = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
    std::fs::remove_file(&probe).unwrap();
    mode
}

#[test]
fn replace_never_keeps_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m2mctl.yaml");
    write(&path, b"one", Mode::Public, Replace::Never).unwrap();
    let err = write(&path, b"two", Mode::Public, Replace::Never).unwrap_err();
    assert!(matches!(err, Error::Exists { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");
    write(&path, b"three", Mode::Public, Replace::Always).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "three");
    assert_eq!(entries(dir.path()), ["m2mctl.yaml"]);
}

#[test]
fn a_missing_directory_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope").join("plan.json");
    let err = write(&path, b"{}", Mode::Public, Replace::Always).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("plan.json"), "{err}");
}
