//! The sequences of steps on one tenant each: m2mctl's create → no-op → 10% change, the same for
//! the deploy CLI, no-op plans on large seeded tenants, apply under a rate limit, and tokens.
//!
//! Owns the order of steps and which desired state each step gets. Must not measure (scenario.rs)
//! or format (report.rs).

use crate::desired::{self, Variant, changed_grants};
use crate::emu::Tenant;
use crate::report::Step;
use crate::scenario::{Bench, Expect, check_converged};
use crate::seed::{self, Shape};

/// Exit codes: `plan --detailed-exitcode` with no changes, and plain success.
const OK: &[i32] = &[0];

fn expect(step: Step, apps: usize, changed: usize) -> Expect {
    Expect {
        step,
        apps,
        changed: changed as u64,
        extra_floor: changed as u64,
        ok_codes: OK,
    }
}

/// Creates, no-ops and changes `apps` apps with m2mctl on a fresh tenant; `limited_plan` also
/// measures the no-op plan on a copy of the tenant at `limit`.
pub(crate) async fn m2mctl_lifecycle(
    b: &mut Bench,
    apps: usize,
    apis: usize,
    limit: Option<(f64, u32)>,
    limited_plan: Option<(f64, u32)>,
) -> Result<(), String> {
    eprintln!("m2mctl: {apps} apps, {apis} APIs, limit {limit:?}");
    let shape = Shape::new(apps, apis);
    let base = desired::m2mctl_config(&b.dir, &shape, Variant::Base)?;
    let changed = desired::m2mctl_config(&b.dir, &shape, Variant::Changed)?;
    let tenant = Tenant::start(&b.dir, limit).await?;
    let create = ["apply", "--auto-approve"];
    b.m2mctl(
        &tenant,
        &create,
        &base,
        expect(Step::Create, apps, apis + 2 * apps),
    )
    .await?;
    check_converged(&tenant, apps, apis, 0)?;
    let plan = ["plan", "--detailed-exitcode"];
    b.m2mctl(&tenant, &plan, &base, expect(Step::NoopRead, apps, 0))
        .await?;
    if limit.is_none() {
        b.m2mctl(&tenant, &create, &base, expect(Step::Noop, apps, 0))
            .await?;
    }
    if let Some(l) = limited_plan {
        let slow = tenant.copy_with_limit(&b.dir, l).await?;
        b.m2mctl(&slow, &plan, &base, expect(Step::NoopRead, apps, 0))
            .await?;
        slow.stop().await?;
    }
    let n = changed_grants(apps);
    b.m2mctl(&tenant, &create, &changed, expect(Step::Change, apps, n))
        .await?;
    check_converged(&tenant, apps, apis, n)?;
    tenant.stop().await
}

/// The same desired states with the deploy CLI: import (create), no-op import, optionally a
/// `--dry-run` no-op and a no-op on a copy at `limited`, then the 10% change.
pub(crate) async fn deploy_lifecycle(
    b: &mut Bench,
    apps: usize,
    apis: usize,
    dry_run: bool,
    limited: Option<(f64, u32)>,
) -> Result<(), String> {
    eprintln!("deploy CLI: {apps} apps, {apis} APIs");
    let shape = Shape::new(apps, apis);
    let base = desired::deploy_tenant_yaml(&b.dir, &shape, Variant::Base)?;
    let changed = desired::deploy_tenant_yaml(&b.dir, &shape, Variant::Changed)?;
    let tenant = Tenant::start(&b.dir, None).await?;
    b.a0deploy(
        &tenant,
        &base,
        &[],
        expect(Step::Create, apps, apis + 2 * apps),
    )
    .await?;
    check_converged(&tenant, apps, apis, 0)?;
    b.a0deploy(&tenant, &base, &[], expect(Step::Noop, apps, 0))
        .await?;
    if dry_run {
        b.a0deploy(
            &tenant,
            &base,
            &["--dry-run"],
            expect(Step::NoopRead, apps, 0),
        )
        .await?;
    }
    if let Some(l) = limited {
        let slow = tenant.copy_with_limit(&b.dir, l).await?;
        b.a0deploy(&slow, &base, &[], expect(Step::Noop, apps, 0))
            .await?;
        check_converged(&slow, apps, apis, 0)?;
        slow.stop().await?;
    }
    let n = changed_grants(apps);
    b.a0deploy(&tenant, &changed, &[], expect(Step::Change, apps, n))
        .await?;
    check_converged(&tenant, apps, apis, n)?;
    tenant.stop().await
}

/// A tenant seeded through the Management API with the shared seed helpers (not by the tool
/// under test), and the shape it holds.
async fn seeded(b: &Bench, apps: usize, apis: usize) -> Result<(Tenant, Shape), String> {
    let tenant = Tenant::start(&b.dir, None).await?;
    let mut shape = Shape::new(apps, apis);
    shape.concurrency = 32;
    let started = std::time::Instant::now();
    let api = seed::Api {
        http: tenant.http().clone(),
        base_url: tenant.base_url().to_string(),
        token: tenant.management_token().await?,
    };
    seed::seed(&api, &shape).await?;
    check_converged(&tenant, apps, apis, 0)?;
    eprintln!(
        "seeded {apps} apps + grants, {apis} APIs in {:.1?}",
        started.elapsed()
    );
    Ok((tenant, shape))
}

/// No-op plan of a large seeded tenant, unlimited and on a copy at `limited`.
pub(crate) async fn big_plan(
    b: &mut Bench,
    apps: usize,
    apis: usize,
    limited: Option<(f64, u32)>,
) -> Result<(), String> {
    eprintln!("m2mctl: no-op plan of {apps} seeded apps");
    let (tenant, shape) = seeded(b, apps, apis).await?;
    let base = desired::m2mctl_config(&b.dir, &shape, Variant::Base)?;
    let plan = ["plan", "--detailed-exitcode"];
    b.m2mctl(&tenant, &plan, &base, expect(Step::NoopRead, apps, 0))
        .await?;
    if let Some(l) = limited {
        let slow = tenant.copy_with_limit(&b.dir, l).await?;
        b.m2mctl(&slow, &plan, &base, expect(Step::NoopRead, apps, 0))
            .await?;
        slow.stop().await?;
    }
    tenant.stop().await
}

/// `m2mctl token` for every app of a seeded tenant: empty cache, then warm cache.
pub(crate) async fn tokens(b: &mut Bench, apps: usize, apis: usize) -> Result<(), String> {
    eprintln!("m2mctl: tokens for {apps} seeded apps");
    let (tenant, shape) = seeded(b, apps, apis).await?;
    let base = desired::m2mctl_config(&b.dir, &shape, Variant::Base)?;
    let cache = b.dir.join("token-cache");
    let _ = std::fs::remove_dir_all(&cache);
    let token = ["token", "--format", "json"];
    let cold = Expect {
        step: Step::TokenCold,
        apps,
        changed: 0,
        extra_floor: apps as u64,
        ok_codes: OK,
    };
    let row = b.m2mctl(&tenant, &token, &base, cold).await?;
    check_tokens(b, &row.command, apps)?;
    let warm = Expect {
        step: Step::TokenCached,
        apps,
        changed: 0,
        extra_floor: 0,
        ok_codes: OK,
    };
    let row = b.m2mctl(&tenant, &token, &base, warm).await?;
    check_tokens(b, &row.command, apps)?;
    tenant.stop().await
}

/// The last run printed a JSON array with one token per app.
fn check_tokens(b: &Bench, command: &str, apps: usize) -> Result<(), String> {
    let label = format!("{:03}-m2mctl.out", b.rows.len() - 1);
    let text = std::fs::read_to_string(b.dir.join(&label)).map_err(|e| format!("{label}: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("`{command}` printed no JSON: {e}"))?;
    let with_token = value
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|t| t["access_token"].as_str().is_some_and(|s| !s.is_empty()))
                .count()
        })
        .unwrap_or(0);
    match with_token == apps {
        true => Ok(()),
        false => Err(format!(
            "`{command}` printed {with_token} tokens, expected {apps}"
        )),
    }
}
