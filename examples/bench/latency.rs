//! Round-2 latency rows: no-op plans of a seeded tenant with a fixed latency added to every
//! response (the emulator's `latency` fault), measured in round trips (wall ÷ latency), with and
//! without a rate limit.
//!
//! Owns these rows only; the tenant, runs and table are `round2.rs`'s and `emu.rs`'s.

use std::path::Path;
use std::time::Duration;

use m2mctl::emulator::FaultSpec;

use crate::emu::Tenant;
use crate::round2::{Options, Ran, Row, env, load, run, write};
use crate::seed::Shape;

/// The aim in round trips for a no-op plan of `n` apps without a rate limit.
fn aim(n: usize) -> usize {
    if n <= 500 { 5 } else { 6 }
}

/// The fault spec for `ms` of latency; `http1` adds a `lost` fault too rare to fire, which makes
/// the emulator offer HTTP/1.1 only (so both protocols are measured on the same binaries).
fn faults(ms: u64, http1: bool) -> Result<Option<FaultSpec>, String> {
    let mut spec = Vec::new();
    if ms > 0 {
        spec.push(format!("latency:{ms}-{ms}ms"));
    }
    if http1 {
        spec.push("lost:0.000000001".to_string());
    }
    if spec.is_empty() {
        return Ok(None);
    }
    FaultSpec::parse(&spec.join(","))
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Best run of `repeat` warm no-op plans, the requests of one, and the load after.
async fn plans(
    bin: &Path,
    work: &Path,
    tenant: &Tenant,
    repeat: usize,
    refill: Duration,
) -> Result<(Ran, u64, String), String> {
    let env = env(tenant, &work.join("cache"));
    // warm the token cache for this port, then measure
    run(bin, work, &["plan"], &env)?;
    let mut best: Option<Ran> = None;
    let mut requests = 0;
    for _ in 0..repeat.max(1) {
        tokio::time::sleep(refill).await;
        tenant.reset_stats().await?;
        let ran = run(bin, work, &["plan", "--detailed-exitcode"], &env)?;
        best = Some(best.map_or(ran, |b| b.min(ran)));
        requests = tenant.stats().await?.total;
    }
    let best = best.ok_or("no run")?;
    Ok((best, requests, load()))
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// No-op plans of `n` seeded apps with each of `o.latencies` added to every response, over
/// HTTP/2 and HTTP/1.1, and for the largest tenant and latency also under `o.limit`.
pub(crate) async fn rows(
    bin: &Path,
    dir: &Path,
    n: usize,
    o: &Options,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let work = dir.join(format!("latency-{n}"));
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
    for (protocol, http1) in [("HTTP/2", false), ("HTTP/1.1", true)] {
        // the run without latency: m2mctl's own CPU time on this machine, and the loopback
        let mut base: Option<Duration> = None;
        for &ms in &o.latencies {
            let tenant = seeded.copy_with(&work, None, faults(ms, http1)?).await?;
            let (ran, requests, load) =
                plans(bin, &work, &tenant, o.repeat, Duration::ZERO).await?;
            tenant.stop().await?;
            let (floor, ratio) = if ms == 0 {
                base = Some(ran.wall);
                ("—".to_string(), "—".to_string())
            } else {
                let rtt = |d: Duration| d.as_secs_f64() * 1000.0 / ms as f64;
                let beyond = base
                    .map(|b| {
                        format!(
                            "; {:.1} beyond the run without latency",
                            rtt(ran.wall.saturating_sub(b))
                        )
                    })
                    .unwrap_or_default();
                (
                    format!("{} round trips (least: 2)", aim(n)),
                    format!("{:.1} round trips{beyond}", rtt(ran.wall)),
                )
            };
            rows.push(Row {
                what: format!(
                    "no-op plan, {n} apps, +{ms} ms per response, {protocol}, best of {}",
                    o.repeat
                ),
                measured: format!("{} (CPU {})", secs(ran.wall), secs(ran.cpu)),
                floor,
                ratio,
                requests: requests.to_string(),
                load,
            });
        }
    }
    // the rate-limited row only for the largest tenant: smaller reads fit in the burst
    let largest = o.latency_sizes.iter().max() == Some(&n);
    let Some(&ms) = o.latencies.iter().max().filter(|_| largest) else {
        return seeded.stop().await;
    };
    let (rate, burst) = o.limit;
    let tenant = seeded
        .copy_with(&work, Some(o.limit), faults(ms, false)?)
        .await?;
    // a full bucket before every run (the limit applies to the token run too)
    let refill = Duration::from_secs_f64(f64::from(burst) / rate);
    let (ran, requests, load) = plans(bin, &work, &tenant, o.repeat, refill).await?;
    tenant.stop().await?;
    let bound = (requests as f64 - f64::from(burst)).max(0.0) / rate;
    if bound <= 0.0 {
        // the whole read fits in the burst: the latency rows above are the bound
        return seeded.stop().await;
    }
    let took = ran.wall.as_secs_f64();
    rows.push(Row {
        what: format!(
            "no-op plan, {n} apps, +{ms} ms per response, {rate}/s burst {burst}, HTTP/2, best of {}",
            o.repeat
        ),
        measured: format!("{} (CPU {})", secs(ran.wall), secs(ran.cpu)),
        floor: format!("{bound:.2} s ((requests − burst) ÷ rate)"),
        ratio: format!(
            "{:.2}× ({:.1} round trips above the bound)",
            took / bound,
            (took - bound) * 1000.0 / ms as f64
        ),
        requests: requests.to_string(),
        load,
    });
    seeded.stop().await
}
