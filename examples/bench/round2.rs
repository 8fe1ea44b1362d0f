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
pub struct Options {
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
pub struct Row {
    pub what: String,
    pub measured: String,
    pub floor: String,
    pub ratio: String,
    pub requests: String,
    pub load: String,
}

/// The machine's 1-minute load average now.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Runs m2mctl; exit 0 and 2 (plan with changes) are success. Returns the wall time.
pub fn run(
    bin: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(String, String)],
) -> Result<Duration, String> {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let took = started.elapsed();
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
    Ok(took)
}

/// The environment that points m2mctl at `tenant` with the bootstrap app's credentials.
pub fn env(tenant: &Tenant, cache: &Path) -> Vec<(String, String)> {
    vec![
        ("AUTH0_DOMAIN".into(), tenant.domain().to_string()),
        ("AUTH0_CLIENT_ID".into(), emu::CLIENT_ID.into()),
        ("AUTH0_CLIENT_SECRET".into(), emu::CLIENT_SECRET.into()),
        ("M2MCTL_CA_CERT".into(), tenant.cert().display().to_string()),
        ("M2MCTL_CACHE_DIR".into(), cache.display().to_string()),
    ]
}

pub fn write(path: &Path, text: &str) -> Result<PathBuf, String> {
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

/// One create of `n` apps on each side: (in-memory wall, its requests, local wall).
async fn create_once(
    bin: &Path,
    dir: &Path,
    shape: &Shape,
    round: usize,
) -> Result<(Duration, u64, Duration), String> {
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
    let floor = run(bin, &memory, &["apply", "--auto-approve"], &env)?;
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

/// Creating `n` apps: embedded local tenant vs the in-memory emulator (the floor).
async fn local_apply(
    bin: &Path,
    dir: &Path,
    n: usize,
    repeat: usize,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let shape = Shape::new(n, 5);
    let mut best: Option<(Duration, u64, Duration)> = None;
    let mut ratios = Vec::new();
    for round in 0..repeat.max(1) {
        let (floor, requests, took) = create_once(bin, dir, &shape, round).await?;
        ratios.push(took.as_secs_f64() / floor.as_secs_f64());
        best = Some(match best {
            None => (floor, requests, took),
            Some((f, r, t)) => (f.min(floor), r, t.min(took)),
        });
    }
    let Some((floor, requests, took)) = best else {
        return Err("no run".into());
    };
    ratios.sort_by(f64::total_cmp);
    let spread = match (ratios.first(), ratios.last()) {
        (Some(lo), Some(hi)) if ratios.len() > 1 => format!(" (runs {lo:.2}–{hi:.2}×)"),
        _ => String::new(),
    };
    rows.push(Row {
        what: format!(
            "create {n} apps on the embedded local tenant (floor: in-memory emulator), best of {repeat}"
        ),
        measured: format!("{:.2} s", took.as_secs_f64()),
        floor: format!("{:.2} s", floor.as_secs_f64()),
        ratio: format!("{:.2}×{spread}", took.as_secs_f64() / floor.as_secs_f64()),
        requests: format!("{requests} (in-memory run)"),
        load: load(),
    });
    Ok(())
}

/// Runs every round-2 group; a failing group is reported and the others still run.
pub async fn all(bin: &Path, dir: &Path, o: &Options) -> (Vec<Row>, Vec<String>) {
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
pub fn table(rows: &[Row]) -> String {
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
