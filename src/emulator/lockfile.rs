//! Exclusive use of a state file: a lock file beside it (`<state>.lock`, an OS file lock held
//! while the emulator runs), private permissions, and the clean-up of a killed process's temp files.
//!
//! Owns [`StateLock`]: taken before the state is read, so two processes never load one state and
//! overwrite each other's writes; the OS drops the lock when its holder dies, so a killed process
//! never leaves the state locked. The lock file records the holder's pid for the error message.
//! State files hold every client secret and the signing key: directories m2mctl creates for them
//! are 0700, every file it writes there 0600. Must not read or write the state itself.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::Error;

/// The lock file beside a state file.
pub fn path_for(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    state.with_file_name(name)
}

/// How long a busy lock is retried before it counts as held: a process that forks a child copies
/// the lock's descriptor into it until the child's `exec` closes it, which on a loaded machine
/// can take a moment (a test binary spawning `m2mctl` while it runs emulators).
const FORK_GRACE: Duration = Duration::from_secs(1);

/// The held lock of one state file (released when dropped or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// Opens (creating it, 0600) the lock file through [`crate::fs::open_lock`]: never a symlink,
/// FIFO or directory.
fn open_private(path: &Path) -> std::io::Result<File> {
    Ok(crate::fs::open_lock(path, crate::fs::Mode::Private)?)
}

impl StateLock {
    /// Takes the lock of `state` without waiting: [`Error::StateLocked`] names the holder's pid
    /// when another process (or another emulator in this one) has it. Creates the state's
    /// directory (0700) when missing.
    pub fn try_take(state: &Path) -> Result<StateLock, Error> {
        let io = |source| Error::StateWrite {
            path: state.to_path_buf(),
            source,
        };
        if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::fs::create_private_dir(dir).map_err(io)?;
        }
        let path = path_for(state);
        let mut file = open_private(&path).map_err(io)?;
        let started = Instant::now();
        let mut outcome = file.try_lock();
        while matches!(outcome, Err(std::fs::TryLockError::WouldBlock))
            && started.elapsed() < FORK_GRACE
        {
            std::thread::sleep(Duration::from_millis(10));
            outcome = file.try_lock();
        }
        match outcome {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(Error::StateLocked {
                    path: state.to_path_buf(),
                    holder: match holder.trim().split_once(' ') {
                        Some((pid, cmd)) => format!("process {pid} (m2mctl {cmd})"),
                        None if holder.trim().is_empty() => "another process".to_string(),
                        None => format!("process {}", holder.trim()),
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // who holds it, for the message the next process shows: `PID COMMAND`
        let pid = format!("{} {}", std::process::id(), command());
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()));
        remove_stale_temp_files(state);
        restrict(state).map_err(io)?;
        Ok(StateLock { _file: file })
    }
}

/// Set in a process whose emulators are embedded (a command's own local tenant, gone when the
/// command ends) rather than serving the state to others.
static EMBEDDED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks this process's emulators as embedded (recorded in the lock file for other processes).
pub fn mark_embedded() {
    EMBEDDED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// This process's m2mctl subcommand (`emulator`, `apply`, …), letters only, with `/embedded`
/// after [`mark_embedded`].
fn command() -> String {
    let cmd: String = std::env::args()
        .nth(1)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect();
    let cmd = if cmd.is_empty() { "?".into() } else { cmd };
    if EMBEDDED.load(std::sync::atomic::Ordering::Relaxed) {
        format!("{cmd}/embedded")
    } else {
        cmd
    }
}

/// Whether the last holder of `state`'s lock (holding it still or not) embedded the tenant in a
/// command rather than serving it to others.
pub fn last_holder_embedded(state: &Path) -> bool {
    std::fs::read_to_string(path_for(state)).is_ok_and(|t| t.trim().ends_with("/embedded"))
}

/// Makes an existing state file (from an older m2mctl) private.
fn restrict(state: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::symlink_metadata(state) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(state, std::fs::Permissions::from_mode(0o600))
            }
            _ => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = state;
        Ok(())
    }
}

/// Removes `.<name>.*.tmp` files beside `state`: temp files of a process killed mid-write (only
/// called with the lock held, so no live process is writing them).
fn remove_stale_temp_files(state: &Path) {
    let (Some(dir), Some(name)) = (state.parent(), state.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::debug!("removed a stale temp file `{file}`"),
                Err(e) => tracing::warn!("cannot remove the stale temp file `{file}`: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_taker_is_refused_with_the_holders_pid_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("nested/state.json");
        let held = StateLock::try_take(&state).unwrap();
        let err = StateLock::try_take(&state).unwrap_err().to_string();
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        assert!(err.contains("state.json"), "{err}");
        drop(held);
        StateLock::try_take(&state).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn directory_is_0700_files_0600_and_stale_temp_files_go() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("new/state.json");
        std::fs::create_dir_all(state.parent().unwrap()).ok();
        std::fs::remove_dir(state.parent().unwrap()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        {
            let _lock = StateLock::try_take(&state).unwrap();
            assert_eq!(mode(state.parent().unwrap()), 0o700);
            assert_eq!(mode(&path_for(&state)), 0o600);
        }
        std::fs::write(&state, "{}").unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o644)).unwrap();
        let stale = state.with_file_name(".state.json.4242.00000000deadbeef.tmp");
        let other = state.with_file_name(".other.json.1.tmp");
        std::fs::write(&stale, "half").unwrap();
        std::fs::write(&other, "not ours").unwrap();
        let _lock = StateLock::try_take(&state).unwrap();
        assert!(!stale.exists(), "stale temp file removed");
        assert!(other.exists(), "another file's temp file kept");
        assert_eq!(
            mode(&state),
            0o600,
            "an older world-readable state is made private"
        );
    }
}
