//! Round-2 rows (issue 18): `/oauth/token` requests of warm runs, the embedded local tenant's
//! apply against the in-memory emulator, no-op plans under added latency, and `validate` of
//! 10,000 applications. Each row has its floor and the ratio to it.
//!
//! Owns these measurements and their markdown table. Must not change what the other groups do.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use m2mctl::emulator::FaultSpec;

use crate::emu::{self, Tenant};
use crate::seed::Shape;

/// One measured row.
pub struct Row {
    what: String,
    measured: String,
    floor: String,
    ratio: String,
}

fn run(
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

fn env(tenant: &Tenant, cache: &Path) -> Vec<(String, String)> {
    vec![
        ("AUTH0_DOMAIN".into(), tenant.domain().to_string()),
        ("AUTH0_CLIENT_ID".into(), emu::CLIENT_ID.into()),
        ("AUTH0_CLIENT_SECRET".into(), emu::CLIENT_SECRET.into()),
        ("M2MCTL_CA_CERT".into(), tenant.cert().display().to_string()),
        ("M2MCTL_CACHE_DIR".into(), cache.display().to_string()),
    ]
}

fn write(path: &Path, text: &str) -> Result<PathBuf, String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

/// Token requests of warm `plan`, no-op `apply` and `token` (floor 0).
async fn warm_tokens(bin: &Path, dir: &Path, rows: &mut Vec<Row>) -> Result<(), String> {
    let work = dir.join("warm");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
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
        let tokens = tenant.stats().await?.tokens();
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
        });
    }
    tenant.stop().await
}

/// Creating `n` apps: embedded local tenant vs the in-memory emulator (the floor).
async fn local_apply(bin: &Path, dir: &Path, n: usize, rows: &mut Vec<Row>) -> Result<(), String> {
    let shape = Shape::new(n, 5);
    let memory = dir.join(format!("memory-{n}"));
    let local = dir.join(format!("local-{n}"));
    for d in [&memory, &local] {
        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
    }
    write(
        &memory.join("m2mctl.yaml"),
        &shape.config_yaml("${AUTH0_DOMAIN}"),
    )?;
    write(&local.join("m2mctl.yaml"), &shape.config_yaml("local"))?;
    let tenant = Tenant::start(&memory, None).await?;
    let floor = run(
        bin,
        &memory,
        &["apply", "--auto-approve"],
        &env(&tenant, &memory.join("cache")),
    )?;
    tenant.stop().await?;
    let cache = vec![(
        "M2MCTL_CACHE_DIR".to_string(),
        local.join("cache").display().to_string(),
    )];
    let took = run(bin, &local, &["apply", "--auto-approve"], &cache)?;
    rows.push(Row {
        what: format!("create {n} apps on the embedded local tenant (floor: in-memory emulator)"),
        measured: format!("{:.2} s", took.as_secs_f64()),
        floor: format!("{:.2} s", floor.as_secs_f64()),
        ratio: format!("{:.2}×", took.as_secs_f64() / floor.as_secs_f64()),
    });
    Ok(())
}

/// No-op plans of `n` seeded apps with 0, 50 and 150 ms added to every response.
async fn latency(bin: &Path, dir: &Path, n: usize, rows: &mut Vec<Row>) -> Result<(), String> {
    let work = dir.join(format!("latency-{n}"));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let shape = Shape::new(n, 5);
    write(
        &work.join("m2mctl.yaml"),
        &shape.config_yaml("${AUTH0_DOMAIN}"),
    )?;
    let seeded = Tenant::start(&work, None).await?;
    let api = crate::seed::Api {
        http: seeded.http().clone(),
        base_url: seeded.base_url().to_string(),
        token: seeded.management_token().await?,
    };
    crate::seed::seed(&api, &shape).await?;
    let cache = work.join("cache");
    run(bin, &work, &["plan"], &env(&seeded, &cache))?;
    for ms in [0u64, 50, 150] {
        let spec = (ms > 0).then(|| format!("latency:{ms}-{ms}ms"));
        let faults = match &spec {
            Some(s) => Some(FaultSpec::parse(s).map_err(|e| e.to_string())?),
            None => None,
        };
        let tenant = seeded.copy_with(&work, None, faults).await?;
        let env = env(&tenant, &cache);
        // warm the token cache for this port, then measure
        run(bin, &work, &["plan"], &env)?;
        let took = run(bin, &work, &["plan", "--detailed-exitcode"], &env)?;
        let (floor, ratio) = if ms == 0 {
            ("—".to_string(), "—".to_string())
        } else {
            let rtt = took.as_secs_f64() * 1000.0 / ms as f64;
            (
                format!("{} round trips", if n <= 500 { 5 } else { 6 }),
                format!("{rtt:.1} round trips"),
            )
        };
        rows.push(Row {
            what: format!("no-op plan, {n} apps, +{ms} ms per response"),
            measured: format!("{:.2} s", took.as_secs_f64()),
            floor,
            ratio,
        });
        tenant.stop().await?;
    }
    seeded.stop().await
}

/// `validate` of 10,000 apps (best of 3) against the 200 ms aim.
fn validate(bin: &Path, dir: &Path, rows: &mut Vec<Row>) -> Result<(), String> {
    let work = dir.join("validate");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let shape = Shape::new(10_000, 20);
    write(
        &work.join("m2mctl.yaml"),
        &shape.config_yaml("example.auth0.com"),
    )?;
    let best = (0..3)
        .map(|_| run(bin, &work, &["validate"], &[]))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .min()
        .unwrap_or_default();
    rows.push(Row {
        what: "validate, 10,000 apps (best of 3)".into(),
        measured: format!("{} ms", best.as_millis()),
        floor: "200 ms (aim)".into(),
        ratio: format!("{:.2}×", best.as_secs_f64() / 0.2),
    });
    Ok(())
}

/// Runs every round-2 group; a failing group is reported and the others still run.
pub async fn all(bin: &Path, dir: &Path, local_sizes: &[usize]) -> (Vec<Row>, Vec<String>) {
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
    for &n in local_sizes {
        eprintln!("round 2: local tenant, {n} apps");
        note("local tenant", local_apply(bin, dir, n, &mut rows).await);
    }
    for n in [500, 5000] {
        eprintln!("round 2: latency, {n} apps");
        note("latency", latency(bin, dir, n, &mut rows).await);
    }
    eprintln!("round 2: validate");
    note("validate", validate(bin, dir, &mut rows));
    (rows, failed)
}

/// The rows as a markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out =
        String::from("| measurement | measured | floor / aim | ratio |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.what, r.measured, r.floor, r.ratio
        ));
    }
    out
}
