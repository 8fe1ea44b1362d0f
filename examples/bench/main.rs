//! Benchmark of m2mctl's request economy and speed against the floor and against the deploy CLI
//! (auth0-deploy-cli 8.x), side by side, on the same emulator build in the same run.
//!
//! ```sh
//! CARGO_BUILD_BUILD_DIR=/work/targets/release-build cargo build --release --bins --examples
//! target/release/examples/bench                                # m2mctl only
//! examples/bench-deploy-cli.sh                                 # installs a0deploy, both tools
//! target/release/examples/bench --deploy-cli PATH/a0deploy     # both tools, a0deploy given
//! ```
//!
//! Every tenant is an in-process `m2mctl::emulator` over TLS (self-signed certificate, trusted
//! through `M2MCTL_CA_CERT` and `NODE_EXTRA_CA_CERTS`); requests are counted by the emulator
//! (`/__m2mctl/stats`, reset before each run); each tool runs as a process under `/usr/bin/time`
//! for its peak RSS. Prints markdown tables on stdout, progress on stderr. See
//! README.performance.md for the floors and one run's figures.

#[allow(dead_code)]
#[path = "../../tests/cli/support/seed.rs"]
mod seed;

mod desired;
mod emu;
mod flows;
mod latency;
mod report;
mod round2;
mod run;
mod scenario;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Instant;

use scenario::Bench;

struct Args {
    sizes: Vec<usize>,
    deploy_sizes: Option<Vec<usize>>,
    plan_sizes: Vec<usize>,
    apis: usize,
    rate: f64,
    burst: u32,
    limited_create: usize,
    token_apps: usize,
    compare: usize,
    deploy_limited: bool,
    m2mctl_runs: bool,
    round2: Vec<usize>,
    round2_latency: Vec<usize>,
    latencies: Vec<u64>,
    repeat: usize,
    validate_apps: usize,
    m2mctl: PathBuf,
    a0deploy: Option<PathBuf>,
    keep: Option<PathBuf>,
}

const USAGE: &str = "usage: bench [--sizes 100,500,1000] [--deploy-sizes LIST] [--plan-sizes 5000] \
[--apis 20] [--rate-limit 16] [--burst 50] [--limited-create 1000] [--token-apps 100] \
[--compare 500] [--deploy-limited true] [--m2mctl-runs true] [--round2 500,2000,5000|none] [--round2-latency 500,5000|none] [--latencies 0,50,150] [--repeat 3] [--validate-apps 10000] [--bin M2MCTL] [--deploy-cli A0DEPLOY] [--keep DIR]";

fn list(v: &str) -> Result<Vec<usize>, String> {
    if v.is_empty() || v == "none" {
        return Ok(Vec::new());
    }
    v.split(',')
        .map(|s| s.trim().parse().map_err(|e| format!("`{s}`: {e}")))
        .collect()
}

fn parse_args() -> Result<Args, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/release/examples/bench -> target/release/m2mctl
    let m2mctl = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("m2mctl"))
        .unwrap_or_default();
    let mut a = Args {
        sizes: vec![100, 500, 1000],
        deploy_sizes: None,
        plan_sizes: vec![5000],
        apis: 20,
        rate: 16.0,
        burst: 50,
        limited_create: 1000,
        token_apps: 100,
        compare: 500,
        deploy_limited: true,
        m2mctl_runs: true,
        round2: vec![500, 2000, 5000],
        round2_latency: vec![500, 5000],
        latencies: vec![0, 50, 150],
        repeat: 3,
        validate_apps: 10_000,
        m2mctl,
        a0deploy: None,
        keep: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.into());
        }
        let v = it
            .next()
            .ok_or(format!("`{flag}` needs a value\n{USAGE}"))?;
        let bad = |e: String| format!("`{flag} {v}`: {e}");
        match flag.as_str() {
            "--sizes" => a.sizes = list(&v).map_err(bad)?,
            "--deploy-sizes" => a.deploy_sizes = Some(list(&v).map_err(bad)?),
            "--plan-sizes" => a.plan_sizes = list(&v).map_err(bad)?,
            "--apis" => a.apis = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--rate-limit" => a.rate = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--burst" => a.burst = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--limited-create" => a.limited_create = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--token-apps" => a.token_apps = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--compare" => a.compare = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--deploy-limited" => a.deploy_limited = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--m2mctl-runs" => a.m2mctl_runs = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--round2" => a.round2 = list(&v).map_err(bad)?,
            "--round2-latency" => a.round2_latency = list(&v).map_err(bad)?,
            "--latencies" => {
                a.latencies = list(&v)
                    .map_err(bad)?
                    .into_iter()
                    .map(|n| n as u64)
                    .collect()
            }
            "--repeat" => a.repeat = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--validate-apps" => a.validate_apps = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--bin" => a.m2mctl = PathBuf::from(v),
            "--deploy-cli" => a.a0deploy = Some(PathBuf::from(v)),
            "--keep" => a.keep = Some(PathBuf::from(v)),
            _ => return Err(format!("unknown flag `{flag}`\n{USAGE}")),
        }
    }
    if !a.m2mctl.is_file() {
        return Err(format!(
            "no m2mctl binary at `{}`: run `cargo build --release --bins --examples` first or pass `--bin`",
            a.m2mctl.display()
        ));
    }
    if let Some(p) = &a.a0deploy
        && !p.is_file()
    {
        return Err(format!("no a0deploy at `{}`", p.display()));
    }
    Ok(a)
}

async fn bench(a: Args) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = match &a.keep {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
            std::path::absolute(d).map_err(|e| e.to_string())?
        }
        None => tmp.path().to_path_buf(),
    };
    let limit = (a.rate, a.burst);
    let mut b = Bench {
        dir,
        m2mctl: a.m2mctl.clone(),
        a0deploy: a.a0deploy.clone(),
        rows: Vec::new(),
    };
    let started = Instant::now();
    let deploy_sizes = a.deploy_sizes.clone().unwrap_or_else(|| a.sizes.clone());
    // A failing group is reported and the others still run (e.g. a command not built yet).
    let mut failures: Vec<String> = Vec::new();
    let mut note = |what: String, r: Result<(), String>| {
        if let Err(e) = r {
            eprintln!("bench: {what} failed: {e}");
            failures.push(format!("{what}: {e}"));
        }
    };
    for &n in &a.sizes {
        if a.m2mctl_runs {
            let r = flows::m2mctl_lifecycle(&mut b, n, a.apis, None, Some(limit)).await;
            note(format!("m2mctl, {n} apps"), r);
        }
        if b.a0deploy.is_some() && deploy_sizes.contains(&n) {
            let limited = (a.deploy_limited && n == a.compare).then_some(limit);
            let r = flows::deploy_lifecycle(&mut b, n, a.apis, n == a.compare, limited).await;
            note(format!("deploy CLI, {n} apps"), r);
        }
    }
    if a.m2mctl_runs {
        for &n in &a.plan_sizes {
            let r = flows::big_plan(&mut b, n, a.apis, Some(limit)).await;
            note(format!("m2mctl no-op plan, {n} seeded apps"), r);
        }
        if a.limited_create > 0 {
            let n = a.limited_create;
            let r = flows::m2mctl_lifecycle(&mut b, n, a.apis, Some(limit), None).await;
            note(format!("m2mctl at the rate limit, {n} apps"), r);
        }
        if a.token_apps > 0 {
            let r = flows::tokens(&mut b, a.token_apps, a.apis).await;
            note(format!("m2mctl token, {} apps", a.token_apps), r);
        }
    }
    let options = round2::Options {
        local_sizes: a.round2.clone(),
        latency_sizes: a.round2_latency.clone(),
        latencies: a.latencies.clone(),
        repeat: a.repeat,
        limit,
        validate_apps: a.validate_apps,
    };
    let round2 = if options.local_sizes.is_empty()
        && options.latency_sizes.is_empty()
        && options.validate_apps == 0
    {
        None
    } else {
        let (rows, failed) = round2::all(&a.m2mctl, &b.dir, &options).await;
        failures.extend(failed);
        Some(rows)
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "## m2mctl benchmark ({} APIs; rate-limited runs at {} req/s, burst {})\n",
        a.apis, a.rate, a.burst
    );
    println!("{}", report::side_by_side(&b.rows));
    println!("{}", report::full_table(&b.rows));
    println!("{}", report::targets(&b.rows, a.compare));
    if let Some(rows) = &round2 {
        println!("### Round 2: warm tokens, local tenant, latency, validate\n");
        println!("{}", round2::table(rows));
    }
    println!(
        "total bench time {:.0} s; load average at the end: {}; {}",
        started.elapsed().as_secs_f64(),
        load.trim(),
        version(&a.m2mctl, "--version"),
    );
    if let Some(p) = &a.a0deploy {
        println!("a0deploy {}", version(p, "--version"));
    }
    if !failures.is_empty() {
        println!("\nNot measured (failed):\n");
        for f in &failures {
            println!("- {}", f.lines().next().unwrap_or_default());
        }
        return Err(format!("{} group(s) failed (see above)", failures.len()));
    }
    Ok(())
}

fn version(bin: &Path, flag: &str) -> String {
    std::process::Command::new(bin)
        .arg(flag)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> std::process::ExitCode {
    let result = match parse_args() {
        Ok(args) => bench(args).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
