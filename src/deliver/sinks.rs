//! The I/O edge of delivery: write a private file atomically, or run a command with the
//! credentials on its stdin.
//!
//! Owns file modes (0600 files through `crate::fs`, 0700 for a directory it has to create) and
//! what a failed command shows (exit code and stderr,
//! with the delivered secret masked). Must not render payloads (render.rs does) nor put a
//! credential in a command's argv or environment.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use super::DeliverError;

/// How long a delivery command may run before it is killed: a command waiting for a login prompt
/// or a hung network must not hang `apply` or a CI job.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Longest stderr excerpt a failed command shows.
const STDERR_EXCERPT: usize = 2_000;

/// Environment variables holding m2mctl's own credentials, kept from delivery commands.
const OWN_SECRETS: &[&str] = &[
    crate::cli::env::AUTH0_CLIENT_SECRET,
    crate::cli::env::AUTH0_ACCESS_TOKEN,
];

/// Writes `bytes` to `path` with mode 0600 through [`crate::fs::write`] (atomic; never through
/// a directory, FIFO or device), first creating a missing parent directory with mode 0700.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), DeliverError> {
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        crate::fs::create_private_dir(dir).map_err(|source| DeliverError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    }
    crate::fs::write(
        path,
        bytes,
        crate::fs::Mode::Private,
        crate::fs::Replace::Always,
    )
    .map_err(|e| DeliverError::File(Box::new(e)))
}

/// The file's text, or empty when it does not exist yet.
pub fn read_existing(path: &Path) -> Result<String, DeliverError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(DeliverError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Runs `argv` in `cwd` with `stdin` on its standard input; its stdout is discarded. `secret`
/// is masked in the stderr excerpt of a failure. A command still running after `timeout` is
/// killed and reported as [`DeliverError::TimedOut`].
pub fn run_command(
    argv: &[String],
    cwd: &Path,
    stdin: &str,
    secret: &str,
    timeout: Duration,
) -> Result<(), DeliverError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(DeliverError::EmptyCommand);
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for name in OWN_SECRETS {
        cmd.env_remove(name);
    }
    let mut child = cmd.spawn().map_err(|source| DeliverError::Spawn {
        program: program.clone(),
        source,
    })?;
    if let Some(mut pipe) = child.stdin.take() {
        // A command that exits without reading its input fails on its exit code below.
        let _ = pipe.write_all(stdin.as_bytes());
    }
    // Drain stderr on a thread so a chatty command cannot block on a full pipe while we wait.
    let reader = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    });
    let spawn_error = |source| DeliverError::Spawn {
        program: program.clone(),
        source,
    };
    let Some(status) = child.wait_timeout(timeout).map_err(spawn_error)? else {
        // Killed, then reaped; its stderr thread is left to end with the pipe (a grandchild
        // may still hold it open, and nothing it printed is needed).
        let _ = child.kill();
        child.wait().map_err(spawn_error)?;
        return Err(DeliverError::TimedOut {
            program: program.clone(),
            seconds: timeout.as_secs_f64(),
        });
    };
    let stderr_bytes = reader
        .and_then(|thread| thread.join().ok())
        .unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let mut stderr = String::from_utf8_lossy(&stderr_bytes).into_owned();
    if !secret.is_empty() {
        stderr = stderr.replace(secret, "<redacted>");
    }
    let trimmed = stderr.trim();
    let start = trimmed
        .char_indices()
        .rev()
        .nth(STDERR_EXCERPT)
        .map_or(0, |(i, _)| i);
    Err(DeliverError::CommandFailed {
        program: program.clone(),
        code: status.code(),
        stderr: trimmed[start..].to_string(),
    })
}
