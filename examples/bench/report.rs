//! The results: one [`Row`] per measured run, the markdown tables (every run, then both tools side
//! by side) and the targets of issue 8 checked against the rows.
//!
//! Owns formatting and the target arithmetic. Must not run or measure anything.

use std::fmt::Write as _;
use std::time::Duration;

/// Which tool a row measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    /// The release `m2mctl` binary.
    M2mctl,
    /// `a0deploy` (auth0-deploy-cli 8.x).
    DeployCli,
}

/// What a row's run did to the tenant, for pairing rows across tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Create everything on an empty tenant.
    Create,
    /// Nothing to change: read-only (`plan`, `import --dry-run`).
    NoopRead,
    /// Nothing to change: the command that would write (`apply`, `import`).
    Noop,
    /// 10% of the grants change.
    Change,
    /// A token per (app, API), empty cache.
    TokenCold,
    /// The same, second run (cache warm).
    TokenCached,
}

/// One measured run.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Tool measured.
    pub tool: Tool,
    /// What it did.
    pub step: Step,
    /// The command line shown (without paths).
    pub command: String,
    /// Managed applications (each with one grant).
    pub apps: usize,
    /// Rate limit of the emulator, if any.
    pub limit: Option<(f64, u32)>,
    /// Responses counted by the emulator (429s included).
    pub requests: u64,
    /// The floor for this step (see README.performance.md).
    pub floor: u64,
    /// Successful Management API writes.
    pub writes: u64,
    /// Objects the step had to change.
    pub changed: u64,
    /// 429 responses.
    pub throttled: u64,
    /// Successful `POST /oauth/token` responses.
    pub tokens: u64,
    /// Wall time of the process.
    pub wall: Duration,
    /// Peak RSS in KiB.
    pub rss_kib: u64,
    /// Exit code.
    pub code: i32,
    /// Retries m2mctl reported in its closing line (`… 2 retried …`), if it printed one.
    pub retried: Option<u64>,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.requests as f64 / self.floor.max(1) as f64
    }
    /// Wall time ÷ (floor ÷ rate), for rate-limited runs.
    pub(crate) fn wall_vs_floor_time(&self) -> Option<f64> {
        let (rps, _) = self.limit?;
        Some(self.wall.as_secs_f64() / (self.floor as f64 / rps))
    }
    /// (floor − burst) ÷ rate: the least time once the burst is spent, for rate-limited runs.
    pub(crate) fn drain_time(&self) -> Option<f64> {
        let (rps, burst) = self.limit?;
        Some(self.floor.saturating_sub(u64::from(burst)) as f64 / rps)
    }
}

fn step_name(s: Step) -> &'static str {
    match s {
        Step::Create => "create",
        Step::NoopRead => "no-op, read only",
        Step::Noop => "no-op",
        Step::Change => "10% of grants changed",
        Step::TokenCold => "tokens, empty cache",
        Step::TokenCached => "tokens, warm cache",
    }
}

fn tool_name(t: Tool) -> &'static str {
    match t {
        Tool::M2mctl => "m2mctl",
        Tool::DeployCli => "deploy CLI",
    }
}

fn limit_text(limit: Option<(f64, u32)>) -> String {
    match limit {
        Some((rps, burst)) => format!("{rps}/s, burst {burst}"),
        None => "none".into(),
    }
}

fn mib(kib: u64) -> String {
    match kib >= 1024 * 1024 {
        true => format!("{:.2} GiB", kib as f64 / 1024.0 / 1024.0),
        false => format!("{:.0} MiB", kib as f64 / 1024.0),
    }
}

/// Every run, in the order measured.
pub(crate) fn full_table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| tool | step | command | apps | rate limit | requests | floor | req ÷ floor | writes | changed | 429s | retried | /oauth/token | wall | wall ÷ (floor ÷ rate) | (floor − burst) ÷ rate | peak RSS | exit |\n\
         |---|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {} | `{}` | {} | {} | {} | {} | {:.2} | {} | {} | {} | {} | {} | {:.2} s | {} | {} | {} | {} |",
            tool_name(r.tool),
            step_name(r.step),
            r.command,
            r.apps,
            limit_text(r.limit),
            r.requests,
            r.floor,
            r.ratio(),
            r.writes,
            r.changed,
            r.throttled,
            r.retried.map_or("–".into(), |n| n.to_string()),
            r.tokens,
            r.wall.as_secs_f64(),
            r.wall_vs_floor_time()
                .map_or("–".into(), |x| format!("{x:.2}")),
            r.drain_time().map_or("–".into(), |x| format!("{x:.1} s")),
            mib(r.rss_kib),
            r.code
        );
    }
    t
}

fn find(rows: &[Row], tool: Tool, step: Step, apps: usize) -> Option<&Row> {
    rows.iter()
        .find(|r| r.tool == tool && r.step == step && r.apps == apps && r.limit.is_none())
}

/// m2mctl and the deploy CLI on the same desired states, without a rate limit.
pub(crate) fn side_by_side(rows: &[Row]) -> String {
    let mut t = String::from(
        "| step | apps | m2mctl command | requests m2mctl / deploy CLI | × fewer | wall m2mctl / deploy CLI | × faster | peak RSS m2mctl / deploy CLI | × less |\n\
         |---|--:|---|--:|--:|--:|--:|--:|--:|\n",
    );
    let steps = [Step::Create, Step::NoopRead, Step::Noop, Step::Change];
    let mut sizes: Vec<usize> = rows
        .iter()
        .filter(|r| r.tool == Tool::DeployCli)
        .map(|r| r.apps)
        .collect();
    sizes.dedup();
    for apps in sizes {
        for step in steps {
            let label = step_name(step);
            let (Some(m), Some(d)) = (
                find(rows, Tool::M2mctl, step, apps),
                find(rows, Tool::DeployCli, step, apps),
            ) else {
                continue;
            };
            let _ = writeln!(
                t,
                "| {label} | {apps} | `{}` vs `{}` | {} / {} | {:.0}× | {:.2} s / {:.1} s | {:.0}× | {} / {} | {:.0}× |",
                m.command,
                d.command,
                m.requests,
                d.requests,
                d.requests as f64 / m.requests.max(1) as f64,
                m.wall.as_secs_f64(),
                d.wall.as_secs_f64(),
                d.wall.as_secs_f64() / m.wall.as_secs_f64().max(1e-6),
                mib(m.rss_kib),
                mib(d.rss_kib),
                d.rss_kib as f64 / m.rss_kib.max(1) as f64
            );
        }
    }
    t
}

/// The targets of issue 8, each with its measured value and whether it was met.
pub(crate) fn targets(rows: &[Row], compare: usize) -> String {
    let mut t = String::from("| target | measured | met |\n|---|---|---|\n");
    let mut line = |name: String, measured: String, ok: bool| {
        let _ = writeln!(
            t,
            "| {name} | {measured} | {} |",
            if ok { "yes" } else { "**no**" }
        );
    };
    for r in rows
        .iter()
        .filter(|r| r.tool == Tool::M2mctl && r.step == Step::NoopRead)
    {
        line(
            format!(
                "no-op plan requests == floor ({} apps, limit {})",
                r.apps,
                limit_text(r.limit)
            ),
            format!("{} vs {}", r.requests, r.floor),
            r.requests == r.floor,
        );
    }
    for r in rows
        .iter()
        .filter(|r| r.tool == Tool::M2mctl && r.limit.is_some() && r.step == Step::Create)
    {
        if let Some(x) = r.wall_vs_floor_time() {
            line(
                format!(
                    "apply wall ≤ 1.10 × floor ÷ rate (`{}`, {} apps)",
                    r.command, r.apps
                ),
                format!(
                    "{:.2}× ({:.1} s vs {} requests ÷ {}/s)",
                    x,
                    r.wall.as_secs_f64(),
                    r.floor,
                    r.limit.map_or(0.0, |l| l.0)
                ),
                x <= 1.10,
            );
        }
    }
    for r in rows.iter().filter(|r| r.step == Step::Change) {
        line(
            format!(
                "{}: writes == changed objects ({} apps, limit {})",
                tool_name(r.tool),
                r.apps,
                limit_text(r.limit)
            ),
            format!("{} writes for {} changed", r.writes, r.changed),
            r.writes == r.changed,
        );
    }
    for r in rows
        .iter()
        .filter(|r| matches!(r.step, Step::TokenCold | Step::TokenCached))
    {
        // One `/oauth/token` is m2mctl's own Management API token.
        let app_tokens = r.tokens.saturating_sub(1);
        let want = if r.step == Step::TokenCold {
            r.apps as u64
        } else {
            0
        };
        line(
            format!(
                "{}: app token requests ({} apps)",
                step_name(r.step),
                r.apps
            ),
            format!(
                "{app_tokens} (expected {want}); {} requests vs floor {}",
                r.requests, r.floor
            ),
            app_tokens == want,
        );
    }
    if let (Some(m), Some(d)) = (
        find(rows, Tool::M2mctl, Step::Noop, compare),
        find(rows, Tool::DeployCli, Step::Noop, compare),
    ) {
        let req = d.requests as f64 / m.requests.max(1) as f64;
        let wall = d.wall.as_secs_f64() / m.wall.as_secs_f64().max(1e-6);
        let rss = d.rss_kib as f64 / m.rss_kib.max(1) as f64;
        line(
            format!("no-op {compare} apps: ≥ 50× fewer requests than the deploy CLI"),
            format!("{req:.0}× ({} vs {})", m.requests, d.requests),
            req >= 50.0,
        );
        line(
            format!("no-op {compare} apps: ≥ 50× less wall time"),
            format!(
                "{wall:.0}× ({:.2} s vs {:.1} s)",
                m.wall.as_secs_f64(),
                d.wall.as_secs_f64()
            ),
            wall >= 50.0,
        );
        line(
            format!("no-op {compare} apps: ≥ 20× less peak memory"),
            format!("{rss:.0}× ({} vs {})", mib(m.rss_kib), mib(d.rss_kib)),
            rss >= 20.0,
        );
    }
    t
}
