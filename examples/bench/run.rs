//! Running one tool invocation under `/usr/bin/time` and measuring it: exit code, wall time, peak
//! resident memory (`%M`, the process's max RSS from wait4's rusage), and its output kept in files.
//!
//! Owns process handling. Must not interpret what the tool printed (scenario code does).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one measured process did.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Wall time from spawn to exit.
    pub wall: Duration,
    /// Peak resident set size in KiB.
    pub max_rss_kib: u64,
    /// File holding stdout.
    pub stdout: PathBuf,
    /// File holding stderr.
    pub stderr: PathBuf,
}

impl Measured {
    /// The last `n` lines of stderr then stdout, for error messages.
    pub(crate) fn tail(&self, n: usize) -> String {
        let mut out = String::new();
        for path in [&self.stderr, &self.stdout] {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(n);
            out.push_str(&lines[from..].join("\n"));
            out.push('\n');
        }
        out
    }
}

/// A command to measure: program, arguments, working directory, environment.
pub(crate) struct Invocation {
    /// Label used for the output files (`<label>.out`, `<label>.err`, `<label>.time`).
    pub label: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Working directory; output files go here too.
    pub dir: PathBuf,
    /// Extra environment (the rest is inherited).
    pub env: Vec<(String, String)>,
}

/// Runs `inv` on a blocking thread (the emulator keeps serving on the runtime meanwhile).
pub(crate) async fn measure(inv: Invocation) -> Result<Measured, String> {
    tokio::task::spawn_blocking(move || measure_blocking(&inv))
        .await
        .map_err(|e| format!("measuring thread: {e}"))?
}

/// Runs `inv` under `/usr/bin/time -f %M -o FILE`, stdin closed.
fn measure_blocking(inv: &Invocation) -> Result<Measured, String> {
    let stdout = inv.dir.join(format!("{}.out", inv.label));
    let stderr = inv.dir.join(format!("{}.err", inv.label));
    let time_file = inv.dir.join(format!("{}.time", inv.label));
    let open = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&time_file)
        .arg(&inv.program)
        .args(&inv.args)
        .current_dir(&inv.dir)
        .stdin(Stdio::null())
        .stdout(open(&stdout)?)
        .stderr(open(&stderr)?);
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run /usr/bin/time (GNU time is needed): {e}"))?;
    let wall = started.elapsed();
    let time_text = std::fs::read_to_string(&time_file).unwrap_or_default();
    // GNU time writes "Command exited with non-zero status N" before the format line.
    let max_rss_kib = time_text
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .ok_or(format!(
            "no peak RSS from /usr/bin/time for `{}`: {time_text}",
            inv.label
        ))?;
    Ok(Measured {
        code: status.code().unwrap_or(-1),
        wall,
        max_rss_kib,
        stdout,
        stderr,
    })
}
