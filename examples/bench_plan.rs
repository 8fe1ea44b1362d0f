//! Benchmark of a no-op `m2mctl plan` on a large tenant: requests vs the floor, wall time, peak
//! memory, and wall time under a rate limit.
//!
//! ```sh
//! cargo build --release && cargo run --release --example bench_plan -- --apps 5000 --apis 20
//! ```
//!
//! Seeds an in-process emulator (persisted to a temp state file) with `--apps` managed apps, one
//! grant each, over `--apis` APIs, through the real Management API; writes the matching config;
//! then runs the release binary under `/usr/bin/time -v` (`--runs` times, median reported) and
//! reads `/__m2mctl/stats`. Then restarts the emulator on the same state with `--rate-limit`
//! `--burst` and plans once more. Prints a markdown table. Seed helpers are shared with the
//! integration tests (`tests/cli/support/seed.rs`).

// Shared with the integration tests; not every helper is used here.
#[allow(dead_code)]
#[path = "../tests/cli/support/seed.rs"]
mod seed;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use m2mctl::emulator::{self, Emulator, EmulatorConfig, RateLimit};
use m2mctl::tenant::floor_requests;
use serde_json::Value;

const ID: &str = "benchbootstrapclient0000000000000";
const SECRET: &str = "bench-bootstrap-secret-not-for-production-use-000000000000000000";

struct Args {
    apps: usize,
    apis: usize,
    runs: usize,
    rate: f64,
    burst: u32,
    bin: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/release/examples/bench_plan -> target/release/m2mctl
    let default_bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("m2mctl"))
        .unwrap_or_default();
    let mut args = Args {
        apps: 5000,
        apis: 20,
        runs: 3,
        rate: 16.0,
        burst: 50,
        bin: default_bin,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("`{flag}` needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("`{flag} {value}`: {e}");
        match flag.as_str() {
            "--apps" => args.apps = value.parse().map_err(|e| bad(&e))?,
            "--apis" => args.apis = value.parse().map_err(|e| bad(&e))?,
            "--runs" => args.runs = value.parse().map_err(|e| bad(&e))?,
            "--rate-limit" => args.rate = value.parse().map_err(|e| bad(&e))?,
            "--burst" => args.burst = value.parse().map_err(|e| bad(&e))?,
            "--bin" => args.bin = PathBuf::from(value),
            _ => return Err(format!("unknown flag `{flag}`")),
        }
    }
    if !args.bin.is_file() {
        return Err(format!(
            "no m2mctl binary at `{}`: run `cargo build --release` first or pass `--bin`",
            args.bin.display()
        ));
    }
    Ok(args)
}

async fn start(state: &Path, limit: Option<(f64, u32)>) -> Result<Emulator, String> {
    let mut config = EmulatorConfig::local("127.0.0.1:0".parse().map_err(|_| "addr")?);
    config.state = Some(state.to_path_buf());
    config.bootstrap = Some((ID.into(), SECRET.into()));
    config.rate_limit = match limit {
        Some((rps, burst)) => Some(RateLimit::new(rps, burst).map_err(|e| e.to_string())?),
        None => None,
    };
    emulator::spawn(config).await.map_err(|e| e.to_string())
}

async fn get_json(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
) -> Result<Value, String> {
    let mut req = http.get(&url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    r.json().await.map_err(|e| format!("{url}: {e}"))
}

async fn token(http: &reqwest::Client, e: &Emulator) -> Result<String, String> {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", ID),
        ("client_secret", SECRET),
        ("audience", &e.management_audience()),
    ];
    let url = format!("{}/oauth/token", e.base_url());
    let body: Value = http
        .post(url)
        .form(&form)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or(format!("no token: {body}"))
}

/// One measured `plan` run.
struct Sample {
    code: i32,
    wall: Duration,
    max_rss_kb: u64,
    requests: u64,
}

async fn plan_once(args: &Args, dir: &Path, e: &Emulator) -> Result<Sample, String> {
    let http = reqwest::Client::new();
    let reset = format!("{}/__m2mctl/stats/reset", e.base_url());
    http.post(reset).send().await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(&args.bin)
        .args(["plan", "--detailed-exitcode"])
        .current_dir(dir)
        .env("AUTH0_DOMAIN", e.base_url())
        .env("AUTH0_CLIENT_ID", ID)
        .env("AUTH0_CLIENT_SECRET", SECRET)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("/usr/bin/time: {e}"))?;
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let max_rss_kb = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .ok_or(format!("no max RSS in: {stderr}"))?;
    let stats = get_json(&http, format!("{}/__m2mctl/stats", e.base_url()), None).await?;
    let code = out.status.code().unwrap_or(-1);
    if code != 0 {
        return Err(format!(
            "plan exited {code} (expected 0 = no changes):\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok(Sample {
        code,
        wall,
        max_rss_kb,
        requests: stats["total"].as_u64().unwrap_or(0),
    })
}

async fn totals(e: &Emulator) -> Result<(usize, usize, usize), String> {
    let http = reqwest::Client::new();
    let token = token(&http, e).await?;
    let mut out = [0usize; 3];
    for (i, path) in ["clients", "client-grants", "resource-servers"]
        .iter()
        .enumerate()
    {
        let url = format!(
            "{}/api/v2/{path}?include_totals=true&per_page=1",
            e.base_url()
        );
        out[i] = get_json(&http, url, Some(&token)).await?["total"]
            .as_u64()
            .unwrap_or(0) as usize;
    }
    Ok((out[0], out[1], out[2]))
}

async fn bench(args: Args) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let state = dir.path().join("tenant.json");
    let shape = seed::Shape::new(args.apps, args.apis);
    std::fs::write(
        dir.path().join("m2mctl.yaml"),
        shape.config_yaml("${AUTH0_DOMAIN}"),
    )
    .map_err(|e| e.to_string())?;

    let e = start(&state, None).await?;
    let seeding = Instant::now();
    let http = reqwest::Client::new();
    let api = seed::Api {
        token: token(&http, &e).await?,
        http,
        base_url: e.base_url().to_string(),
    };
    seed::seed(&api, &shape).await?;
    eprintln!(
        "seeded {} apps + grants, {} APIs in {:.1?}",
        args.apps,
        args.apis,
        seeding.elapsed()
    );
    let (clients, grants, apis) = totals(&e).await?;
    let floor = floor_requests(clients, grants, apis) as u64 + 1;

    let mut samples = Vec::new();
    for _ in 0..args.runs.max(1) {
        samples.push(plan_once(&args, dir.path(), &e).await?);
    }
    samples.sort_by_key(|s| s.wall);
    let mid = &samples[samples.len() / 2];
    e.shutdown().await.map_err(|e| e.to_string())?;

    let limited = start(&state, Some((args.rate, args.burst))).await?;
    let slow = plan_once(&args, dir.path(), &limited).await?;
    limited.shutdown().await.map_err(|e| e.to_string())?;
    let ideal = slow.requests as f64 / args.rate;
    let drained = slow.requests.saturating_sub(u64::from(args.burst)) as f64 / args.rate;

    println!("tenant: {clients} clients, {grants} grants, {apis} APIs (system objects included)");
    println!("floor: {} list calls + 1 token call = {floor}\n", floor - 1);
    println!("| run | exit | requests | floor | wall | max RSS |");
    println!("| --- | --- | --- | --- | --- | --- |");
    println!(
        "| no limit (median of {}) | {} | {} | {floor} | {:.2} s | {:.1} MiB |",
        samples.len(),
        mid.code,
        mid.requests,
        mid.wall.as_secs_f64(),
        mid.max_rss_kb as f64 / 1024.0
    );
    println!(
        "| `--rate-limit {} --burst {}` | {} | {} | {floor} | {:.2} s | {:.1} MiB |",
        args.rate,
        args.burst,
        slow.code,
        slow.requests,
        slow.wall.as_secs_f64(),
        slow.max_rss_kb as f64 / 1024.0
    );
    println!(
        "\nrate-limited: wall / (requests/{rate}) = {:.2} / {ideal:.2} s = {:.2}; \
         (requests - burst)/{rate} = {drained:.2} s",
        slow.wall.as_secs_f64(),
        slow.wall.as_secs_f64() / ideal,
        rate = args.rate
    );
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = match parse_args() {
        Ok(args) => bench(args).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_plan: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
