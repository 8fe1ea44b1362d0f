//! Attacks on [`super::write`], [`super::open_lock`] and [`super::open_append`]: every
//! non-regular target an output, lock or journal path can name.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

use super::{
    Error, Mode, Replace, create_private_dir, make_private_dir, open_append, open_lock, write,
};

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

/// Every hostile thing a lock file or journal path can be: none is opened, none is changed.
#[test]
fn lock_files_and_journals_refuse_symlinks_directories_and_fifos() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::write(&real, "keep").unwrap();
    let to_file = dir.path().join("to-file");
    std::os::unix::fs::symlink(&real, &to_file).unwrap();
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), &dangling).unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let cases = [
        (&to_file, "a symbolic link"),
        (&dangling, "a symbolic link"),
        (&sub, "a directory"),
        (&fifo, "a FIFO"),
    ];
    for (path, kind) in cases {
        // A FIFO must be refused, not opened: opening one for writing would block forever.
        for open in [open_lock, open_append] {
            match open(path, Mode::Private) {
                Err(Error::NotRegular { kind: got, .. }) => assert_eq!(got, kind, "{path:?}"),
                other => panic!("{} was opened: {other:?}", path.display()),
            }
        }
    }
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "keep");
    assert!(
        !dir.path().join("elsewhere").exists(),
        "nothing created through the link"
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn lock_files_and_journals_are_created_private_and_never_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join(".lock");
    drop(open_lock(&lock, Mode::Private).unwrap());
    assert_eq!(
        std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::write(&lock, "pid 1").unwrap();
    let file = open_lock(&lock, Mode::Private).unwrap();
    file.lock().unwrap();
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "pid 1");
    let journal = dir.path().join("journal");
    std::fs::write(&journal, "line 1\n").unwrap();
    let mut file = open_append(&journal, Mode::Private).unwrap();
    std::io::Write::write_all(&mut file, b"line 2\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        "line 1\nline 2\n"
    );
}

#[test]
fn private_dirs_are_created_0700_and_tightened() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("a").join("b");
    create_private_dir(&new).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&new), 0o700);
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    create_private_dir(&open).unwrap();
    assert_eq!(mode(&open), 0o755, "create leaves an existing folder alone");
    make_private_dir(&open).unwrap();
    assert_eq!(mode(&open), 0o700);
}
