//! The measured steps: how each tool is invoked for create / no-op / 10% change / tokens, what the
//! floor of each step is, and the checks that the tenant ended up as desired.
//!
//! Owns the step definitions and floors. Must not format tables (`report.rs`) or parse arguments.
//!
//! Floors (requests a perfect tool needs):
//! - reading a tenant: 1 Management API token + ⌈clients/100⌉ + ⌈grants/100⌉ + ⌈APIs/100⌉ list
//!   pages, counted on the tenant as it is before the step (system objects included);
//! - a step that changes the tenant: that read + one write per object to create or update;
//! - tokens: that read (client secrets can come with the client pages) + one `/oauth/token` per
//!   (app, API) pair with an empty cache, + 0 with a warm cache.

use std::path::{Path, PathBuf};

use crate::emu::{self, Stats, Tenant, Totals};
use crate::report::{Row, Step, Tool};
use crate::run::{self, Invocation};

/// Shared settings and the rows measured so far.
pub(crate) struct Bench {
    /// Scratch folder (configs, outputs, certificates).
    pub dir: PathBuf,
    /// The release `m2mctl` binary.
    pub m2mctl: PathBuf,
    /// `a0deploy`, when the deploy CLI is measured.
    pub a0deploy: Option<PathBuf>,
    /// Rows in the order measured.
    pub rows: Vec<Row>,
}

/// 1 token + one listing of the tenant in pages of 100.
pub(crate) fn read_floor(t: Totals) -> u64 {
    1 + m2mctl::tenant::floor_requests(t.clients, t.grants, t.apis) as u64
}

/// What a step expects.
pub(crate) struct Expect {
    /// Step kind.
    pub step: Step,
    /// Applications in the desired state.
    pub apps: usize,
    /// Objects the step must change.
    pub changed: u64,
    /// Requests beyond the read floor that a perfect tool needs (writes or app tokens).
    pub extra_floor: u64,
    /// Exit codes that mean success.
    pub ok_codes: &'static [i32],
}

impl Bench {
    fn m2mctl_env(&self, tenant: &Tenant) -> Vec<(String, String)> {
        [
            ("AUTH0_DOMAIN", tenant.domain().to_string()),
            ("AUTH0_CLIENT_ID", emu::CLIENT_ID.into()),
            ("AUTH0_CLIENT_SECRET", emu::CLIENT_SECRET.into()),
            ("M2MCTL_CA_CERT", tenant.cert().display().to_string()),
            (
                "M2MCTL_CACHE_DIR",
                self.dir.join("token-cache").display().to_string(),
            ),
            ("NO_COLOR", "1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Runs `m2mctl ARGS -f CONFIG` against `tenant` and records the row.
    pub(crate) async fn m2mctl(
        &mut self,
        tenant: &Tenant,
        args: &[&str],
        config: &Path,
        expect: Expect,
    ) -> Result<Row, String> {
        let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        argv.extend(["-f".into(), config.display().to_string()]);
        let name = config.file_name().map(|n| n.to_string_lossy().to_string());
        let command = format!("m2mctl {} -f {}", args.join(" "), name.unwrap_or_default());
        let inv = Invocation {
            label: self.label("m2mctl"),
            program: self.m2mctl.clone(),
            args: argv,
            dir: self.dir.clone(),
            env: self.m2mctl_env(tenant),
        };
        self.record(tenant, Tool::M2mctl, command, inv, expect)
            .await
    }

    /// Runs `a0deploy import --input_file YAML -c CONFIG [extra]` against `tenant`.
    pub(crate) async fn a0deploy(
        &mut self,
        tenant: &Tenant,
        yaml: &Path,
        extra: &[&str],
        expect: Expect,
    ) -> Result<Row, String> {
        let program = self.a0deploy.clone().ok_or("no deploy CLI given")?;
        let config = crate::desired::deploy_config(
            &self.dir,
            tenant.domain(),
            emu::CLIENT_ID,
            emu::CLIENT_SECRET,
        )?;
        let mut args = vec![
            "import".to_string(),
            "--input_file".into(),
            yaml.display().to_string(),
            "-c".into(),
            config.display().to_string(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let name = yaml.file_name().map(|n| n.to_string_lossy().to_string());
        let command = format!(
            "a0deploy import {}{}",
            name.unwrap_or_default(),
            extra.iter().map(|e| format!(" {e}")).collect::<String>()
        );
        let inv = Invocation {
            label: self.label("a0deploy"),
            program,
            args,
            dir: self.dir.clone(),
            env: vec![(
                "NODE_EXTRA_CA_CERTS".into(),
                tenant.cert().display().to_string(),
            )],
        };
        self.record(tenant, Tool::DeployCli, command, inv, expect)
            .await
    }

    fn label(&self, tool: &str) -> String {
        format!("{:03}-{tool}", self.rows.len())
    }

    async fn record(
        &mut self,
        tenant: &Tenant,
        tool: Tool,
        command: String,
        inv: Invocation,
        expect: Expect,
    ) -> Result<Row, String> {
        let floor = read_floor(tenant.totals()) + expect.extra_floor;
        eprintln!(
            "  running `{command}` ({} apps, limit {:?}) ...",
            expect.apps, tenant.limit
        );
        if let Some((rps, burst)) = tenant.limit {
            // Start with a full bucket, as the floor time assumes (an earlier run may have drained it).
            let refill = f64::from(burst) / rps + 0.5;
            tokio::time::sleep(std::time::Duration::from_secs_f64(refill)).await;
        }
        tenant.reset_stats().await?;
        let m = run::measure(inv).await?;
        let stats: Stats = tenant.stats().await?;
        if !expect.ok_codes.contains(&m.code) {
            return Err(format!(
                "`{command}` exited {} (expected {:?}); output tail:\n{}",
                m.code,
                expect.ok_codes,
                m.tail(20)
            ));
        }
        let row = Row {
            tool,
            step: expect.step,
            command,
            apps: expect.apps,
            limit: tenant.limit,
            requests: stats.total,
            floor,
            writes: stats.writes(),
            changed: expect.changed,
            throttled: stats.throttled(),
            tokens: stats.tokens(),
            wall: m.wall,
            rss_kib: m.max_rss_kib,
            code: m.code,
            retried: (tool == Tool::M2mctl).then(|| retried(&m.stderr)).flatten(),
        };
        eprintln!(
            "    {} requests (floor {floor}), {} writes, {} × 429, {:.2} s, {} MiB peak; by route: {:?}",
            row.requests,
            row.writes,
            row.throttled,
            row.wall.as_secs_f64(),
            row.rss_kib / 1024,
            stats.by_route
        );
        self.rows.push(row.clone());
        Ok(row)
    }
}

/// The `N retried` count of m2mctl's closing line (`Apply complete: … — 42 requests, 2 retried, …`).
fn retried(stderr: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(stderr).ok()?;
    let line = text.lines().rev().find(|l| l.contains(" retried"))?;
    let before = line.split(" retried").next()?;
    before
        .rsplit([' ', ','])
        .find(|w| !w.is_empty())?
        .parse()
        .ok()
}

/// Checks that `tenant` holds the desired state: `apps` apps with one grant each over `apis`
/// APIs, `widened` of the grants with `write:data`. The emulator adds the global client, the
/// bootstrap app, its grant and the Management API.
pub(crate) fn check_converged(
    tenant: &Tenant,
    apps: usize,
    apis: usize,
    widened: usize,
) -> Result<(), String> {
    let t = tenant.totals();
    let w = tenant.grants_with_scope("write:data");
    let want = (apps + 2, apps + 1, apis + 1, widened);
    let got = (t.clients, t.grants, t.apis, w);
    match want == got {
        true => Ok(()),
        false => Err(format!(
            "tenant not as desired: (clients, grants, APIs, grants with write:data) = {got:?}, expected {want:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_counts_pages_of_100_plus_the_token() {
        let t = |clients, grants, apis| Totals {
            clients,
            grants,
            apis,
        };
        assert_eq!(read_floor(t(2, 1, 1)), 4);
        assert_eq!(read_floor(t(502, 501, 21)), 1 + 6 + 6 + 1);
        assert_eq!(read_floor(t(5002, 5001, 21)), 1 + 51 + 51 + 1);
    }

    #[test]
    fn retried_comes_from_the_closing_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("err");
        let line =
            "Apply complete: 3 created, 1 updated, 0 deleted — 42 requests, 2 retried, 1.3 s\n";
        std::fs::write(&p, format!("+ application.a created\n{line}")).unwrap();
        assert_eq!(retried(&p), Some(2));
        std::fs::write(&p, "No changes.\n").unwrap();
        assert_eq!(retried(&p), None);
    }
}
