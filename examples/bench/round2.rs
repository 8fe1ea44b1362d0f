//! Round-2 rows (issue 18): `/oauth/token` requests of warm runs, the embedded local tenant's
//! apply against the in-memory emulator, no-op plans under added latency (`latency.rs`), and
//! `validate` of 10,000 applications (`validate.rs`). Each row has its floor or aim, the ratio to
//! it, the requests counted by the tenant and the machine's 1-minute load average when measured.
//! Timed figures are the best of `repeat` runs (the least disturbed by the other work on the
//! machine); request counts do not vary between runs.
//!
//! Owns these measurements and their markdown table. Must not change what the other groups do.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::emu::{self, Tenant};
use crate::seed::Shape;

/// What round 2 measures.
pub(crate) struct Options {
    /// Sizes of the local-tenant create (apps).
    pub local_sizes: Vec<usize>,
    /// Sizes of the latency-bound no-op plans (apps).
    pub latency_sizes: Vec<usize>,
    /// Added latencies (ms; 0 = none).
    pub latencies: Vec<u64>,
    /// Runs per timed figure (the best is kept).
    pub repeat: usize,
    /// The rate limit of the rate-limited latency row (req/s, burst).
    pub limit: (f64, u32),
    /// Applications in the `validate` file.
    pub validate_apps: usize,
}

/// One measured row.
pub(crate) struct Row {
    pub what: String,
    pub measured: String,
    pub floor: String,
    pub ratio: String,
    pub requests: String,
    pub load: String,
}

/// The machine's 1-minute load average now.
pub(crate) fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// One finished m2mctl run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ran {
    /// Spawn to exit.
    pub wall: Duration,
    /// User + system CPU time of the process (`/usr/bin/time`, 10 ms resolution): what the wall
    /// time of a single-threaded run would be on an idle machine, and far steadier under load.
    pub cpu: Duration,
}

impl Ran {
    /// The element-wise best of two runs.
    pub(crate) fn min(self, other: Ran) -> Ran {
        Ran {
            wall: self.wall.min(other.wall),
            cpu: self.cpu.min(other.cpu),
        }
    }
}

/// CPU time (user + system) this process has used so far (the in-process emulator's share).
pub(crate) fn self_cpu() -> Duration {
    proc_cpu("/proc/self/stat")
}

/// CPU time (user + system) the calling thread has used so far.
pub(crate) fn thread_cpu() -> Duration {
    proc_cpu("/proc/thread-self/stat")
}

fn proc_cpu(path: &str) -> Duration {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // fields 14 and 15 of proc(5) (utime, stime), in clock ticks of 1/100 s on Linux
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Runs m2mctl under `/usr/bin/time`; exit 0 and 2 (plan with changes) are success.
pub(crate) fn run(
    bin: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(String, String)],
) -> Result<Ran, String> {
    let time_file = dir.join(".m2mctl.time");
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%U %S", "-o"])
        .arg(&time_file)
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time (GNU time is needed): {e}"))?;
    let wall = started.elapsed();
    let code = out.status.code().unwrap_or(-1);
    if code != 0 && code != 2 {
        return Err(format!(
            "m2mctl {args:?} exited {code}: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ));
    }
    // GNU time writes "Command exited with non-zero status N" before the format line.
    let times = std::fs::read_to_string(&time_file).unwrap_or_default();
    let cpu: f64 = times
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    Ok(Ran {
        wall,
        cpu: Duration::from_secs_f64(cpu),
    })
}

/// The environment that points m2mctl at `tenant` with the bootstrap app's credentials.
pub(crate) fn env(tenant: &Tenant, cache: &Path) -> Vec<(String, String)> {
    vec![
        ("AUTH0_DOMAIN".into(), tenant.domain().to_string()),
        ("AUTH0_CLIENT_ID".into(), emu::CLIENT_ID.into()),
        ("AUTH0_CLIENT_SECRET".into(), emu::CLIENT_SECRET.into()),
        ("M2MCTL_CA_CERT".into(), tenant.cert().display().to_string()),
        ("M2MCTL_CACHE_DIR".into(), cache.display().to_string()),
    ]
}

pub(crate) fn write(path: &Path, text: &str) -> Result<PathBuf, String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

/// Token requests of warm `plan`, no-op `apply` and `token` (floor 0).
async fn warm_tokens(bin: &Path, dir: &Path, rows: &mut Vec<Row>) -> Result<(), String> {
    let work = dir.join("warm");
    let shape = Shape::new(100, 5);
    write(
        &work.join("m2mctl.yaml"),
        &shape.config_yaml("${AUTH0_DOMAIN}"),
    )?;
    let tenant = Tenant::start(&work, None).await?;
    let env = env(&tenant, &work.join("cache"));
    run(bin, &work, &["apply", "--auto-approve"], &env)?;
    run(bin, &work, &["token", "--format", "json"], &env)?;
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"][..],
        &["token", "--format", "json"][..],
    ] {
        tenant.reset_stats().await?;
        run(bin, &work, args, &env)?;
        let stats = tenant.stats().await?;
        let tokens = stats.tokens();
        rows.push(Row {
            what: format!(
                "warm `{}` (100 apps): requests to /oauth/token",
                args.join(" ")
            ),
            measured: tokens.to_string(),
            floor: "0".into(),
            ratio: if tokens == 0 {
                "at floor".into()
            } else {
                format!("+{tokens}")
            },
            requests: stats.total.to_string(),
            load: load(),
        });
    }
    tenant.stop().await
}

/// One create of `n` apps on each side: (in-memory run with the emulator's CPU added, its
/// requests, local run). The local run's process holds both m2mctl and the tenant.
async fn create_once(
    bin: &Path,
    dir: &Path,
    shape: &Shape,
    round: usize,
) -> Result<(Ran, u64, Ran), String> {
    let n = shape.apps;
    let memory = dir.join(format!("memory-{n}-{round}"));
    let local = dir.join(format!("local-{n}-{round}"));
    write(
        &memory.join("m2mctl.yaml"),
        &shape.config_yaml("${AUTH0_DOMAIN}"),
    )?;
    write(&local.join("m2mctl.yaml"), &shape.config_yaml("local"))?;
    let tenant = Tenant::start(&memory, None).await?;
    let env = env(&tenant, &memory.join("cache"));
    // the Management API token first, so both sides measure the create alone
    run(bin, &memory, &["plan"], &env)?;
    tenant.reset_stats().await?;
    let before = self_cpu();
    let mut floor = run(bin, &memory, &["apply", "--auto-approve"], &env)?;
    floor.cpu += self_cpu().saturating_sub(before);
    let requests = tenant.stats().await?.total;
    tenant.stop().await?;
    let cache = vec![(
        "M2MCTL_CACHE_DIR".to_string(),
        local.join("cache").display().to_string(),
    )];
    run(bin, &local, &["plan"], &cache)?;
    let took = run(bin, &local, &["apply", "--auto-approve"], &cache)?;
    // the created tenant must be there: a no-op plan (exit 0) after the create
    run(bin, &local, &["plan", "--detailed-exitcode"], &cache)?;
    for d in [&memory, &local] {
        let _ = std::fs::remove_dir_all(d);
    }
    Ok((floor, requests, took))
}

fn spread(mut ratios: Vec<f64>) -> String {
    ratios.sort_by(f64::total_cmp);
    match (ratios.first(), ratios.last()) {
        (Some(lo), Some(hi)) if ratios.len() > 1 => format!(" (runs {lo:.2}–{hi:.2}×)"),
        _ => String::new(),
    }
}

/// Creating `n` apps: embedded local tenant vs the in-memory emulator (the floor), by wall time
/// and by CPU time (m2mctl's, plus the in-memory emulator's in this process).
async fn local_apply(
    bin: &Path,
    dir: &Path,
    n: usize,
    repeat: usize,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let shape = Shape::new(n, 5);
    let mut best: Option<(Ran, u64, Ran)> = None;
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for round in 0..repeat.max(1) {
        let (floor, requests, took) = create_once(bin, dir, &shape, round).await?;
        walls.push(took.wall.as_secs_f64() / floor.wall.as_secs_f64());
        cpus.push(took.cpu.as_secs_f64() / floor.cpu.as_secs_f64().max(0.01));
        best = Some(match best {
            None => (floor, requests, took),
            Some((f, r, t)) => (f.min(floor), r, t.min(took)),
        });
    }
    let Some((floor, requests, took)) = best else {
        return Err("no run".into());
    };
    let secs = |d: Duration| d.as_secs_f64();
    rows.push(Row {
        what: format!(
            "create {n} apps on the embedded local tenant (floor: in-memory emulator), wall, best of {repeat}"
        ),
        measured: format!("{:.2} s", secs(took.wall)),
        floor: format!("{:.2} s", secs(floor.wall)),
        ratio: format!("{:.2}×{}", secs(took.wall) / secs(floor.wall), spread(walls)),
        requests: format!("{requests} (in-memory run)"),
        load: load(),
    });
    rows.push(Row {
        what: format!("… CPU time (in-memory: m2mctl + emulator), best of {repeat}"),
        measured: format!("{:.2} s", secs(took.cpu)),
        floor: format!("{:.2} s", secs(floor.cpu)),
        ratio: format!(
            "{:.2}×{}",
            secs(took.cpu) / secs(floor.cpu).max(0.01),
            spread(cpus)
        ),
        requests: String::new(),
        load: load(),
    });
    Ok(())
}

/// Runs every round-2 group; a failing group is reported and the others still run.
pub(crate) async fn all(bin: &Path, dir: &Path, o: &Options) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    let mut note = |what: &str, r: Result<(), String>| {
        if let Err(e) = r {
            eprintln!("bench: {what} failed: {e}");
            failed.push(format!("{what}: {e}"));
        }
    };
    eprintln!("round 2: warm token requests");
    note("warm tokens", warm_tokens(bin, dir, &mut rows).await);
    for &n in &o.local_sizes {
        eprintln!("round 2: local tenant, {n} apps");
        note(
            "local tenant",
            local_apply(bin, dir, n, o.repeat, &mut rows).await,
        );
    }
    for &n in &o.latency_sizes {
        eprintln!("round 2: latency, {n} apps");
        note(
            "latency",
            crate::latency::rows(bin, dir, n, o, &mut rows).await,
        );
    }
    if o.validate_apps > 0 {
        eprintln!("round 2: validate");
        note(
            "validate",
            crate::validate::rows(bin, dir, o.validate_apps, o.repeat, &mut rows),
        );
    }
    (rows, failed)
}

/// The rows as a markdown table.
pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| measurement | measured | floor / aim | ratio | requests | load (1 min) |\n|---|---|---|---|--:|--:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.what, r.measured, r.floor, r.ratio, r.requests, r.load
        ));
    }
    out
}
