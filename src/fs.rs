//! The one home of m2mctl's file writes: atomic replacement of regular files, and the refusal
//! to rename over anything that is not one.
//!
//! Owns [`write`]: a temporary file beside the target (created with the requested [`Mode`]),
//! written, fsynced, renamed into place, then the directory fsynced, so a reader or a kill -9
//! never sees half a file. A target that exists and is not a regular file is never replaced:
//! a directory, socket or block device is refused; a FIFO or character device (`/dev/stdout`,
//! `>(cmd)`) is written into for public files and refused for private ones; a symlink is followed,
//! so the file it names is replaced and the link stays. Also owns the files m2mctl keeps open
//! rather than replaces — lock files ([`open_lock`]) and append-only journals ([`open_append`]):
//! created with their [`Mode`], never truncated by opening, and refused when the path is a
//! symlink or not a regular file (a FIFO would block, a link would lead elsewhere) — and m2mctl's
//! private folders ([`create_private_dir`], [`make_private_dir`], 0700). Must not decide what to
//! write or print anything.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Who may read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0600: holds a secret (token cache, state).
    Private,
    /// 0644: plans, exported configs, certificates.
    Public,
}

impl Mode {
    #[cfg(unix)]
    fn bits(self) -> u32 {
        match self {
            Mode::Private => 0o600,
            Mode::Public => 0o644,
        }
    }
}

/// Whether an existing regular file may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Replace it (the usual case).
    Always,
    /// Only create: an existing file (even one created meanwhile) is an [`Error::Exists`].
    Never,
}

/// Why a write failed; the target is untouched in every case.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The target exists and is not something m2mctl may replace or write into.
    #[error("`{}` is {kind}, not a regular file; nothing was written", path.display())]
    #[diagnostic(help(
        "name a regular file (or a new one): m2mctl never replaces a directory, device, FIFO or socket, and writes secrets only to regular files"
    ))]
    NotRegular {
        /// The path given.
        path: PathBuf,
        /// "a directory", "a FIFO", …
        kind: &'static str,
    },
    /// [`Replace::Never`] and the file exists.
    #[error("`{}` already exists", path.display())]
    #[diagnostic(help("write elsewhere, or allow replacing it"))]
    Exists {
        /// The path given.
        path: PathBuf,
    },
    /// An I/O error.
    #[error("cannot write `{}`: {source}", path.display())]
    #[diagnostic(help(
        "check that the directory exists and is writable and the disk is not full; the old file, if any, is unchanged"
    ))]
    Io {
        /// The path given.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl From<Error> for std::io::Error {
    /// For callers whose errors carry an `io::Error`: the cause of an I/O failure as it was, the
    /// refusals as their message.
    fn from(err: Error) -> std::io::Error {
        match err {
            Error::Io { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        }
    }
}

/// What is at a path now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Missing,
    Regular,
    /// FIFO or character device: can be written into, never renamed over.
    Stream(&'static str),
    /// Directory, socket, block device: refused.
    Other(&'static str),
}

fn classify(path: &Path) -> std::io::Result<Target> {
    // `metadata` follows symlinks: a link to a FIFO is a FIFO; a dangling link is missing.
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Missing),
        Err(e) => return Err(e),
    };
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(Target::Regular);
    }
    if kind.is_dir() {
        return Ok(Target::Other("a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Ok(Target::Stream("a FIFO"));
        }
        if kind.is_char_device() {
            return Ok(Target::Stream("a character device"));
        }
        if kind.is_block_device() {
            return Ok(Target::Other("a block device"));
        }
        if kind.is_socket() {
            return Ok(Target::Other("a socket"));
        }
    }
    Ok(Target::Other("a special file"))
}

/// Fails early (before any network call) when [`write`] would refuse `path` as not a regular
/// file; a missing or regular file passes.
pub fn check(path: &Path, mode: Mode) -> Result<(), Error> {
    let refused = |kind| {
        Err(Error::NotRegular {
            path: path.to_path_buf(),
            kind,
        })
    };
    match classify(path) {
        Ok(Target::Other(kind)) => refused(kind),
        Ok(Target::Stream(kind)) if mode == Mode::Private => refused(kind),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically with `mode` (see the module doc for non-regular targets).
pub fn write(path: &Path, bytes: &[u8], mode: Mode, replace: Replace) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_regular = |kind| Error::NotRegular {
        path: path.to_path_buf(),
        kind,
    };
    match classify(path).map_err(io)? {
        Target::Other(kind) => Err(not_regular(kind)),
        Target::Stream(kind) if mode == Mode::Private => Err(not_regular(kind)),
        Target::Stream(_) if replace == Replace::Never => Err(Error::Exists {
            path: path.to_path_buf(),
        }),
        Target::Stream(_) => write_into(path, bytes).map_err(io),
        Target::Regular if replace == Replace::Never => Err(Error::Exists {
            path: path.to_path_buf(),
        }),
        Target::Regular | Target::Missing => {
            // Replace the file a symlink names, not the link.
            let real = resolve(path).map_err(io)?;
            replace_file(&real, bytes, mode, replace).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Error::Exists {
                    path: path.to_path_buf(),
                },
                _ => io(e),
            })
        }
    }
}

/// Follows symlinks at `path` itself (not its parents), up to a small bound.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..32 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Opens an existing FIFO or character device and writes into it (no create, no truncate).
fn write_into(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Temp file + fsync + rename (or hard link for [`Replace::Never`]) + directory fsync.
fn replace_file(path: &Path, bytes: &[u8], mode: Mode, replace: Replace) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "m2mctl".into());
    let tmp = dir.join(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let result = (|| {
        let mut file = create_new(&tmp, mode)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        match replace {
            Replace::Always => std::fs::rename(&tmp, path)?,
            // A hard link fails if `path` exists: no window in which another file is replaced.
            Replace::Never => match std::fs::hard_link(&tmp, path) {
                Ok(()) => std::fs::remove_file(&tmp)?,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
                // A file system without hard links: check, then rename (a small window).
                Err(_) if !path.exists() => std::fs::rename(&tmp, path)?,
                Err(e) => return Err(e),
            },
        }
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn create_new(path: &Path, mode: Mode) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode.bits());
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// Opens (creating it with `mode`) a lock file to `lock()` on; never truncates it.
pub fn open_lock(path: &Path, mode: Mode) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    open_regular(path, options, mode)
}

/// Opens (creating it with `mode`) an append-only file such as a journal.
pub fn open_append(path: &Path, mode: Mode) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    open_regular(path, options, mode)
}

/// Opens `path` with `options` only when it is missing or a regular file that is not a symlink,
/// and checks the opened file again (a FIFO swapped in meanwhile is closed, not used).
fn open_regular(path: &Path, mut options: OpenOptions, mode: Mode) -> Result<File, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_regular = |kind| Error::NotRegular {
        path: path.to_path_buf(),
        kind,
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(not_regular("a symbolic link")),
        Ok(_) => match classify(path).map_err(io)? {
            Target::Stream(kind) | Target::Other(kind) => return Err(not_regular(kind)),
            Target::Regular | Target::Missing => {}
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode.bits());
    #[cfg(not(unix))]
    let _ = mode;
    let file = options.open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(not_regular("a special file"));
    }
    Ok(file)
}

/// Creates `dir` (and missing parents) with mode 0700; an existing folder is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `dir` with mode 0700, or makes an existing one 0700 (a folder of m2mctl's own that
/// holds secrets).
pub fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    create_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
#[path = "fs_tests.rs"]
mod tests;
